"""libp2p public keys and peer IDs, as IPNS names use them.

Facts from the libp2p peer-ID spec (github.com/libp2p/specs, peer-ids/peer-ids.md) and
go-libp2p v0.4x ``core/crypto``: a public key is the protobuf ``PublicKey {Type = 1;
Data = 2}`` with ``Type`` RSA 0, Ed25519 1, Secp256k1 2, ECDSA 3; ``Data`` is 32 raw bytes
(Ed25519), a 33- or 65-byte SEC1 point (Secp256k1), or a DER SubjectPublicKeyInfo (RSA,
ECDSA). A peer ID is the identity multihash of the serialized key when that is at most 42
bytes, else its sha2-256 multihash. Signatures: Ed25519 over the message; RSA PKCS#1 v1.5,
Secp256k1 and ECDSA (DER) over its SHA-256; an ECDSA signature is read as Go's
``asn1.Unmarshal`` reads it: bytes after R and S, in their SEQUENCE or after it, are ignored
(Kubo accepts them).

Invariants: ``PublicKey.parse`` refuses what go-libp2p's ``UnmarshalPublicKey`` refuses,
in its words where they are known (unknown type, wrong sizes, RSA under 2048 or over 8192 bits,
an RSA or ECDSA ``Data`` that is not a DER SubjectPublicKeyInfo as Go's ``x509`` reads one,
``asn1.Unmarshal`` ignoring bytes after the last field inside a SEQUENCE, an ECDSA curve other
than Go's P-224/P-256/P-384/P-521) with ``InvalidKeyData``; ``peer_id`` hashes the key as
go-libp2p marshals it again (``canonical``: Type then Data, a Secp256k1 point compressed, an
SPKI written again), not the bytes it was read from, as ``peer.IDFromPublicKey`` does; ``verify`` never
raises for a bad signature, it answers False.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..cid import decode_varint, encode_varint
from ..errors import InvalidInput
from ._pbwire import last_value, read_fields

RSA, ED25519, SECP256K1, ECDSA = 0, 1, 2, 3
KEY_TYPE_NAMES = {RSA: "RSA", ED25519: "Ed25519", SECP256K1: "Secp256k1", ECDSA: "ECDSA"}
MAX_INLINE_KEY_BYTES = 42  # a serialized key up to this size is its own peer ID (identity multihash)
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192
IDENTITY, SHA2_256 = 0x00, 0x12
GO_X509_CURVES = ("secp224r1", "secp256r1", "secp384r1", "secp521r1")  # the curves Go's x509 parses


class InvalidKeyData(InvalidInput):
    """A serialized libp2p public key that go-libp2p would not read."""

    hint = "the key is malformed or of a type libp2p does not know"


def read_key_message(serialized: bytes) -> tuple[int, bytes]:
    """``(Type, Data)`` of a libp2p ``PublicKey`` or ``PrivateKey`` protobuf (the same two
    required proto2 fields, the last of each winning); ``ValueError`` saying what is wrong."""
    fields = read_fields(serialized)
    kind = last_value(fields, 1, 0)
    data = last_value(fields, 2, 2)
    if not isinstance(kind, int) or not isinstance(data, bytes):
        raise ValueError(f"the protobuf lacks its {'Type' if not isinstance(kind, int) else 'Data'} field")
    return kind & 0xFFFFFFFF, data  # an enum is an int32 on the wire


def key_message(kind: int, data: bytes) -> bytes:
    """The libp2p ``PublicKey`` or ``PrivateKey`` protobuf of ``(Type, Data)``, as go-libp2p
    writes it (Type then Data); ``read_key_message`` reads it back."""
    return b"\x08" + encode_varint(kind) + b"\x12" + encode_varint(len(data)) + data


@dataclass(frozen=True)
class PublicKey:
    """A libp2p public key: its type and the serialized ``PublicKey`` protobuf it came from."""

    key_type: int
    data: bytes
    serialized: bytes

    @classmethod
    def parse(cls, serialized: bytes) -> PublicKey:
        """Read a serialized ``PublicKey`` protobuf (both fields required, proto2)."""
        try:
            kind, data = read_key_message(serialized)
        except ValueError as exc:
            raise InvalidKeyData(f"public key: {exc}") from None
        key = cls(kind, data, serialized)
        _ = key._loaded  # refuse what go-libp2p refuses (and keep the key object for ``verify``)
        return key

    @classmethod
    def ed25519(cls, raw: bytes) -> PublicKey:
        return cls.parse(key_message(ED25519, raw))

    @property
    def type_name(self) -> str:
        return KEY_TYPE_NAMES.get(self.key_type, str(self.key_type))

    @cached_property
    def canonical(self) -> bytes:
        """The key as go-libp2p's ``MarshalPublicKey`` writes it: the same key whatever
        protobuf or point form it was read from (a Secp256k1 point compressed)."""
        from cryptography.hazmat.primitives import serialization

        if self.key_type in (RSA, ECDSA):  # Go's x509 writes the SubjectPublicKeyInfo again
            spki = self._loaded.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            return key_message(self.key_type, spki)
        if self.key_type != SECP256K1:
            return key_message(self.key_type, self.data)
        point = self._loaded.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return key_message(SECP256K1, point)

    def peer_id(self) -> bytes:
        """The key's peer ID as a multihash (identity when short, else sha2-256) of ``canonical``."""
        key = self.canonical
        if len(key) <= MAX_INLINE_KEY_BYTES:
            return bytes([IDENTITY]) + encode_varint(len(key)) + key
        return bytes([SHA2_256, 32]) + hashlib.sha256(key).digest()

    @cached_property
    def _loaded(self) -> Any:
        """The ``cryptography`` key object (raises ``InvalidKeyData``)."""
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

        data, kind = self.data, self.key_type
        try:
            if kind == ED25519:
                if len(data) != 32:
                    raise InvalidKeyData("expect ed25519 public key data size to be 32")  # go-libp2p's words
                return ed25519.Ed25519PublicKey.from_public_bytes(data)
            if kind == SECP256K1:
                return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), data)
            if kind in (RSA, ECDSA):
                try:
                    read = _go_spki(data)
                except ValueError:
                    read = data  # not one: refused below, in the same words as PKCS#1 or a compressed point
                key = serialization.load_der_public_key(read)
                if kind == RSA:
                    if not isinstance(key, rsa.RSAPublicKey):
                        raise InvalidKeyData("public key: not an RSA key")
                    if key.key_size < MIN_RSA_BITS:
                        raise InvalidKeyData(f"rsa keys must be >= {MIN_RSA_BITS} bits to be useful")
                    if key.key_size > MAX_RSA_BITS:
                        raise InvalidKeyData(f"rsa keys must be <= {MAX_RSA_BITS} bits")
                elif not isinstance(key, ec.EllipticCurvePublicKey):
                    raise InvalidKeyData("public key: not an ECDSA key")
                elif key.curve.name not in GO_X509_CURVES:
                    raise InvalidKeyData("x509: unsupported elliptic curve")  # Go's: P-224/256/384/521 only
                spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                if spki != read:  # PKCS#1, trailing bytes, a compressed point, not DER: Go's x509 refuses each
                    raise InvalidKeyData(f"public key ({self.type_name}): not a DER SubjectPublicKeyInfo "
                                         "as Go's x509 reads one")
                return key
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise InvalidKeyData(f"public key ({self.type_name}): {exc}") from None
        raise InvalidKeyData("invalid or unsupported key type")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's over ``message`` (the key type's scheme)."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding

        key = self._loaded
        try:
            if self.key_type == ED25519:
                if len(signature) != 64:
                    return False
                key.verify(signature, message)
            elif self.key_type == RSA:
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            else:
                if self.key_type == ECDSA:  # go-libp2p reads it with asn1.Unmarshal, ignoring what follows
                    signature = _go_asn1_signature(signature)
                key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


