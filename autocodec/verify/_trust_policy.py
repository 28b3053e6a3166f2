"""The user's own word: revocations (for good) and the allow-list.

Invariants:
- Nothing lifts a revocation; ``revoke`` refuses (records nothing) what would change nothing: a
  pinned set's own documents and the superseded ones no update can bring back.
- An allow-list rule names one publisher (every code, or the code ranges given) or one module;
  an empty range list is refused, as it would read back as "every code".
- A CID target is kept as CIDv1 (one module, one text): a CIDv0 given (or recorded by an
  earlier release) revokes or allows the module whose CIDv1 a manifest names.
- Every change is one ``_write`` transaction, logged with ``policy="user"``.
"""

from __future__ import annotations

from ..cid import CID
from ..errors import AutocodecError, InvalidCID, InvalidInput, WrongDocument
from .._inputs import as_cid, need_iterable, pair
from ._documents import Index
from ._ed25519 import PublicKey
from ._envelope import open_envelope
from ._rowtypes import row_cid, row_int
from ._trust_args import _when
from ._trust_db import _log
from ._trust_lineage import Lineages
from ._trust_records import AllowRule, format_ranges, parse_ranges


def _v1_text(target: str) -> str:
    """A stored target as ``_target`` writes it now: a CIDv0 (``Qm...``, 46 characters) that an
    earlier release recorded as given becomes its CIDv1; DIDs and CIDv1 texts are left as they are."""
    if isinstance(target, str) and len(target) == 46 and target.startswith("Qm"):
        try:
            return str(CID.parse(target).to_v1())
        except InvalidCID:
            return target
    return target


