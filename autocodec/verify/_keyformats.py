"""Private keys in Kubo's key file formats (``ipfs key export``/``ipfs key import``), Ed25519 only.

Facts used: the libp2p peer-ID spec (github.com/libp2p/specs, peer-ids/peer-ids.md) defines
``libp2p-protobuf-cleartext`` as the proto2 message ``PrivateKey { required KeyType Type = 1;
required bytes Data = 2; }`` with ``KeyType`` RSA 0, Ed25519 1, Secp256k1 2, ECDSA 3; an
Ed25519 ``Data`` is the 32-byte private key (seed) followed by the 32-byte public key, or, as
older libp2p code wrote it, followed by the public key twice (96 bytes, taken only when both
copies agree). ``pem-pkcs8-cleartext`` is an unencrypted PKCS#8 ``PrivateKeyInfo`` (RFC 5958)
in a PEM block labelled ``PRIVATE KEY`` (RFC 7468). Kubo v0.43.1 writes and reads both (its
default is the protobuf), and names a key by the peer ID of its public key (``k51...``).

Invariants:
- ``export_key`` gives the bytes Kubo exports for the same key, in either format;
- ``import_key`` takes what Kubo exports; a key of another type is ``UnsupportedKeyType``
  naming the type; anything else (not the format, truncated, a public half that is not the
  seed's own) is ``InvalidKeyFile``; nothing is ever read past ``data``.
"""

from __future__ import annotations

import re

from ..errors import InvalidInput, UnsupportedFormat
from ._keyring import SigningKey
from ._libp2p_key import ED25519, KEY_TYPE_NAMES, key_message, read_key_message

PROTOBUF, PEM = "libp2p-protobuf-cleartext", "pem-pkcs8-cleartext"
FORMATS = (PROTOBUF, PEM)
DEFAULT_FORMAT = PROTOBUF  # Kubo's default, both ways
MAX_KEY_FILE_BYTES = 16 * 1024  # an RSA-8192 key file is about 5 KiB

_PEM_BEGIN = re.compile(rb"-----BEGIN ([^\r\n-]*)-----")


class InvalidKeyFile(InvalidInput):
    """A key file that is not a key in the format it was read as."""

    hint = "give a key file as Kubo's key export writes it, in the format named"


class UnsupportedKeyType(UnsupportedFormat):
    """A private key of a type other than Ed25519 (the only keys autocodec signs with)."""

    hint = "autocodec signs with Ed25519 keys only: make an Ed25519 key and import that one"


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of ``FORMATS``; else ``InvalidInput`` naming them."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown key file format {str(fmt)[:80]!r}", hint=f"use {PROTOBUF} or {PEM}")
    return fmt


def export_key(key: SigningKey, fmt: str = DEFAULT_FORMAT) -> bytes:
    """``key`` as a cleartext key file in ``fmt`` (Kubo's bytes for the same key)."""
    if check_format(fmt) == PEM:
        return key.to_pem(None)
    return key_message(ED25519, key.seed() + key.public.raw)


def import_key(data: bytes, fmt: str = DEFAULT_FORMAT) -> SigningKey:
    """The Ed25519 key a cleartext key file in ``fmt`` holds (see the module invariants)."""
    if len(data) > MAX_KEY_FILE_BYTES:
        raise InvalidKeyFile(f"the key file is {len(data)} bytes, too large to be a key")
    if not data:
        raise InvalidKeyFile("the key file is empty")
    if check_format(fmt) == PEM:
        return _from_pem(data)
    return _from_protobuf(data)


def ipns_name(key: SigningKey) -> str:
    """The key's IPNS name (its libp2p peer ID as a ``k51...`` CID), as Kubo's key list shows it."""
    return ipns_name_of_raw(key.public.raw)


def ipns_name_of_raw(public: bytes) -> str:
    """The IPNS name of a raw 32-byte Ed25519 public key."""
    from ._ipns import IpnsName
    from ._libp2p_key import PublicKey

    return str(IpnsName.of_key(PublicKey.ed25519(public)))


def _from_protobuf(data: bytes) -> SigningKey:
    if _PEM_BEGIN.search(data):
        raise InvalidKeyFile(f"the key file is PEM, not {PROTOBUF}", hint=f"import it in the {PEM} format")
    try:
        kind, body = read_key_message(data)
    except ValueError as exc:
        raise InvalidKeyFile(f"the key file is not a libp2p PrivateKey protobuf: {exc}") from None
    if kind != ED25519:
        name = KEY_TYPE_NAMES.get(kind, f"{kind} (not a libp2p key type)")
        raise UnsupportedKeyType(f"the key in the file is of type {name}, not Ed25519")
    if len(body) == 96:
        if body[32:64] != body[64:]:
            raise InvalidKeyFile("the key file's Ed25519 key repeats its public key with a different one")
        body = body[:64]
    if len(body) != 64:
        raise InvalidKeyFile(f"an Ed25519 private key is 64 bytes (or 96), this one is {len(body)}")
    key = SigningKey.from_seed(body[:32])
    if key.public.raw != body[32:]:
        raise InvalidKeyFile("the key file's Ed25519 public key is not the one its private key makes: "
                             "the file is corrupt")
    return key