def _go_asn1_signature(signature: bytes) -> bytes:
    """An ECDSA signature as go-libp2p reads it (``asn1.Unmarshal`` into ``{R, S}``): the first
    two INTEGERs of the leading DER SEQUENCE, anything after them in it or after it ignored,
    written again as plain DER; ``ValueError`` for what Go's asn1 refuses."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    tag, body, _ = _der_element(signature, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    inner = signature[body[0]:body[1]]
    numbers = []
    pos = 0
    for _ in range(2):
        tag, (start, end), pos = _der_element(inner, pos)
        digits = inner[start:end]
        if tag != 0x02 or not digits or (len(digits) > 1 and (digits[0], digits[1] >> 7) in ((0, 0), (0xFF, 1))):
            raise ValueError("not a minimal INTEGER")
        numbers.append(int.from_bytes(digits, "big", signed=True))
    if min(numbers) <= 0:
        raise ValueError("R or S is not positive")
    return bytes(encode_dss_signature(numbers[0], numbers[1]))


def _go_spki(data: bytes) -> bytes:
    """A SubjectPublicKeyInfo as Go's ``x509.ParsePKIXPublicKey`` reads it (``asn1.Unmarshal``
    into ``{AlgorithmIdentifier{OID, optional parameters}, BIT STRING}``): bytes after those
    elements inside either SEQUENCE are ignored (Go's asn1 allows them, for extensions), bytes
    after the outer SEQUENCE are not (Go: trailing data); an RSA key's ``RSAPublicKey`` in the
    BIT STRING read as ``_go_rsa_public_key`` reads it; written again as plain DER.
    ``ValueError`` when the elements are not there."""
    tag, (start, end), after = _der_element(data, 0)
    if tag != 0x30 or after != len(data):
        raise ValueError("not a SEQUENCE alone")
    inner = data[start:end]
    tag, (a_start, a_end), pos = _der_element(inner, 0)
    algorithm = inner[a_start:a_end]
    oid_tag, _, used = _der_element(algorithm, 0) if tag == 0x30 else (0, (0, 0), 0)
    if oid_tag != 0x06:
        raise ValueError("no AlgorithmIdentifier")
    if used < len(algorithm):
        used = _der_element(algorithm, used)[2]  # the parameters, of any type
    tag, (bits_start, bits_end), _ = _der_element(inner, pos)
    if tag != 0x03:
        raise ValueError("no BIT STRING")
    bits = inner[bits_start:bits_end]
    if algorithm.startswith(_RSA_OID) and bits[:1] == b"\x00":
        bits = b"\x00" + _go_rsa_public_key(bits[1:])
    return _der(0x30, _der(0x30, algorithm[:used]) + _der(0x03, bits))


_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # rsaEncryption, as DER


def _go_rsa_public_key(data: bytes) -> bytes:
    """An RSAPublicKey as Go's x509 reads one from the BIT STRING (cryptobyte: the SEQUENCE's
    two INTEGERs N and E; bytes after them inside it, and after it, ignored), written again."""
    tag, (start, end), _ = _der_element(data, 0)
    body = data[start:end]
    n_tag, _, n_end = _der_element(body, 0) if tag == 0x30 else (0, (0, 0), 0)
    e_tag, _, e_end = _der_element(body, n_end) if n_tag == 0x02 else (0, (0, 0), 0)
    if e_tag != 0x02:
        raise ValueError("not an RSAPublicKey")
    return _der(0x30, body[:e_end])


def _der(tag: int, body: bytes) -> bytes:
    """A DER element of ``tag`` holding ``body`` (its length in the minimal form)."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(digits)]) + digits + body


def _der_element(data: bytes, pos: int) -> tuple[int, tuple[int, int], int]:
    """``(tag, (body start, body end), next position)`` of the DER element at ``pos`` (lengths
    in their minimal form, as Go's asn1 requires); ``ValueError`` when there is none."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        size = first & 0x7F
        digits = data[pos:pos + size]
        if not 1 <= size <= 4 or len(digits) < size or digits[0] == 0:
            raise ValueError("bad length")
        length = int.from_bytes(digits, "big")
        if length < 0x80:
            raise ValueError("non-minimal length")
        pos += size
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, (pos, pos + length), pos + length


def key_from_peer_id(multihash: bytes) -> PublicKey | None:
    """The key a peer ID holds inline (identity multihash), or None when it only hashes one."""
    try:
        code, pos = decode_varint(multihash)
        length, pos = decode_varint(multihash, pos)
    except ValueError:
        return None
    if code != IDENTITY or len(multihash) - pos != length:
        return None
    return PublicKey.parse(multihash[pos:])


