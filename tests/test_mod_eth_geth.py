"""The eth-* modules on blocks a current go-ethereum writes, against go-ethereum's own reading of them.

go-codec-dageth v0.1.0 (the reference of tests/test_mod_eth_family.py) runs go-ethereum v1.10.10,
which predates EIP-4844 and EIP-7702 transactions and their receipts and the Shanghai, Cancun
and Prague header fields; the modules decode those as documented extensions
(wasm-src/eth-tx/eth-tx.ipldsch, eth-block.ipldsch, eth-tx-receipt.ipldsch).  The corpus has a
real blob transaction but no real set-code transaction, no receipt of type 1, 3 or 4 and no
pre-Byzantium receipt.  fixtures/eth/geth-typed.jsonl fills that in: every transaction type
(signed), receipts of every type with both statuses and one with a post-state root, and headers
of all five shapes, encoded by go-ethereum v1.17 (tests/go-ref/gethtyped, deterministic) and
each with go-ethereum's JSON view of the same value.  Every key of the modules' data model is
checked against that view (the transaction and header hashes too), and what go-codec-dageth can
decode is also checked against it, as leaf values of a trie as well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autocodec.errors import InvalidBlock
from autocodec.loader import Sandbox

from .conftest import FIXTURES, WASM_SRC
from . import _eth_dageth
from ._eth_dageth import gen

pytest.importorskip("rlp", reason="pyrlp writes the trie nodes")
pytest.importorskip("Crypto", reason="pycryptodome's keccak checks the hashes")

import rlp  # type: ignore[import-untyped]  # noqa: E402
from Crypto.Hash import keccak  # noqa: E402

helper = _eth_dageth.helper  # the go-codec-dageth fixture (tests/_eth_dageth.py)

GETH = [json.loads(line) for line in (FIXTURES / "eth" / "geth-typed.jsonl").read_text().splitlines()]
MODULES = {"tx": "eth-tx", "rct": "eth-tx-receipt", "header": "eth-block"}
TRIES = {"tx": "eth-tx-trie", "rct": "eth-tx-receipt-trie"}


@pytest.fixture(scope="module")
def codecs() -> dict[str, Any]:
    sandbox = Sandbox()
    names = [*MODULES.values(), *TRIES.values()]
    return {name: sandbox.load((WASM_SRC / name / f"{name}.wasm").read_bytes()).codec() for name in names}


def _keccak(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def _big(q: str | None) -> bytes:
    """go-ethereum's hex quantity as the reference's BigInt: minimal big-endian bytes."""
    n = int(q or "0x0", 16)
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def _u64(q: str) -> bytes:
    return int(q, 16).to_bytes(8, "big")


def _data(d: str) -> bytes:
    return bytes.fromhex(d[2:])


def _expected_tx(j: dict[str, Any]) -> dict[str, Any]:
    t = int(j["type"], 16)
    out: dict[str, Any] = {
        "TxType": bytes([t]),
        "ChainID": None if t == 0 else _big(j["chainId"]),
        "AccountNonce": _u64(j["nonce"]),
        "GasPrice": _big(j["gasPrice"]) if t in (0, 1) else None,
        "GasTipCap": None if t in (0, 1) else _big(j["maxPriorityFeePerGas"]),
        "GasFeeCap": None if t in (0, 1) else _big(j["maxFeePerGas"]),
        "GasLimit": _u64(j["gas"]),
        "Recipient": None if j["to"] is None else _data(j["to"]),
        "Amount": _big(j["value"]),
        "Data": _data(j["input"]),
        "AccessList": None if t == 0 else [
            {"Address": _data(a["address"]), "StorageKeys": [_data(k) for k in a["storageKeys"]]} for a in j["accessList"]],
        "V": _big(j["v"]), "R": _big(j["r"]), "S": _big(j["s"]),
    }
    if t == 3:
        out["MaxFeePerBlobGas"] = _big(j["maxFeePerBlobGas"])
        out["BlobVersionedHashes"] = [_data(h) for h in j["blobVersionedHashes"]]
    if t == 4:
        out["AuthorizationList"] = [
            {"ChainID": _big(a["chainId"]), "Address": _data(a["address"]), "Nonce": _u64(a["nonce"]),
             "V": _big(a["yParity"]), "R": _big(a["r"]), "S": _big(a["s"])} for a in j["authorizationList"]]
    return out


def _expected_receipt(j: dict[str, Any]) -> dict[str, Any]:
    post = j["root"] not in (None, "0x")
    return {
        "TxType": bytes([int(j.get("type", "0x0"), 16)]),
        "PostState": _data(j["root"]) if post else None,
        "Status": None if post else _u64(j["status"]),
        "CumulativeGasUsed": _u64(j["cumulativeGasUsed"]),
        "Bloom": _data(j["logsBloom"]),
        "Logs": [{"Address": _data(g["address"]), "Topics": [_data(t) for t in g["topics"] or []], "Data": _data(g["data"])}
                 for g in j["logs"] or []],
    }


HEADER_LINKS = {"ParentCID": "parentHash", "UnclesCID": "sha3Uncles", "StateRootCID": "stateRoot",
                "TxRootCID": "transactionsRoot", "RctRootCID": "receiptsRoot"}
HEADER_LATER = [("WithdrawalsHash", "withdrawalsRoot", _data), ("BlobGasUsed", "blobGasUsed", _u64),
                ("ExcessBlobGas", "excessBlobGas", _u64), ("ParentBeaconRoot", "parentBeaconBlockRoot", _data),
                ("RequestsHash", "requestsHash", _data)]


def _expected_header(j: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Coinbase": _data(j["miner"]), "Bloom": _data(j["logsBloom"]), "Difficulty": _big(j["difficulty"]),
        "Number": _big(j["number"]), "GasLimit": _u64(j["gasLimit"]), "GasUsed": _u64(j["gasUsed"]),
        "Time": _u64(j["timestamp"]), "Extra": _data(j["extraData"]), "MixDigest": _data(j["mixHash"]),
        "Nonce": _data(j["nonce"]), "BaseFee": _big(j["baseFeePerGas"]) if j.get("baseFeePerGas") else None,
    }
    out.update({key: conv(j[name]) for key, name, conv in HEADER_LATER if j.get(name) is not None})
    return out


def test_the_fixture_covers_every_type_and_shape() -> None:
    kinds = [(g["kind"], int(g["json"].get("type", "0x0"), 16)) for g in GETH if g["kind"] != "header"]
    assert {t for k, t in kinds if k == "tx"} == {t for k, t in kinds if k == "rct"} == {0, 1, 2, 3, 4}
    assert any(g["kind"] == "rct" and g["json"]["root"] != "0x" for g in GETH)  # a pre-Byzantium receipt
    assert sorted(len(rlp.decode(bytes.fromhex(g["hex"]))) for g in GETH if g["kind"] == "header") == [15, 16, 17, 20, 21]


@pytest.mark.parametrize("index", range(len(GETH)), ids=[f"{g['kind']}{i}" for i, g in enumerate(GETH)])
def test_decode_is_go_ethereums_reading(index: int, codecs: dict[str, Any]) -> None:
    """Every key, with the reference's kinds (BigInt minimal bytes, Uint 8 bytes), as go-ethereum
    v1.17 reads the same bytes; the later fields under the names the .ipldsch documents."""
    item = GETH[index]
    block, j = bytes.fromhex(item["hex"]), item["json"]
    codec = codecs[MODULES[item["kind"]]]
    value = codec.decode(block)
    assert codec.encode(value) == block
    if item["kind"] == "tx":
        assert _keccak(block) == _data(j["hash"])
        assert value == _expected_tx(j)
    elif item["kind"] == "rct":
        log_root = value.pop("LogRootCID")
        assert log_root.codec == 0x99
        assert value == _expected_receipt(j)
    else:
        assert _keccak(block) == _data(j["hash"])
        assert {k: value[k].digest for k in HEADER_LINKS} == {k: _data(j[n]) for k, n in HEADER_LINKS.items()}
        assert {k: v for k, v in value.items() if k not in HEADER_LINKS} == _expected_header(j)


def _leaf(value: bytes) -> bytes:
    """A one-entry trie: the leaf under the key RLP(0) (nibbles 8, 0) holding ``value``."""
    out: bytes = rlp.encode([b"\x20\x80", value])
    return out


def test_trie_leaves_hold_every_type(codecs: dict[str, Any]) -> None:
    """A tx or receipt trie leaf of each type decodes to the value its own module gives."""
    for item in GETH:
        if item["kind"] not in TRIES:
            continue
        block = bytes.fromhex(item["hex"])
        trie = codecs[TRIES[item["kind"]]]
        node = trie.decode(_leaf(block))
        (inner,) = node["TrieLeafNode"]["Value"].values()
        assert inner == codecs[MODULES[item["kind"]]].decode(block)
        assert trie.encode(node) == _leaf(block)


def test_what_go_codec_dageth_reads_it_reads_the_same(codecs: dict[str, Any], helper: Path) -> None:
    """Where the reference has a data model (types 0-2, headers up to London), ours is it exactly;
    it refuses exactly the later types and shapes, which are the documented extension."""
    codes = {"eth-tx": 0x93, "eth-tx-receipt": 0x95, "eth-block": 0x90, "eth-tx-trie": 0x92, "eth-tx-receipt-trie": 0x94}
    batches: dict[str, list[tuple[bytes, bool]]] = {name: [] for name in codes}
    for item in GETH:
        block = bytes.fromhex(item["hex"])
        later = (len(rlp.decode(block)) > 16) if item["kind"] == "header" else block[0] in (3, 4)
        batches[MODULES[item["kind"]]].append((block, later))
        if item["kind"] in TRIES:
            batches[TRIES[item["kind"]]].append((_leaf(block), later))
    agreed = 0
    for name, batch in batches.items():
        blocks = [b for b, _ in batch]
        for (block, later), mine, theirs in zip(batch, codecs[name].decode_many(blocks), gen.reference(codes[name], blocks, helper)):
            assert isinstance(theirs, Exception) == later, (name, block.hex()[:40], theirs)
            assert not isinstance(mine, Exception), (name, mine)
            if not later:
                assert mine == theirs, name
                agreed += 1
    assert agreed == 28


def test_a_set_code_transaction_without_a_recipient_is_refused(codecs: dict[str, Any]) -> None:
    """go-ethereum's SetCodeTx.To is an Address, not a pointer: it cannot decode an empty one, nor can we."""
    j = next(g for g in GETH if g["kind"] == "tx" and g["json"]["type"] == "0x4")
    items = rlp.decode(bytes.fromhex(j["hex"])[1:])
    items[5] = b""
    with pytest.raises(InvalidBlock):
        codecs["eth-tx"].decode(b"\x04" + rlp.encode(items))
