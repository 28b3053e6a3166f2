"""``pin update --index CID`` without a set's name updates the set that version belongs to.

``Pins.update(index=...)`` without ``which`` used to try the version on every pinned set; since
an update refuses a version of another set (``RootChainError``, commit f414e35), a home with two
pinned sets got the update applied *and* a refusal for the other set (the CLI exits 1 on any
refusal); before that, the other pin's place was written as the updated set's. Now the version
updates the one pinned set it is a version of, and nothing is said about the others; a version
of no pinned set is one refusal, nothing pinned. Real documents and keys, a real runtime.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import AutocodecError, RootChainError
from autocodec.registry import Runtime
from tests import _cli
from tests._world import NOW, World, key


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _other(name: str, seed: str) -> tuple[World, object]:
    w = World()
    k = key(seed)
    w.make_root(1, root_keys=[k], threshold=1, index_keys=[k], index_threshold=1, set_name=name)
    return w, w.index(1, signers=[k], set_name=name)


@pytest.mark.parametrize("order", ["ours first", "ours last"])
def test_an_index_for_every_set_updates_its_own_set_and_says_nothing_of_others(tmp_path: Path, order: str) -> None:
    ours = World()
    our_v1 = ours.index(1)
    theirs, their_v1 = _other("other-set", "rogue")
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        for cid, data in [*ours.blocks.items(), *theirs.blocks.items()]:
            rt.store.put(cid, data)
        first, second = (str(our_v1), str(their_v1)) if order == "ours first" else (str(their_v1), str(our_v1))
        rt.pins.add(first, now=NOW)
        rt.pins.add(second, now=NOW)
        places = {p.name: p.location for p in rt.pins.ls()}
        v2 = ours.index(2)
        rt.store.put(v2, ours.blocks[v2])
        results = rt.pins.update(index=v2, now=NOW)  # type: ignore[arg-type]
        assert not [r for r in results if isinstance(r, AutocodecError)], results
        assert [(r.name, r.version, r.changed) for r in results] == [("test-set", 2, True)]  # type: ignore[union-attr]
        assert {s.name: s.index_version for s in rt.trust.sets()} == {"test-set": 2, "other-set": 1}
        assert {p.name: p.location for p in rt.pins.ls()} == places


def test_an_index_of_no_pinned_set_is_one_refusal_and_pins_nothing(tmp_path: Path) -> None:
    ours = World()
    our_v1 = ours.index(1)
    theirs, their_v1 = _other("other-set", "rogue")
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        for cid, data in [*ours.blocks.items(), *theirs.blocks.items()]:
            rt.store.put(cid, data)
        rt.pins.add(str(our_v1), now=NOW)
        (result,) = rt.pins.update(index=their_v1, now=NOW)  # type: ignore[arg-type]
        assert isinstance(result, RootChainError) and "other-set" in result.message, result
        assert [s.name for s in rt.trust.sets()] == ["test-set"]
