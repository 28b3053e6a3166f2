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

from . import _go_multibase
from .errors import InvalidCID, InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    import multiformats

MAX_VARINT_BYTES = 9  # the unsigned-varint spec caps varints at 9 bytes (63 bits)
MAX_DIGEST_BYTES = 1024
MAX_CID_BYTES = 1 + 3 * MAX_VARINT_BYTES + MAX_DIGEST_BYTES  # version, codec, hash code, length, digest
MAX_CID_TEXT = 1 + 8 * MAX_CID_BYTES
"""Longest string form of a valid CID (base2, 8 characters a byte, is the widest base): longer
text is refused before any base decoding, so parsing one CID string is bounded work whatever the
input (base58/base36/base10 decoding is quadratic in the length)."""


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

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(B58_ALPHABET[rem])
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


_B32STD_TO_HEX = str.maketrans(_go_multibase.B32_STD, _go_multibase.B32_HEX)
B36_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_B58_FLICKR = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_FLICKR_TO_BTC = str.maketrans(_B58_FLICKR, B58_ALPHABET)
_BTC_TO_FLICKR = str.maketrans(B58_ALPHABET, _B58_FLICKR)


def _radix_decode(text: str, alphabet: str) -> bytes:
    """Leading-zero-preserving radix decode (base36, base10), as the multibase spec defines it."""
    base = len(alphabet)
    num = 0
    for ch in text:
        digit = alphabet.find(ch)
        if digit < 0:
            raise ValueError(f"invalid base{base} character {ch!r}")
        num = num * base + digit
    zeros = len(text) - len(text.lstrip(alphabet[0]))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def _radix_encode(data: bytes, alphabet: str) -> str:
    base = len(alphabet)
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, base)
        out.append(alphabet[rem])
    return alphabet[0] * zeros + "".join(reversed(out))


def _b36decode(text: str) -> bytes:
    """base36 in either case (the multibase spec's case_insensitivity vectors; go-base36)."""
    if not text.isascii():  # str.lower would make letters of others (the Kelvin sign -> 'k')
        raise ValueError("invalid base36 character (not ASCII)")
    return _radix_decode(text.lower(), B36_ALPHABET)


def _base8_decode(text: str) -> bytes:
    """base8: 3 bits a character, packed RFC 4648-style (multibase spec); non-zero bits past the
    last whole byte refused."""
    if text.strip("01234567"):
        raise ValueError("invalid base8 character")
    stream = "".join(format(int(ch), "03b") for ch in text)
    usable = len(stream) - len(stream) % 8
    if "1" in stream[usable:]:
        raise ValueError("non-zero trailing bits")
    return bytes(int(stream[i:i + 8], 2) for i in range(0, usable, 8))


def _bits_encode(data: bytes, bits: int) -> str:
    stream = "".join(format(byte, "08b") for byte in data)
    stream += "0" * (-len(stream) % bits)
    return "".join(str(int(stream[i:i + bits], 2)) for i in range(0, len(stream), bits))


def _hex_decode(body: str) -> bytes:
    """base16 in either case (the multibase spec's case_insensitivity vectors; Go's hex.DecodeString)."""
    return binascii.unhexlify(body)


# prefix -> decoder of the text after the prefix (multibase spec, multibase.csv: final and draft entries)
_DECODERS: dict[str, Any] = {
    "0": _go_multibase.base2,
    "7": _base8_decode,
    "9": lambda t: _radix_decode(t, "0123456789"),
    "f": _hex_decode,
    "F": _hex_decode,
    "b": _go_multibase.base32,
    "B": _go_multibase.base32,
    "c": lambda t: _go_multibase.base32(t, padded=True),
    "C": lambda t: _go_multibase.base32(t, padded=True),
    "v": lambda t: _go_multibase.base32(t, hex_alphabet=True),
    "V": lambda t: _go_multibase.base32(t, hex_alphabet=True),
    "t": lambda t: _go_multibase.base32(t, hex_alphabet=True, padded=True),
    "T": lambda t: _go_multibase.base32(t, hex_alphabet=True, padded=True),
    "k": lambda t: _b36decode(t),
    "K": lambda t: _b36decode(t),
    "z": lambda t: b58decode(t),
    "Z": lambda t: b58decode(t.translate(_FLICKR_TO_BTC)),
    "m": _go_multibase.base64,
    "M": lambda t: _go_multibase.base64(t, padded=True),
    "u": lambda t: _go_multibase.base64(t, url=True),
    "U": lambda t: _go_multibase.base64(t, url=True, padded=True),
    "\U0001F680": lambda t: _emoji_decode(t),
}


