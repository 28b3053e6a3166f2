"""The local trust store: pinned sets, versions seen, revocations and the user's allow-list.

State lives in the home database (``trust_*`` tables, wing ``trust`` of the block store's
schema); every envelope it relies on is kept as a verified block in the same database.

Invariants:
- ``apply_update`` is all or nothing: one SQLite transaction writes the documents, versions
  and entries of a ``VerifiedSet``; a crash (even SIGKILL) half-way leaves the previous state
  intact and usable.
- Per set and role, the stored version never goes down: ``apply_update`` re-checks the
  versions under the write lock, so a stale or concurrent ``VerifiedSet`` cannot roll back,
  and an update of a set unpinned meanwhile is refused (it cannot undo the unpin); so is one
  whose documents, modules or publishers were revoked meanwhile, or that lowers a module's
  version without its publisher's mark (``_downgrades``, the one place of that rule).
- Unpinning keeps the versions seen: a set pinned again (by any root of its lineage) is
  verified against the state it was left in, under its first anchor, never from scratch.
- Decisions (``resolve``, ``authorize``) use one fixed ``now``; a set whose root or any active
  index has expired at ``now`` decides nothing (freeze attack) until it is updated.
- Revocation beats every other policy: a revoked key, manifest or module is refused even if a
  pinned set lists it or the allow-list names it. A revoked index or delegation key counts for
  nothing in decisions too: a stored index that no longer meets its role's threshold without
  it (the top index, or the delegated index that listed the entry) decides nothing, as
  ``verify_set`` would refuse it (``RevokedError``). A revoked root key counts for nothing in
  the rotations already applied either: a set with a rotation (anchor to stored root) short of
  a threshold without it decides nothing and takes no update (``_rotations_stand``).
- ``revoke`` refuses what would change nothing: a pinned set's own documents and its
  superseded ones (roots before its anchor, indexes older than its pinned version).
- Every decision is logged (``verify`` logger) with the document, publisher, set and policy.
- A manifest's publisher signature verified once (at pin or update time, or by an earlier
  call) is remembered in ``trust_signatures`` keyed by (manifest CID, key) and not re-checked
  (``_sigmemo``); revocation and expiry are still decided on every call.

The jobs live in private modules, composed here (each module's docstring states its own
invariants): ``_trust_schema`` (tables, migrations), ``_trust_db`` (reads, write transactions,
epoch), ``_trust_memo`` (remembered signatures), ``_trust_lineage`` (root walks),
``_trust_policy`` (revocations, allow-list), ``_trust_standing`` (expiry and revoked-key checks
of stored state), ``_trust_pins`` (pinned-set records), ``_trust_apply`` (the update
transaction), ``_trust_anchors`` (what a version verifies against; verify, pin, update),
``_trust_decide`` (decisions); values in ``_trust_records``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Self

from ..config import DEFAULT_LIMITS, Limits
from ..errors import StoreError
from ..home import Home
from ._trust_anchors import Anchoring
from ._trust_decide import Decisions
from ._trust_records import AllowRule, Decision, SetInfo, format_ranges, parse_ranges
from ._trust_schema import ensure_trust_schema

__all__ = ["AllowRule", "Decision", "SetInfo", "TrustStore", "format_ranges", "parse_ranges"]


class TrustStore(Anchoring, Decisions):
    """Trust state of one home folder. Open with ``TrustStore.open(home)``; close when done."""

    @classmethod
    def open(cls, home: Home | str | None = None, *, limits: Limits | None = None, blocks: Any = None) -> TrustStore:
        """Open the trust tables in ``home``'s database (or in an already open ``BlockStore``)."""
        from ..store import BlockStore

        limits = limits or DEFAULT_LIMITS
        owns = blocks is None
        if blocks is None:
            blocks = BlockStore.open(home if isinstance(home, Home) else Home.resolve(home), limits=limits)
        try:
            ensure_trust_schema(blocks)
        except BaseException:
            if owns:
                blocks.close()
            raise
        return cls(blocks, limits, owns_blocks=owns)

    def __enter__(self) -> Self:
        if getattr(self.blocks, "closed", False):  # its own, closed by close(); or the caller's, closed
            raise StoreError("the trust store's database is closed", hint="open it again with TrustStore.open")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[SetInfo]:
        return iter(self.sets())
