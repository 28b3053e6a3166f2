"""The keccak-256 hasher module (wasm-src/keccak-256) in the real sandbox.

Reference: pycryptodome's ``Crypto.Hash.keccak`` (original Keccak padding) and the published
known answers for "" and "abc".  Speed is measured in benchmarks, never asserted here.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autocodec.loader import Sandbox, run_vectors, xorshift_bytes

from .conftest import WASM_SRC

keccak = pytest.importorskip("Crypto.Hash.keccak", reason="pycryptodome is the Keccak reference")

MODULE = WASM_SRC / "keccak-256" / "keccak-256.wasm"
RATE = 136


def reference(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


@pytest.fixture(scope="module")
def loaded():
    return Sandbox().load(MODULE.read_bytes())


@pytest.fixture(scope="module")
def hasher(loaded):
    return loaded.hasher()


def test_module_metadata(loaded) -> None:
    info = loaded.info
    assert (info.kind, info.name, info.codes, info.abi) == ("hasher", "keccak-256", (0x1B,), 1)


def test_known_answers(hasher) -> None:
    assert hasher.digest(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert hasher.digest(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_is_keccak_not_sha3(hasher) -> None:
    import hashlib

    assert hasher.digest(b"abc") != hashlib.sha3_256(b"abc").digest()


@pytest.mark.parametrize("n", [0, 1, 55, 56, 135, 136, 137, 271, 272, 273, 1000])
def test_lengths_around_the_rate(hasher, n: int) -> None:
    data = xorshift_bytes(n + 1, n)
    assert hasher.digest(data) == reference(data)


def test_one_mebibyte(hasher) -> None:
    data = xorshift_bytes(2024, 1 << 20)
    assert hasher.digest(data) == reference(data)


@pytest.mark.parametrize("split", [1, 7, 64, 135, 136, 137, 271, 272, 273, 4096])
def test_stream_split_at_many_boundaries(hasher, split: int) -> None:
    data = xorshift_bytes(split, 3 * RATE + 41 + split)
    stream = hasher.stream()
    for start in range(0, len(data), split):
        stream.update(data[start : start + split])
    assert stream.final() == reference(data)


def test_stream_random_splits_and_empty_updates(hasher) -> None:
    rng = random.Random(1600)
    for _ in range(20):
        data = rng.randbytes(rng.randrange(0, 3000))
        stream = hasher.stream()
        pos = 0
        while pos < len(data):
            step = rng.choice([0, 1, 2, RATE - 1, RATE, RATE + 1, rng.randrange(1, 700)])
            stream.update(data[pos : pos + step])
            pos += step
        assert stream.final() == reference(data)


def test_streams_do_not_leak_into_each_other(hasher) -> None:
    first = hasher.stream()
    first.update(b"a" * 200)
    assert first.final() == reference(b"a" * 200)
    second = hasher.stream()
    assert second.final() == reference(b"")
    assert hasher.digest(b"abc") == reference(b"abc")


def test_vectors_file(loaded) -> None:
    report = run_vectors(loaded, (WASM_SRC / "keccak-256" / "vectors.json").read_bytes())
    assert report.ok, report.failures


def test_fuzz_many_random_inputs(hasher) -> None:
    """Every length and byte pattern hashes correctly; nothing traps."""
    rng = random.Random(0x1B)
    for _ in range(300):
        n = rng.choice([rng.randrange(0, 300), rng.randrange(0, 5000)])
        data = rng.randbytes(n)
        assert hasher.digest(data) == reference(data)


def test_cid_of_an_ethereum_header_verifies(hasher) -> None:
    """CIDv1(eth-block, keccak-256) of a real header has the block hash as its digest."""
    from autocodec import CID

    block = (Path(__file__).resolve().parents[1] / "fixtures" / "eth" / "mainnet-1-frontier.rlp").read_bytes()
    digest = hasher.digest(block)
    cid = CID.build(0x90, bytes([0x1B, 32]) + digest)
    assert cid.digest.hex() == "88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb6"
    assert cid.hash_code == 0x1B and cid.codec == 0x90


def test_stream_larger_than_one_guest_call(hasher) -> None:
    """A stream longer than limits.sandbox.stream_chunk_bytes is cut into several updates."""
    from autocodec.config import DEFAULT_LIMITS

    data = xorshift_bytes(99, DEFAULT_LIMITS.sandbox.stream_chunk_bytes * 3 + 137)
    stream = hasher.stream()
    stream.update(data)
    assert stream.final() == reference(data)
    assert hasher.digest(data) == reference(data)


def test_many_per_call_equal_one_at_a_time(hasher) -> None:
    """``ac_hash_batch``: every length from 0 to 3 rates and random ones, in frames of many
    inputs (the C loop and the checked path), each digest the reference's, in order."""
    rnd = random.Random(8)
    inputs = [xorshift_bytes(n, n) for n in range(3 * RATE + 2)]
    inputs += [rnd.randbytes(rnd.randrange(0, 9000)) for _ in range(3000)]
    assert hasher.batches
    for _ in range(2):  # the second time past the resets that learn: the C loop runs
        assert hasher.digest_many(inputs) == [reference(x) for x in inputs]
