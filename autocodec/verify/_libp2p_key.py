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
from ._go_asn1 import der, element, minimal_integer
from ._pbwire import last_value, read_fields

RSA, ED25519, SECP256K1, ECDSA = 0, 1, 2, 3
KEY_TYPE_NAMES = {RSA: "RSA", ED25519: "Ed25519", SECP256K1: "Secp256k1", ECDSA: "ECDSA"}
MAX_INLINE_KEY_BYTES = 42  # a serialized key up to this size is its own peer ID (identity multihash)
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192
IDENTITY, SHA2_256 = 0x00, 0x12


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
        """Read a serialized ``PublicKey`` protobuf (both fields required, proto2), refused in
        protobuf-go's words (its ``proto:`` prefix written with a plain space: protobuf-go picks
        a space or a no-break space per binary, docs/bounds.md)."""
        try:
            fields = read_fields(serialized)
        except ValueError:
            raise InvalidKeyData("proto: cannot parse invalid wire-format data") from None
        kind, data = last_value(fields, 1, 0), last_value(fields, 2, 2)
        for name, value in (("Type", kind), ("Data", data)):
            if value is None:
                raise InvalidKeyData(f"proto: required field crypto.pb.PublicKey.{name} not set")
        assert isinstance(kind, int) and isinstance(data, bytes)
        key = cls(kind & 0xFFFFFFFF, data, serialized)
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
                return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), _dcrd_secp256k1_point(data))
            if kind in (RSA, ECDSA):
                checked = None
                try:
                    read = _go_spki(data)
                except _GoWords:
                    raise
                except ValueError:
                    read = data  # not one: refused below (cryptography's words, not Go's asn1 ones)
                else:
                    checked = _go_key_checks(kind, read)
                key = checked if checked is not None else serialization.load_der_public_key(read)
                if kind == RSA:
                    if not isinstance(key, rsa.RSAPublicKey):
                        raise InvalidKeyData("not actually an rsa public key")  # go-libp2p's words
                    if key.key_size < MIN_RSA_BITS:
                        raise InvalidKeyData(f"rsa keys must be >= {MIN_RSA_BITS} bits to be useful")
                    if key.key_size > MAX_RSA_BITS:
                        raise InvalidKeyData(f"rsa keys must be <= {MAX_RSA_BITS} bits")
                elif not isinstance(key, ec.EllipticCurvePublicKey):
                    raise InvalidKeyData("not an ecdsa public key")  # go-libp2p's ErrNotECDSAPubKey
                elif key.curve.name not in _GO_CURVE_NAMES:
                    raise InvalidKeyData("x509: unsupported elliptic curve")  # Go's: P-224/256/384/521 only
                spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                if spki != read:  # PKCS#1, trailing bytes, a compressed point, not DER: Go's x509 refuses each
                    raise InvalidKeyData(f"public key ({self.type_name}): not a DER SubjectPublicKeyInfo "
                                         "as Go's x509 reads one")
                return key
        except _GoWords as exc:
            raise InvalidKeyData(str(exc)) from None
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


class _GoWords(ValueError):
    """A refusal whose message is the Go library's own words (Go 1.26 ``crypto/x509``,
    ``crypto/ecdsa``; dcrd ``secp256k1/v4``, which go-libp2p reads Secp256k1 keys with)."""


_SECP256K1_P = 2**256 - 2**32 - 977


