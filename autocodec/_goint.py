"""Integers written as Go's ``strconv.ParseInt``/``ParseUint`` read them.

Kubo answers malformed numbers (a ``Range`` or ``entity-bytes`` offset, a list index in a
path) by what this reader takes, so the places that answer as Kubo does share it: an optional
sign, ASCII digits (leading zeros allowed), within int64; nothing else (no spaces, no ``_``, no
other digits, unlike Python's ``int``); base 0 (``parse_base0``) also takes Go's prefixes and
``_`` between digits. Pure; bounded work for any length of text.
"""

from __future__ import annotations

import re

_INT = re.compile(r"[+-]?[0-9]+")


def parse_int64(text: str) -> int | None:
    """``text`` as a base-10 int64, or None where Go's ``ParseInt`` fails."""
    if not _INT.fullmatch(text) or len(text.lstrip("+-").lstrip("0")) > 19:  # no huge int() either
        return None
    value = int(text)
    return value if -(1 << 63) <= value < 1 << 63 else None


_BASE0 = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")


def _underscores_ok(text: str) -> bool:
    """Go's rule for ``_`` in a base-0 number (``strconv.underscoreOK``): each one separates two
    digits, or the ``0x``/``0o``/``0b`` prefix and a digit (``1_000``, ``0x_ff``; not ``_1``,
    ``1_``, ``1__0``)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    saw, i = "^", 0
    hexa = False
    if len(body) >= 2 and body[0] == "0" and body[1].lower() in "box":
        saw, i, hexa = "0", 2, body[1].lower() == "x"
    for ch in body[i:]:
        if ch in "0123456789" or (hexa and ch.lower() in "abcdef"):
            saw = "0"
        elif ch == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def parse_base0(text: str, bits: int, *, signed: bool) -> int | None:
    """``text`` as Go's ``ParseInt(text, 0, bits)`` (or ``ParseUint``, unsigned) reads it, the
    way Kubo's command options are read: ``0x``/``0o``/``0b`` prefixes, a leading ``0`` for
    octal, else decimal, with ``_`` between digits as Go's syntax allows (Kubo reads
    ``--max-file-links=1_0`` as 10); None where Go fails."""
    if "_" in text:
        if len(text) > 160 or not _underscores_ok(text):
            return None
        text = text.replace("_", "")
    match = _BASE0.fullmatch(text)
    if match is None or len(text) > 80 or (match.group(1) and not signed):
        return None
    sign, body = match.groups()
    if body[:2].lower() in ("0x", "0o", "0b"):
        value = int(body, 0)
    elif len(body) > 1 and body[0] == "0":
        value = int(body, 8)
    else:
        value = int(body)
    value = -value if sign == "-" else value
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    return value if low <= value < high else None
