"""What the trust store hands out: decisions, pinned-set summaries, allow-list rules, code ranges.

Invariants:
- Values only: frozen dataclasses and pure functions; nothing here reads the database.
- ``format_ranges`` and ``parse_ranges`` round-trip: the allow-list stores the text of one and
  reads it back with the other (``"*"``, every code, is stored for no ranges).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..cid import CID
from ..errors import InvalidInput
from ._documents import CODED_KINDS, Manifest

_RANGE = re.compile(r"\s*(0x[0-9a-fA-F]+|[0-9]+)\s*(?:-\s*(0x[0-9a-fA-F]+|[0-9]+)\s*)?")
_MAX_RANGES = 64
_TOO_LARGE = 1 << 63


def _code(text: str) -> int:
    """A code as ``_RANGE`` matched it: hexadecimal after ``0x``, else decimal (leading zeros
    allowed, as everywhere codes are read); ``_TOO_LARGE`` for one past it, without an
    ``int()`` of thousands of digits."""
    digits, base = (text[2:], 16) if text.startswith("0x") else (text, 10)
    digits = digits.lstrip("0") or "0"
    return _TOO_LARGE if len(digits) > 20 else int(digits, base)


def parse_ranges(text: str | None) -> tuple[tuple[int, int], ...]:
    """``"0x300000-0x3fffff,0x78"`` -> ``((0x300000, 0x3fffff), (0x78, 0x78))``; None -> ().

    A text that names no code at all (``""``, blanks) is refused: read as "no restriction" it
    would grant every code, the opposite of what a range list means.
    """
    if text is None:
        return ()
    if type(text) is not str:
        raise InvalidInput(f"a code range list is text such as 0x300000-0x3fffff,0x78, not {type(text).__name__}")
    if not text.strip():
        raise InvalidInput("the code range list is empty",
                           hint="name the codes, e.g. 0x300000-0x3fffff or 0x78,0x7b; leave it out to allow every code")
    out = []
    for part in text.split(",")[: _MAX_RANGES + 1]:
        m = _RANGE.fullmatch(part)
        if not m:
            raise InvalidInput(f"bad code range {part.strip()[:40]!r}", hint="write LO-HI or CODE, e.g. 0x300000-0x3fffff")
        lo = _code(m.group(1))
        hi = _code(m.group(2)) if m.group(2) else lo
        if lo > hi or hi >= _TOO_LARGE:
            raise InvalidInput(f"bad code range {part.strip()[:40]!r}: empty or too large")
        out.append((lo, hi))
    if len(out) > _MAX_RANGES:
        raise InvalidInput(f"at most {_MAX_RANGES} code ranges")
    return tuple(out)


def format_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"0x{lo:x}" if lo == hi else f"0x{lo:x}-0x{hi:x}" for lo, hi in ranges) or "*"


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a module may run: which manifest, which set (if any) and which policy decided."""

    module: CID
    policy: str
    manifest_cid: CID | None = None
    manifest: Manifest | None = None
    set_id: CID | None = None
    set_name: str | None = None
    valid_until: int | None = None
    """The earliest expiry (Unix seconds) of what decided: the set's root and active indexes and
    the manifest; None if nothing that decided expires. From then on the decision must be made
    again (a running process that keeps it past this time serves an expired set)."""



def _earliest(*times: int | None) -> int | None:
    found = [t for t in times if t is not None]
    return min(found) if found else None


@dataclass(frozen=True, slots=True)
class SetInfo:
    set_id: CID
    name: str
    root_version: int
    index_version: int | None
    index_cid: CID | None
    expires: int
    """The earliest expiry of the set's root and active indexes."""
    entries: int


@dataclass(frozen=True, slots=True)
class AllowRule:
    target: str
    ranges: tuple[tuple[int, int], ...]

    def covers(self, manifest: Manifest) -> bool:
        if not self.ranges:
            return True
        if manifest.kind not in CODED_KINDS:
            return False
        return all(any(lo <= c <= hi for lo, hi in self.ranges) for c in manifest.codes)
