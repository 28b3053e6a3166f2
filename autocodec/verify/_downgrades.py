"""The module-version rule: a set update may not lower a module's version unmarked.

A set's signed versions only go up (the trust store refuses an older index), but a newer index
may list an older module for a code: a publisher's mistake, or a rollback to a module with a
known flaw by whoever holds the set's keys. The publisher marks a deliberate one on the index
entry (``"downgrade": true``, written by ``set add`` when the rollback is allowed).

Invariants:
- ``refuse_unmarked_downgrades`` raises ``ModuleDowngrade`` when, for a key the pinned version
  and the new one both list, the new module has the same kind and name as the pinned one and a
  lower version (``_semver.is_lower``), and the new entry carries no downgrade mark. It is the
  one definition of the rule: ``TrustStore.apply_update`` runs it on every set version it
  applies (under the write lock, against the stored pinned version: the library's ``update``,
  ``pin`` and ``apply_update`` as the CLI's), and ``pin update`` runs it first too, before any
  module is fetched. A refusal changes nothing: the pinned version keeps serving.
- Modules of another name for a key are another module, not a rollback; a key the new version
  adds or drops is not compared. The pinned version is its top index and the delegated indexes
  that index pins, nothing older: a delegation an earlier version dropped (whose highest version
  the trust store still keeps, as history) lists nothing the pinned version lists.
- The pinned version's documents come from ``fetch`` (the home's store, which pins keep them
  in; ``pin update`` also asks where the set was found); one that cannot be had (removed by
  force, and gone upstream) is not compared, and the log says so: local damage never blocks an
  update the set's keys signed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..errors import AutocodecError, ModuleDowngrade
from ..log import get_logger
from ._semver import is_lower

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Limits
    from ._documents import Index, Manifest
    from ._update import VerifiedSet

log = get_logger("verify")

Read = Callable[[CID], Any]
"""A document's bytes by CID (``bytes`` or a buffer), ``AutocodecError`` when it cannot be had."""

Listed = dict[tuple[str, str], tuple[CID, bool]]
"""``(kind, key as text) -> (manifest CID, marked as a deliberate downgrade)``."""


def _index(data: bytes, limits: "Limits") -> "Index":
    """The index document in the envelope ``data`` (its signatures were verified when pinned)."""
    from ._documents import Index
    from ._envelope import open_envelope

    trust = limits.trust
    env = open_envelope(data, "index", max_bytes=trust.max_document_bytes, max_signatures=trust.max_signatures)
    return Index.from_value(env.document, max_entries=trust.max_index_entries, max_delegations=trust.max_delegations)


def _listed(indexes: "list[Index]") -> Listed:
    return {(e.kind, str(e.key)): (e.manifest, e.downgrade) for index in indexes for e in index.entries}


def _pinned(fetch: Read, cid: CID, what: str) -> bytes | None:
    """The bytes of a document of the pinned version, or None (logged) when they cannot be had."""
    try:
        return bytes(fetch(cid))
    except AutocodecError as exc:
        log.warning("pin.downgrade_check", skipped=what, cid=str(cid), reason=exc.message)
        return None


def _manifest(data: bytes, limits: "Limits") -> "Manifest":
    from ._documents import Manifest
    from ._envelope import open_envelope

    trust = limits.trust
    env = open_envelope(data, "manifest", max_bytes=trust.max_document_bytes, max_signatures=trust.max_signatures)
    return Manifest.from_value(env.document, max_module_bytes=trust.max_module_bytes)


def refuse_unmarked_downgrades(pinned_index: CID, verified: "VerifiedSet", fetch: Read,
                               limits: "Limits") -> None:
    """``ModuleDowngrade`` for the first key whose module ``verified`` lowers, unmarked, from the
    pinned version (``pinned_index``: its top index's CID; the delegated indexes it pins are
    read from it)."""
    from ..codes import entry_name
    from ._documents import CODED_KINDS

    top_data = _pinned(fetch, pinned_index, "index")
    indexes = [] if top_data is None else [_index(top_data, limits)]
    for name, cid in sorted(indexes[0].delegations.items() if indexes else ()):
        data = _pinned(fetch, cid, f"delegated index {name!r}")
        if data is not None:
            indexes.append(_index(data, limits))
    before = _listed(indexes)
    after = _listed([_index(data, limits) for kind, data in verified.documents.values() if kind == "index"])
    for (kind, key), (new_cid, marked) in sorted(after.items()):
        old_cid = before.get((kind, key), (new_cid, False))[0]
        if marked or old_cid == new_cid:
            continue
        data = _pinned(fetch, old_cid, "manifest")
        if data is None:
            continue
        old = _manifest(data, limits)
        vm = verified.manifests.get(new_cid)  # absent when verified without manifests: read as stored
        new_data = None if vm is not None else _pinned(fetch, new_cid, "manifest")
        if vm is None and new_data is None:
            continue
        new = vm.manifest if vm is not None else _manifest(new_data, limits)  # type: ignore[arg-type]
        if old.kind == new.kind and old.name == new.name and is_lower(new.version, old.version):
            shown = entry_name(kind, int(key) if kind in CODED_KINDS else key)
            raise ModuleDowngrade(
                f"set {verified.name!r} v{verified.index.version} takes {kind} {shown} back from {old.name} "
                f"{old.version} to {new.version}, and its publisher did not mark the rollback as deliberate",
                hint="the pinned version keeps serving; ask the set's publisher to publish a higher version, or to "
                     "mark the rollback; to accept this version anyway, unpin the set and pin it anew")
