"""Records signed with ``cryptography`` keys of every libp2p type, in the key forms an attacker
may choose (another point form, another protobuf field order, another DER), for the IPNS audit.
Facts: the libp2p peer-ID spec (a peer ID hashes the key as go-libp2p marshals it) and Go's
``crypto/x509`` (SubjectPublicKeyInfo only, P-224/P-256/P-384/P-521, uncompressed points)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from autocodec.builtin import encode
from autocodec.cid import CID, encode_varint
from autocodec.verify._libp2p_key import ECDSA, ED25519, RSA, SECP256K1, key_message

NS = 1_000_000_000
CID_A = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
DATA = {"Value": f"/ipfs/{CID_A}".encode(), "Validity": b"2030-01-02T03:04:05.000000000Z", "ValidityType": 0,
        "Sequence": 3, "TTL": 60 * NS}
DER, SPKI = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
X962 = serialization.Encoding.X962
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def field(number: int, value: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(value)) + value


def sign(private: PrivateKey, message: bytes) -> bytes:
    if isinstance(private, rsa.RSAPrivateKey):
        return private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(message, ec.ECDSA(hashes.SHA256()))
    return private.sign(message)


def record(private: PrivateKey, *, embed: bytes | None = None,
           alter: Callable[[bytes], bytes] = lambda signature: signature, data: dict[str, object] | None = None,
           head: bytes = b"") -> bytes:
    """A V2-only record of ``data`` (``DATA``) signed by ``private``, after ``head`` (legacy
    fields), with ``embed`` as its pubKey field and the signature as ``alter`` rewrites it."""
    body = encode(DATA if data is None else data, "dag-cbor")
    head += field(7, embed) if embed is not None else b""
    return head + field(8, alter(sign(private, b"ipns-signature:" + body))) + field(9, body)


def der_integer(value: int, *, pad: bool = False) -> bytes:
    digits = (b"\x00" if pad else b"") + value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return b"\x02" + bytes([len(digits)]) + digits


def ecdsa_rewritten(signature: bytes, *, extra: bytes = b"", pad: bool = False) -> bytes:
    """The DER signature's R and S again, ``extra`` inside the SEQUENCE after them, R padded
    with a non-minimal zero byte when ``pad``."""
    r, s = decode_dss_signature(signature)
    inner = der_integer(r, pad=pad) + der_integer(s) + extra
    return b"\x30" + bytes([len(inner)]) + inner


def name_hashing(serialized: bytes) -> str:
    """The ``k...`` name a peer ID of exactly these key bytes would be (identity when short)."""
    if len(serialized) <= 42:
        multihash = b"\x00" + encode_varint(len(serialized)) + serialized
    else:
        multihash = b"\x12\x20" + hashlib.sha256(serialized).digest()
    return CID.build(0x72, multihash).encode("base36")


def ed25519_key(private: ed25519.Ed25519PrivateKey) -> bytes:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key_message(ED25519, raw)


def ed25519_reordered(private: ed25519.Ed25519PrivateKey) -> bytes:
    """The same key as a protobuf with Data before Type (go-libp2p reads it, marshals it back in order)."""
    return ed25519_key(private)[2:] + b"\x08\x01"


def secp256k1_key(private: ec.EllipticCurvePrivateKey, *, compressed: bool) -> bytes:
    form = serialization.PublicFormat.CompressedPoint if compressed else serialization.PublicFormat.UncompressedPoint
    return key_message(SECP256K1, private.public_key().public_bytes(X962, form))


def spki_key(private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    kind = RSA if isinstance(private, rsa.RSAPrivateKey) else ECDSA
    return key_message(kind, private.public_key().public_bytes(DER, SPKI))


def ecdsa_compressed_spki(private: ec.EllipticCurvePrivateKey) -> bytes:
    """A P-256 SubjectPublicKeyInfo holding the compressed point (Go's x509 refuses it)."""
    spki = private.public_key().public_bytes(DER, SPKI)
    algorithm = spki[2:4 + spki[3]]
    point = private.public_key().public_bytes(X962, serialization.PublicFormat.CompressedPoint)
    inner = algorithm + b"\x03" + bytes([len(point) + 1]) + b"\x00" + point
    return key_message(ECDSA, b"\x30" + bytes([len(inner)]) + inner)


def rsa_pkcs1(private: rsa.RSAPrivateKey) -> bytes:
    return key_message(RSA, private.public_key().public_bytes(DER, serialization.PublicFormat.PKCS1))


def rsa_trailing(private: rsa.RSAPrivateKey) -> bytes:
    """An RSA SubjectPublicKeyInfo with one byte after it (Go's x509: "trailing data")."""
    return key_message(RSA, private.public_key().public_bytes(DER, SPKI) + b"\x00")


def legacy_fields() -> bytes:
    """``DATA``'s V1 protobuf fields (value, signatureV1, validityType, validity, sequence, ttl):
    their presence makes boxo compare them with ``data``."""
    def varint(number: int, value: int) -> bytes:
        return encode_varint(number << 3) + encode_varint(value)

    return (field(1, DATA["Value"]) + field(2, b"legacy") + varint(3, 0) + field(4, DATA["Validity"])  # type: ignore[arg-type]
            + varint(5, DATA["Sequence"]) + varint(6, DATA["TTL"]))  # type: ignore[arg-type]


def kubo_disagrees(tmp_path: Path, cases: Iterable[tuple[str, bytes, str, bool | None]]) -> list[str]:
    """Each case is a label, a record, the name to verify it for and the ``Valid:`` answer Kubo is
    expected to print in ``ipfs name inspect --verify`` (None: none, a name Kubo cannot parse); the
    cases where a fresh Kubo repo under ``tmp_path`` answered otherwise, with its words."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    wrong = []
    for label, raw, name, expected in cases:
        valid, out = kubo.ipns_verdict(raw, name)
        if valid is not expected:
            wrong.append(f"{label}: Kubo says {out!r}")
    return wrong
