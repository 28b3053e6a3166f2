"""Write ``vectors.json`` for the bitcoin-tx module: every transaction and merkle node of the real
blocks in fixtures/bitcoin/*.hex, with the data model the JS reference gives for each (node and
the references installed by tools/setup.d/32-refjs-btc-jose.sh), plus malformed blocks and values.
Run: ``python wasm-src/bitcoin-tx/make_vectors.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from autocodec.builtin import decode, encode  # noqa: E402
from tests._bitcoin_graph import BITCOIN_TX, block_graph  # noqa: E402
from tests._refjs import run_reference  # noqa: E402


def main() -> None:
    blocks: list[bytes] = []
    for path in sorted((REPO / "fixtures" / "bitcoin").glob("block-*.hex")):
        graph = block_graph(bytes.fromhex(path.read_text().strip()))
        blocks += [b for cid, b in graph.blocks.items() if cid.codec == BITCOIN_TX]
    answers = run_reference("bitcoin_ref.mjs", [f"tx {b.hex()}" for b in blocks])
    cases: list[dict[str, Any]] = []
    for data, answer in zip(blocks, answers):
        assert not answer.startswith("ERR"), answer
        cases.append({"decode": data, "expect": decode(bytes.fromhex(answer), "dag-cbor")})
    tx = next(b for b in blocks if len(b) != 64)
    segwit = next(b for b in blocks if b[4:6] == b"\x00\x01")
    for bad in (
        b"",
        tx[:10],
        tx[:-1],
        tx + b"\x00",
        tx[:4] + b"\xfd\x01\x00" + tx[5:],  # non-canonical compact size
        tx[:4] + b"\xff" + tx[5:],
        segwit[:-5] + segwit[-4:],
        bytes(63),
        bytes(65),
    ):
        cases.append({"decode": bad, "error": True})
    good = cases[0]["expect"]
    node = next(c["expect"] for c in cases if isinstance(c.get("expect"), list))
    for value in (
        {},
        {**good, "hex": good["hex"][:-2]},
        {**good, "locktime": 1},
        {**good, "txid": "00" * 32},
        {**good, "hex": good["hex"].upper()},
        {k: v for k, v in good.items() if k != "vout"},
        [node[1], None],
        [node[0]],
        [node[0], node[1], node[1]],
        "not a transaction",
    ):
        cases.append({"encode": value, "error": True})
    doc = {"kind": "codec", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
