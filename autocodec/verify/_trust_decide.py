"""Decisions: which module may run for a code, name, manifest or module CID, and why.

Invariants:
- One fixed ``now`` and one committed state (``snapshot``) per decision: an update committed
  meanwhile, by any process, is seen whole by the next decision, never half by this one.
- Revocation beats every other policy; the set that serves an entry is the first pinned that
  lists it unless the user let a later one override, and only the serving set decides (its
  refusal is raised; no other set takes over unasked).
- Every decision is logged (``verify`` logger) with the document, publisher, set and policy.
"""

from __future__ import annotations

import time

from .._inputs import as_cid
from ..cid import CID
from ..errors import ExpiredError, NotTrusted, RevokedError, ThresholdNotMet
from ._documents import CODED_KINDS, EntryKey
from ._module import VerifiedManifest, verify_manifest
from ._rowtypes import row_cid
from ._trust_args import _key_text, _kind
from ._trust_db import _log
from ._trust_policy import UserPolicy
from ._trust_records import Decision, _earliest, format_ranges
from ._trust_standing import Standing

_DECIDE_MODULE = ("SELECT e.manifest_cid FROM trust_entries e JOIN trust_sets s USING (set_id) "
                  "WHERE e.module_cid = ? ORDER BY s.rowid DESC")

_SERVING_ORDER = "o.set_id IS NOT NULL DESC, CASE WHEN o.set_id IS NULL THEN s.rowid ELSE -s.rowid END"
"""Which of the pinned sets listing one entry serves it: those allowed to override first, the
latest pinned of them; then the others, the earliest pinned (``resolve``)."""

_RESOLVE = ("SELECT e.set_id, s.name, e.manifest_cid, o.set_id IS NOT NULL, e.role, s.root_cid FROM trust_entries e "
            "JOIN trust_sets s USING (set_id) LEFT JOIN trust_overrides o ON o.set_id = e.set_id "
            "WHERE e.kind = ? AND e.key = ? ORDER BY " + _SERVING_ORDER)
"""The pinned sets listing ``(kind, key)``, the serving one first (runs on every ``resolve``)."""



