"""The Ethereum codec family (wasm-src/eth-*, multicodecs 0x90-0x9a) on real mainnet data.

The corpus (fixtures/eth/corpus.py) is real and proves it: mainnet blocks 14764013 and 15537393
with all their transactions and receipts (ethereum/portal-spec-tests), whose rebuilt tx trie,
receipt trie and uncle list hash to the roots in the headers, and the mainnet genesis state
(go-ethereum's allocation, 8893 accounts) whose trie root is the genesis header's state root.

Checked here, in the real sandbox:
- every block of every codec decodes, and encodes back to the identical bytes;
- the data model equals go-codec-dageth v0.1.0's (the reference, run through the Go helper
  tests/go-ref/dageth) for every block, but for the documented differences (README of each
  .ipldsch): LogRootCID links with 0x99, fork fields and tx types the reference predates;
- links are the keccak-256 CIDs of the blocks they name (CIDs equal the real identifiers);
- the walk from a header through its tx trie to every transaction works with links alone,
  through `car export` and a fresh home that decodes every block of the CAR;
- malformed and mutated input is a typed InvalidBlock error, never a crash.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from autocodec import CID
from autocodec.errors import AutocodecError, GuestError, InvalidBlock
from autocodec.loader import run_vectors

from . import _eth_dageth
from ._eth_dageth import CODES, TRIES, extension, gen, load_module, rlp_encode, stricter
from ._eth_random import compact_path, random_receipt, random_tx
from .conftest import FIXTURES, WASM_SRC

pytest.importorskip("rlp", reason="pyrlp builds the corpus")
pytest.importorskip("Crypto", reason="pycryptodome's keccak builds the corpus")

import rlp  # type: ignore[import-untyped]  # noqa: E402


corpus = load_module("eth_corpus", FIXTURES / "eth" / "corpus.py")
sandbox, codecs, helper = _eth_dageth.sandbox, _eth_dageth.codecs, _eth_dageth.helper  # shared fixtures (tests/_eth_dageth.py)


@pytest.fixture(scope="module")
def blocks() -> list[Any]:
    out: list[Any] = corpus.all_blocks()
    for b in out:
        b.verify()
    return out


@pytest.fixture(scope="module")
def genesis() -> Any:
    return corpus.genesis_state()


@pytest.fixture(scope="module")
def sets(blocks: list[Any], genesis: Any) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = gen.corpus_blocks(corpus, list(genesis.nodes.values()))
    return out


# ---- the corpus is real ------------------------------------------------------------------------


def test_corpus_roots_verify(blocks: list[Any], genesis: Any) -> None:
    """The rebuilt tries hash to the header's roots; the headers hash to the block hashes."""
    assert [b.number for b in blocks] == [14764013, 15537393, 19426587]
    assert [len(b.transactions) for b in blocks] == [19, 1, 37]
    assert len(rlp.decode(blocks[2].header)) == 20  # a Cancun header: the reference cannot read it
    big = blocks[0]
    assert (len(big.transactions), len(big.receipts), len(rlp.decode(big.uncles))) == (19, 19, 1)
    types = {t[0] if t[0] < 0x80 else 0 for b in blocks for t in b.transactions}
    assert types == {0, 2}  # legacy and EIP-1559 on mainnet
    assert len(corpus.genesis_accounts()) == 8893 and len(genesis.nodes) == 12356
    proof = corpus.storage_proof()  # verified: state root -> account -> storage root -> slot
    assert (len(proof.account_proof), len(proof.storage_proof)) == (9, 7)


