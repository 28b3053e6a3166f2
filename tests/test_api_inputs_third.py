"""The third sweep of the public API for arguments of the wrong type or shape (after
``tests/test_api_inputs.py`` and ``tests/test_api_inputs_more.py``): each is a typed
``AutocodecError`` naming the argument, never a bare ``TypeError``/``ValueError``/``AttributeError``
from deep inside, nor a value read as something else."""

from __future__ import annotations

from pathlib import Path

import pytest

import autocodec
from autocodec.errors import InvalidInput
from autocodec.store import BlockStore

CID_X = autocodec.cid_for(b"x", "raw")


@pytest.mark.parametrize("blocks", ["", b"", "ab", 5, None, {CID_X: b"x"}, (CID_X, b"x"), [CID_X],
                                    [(CID_X,)], [(CID_X, b"x", 1)], [[CID_X, b"x"], "ab"]],
                         ids=["empty-str", "empty-bytes", "str", "int", "none", "dict", "one-pair", "cids",
                              "short", "long", "text-item"])
def test_put_many_and_decode_many_take_pairs(blocks: object, tmp_path: Path) -> None:
    """``put_many("")`` stored nothing and returned 0 (an empty str iterates as no pairs), a dict
    or a lone pair was a TypeError (``cannot unpack non-iterable CID``), a short or long item a
    ValueError; ``Runtime.decode_many`` the same, and it took no generator (``len()``)."""
    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        for call in (rt.store.put_many, rt.decode_many):
            with pytest.raises(InvalidInput, match=f"{call.__name__} needs (an iterable of )?.CID, bytes. pairs"):
                call(blocks)  # type: ignore[arg-type]
        assert rt.store.put_many(iter([[CID_X, b"x"]])) == 1
        assert rt.decode_many((pair for pair in [(str(CID_X), b"x"), (5, b"x")]))[0] == b"x"


@pytest.mark.parametrize("bad", ["3", "x", 1.5, float("nan"), True, None, -1, 2**63, 2**70])
def test_inserted_since_takes_whole_numbers(bad: object, tmp_path: Path) -> None:
    """``inserted_since("3")`` and ``(1.5)`` were taken (``int()``) and handed back as the new mark,
    a str that is no number was a ValueError and 2**70 an OverflowError from sqlite."""
    with BlockStore.open(tmp_path / "home") as store:
        store.put(CID_X, b"x")
        assert store.inserted_since(0, 0) == (1, [CID_X])
        for args in ((bad,), (0, bad)):
            with pytest.raises(InvalidInput, match="inserted_since's (mark|limit) needs a whole number"):
                store.inserted_since(*args)  # type: ignore[arg-type]
