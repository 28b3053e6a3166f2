"""The bitcoin-block codec module (wasm-src/bitcoin-block) on real mainnet headers, in the sandbox.

Fixtures (fixtures/bitcoin, see SOURCES.md): genesis, blocks 1, 170, 542213 and 800000.  Each
header's double SHA-256 is its real block hash.  The expected data model comes from an oracle
that does not use the module (``expected`` in wasm-src/bitcoin-block/make_vectors.py), and both
are compared with the JS reference (bitcoin-block 2.0.2 + @ipld/bitcoin's links, tests/refjs).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import struct
from typing import Any

import pytest

from autocodec import CID
from autocodec.builtin import decode as builtin_decode
from autocodec.builtin import encode as builtin_encode
from autocodec.errors import AutocodecError, GuestError, InvalidBlock, SandboxError
from autocodec.loader import Sandbox, run_vectors

from ._refjs import require_refjs, run_reference
from .conftest import FIXTURES, WASM_SRC


def _load_oracle() -> Any:
    spec = importlib.util.spec_from_file_location("btc_vectors", WASM_SRC / "bitcoin-block" / "make_vectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


oracle = _load_oracle()
MANIFEST = json.loads((FIXTURES / "bitcoin" / "headers.json").read_text())
HEADERS = {m["file"]: (FIXTURES / "bitcoin" / m["file"]).read_bytes() for m in MANIFEST}
HEADERS["block-542213"] = bytes.fromhex((FIXTURES / "bitcoin" / "block-542213.hex").read_text().strip())[:80]


def dbl_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


@pytest.fixture(scope="module")
def loaded():
    return Sandbox().load((WASM_SRC / "bitcoin-block" / "bitcoin-block.wasm").read_bytes())


@pytest.fixture(scope="module")
def codec(loaded):
    return loaded.codec()


def test_module_metadata(loaded) -> None:
    info = loaded.info
    assert (info.kind, info.name, tuple(info.codes)) == ("codec", "bitcoin-block", (0xB0,))


@pytest.mark.parametrize("meta", MANIFEST, ids=lambda m: m["file"])
def test_header_is_the_real_block(meta) -> None:
    """dbl-sha256 of the 80 bytes, shown reversed as usual, is the block hash: the data is real."""
    assert dbl_sha256(HEADERS[meta["file"]])[::-1].hex() == meta["hash"]


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_decode_matches_the_oracle_and_round_trips(name, codec) -> None:
    header = HEADERS[name]
    value = codec.decode(header)
    assert value == oracle.expected(header)
    assert value["hash"] == dbl_sha256(header)[::-1].hex()
    assert codec.encode(value) == header


def test_genesis_is_bitcoin_cores_porcelain(codec) -> None:
    """Bitcoin Core's `getblock 000000000019d6...e26f` fields, and the spec's links."""
    g = codec.decode(HEADERS["genesis.bin"])
    assert g["hash"] == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    assert (g["version"], g["versionHex"], g["bits"], g["difficulty"]) == (1, "00000001", "1d00ffff", 1)
    assert (g["time"], g["nonce"]) == (1231006505, 2083236893)
    assert g["merkleroot"] == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    assert g["parent"] is None and "previousblockhash" not in g
    assert g["tx"].digest[::-1].hex() == g["merkleroot"]
    assert (g["tx"].codec, g["tx"].hash_code) == (0xB1, 0x56)
    b = codec.decode(HEADERS["block-800000.bin"])
    assert (b["version"], b["time"], b["bits"], b["nonce"]) == (0x341D6000, 1690168629, "17053894", 106861918)
    assert b["previousblockhash"] == "000000000000000000012117ad9f72c1c0e42227c2d042dca23e6b96bd9fbb55"
    assert b["parent"].digest[::-1].hex() == b["previousblockhash"]
    assert isinstance(b["difficulty"], float) and 5.2e13 < b["difficulty"] < 5.4e13


def test_chain_links_are_the_parents_cids(codec) -> None:
    """Block 1's parent link is the CID of the genesis header itself (internal byte order)."""
    genesis, block1 = HEADERS["genesis.bin"], HEADERS["block-1.bin"]
    genesis_cid = CID.build(0xB0, bytes([0x56, 32]) + dbl_sha256(genesis))
    assert codec.decode(block1)["parent"] == genesis_cid
    assert codec.links(genesis) == [codec.decode(genesis)["tx"]]
    assert codec.links(block1) == [genesis_cid, codec.decode(block1)["tx"]]


def test_negative_version_round_trips(codec) -> None:
    header = bytearray(HEADERS["block-170.bin"])
    header[0:4] = struct.pack("<i", -2)
    value = codec.decode(bytes(header))
    assert (value["version"], value["versionHex"]) == (-2, "fffffffe")
    assert codec.encode(value) == bytes(header)


@pytest.mark.parametrize("n", [0, 1, 79, 81, 160, 1000])
def test_malformed_lengths(n, codec) -> None:
    data = (HEADERS["block-170.bin"] * 13)[:n]
    with pytest.raises(GuestError) as info:
        codec.decode(data)
    assert info.value.code == 1 and "80 bytes" in info.value.message
    with pytest.raises(GuestError):
        codec.links(data)


