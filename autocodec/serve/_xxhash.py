"""XXH64 (seed 0), from the xxHash specification (Cyan4973/xxHash, ``doc/xxhash_spec.md``).

Kubo's gateway (boxo) names an IPNS record by the XXH64 of its bytes written in base 32 as
Go's ``strconv.FormatUint(h, 32)`` writes it (digits ``0-9a-v``, no padding): its ``ETag``.
Only that use is made of it here, on records of at most 10 KiB, so plain Python is enough.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
_DIGITS = "0123456789abcdefghijklmnopqrstuv"


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * _P2) & _MASK, 31) * _P1) & _MASK


def _lane(data: bytes, at: int, size: int = 8) -> int:
    return int.from_bytes(data[at:at + size], "little")


def _stripes(data: bytes) -> tuple[int, int]:
    """The accumulators' merged value over every whole 32-byte stripe, and where the tail starts."""
    acc = [(_P1 + _P2) & _MASK, _P2, 0, (-_P1) & _MASK]
    at = 0
    while at + 32 <= len(data):
        acc = [_round(value, _lane(data, at + 8 * i)) for i, value in enumerate(acc)]
        at += 32
    h = (_rotl(acc[0], 1) + _rotl(acc[1], 7) + _rotl(acc[2], 12) + _rotl(acc[3], 18)) & _MASK
    for value in acc:
        h = (((h ^ _round(0, value)) * _P1) + _P4) & _MASK
    return h, at


def xxh64(data: bytes) -> int:
    """The 64-bit XXH64 digest of ``data`` with seed 0."""
    h, at = _stripes(data) if len(data) >= 32 else (_P5, 0)
    h = (h + len(data)) & _MASK
    while at + 8 <= len(data):
        h = ((_rotl(h ^ _round(0, _lane(data, at)), 27) * _P1) + _P4) & _MASK
        at += 8
    if at + 4 <= len(data):
        h = ((_rotl(h ^ ((_lane(data, at, 4) * _P1) & _MASK), 23) * _P2) + _P3) & _MASK
        at += 4
    for byte in data[at:]:
        h = (_rotl(h ^ ((byte * _P5) & _MASK), 11) * _P1) & _MASK
    h = ((h ^ (h >> 33)) * _P2) & _MASK
    h = ((h ^ (h >> 29)) * _P3) & _MASK
    return h ^ (h >> 32)


def go_base32(value: int) -> str:
    """``value`` in base 32 as Go's ``strconv.FormatUint(value, 32)`` writes it."""
    out = ""
    while True:
        value, digit = divmod(value, 32)
        out = _DIGITS[digit] + out
        if not value:
            return out
