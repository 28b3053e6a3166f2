"""Write ``vectors.json`` for the bitcoin-block module from the real headers in fixtures/bitcoin/.

The expected data model comes from ``expected()``, an oracle independent of the module
(``struct``, ``hashlib`` and Bitcoin Core's GetDifficulty in Python floats) that follows the
header @ipld/bitcoin decodes (see bitcoin-block.ipldsch); tests/test_mod_bitcoin.py checks the
same oracle against the JS reference.  Run: ``python wasm-src/bitcoin-block/make_vectors.py``.
"""

from __future__ import annotations

import hashlib
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
MAX_SAFE = (1 << 53) - 1


def link(codec: int, digest: bytes) -> CID:
    return CID.build(codec, bytes([DBL_SHA2_256, 32]) + digest)


def difficulty(bits: int) -> float:
    shift = (bits >> 24) & 0xFF
    d = 65535.0 / (bits & 0xFFFFFF)
    while shift < 29:
        d *= 256.0
        shift += 1
    while shift > 29:
        d /= 256.0
        shift -= 1
    return d


def js_number(v: float) -> int | float:
    """A JS number as @ipld/dag-cbor writes it: an Int when integral and safe, else a Float."""
    return int(v) if v.is_integer() and abs(v) <= MAX_SAFE else v


def expected(header: bytes) -> dict[str, Any]:
    """The data model of an 80-byte header (a zero mantissa in bits is refused: ValueError)."""
    version, prev, merkle, time, bits, nonce = struct.unpack("<i32s32sIII", header)
    if bits & 0xFFFFFF == 0:
        raise ValueError("infinite difficulty")
    value: dict[str, Any] = {
        "hash": hashlib.sha256(hashlib.sha256(header).digest()).digest()[::-1].hex(),
        "version": version,
        "versionHex": struct.pack(">I", version & 0xFFFFFFFF).hex(),
        "merkleroot": merkle[::-1].hex(),
        "time": time,
        "nonce": nonce,
        "bits": format(bits, "x"),
        "difficulty": js_number(difficulty(bits)),
        "parent": None if prev == bytes(32) else link(BITCOIN_BLOCK, prev),
        "tx": link(BITCOIN_TX, merkle),
    }
    if prev != bytes(32):
        value["previousblockhash"] = prev[::-1].hex()
    return value


def fixtures() -> list[tuple[dict[str, Any], bytes]]:
    manifest = json.loads((FIXTURES / "headers.json").read_text())
    return [(m, (FIXTURES / m["file"]).read_bytes()) for m in manifest]


def main() -> None:
    cases: list[dict[str, Any]] = []
    for _meta, header in fixtures():
        cases.append({"decode": header, "expect": expected(header)})
    header = (FIXTURES / "block-170.bin").read_bytes()
    zero_bits = header[:72] + bytes([0, 0, 0, 0x1D]) + header[76:]
    for bad in (b"", header[:79], header + b"\x00", header * 2, zero_bits):
        cases.append({"decode": bad, "error": True})
    good = expected(header)
    for value in (
        {},
        {**good, "hash": "00" * 32},
        {**good, "difficulty": 2},
        {**good, "parent": link(BITCOIN_TX, bytes(range(32)))},
        {**good, "bits": "1D00FFFF"},
        {**good, "bits": "01d00ffff"},
        {**good, "time": 1 << 32},
        {**good, "version": 1 << 31},
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "nonce"},
        {k: v for k, v in good.items() if k != "previousblockhash"},
    ):
        cases.append({"encode": value, "error": True})
    doc = {"kind": "codec", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
