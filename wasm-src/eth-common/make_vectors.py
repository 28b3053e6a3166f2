"""Write ``vectors.json`` for the Ethereum family modules (wasm-src/eth-*, but eth-block, whose
vectors come from its own make_vectors.py) from the real corpus in fixtures/eth (corpus.py).

The expected data model of every decode case is what the reference, go-codec-dageth v0.1.0
(``.cache/go/bin/dageth-ref``, built by tools/setup.d/40-go-dageth.sh), gives for the block,
with the one documented difference applied (LogRootCID links with eth-receipt-log-trie 0x99,
where the reference writes 0x9a); blocks the reference cannot decode are left out.  Malformed
blocks of each codec must fail.
Run: ``python wasm-src/eth-common/make_vectors.py`` (needs the helper, pyrlp, pycryptodome).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import rlp  # type: ignore[import-untyped]

from autocodec import CID
from autocodec.builtin import encode
from autocodec.errors import InvalidCID

HERE = Path(__file__).resolve().parent
WASM_SRC = HERE.parent
REPO = WASM_SRC.parent
HELPER = REPO / ".cache" / "go" / "bin" / "dageth-ref"

CODES = {
    "eth-block": 0x90, "eth-block-list": 0x91, "eth-tx-trie": 0x92, "eth-tx": 0x93,
    "eth-tx-receipt-trie": 0x94, "eth-tx-receipt": 0x95, "eth-state-trie": 0x96,
    "eth-account-snapshot": 0x97, "eth-storage-trie": 0x98, "eth-receipt-log-trie": 0x99,
    "eth-receipt-log": 0x9A,
}


def load_corpus() -> Any:
    spec = importlib.util.spec_from_file_location("eth_corpus", REPO / "fixtures" / "eth" / "corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def from_dag_json(v: Any) -> Any:
    """DAG-JSON (as the helper prints it) -> the data model (CID, bytes, dict, list, None)."""
    if isinstance(v, dict):
        if list(v) == ["/"]:
            x = v["/"]
            if isinstance(x, str):
                return CID.parse(x)
            b = x["bytes"]
            return base64.b64decode(b + "=" * (-len(b) % 4))
        return {k: from_dag_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_dag_json(x) for x in v]
    return v


def fix_log_root(v: Any) -> Any:
    """The documented difference: the reference links LogRootCID with the eth-receipt-log
    codec (0x9a); the link names the root node of the log trie, so it is 0x99 here."""
    if isinstance(v, dict):
        out = {k: fix_log_root(x) for k, x in v.items()}
        lr = out.get("LogRootCID")
        if isinstance(lr, CID) and lr.codec == 0x9A:
            out["LogRootCID"] = CID.build(0x99, lr.multihash)
        return out
    if isinstance(v, list):
        return [fix_log_root(x) for x in v]
    return v


def reference(code: int, blocks: list[bytes], helper: Path = HELPER) -> list[Any]:
    """The reference's data model of each block (with the documented difference applied), or
    an Exception carrying its error message."""
    feed = "".join(f"{code} {b.hex()}\n" for b in blocks)
    out = subprocess.run([str(helper)], input=feed, capture_output=True, text=True, check=True).stdout
    results: list[Any] = []
    for line in out.splitlines():
        doc = json.loads(line)
        if "error" in doc:
            results.append(Exception(doc["error"]))
            continue
        try:
            results.append(fix_log_root(from_dag_json(doc["ok"])))
        except InvalidCID as exc:  # e.g. an extension child that is not a 32-byte hash
            results.append(Exception(f"the reference wrote a malformed CID: {exc}"))
    assert len(results) == len(blocks)
    return results


def corpus_blocks(corpus: Any, genesis_nodes: list[bytes] | None = None) -> dict[str, list[bytes]]:
    """Every real block of the corpus, by codec name."""
    blocks = corpus.all_blocks()
    proof = corpus.storage_proof()
    state = genesis_nodes if genesis_nodes is not None else list(corpus.genesis_state().nodes.values())
    return {
        "eth-block": [b.header for b in blocks] + [corpus.genesis_header()],
        "eth-block-list": [b.uncles for b in blocks],
        "eth-tx": [t for b in blocks for t in b.transactions] + corpus.typed_transactions(),
        "eth-tx-receipt": [r for b in blocks for r in b.receipts],
        "eth-tx-trie": [n for b in blocks for n in b.tx_trie.nodes.values()],
        "eth-tx-receipt-trie": [n for b in blocks for n in b.rct_trie.nodes.values()],
        "eth-receipt-log": [x for b in blocks for x in b.logs],
        # the root of an empty trie, RLP(""), names no node: neither codec decodes it
        "eth-receipt-log-trie": [n for b in blocks for t in b.log_tries for n in t.nodes.values() if n != b"\x80"],
        # the genesis state, then a mainnet account proof (block 19,000,000, WETH)
        "eth-state-trie": state + proof.account_proof,
        "eth-account-snapshot": list(corpus.genesis_accounts().values()) + [proof.account],
        # a mainnet storage proof: WETH's slot 2 at block 19,000,000
        "eth-storage-trie": proof.storage_proof,
    }


def malformed(block: bytes, name: str) -> list[bytes]:
    """Inputs the codec `name` refuses, made from a real block of it."""
    out = [b"", block[:-1], block + b"\x00", b"\x80", rlp.encode(b"x" * 40)]
    if name != "eth-block-list":  # an empty list is an empty uncle list
        out.append(b"\xc0")
    items = rlp.decode(block[1:] if block[0] < 0x80 else block)
    if isinstance(items, list) and items:
        out.append(rlp.encode(items + [b""]))  # one field too many
        if name != "eth-block-list":  # fewer uncles is still an uncle list
            out.append(rlp.encode(items[:-1]))  # one too few
    return [b for b in out if b != block]


def main() -> None:
    corpus = load_corpus()
    sets = corpus_blocks(corpus)
    for name, blocks in sets.items():
        if name == "eth-block":
            continue  # eth-block/make_vectors.py
        picked = blocks[:6] + blocks[-2:] if len(blocks) > 8 else blocks
        if name == "eth-state-trie":
            picked = blocks[:4] + blocks[-4:]  # genesis nodes and the mainnet account proof
        cases: list[dict[str, Any]] = []
        for block, expect in zip(picked, reference(CODES[name], picked)):
            if not isinstance(expect, Exception):
                cases.append({"decode": block, "expect": expect})
        for bad in malformed(picked[0], name):
            cases.append({"decode": bad, "error": True})
        cases.append({"encode": {}, "error": True})
        cases.append({"encode": [{}] if name == "eth-block-list" else [], "error": True})
        doc = {"kind": "codec", "cases": cases}
        (WASM_SRC / name / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
