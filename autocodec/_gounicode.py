"""Go's Unicode classes (``\\pL``, ``\\p{Greek}``) and ``(?i)`` case folding, as Kubo 0.43.1's
regexp reads them (Go 1.26.8, Unicode 15.0.0), from the tables ``tools/go-unicode-tables``
generates out of Go's own ``regexp/syntax`` and ``unicode`` (``_gounicode_tables``).

Invariants:
- ``class_ranges(name)`` is the sorted, disjoint ``(low, high)`` code point ranges of Go's
  ``\\p{name}`` (without folding), or None where Go refuses the name. A name is looked up as Go
  1.25+ looks it up (``canonical``): ``_``, ``-`` and spaces dropped, the first letter upper
  case and the others lower case (ASCII only), so ``\\p{greek}``, ``\\p{Letter}``, ``\\p{L}``,
  ``\\p{ASCII}``, ``\\p{Any}`` and ``\\p{Assigned}`` are Go's classes.
- ``orbit(ch)`` is every character Go's ``(?i)`` takes for ``ch``: its simple case-folding orbit
  (``unicode.SimpleFold``; ``k``, ``K`` and the Kelvin sign), ``ch`` first; a character without
  case is its own orbit. A class under ``(?i)`` holds ``ch`` when it holds any of its orbit
  (Go adds each member's orbit to the class).
- ``go_printable(ch)`` is Go's ``strconv.IsPrint``/``unicode.IsPrint``: a letter, mark, number,
  punctuation or symbol of Go's Unicode, or the ASCII space; Python's ``str.isprintable`` is the
  same rule on the Unicode of this Python (14.0.0 on 3.11), so it misses characters assigned
  since (U+11F00 KAWI SIGN CANDRABINDU is printable in Go, escaped by ``isprintable``), and on a
  Python whose Unicode is newer than Go's it takes characters Go does not (3.13: 15.1.0), so
  ``go_printable_text`` uses it as a fast path only when that Unicode is not newer.

Used by the command line (Kubo's escaping of names), the gateway and ``unixfs`` (``--ignore``
rules), so it sits below all of them.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

Ranges = tuple[tuple[int, int], ...]


def canonical(name: str) -> str:
    """The key Go's regexp looks a class name up by (module invariants)."""
    letters = [c for c in name if c not in "_- "]
    return "".join(c.upper() if i == 0 and "a" <= c <= "z" else c.lower() if i and "A" <= c <= "Z" else c
                   for i, c in enumerate(letters))


def class_ranges(name: str) -> Ranges | None:
    """Go's ``\\p{name}`` as code point ranges, or None for a name Go refuses."""
    from ._gounicode_tables import NAMES

    index = NAMES.get(canonical(name))
    return None if index is None else _table(index)


@lru_cache(maxsize=None)
def _table(index: int) -> Ranges:
    from ._gounicode_tables import TABLES

    ranges: list[tuple[int, int]] = []
    end = -1
    for item in TABLES[index].split(","):
        gap, length = (int(part, 36) for part in item.split("."))
        low = end + 1 + gap
        end = low + length
        ranges.append((low, end))
    return tuple(ranges)


@lru_cache(maxsize=1)
def _orbits() -> dict[str, str]:
    from ._gounicode_tables import ORBITS

    found: dict[str, str] = {}
    for run in ORBITS:
        chars = "".join(chr(int(code, 36)) for code in run.split("."))
        for i, ch in enumerate(chars):
            found[ch] = chars[i:] + chars[:i]
    return found


def orbit(ch: str) -> str:
    """``ch`` and the characters it folds with under Go's ``(?i)``, ``ch`` first."""
    return _orbits().get(ch, ch)



@lru_cache(maxsize=1)
def _graphic() -> tuple[list[int], list[int]]:
    """Go's printable ranges above ASCII (``L``, ``M``, ``N``, ``P``, ``S``), merged: starts, ends."""
    ranges = sorted(r for name in ("L", "M", "N", "P", "S") for r in class_ranges(name) or ())
    starts: list[int] = []
    ends: list[int] = []
    for low, high in ranges:
        if starts and low <= ends[-1] + 1:
            ends[-1] = max(ends[-1], high)
        else:
            starts.append(low)
            ends.append(high)
    return starts, ends


def go_printable(ch: str) -> bool:
    """Whether Go's ``strconv.IsPrint`` takes ``ch`` (module invariants)."""
    code = ord(ch)
    if code < 0x80:
        return 0x20 <= code < 0x7F
    starts, ends = _graphic()
    at = bisect_right(starts, code) - 1
    return at >= 0 and code <= ends[at]


def go_printable_text(text: str) -> bool:
    """Whether every character of ``text`` is ``go_printable``. On ASCII ``str.isprintable`` is
    Go's rule; above it, while this Python's Unicode is not newer than Go's tables'
    (``_isprintable_within_go``), ``str.isprintable`` is a subset of Go's rule (module
    invariants; tests/test_s6_go_printable.py checks every code point), so a name it takes is
    answered at C speed and only the characters it refuses are looked up in Go's ranges."""
    if text.isascii():
        return text.isprintable()
    if not _isprintable_within_go():
        return all(go_printable(ch) for ch in text)
    return text.isprintable() or all(go_printable(ch) for ch in text if not ch.isprintable())


@lru_cache(maxsize=1)
def _isprintable_within_go() -> bool:
    """Whether this Python's Unicode (``unicodedata.unidata_version``) is at most the one of
    Go's tables (15.0.0): a newer one (Python 3.13's 15.1.0, 3.14's 16.0.0) makes printable
    characters Go's tables do not know, which Kubo escapes."""
    import unicodedata

    from ._gounicode_tables import UNICODE_VERSION

    def version(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))

    return version(unicodedata.unidata_version) <= version(UNICODE_VERSION)
