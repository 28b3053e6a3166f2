"""Canonical DAG-CBOR for signed documents: size caps, strict decoding, content addresses.

Invariants:
- ``decode_canonical`` refuses bytes over the cap before decoding, and bytes whose re-encoding
  differs from them (non-canonical key order, non-minimal integers, indefinite lengths...):
  every signed document therefore has exactly one byte form and one CID.
- Documents are addressed as CIDv1, dag-cbor, sha2-256.
- Fetched bytes are trusted only after they hash to the CID they were asked for
  (``check_cid``): builtin hashes only (never a Wasm hasher), never the identity multihash.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..cid import CID, decode_varint, encode_varint
from ..errors import AutocodecError, HashMismatch, InvalidDocument, UnknownHash

DAG_CBOR = 0x71
SHA2_256 = 0x12
IDENTITY = 0x00

# multihash code -> hashlib constructor: the builtin hashes trusted for integrity checks.
_HASHES: dict[int, Any] = {
    0x12: hashlib.sha256,
    0x13: hashlib.sha512,
    0x16: hashlib.sha3_256,
    0x14: hashlib.sha3_512,
    0xB220: lambda data: hashlib.blake2b(data, digest_size=32),
    0xB240: lambda data: hashlib.blake2b(data, digest_size=64),
}


def _codec() -> tuple[Any, Any]:
    """(encode, decode) of the builtin DAG-CBOR codec (imported lazily: it is a heavy wing)."""
    from ..builtin import decode, encode

    return (lambda v: encode(v, "dag-cbor"), lambda b: decode(b, "dag-cbor"))


def encode(value: Any) -> bytes:
    """Canonical DAG-CBOR bytes of a data-model value."""
    enc, _ = _codec()
    try:
        return bytes(enc(value))
    except AutocodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed: any codec failure refuses the document
        raise InvalidDocument(f"cannot encode document: {exc}") from None


def decode_canonical(data: bytes, *, max_bytes: int, what: str) -> Any:
    """Decode ``data`` (at most ``max_bytes``) and insist that it is canonical DAG-CBOR."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidDocument(f"{what} is not bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise InvalidDocument(f"{what} is {len(data)} bytes, over the {max_bytes}-byte cap")
    enc, dec = _codec()
    try:
        value = dec(data)
        again = bytes(enc(value))
    except RecursionError:
        raise InvalidDocument(f"{what} is nested too deeply") from None
    except AutocodecError as exc:
        raise InvalidDocument(f"{what} is not valid DAG-CBOR: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - fail closed on hostile bytes, typed
        raise InvalidDocument(f"{what} is not valid DAG-CBOR: {exc}") from None
    if again != data:
        raise InvalidDocument(f"{what} is not canonical DAG-CBOR (re-encoding changes its bytes)")
    return value


def document_cid(data: bytes) -> CID:
    """The CID of a document's bytes: CIDv1, dag-cbor, sha2-256."""
    digest = hashlib.sha256(data).digest()
    return CID.build(DAG_CBOR, bytes([SHA2_256, 32]) + digest)


def check_cid(cid: CID, data: bytes, *, what: str) -> None:
    """Raise unless ``data`` hashes to ``cid`` with a builtin cryptographic hash."""
    mh = cid.multihash
    try:
        code, off = decode_varint(mh, 0)
        _size, off = decode_varint(mh, off)
    except ValueError as exc:
        raise InvalidDocument(f"{what} CID {cid} has a malformed multihash: {exc}") from None
    if code == IDENTITY:
        raise HashMismatch(
            f"{what} CID {cid} uses the identity multihash, which proves nothing about the bytes",
            hint="address modules and documents by a cryptographic hash (sha2-256)",
        )
    hasher = _HASHES.get(code)
    if hasher is None:
        raise UnknownHash(code, f"{what} CID {cid} uses multihash 0x{code:x}, not a builtin trusted hash")
    digest = hasher(bytes(data)).digest()
    expected = encode_varint(code) + encode_varint(len(digest)) + digest
    if expected != mh:
        raise HashMismatch(f"{what} bytes do not hash to {cid}")
