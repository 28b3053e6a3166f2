"""Write ``vectors.json`` for the bitcoin-block module from the real headers in fixtures/bitcoin/.

The expected data model comes from ``expected()``, an oracle independent of the module
(``struct`` unpacking and the IPLD Bitcoin Header mapping); tests/test_mod_bitcoin.py uses it too.
Run: ``python wasm-src/bitcoin-block/make_vectors.py``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from autocodec import CID
from autocodec.builtin import encode

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "fixtures" / "bitcoin"
DBL_SHA2_256 = 0x56
BITCOIN_BLOCK = 0xB0
BITCOIN_TX = 0xB1


def link(codec: int, digest: bytes) -> CID:
    return CID.build(codec, bytes([DBL_SHA2_256, 32]) + digest)


def expected(header: bytes) -> dict[str, Any]:
    """The IPLD Bitcoin Header of 80 header bytes (parent null for the all-zero genesis parent)."""
    version, prev, merkle, time, bits, nonce = struct.unpack("<i32s32sIII", header)
    return {
        "version": version,
        "parent": None if prev == bytes(32) else link(BITCOIN_BLOCK, prev),
        "tx": link(BITCOIN_TX, merkle),
        "time": time,
        "bits": bits,
        "nonce": nonce,
    }


def fixtures() -> list[tuple[dict[str, Any], bytes]]:
    manifest = json.loads((FIXTURES / "headers.json").read_text())
    return [(m, (FIXTURES / m["file"]).read_bytes()) for m in manifest]


def main() -> None:
    cases: list[dict[str, Any]] = []
    for _meta, header in fixtures():
        cases.append({"decode": header, "expect": expected(header)})
    header = (FIXTURES / "block-170.bin").read_bytes()
    for bad in (b"", header[:79], header + b"\x00", header * 2):
        cases.append({"decode": bad, "error": True})
    good = expected(header)
    for value in (
        {},
        {**good, "extra": 1},
        {**good, "parent": link(BITCOIN_TX, bytes(range(32)))},
        {**good, "tx": CID.build(BITCOIN_TX, bytes([0x12, 32]) + bytes(32))},
        {**good, "parent": link(BITCOIN_BLOCK, bytes(32))},
        {**good, "time": 1 << 32},
        {**good, "version": 1 << 31},
        {**good, "nonce": -1},
        {k: v for k, v in good.items() if k != "bits"},
    ):
        cases.append({"encode": value, "error": True})
    doc = {"kind": "codec", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
