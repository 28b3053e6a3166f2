"""Paths from a real Ethereum mainnet header through its transaction trie to a transaction.

Data: block 14764013 from ``fixtures/eth`` (portal-spec-tests block data, verified against the
header's hash and roots by ``corpus.Block.verify``); codecs: the eth-block, eth-tx-trie and
eth-tx modules of this source tree, keccak-256 CIDs (go-codec-dageth's data model). Kubo has
no Ethereum codecs, so the reference here is the modules' own decode of each block.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec.registry import Runtime

from .conftest import FIXTURES, WASM_SRC

pytest.importorskip("rlp", reason="pyrlp builds the corpus")
pytest.importorskip("Crypto", reason="pycryptodome's keccak builds the corpus")


def _corpus() -> Any:
    spec = importlib.util.spec_from_file_location("eth_corpus", FIXTURES / "eth" / "corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("eth_corpus", module)
    spec.loader.exec_module(module)
    return module


def _nibble_path(index: int) -> list[int]:
    import rlp

    key = rlp.encode(index)
    return [n for byte in key for n in (byte >> 4, byte & 15)]


def test_header_to_trie_to_transaction(tmp_path: Path) -> None:
    block = _corpus().load(14764013)
    block.verify()
    modules = [WASM_SRC / name / f"{name}.wasm" for name in ("eth-block", "eth-tx-trie", "eth-tx")]
    with Runtime(tmp_path / "home", modules=modules) as rt:
        header = rt.put(block.header, "eth-block", "keccak-256")
        for raw in block.tx_trie.nodes.values():
            rt.put(raw, "eth-tx-trie", "keccak-256")
        txs = [rt.put(tx, "eth-tx", "keccak-256") for tx in block.transactions]
        root = rt.resolve(f"{header}/TxRootCID")
        assert root.remainder == () and root.cid.digest == block.tx_trie.root
        for index in (0, 1, 7, len(txs) - 1):
            path, node = f"/ipfs/{header}/TxRootCID", rt.decode(f"{header}/TxRootCID")
            nibbles = _nibble_path(index)
            while "TrieLeafNode" not in node:  # follow the trie as a user would, one hop at a time
                if "TrieBranchNode" in node:
                    path += f"/TrieBranchNode/Child{nibbles.pop(0):X}/Link"
                else:
                    skipped = len(node["TrieExtensionNode"]["PartialPath"]) * 2 - 1
                    del nibbles[:skipped]
                    path += "/TrieExtensionNode/Child/Link"
                node = rt.decode(path)
            value = rt.decode(f"{path}/TrieLeafNode/Value/Transaction")
            assert value == rt.decode(txs[index])  # the same transaction as its own eth-tx block
            assert rt.decode(f"{path}/TrieLeafNode/Value/Transaction/Amount") == value["Amount"]
        trie = [cid for cid, _ in rt.walk(f"{header}/TxRootCID")]
        assert {cid.digest for cid in trie} == set(block.tx_trie.nodes)  # every trie node, once
