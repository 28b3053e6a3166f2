"""DER elements as Go's ``encoding/asn1`` reads them, for the key readers that must accept what
Kubo accepts (``_go_pkcs8``: PKCS#8 key files; ``_libp2p_key``: SubjectPublicKeyInfo keys and
ECDSA signatures in IPNS records).

Facts from Go 1.26's ``encoding/asn1`` (``parseTagAndLength``, ``parseBase128Int``,
``checkInteger``, ``parseField``'s bounds check); the code is this project's.

Invariant: ``element`` reads a tag and length exactly where Go does (a high tag number in
base 128, minimal and at most an int32; a definite length in its minimal form; the body inside
``data``) and refuses the rest with ``ValueError`` in the words of Go's error.
"""

from __future__ import annotations

_MAX_INT32 = 2**31 - 1
_MAX_LENGTH_BEFORE_SHIFT = 1 << 23  # Go refuses to shift a length this large by another byte


def element(data: bytes, pos: int) -> tuple[int, int, int]:
    """``(first tag byte, body start, body end)`` of the DER element at ``pos``.

    The first byte holds the class, the constructed bit and a low tag number, so an element
    is told by it (``0x30`` a SEQUENCE, ``0x02`` an INTEGER); a high tag number (low five bits
    all set) is read past and checked, never confused with a low one."""
    if pos >= len(data):
        raise ValueError("truncated tag or length")
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        pos = _skip_high_tag_number(data, pos)
    if pos >= len(data):
        raise ValueError("truncated tag or length")
    first = data[pos]
    pos += 1
    length = first
    if first & 0x80:
        count, length = first & 0x7F, 0
        if count == 0:
            raise ValueError("indefinite length found (not DER)")
        for _ in range(count):
            if pos >= len(data):
                raise ValueError("truncated tag or length")
            if length >= _MAX_LENGTH_BEFORE_SHIFT:
                raise ValueError("length too large")
            length = length << 8 | data[pos]
            pos += 1
            if length == 0:
                raise ValueError("superfluous leading zeros in length")
        if length < 0x80:
            raise ValueError("non-minimal length")
    if length > len(data) - pos:
        raise ValueError("data truncated")
    return tag, pos, pos + length


def _skip_high_tag_number(data: bytes, pos: int) -> int:
    """The position after a base-128 tag number starting at ``pos`` (Go: at most five digits,
    the first not 0x80, the number at most an int32 and at least 31)."""
    number = 0
    for digits in range(6):
        if pos >= len(data):
            raise ValueError("truncated base 128 integer")
        if digits == 5:
            raise ValueError("base 128 integer too large")
        byte = data[pos]
        if digits == 0 and byte == 0x80:
            raise ValueError("integer is not minimally encoded")
        number = number << 7 | byte & 0x7F
        pos += 1
        if not byte & 0x80:
            break
    if number > _MAX_INT32:
        raise ValueError("base 128 integer too large")
    if number < 0x1F:
        raise ValueError("non-minimal tag")
    return pos


def minimal_integer(digits: bytes) -> bool:
    """Whether an INTEGER's contents are what Go's ``checkInteger`` takes: not empty, and no
    leading byte that only repeats the sign of the next."""
    if not digits:
        return False
    return len(digits) == 1 or (digits[0], digits[1] >> 7) not in ((0, 0), (0xFF, 1))


def der(tag: int, body: bytes) -> bytes:
    """A DER element of ``tag`` (a one-byte tag) holding ``body``, its length in minimal form."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(digits)]) + digits + body
