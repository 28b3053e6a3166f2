"""A set version signed but not yet recorded: ``set publish --to-node`` records index N+1 as the
set's version only once the node accepted it (blocks put, pinned, IPNS name moved).

Invariants:
- At most one pending index per set (table ``registry_set_pending``), always of a version above
  the recorded one; recording it (``record_pending``) makes it the set's version and drops it.
- A version number is never signed for two contents: the next signing reuses the pending index
  when it lists what would be signed now (same root, same entries and marks, the same lifetime
  asked, unexpired), else it takes the number after the pending one (a gap; readers require
  only a higher number, TUF 5.4). The pending index may already be on a node, so its number is
  spent either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cid import CID

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Index
    from ._runtime import Runtime

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_set_pending ("
    " name TEXT PRIMARY KEY, version INTEGER NOT NULL, index_cid TEXT NOT NULL, expires_days REAL NOT NULL)",
]


@dataclass(frozen=True, slots=True)
class Pending:
    """Index ``version`` (``index_cid``) signed with a lifetime of ``expires_days``, not recorded."""

    version: int
    index_cid: CID
    expires_days: float


def _ensure(runtime: "Runtime") -> None:
    runtime.store.ensure_schema("registry-set-pending", 1, SCHEMA)


def pending(runtime: "Runtime", name: str) -> Pending | None:
    """The set's pending index, if any."""
    _ensure(runtime)
    row = runtime.store.read_row("SELECT version, index_cid, expires_days FROM registry_set_pending WHERE name = ?",
                                 (name,))
    return None if row is None else Pending(int(row[0]), CID.parse(row[1]), float(row[2]))


def lists_same(index: "Index", wanted: "Index", now: int) -> bool:
    """Whether the signed ``index`` is unexpired at ``now`` and lists what ``wanted`` would: the same
    set, root, entries (with their marks) and delegations; its version and expiry are not compared."""
    return (now < index.expires and index.root == wanted.root and index.set == wanted.set
            and index.entries == wanted.entries and index.delegations == wanted.delegations)


def reusable(found: Pending, index: "Index", wanted: "Index", days: float, now: int) -> bool:
    """Whether the pending ``index`` may stand for ``wanted`` (the index that would be signed now):
    it lists the same (``lists_same``) and was signed with the lifetime asked now, ``days``."""
    return found.expires_days == days and lists_same(index, wanted, now)


def keep_pending(runtime: "Runtime", name: str, version: int, index_cid: CID, days: float) -> None:
    """Remember index ``version`` as signed and not yet recorded."""
    _ensure(runtime)
    with runtime.store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO registry_set_pending VALUES (?, ?, ?, ?)",
                     (name, version, str(index_cid), days))


def record_pending(runtime: "Runtime", name: str, index_cid: CID) -> int:
    """Make the pending ``index_cid`` the set's recorded version; returns that version.
    ``InvalidInput`` when it is not the set's pending index."""
    from ..errors import InvalidInput

    found = pending(runtime, name)
    if found is None or found.index_cid != index_cid:
        raise InvalidInput(f"{index_cid} is not the version of set {name!r} waiting to be recorded",
                           hint="sign the set's next version again")
    with runtime.store.transaction() as conn:
        conn.execute("UPDATE registry_sets SET index_version = ?, index_cid = ? WHERE name = ? AND index_version < ?",
                     (found.version, str(index_cid), name, found.version))
        conn.execute("DELETE FROM registry_set_pending WHERE name = ?", (name,))
    return found.version