class UserPolicy(Lineages):
    """Revocations and allow-list rules of the home."""

    @staticmethod
    def _target(target: str) -> tuple[str, str]:
        """Normalise a DID or CID; returns (text, "key" | "cid"). A CID is written as CIDv1, as
        manifests and sets name modules and documents: a module DAG revoked or allowed by the
        CIDv0 (``Qm...``) that ``ipfs add`` prints is the same module (``_v1_text``)."""
        if isinstance(target, CID):
            return str(target.to_v1()), "cid"
        if type(target) is not str:
            raise InvalidInput(f"a trust target is a publisher's DID or a CID, not {type(target).__name__}")
        target = target.strip()
        if target.startswith("did:"):
            return PublicKey.from_did(target).did, "key"
        try:
            return str(CID.parse(target).to_v1()), "cid"
        except InvalidCID as exc:
            why = str(exc).partition(": ")[2] or str(exc)  # CID.parse's words after "cannot parse CID '...'"
            raise InvalidInput(f"{target[:80]!r} is neither a publisher's DID nor a CID: {why}",
                               hint="give a publisher's did:key:z6Mk... or the CID of a manifest or module") from None

    def _set_of(self, cid: str) -> str | None:
        """The name of the pinned set whose id, root (any of its lineage the home holds, as
        ``_kept_state`` reads it) or index (the versions stored) ``cid`` is."""
        rows = self._rows(
            "SELECT name FROM trust_sets WHERE set_id = ?1 OR root_cid = ?1 OR index_cid = ?1 UNION ALL "
            "SELECT s.name FROM trust_versions v JOIN trust_sets s USING (set_id) WHERE v.cid = ?1", (cid,))
        if rows:
            return str(rows[0][0])
        for set_id, name, root_cid in self._rows("SELECT set_id, name, root_cid FROM trust_sets"):
            lineage = self._lineage(row_cid(set_id, "trust_sets.set_id"), row_cid(root_cid, "trust_sets.root_cid"))
            if cid in {str(root) for root in lineage}:
                return str(name)
        return None

    def _superseded(self, cid: str) -> tuple[str, str] | None:
        """``(what, set name)`` when ``cid`` is a pinned set's document that no update can bring
        back: a root before its anchor, or a held index (top or delegated) under one of its roots
        that is older than its pinned version of that role or signed under an older root. A
        revocation of such a CID would change nothing."""
        from ._documents import delegation_role

        target = as_cid(cid, "a revocation's target")
        held: Index | None = None
        if self.blocks.has(target):
            limits = self.limits.trust
            try:
                env = open_envelope(self.blocks.get(target), "index", max_bytes=limits.max_document_bytes,
                                    max_signatures=limits.max_signatures)
                held = Index.from_value(env.document, max_entries=limits.max_index_entries,
                                        max_delegations=limits.max_delegations)
            except AutocodecError:
                held = None  # not an index
        for set_id, name, root_cid in self._rows("SELECT set_id, name, root_cid FROM trust_sets"):
            anchor = row_cid(set_id, "trust_sets.set_id")
            before = self._before_anchor(anchor)
            if target in before:
                return f"root {target}, older than the anchor of pinned set {name!r}", str(name)
            if held is None or held.set != name:
                continue
            if held.root != row_cid(root_cid, "trust_sets.root_cid"):
                if held.root in before or held.root in self._lineage(anchor, row_cid(root_cid, "trust_sets.root_cid")):
                    return f"index {target}, signed under an older root than pinned set {name!r}'s", str(name)
                continue
            role = "index" if held.role == "index" else delegation_role(held.role)
            stored = self._rows("SELECT version FROM trust_versions WHERE set_id = ? AND role = ?", (set_id, role))
            if stored and held.version <= row_int(stored[0][0], "trust_versions.version"):
                return f"index {target} (v{held.version}), older than the version of pinned set {name!r}", str(name)
        return None

    def revoke(self, target: str, reason: str = "", *, now: int | None = None) -> str:
        """Revoke a key (DID) or a manifest/module (CID), for good: nothing lifts a revocation.
        Returns the normalised target. A pinned set's own CID (its id, a root or an index) is
        refused (``WrongDocument``), nothing recorded: a set is unpinned, not revoked."""
        text, what = self._target(target)
        name = self._set_of(text) if what == "cid" else None
        if name is not None:
            raise WrongDocument(f"{text} is pinned set {name!r} itself (its id, root or index), not a key, manifest "
                                "or module: revoking it would change nothing, the set would keep serving",
                                hint=f"to stop trusting the set, unpin it: `autocodec pin rm {name}`")
        old = self._superseded(text) if what == "cid" else None
        if old is not None:
            raise WrongDocument(f"{old[0]}: no update can bring it back (the anchor is trusted by its CID and "
                                "versions never go back), so revoking it would change nothing",
                                hint=f"to stop trusting the set, unpin it: `autocodec pin rm {old[1]}`")
        if type(reason) is not str:
            raise InvalidInput(f"revoke's reason is text, not {type(reason).__name__}")
        at = _when(now, "revoke")
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO trust_revoked VALUES (?, ?, ?, ?)", (text, what, reason[:500], at))
        _log().info("trust.revoke", target=text, what=what, reason=reason, policy="user")
        return text

    def revoked(self) -> frozenset[str]:
        return frozenset(_v1_text(r[0]) for r in self._rows("SELECT target FROM trust_revoked"))

    def revocations(self) -> list[tuple[str, str, str, int]]:
        """``(target, what, reason, at)``, oldest first; a CIDv0 row an earlier release recorded
        reads as its CIDv1 (as ``revoked`` does), once even when the CIDv1 was revoked too."""
        out: dict[str, tuple[str, str, str, int]] = {}
        for target, what, reason, at in self._rows("SELECT target, what, reason, at FROM trust_revoked "
                                                   "ORDER BY at, target"):
            out.setdefault(_v1_text(target), (_v1_text(target), what, reason, at))
        return list(out.values())

    def allow(self, target: str, ranges: tuple[tuple[int, int], ...] | None = None, *,
              now: int | None = None) -> str:
        """Allow a publisher (DID) for every code (``ranges`` None) or only for ``ranges``, or
        one module (CID). An empty ``ranges`` is refused: it would be read back as "every code"."""
        text, what = self._target(target)
        if what == "cid" and ranges:
            raise InvalidInput("code ranges apply to publishers (DIDs), not to a module CID")
        if ranges is not None and what == "key":
            if not ranges:
                raise InvalidInput("an empty code range list would allow every code",
                                   hint="name the codes the publisher may serve, or give none to allow every code")
            need_iterable(ranges, "allow's ranges", "(LO, HI) code pairs")
            ranges = tuple(r if type(r) is tuple and len(r) == 2 else pair(r, "allow's ranges", "(LO, HI) code pairs")
                           for r in ranges)
            for lo, hi in ranges:
                if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi < 1 << 63):
                    raise InvalidInput(f"bad code range {lo!r}-{hi!r}: empty, negative or too large")
        ranges = ranges or ()
        at = _when(now, "allow")
        with self._write() as conn:
            col = "did" if what == "key" else "module_cid"
            conn.execute(f"DELETE FROM trust_allow WHERE {col} = ?", (text,))
            conn.execute(
                "INSERT INTO trust_allow (did, module_cid, ranges, at) VALUES (?, ?, ?, ?)",
                (text if what == "key" else None, text if what == "cid" else None, format_ranges(ranges), at),
            )
        _log().info("trust.allow", target=text, ranges=format_ranges(ranges), policy="user")
        return text

    def allowed(self) -> list[AllowRule]:
        rows = self._rows("SELECT COALESCE(did, module_cid), ranges FROM trust_allow ORDER BY id")
        return [AllowRule(_v1_text(t), () if r == "*" else parse_ranges(r)) for t, r in rows]

    def module_allowed(self, module: CID) -> bool:
        """True if the user allow-listed this module CID itself (and it is not revoked)."""
        text = str(as_cid(module, "module_allowed").to_v1())
        if text in self.revoked():
            return False
        return any(r.target == text for r in self.allowed())
