"""Module version order: precedence as Semantic Versioning 2.0.0 defines it (semver.org, section 11).

Invariants:
- ``precedence`` orders ``MAJOR.MINOR.PATCH`` numerically, then a version without a
  pre-release above one with it, then pre-release identifiers left to right (numeric ones
  numerically and below alphanumeric ones, alphanumeric ones in ASCII order, a longer list
  above its prefix). Build metadata (``+...``) takes no part: ``1.0.0+a`` and ``1.0.0+b``
  are equal, neither lower.
- Only versions ``abi.VERSION`` takes are compared (every signed manifest's version is one).
"""

from __future__ import annotations

from ..abi import VERSION
from ..errors import InvalidInput

Precedence = tuple[tuple[int, int, int], int, tuple[tuple[int, int, str], ...]]


def precedence(version: str) -> Precedence:
    """A key whose order is ``version``'s semver precedence (``InvalidInput`` for a non-version)."""
    match = VERSION.fullmatch(version)
    if match is None:
        raise InvalidInput(f"{version[:80]!r} is not a semantic version (MAJOR.MINOR.PATCH)",
                           hint="give a version such as 1.2.0")
    core = (int(match[1]), int(match[2]), int(match[3]))
    if match[4] is None:
        return core, 1, ()
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in match[4][1:].split("."))
    return core, 0, parts


def is_lower(new: str, old: str) -> bool:
    """Whether ``new`` has lower precedence than ``old`` (a rollback from ``old`` to ``new``)."""
    return precedence(new) < precedence(old)
