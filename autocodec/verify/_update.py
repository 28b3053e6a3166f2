"""Verifying an extension set update, TUF style, with CIDs as identifiers.

An update starts from a ``TrustedState`` (what the client already trusts for one set: its
newest verified root and the highest version seen per role) and the CID of a new top index.
The index names the root it was signed under; roots name their predecessor, so the chain from
the trusted root to the new one is found by walking back from the index.

Invariants (TUF specification 5.3-5.6, "detailed client workflow"):
- One fixed time ``now`` is taken when the update starts and used for every expiry check.
- Root N+1 is accepted only if signed by a threshold of root N's root keys *and* of its own,
  names root N as ``previous`` and has version N+1: no jumps, no forks, no skipped signers.
  Intermediate roots may have expired; the newest must not have.
- The top index is signed by a threshold of the newest root's index keys; each delegated
  index by a threshold of its delegation's keys, and lists only kinds and codes inside the
  delegation. Nothing signed under an older root than the trusted one is accepted.
- Versions never go down per role; an equal version must be the very same document. The one
  exception is TUF's fast-forward recovery (5.3.11): when a new root changes the keys of the
  index role or of a delegation, that role's version floor is reset, because nothing signed
  by the old keys can verify any more.
- Every listed manifest is fetched by CID, signed by its publisher and agrees with its entry;
  a (kind, code) appears once in the whole set.
- Revoked keys never count towards a threshold; revoked manifests and modules are refused, and
  so is a root or index whose envelope CID was revoked (one revoked before it was ever seen).
- The result is a ``VerifiedSet``; nothing is stored here (``TrustStore.apply_update`` does
  that, all or nothing).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._gotime import format_unix_time
from ..cid import CID
from ..config import DEFAULT_LIMITS, TrustLimits
from ..errors import (
    DelegationError,
    ExpiredError,
    InvalidDocument,
    RevokedError,
    RollbackError,
    RootChainError,
)
from ..log import get_logger
from ._canonical import check_cid
from ._documents import EntryKey, Index, IndexEntry, Root, delegation_role
from ._envelope import Envelope, open_envelope
from ._fetch import Fetch, fetch_verified
from ._module import VerifiedManifest, verify_manifest


def _log() -> Any:
    """The verify logger, bound at call time so `log.configure` always applies."""
    return get_logger("verify")


@dataclass(frozen=True, slots=True)
class TrustedState:
    """What a client trusts for one set before an update.

    ``set_id`` is the CID of the root envelope the user pinned first (the trust anchor);
    ``versions`` maps role ("root", "index", ``delegation/NAME``) to the highest version seen and
    ``cids`` maps role to the CID of that version's document.
    """

    set_id: CID
    root: Root
    root_cid: CID
    versions: Mapping[str, int] = field(default_factory=dict)
    cids: Mapping[str, CID] = field(default_factory=dict)
    revoked: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class VerifiedSet:
    """The outcome of a successful update: everything needed to store and use the set."""

    set_id: CID
    root: Root
    root_cid: CID
    index: Index
    index_cid: CID
    checked_at: int
    versions: dict[str, int]
    cids: dict[str, CID]
    expires: dict[str, int]
    """Expiry of the newest root and of each index verified, per role."""
    entries: dict[EntryKey, tuple[str, CID]]
    """``(kind, code|name) -> (role that listed it, manifest CID)``."""
    manifests: dict[CID, VerifiedManifest]
    documents: dict[CID, tuple[str, bytes]]
    """Every envelope verified in this update: ``cid -> (kind, bytes)``."""
    reset_at: Mapping[str, int] = field(default_factory=dict)
    """Roles whose keys a new root of this update changed (their version floor was reset: fast-
    forward recovery), each with the version of the newest root that changed them: the reset
    holds only against a stored state whose root is older than that (``apply_update``)."""

    @property
    def name(self) -> str:
        return self.root.set

    @property
    def reset(self) -> frozenset[str]:
        """The roles whose version floor this update reset (``reset_at``'s roles)."""
        return frozenset(self.reset_at)

    def manifest_for(self, kind: str, key: int | str) -> VerifiedManifest | None:
        hit = self.entries.get((kind, key))
        return self.manifests.get(hit[1]) if hit else None


def _not_revoked(kind: str, cid: CID, revoked: frozenset[str]) -> None:
    """``RevokedError`` if the user revoked this document's CID."""
    if str(cid) in revoked:
        _log().warning("trust.document", decision="reject", document=str(cid), kind=kind, policy="revoked")
        raise RevokedError(f"{kind} {cid} was revoked")


def _open_root(data: bytes, limits: TrustLimits) -> tuple[Envelope, Root]:
    env = open_envelope(data, "root", max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
    return env, Root.from_value(env.document, max_keys=limits.max_role_keys, max_delegations=limits.max_delegations)


def trust_anchor(data: bytes, *, cid: CID | None = None, limits: TrustLimits = DEFAULT_LIMITS.trust,
                 revoked: frozenset[str] = frozenset()) -> TrustedState:
    """Trust a root chosen out of band (pinned by CID): it must be signed by its own root keys."""
    env, root = _open_root(data, limits)
    if cid is not None:
        check_cid(cid, data, what="root")
    _not_revoked("root", env.cid, frozenset(revoked))
    env.require(root.root.keys, root.root.threshold, role="root", set_name=root.set, revoked=revoked)
    _log().info("trust.anchor", decision="accept", document=str(env.cid), set=root.set, version=root.version,
              policy="user-pinned-root")
    return TrustedState(env.cid, root, env.cid, {"root": root.version}, {"root": env.cid}, revoked)


def _walk_roots(state: TrustedState, head: CID, fetch: Fetch, limits: TrustLimits) -> list[CID]:
    """CIDs of the roots after the trusted one up to ``head``, oldest first.

    Walking back from an unverified head keeps only CIDs (one document in memory at a time);
    the caller fetches each root again, by CID, when it verifies the chain forwards.
    """
    trusted = state.root
    chain: list[tuple[CID, int]] = []
    cid = head
    while cid != state.root_cid:
        if len(chain) >= limits.max_root_chain:
            raise RootChainError(f"more than {limits.max_root_chain} root versions in one update")
        _env, root = _open_root(fetch_verified(fetch, cid, limits.max_document_bytes, "root"), limits)
        if root.set != trusted.set:
            raise RootChainError(f"root {cid} belongs to set {root.set!r}, not {trusted.set!r}")
        if chain and root.version != chain[-1][1] - 1:
            raise RootChainError(
                f"root v{chain[-1][1]} names a v{root.version} root as previous: versions must go up by one (no jumps)"
            )
        if root.version < trusted.version and not chain:
            raise RollbackError(
                f"the index is signed under root v{root.version} of set {trusted.set!r}; "
                f"v{trusted.version} is already trusted"
            )
        if root.version <= trusted.version:
            raise RootChainError(f"root {cid} (v{root.version}) is not the trusted root v{trusted.version} "
                                 f"of set {trusted.set!r}: the chain does not lead back to it (fork)")
        chain.append((cid, root.version))
        cid = root.previous  # type: ignore[assignment]  # version > 1 here, so previous is set
    chain.reverse()
    if chain and chain[0][1] != trusted.version + 1:
        raise RootChainError(f"root v{chain[0][1]} follows trusted v{trusted.version}: no jumps")
    return [c for c, _ in chain]


def _check_fresh(kind: str, cid: CID, set_name: str, expires: int, now: int) -> None:
    if now >= expires:
        _log().warning("trust.expiry", decision="reject", document=str(cid), kind=kind, set=set_name,
                     expires=expires, now=now, policy="fixed-start-time")
        raise ExpiredError(f"{kind} {cid} of set {set_name!r} expired at {format_unix_time(expires)}; "
                           f"the update started at {format_unix_time(now)}")


def _rotated_roles(old: Root, new: Root) -> set[str]:
    """Roles below root whose keys or threshold differ between two consecutive roots."""
    out = set()
    if (set(old.index.keys), old.index.threshold) != (set(new.index.keys), new.index.threshold):
        out.add("index")
    for d in new.delegations:
        prev = old.delegation(d.name)
        if prev is None or (set(prev.role.keys), prev.role.threshold) != (set(d.role.keys), d.role.threshold):
            out.add(delegation_role(d.name))
    return out


def _check_version(role: str, version: int, cid: CID, state: TrustedState, set_name: str,
                   reset: Mapping[str, int]) -> None:
    if role in reset:
        return
    seen = state.versions.get(role, 0)
    if version < seen:
        _log().warning("trust.version", decision="reject", document=str(cid), role=role, set=set_name,
                     version=version, seen=seen, policy="monotonic-version")
        raise RollbackError(f"{role} v{version} of set {set_name!r} is older than v{seen} already seen")
    if version == seen and state.cids.get(role) not in (None, cid):
        raise RollbackError(f"{role} v{version} of set {set_name!r} differs from the v{seen} already seen")


def verify_set(state: TrustedState, index_cid: CID, fetch: Fetch, *, now: int | None = None,
               limits: TrustLimits = DEFAULT_LIMITS.trust, manifests: bool = True) -> VerifiedSet:
    """Verify the set update whose top index is ``index_cid``; raises an ``Untrusted`` on failure.

    ``fetch(cid)`` returns untrusted bytes (or a stream of them); ``now`` defaults to the time
    the call starts and is the one clock reading used for the whole update.
    """
    now = int(time.time()) if now is None else now
    revoked = state.revoked
    documents: dict[CID, tuple[str, bytes]] = {}

    _not_revoked("index", index_cid, revoked)
    index_data = fetch_verified(fetch, index_cid, limits.max_document_bytes, "index")
    index_env = open_envelope(index_data, "index", max_bytes=limits.max_document_bytes,
                              max_signatures=limits.max_signatures)
    unverified = Index.from_value(index_env.document, max_entries=limits.max_index_entries,
                                  max_delegations=limits.max_delegations)

    # 1. the root chain, each step signed by the old and the new root keys
    root, root_cid = state.root, state.root_cid
    versions = {**state.versions, "root": max(state.versions.get("root", 0), root.version)}
    cids = dict(state.cids)
    reset_at: dict[str, int] = {}
    for cid in _walk_roots(state, unverified.root, fetch, limits):
        _not_revoked("root", cid, revoked)
        data = fetch_verified(fetch, cid, limits.max_document_bytes, "root")
        env, new = _open_root(data, limits)
        if new.previous != root_cid or new.version != root.version + 1 or new.set != root.set:
            raise RootChainError(f"root {cid} does not follow root v{root.version} {root_cid}")
        env.require(root.root.keys, root.root.threshold, role="root (previous)", set_name=root.set, revoked=revoked)
        env.require(new.root.keys, new.root.threshold, role="root (new)", set_name=root.set, revoked=revoked)
        _log().info("trust.root", decision="accept", document=str(env.cid), set=root.set, version=new.version,
                  policy="rotation-signed-by-old-and-new")
        reset_at.update(dict.fromkeys(_rotated_roles(root, new), new.version))
        root, root_cid = new, env.cid
        versions["root"], cids["root"] = new.version, env.cid
        documents[env.cid] = ("root", data)
    _check_fresh("root", root_cid, root.set, root.expires, now)

    # 2. the top index
    index_env.require(root.index.keys, root.index.threshold, role="index", set_name=root.set, revoked=revoked)
    index = unverified
    if index.set != root.set or index.role != "index" or index.root != root_cid:
        raise InvalidDocument(f"index {index_cid} is not the top index of set {root.set!r} under root {root_cid}")
    if reset_at:
        _log().info("trust.rotation", set=root.set, document=str(root_cid), roles=sorted(reset_at),
                    policy="fast-forward-recovery")
    _check_version("index", index.version, index_cid, state, root.set, reset_at)
    _check_fresh("index", index_cid, root.set, index.expires, now)
    versions["index"], cids["index"] = index.version, index_cid
    expires = {"root": root.expires, "index": index.expires}
    documents[index_cid] = ("index", index_data)

    # 3. delegated indexes, each confined to its delegation's kinds and code ranges
    entries: dict[EntryKey, tuple[str, CID]] = {}
    listed: list[tuple[str, IndexEntry]] = [("index", e) for e in index.entries]
    for name, cid in sorted(index.delegations.items()):
        delegation = root.delegation(name)
        if delegation is None:
            raise DelegationError(f"index pins delegated index {name!r}, which root v{root.version} does not define")
        _not_revoked(f"delegated index {name!r}", cid, revoked)
        data = fetch_verified(fetch, cid, limits.max_document_bytes, "delegated index")
        env = open_envelope(data, "index", max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
        env.require(delegation.role.keys, delegation.role.threshold, role=name, set_name=root.set, revoked=revoked)
        sub = Index.from_value(env.document, max_entries=limits.max_index_entries,
                               max_delegations=limits.max_delegations)
        if sub.set != root.set or sub.role != name or sub.root != root_cid:
            raise InvalidDocument(f"delegated index {cid} is not {name!r} of set {root.set!r} under root {root_cid}")
        role = delegation_role(name)
        _check_version(role, sub.version, cid, state, root.set, reset_at)
        _check_fresh(f"delegated index {name!r}", cid, root.set, sub.expires, now)
        for e in sub.entries:
            if not delegation.covers(e.kind, e.key):
                _log().warning("trust.delegation", decision="reject", document=str(cid), role=name, set=root.set,
                             kind=e.kind, code=e.key, policy="delegated-range")
                raise DelegationError(
                    f"delegation {name!r} of set {root.set!r} lists {e.kind} {e.key!r}, outside its "
                    f"{'/'.join(delegation.kinds)} range(s) {[f'0x{lo:x}-0x{hi:x}' for lo, hi in delegation.ranges]}"
                )
            listed.append((role, e))
        versions[role], cids[role], expires[role] = sub.version, cid, sub.expires
        documents[cid] = ("index", data)
    if len(listed) > limits.max_index_entries:
        raise InvalidDocument(f"set {root.set!r} lists {len(listed)} entries, over the cap of {limits.max_index_entries}")
    for role, e in listed:
        if (e.kind, e.key) in entries:
            raise InvalidDocument(f"set {root.set!r} lists {e.kind} {e.key!r} twice")
        entries[(e.kind, e.key)] = (role, e.manifest)

    # 4. manifests
    verified: dict[CID, VerifiedManifest] = {}
    if manifests:
        for (kind, key), (_role, cid) in entries.items():
            data = fetch_verified(fetch, cid, limits.max_document_bytes, "manifest")
            vm = verify_manifest(data, now=now, limits=limits, revoked=revoked, expect=(kind, key), set_name=root.set)
            verified[cid] = vm
            documents[cid] = ("manifest", data)

    _log().info("trust.update", decision="accept", set=root.set, document=str(index_cid), root=str(root_cid),
              root_version=root.version, index_version=index.version, entries=len(entries), now=now,
              policy="tuf-update")
    return VerifiedSet(state.set_id, root, root_cid, index, index_cid, now, versions, cids, expires, entries, verified,
                       documents, reset_at)