def test_typed_transactions_are_the_listed_ones(codecs: dict[str, Any]) -> None:
    """EIP-2930 and EIP-4844 transactions (go-ethereum's API test data; keccak-256 checked in
    corpus.py): decoded with the reference's keys plus, for type 3, the documented extension."""
    tx = codecs["eth-tx"].codec()
    t1, t3 = (tx.decode(raw) for raw in corpus.typed_transactions())
    assert (t1["TxType"], t1["Recipient"], t1["GasTipCap"], t1["GasFeeCap"]) == (b"\x01", None, None, None)
    assert t1["AccessList"] == [{"Address": bytes.fromhex("031ec7").rjust(20, b"\0"), "StorageKeys": [bytes(32)]}]
    assert (t3["TxType"], t3["GasPrice"], t3["GasTipCap"], t3["MaxFeePerBlobGas"]) == (b"\x03", None, b"\x01", b"\x01")
    assert t3["BlobVersionedHashes"] == [b"\x01" + bytes(31)] and "AuthorizationList" not in t3
    assert set(t3) - set(t1) == {"MaxFeePerBlobGas", "BlobVersionedHashes"}


def test_receipts_of_later_types(codecs: dict[str, Any], blocks: list[Any]) -> None:
    """A receipt's shape is the same for every type: one of type 3 or 4 (extension: the
    reference predates them) decodes like the type-2 receipt it is made from, its TxType aside;
    type 5 and a 0x00 prefix are refused."""
    rct = codecs["eth-tx-receipt"].codec()
    raw = next(r for r in blocks[0].receipts if r[0] == 2)
    base = rct.decode(raw)
    for typ in (3, 4):
        v = rct.decode(bytes([typ]) + raw[1:])
        assert v == {**base, "TxType": bytes([typ])} and rct.encode(v) == bytes([typ]) + raw[1:]
    for bad in (b"\x05" + raw[1:], b"\x00" + raw[1:]):
        with pytest.raises(InvalidBlock):
            rct.decode(bad)


def test_set_code_transaction_layout(codecs: dict[str, Any]) -> None:
    """An EIP-7702 transaction laid out by the EIP (built here with pyrlp: no real one is in the
    corpus): the extension keys, the authorization tuples, the exact round trip."""
    tx = codecs["eth-tx"].codec()
    to = bytes.fromhex("62b53c45305d29bbe4b1bfa49dd78766b2f1e624")
    auth = [1, bytes(19) + b"\x01", 7, 1, 2**255 + 3, 5]
    raw = b"\x04" + rlp_encode([1, 0x6233, 0x6A5EFC76, 0x6A5EFC76, 100000, to, 0, b"\x2c\x7b\xdd\xf4", [], [auth], 1, 9, 10])
    v = tx.decode(raw)
    assert v["TxType"] == b"\x04" and v["GasPrice"] is None and v["Recipient"] == to
    assert v["AuthorizationList"] == [{"ChainID": b"\x01", "Address": bytes(19) + b"\x01", "Nonce": (7).to_bytes(8, "big"),
                                       "V": b"\x01", "R": (2**255 + 3).to_bytes(32, "big"), "S": b"\x05"}]
    assert tx.encode(v) == raw
    with pytest.raises(InvalidBlock):  # a type-4 transaction cannot create a contract
        tx.decode(b"\x04" + rlp_encode([1, 1, 1, 1, 1, b"", 0, b"", [], [auth], 1, 9, 10]))
    with pytest.raises(InvalidBlock):  # the y parity is one byte
        tx.decode(b"\x04" + rlp_encode([1, 1, 1, 1, 1, to, 0, b"", [], [auth[:3] + [256] + auth[4:]], 1, 9, 10]))


def test_every_module_is_declared(codecs: dict[str, Any]) -> None:
    for name, code in CODES.items():
        info = codecs[name].info
        assert (info.kind, info.name, tuple(info.codes)) == ("codec", name, (code,))
        assert "ac_links" in info.exports


@pytest.mark.parametrize("name", [n for n in CODES if n != "eth-block"])
def test_vectors(name: str, codecs: dict[str, Any]) -> None:
    report = run_vectors(codecs[name], (WASM_SRC / name / "vectors.json").read_bytes())
    assert report.ok, report.failures


