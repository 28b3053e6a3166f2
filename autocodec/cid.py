"""The CID type of the IPLD data model, and the varint/multibase pieces it needs.

Specs: CID (github.com/multiformats/cid), unsigned-varint (github.com/multiformats/unsigned-varint),
multibase (github.com/multiformats/multibase).

Invariants:
- A ``CID`` wraps the binary CID (v0: the 34-byte sha2-256 multihash; v1: version, codec,
  multihash) and is immutable; equality and hashing are by those bytes.
- ``CID(raw)`` validates the structure (varints minimal, digest length matching); decoders
  call it once per link, so it stays cheap (no multiformats objects are built).
- ``bytes(cid)`` is the binary form, which is what DAG-CBOR tag 42 carries after its 0x00.
- ``str(cid)`` is base58btc for v0 and base32 (lower, unpadded, prefix ``b``) for v1.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from .errors import InvalidCID

if TYPE_CHECKING:  # pragma: no cover
    import multiformats

MAX_VARINT_BYTES = 9  # the unsigned-varint spec caps varints at 9 bytes (63 bits)
MAX_DIGEST_BYTES = 1024


# --- unsigned varint ------------------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """Minimal unsigned LEB128."""
    if value < 0 or value >= 1 << 63:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """Decode a minimal unsigned varint at ``offset``; returns (value, new offset).

    Raises ``ValueError`` for truncated, over-long or non-minimal encodings.
    """
    value = 0
    shift = 0
    end = len(data)
    start = offset
    while True:
        if offset >= end:
            raise ValueError("truncated varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and offset - start > 1:
                raise ValueError("non-minimal varint")
            return value, offset
        shift += 7
        if offset - start >= MAX_VARINT_BYTES:
            raise ValueError("varint too long")


# --- multibase ------------------------------------------------------------------------------

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    num = 0
    for ch in text:
        try:
            num = num * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"invalid base58 character {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def _b32decode(text: str) -> bytes:
    if text != text.lower() and text != text.upper():
        raise ValueError("mixed-case base32")
    text = text.upper()
    if "=" in text:
        raise ValueError("unexpected base32 padding")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _b64decode(text: str, altchars: bytes | None) -> bytes:
    if "=" in text:
        raise ValueError("unexpected base64 padding")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=altchars, validate=True)


def multibase_decode(text: str) -> bytes:
    """Decode a multibase string (b/B base32, z base58btc, f/F base16, u base64url, m base64)."""
    if not text:
        raise ValueError("empty multibase string")
    prefix, body = text[0], text[1:]
    if prefix in "bB":
        return _b32decode(body)
    if prefix == "z":
        return b58decode(body)
    if prefix in "fF":
        return binascii.unhexlify(body)
    if prefix == "u":
        return _b64decode(body, b"-_")
    if prefix == "m":
        return _b64decode(body, None)
    raise ValueError(f"unsupported multibase prefix {prefix!r}")


def base32_encode(data: bytes) -> str:
    """Multibase base32 (lowercase, unpadded) including the ``b`` prefix."""
    return "b" + base64.b32encode(data).decode("ascii").lower().rstrip("=")


# --- CID ------------------------------------------------------------------------------------

_DAG_PB = 0x70
_SHA2_256 = 0x12


def _check_structure(raw: bytes) -> None:
    """Raise ``InvalidCID`` unless ``raw`` is a well-formed binary CID."""
    n = len(raw)
    if n == 34 and raw[0] == 0x12 and raw[1] == 0x20:
        return  # CIDv0
    if n < 4 or raw[0] != 0x01:
        raise InvalidCID(f"not a CID: {raw[:8].hex()}... ({n} bytes)")
    try:
        _codec, off = decode_varint(raw, 1)
        _code, off = decode_varint(raw, off)
        size, off = decode_varint(raw, off)
    except ValueError as exc:
        raise InvalidCID(f"malformed CID: {exc}") from None
    if size > MAX_DIGEST_BYTES or off + size != n:
        raise InvalidCID(f"malformed CID: digest length {size} does not match the {n - off} bytes left")


class CID:
    """A content identifier: cheap to create, hashable, convertible to ``multiformats.CID``."""

    __slots__ = ("_raw",)
    _raw: bytes

    def __init__(self, raw: bytes | bytearray | memoryview) -> None:
        raw = bytes(raw)
        _check_structure(raw)
        self._raw = raw

    # --- construction -----------------------------------------------------------------

    @classmethod
    def _unchecked(cls, raw: bytes) -> "CID":
        """Wrap bytes already known to be a valid binary CID (no validation)."""
        obj = object.__new__(cls)
        obj._raw = raw
        return obj

    @classmethod
    def parse(cls, text: str | bytes | "CID" | Any) -> "CID":
        """A CID from its string form, binary form, or a ``multiformats.CID``."""
        if isinstance(text, CID):
            return text
        if isinstance(text, (bytes, bytearray, memoryview)):
            return cls(bytes(text))
        if not isinstance(text, str):
            if type(text).__module__.startswith("multiformats"):
                return cls(bytes(text))
            raise InvalidCID(f"not a CID: {text!r}")
        text = text.strip()
        try:
            if len(text) == 46 and text.startswith("Qm"):
                return cls(b58decode(text))
            raw = multibase_decode(text)
        except (ValueError, binascii.Error) as exc:
            raise InvalidCID(f"cannot parse CID {text[:80]!r}: {exc}") from None
        if raw[:1] == b"\x12":
            raise InvalidCID(f"CIDv0 must be written in base58btc without a prefix: {text[:80]!r}")
        return cls(raw)

    @classmethod
    def build(cls, codec: int, multihash: bytes, version: int = 1) -> "CID":
        """A CID from a codec code and a full multihash (code, length, digest)."""
        if version == 0:
            if codec != _DAG_PB or multihash[:2] != b"\x12\x20":
                raise InvalidCID("CIDv0 is only dag-pb with a sha2-256 multihash")
            return cls(multihash)
        return cls(b"\x01" + encode_varint(codec) + multihash)

    @classmethod
    def from_multiformats(cls, cid: "multiformats.CID") -> "CID":
        return cls(bytes(cid))

    def to_multiformats(self) -> "multiformats.CID":
        import multiformats  # imported lazily: it costs ~80 ms at import

        return multiformats.CID.decode(self._raw)

    # --- parts ------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return 0 if self._raw[0] == 0x12 else 1

    def _parts(self) -> tuple[int, int, int]:
        """(codec, multihash code, offset of the multihash)."""
        raw = self._raw
        if raw[0] == 0x12:
            return _DAG_PB, _SHA2_256, 0
        codec, off = decode_varint(raw, 1)
        code, _ = decode_varint(raw, off)
        return codec, code, off

    @property
    def codec(self) -> int:
        return self._parts()[0]

    @property
    def hash_code(self) -> int:
        return self._parts()[1]

    @property
    def multihash(self) -> bytes:
        return self._raw[self._parts()[2]:]

    @property
    def digest(self) -> bytes:
        mh = self.multihash
        _code, off = decode_varint(mh, 0)
        _size, off = decode_varint(mh, off)
        return mh[off:]

    def to_v1(self) -> "CID":
        if self.version == 1:
            return self
        return CID._unchecked(b"\x01\x70" + self._raw)

    # --- value behaviour --------------------------------------------------------------

    def __bytes__(self) -> bytes:
        return self._raw

    def __str__(self) -> str:
        if self._raw[0] == 0x12:
            return b58encode(self._raw)
        return base32_encode(self._raw)

    def encode(self, base: str = "base32") -> str:
        if base == "base32":
            return base32_encode(self._raw)
        if base == "base58btc":
            return b58encode(self._raw) if self.version == 0 else "z" + b58encode(self._raw)
        if base == "base16":
            return "f" + self._raw.hex()
        raise ValueError(f"unsupported base {base!r}")

    def __repr__(self) -> str:
        return f"CID({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CID):
            return self._raw == other._raw
        return NotImplemented

    def __lt__(self, other: "CID") -> bool:
        return self._raw < other._raw

    def __hash__(self) -> int:
        return hash((CID, self._raw))

    def __reduce__(self) -> tuple[Any, ...]:
        return (CID, (self._raw,))