def _emoji_decode(text: str) -> bytes:
    """base256emoji (🚀): one symbol of go-multibase's alphabet per byte."""
    from ._multiformats import tables

    index = {symbol: i for i, symbol in enumerate(tables().emoji)}
    try:
        return bytes(index[symbol] for symbol in text)
    except KeyError as exc:
        raise ValueError(f"not a base256emoji symbol: {exc.args[0]!r}") from None


def _emoji_encode(data: bytes) -> str:
    from ._multiformats import tables

    alphabet = tables().emoji
    return "\U0001F680" + "".join(alphabet[b] for b in data)


# name (as Kubo's --cid-base spells it) -> encoder including the prefix
MULTIBASES: dict[str, Any] = {
    "base2": lambda d: "0" + _bits_encode(d, 1),
    "base8": lambda d: "7" + _bits_encode(d, 3),
    "base10": lambda d: "9" + _radix_encode(d, "0123456789"),
    "base16": lambda d: "f" + d.hex(),
    "base16upper": lambda d: "F" + d.hex().upper(),
    "base32": lambda d: base32_encode(d),
    "base32upper": lambda d: "B" + base64.b32encode(d).decode("ascii").rstrip("="),
    "base32pad": lambda d: "c" + base64.b32encode(d).decode("ascii").lower(),
    "base32padupper": lambda d: "C" + base64.b32encode(d).decode("ascii"),
    "base32hex": lambda d: "v" + base64.b32encode(d).decode("ascii").rstrip("=").translate(_B32STD_TO_HEX).lower(),
    "base32hexupper": lambda d: "V" + base64.b32encode(d).decode("ascii").rstrip("=").translate(_B32STD_TO_HEX),
    "base32hexpad": lambda d: "t" + base64.b32encode(d).decode("ascii").translate(_B32STD_TO_HEX).lower(),
    "base32hexpadupper": lambda d: "T" + base64.b32encode(d).decode("ascii").translate(_B32STD_TO_HEX),
    "base36": lambda d: "k" + _radix_encode(d, B36_ALPHABET),
    "base36upper": lambda d: "K" + _radix_encode(d, B36_ALPHABET).upper(),
    "base58btc": lambda d: "z" + b58encode(d),
    "base58flickr": lambda d: "Z" + b58encode(d).translate(_BTC_TO_FLICKR),
    "base64": lambda d: "m" + base64.b64encode(d).decode("ascii").rstrip("="),
    "base64pad": lambda d: "M" + base64.b64encode(d).decode("ascii"),
    "base64url": lambda d: "u" + base64.urlsafe_b64encode(d).decode("ascii").rstrip("="),
    "base64urlpad": lambda d: "U" + base64.urlsafe_b64encode(d).decode("ascii"),
    "base256emoji": lambda d: _emoji_encode(d),
}


def spaced_cid_text(text: str) -> bool:
    """Whether white space surrounds a CID's text as Kubo's decoders see it (``CID.parse`` drops
    it, for pasted text): Go's base32 and base64 decoders skip line breaks (``CID\\n`` is the CID
    to go-cid), every other space around it is refused (Kubo's ``invalid path``)."""
    bare = text.strip("\r\n") if text[:1] in "bBcCvVtTmMuU" else text
    return bare != bare.strip()


def multibase_decode(text: str) -> bytes:
    """Decode a multibase string: every base of the multibase table but identity and proquint."""
    if not text:
        raise ValueError("empty multibase string")
    prefix, body = text[0], text[1:]
    decoder = _DECODERS.get(prefix)
    if decoder is None:
        raise ValueError(f"unsupported multibase prefix {prefix!r}")
    try:
        result: bytes = decoder(body)
    except (ValueError, binascii.Error) as exc:  # e.g. "Incorrect padding": say what it means
        raise ValueError(f"the text after the multibase prefix {prefix!r} is not valid in that base: cut short "
                         f"or mistyped? ({exc})") from None
    return result