def _from_pem(data: bytes) -> SigningKey:
    """The key of the first PEM block Go's ``pem.Decode`` finds, read as Kubo reads it
    (``_go_pkcs8``); a PKCS#8 key of another algorithm is named by OpenSSL's reading of it."""
    from ._go_pkcs8 import ED25519_OID, ed25519_seed, pem_decode, read_pkcs8

    block = pem_decode(data)
    if block is None:
        begin = _PEM_BEGIN.search(data)
        if begin is not None and data.find(b"-----END " + begin.group(1) + b"-----", begin.end()) < 0:
            raise InvalidKeyFile("the key file's PEM block has no END line: the file is cut short")
        raise InvalidKeyFile("the key file holds no PEM block Go's pem.Decode reads (Kubo's reader)",
                             hint=_pem_hint(data))
    label, der = block
    if label != "PRIVATE KEY":
        raise _wrong_label(label)
    try:
        info = read_pkcs8(der)
        if info.algorithm == ED25519_OID:
            return SigningKey.from_seed(ed25519_seed(info))
    except ValueError as exc:
        raise InvalidKeyFile(f"the key file's PEM block is not a PKCS#8 private key Kubo reads: {exc}") from None
    return _ed25519_of(_openssl_pkcs8(der))


def _openssl_pkcs8(der: bytes) -> object:
    """A PKCS#8 key of another algorithm than Ed25519, loaded to name its type."""
    from cryptography.exceptions import InternalError, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_der_private_key(der, password=None)
    except UnsupportedAlgorithm:
        raise UnsupportedKeyType("the key in the file is of a PKCS#8 algorithm autocodec does not know, "
                                 "not Ed25519") from None
    except (ValueError, TypeError) as exc:
        raise InvalidKeyFile(f"the key file's PEM block is not a PKCS#8 private key: {exc}") from None
    except InternalError:  # OpenSSL's refusal of the key inside (of the wrong length for its type)
        raise InvalidKeyFile("the key file's PKCS#8 block holds a private key OpenSSL cannot set up "
                             "(of the wrong length for its type): the file is corrupt") from None


def _wrong_label(label: str) -> InvalidKeyFile | UnsupportedKeyType:
    """The error for a PEM block that is not ``PRIVATE KEY``, as Kubo refuses it."""
    if label == "ENCRYPTED PRIVATE KEY":
        return InvalidKeyFile(f"the key file is an encrypted PKCS#8 key; {PEM} is unencrypted",
                              hint="decrypt it first (for instance with openssl pkcs8), then import that")
    kind = label.removesuffix(" PRIVATE KEY")
    if kind != label and kind in ("RSA", "EC", "DSA", "OPENSSH"):
        if kind == "OPENSSH":
            return InvalidKeyFile("the key file is an OpenSSH private key, not PKCS#8",
                                  hint="convert it to PKCS#8 PEM first (for instance with ssh-keygen)")
        return UnsupportedKeyType(f"the key in the file is of type {kind}, not Ed25519 (PEM block {label!r})")
    return InvalidKeyFile(f"the key file's PEM block is {label[:60]!r}, not 'PRIVATE KEY' (PKCS#8)",
                          hint="give the file of a private key, not of a public key or certificate")


def _pem_hint(data: bytes) -> str:
    if data[:1] == b"\x08":  # Type's key: a protobuf PrivateKey
        return f"this looks like a {PROTOBUF} file: import it in that format"
    return InvalidKeyFile.hint


def _ed25519_of(key: object) -> SigningKey:
    """A ``SigningKey`` of a loaded ``cryptography`` key; ``UnsupportedKeyType`` naming any other."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ed25519.Ed25519PrivateKey):
        return SigningKey(key)
    if isinstance(key, rsa.RSAPrivateKey):
        name = f"RSA-{key.key_size}"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        name = "Secp256k1" if key.curve.name == "secp256k1" else f"ECDSA ({key.curve.name})"
    else:
        name = type(key).__name__.removesuffix("PrivateKey").lstrip("_") or "unknown"
    raise UnsupportedKeyType(f"the key in the file is of type {name}, not Ed25519")
