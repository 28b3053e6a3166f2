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
"""

from __future__ import annotations

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