# ---- decode, round trip, links ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CODES))
def test_every_block_decodes_and_round_trips(name: str, codecs: dict[str, Any], sets: dict[str, list[bytes]]) -> None:
    codec = codecs[name].codec()
    data = sets[name]
    assert data
    values = codec.decode_many(data)
    for block, value in zip(data, values):
        assert not isinstance(value, Exception), value
        assert codec.encode(value) == block


EMPTY_TRIE = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
EMPTY_CODE = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


def _walkable(cids: list[CID]) -> list[CID]:
    """The links ac_links gives: all but those naming no block (empty trie root, empty code)."""
    return [c for c in cids if not (c.digest == EMPTY_TRIE and c.codec != 0x55)
            and not (c.digest == EMPTY_CODE and c.codec == 0x55)]


def _cids(value: Any) -> list[CID]:
    if isinstance(value, CID):
        return [value]
    if isinstance(value, dict):
        return [c for v in value.values() for c in _cids(v)]
    if isinstance(value, list):
        return [c for v in value for c in _cids(v)]
    return []


@pytest.mark.parametrize("name", sorted(TRIES))
def test_trie_links_name_the_child_nodes(name: str, codecs: dict[str, Any], sets: dict[str, list[bytes]],
                                         blocks: list[Any], genesis: Any) -> None:
    """Every child link of a trie node is the keccak-256 CID, with the trie's codec, of a node
    of the same trie: the links are the real identifiers."""
    codec = codecs[name].codec()
    code = CODES[name]
    proof = corpus.storage_proof()
    proofs = {"eth-state-trie": proof.account_proof, "eth-storage-trie": proof.storage_proof}.get(name, [])
    known = {corpus.keccak256(n) for n in sets[name] if n not in proofs}  # whole tries
    children = 0
    for node in sets[name]:
        links = codec.links(node)
        assert links == _walkable(_cids(codec.decode(node)))
        for link in links:
            if link.codec == code:
                assert (link.version, link.hash_code, len(link.digest)) == (1, 0x1B, 32)
                assert node in proofs or link.digest in known, f"{name}: a link to no node of the trie"
                children += 1
    # a proof is a path: each node links to the next by its keccak-256 CID
    for parent, child in zip(proofs, proofs[1:]):
        assert CID.build(code, bytes([0x1B, 32]) + corpus.keccak256(child)) in codec.links(parent)
    assert children > 0 or name == "eth-receipt-log-trie"


def test_mainnet_storage_proof(codecs: dict[str, Any]) -> None:
    """WETH at block 19,000,000 (portal-spec-tests, verified in corpus.py): the account's
    StorageRootCID names the first node of the storage proof, and the storage leaf holds the
    slot's value, RLP(18), as Bytes."""
    proof = corpus.storage_proof()
    account = codecs["eth-account-snapshot"].codec().decode(proof.account)
    assert account["StorageRootCID"] == CID.build(0x98, bytes([0x1B, 32]) + corpus.keccak256(proof.storage_proof[0]))
    assert account["CodeCID"].codec == 0x55 and len(account["Nonce"]) == 8
    leaf = codecs["eth-storage-trie"].codec().decode(proof.storage_proof[-1])
    assert leaf["TrieLeafNode"]["Value"] == {"Bytes": b"\x12"}
    assert leaf["TrieLeafNode"]["PartialPath"][-1] == 16
    state_leaf = codecs["eth-state-trie"].codec().decode(proof.account_proof[-1])
    assert state_leaf["TrieLeafNode"]["Value"] == {"Account": account}


def test_header_links_are_the_real_roots(codecs: dict[str, Any], blocks: list[Any]) -> None:
    header = codecs["eth-block"].codec()
    for b in blocks:
        v = header.decode(b.header)
        assert v["TxRootCID"] == CID.build(0x92, bytes([0x1B, 32]) + b.tx_trie.root)
        assert v["RctRootCID"] == CID.build(0x94, bytes([0x1B, 32]) + b.rct_trie.root)
        assert v["UnclesCID"] == CID.build(0x91, bytes([0x1B, 32]) + corpus.keccak256(b.uncles))


