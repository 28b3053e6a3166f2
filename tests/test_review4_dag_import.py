"""``dag import`` next to Kubo v0.43.1's ``ipfs dag import`` on CARs the older differentials
do not build (tests/test_car.py reads most of them as a library only): zero or several roots,
a root no CAR holds, several CARs at once (one of them garbage), a cut section or varint, a
block whose bytes do not match its CID, CARv2 with padding, an index or none, a data size that
stops short, a data offset past the end or inside the header, a CARv2 inside a CARv2. Compared:
exit status, stdout and (for one failing root) the error's words.

Kubo lists roots in Go's map order (a ``cid.Set``), so JSON lines are compared as sets and a
text run has at most one root that fails. Which blocks a failed import keeps differs on purpose
(docs/bounds.md): this package keeps the verified prefix, checked here.

Found: a root that no CAR holds was reported with the pin walk's words (``block was not found
locally (offline): ipld: could not find CID``); Kubo reads the root from its blockstore first
and says ``ipld: could not find CID`` (``core/commands/dag/import.go``), in JSON's
``PinErrorMsg`` and in the text error.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID, encode_varint
from tests._kubo import KuboRepo
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow

PRAGMA = bytes.fromhex("0aa16776657273696f6e02")
Block = tuple[bytes, bytes]


def fresh(count: int) -> list[Block]:
    """Raw blocks no earlier case stored (a random salt): each case starts from stores without them."""
    salt = os.urandom(6).hex()
    return [(bytes(builtin.cid_for(d, "raw")), d) for d in (f"{salt} {i}".encode() for i in range(count))]


def header(roots: list[bytes], version: int = 1) -> bytes:
    links = b"".join(b"\xd8\x2a\x58" + bytes([len(r) + 1]) + b"\x00" + r for r in roots)
    body = b"\xa2\x65roots" + bytes([0x80 + len(roots)]) + links + b"\x67version" + bytes([version])
    return encode_varint(len(body)) + body


def car(roots: list[bytes], blocks: list[Block]) -> bytes:
    return header(roots) + b"".join(encode_varint(len(c) + len(d)) + c + d for c, d in blocks)


def carv2(payload: bytes, *, pad: int = 0, size: int | None = None, index: int = 0, tail: bytes = b"") -> bytes:
    fields = struct.pack("<16sQQQ", bytes(16), 51 + pad, len(payload) if size is None else size, index)
    return PRAGMA + fields + bytes(pad) + payload + tail


def _bad(b: list[Block]) -> Block:
    return b[1][0], b"not the bytes of " + b[1][1]


CASES: dict[str, Callable[[list[Block]], bytes]] = {
    "zero roots": lambda b: car([], b[:2]),
    "two roots": lambda b: car([b[0][0], b[1][0]], b[:2]),
    "the same root twice": lambda b: car([b[0][0], b[0][0]], b[:2]),
    "a block twice": lambda b: car([b[0][0]], [b[0], b[0], b[1]]),
    "no blocks": lambda b: car([b[0][0]], []),
    "a cut section": lambda b: car([b[0][0]], b[:3])[:-3],
    "a cut varint": lambda b: car([b[0][0]], b[:2]) + b"\x80",
    "a bad block in the middle": lambda b: car([b[0][0]], [b[0], _bad(b), b[2]]),
    "a bad block first": lambda b: car([b[0][0]], [_bad(b), b[0]]),
    "v2": lambda b: carv2(car([b[0][0]], b[:2])),
    "v2 padded": lambda b: carv2(car([b[0][0]], b[:2]), pad=7),
    "v2 data size stops at a section": lambda b: carv2(car([b[0][0]], b[:3]), size=len(car([b[0][0]], b[:2]))),
    "v2 data size stops inside a section": lambda b: carv2(car([b[0][0]], b[:3]), size=len(car([b[0][0]], b[:2])) + 5),
    "v2 an index after the data": lambda b: carv2(car([b[0][0]], b[:2]), index=51 + len(car([b[0][0]], b[:2])),
                                                  tail=b"not an index"),
    "v2 an index past the end": lambda b: carv2(car([b[0][0]], b[:2]), index=10**6),
    "v2 an index inside the data": lambda b: carv2(car([b[0][0]], b[:2]), index=60),
    "v2 data offset past the end": lambda b: PRAGMA + struct.pack("<16sQQQ", bytes(16), 10**6, 10, 0)
    + car([b[0][0]], b[:2]),
    "v2 data offset inside its header": lambda b: PRAGMA + struct.pack("<16sQQQ", bytes(16), 20, 100, 0)
    + car([b[0][0]], b[:2]),
    "v2 inside v2": lambda b: carv2(carv2(car([b[0][0]], b[:2]))),
    "v1 header saying 2": lambda b: header([b[0][0]], 2) + car([], b[:1])[len(header([])):],
}


@pytest.mark.parametrize("flags", [["--pin-roots=false", "--stats"], ["--stats", "--enc=json"]], ids=" ".join)
@pytest.mark.parametrize("case", list(CASES))
def test_one_car_imports_as_in_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path, case: str, flags: list[str]) -> None:
    blocks = fresh(4)
    path = tmp_path / "case.car"
    path.write_bytes(CASES[case](blocks))
    theirs = kubo.ipfs("dag", "import", *flags, path, check=False)
    code, out, err = ours.run("dag", "import", *flags, str(path))
    assert code == theirs.returncode, (theirs.stderr, err)
    assert sorted(out.splitlines()) == sorted(theirs.stdout.splitlines()), (theirs.stderr, err)
    assert code == 0 or (err.count(b"\n") == 1 and b"Traceback" not in err), err
    if code and case in ("a cut section", "a bad block in the middle"):  # the verified prefix is kept (docs/bounds.md)
        assert ours.run("block", "stat", str(CID(blocks[0][0])))[0] == 0
        assert ours.run("block", "stat", str(CID(blocks[2][0])))[0] == 1


def _several(b: list[Block]) -> list[bytes]:
    return [car([b[0][0]], b[:2]), car([b[2][0], b[3][0]], b[2:4]), car([], b[4:6])]


MANY: dict[str, Callable[[list[Block]], list[bytes]]] = {
    "three CARs": _several,
    "a root in no CAR": lambda b: [car([b[0][0]], b[:2]), car([b[5][0]], b[2:4])],
    "the same CAR twice": lambda b: [car([b[0][0]], b[:2]), car([b[0][0]], b[:2])],
    "garbage between": lambda b: [car([b[0][0]], b[:2]), b"garbage", car([b[2][0]], b[2:4])],
    "a root held by a later CAR": lambda b: [car([b[3][0]], b[:2]), car([], b[2:4])],
}
FLAGS = [[], ["--stats"], ["--pin-roots=false", "--stats"], ["--enc=json", "--stats"], ["--enc=json"],
         ["--cid-base=base36"]]


@pytest.mark.parametrize("flags", FLAGS, ids=" ".join)
@pytest.mark.parametrize("case", list(MANY))
def test_several_cars_import_as_in_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path, case: str,
                                        flags: list[str]) -> None:
    paths = []
    for i, data in enumerate(MANY[case](fresh(6))):
        paths.append(tmp_path / f"{i}.car")
        paths[-1].write_bytes(data)
    theirs = kubo.ipfs("dag", "import", *flags, *paths, check=False)
    code, out, err = ours.run("dag", "import", *flags, *map(str, paths))
    assert code == theirs.returncode, (theirs.stderr, err)
    if case == "a root in no CAR" and "--enc=json" not in flags:
        # text stops at the failing root; Kubo's random root order may put the held one first
        assert out == theirs.stdout or (theirs.stdout == b"" and out.startswith(b"Pinned root\t")
                                        and out.count(b"\n") == 1), (theirs.stdout, out)
    else:
        assert sorted(out.splitlines()) == sorted(theirs.stdout.splitlines()), (theirs.stderr, err)
    if code:
        assert err.count(b"\n") == 1 and b"Traceback" not in err, err
        if b"FAILED" in theirs.stderr:  # a CAR's parse errors are worded here, not as go-car words them
            kubos_words = theirs.stderr.decode().strip().removeprefix("Error: ")
            assert err.decode().removeprefix("autocodec: ").split(": ", 1)[1].startswith(kubos_words), err
