"""The eth-block codec module (wasm-src/eth-block) on real Ethereum headers, in the real sandbox.

Fixtures (fixtures/eth, see SOURCES.md) cover every header shape: Frontier, London, Shanghai,
Cancun (mainnet) and Prague (Sepolia).  The expected data model comes from an oracle that does
not use the module (pyrlp + go-codec-dageth's mapping, written out in
wasm-src/eth-block/make_vectors.py; tests/test_mod_eth_family.py compares with the Go reference
itself), and each header's keccak-256, computed by the keccak-256 *extension*, is its real
block hash.  Integers are Bytes as in the reference: BigInts (Difficulty, Number, BaseFee)
minimal big-endian, Uints (GasLimit, GasUsed, Time, blob gas) 8 bytes.
"""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec import CID
from autocodec.builtin import encode as builtin_encode
from autocodec.errors import AutocodecError, GuestError, InvalidBlock, SandboxError
from autocodec.loader import Sandbox, run_vectors

from .conftest import FIXTURES, WASM_SRC

pytest.importorskip("rlp", reason="pyrlp is the independent RLP oracle")


def _load_oracle() -> Any:
    spec = importlib.util.spec_from_file_location("eth_block_vectors", WASM_SRC / "eth-block" / "make_vectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


oracle = _load_oracle()
MANIFEST = json.loads((FIXTURES / "eth" / "headers.json").read_text())
BLOCKS = {m["file"]: (FIXTURES / "eth" / m["file"]).read_bytes() for m in MANIFEST}
SHAPE_FIELDS = {"frontier": 15, "london": 16, "shanghai": 17, "cancun": 20, "prague": 21}
LINKS = ["ParentCID", "UnclesCID", "StateRootCID", "TxRootCID", "RctRootCID"]
LONDON = BLOCKS["mainnet-12965000-london.rlp"]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture(scope="module")
def loaded(sandbox: Sandbox) -> Any:
    return sandbox.load((WASM_SRC / "eth-block" / "eth-block.wasm").read_bytes())


@pytest.fixture(scope="module")
def codec(loaded: Any) -> Any:
    return loaded.codec()


@pytest.fixture(scope="module")
def keccak(sandbox: Sandbox) -> Any:
    return sandbox.load((WASM_SRC / "keccak-256" / "keccak-256.wasm").read_bytes()).hasher()


def test_module_metadata(loaded: Any) -> None:
    info = loaded.info
    assert (info.kind, info.name, tuple(info.codes)) == ("codec", "eth-block", (0x90,))
    assert "ac_links" in info.exports


def test_every_fork_shape_is_covered() -> None:
    assert {m["shape"] for m in MANIFEST} == set(SHAPE_FIELDS)


@pytest.mark.parametrize("meta", MANIFEST, ids=lambda m: m["file"])
def test_header_is_the_real_block(meta: dict[str, Any], keccak: Any) -> None:
    """keccak-256 (by the Wasm extension) of the fixture is the block hash: the data is real."""
    block = BLOCKS[meta["file"]]
    digest = keccak.digest(block)
    assert digest.hex() == meta["hash"]
    cid = CID.build(0x90, bytes([0x1B, 32]) + digest)
    assert (cid.codec, cid.hash_code, cid.digest) == (0x90, 0x1B, bytes.fromhex(meta["hash"]))
    assert CID.parse(str(cid)) == cid


@pytest.mark.parametrize("meta", MANIFEST, ids=lambda m: m["file"])
def test_decode_matches_the_oracle_and_round_trips(meta: dict[str, Any], codec: Any) -> None:
    block = BLOCKS[meta["file"]]
    value = codec.decode(block)
    assert value == oracle.expected(block)
    assert list(value) == sorted(value, key=lambda k: (len(k), k))  # canonical key order
    present = [k for k, v in value.items() if v is not None]
    assert len(present) == SHAPE_FIELDS[meta["shape"]]
    assert int.from_bytes(value["Number"], "big") == meta["number"]
    assert ("BaseFee" in value) and (value["BaseFee"] is None) == (meta["shape"] == "frontier")
    assert codec.encode(value) == block


@pytest.mark.parametrize("meta", MANIFEST, ids=lambda m: m["file"])
def test_links(meta: dict[str, Any], codec: Any) -> None:
    block = BLOCKS[meta["file"]]
    value = codec.decode(block)
    links = codec.links(block)
    # every link of the data model, in document (canonical key) order, but a link to the empty
    # trie's root (keccak-256 of RLP("")): it names no block (block 1 has no transactions)
    empty = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    assert links == [value[k] for k in value if k in LINKS and value[k].digest != empty]
    assert [c.codec for c in links] == [c for c in [0x90, 0x92, 0x91, 0x94, 0x96] if c in {x.codec for x in links}]
    if meta["file"] == "mainnet-12965000-london.rlp":
        assert [c.codec for c in links] == [0x90, 0x92, 0x91, 0x94, 0x96]
    assert all(c.version == 1 and c.hash_code == 0x1B and len(c.digest) == 32 for c in links)


def test_block_1_fields(codec: Any) -> None:
    v = codec.decode(BLOCKS["mainnet-1-frontier.rlp"])
    genesis = "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"
    assert v["ParentCID"].digest.hex() == genesis
    # keccak-256(RLP([])) = the empty ommers hash
    assert v["UnclesCID"].digest.hex() == "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    assert v["Coinbase"].hex() == "05a56e2d52c817161883f50c441c3228cfe54d9f"
    assert (v["Difficulty"], v["Number"]) == ((17171480576).to_bytes(5, "big"), b"\x01")
    assert (v["GasLimit"], v["GasUsed"], v["Time"]) == ((5000).to_bytes(8, "big"), bytes(8), (1438269988).to_bytes(8, "big"))
    assert v["Extra"] == b"Geth/v1.0.0/linux/go1.4.2"
    assert v["Nonce"].hex() == "539bd4979fef1ec4"
    assert v["Bloom"] == bytes(256)
    assert v["BaseFee"] is None  # the reference's nullable field: present, null
    assert not {"WithdrawalsHash", "BlobGasUsed", "ExcessBlobGas", "ParentBeaconRoot", "RequestsHash"} & set(v)


def test_london_fork_block_fields(codec: Any) -> None:
    v = codec.decode(LONDON)
    assert v["BaseFee"] == (1_000_000_000).to_bytes(4, "big")  # EIP-1559 INITIAL_BASE_FEE
    assert (v["GasLimit"], v["GasUsed"]) == ((30029122).to_bytes(8, "big"), (30025257).to_bytes(8, "big"))
    assert v["ParentCID"].digest.hex() == "3de6bb3849a138e6ab0b83a3a00dc7433f1e83f7fd488e4bba78f2fe2631a633"
    assert "WithdrawalsHash" not in v


def test_post_merge_fields(codec: Any) -> None:
    shanghai = codec.decode(BLOCKS["mainnet-17034870-shanghai.rlp"])
    assert shanghai["Difficulty"] == b"" and shanghai["Nonce"] == bytes(8)
    # no withdrawals in the fork block: the empty trie root
    assert shanghai["WithdrawalsHash"].hex() == "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    assert "BlobGasUsed" not in shanghai
    cancun = codec.decode(BLOCKS["mainnet-19426587-cancun.rlp"])
    assert (cancun["BlobGasUsed"], cancun["ExcessBlobGas"]) == (bytes(8), bytes(8))
    assert len(cancun["ParentBeaconRoot"]) == 32 and "RequestsHash" not in cancun
    prague = codec.decode(BLOCKS["sepolia-7839744-prague.rlp"])
    # sha256 of no requests (EIP-7685)
    assert prague["RequestsHash"].hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_encode_needs_the_reference_keys_exactly(codec: Any) -> None:
    """BaseFee is always written (null before London), later fork fields never as null."""
    block = BLOCKS["mainnet-1-frontier.rlp"]
    value = codec.decode(block)
    assert codec.encode(value) == block
    with pytest.raises(GuestError):
        codec.encode({k: v for k, v in value.items() if k != "BaseFee"})
    with pytest.raises(GuestError):
        codec.encode({**value, "WithdrawalsHash": None})


@pytest.mark.parametrize("why", sorted(oracle.bad_blocks(LONDON)))
def test_malformed_blocks_are_rejected(why: str, codec: Any) -> None:
    bad = oracle.bad_blocks(LONDON)[why]
    with pytest.raises(GuestError) as info:
        codec.decode(bad)
    assert info.value.code == 1 and isinstance(info.value, InvalidBlock)
    with pytest.raises(GuestError):
        codec.links(bad)


def _good() -> dict[str, Any]:
    good: dict[str, Any] = oracle.expected(LONDON)
    return good


@pytest.mark.parametrize(
    "why, value",
    [
        ("empty map", {}),
        ("unknown key", {**_good(), "Extra2": b""}),
        ("fork field after a null one", {**_good(), "BaseFee": None, "WithdrawalsHash": bytes(32)}),
        ("18-field shape", {**_good(), "WithdrawalsHash": bytes(32), "BlobGasUsed": bytes(8)}),
        ("an int for a Uint", {**_good(), "GasUsed": 5}),
        ("a 7-byte Uint", {**_good(), "GasUsed": bytes(7)}),
        ("a BigInt with a leading zero", {**_good(), "Number": b"\x00\x01"}),
        ("parent link with the uncles codec", {**_good(), "ParentCID": oracle.link(0x91, bytes(32))}),
        ("state root hashed with sha2-256", {**_good(), "StateRootCID": CID.build(0x96, bytes([0x12, 32]) + bytes(32))}),
        ("19-byte coinbase", {**_good(), "Coinbase": bytes(19)}),
        ("negative integer", {**_good(), "GasUsed": -1}),
        ("text for bytes", {**_good(), "Extra": "text"}),
        ("bytes for a link", {**_good(), "TxRootCID": bytes(32)}),
        ("missing field", {k: v for k, v in _good().items() if k != "Number"}),
        ("null base field", {**_good(), "Time": None}),
        ("not a map", [1, 2, 3]),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_encode_rejects(why: str, value: Any, codec: Any) -> None:
    with pytest.raises(GuestError):
        codec.encode(value)


def test_difficulty_over_64_bits_is_bytes(codec: Any) -> None:
    """Big integers are Bytes (as in go-codec-dageth): 80 bits decode and round trip; over
    256 bits (uint256) is refused."""
    import rlp  # type: ignore[import-untyped]

    items = rlp.decode(LONDON)
    items[7] = (1 << 80).to_bytes(11, "big")
    block = rlp.encode(items)
    value = codec.decode(block)
    assert value["Difficulty"] == (1 << 80).to_bytes(11, "big")
    assert codec.encode(value) == block
    items[7] = (1 << 256).to_bytes(33, "big")
    with pytest.raises(GuestError) as info:
        codec.decode(rlp.encode(items))
    assert info.value.code == 1 and "Difficulty" in info.value.message


def test_decode_many_matches_decode(codec: Any) -> None:
    bad = list(oracle.bad_blocks(LONDON).values())
    blocks = list(BLOCKS.values()) + bad
    results = codec.decode_many(blocks)
    assert len(results) == len(blocks)
    for block, got in zip(blocks[: len(BLOCKS)], results):
        assert got == oracle.expected(block)
    assert all(isinstance(r, GuestError) for r in results[len(BLOCKS) :])


def test_vectors_file(loaded: Any) -> None:
    report = run_vectors(loaded, (WASM_SRC / "eth-block" / "vectors.json").read_bytes())
    assert report.ok, report.failures


def _mutations(rng: random.Random, seeds: list[bytes], count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        op = rng.randrange(6)
        if op == 0:  # truncate
            del data[rng.randrange(len(data) + 1) :]
        elif op == 1:  # flip bits
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif op == 2:  # a length byte made huge or small
            i = rng.randrange(min(len(data), 40))
            data[i] = rng.choice([0xB8, 0xBF, 0xF8, 0xFF, 0x80, 0xC0, 0xB7, 0xF7])
        elif op == 3:  # insert or delete bytes in the middle
            i = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[i:i] = rng.randbytes(rng.randrange(1, 9))
            else:
                del data[i : i + rng.randrange(1, 9)]
        elif op == 4:  # overwrite the outer length
            data[1:3] = rng.randbytes(2)
        else:  # random bytes of a plausible size
            data = bytearray(rng.randbytes(rng.randrange(0, 700)))
        out.append(bytes(data))
    return out


def test_fuzz_mutated_headers(codec: Any) -> None:
    """Thousands of mutated headers: each is rejected with an error status, or accepted and
    then re-encodes to exactly the same bytes (strictness makes decoding injective)."""
    rng = random.Random(0x90)
    blocks = _mutations(rng, list(BLOCKS.values()), 3000)
    results = codec.decode_many(blocks)
    accepted = 0
    for block, got in zip(blocks, results):
        if isinstance(got, AutocodecError):
            assert isinstance(got, (GuestError, SandboxError)), got
            continue
        accepted += 1
        assert codec.encode(got) == block
    assert 0 < accepted < len(blocks)  # both paths are exercised


def test_fuzz_wrong_kinds_into_encode(codec: Any) -> None:
    """Arbitrary data-model values (wrong shapes and types) into encode: an error status."""
    rng = random.Random(0x91)
    good = _good()
    keys = list(good)
    junk: list[Any] = [None, True, 0, -5, 2**64 - 1, 1.5, "x", b"", [], {}, CID.parse(str(good["ParentCID"]))]
    for _ in range(300):
        value = dict(good)
        for _ in range(rng.randrange(1, 4)):
            value[rng.choice(keys)] = rng.choice(junk)
        try:
            block = codec.encode(value)
        except GuestError:
            continue
        # whatever encode accepts must decode back to the same value
        assert codec.decode(block) == value
    for value in junk + [[good], {"a": 1}, builtin_encode(good, "dag-cbor")]:
        with pytest.raises(GuestError):
            codec.encode(value)


def test_cli_put_and_decode_through_the_extensions(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: `block put` with the two Wasm extensions stores the header under its real
    block hash; `decode` gives the dag-eth Header; a malformed block is refused cleanly."""
    from autocodec.cli import main

    modules = ["--module", str(WASM_SRC / "eth-block" / "eth-block.wasm"),
               "--module", str(WASM_SRC / "keccak-256" / "keccak-256.wasm")]
    assert main(["init"]) == 0
    capsys.readouterr()
    block = FIXTURES / "eth" / "mainnet-12965000-london.rlp"
    assert main(["block", "put", "--codec", "eth-block", "--hash", "keccak-256", *modules, str(block)]) == 0
    cid = CID.parse(capsys.readouterr().out.strip())
    assert (cid.codec, cid.hash_code) == (0x90, 0x1B)
    assert cid.digest.hex() == "9b83c12c69edb74f6c8dd5d052765c1adf940e320bd1291696e6fa07829eee71"
    assert main(["decode", *modules, str(cid)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["BaseFee"] == {"/": {"bytes": "O5rKAA"}} and out["Number"] == {"/": {"bytes": "xdSI"}}
    assert out["ParentCID"] == {"/": str(oracle.expected(block.read_bytes())["ParentCID"])}
    bad = home.parent / "bad.rlp"
    bad.write_bytes(block.read_bytes()[:-1])
    assert main(["block", "put", "--codec", "eth-block", "--hash", "keccak-256", *modules, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "GuestError" in err and "Traceback" not in err


_U64 = st.integers(min_value=0, max_value=2**64 - 1)


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """Random well-formed headers of every shape, built with pyrlp (the reference encoder)."""
    import rlp

    count = draw(st.sampled_from(sorted(SHAPE_FIELDS.values())))
    sizes = {0: 32, 1: 32, 2: 20, 3: 32, 4: 32, 5: 32, 6: 256, 13: 32, 14: 8, 16: 32, 19: 32, 20: 32}
    items: list[Any] = []
    for i in range(count):
        if i in sizes:
            items.append(draw(st.binary(min_size=sizes[i], max_size=sizes[i])))
        elif i == 12:
            items.append(draw(st.binary(max_size=80)))
        else:
            n = draw(st.one_of(st.integers(0, 300), _U64))
            items.append(n.to_bytes((n.bit_length() + 7) // 8, "big"))
    out: bytes = rlp.encode(items)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=headers())
def test_property_random_headers_decode_and_round_trip(block: bytes, codec: Any) -> None:
    value = codec.decode(block)
    assert value == oracle.expected(block)
    assert codec.encode(value) == block