class Decisions(UserPolicy, Standing):
    """``resolve``, ``authorize``, ``decide_module`` and what they share."""

    def _manifest(self, cid: CID, now: int, revoked: frozenset[str], set_name: str,
                  expect: EntryKey | None) -> VerifiedManifest:
        return verify_manifest(self.blocks.get(cid), now=now, limits=self.limits.trust, revoked=revoked,
                               expect=expect, set_name=set_name, memo=self)

    def resolve(self, kind: str, key: int | str, *, now: int | None = None) -> Decision | None:
        """The trusted manifest for ``(kind, code|name)``, or None if no pinned set lists it.

        The first pinned set that lists it serves it: a set pinned later takes over a code or
        name another pinned set serves only if the user said so (``set_override``; ``pin add
        --override``), so a new set cannot silently replace the hashers that verify blocks or
        the codecs that decode them. Among sets allowed to override, the most recently pinned
        wins. Only the serving set decides: when its entry is refused (its index expired, its
        manifest, module or publisher revoked) that refusal is raised, and no other set that
        lists the code takes over unasked (a publisher who could withhold the serving set's
        updates until it expired would otherwise gain the code for a set of their own).
        """
        with self.snapshot():  # one committed state for the whole decision
            now = int(time.time()) if now is None else now
            rows = self._rows(_RESOLVE, (_kind(kind), _key_text(key)))
            if not rows:
                _log().info("trust.decision", decision="none", kind=kind, code=key, policy="no-pinned-set-lists-it")
                return None
            revoked = self.revoked()
            set_id, name, mcid, overrides, role, root_cid = rows[0]
            try:
                fresh_until = self._fresh(set_id, name, now)
                self._still_signed(str(set_id), str(name), str(root_cid), str(role), revoked)
                vm = self._manifest(row_cid(mcid, "trust_entries.manifest_cid"), now, revoked, name, (kind, key))
                self._check_revoked(vm, revoked, name)
            except (ExpiredError, RevokedError, ThresholdNotMet, NotTrusted) as exc:
                exc.entry = (str(set_id), str(name), str(mcid))
                if len(rows) > 1:  # the user's way out, when they trust the other set for it
                    exc.hint = (f"{exc.hint}; set {rows[1][1]!r} lists it too and serves it only once the user "
                                "lets that set take over (pinned again, allowed to override)")
                raise
            _log().info("trust.decision", decision="accept", document=mcid, publisher=vm.manifest.publisher,
                        set=name, module=str(vm.manifest.module), kind=kind, code=key, policy="pinned-set",
                        overrides=bool(overrides), listed_by=len(rows))
            return Decision(vm.manifest.module, "pinned-set", vm.cid, vm.manifest,
                            row_cid(set_id, "trust_sets.set_id"), name, _earliest(fresh_until, vm.manifest.expires))

    def served_by_others(self, set_id: CID) -> list[tuple[str, int | str, str]]:
        """``(kind, key, set name)`` for each entry of pinned set ``set_id`` that another pinned
        set serves first in ``resolve``'s order (pinned earlier, or allowed to override), so
        this set does not serve it. Refusals found at resolve time (expiry, revocation) are not
        weighed: this is what the pins say, not what would load now."""
        rows = self._rows(
            "SELECT e.kind, e.key, e.set_id, s.name FROM trust_entries e JOIN trust_sets s USING (set_id) "
            "LEFT JOIN trust_overrides o ON o.set_id = e.set_id WHERE EXISTS (SELECT 1 FROM trust_entries m "
            "WHERE m.set_id = ? AND m.kind = e.kind AND m.key = e.key) ORDER BY e.kind, e.key, " + _SERVING_ORDER,
            (str(set_id),))
        first: dict[tuple[str, str], tuple[str, str]] = {}
        for kind, key, serving, name in rows:
            first.setdefault((str(kind), str(key)), (str(serving), str(name)))
        return [(kind, int(key) if kind in CODED_KINDS else key, name)
                for (kind, key), (serving, name) in first.items() if serving != str(set_id)]

    def authorize(self, manifest: VerifiedManifest | bytes, *, now: int | None = None) -> Decision:
        """Decide whether a manifest obtained outside a set update may be used.

        Allowed if (after revocation checks) a fresh pinned set lists this very manifest, or the
        user allow-listed its module CID, or its publisher for all of its codes.
        """
        with self.snapshot():  # one committed state for the whole decision
            now = int(time.time()) if now is None else now
            revoked = self.revoked()
            # a VerifiedManifest was checked at some earlier time: expiry is decided again at this now
            vm = verify_manifest(manifest.envelope if isinstance(manifest, VerifiedManifest) else manifest, now=now,
                                 limits=self.limits.trust, revoked=revoked)
            self._check_revoked(vm, revoked, None)
            m = vm.manifest
            for set_id, name, role, root_cid in self._rows(
                    "SELECT e.set_id, s.name, e.role, s.root_cid FROM trust_entries e JOIN trust_sets s USING (set_id) "
                    "WHERE e.manifest_cid = ? ORDER BY s.pinned_at", (str(vm.cid),)):
                try:
                    fresh_until = self._fresh(set_id, name, now)
                    self._still_signed(str(set_id), str(name), str(root_cid), str(role), revoked)
                except (ExpiredError, RevokedError, ThresholdNotMet):
                    continue
                return self._decide(vm, "pinned-set", row_cid(set_id, "trust_sets.set_id"), name, fresh_until)
            for rule in self.allowed():
                if rule.target == str(m.module.to_v1()):  # allow-list targets are kept as CIDv1
                    return self._decide(vm, "allow-list:module")
                if rule.target == m.publisher and rule.covers(m):
                    return self._decide(vm, f"allow-list:publisher[{format_ranges(rule.ranges)}]")
            _log().warning("trust.decision", decision="reject", document=str(vm.cid), publisher=m.publisher,
                         module=str(m.module), policy="not-in-pinned-set-or-allow-list")
            raise NotTrusted(f"module {m.module} ({m.name} {m.version}, published by {m.publisher}) is in no pinned "
                             "set and its publisher is not allow-listed for its codes",
                             hint=f"pin a set that lists it, or `autocodec trust add {m.publisher}` if you trust the publisher")

    def _decide(self, vm: VerifiedManifest, policy: str, set_id: CID | None = None,
                set_name: str | None = None, fresh_until: int | None = None) -> Decision:
        _log().info("trust.decision", decision="accept", document=str(vm.cid), publisher=vm.manifest.publisher,
                  module=str(vm.manifest.module), set=set_name, policy=policy)
        return Decision(vm.manifest.module, policy, vm.cid, vm.manifest, set_id, set_name,
                        _earliest(fresh_until, vm.manifest.expires))

    def decide_module(self, module: CID, *, now: int | None = None) -> Decision | None:
        """May the module with this CID run? (for blocks that name their decoder by CID)

        Yes if a fresh pinned set lists a manifest for it that still verifies (most recently
        pinned first), or if the user allow-listed the module CID itself; else None. Revocation
        wins over the allow-list here too: when a manifest a pinned set lists for the module is
        refused as revoked (its publisher key, the manifest or the module), the module CID's
        allow-list rule does not let it run (as ``authorize`` refuses that manifest).
        """
        with self.snapshot():  # one committed state for the whole decision
            module = as_cid(module, "decide_module")
            listed = self._listed(module, now)
            if isinstance(listed, Decision):
                return listed
            if listed is not None:
                _log().warning("trust.decision", decision="reject", module=str(module), policy="revoked",
                               reason=listed.message)
                return None
            if self.module_allowed(module):
                _log().info("trust.decision", decision="accept", module=str(module), policy="allow-list:module")
                return Decision(module, "allow-list:module")
            return None

    def module_revocation(self, module: CID, *, now: int | None = None) -> RevokedError | None:
        """The revocation that makes ``decide_module`` refuse ``module`` (one that refused a
        manifest a pinned set lists for it: publisher key, manifest or module; or the module's
        own), or None: for the words of a refusal, as allowing the module's CID would not lift it."""
        with self.snapshot():  # one committed state for the whole decision
            module = as_cid(module, "module_revocation")
            listed = self._listed(module, now)
            if isinstance(listed, RevokedError):
                return listed
            if str(module.to_v1()) in self.revoked():
                return RevokedError(f"module {module} was revoked")
            return None

    def _listed(self, module: CID, now: int | None) -> Decision | RevokedError | None:
        """The first manifest pinned sets list for ``module`` that ``authorize`` accepts (most
        recently pinned first); else the first revocation that refused one; else None."""
        revoked: RevokedError | None = None
        for (mcid,) in self._rows(_DECIDE_MODULE, (str(module),)):
            try:
                return self.authorize(self.blocks.get(row_cid(mcid, "trust_entries.manifest_cid")), now=now)
            except RevokedError as exc:
                revoked = revoked or exc
            except (ExpiredError, NotTrusted):
                continue
        return revoked


def outranked_refusal(needed: str, revoked: RevokedError) -> NotTrusted:
    """The refusal of a module ``module_revocation`` names a revocation for: ``needed`` says who
    needed it, in the caller's words; allowing the module's CID would not lift it, so the hint
    points at the revocations, not at the allow-list."""
    return NotTrusted(f"{needed} {revoked.message} (a revocation outranks the allow-list)",
                      hint="see the revocations with `autocodec trust ls`; a revocation is for good")
