"""What a set version is verified against, and the entry points that verify, pin and update.

Invariants:
- A set's identity is its roots' CIDs, never its name: a root in a pinned set's lineage is
  verified against that set's state; one in the lineage of a set unpinned earlier against the
  state it was left in (never from scratch); anything else is a new anchor, refused when a
  pinned set already has its name (unless that set is being replaced).
- Links read from unverified roots only choose which trusted state to verify against; they
  decide nothing.
- Only ``pin`` and ``update`` write (through ``apply_update``); ``verify`` and ``anchor_for``
  store nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._inputs import as_bytes, as_cid
from ..cid import CID
from ..errors import AutocodecError, InvalidCID, RevokedError, RootChainError
from ._documents import Index
from ._envelope import open_envelope
from ._fetch import Fetch, fetch_verified
from ._kinds import DAG_CBOR, check_codec, check_kind
from ._rowtypes import row_cid
from ._trust_apply import SetWrites
from ._trust_args import _need_fetch, _when
from ._trust_db import _log
from ._trust_standing import Standing

if TYPE_CHECKING:  # pragma: no cover
    from ._update import TrustedState, VerifiedSet


def _may_be_root(target: str) -> bool:
    """True if revoked ``target`` may name a set's root: a CID of dag-cbor (as every envelope is)."""
    if target.startswith("did:"):
        return False
    try:
        return CID.parse(target).codec == DAG_CBOR
    except InvalidCID:
        return False


