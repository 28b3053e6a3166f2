"""Write ``vectors.json`` for the bitcoin-witness-commitment module: the real commitment of the
segwit block in fixtures/bitcoin (block 542213, rebuilt from its coinbase by tests/_bitcoin_graph.py,
which checks its hash against the coinbase), a commitment with a null root, and malformed input.
The expected data model is written here by hand from @ipld/bitcoin's definition
({witnessMerkleRoot, nonce}).  Run: ``python wasm-src/bitcoin-witness-commitment/make_vectors.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from autocodec import CID  # noqa: E402
from autocodec.builtin import encode  # noqa: E402
from tests._bitcoin_graph import block_graph  # noqa: E402


def expected(data: bytes) -> dict[str, Any]:
    root = data[:32]
    return {
        "witnessMerkleRoot": None if root == bytes(32) else CID.build(0xB1, b"\x56\x20" + root),
        "nonce": data[32:],
    }


def real_commitment() -> bytes:
    graph = block_graph(bytes.fromhex((REPO / "fixtures" / "bitcoin" / "block-542213.hex").read_text().strip()))
    assert graph.witness_commitment is not None
    return graph.witness_commitment


def main() -> None:
    real = real_commitment()
    cases: list[dict[str, Any]] = []
    for data in (real, bytes(32) + real[32:], real[:32] + bytes(range(32))):
        cases.append({"decode": data, "expect": expected(data)})
    for bad in (b"", real[:63], real + b"\x00", real * 2):
        cases.append({"decode": bad, "error": True})
    good = expected(real)
    for value in (
        {},
        {**good, "nonce": real[32:63]},
        {**good, "witnessMerkleRoot": CID.build(0xB0, b"\x56\x20" + real[:32])},
        {**good, "witnessMerkleRoot": CID.build(0xB1, b"\x12\x20" + real[:32])},
        {**good, "witnessMerkleRoot": CID.build(0xB1, b"\x56\x20" + bytes(32))},
        {**good, "extra": 1},
        {"nonce": real[32:]},
    ):
        cases.append({"encode": value, "error": True})
    doc = {"kind": "codec", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
