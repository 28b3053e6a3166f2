"""Publisher-side checks of who signs a set's documents, made before anything is signed.

Invariants:
- ``check_role_keys`` refuses a key list naming the same key twice (a key counts once towards a
  threshold) and a threshold outside 1..number of keys, so ``init`` never signs a root that no
  reader could accept.
- ``check_signers`` refuses to sign an index (or a new root) with keys outside the set's index
  (root) role or with fewer distinct role keys than its threshold: such a version would be
  stored and numbered here but refused by every reader (a ``ThresholdNotMet`` at pin time), and
  it would take the version number the next valid publish needs.
- Messages name keys by DID and say what to do next; no command-line options (library code).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Role, SigningKey


class SignersRefused(InvalidInput):
    """The keys given cannot sign this set document validly; nothing was signed."""

    hint = "sign with enough distinct keys of the set's role (see its root), or change the role in a new root"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check_role_keys(names: Sequence[str], dids: Sequence[str], threshold: int) -> None:
    """A role of ``dids`` (named ``names``) with ``threshold``, or ``SignersRefused``."""
    seen: dict[str, str] = {}
    for name, did in zip(names, dids, strict=True):
        if did in seen:
            same = f"key {name!r}" if seen[did] == name else f"keys {seen[did]!r} and {name!r} (the same key)"
            raise SignersRefused(f"{same} given twice; a key counts once towards a threshold",
                                 hint="give each key once")
        seen[did] = name
    if not 1 <= threshold <= len(seen):
        raise SignersRefused(
            f"a threshold of {threshold} cannot be met by {_plural(len(seen), 'key')}",
            hint=f"choose a threshold between 1 and {len(seen)}, or give at least {max(threshold, 1)} distinct keys")


def check_signers(set_name: str, role: "Role", keys: Sequence["SigningKey"], *, role_name: str = "index") -> None:
    """``keys`` can sign for ``role`` (the set's ``role_name`` role) of set ``set_name``, or
    ``SignersRefused`` before any signing."""
    outside = [k.did for k in keys if k.did not in role.keys]
    if outside:
        raise SignersRefused(f"set {set_name!r}: {', '.join(outside)} is not one of its {role_name} keys "
                             f"({', '.join(role.keys)})",
                             hint=f"sign with the keys the set's root lists for its {role_name} role")
    distinct = {k.did for k in keys}
    if len(distinct) < role.threshold:
        raise SignersRefused(
            f"set {set_name!r} needs {_plural(role.threshold, 'signature')} of its {role_name} keys, "
            f"only {len(distinct)} distinct {'key was' if len(distinct) == 1 else 'keys were'} given; nothing was signed",
            hint=f"sign with at least {role.threshold} of the set's {len(role.keys)} {role_name} keys")
