"""The keccak-256 and keccak-512 hasher modules (wasm-src/keccak-256, wasm-src/keccak-512, one
sponge: wasm-src/include/keccak_hasher.h) in the real sandbox.

Reference: pycryptodome's ``Crypto.Hash.keccak`` (original Keccak padding) and published known
answers: "" and "abc" for keccak-256, the Keccak team's ShortMsgKAT_512.txt (KeccakKAT-3.zip)
for keccak-512.  Speed is measured in benchmarks, never asserted here.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autocodec.loader import Sandbox, run_vectors, xorshift_bytes

from .conftest import WASM_SRC

keccak = pytest.importorskip("Crypto.Hash.keccak", reason="pycryptodome is the Keccak reference")

BITS = {"keccak-256": 256, "keccak-512": 512}
CODES = {"keccak-256": 0x1B, "keccak-512": 0x1D}
KNOWN = {  # (input, digest): keccak-256's published answers; ShortMsgKAT_512.txt's Len = 0, 8, 16
    "keccak-256": [(b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
                   (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")],
    "keccak-512": [(b"", "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304"
                         "c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e"),
                   (b"\xcc", "8630c13cbd066ea74bbe7fe468fec1dee10edc1254fb4c1b7c5fd69b646e4416"
                              "0b8ce01d05a0908ca790dfb080f4b513bc3b6225ece7a810371441a5ac666eb9"),
                   (b"\x41\xfb", "551da6236f8b96fce9f97f1190e901324f0b45e06dbbb5cdb8355d6ed1dc34b3"
                                  "f0eae7dcb68622ff232fa3cece0d4616cdeb3931f93803662a28df1cd535b731")],
}


@pytest.fixture(scope="module", params=sorted(BITS))
def name(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(scope="module")
def reference(name: str):
    return lambda data: keccak.new(digest_bits=BITS[name], data=data).digest()


@pytest.fixture(scope="module")
def rate(name: str) -> int:
    return 200 - BITS[name] // 4  # bytes: (1600 - 2 * bits) / 8


@pytest.fixture(scope="module")
def loaded(name: str):
    return Sandbox().load((WASM_SRC / name / f"{name}.wasm").read_bytes())


@pytest.fixture(scope="module")
def hasher(loaded):
    return loaded.hasher()


def test_module_metadata(loaded, name: str) -> None:
    info = loaded.info
    assert (info.kind, info.name, info.codes, info.abi) == ("hasher", name, (CODES[name],), 1)


def test_known_answers(hasher, name: str) -> None:
    for data, hexdigest in KNOWN[name]:
        assert hasher.digest(data).hex() == hexdigest


def test_is_keccak_not_sha3(hasher, name: str) -> None:
    import hashlib

    assert hasher.digest(b"abc") != hashlib.new(f"sha3_{BITS[name]}", b"abc").digest()
    assert len(hasher.digest(b"abc")) == BITS[name] // 8


def test_lengths_around_the_rate(hasher, reference, rate: int) -> None:
    for n in (0, 1, 55, 56, rate - 1, rate, rate + 1, 2 * rate - 1, 2 * rate, 2 * rate + 1, 1000):
        data = xorshift_bytes(n + 1, n)
        assert hasher.digest(data) == reference(data), n


def test_one_mebibyte(hasher, reference) -> None:
    data = xorshift_bytes(2024, 1 << 20)
    assert hasher.digest(data) == reference(data)


def test_stream_split_at_many_boundaries(hasher, reference, rate: int) -> None:
    for split in (1, 7, 64, rate - 1, rate, rate + 1, 2 * rate - 1, 2 * rate, 2 * rate + 1, 4096):
        data = xorshift_bytes(split, 3 * rate + 41 + split)
        stream = hasher.stream()
        for start in range(0, len(data), split):
            stream.update(data[start : start + split])
        assert stream.final() == reference(data), split


def test_stream_random_splits_and_empty_updates(hasher, reference, rate: int) -> None:
    rng = random.Random(1600)
    for _ in range(20):
        data = rng.randbytes(rng.randrange(0, 3000))
        stream = hasher.stream()
        pos = 0
        while pos < len(data):
            step = rng.choice([0, 1, 2, rate - 1, rate, rate + 1, rng.randrange(1, 700)])
            stream.update(data[pos : pos + step])
            pos += step
        assert stream.final() == reference(data)


def test_streams_do_not_leak_into_each_other(hasher, reference) -> None:
    first = hasher.stream()
    first.update(b"a" * 200)
    assert first.final() == reference(b"a" * 200)
    second = hasher.stream()
    assert second.final() == reference(b"")
    assert hasher.digest(b"abc") == reference(b"abc")


def test_vectors_file(loaded, name: str) -> None:
    report = run_vectors(loaded, (WASM_SRC / name / "vectors.json").read_bytes())
    assert report.ok, report.failures


def test_fuzz_many_random_inputs(hasher, reference, name: str) -> None:
    """Every length and byte pattern hashes correctly; nothing traps."""
    rng = random.Random(CODES[name])
    for _ in range(300):
        n = rng.choice([rng.randrange(0, 300), rng.randrange(0, 5000)])
        data = rng.randbytes(n)
        assert hasher.digest(data) == reference(data)


def test_cid_of_an_ethereum_header_verifies() -> None:
    """CIDv1(eth-block, keccak-256) of a real header has the block hash as its digest."""
    from autocodec import CID

    hasher = Sandbox().load((WASM_SRC / "keccak-256" / "keccak-256.wasm").read_bytes()).hasher()
    block = (Path(__file__).resolve().parents[1] / "fixtures" / "eth" / "mainnet-1-frontier.rlp").read_bytes()
    digest = hasher.digest(block)
    cid = CID.build(0x90, bytes([0x1B, 32]) + digest)
    assert cid.digest.hex() == "88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb6"
    assert cid.hash_code == 0x1B and cid.codec == 0x90


def test_stream_larger_than_one_guest_call(hasher, reference) -> None:
    """A stream longer than limits.sandbox.stream_chunk_bytes is cut into several updates."""
    from autocodec.config import DEFAULT_LIMITS

    data = xorshift_bytes(99, DEFAULT_LIMITS.sandbox.stream_chunk_bytes * 3 + 137)
    stream = hasher.stream()
    stream.update(data)
    assert stream.final() == reference(data)
    assert hasher.digest(data) == reference(data)


def test_many_per_call_equal_one_at_a_time(hasher, reference, rate: int) -> None:
    """``ac_hash_batch``: every length from 0 to 3 rates and random ones, in frames of many
    inputs (the C loop and the checked path), each digest the reference's, in order."""
    rnd = random.Random(8)
    inputs = [xorshift_bytes(n, n) for n in range(3 * rate + 2)]
    inputs += [rnd.randbytes(rnd.randrange(0, 9000)) for _ in range(3000)]
    assert hasher.batches
    for _ in range(2):  # the second time past the resets that learn: the C loop runs
        assert hasher.digest_many(inputs) == [reference(x) for x in inputs]
