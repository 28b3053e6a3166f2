"""CAR headers written in CBOR that is not minimal, canonical or alone, imported by Kubo v0.43.1's
``ipfs dag import`` and here: both import (same stdout) or both refuse.

go-car v2.17 reads a header with go-ipld-cbor's ``DecodeInto`` (refmt's CBOR), which takes
non-minimal heads, repeated keys (the last wins), bytes after the header's item, and a root as
any byte string ``0x00 CID`` with one tag of any number or none. This package read headers as
relaxed DAG-CBOR and refused all of those (15 of the 31 cases below failed on the old code).
tests/test_dag_kubo.py covers key order, stray tags, null and empty roots, other fields.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import encode_varint
from tests._kubo import KuboRepo
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow


def _link(cid: bytes, tag: bytes = b"\xd8\x2a", length: bytes | None = None) -> bytes:
    return tag + (length if length is not None else b"\x58" + bytes([len(cid) + 1])) + b"\x00" + cid


V = b"\x67version"
R = b"\x65roots"
Header = Callable[[bytes, bytes], bytes]  # (the block's CID, another CID) -> header CBOR
CASES: dict[str, Header] = {
    "canonical": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\x01",
    "version 0x18 0x01": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\x18\x01",
    "version in 8 bytes": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\x1b" + (1).to_bytes(8, "big"),
    "map length 0xb8 0x02": lambda c, o: b"\xb8\x02" + R + b"\x81" + _link(c) + V + b"\x01",
    "list length 0x98 0x01": lambda c, o: b"\xa2" + R + b"\x98\x01" + _link(c) + V + b"\x01",
    "key length 0x79 0x00 0x05": lambda c, o: b"\xa2\x79\x00\x05roots\x81" + _link(c) + V + b"\x01",
    "tag 42 as 0xd9": lambda c, o: b"\xa2" + R + b"\x81" + _link(c, b"\xd9\x00\x2a") + V + b"\x01",
    "tag 42 as 0xda": lambda c, o: b"\xa2" + R + b"\x81" + _link(c, b"\xda\x00\x00\x00\x2a") + V + b"\x01",
    "CID length as 0x5a": lambda c, o: b"\xa2" + R + b"\x81"
    + _link(c, length=b"\x5a" + (len(c) + 1).to_bytes(4, "big")) + V + b"\x01",
    "bytes after the map": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\x01\xff\xff",
    "a map after the map": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\x01\xa0",
    "version twice, 2 then 1": lambda c, o: b"\xa3" + R + b"\x81" + _link(c) + V + b"\x02" + V + b"\x01",
    "version twice, 1 then 2": lambda c, o: b"\xa3" + R + b"\x81" + _link(c) + V + b"\x01" + V + b"\x02",
    "roots twice": lambda c, o: b"\xa3" + R + b"\x81" + _link(c) + V + b"\x01" + R + b"\x81" + _link(o),
    "a root tagged 43": lambda c, o: b"\xa2" + R + b"\x81" + _link(c, b"\xd8\x2b") + V + b"\x01",
    "a root untagged": lambda c, o: b"\xa2" + R + b"\x81" + _link(c, b"") + V + b"\x01",
    "a root without 0x00": lambda c, o: b"\xa2" + R + b"\x81\xd8\x2a\x58" + bytes([len(c)]) + c + V + b"\x01",
    "a root of text": lambda c, o: b"\xa2" + R + b"\x81\xd8\x2a\x63abc" + V + b"\x01",
    "two tags on a root": lambda c, o: b"\xa2" + R + b"\x81\xc1" + _link(c) + V + b"\x01",
    "a negative version": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\x20",
    "a half-float version": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\xf9\x3c\x00",
    "an undefined version": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\xf7",
    "a simple-value version": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + V + b"\xf8\x20",
    "an indefinite list": lambda c, o: b"\xa2" + R + b"\x9f" + _link(c) + b"\xff" + V + b"\x01",
    "an indefinite map": lambda c, o: b"\xbf" + R + b"\x81" + _link(c) + V + b"\x01\xff",
    "a key in bytes": lambda c, o: b"\xa2\x45roots\x81" + _link(c) + V + b"\x01",
    "a key not UTF-8": lambda c, o: b"\xa3" + R + b"\x81" + _link(c) + V + b"\x01\x62\xff\xfe\x01",
    "a key Version": lambda c, o: b"\xa2" + R + b"\x81" + _link(c) + b"\x67Version\x01",
    "null roots, version 0x18 0x01": lambda c, o: b"\xa2" + R + b"\xf6" + V + b"\x18\x01",
    "cut inside a root": lambda c, o: b"\xa2" + R + b"\x81" + _link(c)[:-3],
    "a list nested deep": lambda c, o: b"\xa2" + R + b"\x81" * 40 + _link(c) + V + b"\x01",
}


@pytest.mark.parametrize("case", list(CASES))
def test_car_header_cbor_is_read_as_kubo_reads_it(kubo: KuboRepo, ours: Ours, tmp_path: Path, case: str) -> None:
    data = f"car header {case} {os.urandom(4).hex()}".encode()
    cid = bytes(builtin.cid_for(data, "raw"))
    other = bytes(builtin.cid_for(data + b"!", "raw"))
    header = CASES[case](cid, other)
    path = tmp_path / "h.car"
    path.write_bytes(encode_varint(len(header)) + header + encode_varint(len(cid) + len(data)) + cid + data)
    theirs = kubo.ipfs("dag", "import", "--stats", "--enc=json", path, check=False)
    code, out, err = ours.run("dag", "import", "--stats", "--enc=json", str(path))
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    assert code == 0 or (err.count(b"\n") == 1 and b"Traceback" not in err), err
