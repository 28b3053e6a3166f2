"""The last command-line differences from Kubo v0.43.1, side by side with the real ``ipfs``
binary (``tests/_kubo.py``, offline, no daemon):

- ``dag import`` of a CAR whose root cannot be pinned (a block under it is missing): in JSON
  every root with its ``PinErrorMsg`` and exit 0; in text Kubo's ``pinning root "CID" FAILED``
  and exit 1; ``--silent`` text: nothing, exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import test_dag_kubo
from tests._kubo import KuboRepo
from tests.test_cli_kubo3 import _same
from tests.test_dag_kubo import Ours

kubo, ours = test_dag_kubo.kubo, test_dag_kubo.ours  # the same fixtures: a Kubo repo and a home per module


def _car(path: Path, roots: list[object], blocks: list[tuple[object, bytes]]) -> str:
    """A CARv1 at ``path`` with these roots and blocks; returns the path."""
    from autocodec import builtin
    from autocodec.cid import CID, encode_varint

    header = builtin.encode({"roots": roots, "version": 1}, "dag-cbor")
    out = encode_varint(len(header)) + header
    for cid, data in blocks:
        assert isinstance(cid, CID)
        section = bytes(cid) + data
        out += encode_varint(len(section)) + section
    path.write_bytes(out)
    return str(path)


@pytest.fixture(scope="module")
def partial_cars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``one``: a CAR whose only root links to a block nobody holds; ``two``: that root and a
    complete one (a raw block)."""
    from autocodec import builtin

    folder = tmp_path_factory.mktemp("partial")
    missing = builtin.cid_for(b"a block no CAR holds", "raw")
    data = builtin.encode({"gone": missing}, "dag-cbor")
    root = builtin.cid_for(data, "dag-cbor")
    leaf = b"a complete root"
    whole = builtin.cid_for(leaf, "raw")
    return {"one": _car(folder / "one.car", [root], [(root, data)]),
            "two": _car(folder / "two.car", [root, whole], [(root, data), (whole, leaf)])}


@pytest.mark.slow
@pytest.mark.parametrize("flags", [(), ("--cid-base=base36",), ("--stats",), ("--silent",), ("--silent", "--stats"),
                                   ("--enc=json",), ("--enc=json", "--stats"), ("--enc=json", "--silent", "--stats")],
                         ids=" ".join)
def test_dag_import_reports_a_root_it_cannot_pin_as_kubo(kubo: KuboRepo, ours: Ours, partial_cars: dict[str, str],
                                                         flags: tuple[str, ...]) -> None:
    """Kubo reports each root: in JSON with ``PinErrorMsg`` (``block was not found locally
    (offline): ipld: could not find CID``) and exit 0; in text the first root it cannot pin ends
    the command (``pinning root "CID" FAILED: ...``, exit 1); ``--silent`` text reports nothing,
    exit 0. Ours stopped with an error in every case (exit 1, the root quoted 'CID'). Kubo lists
    roots in Go's map order, so JSON lines are compared as sets and text uses one root."""
    _same(kubo, ours, "dag", "import", *flags, partial_cars["one"])
    theirs = kubo.ipfs("dag", "import", *flags, partial_cars["two"], check=False)
    code, out, _err = ours.run("dag", "import", *flags, partial_cars["two"])
    assert code == theirs.returncode
    if "--enc=json" in flags:
        assert sorted(out.splitlines()) == sorted(theirs.stdout.splitlines())
        assert (out.splitlines()[-1] == theirs.stdout.splitlines()[-1]) or "--stats" not in flags  # Stats last
