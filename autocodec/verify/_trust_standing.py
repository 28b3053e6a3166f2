"""Whether the stored state of a pinned set still decides: expiry and revoked keys.

Invariants:
- A set whose root or an active index expired at ``now`` decides nothing (``ExpiredError``).
- A revoked key counts for nothing: a stored index (top, or the delegated one that listed an
  entry) or a root rotation that falls short of its threshold without revoked keys decides
  nothing and takes no update, as ``verify_set`` would refuse it now.
- With a key revoked, a set whose root lineage the home no longer holds whole (anchor to
  stored root) decides nothing either: a rotation that cannot be read cannot be shown to stand.
- Roles' keys and documents' signers are content-addressed facts, computed once per process
  (at most 1024 of each); revocations and expiry are read on every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._gotime import format_unix_time
from ..config import Limits
from ..errors import ExpiredError, RevokedError, ThresholdNotMet
from ._envelope import open_envelope
from ._module import VerifiedManifest
from ._rowtypes import row_cid, row_int
from ._trust_db import _log
from ._trust_lineage import Lineages
from ._trust_memo import SignatureMemoTables
from ._trust_records import _earliest

if TYPE_CHECKING:  # pragma: no cover
    from ._update import TrustedState


class Standing(SignatureMemoTables, Lineages):
    """Checks that every decision and update makes of a pinned set's stored state."""

    def __init__(self, blocks: Any, limits: Limits, *, owns_blocks: bool = False) -> None:
        super().__init__(blocks, limits, owns_blocks=owns_blocks)
        self._role_of: dict[tuple[str, str], tuple[tuple[str, ...], int]] = {}  # _role_keys
        self._signed: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}  # _index_signers

    def _fresh(self, set_id: str, name: str, now: int) -> int | None:
        """Raise ``ExpiredError`` if the set's root or an active index expired at ``now``; else
        the earliest of their expiries (None if the set has no active document)."""
        earliest: int | None = None
        for role, cid, expires in self._rows(
                "SELECT role, cid, expires FROM trust_versions WHERE set_id = ? AND active = 1", (set_id,)):
            expires = row_int(expires, "trust_versions.expires")
            earliest = _earliest(earliest, expires)
            if now >= expires:
                _log().warning("trust.decision", decision="reject", set=name, document=cid, role=role,
                             policy="expiry", expires=expires, now=now)
                raise ExpiredError(f"{role} {cid} of set {name!r} expired at {format_unix_time(expires)}",
                                   hint="update the set (`autocodec pin update`)")
        return earliest

    def _role_keys(self, root_cid: str, role: str) -> tuple[tuple[str, ...], int]:
        """``role``'s keys and threshold under root ``root_cid`` (a content-addressed document:
        computed once per process). A role the root does not define gets no keys and threshold
        0, which every index meets: no stored state has one (``verify_set`` refuses an index
        pinning a delegation its root does not define, and an update marks the roles it leaves
        out inactive)."""
        hit = self._role_of.get((root_cid, role))
        if hit is not None:
            return hit
        from ._update import _open_root

        root = _open_root(self.blocks.get(row_cid(root_cid, "trust_sets.root_cid")), self.limits.trust)[1]
        delegation = None if role == "index" else root.delegation(role.removeprefix("delegation/"))
        hit = ((root.index.keys, root.index.threshold) if role == "index" else
               ((), 0) if delegation is None else (delegation.role.keys, delegation.role.threshold))
        if len(self._role_of) >= 1024:  # a bound; an entry is cheap to compute again
            self._role_of.clear()
        self._role_of[(root_cid, role)] = hit
        return hit

    def _index_signers(self, index_cid: str, keys: tuple[str, ...], kind: str = "index") -> frozenset[str]:
        """Which of ``keys`` validly signed the stored document ``index_cid`` (an index, or a
        root with ``kind="root"``), revoked or not: content-addressed, so its envelope is decoded
        and its signatures checked once per process, not on every decision."""
        hit = self._signed.get((index_cid, keys))
        if hit is not None:
            return hit
        limits = self.limits.trust
        env = open_envelope(self.blocks.get(row_cid(index_cid, "trust_versions.cid")), kind,
                            max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
        hit = frozenset(env.signers(keys, memo=self))
        if len(self._signed) >= 1024:
            self._signed.clear()
        self._signed[(index_cid, keys)] = hit
        return hit

    def _rotations_stand(self, set_id: str, name: str, root_cid: str, revoked: frozenset[str], *,
                         pinned: bool = True) -> None:
        """``RevokedError`` if a root rotation of the set's stored lineage (anchor to newest
        root) falls short, without revoked keys, of the previous root's threshold or of its own,
        as ``verify_set`` would refuse it now: a thief of root keys who rotated the set to keys of
        their own before the user revoked the stolen one must not keep it. The anchor is trusted
        by its CID (the user pinned it), not by its signatures. Costs set arithmetic unless a
        revoked key is a root key of the lineage; then each such rotation's signatures once per
        process (``_index_signers``). A walk that could not reach the anchor (a root of the lineage
        no longer in the home) shows nothing about the rotations before that root: with a key
        revoked, the set is refused (``RevokedError`` naming the root) until the root is back."""
        keys, steps, gap = self._rotations(set_id, root_cid)
        if gap is not None and any(target.startswith("did:") for target in revoked):
            _log().warning("trust.decision", decision="reject", set=name, document=gap, role="root",
                           policy="revoked-key-lineage-unknown")
            raise RevokedError(
                f"root {gap} of set {name!r} is not in the home, so whether a revoked key signed a rotation "
                "before it cannot be checked: the set decides nothing until that root is back",
                hint=(f"fetch the set's lost blocks back (`autocodec pin repair {name}`)" if pinned else
                      "pin the set from a place that also holds every root of its lineage"))
        if revoked.isdisjoint(keys):
            return
        for step in steps:
            named = tuple(sorted({*step.old_keys, *step.keys}))
            if revoked.isdisjoint(named):
                continue
            signers = self._index_signers(step.cid, named, "root")
            good = signers - revoked
            if len(good & set(step.old_keys)) >= step.old_threshold and len(good & set(step.keys)) >= step.threshold:
                continue
            used = sorted(signers & revoked)
            _log().warning("trust.decision", decision="reject", set=name, document=step.cid, role="root",
                           policy="revoked-root-key", revoked=used)
            raise RevokedError(
                f"root v{step.version} {step.cid} of set {name!r} was signed by revoked key(s) {', '.join(used)}; "
                "without them it falls short of the root keys it needed, so it and everything after it count "
                "for nothing", hint="no update of this set can mend it (its later keys came from that root): "
                + (f"unpin it (`autocodec pin rm {name}`) and " if pinned else "")
                + "pin a new root (a set of its own) that its publisher gives you out of band")

    def _standing(self, state: TrustedState, *, pinned: bool = True) -> TrustedState:
        """``state`` when every root rotation it rests on stands without revoked keys
        (``_rotations_stand``), the trusted state an update may start from; else ``RevokedError``."""
        self._rotations_stand(str(state.set_id), state.root.set, str(state.root_cid), frozenset(state.revoked),
                              pinned=pinned)
        return state

    def _still_signed(self, set_id: str, name: str, root_cid: str, role: str, revoked: frozenset[str]) -> None:
        """``RevokedError`` (or ``ThresholdNotMet``) if revocations leave the set's active top
        index, or the active index of ``role`` (the delegation that listed an entry), short of
        its role's threshold under the stored root ``root_cid``: what ``verify_set`` refuses, no
        decision may rely on. Without revocations this reads nothing; with them, one query and
        set arithmetic over the role's keys (``_role_keys``), and over the index's signers
        (``_index_signers``) only when a revoked key is one of those keys."""
        if not revoked:
            return
        self._rotations_stand(set_id, name, root_cid, revoked)
        for listing, cid in self._rows("SELECT role, cid FROM trust_versions WHERE set_id = ? AND active = 1 "
                                       "AND role IN ('index', ?)", (set_id, role)):
            keys, threshold = self._role_keys(root_cid, str(listing))
            if revoked.isdisjoint(keys) or len(self._index_signers(str(cid), keys) - revoked) >= threshold:
                continue
            limits = self.limits.trust  # refused: the envelope once more, for require's own words and log
            env = open_envelope(self.blocks.get(row_cid(cid, "trust_versions.cid")), "index",
                                max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
            try:
                env.require(keys, threshold, role=str(listing), set_name=name, revoked=revoked, memo=self)
            except (RevokedError, ThresholdNotMet) as exc:
                exc.hint = ("the set decides nothing until a version signed by its unrevoked keys is applied: "
                            "update the set (`autocodec pin update`)")
                raise

    def _check_revoked(self, vm: VerifiedManifest, revoked: frozenset[str], set_name: str | None) -> None:
        m = vm.manifest
        for target, what in ((str(vm.cid), "manifest"), (str(m.module.to_v1()), "module"), (m.publisher, "publisher key")):
            if target in revoked:
                _log().warning("trust.decision", decision="reject", document=str(vm.cid), publisher=m.publisher,
                             set=set_name, policy="revoked", target=target)
                raise RevokedError(f"{what} {target} is revoked")