def test_receipt_log_root_is_the_log_trie_root(codecs: dict[str, Any], blocks: list[Any]) -> None:
    """LogRootCID (go-codec-dageth's addition) is the root of the receipt's log trie, computed
    inside the module; here rebuilt independently."""
    receipt = codecs["eth-tx-receipt"].codec()
    for b in blocks:
        for raw, trie in zip(b.receipts, b.log_tries):
            v = receipt.decode(raw)
            assert v["LogRootCID"] == CID.build(0x99, bytes([0x1B, 32]) + trie.root)
            assert len(v["Logs"]) == len(rlp.decode(raw[1:] if raw[0] < 0x80 else raw)[3])


def test_transactions_from_the_tx_trie(codecs: dict[str, Any], blocks: list[Any]) -> None:
    """Walking the tx trie from the header's TxRootCID by links alone reaches every
    transaction of the block, in index order, equal to eth-tx's own decoding of it."""
    header, trie, tx = (codecs[n].codec() for n in ("eth-block", "eth-tx-trie", "eth-tx"))
    for b in blocks:
        store = {corpus.keccak256(n): n for n in b.tx_trie.nodes.values()}
        root = header.decode(b.header)["TxRootCID"]
        found = _trie_values(trie, store, trie.decode(store[root.digest]), [])
        found.sort(key=lambda kv: rlp.decode(kv[0], sedes=rlp.sedes.big_endian_int))
        assert [v["Transaction"] for _k, v in found] == [tx.decode(t) for t in b.transactions]


def _trie_values(trie: Any, store: dict[bytes, bytes], node: dict[str, Any], path: list[int]) -> list[tuple[bytes, Any]]:
    """(key, leaf value) of every leaf under a decoded trie node, following links into store."""
    kind, body = next(iter(node.items()))
    if kind == "TrieExtensionNode":
        return _trie_values(trie, store, trie.decode(store[body["Child"].digest]), path + list(body["PartialPath"]))
    if kind == "TrieLeafNode":
        nibbles = path + list(body["PartialPath"][:-1])
        return [(bytes(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, len(nibbles), 2)), body["Value"])]
    out = []
    for i in range(16):
        child = body[f"Child{i:X}"]
        if child is not None:
            sub = trie.decode(store[child["Link"].digest]) if "Link" in child else child["TrieNode"]
            out += _trie_values(trie, store, sub, path + [i])
    return out


# ---- the reference -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CODES))
def test_agrees_with_go_codec_dageth(name: str, helper: Path, codecs: dict[str, Any],
                                     sets: dict[str, list[bytes]]) -> None:
    codec = codecs[name].codec()
    data = sets[name]
    ours = codec.decode_many(data)
    refs = gen.reference(CODES[name], data, helper)
    agree = extended = 0
    for block, mine, theirs in zip(data, ours, refs):
        if isinstance(theirs, Exception):
            assert extension(name, block), f"{name}: the reference refuses a block: {theirs}"
            extended += 1
            continue
        assert mine == theirs
        agree += 1
    assert agree + extended == len(data) and agree > 0


def test_random_transactions_and_receipts_agree_with_the_reference(helper: Path, codecs: dict[str, Any]) -> None:
    """Random well-formed transactions (types 0-2) and receipts (up to 130 logs, so log tries
    with extensions and branches), encoded with pyrlp: the data model equals the reference's
    (its LogRootCID made 0x99), every one round trips."""
    rng = random.Random(0x93)
    for name, make in (("eth-tx", random_tx), ("eth-tx-receipt", random_receipt)):
        codec = codecs[name].codec()
        data = [make(rng) for _ in range(150)]
        ours = codec.decode_many(data)
        for block, mine, theirs in zip(data, ours, gen.reference(CODES[name], data, helper)):
            assert not isinstance(theirs, Exception), theirs
            assert mine == theirs
            assert codec.encode(mine) == block


