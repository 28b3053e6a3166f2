"""Builtin multihashes, cid_for and verify_cid against known answers and an independent library.

Known answers: FIPS 180-4 / FIPS 202 examples and RFC 7693 appendices for "abc"; every other
hash is cross-checked against py-multiformats' ``multihash.digest`` (a separate implementation
of the multihash framing).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import multihash

from autocodec import CID
from autocodec.builtin import HASHERS, cid_for, has_codec, has_hash, hasher_for, multihash_digest, verify_cid
from autocodec.cid import encode_varint
from autocodec.errors import HashMismatch, UnknownCodec, UnknownHash

ABC = {  # multihash name -> hex digest of b"abc"
    "sha1": "a9993e364706816aba3e25717850c26c9cd0d89d",
    "sha2-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "sha2-512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "sha2-224": "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
    "sha2-384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
    "8086072ba1e7cc2358baeca134c825a7",
    "sha2-512-224": "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa",
    "sha2-512-256": "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23",
    "sha3-256": "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
    "sha3-224": "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
    "blake2b-512": "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
    "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
    "blake2s-256": "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
    "dbl-sha2-256": "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358",
    "identity": "616263",
}


@pytest.mark.parametrize("name", list(ABC))
def test_known_answers(name: str) -> None:
    hasher = hasher_for(name)
    digest = bytes.fromhex(ABC[name])
    assert multihash_digest(b"abc", name) == encode_varint(hasher.code) + encode_varint(len(digest)) + digest


@pytest.mark.parametrize("code", sorted(HASHERS), ids=[HASHERS[c].name for c in sorted(HASHERS)])
def test_every_hash_matches_multiformats(code: int) -> None:
    name = HASHERS[code].name
    if name in ("sha2-512-224", "sha2-512-256"):  # py-multiformats needs pycryptodomex for these
        expected = encode_varint(code) + bytes([HASHERS[code].size]) + hashlib.new(name.replace("sha2-", "sha").replace("-", "_"), b"hello").digest()
    else:
        expected = bytes(multihash.digest(b"hello", name))
    assert multihash_digest(b"hello", code) == expected
    cid = cid_for(b"hello", "raw", name)
    assert cid.hash_code == code and cid.codec == 0x55 and cid.version == 1
    verify_cid(cid, b"hello")
    with pytest.raises(HashMismatch):
        verify_cid(cid, b"hellO")


def test_table_coverage() -> None:
    names = {h.name for h in HASHERS.values()}
    assert {"sha2-256", "sha2-512", "sha3-512", "sha1", "identity", "dbl-sha2-256", "shake-256"} <= names
    assert sum(n.startswith("blake2b-") for n in names) == 64
    assert sum(n.startswith("blake2s-") for n in names) == 32


@pytest.mark.parametrize("name", ["keccak-256", "blake3", 0x1B, 0x1E, 0x9999])
def test_not_builtin(name: str | int) -> None:
    with pytest.raises(UnknownHash) as info:
        multihash_digest(b"x", name)
    assert info.value.code in (0x1B, 0x1E, 0x9999)
    code = info.value.code
    assert not has_hash(code)
    raw = b"\x01\x55" + encode_varint(code) + b"\x20" + bytes(32)
    with pytest.raises(UnknownHash) as info2:
        verify_cid(CID(raw), b"x")
    assert info2.value.code == code


def test_has_codec() -> None:
    for code in (0x55, 0x71, 0x0129, 0x70, 0x0200, 0x51):
        assert has_codec(code)
    assert not has_codec(0x78)
    with pytest.raises(UnknownCodec) as info:
        cid_for(b"x", "no-such-codec")
    assert info.value.code == "no-such-codec"


def test_cid_for_any_codec_code() -> None:
    """Extensions' blocks get CIDs from builtin hashes too (git-raw here)."""
    cid = cid_for(b"blob 0\x00", "git-raw", "sha1")
    assert cid.codec == 0x78 and cid.digest == hashlib.sha1(b"blob 0\x00").digest()