def _dcrd_secp256k1_point(data: bytes) -> bytes:
    """A Secp256k1 key's SEC1 bytes as dcrd's ``ParsePubKey`` reads them, given back in a form
    ``cryptography`` reads (the hybrid forms 0x06/0x07, which dcrd takes when y's parity agrees,
    as the uncompressed 0x04); ``_GoWords`` in dcrd's words for what it refuses, a point off the
    curve included."""
    lengths = {33: (2, 3), 65: (4, 6, 7)}
    if len(data) not in lengths:
        raise _GoWords(f"malformed public key: invalid length: {len(data)}")
    if data[0] not in lengths[len(data)]:
        raise _GoWords(f"invalid public key: unsupported format: {data[0]:x}")
    x = int.from_bytes(data[1:33], "big")
    if x >= _SECP256K1_P:
        raise _GoWords("invalid public key: x >= field prime")
    right = (pow(x, 3, _SECP256K1_P) + 7) % _SECP256K1_P
    if len(data) == 33:
        if right and pow(right, (_SECP256K1_P - 1) // 2, _SECP256K1_P) != 1:
            raise _GoWords(f"invalid public key: x coordinate {data[1:33].hex()} is not on the secp256k1 curve")
        return data
    y = int.from_bytes(data[33:], "big")
    if y >= _SECP256K1_P:
        raise _GoWords("invalid public key: y >= field prime")
    if data[0] in (6, 7) and y & 1 != data[0] - 6:
        raise _GoWords(f"invalid public key: y oddness does not match specified value of {'true' if data[0] == 7 else 'false'}")
    if y * y % _SECP256K1_P != right:
        raise _GoWords(f"invalid public key: [{data[1:33].hex()},{data[33:].hex()}] not on secp256k1 curve")
    return b"\x04" + data[1:]


_GO_CURVES = {  # the curves Go's x509 reads: their OID (as DER) -> (nistec's name, cryptography's, field prime)
    bytes.fromhex("06052b81040021"): ("P224", "secp224r1", 2**224 - 2**96 + 1),
    bytes.fromhex("06082a8648ce3d030107"): ("P256", "secp256r1", 2**256 - 2**224 + 2**192 + 2**96 - 1),
    bytes.fromhex("06052b81040022"): ("P384", "secp384r1", 2**384 - 2**128 - 2**96 + 2**32 - 1),
    bytes.fromhex("06052b81040023"): ("P521", "secp521r1", 2**521 - 1),
}
_GO_CURVE_NAMES = frozenset(name for _, name, _ in _GO_CURVES.values())


def _go_key_checks(kind: int, spki: bytes) -> Any:
    """What Go's ``x509.parsePublicKey`` and go-libp2p check of a SubjectPublicKeyInfo that
    ``asn1`` read (``_go_spki``'s plain DER), in their words, before ``cryptography`` reads it;
    an ECDSA key's ``cryptography`` object (its point is loaded to be checked), else None."""
    inner = spki[element(spki, 0)[1]:]
    _, a_start, a_end = element(inner, 0)
    algorithm = inner[a_start:a_end]
    oid_end = element(algorithm, 0)[2]
    oid, params = algorithm[:oid_end], algorithm[oid_end:]
    _, bits_start, bits_end = element(inner, a_end)
    point = inner[bits_start + 1:bits_end]  # after the count of unused bits
    if oid not in _GO_KEY_OIDS:
        raise _GoWords("x509: unknown public key algorithm")
    if oid == _RSA_OID:
        if params != b"\x05\x00":
            raise _GoWords("x509: RSA key missing NULL parameters")
        if kind != RSA:
            raise _GoWords("not an ecdsa public key")  # go-libp2p's ErrNotECDSAPubKey
    elif oid == _EC_OID:
        if params[:1] != b"\x06":
            raise _GoWords("x509: invalid ECDSA parameters")
        if params not in _GO_CURVES:
            raise _GoWords("x509: unsupported elliptic curve")
        if point[:1] != b"\x04":
            raise _GoWords("ecdsa: invalid uncompressed public key")
        from cryptography.hazmat.primitives.asymmetric import ec

        label, name, prime = _GO_CURVES[params]
        curve = getattr(ec, name.upper())()  # SECP256R1() for secp256r1
        size = (curve.key_size + 7) // 8  # Go's nistec words, as crypto/ecdsa passes them on
        if len(point) != 1 + 2 * size:
            raise _GoWords(f"invalid {label} point encoding")
        if int.from_bytes(point[1:1 + size], "big") >= prime or int.from_bytes(point[1 + size:], "big") >= prime:
            raise _GoWords(f"invalid {label} element encoding" if label == "P256" else f"invalid {label}Element encoding")
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
        except ValueError:
            raise _GoWords(f"{label} point not on curve") from None
        if kind != ECDSA:
            raise _GoWords("not actually an rsa public key")  # go-libp2p's words
        return key
    return None


def _pkcs1_public_key(data: bytes) -> bool:
    """Whether ``data`` starts with an RSAPublicKey as Go's ``asn1.Unmarshal`` reads one (two
    INTEGERs in a SEQUENCE, the exponent fitting an int64), for x509's hint at that form."""
    try:
        tag, start, end = element(data, 0)
        body = data[start:end]
        n_tag, _, after_n = element(body, 0)
        e_tag, e_start, e_end = element(body, after_n)
    except ValueError:
        return False
    return (tag, n_tag, e_tag) == (0x30, 0x02, 0x02) and 0 < e_end - e_start <= 8


def _go_asn1_signature(signature: bytes) -> bytes:
    """An ECDSA signature as go-libp2p reads it (``asn1.Unmarshal`` into ``{R, S}``): the first
    two INTEGERs of the leading DER SEQUENCE, anything after them in it or after it ignored,
    written again as plain DER; ``ValueError`` for what Go's asn1 refuses."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    tag, start, end = element(signature, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    inner = signature[start:end]
    numbers = []
    pos = 0
    for _ in range(2):
        tag, start, pos = element(inner, pos)
        digits = inner[start:pos]
        if tag != 0x02 or not minimal_integer(digits):
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
    try:
        return _go_spki_elements(data)
    except _GoWords:
        raise
    except ValueError:
        if _pkcs1_public_key(data):
            raise _GoWords("x509: failed to parse public key (use ParsePKCS1PublicKey instead for this key format)") from None
        raise


def _go_spki_elements(data: bytes) -> bytes:
    tag, start, after = element(data, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    inner = data[start:after]
    tag, a_start, pos = element(inner, 0)
    algorithm = inner[a_start:pos]
    oid_tag, _, used = element(algorithm, 0) if tag == 0x30 else (0, 0, 0)
    if oid_tag != 0x06:
        raise ValueError("no AlgorithmIdentifier")
    if used < len(algorithm):
        used = element(algorithm, used)[2]  # the parameters, of any type
    tag, bits_start, bits_end = element(inner, pos)
    if tag != 0x03:
        raise ValueError("no BIT STRING")
    bits = inner[bits_start:bits_end]
    if after != len(data):
        raise _GoWords("x509: trailing data after ASN.1 of public-key")
    if algorithm.startswith(_RSA_OID) and bits[:1] == b"\x00":
        bits = b"\x00" + _go_rsa_public_key(bits[1:])
    return der(0x30, der(0x30, algorithm[:used]) + der(0x03, bits))


_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # rsaEncryption, as DER
_EC_OID = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey, as DER
_GO_KEY_OIDS = {_RSA_OID, _EC_OID, bytes.fromhex("06072a8648ce380401"), bytes.fromhex("06032b6570"),
                bytes.fromhex("06032b656e")}  # x509's public key algorithms: and DSA, Ed25519, X25519


def _go_rsa_public_key(data: bytes) -> bytes:
    """An RSAPublicKey as Go's x509 reads one from the BIT STRING (cryptobyte: the SEQUENCE's
    two INTEGERs N and E; bytes after them inside it, and after it, ignored), written again."""
    tag, start, end = element(data, 0)
    body = data[start:end]
    n_tag, _, n_end = element(body, 0) if tag == 0x30 else (0, 0, 0)
    e_tag, _, e_end = element(body, n_end) if n_tag == 0x02 else (0, 0, 0)
    if e_tag != 0x02:
        raise ValueError("not an RSAPublicKey")
    return der(0x30, body[:e_end])


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