def _random_node(rng: random.Random) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:
        return rlp_encode([compact_path(rng, True), rng.randbytes(rng.choice([1, 20, 33, 100]))])
    if kind == 1:
        return rlp_encode([compact_path(rng, False), rng.randbytes(32)])
    children: list[Any] = []
    for _ in range(16):
        c = rng.randrange(3)
        children.append(b"" if c == 0 else rng.randbytes(32) if c == 1
                        else [compact_path(rng, True, 6), rng.randbytes(rng.randrange(1, 8))])  # embedded leaf
    return rlp_encode(children + [rng.choice([b"", rng.randbytes(rng.randrange(1, 40))])])


def test_random_storage_trie_nodes_agree_with_the_reference(helper: Path, codecs: dict[str, Any]) -> None:
    """Random branch (with embedded leaves and values), extension and leaf nodes of every path
    length, read as storage trie nodes (Bytes values): the reference's data model exactly."""
    rng = random.Random(0x98)
    codec = codecs["eth-storage-trie"].codec()
    data = [_random_node(rng) for _ in range(300)]
    for block, mine, theirs in zip(data, codec.decode_many(data), gen.reference(0x98, data, helper)):
        assert not isinstance(theirs, Exception), theirs
        assert mine == theirs
        assert codec.encode(mine) == block


@pytest.mark.parametrize("name", list(CODES))
def test_mutated_blocks_against_the_reference(name: str, helper: Path, codecs: dict[str, Any],
                                             sets: dict[str, list[bytes]]) -> None:
    """Mutated real blocks through both codecs: where both decode, the data models are equal;
    where only we decode, it is a documented extension; where only the reference does, it is a
    documented strictness of ours (so far only in trie nodes)."""
    codec = codecs[name].codec()
    rng = random.Random(CODES[name] + 7)
    seeds = sets[name][:50]
    data = []
    for _ in range(600):
        d = bytearray(rng.choice(seeds))
        op = rng.randrange(4)
        if op == 0:
            d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
        elif op == 1:
            d[rng.randrange(min(len(d), 48))] = rng.choice([0x80, 0x81, 0xB8, 0xC0, 0xF8, 0x00, 0x01, 0x20, 0x30, 0x10])
        elif op == 2:
            del d[rng.randrange(len(d))]
        else:
            i = rng.randrange(len(d))
            d[i:i] = bytes([rng.randrange(256)])
        data.append(bytes(d))
    both = 0
    for block, mine, theirs in zip(data, codec.decode_many(data), gen.reference(CODES[name], data, helper)):
        if isinstance(mine, Exception) and not isinstance(theirs, Exception):
            assert stricter(name, block), (block.hex(), str(mine))
        elif not isinstance(mine, Exception) and isinstance(theirs, Exception):
            assert extension(name, block), (block.hex(), str(theirs))
        elif not isinstance(mine, Exception):
            assert mine == theirs
            both += 1
    assert both > 0


def test_log_root_is_the_only_difference_in_receipts(helper: Path, codecs: dict[str, Any],
                                                     sets: dict[str, list[bytes]]) -> None:
    """Unmodified, the reference's receipts differ from ours in the LogRootCID codec alone (0x9a
    there, eth-receipt-log-trie 0x99 here): same digest, every other key equal."""
    codec = codecs["eth-tx-receipt"].codec()
    data = sets["eth-tx-receipt"]
    feed = "".join(f"{0x95} {b.hex()}\n" for b in data)
    import subprocess

    lines = subprocess.run([str(helper)], input=feed, capture_output=True, text=True, check=True).stdout.splitlines()
    for block, line in zip(data, lines):
        theirs = gen.from_dag_json(json.loads(line)["ok"])
        mine = codec.decode(block)
        assert theirs["LogRootCID"].codec == 0x9A and mine["LogRootCID"].codec == 0x99
        assert theirs["LogRootCID"].digest == mine["LogRootCID"].digest
        assert {k: v for k, v in theirs.items() if k != "LogRootCID"} == {k: v for k, v in mine.items() if k != "LogRootCID"}