class Anchoring(SetWrites, Standing):
    """Choosing the trusted state a set version verifies against; verify, pin, update."""

    def _kept_state(self, set_id: CID, root_cid: CID, fetch: Fetch) -> tuple[TrustedState, bytes]:
        """The trusted state an unpinned set was left in (its newest root and every version seen),
        and its anchor envelope: pinning it again verifies against this, never from scratch.
        ``RevokedError`` if the user revoked a root of that state (its anchor, newest root or one
        between, fetched by CID when the home no longer holds it while a dag-cbor CID is revoked)
        after the unpin."""
        from ._update import TrustedState, _open_root

        limits = self.limits.trust

        def block(cid: CID, what: str) -> bytes:
            if self.blocks.has(cid):
                return bytes(self.blocks.get(cid))
            try:
                return fetch_verified(fetch, cid, limits.max_document_bytes, what)
            except AutocodecError as exc:
                raise RootChainError(
                    f"set {set_id} was pinned before, up to root {root_cid}; its root {cid} is neither in the store "
                    f"nor where this version was found ({exc.message}), so its versions cannot be checked",
                    hint="pin the set from a place that also holds its roots") from None

        _env, root = _open_root(block(root_cid, "root"), limits)
        anchor = block(set_id, "root")
        revoked = self.revoked()
        # every root from the newest back to the anchor, a root the home no longer holds fetched
        # (by CID) from where this version was found: a revoked one the home lost still refuses.
        # Only a revoked dag-cbor CID can be a root: without one the walk reads held roots only
        # (a home that lost a root, and a place that never had it, pin the set again as before)
        fetch_lost = any(_may_be_root(target) for target in revoked)
        lineage: list[CID] = []
        cid: CID | None = root_cid
        while cid is not None and cid not in lineage and len(lineage) <= limits.max_root_chain:
            lineage.append(cid)
            if cid == set_id or not (cid == root_cid or fetch_lost or self.blocks.has(cid)):
                break
            cid = (root if cid == root_cid else _open_root(block(cid, "root"), limits)[1]).previous
        for cid in lineage:  # revocable once unpinned: the user's word wins
            if str(cid) in revoked:
                _log().warning("trust.document", decision="reject", document=str(cid), kind="root", set=str(set_id),
                               policy="revoked")
                raise RevokedError(f"root {cid} of set {root.set!r}, unpinned earlier, was revoked: the set "
                                   "cannot be pinned again", hint="pin another set; a revocation is for good")
        versions, cids = self._versions(set_id)
        return self._standing(TrustedState(set_id, root, root_cid, versions, cids, revoked), pinned=False), anchor

    def anchor_for(self, root_cid: CID, fetch: Fetch, *, root_envelope: bytes | None = None,
                   replacing: CID | None = None) -> tuple[TrustedState, bytes | None]:
        """The trusted state an index under root ``root_cid`` must verify against, and the root
        envelope to store as a new anchor (None when a pinned set already owns that root).

        A set's identity is its roots' CIDs, never its name: the root is matched against the
        lineage of every pinned set (its stored roots, and the ``previous`` links of the new
        root up to ``limits.trust.max_root_chain``). Links read from unverified roots only
        choose which trusted state to verify against; they decide nothing (an index under a
        root older than the trusted one is then refused by ``verify_set`` as a rollback). A root
        outside every lineage under the name of a pinned set is a different set (refused), unless
        that set is ``replacing`` (``replace`` unpins it in the same transaction); anything else
        is pinned as a new anchor (trust on first use of what the user named).
        """
        from ._update import _open_root, trust_anchor

        root_cid = as_cid(root_cid, "anchor_for")
        fetch = _need_fetch(fetch, "anchor_for")
        replacing = None if replacing is None else as_cid(replacing, "anchor_for's replacing")
        if root_envelope is not None:
            root_envelope = as_bytes(root_envelope, "anchor_for's root_envelope")
        limits = self.limits.trust
        known: dict[CID, str] = {}
        names: dict[str, str] = {}
        for set_id, set_name, current in self._rows("SELECT set_id, name, root_cid FROM trust_sets"):
            if replacing is None or set_id != str(replacing):
                names[set_name] = set_id
            for known_cid in self._lineage(row_cid(set_id, "trust_sets.set_id"), row_cid(current, "trust_sets.root_cid")):
                known[known_cid] = set_id
        kept: dict[CID, tuple[CID, CID]] = {}  # root -> (anchor, newest root) of a set unpinned earlier
        for kept_id, kept_root in self._kept().items():
            for kept_cid in self._lineage(kept_id, kept_root):
                kept[kept_cid] = (kept_id, kept_root)
        first: bytes | None = None
        name: str | None = None
        cid: CID | None = root_cid
        for _ in range(limits.max_root_chain + 1):
            if cid is None:
                break
            hit = known.get(cid)
            if hit is not None:
                # verify_set refuses an older root's index
                return self._standing(self.state(row_cid(hit, "trust_sets.set_id"))), None
            if cid in kept:  # pinned before and unpinned: its versions still bind (never back)
                return self._kept_state(*kept[cid], fetch)
            try:
                data = root_envelope if (cid == root_cid and root_envelope is not None) else fetch_verified(
                    fetch, cid, limits.max_document_bytes, "root")
                _env, root = _open_root(data, limits)
            except AutocodecError:
                if cid == root_cid:
                    raise
                break  # an older root is unavailable: the lineage cannot reach a pinned set
            if cid == root_cid:
                first, name = data, root.set
            cid = root.previous
        assert first is not None and name is not None
        if name in names:
            raise RootChainError(f"root {root_cid} is not in the lineage of pinned set {name!r} "
                                 f"(anchored at {names[name]})",
                                 hint="unpin that set first (`autocodec pin rm NAME`) if you mean to trust this root")
        return trust_anchor(first, cid=root_cid, limits=limits, revoked=self.revoked()), first

    def verify(self, index_cid: CID, fetch: Fetch, *, now: int | None = None, root_envelope: bytes | None = None,
               root_cid: CID | None = None, manifests: bool = True,
               replacing: CID | None = None) -> tuple[VerifiedSet, bytes | None]:
        """Verify the set version whose top index is ``index_cid`` against what is trusted:
        the pinned set whose lineage holds its root, or a new anchor. Stores nothing; returns the
        verified set and the anchor envelope to store with it (None for a pinned set).
        ``replacing``: a pinned set whose name the new anchor may take (see ``replace``)."""
        from ._update import verify_set

        index_cid = as_cid(index_cid, "verify")
        fetch = _need_fetch(fetch, "verify")
        now = _when(now, "verify")
        root_cid = None if root_cid is None else as_cid(root_cid, "verify's root_cid")
        limits = self.limits.trust
        if root_cid is None:
            check_codec(index_cid, "index")  # a raw block's CID is refused before anything is fetched
            data = fetch_verified(fetch, index_cid, limits.max_document_bytes, "index")
            check_kind(index_cid, data, "index", max_bytes=limits.max_document_bytes)  # e.g. the set's id
            index_env = open_envelope(data, "index", max_bytes=limits.max_document_bytes,
                                      max_signatures=limits.max_signatures)
            root_cid = Index.from_value(index_env.document, max_entries=limits.max_index_entries,
                                        max_delegations=limits.max_delegations).root
        state, anchor = self.anchor_for(root_cid, fetch, root_envelope=root_envelope, replacing=replacing)
        return verify_set(state, index_cid, fetch, now=now, limits=limits, manifests=manifests), anchor

    def pin(self, root_envelope: bytes, index_cid: CID, fetch: Fetch, *, root_cid: CID | None = None,
            now: int | None = None) -> VerifiedSet:
        """Pin a set by a root chosen out of band and bring it up to ``index_cid``."""
        from ._update import _open_root

        root_envelope = as_bytes(root_envelope, "pin's root_envelope")
        index_cid = as_cid(index_cid, "pin")
        root_cid = None if root_cid is None else as_cid(root_cid, "pin's root_cid")
        now = _when(now, "pin")
        if root_cid is None:
            root_cid = _open_root(root_envelope, self.limits.trust)[0].cid
        verified, anchor = self.verify(index_cid, fetch, now=now, root_envelope=root_envelope, root_cid=root_cid)
        self.apply_update(verified, anchor_envelope=anchor, now=now)
        return verified

    def update(self, set_id: CID, index_cid: CID, fetch: Fetch, *, now: int | None = None) -> VerifiedSet:
        """Verify and apply the update of a pinned set whose new top index is ``index_cid``."""
        from ._update import verify_set

        index_cid = as_cid(index_cid, "update")
        fetch = _need_fetch(fetch, "update")
        now = _when(now, "update")
        verified = verify_set(self._standing(self.state(set_id)), index_cid, fetch, now=now, limits=self.limits.trust)
        self.apply_update(verified, now=now)
        return verified
