"""Integers written as Go's ``strconv.ParseInt``/``ParseUint`` read them.

Kubo answers malformed numbers (a ``Range`` or ``entity-bytes`` offset, a list index in a
path) by what this reader takes, so the places that answer as Kubo does share it: an optional
sign, ASCII digits (leading zeros allowed), within int64; nothing else (no spaces, no ``_``, no
other digits, unlike Python's ``int``); base 0 (``parse_base0``) also takes Go's prefixes and
``_`` between digits. Where Go refuses a number, ``base0_refusal``/``atoi_refusal`` give Go's
error in its words (``strconv.ParseInt: parsing "x": invalid syntax``, ``...: value out of
range``), which Kubo prints as is. Pure; work linear in the text, stopping where Go stops.
"""

from __future__ import annotations

import re

_INT = re.compile(r"[+-]?[0-9]+")


def parse_int64(text: str) -> int | None:
    """``text`` as a base-10 int64, or None where Go's ``ParseInt`` fails."""
    if not _INT.fullmatch(text):
        return None
    digits = text.lstrip("+-").lstrip("0")  # Go takes any number of leading zeros; int() counts them
    if len(digits) > 19:
        return None
    value = -int(digits or "0") if text[0] == "-" else int(digits or "0")
    return value if -(1 << 63) <= value < 1 << 63 else None


SYNTAX = "invalid syntax"
RANGE = "value out of range"
"""The two reasons Go's ``strconv`` gives for a number it refuses (``ErrSyntax``, ``ErrRange``)."""


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


_DIGIT = {ch: int(ch, 36) for ch in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_PREFIX_BASE = {"b": 2, "o": 8, "x": 16}


def _scan(text: str, bits: int, *, signed: bool, base0: bool) -> int | str:
    """Go's ``ParseInt``/``ParseUint`` (base 0 or 10) step by step, in its order: the value, or
    the reason (``SYNTAX``/``RANGE``) Go gives. A digit past the range is ``RANGE`` even when a
    bad character follows (Go stops there); a misplaced ``_`` is found last. Work is linear in
    ``text`` and stops at the first refused character or at the overflow."""
    body, negative = text, False
    if signed and body[:1] in ("+", "-"):
        body, negative = body[1:], body[0] == "-"
    if not body:
        return SYNTAX
    base, underscores, top, value = 10, False, (1 << bits) - 1, 0
    if base0 and body[0] == "0":
        if len(body) >= 3 and body[1] in "bBoOxX":
            base, body = _PREFIX_BASE[body[1].lower()], body[2:]
        else:
            base, body = 8, body[1:]
    for ch in body:
        if ch == "_" and base0:
            underscores = True
            continue
        digit = _DIGIT.get(ch, 99)
        if digit >= base:
            return SYNTAX
        value = value * base + digit
        if value > top:
            return RANGE
    if underscores and not _underscores_ok(text):
        return SYNTAX
    if signed and value > (1 << (bits - 1)) - (0 if negative else 1):  # int64: -2**63 .. 2**63-1
        return RANGE
    return -value if negative else value


def parse_base0(text: str, bits: int, *, signed: bool) -> int | None:
    """``text`` as Go's ``ParseInt(text, 0, bits)`` (or ``ParseUint``, unsigned) reads it, the
    way Kubo's command options are read: ``0x``/``0o``/``0b`` prefixes, a leading ``0`` for
    octal, else decimal, with ``_`` between digits as Go's syntax allows (Kubo reads
    ``--max-file-links=1_0`` as 10); None where Go fails (``base0_refusal`` says why)."""
    value = _scan(text, bits, signed=signed, base0=True)
    return value if isinstance(value, int) else None


def base0_refusal(text: str, bits: int, *, signed: bool) -> str | None:
    """Go's error for ``text`` where ``parse_base0`` gives None, in Go's words, as Kubo prints
    it: ``strconv.ParseInt: parsing "x": invalid syntax`` (``ParseUint`` when unsigned; ``value
    out of range`` for a number too large); None where Go reads it."""
    reason = _scan(text, bits, signed=signed, base0=True)
    return None if isinstance(reason, int) else _words("ParseInt" if signed else "ParseUint", text, reason)


def atoi_refusal(text: str) -> str | None:
    """Go's ``strconv.Atoi`` error for ``text`` (a 64-bit build), as Kubo prints it:
    ``strconv.Atoi: parsing "x": invalid syntax`` or ``...: value out of range``; None where
    ``Atoi`` (and so ``parse_int64``) reads it."""
    reason = _scan(text, 64, signed=True, base0=False)
    return None if isinstance(reason, int) else _words("Atoi", text, reason)


def parse_int64_refusal(text: str) -> str | None:
    """Go's ``strconv.ParseInt(text, 10, 64)`` error for ``text``, as Kubo prints it
    (``strconv.ParseInt: parsing "x": invalid syntax``); None where ``parse_int64`` reads it."""
    reason = _scan(text, 64, signed=True, base0=False)
    return None if isinstance(reason, int) else _words("ParseInt", text, reason)


def _words(func: str, text: str, reason: str) -> str:
    from ._gotext import go_quote

    return f"strconv.{func}: parsing {go_quote(text)}: {reason}"