def test_malformed_blocks_are_typed_errors(codecs: dict[str, Any], sets: dict[str, list[bytes]]) -> None:
    """Truncated, padded, re-shaped real blocks of every codec: a typed InvalidBlock each."""
    for name in CODES:
        if name == "eth-block":
            continue  # a header one field short can be a valid older shape: tests/test_mod_eth.py
        codec = codecs[name].codec()
        bad = gen.malformed(sets[name][0], name)
        for block, mine in zip(bad, codec.decode_many(bad)):
            assert isinstance(mine, InvalidBlock), (name, block.hex()[:40])


# ---- walking with links alone: car export, a fresh home ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 2], ids=["london-14764013", "cancun-19426587"])
def test_walk_from_the_header_through_car_export(index: int, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, blocks: list[Any],
                                                 codecs: dict[str, Any]) -> None:
    """Put the header and every trie node of a block with the extensions (CIDs computed by
    autocodec equal the real identifiers), resolve the tx trie from the header by path,
    `car export` it, import the CAR into a fresh home and decode every block of it there."""
    from autocodec.cli import main
    from autocodec.store import CarReader

    b = blocks[index]
    modules = [arg for name in list(CODES) + ["keccak-256"]
               for arg in ("--module", str(WASM_SRC / name / f"{name}.wasm"))]
    assert main(["init"]) == 0
    capsys.readouterr()

    def put(codec: str, data: bytes) -> CID:
        f = tmp_path / "block"
        f.write_bytes(data)
        assert main(["block", "put", "--codec", codec, "--hash", "keccak-256", *modules, str(f)]) == 0
        cid = CID.parse(capsys.readouterr().out.strip())
        assert (cid.codec, cid.hash_code, cid.digest) == (CODES[codec], 0x1B, corpus.keccak256(data))
        return cid

    head = put("eth-block", b.header)
    assert head.digest == b.hash
    for node in b.tx_trie.nodes.values():
        put("eth-tx-trie", node)
    for node in b.rct_trie.nodes.values():
        put("eth-tx-receipt-trie", node)
    put("eth-block-list", b.uncles)

    assert main(["decode", *modules, f"{head}/TxRootCID"]) == 0  # header -> trie root by link
    root_node = json.loads(capsys.readouterr().out)
    assert "TrieBranchNode" in root_node
    tx_root = CID.build(0x92, bytes([0x1B, 32]) + b.tx_trie.root)

    car = tmp_path / "txs.car"
    assert main(["car", "export", *modules, "-o", str(car), str(tx_root)]) == 0
    capsys.readouterr()
    with car.open("rb") as fh:
        reader = CarReader(fh)
        assert reader.roots == [tx_root]
        cids = [cid for cid, _data in reader]
    assert len(cids) == len(b.tx_trie.nodes)

    fresh = tmp_path / "fresh-home"
    monkeypatch.setenv("AUTOCODEC_HOME", str(fresh))
    assert main(["init"]) == 0
    assert main(["car", "import", "-q", *modules, str(car)]) == 0
    capsys.readouterr()
    txs = []
    for cid in cids:
        assert main(["decode", *modules, str(cid)]) == 0
        node = json.loads(capsys.readouterr().out)
        for leaf in _leaves(node):
            txs.append(leaf["Value"]["Transaction"])
    # the leaves hold exactly the block's transactions: each re-encodes to one of them
    tx = codecs["eth-tx"].codec()
    assert sorted(tx.encode(gen.from_dag_json(t)) for t in txs) == sorted(b.transactions)


