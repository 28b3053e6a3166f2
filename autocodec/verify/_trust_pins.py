"""The pinned sets as recorded: listing them, their trusted state, overrides, unpinning.

Invariants:
- Unpinning deletes the set's row, entries and override in one transaction and keeps its
  versions (inactive): pinning it again can never go back to an older version.
- An override is the user's word for one pinned set; it goes with the set's unpin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._inputs import as_cid
from ..cid import CID
from ..errors import SetNotFound
from ._rowtypes import row_cid, row_int
from ._trust_args import _kind, _when
from ._trust_db import _log
from ._trust_policy import UserPolicy
from ._trust_records import SetInfo

if TYPE_CHECKING:  # pragma: no cover
    from ._update import TrustedState


class PinRecords(UserPolicy):
    """The pinned sets' rows, read and removed."""

    def sets(self) -> list[SetInfo]:
        """The pinned sets in pinning order, all read from one committed state (``snapshot``)."""
        out = []
        with self.snapshot():
            for set_id, name, root_version, index_cid in self._rows(
                    "SELECT set_id, name, root_version, index_cid FROM trust_sets ORDER BY pinned_at, set_id"):
                vers = [(r, row_int(v, "trust_versions.version"), row_int(e, "trust_versions.expires"))
                        for r, v, e in self._rows(
                            "SELECT role, version, expires FROM trust_versions WHERE set_id = ? AND active = 1",
                            (set_id,))]
                count = self._rows("SELECT COUNT(*) FROM trust_entries WHERE set_id = ?", (set_id,))[0][0]
                index_version = next((v for r, v, _ in vers if r == "index"), None)
                out.append(SetInfo(row_cid(set_id, "trust_sets.set_id"), str(name),
                                   row_int(root_version, "trust_sets.root_version"), index_version,
                                   row_cid(index_cid, "trust_sets.index_cid") if index_cid else None,
                                   min((e for _, _, e in vers), default=0), count))
        return out

    def index_version(self, set_id: CID | str) -> int | None:
        """The version of a pinned set's active index (``SetInfo.index_version``; None when the
        set is not pinned): one read, so inside a decision's ``snapshot`` it is that decision's."""
        rows = self._rows("SELECT version FROM trust_versions WHERE set_id = ? AND role = 'index' AND active = 1",
                          (str(set_id),))
        return row_int(rows[0][0], "trust_versions.version") if rows else None

    def state(self, set_id: CID) -> TrustedState:
        """What is trusted for a pinned set (raises ``SetNotFound``)."""
        from ._update import TrustedState, _open_root

        set_id = as_cid(set_id, "a pinned set's id")
        row = self._rows("SELECT root_cid FROM trust_sets WHERE set_id = ?", (str(set_id),))
        if not row:
            raise SetNotFound(f"no pinned set {set_id}")
        root_cid = row_cid(row[0][0], "trust_sets.root_cid")
        _env, root = _open_root(self.blocks.get(root_cid), self.limits.trust)
        versions, cids = self._versions(set_id)
        return TrustedState(set_id, root, root_cid, versions, cids, self.revoked())

    def unpin(self, set_id: CID) -> None:
        """Stop trusting a pinned set (one transaction). The highest versions seen are kept,
        so pinning it again can never go back to an older version."""
        set_id = as_cid(set_id, "unpin")
        with self._write() as conn:
            gone = self._unpin_rows(conn, set_id)
        if not gone:
            raise SetNotFound(f"no pinned set {set_id}")
        _log().info("trust.unpin", set=str(set_id), policy="user")

    @staticmethod
    def _unpin_rows(conn: Any, set_id: CID) -> int:
        gone: int = conn.execute("DELETE FROM trust_sets WHERE set_id = ?", (str(set_id),)).rowcount
        conn.execute("DELETE FROM trust_entries WHERE set_id = ?", (str(set_id),))
        conn.execute("UPDATE trust_versions SET active = 0 WHERE set_id = ?", (str(set_id),))
        conn.execute("DELETE FROM trust_overrides WHERE set_id = ?", (str(set_id),))
        return gone

    def set_override(self, set_id: CID, allow: bool = True, *, now: int | None = None) -> None:
        """The user's decision that pinned set ``set_id`` may (or may no longer) take over codes
        and names that earlier pinned sets serve (see ``resolve``)."""
        set_id = self.state(set_id).set_id  # parsed; SetNotFound unless pinned
        at = _when(now, "set_override")
        with self._write() as conn:
            if allow:
                conn.execute("INSERT OR REPLACE INTO trust_overrides VALUES (?, ?)", (str(set_id), at))
            else:
                conn.execute("DELETE FROM trust_overrides WHERE set_id = ?", (str(set_id),))
        _log().info("trust.override", set=str(set_id), allow=allow, policy="user")

    def overrides(self) -> frozenset[CID]:
        """Pinned sets the user allowed to take over codes other pinned sets serve."""
        return frozenset(row_cid(r[0], "trust_overrides.set_id") for r in self._rows("SELECT set_id FROM trust_overrides"))

    def manifests_of(self, set_id: CID) -> list[CID]:
        """The manifests a pinned set lists (from its verified entries)."""
        set_id = as_cid(set_id, "manifests_of")
        return [row_cid(r[0], "trust_entries.manifest_cid") for r in self._rows(
            "SELECT DISTINCT manifest_cid FROM trust_entries WHERE set_id = ? ORDER BY manifest_cid", (str(set_id),))]

    def listed(self, kind: str) -> list[str]:
        """Every code (or name) of ``kind`` some pinned set lists, sorted; whether each decides
        now (expiry, revocation) is ``resolve``'s question."""
        return [r[0] for r in self._rows("SELECT DISTINCT key FROM trust_entries WHERE kind = ? ORDER BY key",
                                                (_kind(kind),))]
