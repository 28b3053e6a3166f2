#!/usr/bin/env python3
"""Regenerate wasm-src/dag-cbor/vectors.json (docs/abi.md section 5) from the builtin codec.

Positive cases are official IPLD codec fixtures (github.com/ipld/codec-fixtures, under
../shared/codec-fixtures) small enough to keep the file compact, plus edge values; negative
cases are the fixtures' dag-cbor negative set plus one block per DAG-CBOR strictness rule
(ipld.io/specs/codecs/dag-cbor/spec).  Run: python wasm-src/dag-cbor/gen_vectors.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from autocodec import CID, builtin
from autocodec.errors import InvalidBlock

FIXTURES = REPO.parent / "shared" / "codec-fixtures"
MAX_FIXTURE_BYTES = 2048

CID_V1 = bytes(CID.parse("bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm"))
EDGE_VALUES = [
    2**64 - 1, -(2**64), 2**63, -(2**63) - 1, 0, -1, 23, 24, 255, 256, 65535, 65536, 2**32,
    -0.0, 5e-324, 1.7976931348623157e308, "", "\U0001f600", b"", {}, [],
    {"a": 1, "b": 2, "aa": 3, "ab": [None, True, False]},
    [CID.parse("QmQg1v4o9xdT3Q14wh4S7dxZkDjyZ9ssFzFzyep1YrVJBY"), CID(CID_V1)],
]
STRICTNESS = [
    b"", b"\x01\x00", b"\x18\x01", b"\x59\x00\x01a", b"\x9f\xff", b"\x5f\x41a\xff", b"\xff", b"\x1c",
    b"\xf9\x3c\x00", b"\xfa\x3f\x80\x00\x00", b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00",
    b"\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00", b"\xf7", b"\xf0", b"\xf8\x20", b"\xc1\x01",
    b"\xd9\x00\x2a\x58\x25\x00" + CID_V1, b"\xd8\x2a\x61a", b"\xd8\x2a\x58\x24" + CID_V1, b"\xd8\x2a\x40",
    b"\xd8\x2a\x45\x00\x01\x71\x12\x20", b"\xa1\x01\x02", b"\xa2\x61b\x01\x61a\x02", b"\xa2\x62aa\x01\x61b\x02",
    b"\xa2\x61a\x01\x61a\x02", b"\x62\xc3\x28", b"\x63\xed\xa0\x80", b"\x45abc",
    b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", b"\x81" * 1025 + b"\x01",
]


def main() -> None:
    cases = []
    for path in sorted((FIXTURES / "fixtures").glob("*/*.dag-cbor")):
        data = path.read_bytes()
        if len(data) <= MAX_FIXTURE_BYTES:
            cases.append({"decode": data, "expect": builtin.decode(data, "dag-cbor")})
    for value in EDGE_VALUES:
        cases.append({"decode": builtin.encode(value, "dag-cbor"), "expect": value})
    nesting = b"\x81" * 200 + b"\x80"  # deep (the limit itself is tested in tests/test_wasm_dagcbor.py)
    cases.append({"decode": nesting, "expect": builtin.decode(nesting, "dag-cbor")})
    negatives = list(STRICTNESS)
    for path in sorted((FIXTURES / "negative-fixtures" / "dag-cbor").rglob("*.json")):
        negatives += [bytes.fromhex(case["hex"]) for case in json.loads(path.read_text())]
    for data in negatives:
        try:
            builtin.decode(data, "dag-cbor")
        except InvalidBlock:
            cases.append({"decode": data, "error": True})
        else:
            raise SystemExit(f"the builtin codec accepts a negative case: {data[:32].hex()}")
    doc = builtin.encode({"kind": "codec", "cases": cases}, "dag-json")
    (HERE / "vectors.json").write_bytes(doc + b"\n")
    print(f"{len(cases)} cases, {len(doc)} bytes")


if __name__ == "__main__":
    main()