def _car(path: Path, root: CID, blocks: list[tuple[CID, bytes]]) -> None:
    from autocodec.store import CarWriter

    with path.open("wb") as fh:
        writer = CarWriter(fh, [root])
        for cid, data in blocks:
            writer.write(cid, data)


def _keccak_cid(codec: int, data: bytes) -> CID:
    return CID.build(codec, bytes([0x1B, 32]) + corpus.keccak256(data))


@pytest.mark.slow
def test_walk_receipts_and_their_logs_through_car_export(home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch, blocks: list[Any],
                                                         codecs: dict[str, Any]) -> None:
    """From RctRootCID through the receipt trie, each receipt's LogRootCID and its log trie:
    `car export` follows every link (none to the empty log trie), and a fresh home decodes
    every block of the CAR."""
    from autocodec.cli import main
    from autocodec.store import CarReader

    b = blocks[0]
    modules = [arg for name in list(CODES) + ["keccak-256"]
               for arg in ("--module", str(WASM_SRC / name / f"{name}.wasm"))]
    rct_root = _keccak_cid(0x94, b.rct_trie.nodes[b.rct_trie.root])
    logs = [n for t in b.log_tries for n in t.nodes.values() if n != b"\x80"]
    everything = [(_keccak_cid(0x94, n), n) for n in b.rct_trie.nodes.values()] + [(_keccak_cid(0x99, n), n) for n in logs]
    _car(tmp_path / "in.car", rct_root, everything)
    assert main(["init"]) == 0
    assert main(["car", "import", "-q", *modules, str(tmp_path / "in.car")]) == 0  # hashes verified on import
    out = tmp_path / "out.car"
    assert main(["car", "export", *modules, "-o", str(out), str(rct_root)]) == 0
    with out.open("rb") as fh:
        exported = list(CarReader(fh))
    assert {c for c, _ in exported} == {c for c, _ in everything}  # every node reached by links

    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "fresh"))
    assert main(["init"]) == 0
    assert main(["car", "import", "-q", *modules, str(out)]) == 0
    capsys.readouterr()
    receipts = []
    for cid, _data in exported:
        assert main(["decode", *modules, str(cid)]) == 0
        node = json.loads(capsys.readouterr().out)
        receipts += [leaf["Value"]["Receipt"] for leaf in _leaves(node) if "Receipt" in leaf["Value"]]
    rct = codecs["eth-tx-receipt"].codec()
    assert sorted(rct.encode(gen.from_dag_json(r)) for r in receipts) == sorted(b.receipts)


@pytest.mark.slow
def test_walk_the_genesis_state_through_car_export(home: Path, tmp_path: Path, genesis: Any,
                                                   monkeypatch: pytest.MonkeyPatch, codecs: dict[str, Any]) -> None:
    """The genesis header's StateRootCID reaches all 12356 state trie nodes by links alone (the
    accounts' links to the empty storage trie and empty code name no block and are not
    followed); a fresh home holds exactly them and they decode to the 8893 accounts."""
    from autocodec.cli import main
    from autocodec.store import CarReader

    modules = [arg for name in ("eth-block", "eth-state-trie", "keccak-256")
               for arg in ("--module", str(WASM_SRC / name / f"{name}.wasm"))]
    header = codecs["eth-block"].codec().decode(corpus.genesis_header())
    root = header["StateRootCID"]
    _car(tmp_path / "in.car", root, [(_keccak_cid(0x96, n), n) for n in genesis.nodes.values()])
    assert main(["init"]) == 0
    assert main(["car", "import", "-q", *modules, str(tmp_path / "in.car")]) == 0
    out = tmp_path / "state.car"
    assert main(["car", "export", *modules, "-o", str(out), str(root)]) == 0
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "fresh"))
    assert main(["init"]) == 0
    assert main(["car", "import", "-q", *modules, str(out)]) == 0
    with out.open("rb") as fh:
        exported = list(CarReader(fh))
    assert len(exported) == len(genesis.nodes) == 12356
    trie = codecs["eth-state-trie"].codec()
    accounts = 0
    for node in trie.decode_many([data for _c, data in exported]):
        assert not isinstance(node, Exception)
        accounts += len([leaf for leaf in _leaves(node) if "Account" in leaf["Value"]])
    assert accounts == 8893