def test_verify_cid_v0_and_identity() -> None:
    data = b"\x0a\x02\x08\x01"
    v0 = CID(multihash_digest(data, "sha2-256"))
    assert v0.version == 0
    verify_cid(v0, data)
    with pytest.raises(HashMismatch):
        verify_cid(v0, b"not it")
    ident = cid_for(b"tiny", "raw", "identity")
    verify_cid(ident, b"tiny")
    with pytest.raises(HashMismatch):
        verify_cid(ident, b"tiny!")


def test_digest_length_mismatch() -> None:
    short = CID(b"\x01\x55\x12\x10" + hashlib.sha256(b"x").digest()[:16])  # truncated sha2-256
    with pytest.raises(HashMismatch):
        verify_cid(short, b"x")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(sorted(HASHERS)))
def test_cid_for_verify(data: bytes, code: int) -> None:
    if code == 0x00 and len(data) > 1024:
        return
    cid = cid_for(data, "dag-cbor", code)
    verify_cid(cid, data)
    assert CID(bytes(cid)) == cid  # structurally valid


@pytest.mark.parametrize("data", ["text", 1, None])
def test_needs_bytes(data: object) -> None:
    from autocodec.errors import InvalidInput

    with pytest.raises(InvalidInput):
        multihash_digest(data, "sha2-256")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        cid_for(data, "raw")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        verify_cid(cid_for(b"x", "raw"), data)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        verify_cid("bafkqaaa", b"")  # type: ignore[arg-type]
    assert not has_codec([0x71]) and not has_hash(b"sha2-256")  # type: ignore[arg-type]


def test_has_codec_and_has_hash_take_names_as_encode_and_cid_for_do() -> None:
    """Found by the library-embedding sweep: autocodec.has_codec("dag-cbor") was False (only
    ints were looked up), a wrong answer to a user of the public API, where encode and cid_for
    take the same names."""
    assert has_codec("dag-cbor") and has_codec("raw") and has_codec("0x71") and has_hash("sha2-256")
    assert not has_codec("git-raw") and not has_hash("keccak-256")  # extensions, not builtins
    assert not has_codec("no-such-codec") and not has_hash("no-such-hash") and not has_codec(True)


@pytest.mark.parametrize("code", [c for c in sorted(HASHERS) if HASHERS[c].size > 20],
                         ids=[HASHERS[c].name for c in sorted(HASHERS) if HASHERS[c].size > 20])
def test_truncated_digests_verify_as_kubo_verifies_them(code: int) -> None:
    """A multihash may carry the first bytes of its hash, at least 20 (go-multihash's Sum with a
    length, Kubo's ``block put --mhlen``; boxo verifcid's minimum): such a CID verifies its data."""
    from autocodec.builtin import MIN_TRUNCATED_DIGEST

    full = CID(bytes(cid_for(b"hello", "raw", code))).digest

    def cut(length: int, digest: bytes = full) -> CID:
        return CID(b"\x01\x55" + encode_varint(code) + encode_varint(length) + digest[:length])

    for length in (MIN_TRUNCATED_DIGEST, len(full) - 1):
        verify_cid(cut(length), b"hello")
        with pytest.raises(HashMismatch):
            verify_cid(cut(length), b"hellO")
        with pytest.raises(HashMismatch):  # the last bytes of the hash are not its first
            verify_cid(cut(length, full[len(full) - length:]), b"hello")
    with pytest.raises(HashMismatch):  # under verifcid's minimum
        verify_cid(cut(MIN_TRUNCATED_DIGEST - 1), b"hello")
    with pytest.raises(HashMismatch):  # longer than the hash
        verify_cid(CID(b"\x01\x55" + encode_varint(code) + encode_varint(len(full) + 1) + full + b"\0"), b"hello")
