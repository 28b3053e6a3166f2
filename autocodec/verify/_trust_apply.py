"""The update transaction: a ``VerifiedSet`` stored all or nothing.

Invariants:
- ``apply_update`` writes documents, versions and entries in one SQLite transaction; a crash
  (even SIGKILL) half-way leaves the previous state intact and usable.
- Under the write lock it re-checks what may have changed while the set was verified: per set
  and role the stored version never goes down (``RollbackError``), a set unpinned meanwhile
  takes no update (``SetNotFound``), a document, module or publisher revoked meanwhile stops
  it (``RevokedError``), and so does a module version lowered without its publisher's mark
  (``_downgrades``).
- ``replace`` unpins one set and pins another in that same transaction: one or the other stays
  pinned, never neither, and the new one takes the old one's place in the serving order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._inputs import as_cid
from ..cid import CID
from ..errors import NotTrusted, RevokedError, RollbackError, SetNotFound
from ._module import verify_manifest
from ._rowtypes import row_cid
from ._trust_args import _key_text
from ._trust_db import _log
from ._trust_pins import PinRecords
from ._trust_policy import _v1_text

if TYPE_CHECKING:  # pragma: no cover
    from ._update import VerifiedSet


class SetWrites(PinRecords):
    """Storing verified set versions."""

    def apply_update(self, verified: VerifiedSet, *, anchor_envelope: bytes | None = None,
                     now: int | None = None, also: Callable[[Any], object] | None = None) -> None:
        """Store a ``VerifiedSet`` in one transaction (all or nothing); refuses rollbacks.

        ``also(conn)`` runs inside that transaction, after the set is written: a caller's own
        record of the update (where the set was found) commits with it or not at all."""
        set_id = str(verified.set_id)
        now = int(time.time()) if now is None else now
        with self._write() as conn:
            if anchor_envelope is None and not conn.execute(
                    "SELECT 1 FROM trust_sets WHERE set_id = ?", (set_id,)).fetchone():
                # an update of a set unpinned meanwhile (another process): applying it would undo the unpin
                raise SetNotFound(f"set {verified.name!r} ({set_id}) was unpinned while this update was verified; "
                                  "nothing was applied",
                                  hint="pin the set again if you mean to trust it")
            self._not_revoked_since(conn, verified, anchor_envelope is not None)
            pinned = conn.execute("SELECT index_cid FROM trust_sets WHERE set_id = ?", (set_id,)).fetchone()
            if pinned is not None and pinned[0] and pinned[0] != str(verified.index_cid):
                from ._downgrades import refuse_unmarked_downgrades

                refuse_unmarked_downgrades(row_cid(pinned[0], "trust_sets.index_cid"), verified, self.blocks.get,
                                           self.limits)
            stored = {r: (v, c) for r, v, c in conn.execute(
                "SELECT role, version, cid FROM trust_versions WHERE set_id = ?", (set_id,))}
            stored_root = stored.get("root", (0, ""))[0]
            for role, version in verified.versions.items():
                old = stored.get(role)
                if stored_root < verified.reset_at.get(role, 0):
                    continue  # keys rotated by a root newer than the stored one: floor reset
                if old and (old[0] > version or (old[0] == version and old[1] != str(verified.cids[role]))):
                    raise RollbackError(f"{role} v{version} of set {verified.name!r} would replace v{old[0]} stored")
            if anchor_envelope is not None:
                self.blocks.put(verified.set_id, anchor_envelope)
            for cid, (_kind, data) in verified.documents.items():
                self.blocks.put(cid, data)
            conn.execute(
                "INSERT INTO trust_sets VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (set_id) DO UPDATE SET "
                "name = excluded.name, root_cid = excluded.root_cid, root_version = excluded.root_version, "
                "index_cid = excluded.index_cid, updated_at = excluded.updated_at",
                (set_id, verified.name, str(verified.root_cid), verified.root.version, str(verified.index_cid),
                 now, now))
            conn.execute("UPDATE trust_versions SET active = 0 WHERE set_id = ?", (set_id,))
            for role, version in verified.versions.items():
                conn.execute("INSERT OR REPLACE INTO trust_versions VALUES (?, ?, ?, ?, ?, ?)",
                             (set_id, role, version, str(verified.cids[role]), verified.expires.get(role, 0),
                              int(role in verified.expires)))
            conn.execute("DELETE FROM trust_entries WHERE set_id = ?", (set_id,))
            self._write_entries(conn, verified)
            if also is not None:
                also(conn)
        _log().info("trust.store", decision="accept", set=verified.name, document=str(verified.index_cid),
                  versions=verified.versions, policy="all-or-nothing")

    @staticmethod
    def _not_revoked_since(conn: Any, verified: VerifiedSet, new_anchor: bool) -> None:
        """``RevokedError`` if, in the write transaction ``conn``, a document of ``verified`` (a
        root, index or manifest; the anchor when it is new), a module or a publisher key it lists
        is revoked: a revocation committed while the update was verified (``pin update`` fetches
        modules and runs the canary in between). Revoked role keys are left to decisions, which
        count them for nothing (``_still_signed``)."""
        revoked = {_v1_text(str(r[0])) for r in conn.execute("SELECT target FROM trust_revoked")}
        if not revoked:
            return
        found = [(kind, str(cid)) for cid, (kind, _data) in verified.documents.items() if str(cid) in revoked]
        found += [("root", str(verified.set_id))] if new_anchor and str(verified.set_id) in revoked else []
        for vm in verified.manifests.values():
            found += [(what, target) for what, target in (("module", str(vm.manifest.module.to_v1())),
                                                          ("publisher key", vm.manifest.publisher))
                      if target in revoked]
        if found:
            what, target = found[0]
            _log().warning("trust.store", decision="reject", set=verified.name, document=target, policy="revoked")
            raise RevokedError(f"{what} {target} of set {verified.name!r} was revoked while this update was "
                               "verified; nothing was applied",
                               hint="the pinned version keeps serving; update again once the set offers a version "
                                    "that is not revoked")

    def _write_entries(self, conn: Any, verified: VerifiedSet) -> None:
        rows = []
        signed: set[tuple[str, str]] = set()  # every VerifiedManifest passed its publisher signature
        for (kind, key), (role, mcid) in verified.entries.items():
            vm = verified.manifests.get(mcid)
            if vm is None:
                data = self.blocks.get(mcid) if self.blocks.has(mcid) else None
                if data is None:
                    raise NotTrusted(f"manifest {mcid} was not verified with the set; cannot store the entry")
                vm = verify_manifest(data, now=verified.checked_at, limits=self.limits.trust, expect=(kind, key),
                                     set_name=verified.name)
            signed.add((str(vm.cid), vm.manifest.publisher))
            rows.append((str(verified.set_id), kind, _key_text(key), role, str(mcid), str(vm.manifest.module),
                         vm.manifest.publisher))
        conn.executemany("INSERT INTO trust_entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT OR IGNORE INTO trust_signatures VALUES (?, ?)", sorted(signed))

    def replace(self, old: CID, verified: VerifiedSet, *, anchor_envelope: bytes | None,
                now: int | None = None, also: Callable[[Any], object] | None = None) -> None:
        """Unpin ``old`` and pin ``verified`` (verified with ``replacing=old``) in one transaction:
        a crash leaves one or the other pinned, never neither. The new set takes the old one's
        place among pinned sets (its row and pinned time), so which set serves a code listed by
        several (``resolve``: the first pinned, unless overridden) is what it was. ``SetNotFound``
        (nothing changed) if ``old`` was unpinned meanwhile; ``apply_update``'s refusals otherwise."""
        old = as_cid(old, "replace")
        with self._write() as conn:
            place = conn.execute("SELECT rowid, pinned_at FROM trust_sets WHERE set_id = ?", (str(old),)).fetchone()
            if place is None or not self._unpin_rows(conn, old):
                raise SetNotFound(f"set {old} was unpinned while its replacement was verified; nothing was applied")
            self.apply_update(verified, anchor_envelope=anchor_envelope, now=now, also=also)
            conn.execute("UPDATE trust_sets SET rowid = ?, pinned_at = ? WHERE set_id = ?",
                         (place[0], place[1], str(verified.set_id)))
        _log().info("trust.replace", set=verified.name, old=str(old), new=str(verified.set_id), policy="default-set")
