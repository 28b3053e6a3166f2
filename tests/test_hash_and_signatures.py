"""`autocodec hash` and `autocodec.verify_signature`: builtin and Wasm extension alike.

References: pycryptodome (keccak-256), the blake3 package, hashlib; the official BIP-340 test
vectors (bitcoin/bips bip-0340/test-vectors.csv, committed in fixtures/bip340/); RFC 8032.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import blake3
import pytest
from Crypto.Hash import keccak
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import autocodec
from autocodec.registry import Runtime

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory):
    with Runtime(tmp_path_factory.mktemp("home")) as rt:  # a new home: the default set is pinned
        yield rt


def _data(n: int) -> bytes:
    return hashlib.shake_256(b"autocodec hash test").digest(n)


@pytest.mark.parametrize("size", [0, 3, 135, 136, 137, 1 << 20, 3 * (1 << 20) + 7])
def test_hash_stream_matches_references_for_builtin_and_extension_hashes(runtime, size: int) -> None:
    data = _data(size)
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)] or [b""]
    expect = {
        "keccak-256": keccak.new(data=data, digest_bits=256).digest(),
        "blake3": blake3.blake3(data).digest(),
        "sha2-256": hashlib.sha256(data).digest(),
        "dbl-sha2-256": hashlib.sha256(hashlib.sha256(data).digest()).digest(),
        "blake2b-256": hashlib.blake2b(data, digest_size=32).digest(),
        "sha1": hashlib.sha1(data).digest(),
    }
    for name, digest in expect.items():
        multihash = runtime.hash_stream(iter(chunks), name)
        assert multihash.endswith(digest), name
        assert multihash == runtime.hash(data, name)


def test_hash_cli_prints_multihash_for_extension_and_builtin(tmp_path: Path) -> None:
    path = tmp_path / "input"
    path.write_bytes(_data(200_000))
    env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / "home")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "autocodec", "hash", *a], env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=60)
    out = run("--hash", "keccak-256", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "1b20" + keccak.new(data=path.read_bytes(), digest_bits=256).hexdigest()
    assert run("--hash", "sha2-256", "--digest", str(path)).stdout.strip() == hashlib.sha256(path.read_bytes()).hexdigest()
    bad = run("--hash", "no-such-hash", str(path))
    assert bad.returncode == 1 and "UnknownHash" in bad.stderr and "Traceback" not in bad.stderr


def test_hash_many_equals_one_at_a_time(runtime) -> None:
    """``Runtime.hash_many``: each input's multihash, in order, whatever the hasher (blake3
    and keccak-256 batch many inputs to a guest call; sha2-256 is builtin)."""
    sizes = [0, 1, 63, 64, 65, 1023, 1024, 1025, 3000, 135, 136, 137, 1 << 20, 0, 7]
    datas = [_data(n + k) for k, n in enumerate(sizes)]
    mixed = [bytearray(d) if k % 3 == 1 else memoryview(d) if k % 3 == 2 else d for k, d in enumerate(datas)]
    for name in ("blake3", "keccak-256", "sha2-256", "identity"):
        small = datas if name != "identity" else datas[:5]  # identity holds at most 1 KiB
        assert runtime.hash_many(mixed[: len(small)], name) == [runtime.hash(d, name) for d in small], name
        assert runtime.hash_many([], name) == []
        assert runtime.hash_stream(iter([]), name) == runtime.hash(b"", name)  # no chunk at all


def test_hash_cli_many_files_one_line_each_in_order(tmp_path: Path) -> None:
    """``autocodec hash FILE...``: a line per file in the order given, small files batched,
    a file over the batching size and stdin streamed between them; an unreadable file stops
    the run with one line on stderr after the lines of the files before it."""
    names = []
    for k, n in enumerate([0, 5, 1024, 3 << 20, 77, 1 << 20, (1 << 20) + 1, 9]):
        path = tmp_path / f"f{k}"
        path.write_bytes(_data(n + 1)[:n])
        names.append(str(path))
    env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / "home")}
    stdin = _data(5000)
    out = subprocess.run([sys.executable, "-m", "autocodec", "hash", "--hash", "blake3", *names[:4], "-", *names[4:]],
                         env=env, input=stdin, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    want = [(blake3.blake3(Path(n).read_bytes()).hexdigest(), n) for n in names[:4]]
    want += [(blake3.blake3(stdin).hexdigest(), "-")]
    want += [(blake3.blake3(Path(n).read_bytes()).hexdigest(), n) for n in names[4:]]
    assert [tuple(line.split("  ")) for line in out.stdout.decode().splitlines()] == [("1e20" + d, n) for d, n in want]
    digests = subprocess.run([sys.executable, "-m", "autocodec", "hash", "--hash", "sha2-256", "--digest", *names[:3]],
                             env=env, capture_output=True, text=True, timeout=60)
    assert digests.stdout.split() == [hashlib.sha256(Path(n).read_bytes()).hexdigest() for n in names[:3]]
    bad = subprocess.run([sys.executable, "-m", "autocodec", "hash", "--hash", "blake3", names[1], str(tmp_path / "nope"),
                          names[2]], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and bad.stdout.split() == ["1e20" + want[1][0], names[1]]
    assert len(bad.stderr.strip().splitlines()) == 1 and "cannot read" in bad.stderr and "Traceback" not in bad.stderr


def test_verify_signature_ed25519_is_builtin_and_strict() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    signature = key.sign(b"message")
    assert autocodec.verify_signature("ed25519-pub", public, b"message", signature)
    assert not autocodec.verify_signature("ed25519-pub", public, b"other", signature)
    identity = bytes([1]) + bytes(31)  # small-order point: `cryptography` would accept R=identity, S=0
    assert not autocodec.verify_signature("ed25519-pub", identity, b"anything", identity + bytes(32))


def _bip340_vectors() -> list[dict[str, str]]:
    with open(REPO / "fixtures" / "bip340" / "test-vectors.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("vector", _bip340_vectors(), ids=lambda v: f"bip340-{v['index']}")
def test_verify_signature_bip340_official_vectors_through_the_extension(runtime, vector: dict[str, str]) -> None:
    public, message, signature = (bytes.fromhex(vector[k]) for k in ("public key", "message", "signature"))
    expected = vector["verification result"] == "TRUE"
    try:
        valid = runtime.verify_signature("secp256k1-pub", public, message, signature)
    except autocodec.AutocodecError:
        valid = False  # e.g. a public key not on the curve: refused as malformed
    assert valid is expected, vector["comment"]
    assert runtime.resolve("crypto", "secp256k1-pub").source == "extension"


@pytest.mark.parametrize("size", [5, 3 * (1 << 20) + 7])  # one guest call; streamed
def test_blake3_digests_of_every_length_kubo_takes_verify(runtime, size: int) -> None:
    """A blake3 CID with a 20..128-byte digest (Kubo's ``block put --mhlen``: the first bytes of
    BLAKE3's extended output) verifies its data; the same data changed is ``HashMismatch``; a
    digest over 128 bytes is ``DigestTooLong`` whatever the bytes. Before the blake3 module's
    ``ac_hash_xof``, a 33..128-byte digest was a ``HashMismatch`` for good data."""
    from autocodec.cid import CID, encode_varint
    from autocodec.errors import DigestTooLong, HashMismatch

    data = _data(size)
    for length in (20, 31, 32, 33, 64, 127, 128):
        digest = blake3.blake3(data).digest(length)
        multihash = b"\x1e" + encode_varint(length) + digest
        assert runtime.hash(data, "blake3", length=length) == multihash
        cid = CID.build(0x55, multihash)
        runtime.verify_block(cid, data)
        with pytest.raises(HashMismatch):
            runtime.verify_block(cid, data[:-1] + bytes([data[-1] ^ 1]))
    too_long = CID.build(0x55, b"\x1e" + encode_varint(129) + blake3.blake3(data).digest(129))
    with pytest.raises(DigestTooLong, match="129 bytes; Kubo refuses digests over 128"):
        runtime.verify_block(too_long, data)


@pytest.mark.parametrize("length", [25.5, "32", True, None])
def test_a_digest_length_that_is_not_an_int_is_invalid_input(runtime, length: object) -> None:
    """``length`` from a caller: a float or str was a TypeError from a slice or a comparison
    inside, and True a one-byte request."""
    from autocodec.errors import InvalidInput

    for hash_name in ("sha2-256", "blake3"):
        if length is None:
            assert len(runtime.hash(b"data", hash_name, length=length)) == 34
            continue
        with pytest.raises(InvalidInput, match="a digest length is a whole number of bytes"):
            runtime.hash(b"data", hash_name, length=length)
        with pytest.raises(InvalidInput):
            runtime.cid_for(b"data", "raw", hash_name, length=length)


@pytest.mark.parametrize(("hash_name", "most"), [("blake3", 128), ("sha2-256", 32), ("keccak-256", 32)])
def test_a_refused_digest_length_names_the_lengths_that_hash_takes(runtime, hash_name: str, most: int) -> None:
    """Too short or negative: the hint offered 20 to 32 for blake3 too, which makes up to 128
    bytes (its extendable output); a hash without one offers its own size."""
    from autocodec.errors import InvalidInput

    for length in (-2, 16):
        with pytest.raises(InvalidInput) as refused:
            runtime.hash(b"data", hash_name, length=length)
        assert refused.value.hint == f"give a length from 20 to {most}", (length, refused.value.hint)


@pytest.mark.parametrize("code", [0x12, 0x13, 0xB220])  # sha2-256, sha2-512, blake2b-256: builtin
def test_a_builtin_hash_under_a_digest_over_128_bytes_is_digest_too_long(runtime, code: int) -> None:
    """Kubo refuses such a CID whatever the hash (boxo verifcid); a builtin hash's was a
    HashMismatch (an extension's was already DigestTooLong), so the same CID got another error,
    and another answer, by which hash it named."""
    from autocodec import verify_cid
    from autocodec.cid import CID, encode_varint
    from autocodec.errors import DigestTooLong

    cid = CID.build(0x55, encode_varint(code) + encode_varint(129) + bytes(129))
    with pytest.raises(DigestTooLong, match="129 bytes"):
        runtime.verify_block(cid, b"data")
    with pytest.raises(DigestTooLong):
        verify_cid(cid, b"data")


def test_a_longer_digest_than_a_hasher_makes_is_refused_with_the_reason(runtime) -> None:
    """keccak-256's module has no extendable output: a 64-byte keccak-256 digest cannot be made
    or checked (``DigestLengthUnsupported``, not ``HashMismatch``); a builtin's cannot be made
    either, and no hash makes one over 128 bytes."""
    from autocodec.cid import CID
    from autocodec.errors import DigestLengthUnsupported, InvalidInput

    with pytest.raises(DigestLengthUnsupported, match="cannot make one of 64 bytes"):
        runtime.verify_block(CID.build(0x55, b"\x1b\x40" + bytes(64)), b"data")
    with pytest.raises(DigestLengthUnsupported):
        runtime.hash(b"data", "keccak-256", length=64)
    with pytest.raises(InvalidInput, match="a sha2-256 digest is 32 bytes: it cannot be made 33 bytes long"):
        runtime.hash(b"data", "sha2-256", length=33)
    with pytest.raises(InvalidInput, match="Kubo refuses digests over 128 bytes"):
        runtime.hash(b"data", "blake3", length=129)
    with pytest.raises(InvalidInput, match="too short"):
        runtime.hash(b"data", "blake3", length=19)
    assert runtime.hash(b"data", "sha2-256", length=20) == b"\x12\x14" + hashlib.sha256(b"data").digest()[:20]
