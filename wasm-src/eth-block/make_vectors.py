"""Write ``vectors.json`` for the eth-block module from the real headers in fixtures/eth/.

The expected data model comes from ``expected()``, an oracle independent of the module
(pyrlp for RLP, this file for the dag-eth mapping); tests/test_mod_eth.py uses it too.
Run: ``python wasm-src/eth-block/make_vectors.py`` (needs the bench extra ``rlp``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import rlp  # type: ignore[import-untyped]

from autocodec import CID
from autocodec.builtin import encode

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "fixtures" / "eth"
KECCAK_256 = 0x1B

# (key, kind, linked codec) in RLP order, kinds as go-codec-dageth writes them (header/unmarshal.go):
# link (CIDv1 keccak-256 of the 32-byte hash), bytes (as is), big (minimal big-endian bytes: the
# RLP integer itself), uint (uint64 as 8 big-endian bytes).
FIELDS: list[tuple[str, str, int]] = [
    ("ParentCID", "link", 0x90), ("UnclesCID", "link", 0x91), ("Coinbase", "bytes", 0),
    ("StateRootCID", "link", 0x96), ("TxRootCID", "link", 0x92), ("RctRootCID", "link", 0x94),
    ("Bloom", "bytes", 0), ("Difficulty", "big", 0), ("Number", "big", 0), ("GasLimit", "uint", 0),
    ("GasUsed", "uint", 0), ("Time", "uint", 0), ("Extra", "bytes", 0), ("MixDigest", "bytes", 0),
    ("Nonce", "bytes", 0), ("BaseFee", "big", 0), ("WithdrawalsHash", "bytes", 0),
    ("BlobGasUsed", "uint", 0), ("ExcessBlobGas", "uint", 0), ("ParentBeaconRoot", "bytes", 0),
    ("RequestsHash", "bytes", 0),
]
SHAPES = {15: "frontier", 16: "london", 17: "shanghai", 20: "cancun", 21: "prague"}


def link(codec: int, digest: bytes) -> CID:
    return CID.build(codec, bytes([KECCAK_256, len(digest)]) + digest)


def expected(block: bytes) -> dict[str, Any]:
    """The dag-eth Header data model of a header's RLP, as go-codec-dageth decodes it.

    BaseFee is null before London (the reference's nullable field); the fields of later forks,
    which the reference cannot decode, appear only when the header has them (our extension).
    """
    items = rlp.decode(block)
    assert len(items) in SHAPES
    out: dict[str, Any] = {}
    for i, (key, kind, codec) in enumerate(FIELDS):
        if i >= len(items):
            if key == "BaseFee":
                out[key] = None
            continue
        if kind == "link":
            out[key] = link(codec, items[i])
        elif kind == "uint":
            out[key] = int.from_bytes(items[i], "big").to_bytes(8, "big")
        else:
            out[key] = bytes(items[i])
    return out


def fixtures() -> list[tuple[dict[str, Any], bytes]]:
    manifest = json.loads((FIXTURES / "headers.json").read_text())
    return [(m, (FIXTURES / m["file"]).read_bytes()) for m in manifest]


def bad_blocks(block: bytes) -> dict[str, bytes]:
    """Malformed variants of a (London-shaped or later) header, each rejected by the module."""
    items = rlp.decode(block)
    n = len(items)
    return {
        "empty input": b"",
        "truncated": block[:-1],
        "trailing byte": block + b"\x00",
        "a string, not a list": rlp.encode(b"x" * 40),
        "18 fields (no fork has them)": rlp.encode(items + [b""] * (18 - n)) if n < 18 else rlp.encode(items[:18]),
        "22 fields": rlp.encode(items + [b""] * (22 - n)),
        "14 fields": rlp.encode(items[:14]),
        "nested list as a field": rlp.encode([items[0], [b"a"]] + items[2:]),
        "31-byte parent hash": rlp.encode([items[0][:31]] + items[1:]),
        "21-byte coinbase": rlp.encode(items[:2] + [items[2] + b"\x00"] + items[3:]),
        "integer with a leading zero": rlp.encode(items[:8] + [b"\x00" + items[8]] + items[9:]),
        "zero written as 0x00": rlp.encode(items[:10] + [b"\x00"] + items[11:]),
        "difficulty over 256 bits": rlp.encode(items[:7] + [b"\x01" + b"\x00" * 32] + items[8:]),
        "gas limit over 64 bits": rlp.encode(items[:9] + [b"\x01" + b"\x00" * 8] + items[10:]),
        "list length with a leading zero byte": b"\xfa\x00" + block[1:],
        "long length form for a short list": b"\xf8\x05" + b"\x80" * 5,
        "single byte below 0x80 wrapped as a string": _rewrap_extra(items),
    }


def _rewrap_extra(items: list[bytes]) -> bytes:
    """The header with Extra = b"\\x01" written non-canonically as 0x81 0x01."""
    fields = [rlp.encode(x) for x in items]
    fields[12] = b"\x81\x01"
    body = b"".join(fields)
    return b"\xf9" + len(body).to_bytes(2, "big") + body


def main() -> None:
    cases: list[dict[str, Any]] = []
    for _meta, block in fixtures():
        cases.append({"decode": block, "expect": expected(block)})
    london = (FIXTURES / "mainnet-12965000-london.rlp").read_bytes()
    for _why, bad in bad_blocks(london).items():
        cases.append({"decode": bad, "error": True})
    good = expected(london)
    for value in (
        {},
        {**good, "Extra2": b""},
        {**good, "BaseFee": None, "WithdrawalsHash": b"\x00" * 32},
        {**good, "ParentCID": link(0x91, b"\x00" * 32)},
        {**good, "Coinbase": b"\x00" * 19},
        {**good, "GasUsed": -1},
        {**good, "GasUsed": b"\x01"},  # a Uint is always 8 bytes
        {**good, "Number": b"\x00" + good["Number"]},  # a BigInt is minimal
        {**good, "WithdrawalsHash": None},  # absent, not null
        {k: v for k, v in good.items() if k != "Number"},
    ):
        cases.append({"encode": value, "error": True})
    doc = {"kind": "codec", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