def _leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    kind, body = next(iter(node.items()))
    if kind == "TrieLeafNode":
        return [body]
    if kind == "TrieBranchNode":
        return [leaf for i in range(16) if (c := body[f"Child{i:X}"]) and "TrieNode" in c for leaf in _leaves(c["TrieNode"])]
    return []


# ---- malformed and mutated input ------------------------------------------------------------------


def _mutations(rng: random.Random, seeds: list[bytes], count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        op = rng.randrange(6)
        if op == 0 or not data:
            del data[rng.randrange(len(data) + 1):]
        elif op == 1:
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif op == 2:
            i = rng.randrange(min(len(data), 48))
            data[i] = rng.choice([0xB8, 0xBF, 0xF8, 0xFF, 0x80, 0xC0, 0xB7, 0xF7, 0x00, 0x01, 0x05])
        elif op == 3:
            i = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[i:i] = rng.randbytes(rng.randrange(1, 9))
            else:
                del data[i:i + rng.randrange(1, 9)]
        elif op == 4:
            data[1:3] = rng.randbytes(2)
        else:
            data = bytearray(rng.randbytes(rng.randrange(0, 600)))
        out.append(bytes(data))
    return out


@pytest.mark.parametrize("name", list(CODES))
def test_fuzz_mutated_blocks(name: str, codecs: dict[str, Any], sets: dict[str, list[bytes]]) -> None:
    """Mutated real blocks: each is refused with a typed InvalidBlock, or accepted and then
    encodes back to exactly the same bytes (strict decoding is injective)."""
    codec = codecs[name].codec()
    rng = random.Random(CODES[name])
    seeds = sets[name][:40]
    data = _mutations(rng, seeds, 1200)
    accepted = 0
    for block, got in zip(data, codec.decode_many(data)):
        if isinstance(got, AutocodecError):
            assert isinstance(got, GuestError) and isinstance(got, InvalidBlock), got  # never a trap
            continue
        accepted += 1
        assert codec.encode(got) == block
    assert accepted < len(data)


@pytest.mark.parametrize("name", list(CODES))
def test_fuzz_wrong_values_into_encode(name: str, codecs: dict[str, Any], sets: dict[str, list[bytes]]) -> None:
    """Decoded values with parts replaced by junk: encode refuses them cleanly, or what it
    accepts decodes back to the same value."""
    codec = codecs[name].codec()
    rng = random.Random(CODES[name] + 1)
    junk: list[Any] = [None, True, 0, -1, 2**64 - 1, 1.5, "x", b"", bytes(8), bytes(32), [], {}, [{}],
                       CID.build(0x92, bytes([0x1B, 32]) + bytes(32))]

    def mutate(v: Any) -> Any:
        if isinstance(v, dict) and v:
            k = rng.choice(list(v))
            return {**v, k: rng.choice(junk) if rng.random() < 0.5 else mutate(v[k])}
        if isinstance(v, list) and v:
            i = rng.randrange(len(v))
            return v[:i] + [mutate(v[i])] + v[i + 1:]
        return rng.choice(junk)

    base = [codec.decode(b) for b in sets[name][:10]]
    for _ in range(150):
        value = mutate(rng.choice(base))
        try:
            block = codec.encode(value)
        except GuestError as exc:
            assert isinstance(exc, InvalidBlock)
            continue
        assert codec.decode(block) == value