def multibase_encode(data: bytes, base: str) -> str:
    """``data`` in the multibase named ``base`` (e.g. ``base36``), prefix included;
    ``InvalidInput`` for a name (or a value of another type) that is none of ``MULTIBASES``."""
    encoder = MULTIBASES.get(base) if type(base) is str else None
    if encoder is None:
        raise InvalidInput(f"unknown multibase {base!r}"[:120], hint=f"use one of: {', '.join(MULTIBASES)}")
    text: str = encoder(data)
    return text


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
    if n == 0 or raw[0] != 0x01:
        shown = f"starts with {raw[:8].hex()}" if n else "is empty"
        raise InvalidCID(f"not a CID: it {shown} ({n} byte{'' if n == 1 else 's'}), where a CIDv1 starts with its version 01 "
                         "and a CIDv0 is a 34-byte sha2-256 multihash (1220...)")
    if n < 4:
        raise InvalidCID(f"malformed CID: cut short at {n} bytes ({raw.hex()}); after the version come the "
                         "codec, the multihash code, the digest length and the digest")
    try:
        _codec, off = decode_varint(raw, 1)
        _code, off = decode_varint(raw, off)
        size, off = decode_varint(raw, off)
    except ValueError as exc:
        raise InvalidCID(f"malformed CID: {exc}") from None
    if size > MAX_DIGEST_BYTES:
        raise InvalidCID(f"malformed CID: digest length {size} is over the {MAX_DIGEST_BYTES} bytes a CID may have")
    if off + size != n:
        raise InvalidCID(f"malformed CID: digest length {size} does not match the {n - off} bytes left")


class CID:
    """A content identifier: cheap to create, hashable, convertible to ``multiformats.CID``."""

    __slots__ = ("_raw",)
    _raw: bytes

    def __init__(self, raw: bytes | bytearray | memoryview) -> None:
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            how = ": parse its text form with CID.parse" if isinstance(raw, str) else ""
            raise InvalidCID(f"a CID is made from its binary form (bytes), not {type(raw).__name__}{how}")
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
        if len(text) > MAX_CID_TEXT:
            raise InvalidCID(f"cannot parse CID {text[:80]!r}...: {len(text)} characters, a CID has at most {MAX_CID_TEXT}")
        try:
            if len(text) == 46 and text.startswith("Qm"):
                return cls(b58decode(text))
            raw = multibase_decode(text)
        except (ValueError, binascii.Error) as exc:
            raise InvalidCID(f"cannot parse CID {text[:80]!r}: {exc}") from None
        if not raw:  # e.g. 'bafy': Go's base32 drops a last group of 1, 3 or 6 characters
            raise InvalidCID(f"cannot parse CID {text[:80]!r}: the text after the multibase prefix holds no whole "
                             "byte: cut short or mistyped?")
        return cls(raw)  # a CIDv0 in a multibase (zQm..., bciq...) is a CIDv0, as go-cid's Decode reads it

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

    # codec, hash_code and multihash read one-byte varints (almost every CID: raw, dag-pb,
    # dag-cbor, git-raw; sha2-256, sha1, blake3, keccak-256) straight from the bytes: these
    # properties are read for every block of a walk

    @property
    def codec(self) -> int:
        raw = self._raw
        if raw[0] == 0x12:
            return _DAG_PB
        return raw[1] if raw[1] < 0x80 else self._parts()[0]

    @property
    def hash_code(self) -> int:
        raw = self._raw
        if raw[0] == 0x12:
            return _SHA2_256
        return raw[2] if raw[1] < 0x80 and raw[2] < 0x80 else self._parts()[1]

    @property
    def multihash(self) -> bytes:
        raw = self._raw
        if raw[0] == 0x12:
            return raw
        return raw[2:] if raw[1] < 0x80 else raw[self._parts()[2]:]

    @property
    def digest(self) -> bytes:
        mh = self.multihash
        if mh[0] < 0x80 and mh[1] < 0x80:  # one-byte code and length: almost every CID
            return mh[2:]
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
        """The string form in multibase ``base`` (a Kubo ``--cid-base`` name).

        A CIDv0 stays bare base58btc (``Qm...``) when asked for base58btc; in any other base it is
        upgraded to CIDv1 first, as Kubo does, because only base58btc can spell a CIDv0.
        """
        if base == "base58btc" and self.version == 0:
            return b58encode(self._raw)
        return multibase_encode(bytes(self.to_v1()._raw), base)

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
