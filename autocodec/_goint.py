"""Integers written as Go's ``strconv.ParseInt(text, 10, 64)`` reads them.

Kubo answers malformed numbers (a ``Range`` or ``entity-bytes`` offset, a list index in a
path) by what this reader takes, so the places that answer as Kubo does share it: an optional
sign, ASCII digits (leading zeros allowed), within int64; nothing else (no spaces, no ``_``, no
other digits, unlike Python's ``int``). Pure; bounded work for any length of text.
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