def test_zero_mantissa_is_refused_not_infinite(codec) -> None:
    header = HEADERS["block-170.bin"][:72] + bytes([0, 0, 0, 0x1D]) + HEADERS["block-170.bin"][76:]
    with pytest.raises(InvalidBlock, match="infinite difficulty"):
        codec.decode(header)


def _good() -> dict[str, Any]:
    return oracle.expected(HEADERS["block-170.bin"])


@pytest.mark.parametrize(
    "value",
    [
        {},
        {**_good(), "extra": 1},
        {**_good(), "hash": "00" * 32},
        {**_good(), "difficulty": 1.5},
        {**_good(), "versionHex": "00000002"},
        {**_good(), "parent": oracle.link(0xB1, bytes(range(32)))},
        {**_good(), "tx": CID.build(0xB1, bytes([0x12, 32]) + bytes(32))},
        {**_good(), "parent": None},
        {**_good(), "bits": "1D00FFFF"},
        {**_good(), "bits": 0x1D00FFFF},
        {**_good(), "merkleroot": "zz" * 32},
        {**_good(), "time": 1 << 32},
        {**_good(), "version": 1 << 31},
        {**_good(), "nonce": -1},
        {k: v for k, v in _good().items() if k != "bits"},
        {k: v for k, v in _good().items() if k != "previousblockhash"},
        [1, 2],
        b"\x00" * 80,
    ],
)
def test_encode_rejects(value, codec) -> None:
    with pytest.raises(GuestError):
        codec.encode(value)


def test_vectors_file(loaded) -> None:
    report = run_vectors(loaded, (WASM_SRC / "bitcoin-block" / "vectors.json").read_bytes())
    assert report.ok, report.failures


def _fuzz_headers(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    blocks = []
    for _ in range(count):
        if rng.random() < 0.7:
            data = bytearray(rng.choice(list(HEADERS.values())))
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(80)] = rng.randrange(256)
            if rng.random() < 0.05:
                data[4:36] = bytes(32)  # a parent-less header
            blocks.append(bytes(data))
        else:
            blocks.append(rng.randbytes(rng.choice([0, 1, 79, 80, 81, rng.randrange(0, 400)])))
    return blocks


def test_fuzz_random_headers_and_lengths(codec) -> None:
    """80 bytes with a non-zero mantissa is a header that round-trips; anything else is InvalidBlock."""
    blocks = _fuzz_headers(0xB0, 3000)
    for data, got in zip(blocks, codec.decode_many(blocks)):
        if len(data) == 80 and int.from_bytes(data[72:75], "little"):
            assert got == oracle.expected(data)
            assert codec.encode(got) == data
        else:
            assert isinstance(got, AutocodecError) and isinstance(got, (InvalidBlock, SandboxError)), got


def test_differential_against_the_js_reference(codec) -> None:
    """Byte-equal DAG-CBOR with bitcoin-block 2.0.2 + @ipld/bitcoin's links on real and fuzzed headers."""
    require_refjs()
    base = HEADERS["block-170.bin"]
    extreme = [base[:72] + struct.pack("<I", bits) + base[76:]  # difficulty from 1e-500 to 1e74
               for bits in (0x00000001, 0x01000001, 0x05FFFFFF, 0x1D00FFFF, 0x1D00FFFE, 0xFF7FFFFF, 0x00800000, 0x00000000)]
    blocks = list(HEADERS.values()) + extreme + [b for b in _fuzz_headers(0xB1, 600) if len(b) == 80]
    answers = run_reference("bitcoin_ref.mjs", [f"block {b.hex()}" for b in blocks])
    agree = 0
    for data, answer in zip(blocks, answers):
        if answer.startswith("ERR"):
            with pytest.raises(InvalidBlock):
                codec.decode(data)
            continue
        ref = bytes.fromhex(answer)
        assert builtin_encode(codec.decode(data), "dag-cbor") == ref, builtin_decode(ref, "dag-cbor")
        agree += 1
    assert agree >= len(HEADERS) + 400  # ~0.7 of the fuzzed blocks are 80 bytes long


def test_cli_put_and_decode(home, capsys) -> None:
    """End to end: the header is stored under CIDv1(bitcoin-block, dbl-sha2-256) = its block hash."""
    from autocodec.cli import main

    module = ["--module", str(WASM_SRC / "bitcoin-block" / "bitcoin-block.wasm")]
    assert main(["init"]) == 0
    capsys.readouterr()
    path = FIXTURES / "bitcoin" / "block-170.bin"
    assert main(["block", "put", "--codec", "bitcoin-block", "--hash", "dbl-sha2-256", *module, str(path)]) == 0
    cid = CID.parse(capsys.readouterr().out.strip())
    assert cid.digest[::-1].hex() == "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee"
    assert main(["decode", *module, str(cid)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["version"], out["nonce"], out["hash"]) == (1, 1889418792, cid.digest[::-1].hex())
    assert out["parent"] == {"/": str(oracle.expected(path.read_bytes())["parent"])}
