"""Walks over a pinned set's roots as the home holds them: its lineage, rotations and versions.

Invariants:
- Walks read stored, verified blocks only and stop at the first root the home does not hold,
  at a loop, or after ``limits.trust.max_root_chain`` roots; they never fetch.
- Roots are content-addressed, so a complete rotation walk (one that reached the anchor) is
  remembered for the process (at most 1024 walks); an incomplete one is walked again, and says
  where it stopped (``_rotations``' gap): its caller must not read it as "no rotation".
- ``lineage_roots`` names every root a pinned set's revocation checks read (stored root back to
  the anchor), so a pin keeps them all (``registry.Pins.needed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..config import Limits
from ..errors import AutocodecError
from ._rowtypes import row_cid, row_int
from ._trust_db import TrustDatabase

if TYPE_CHECKING:  # pragma: no cover
    from ._documents import Root


@dataclass(frozen=True, slots=True)
class _Rotation:
    """One root rotation of a pinned set's lineage: root ``cid`` (``version``) and the root keys
    and thresholds it had to meet, the previous root's and its own."""

    cid: str
    version: int
    old_keys: tuple[str, ...]
    old_threshold: int
    keys: tuple[str, ...]
    threshold: int



class Lineages(TrustDatabase):
    """Root walks and stored versions of the sets this home pins (or pinned)."""

    def __init__(self, blocks: Any, limits: Limits, *, owns_blocks: bool = False) -> None:
        super().__init__(blocks, limits, owns_blocks=owns_blocks)
        self._steps: dict[tuple[str, str], tuple[frozenset[str], tuple[_Rotation, ...], str | None]] = {}

    def _lineage(self, set_id: CID, root_cid: CID) -> dict[CID, int]:
        """The roots of a pinned set this home holds: the current one and every ``previous``
        before it (stored, verified blocks), with their versions."""
        from ._update import _open_root

        out: dict[CID, int] = {}
        cid: CID | None = root_cid
        while cid is not None and cid not in out and len(out) <= self.limits.trust.max_root_chain:
            if not self.blocks.has(cid):
                break
            _env, root = _open_root(self.blocks.get(cid), self.limits.trust)
            out[cid] = root.version
            cid = root.previous
        out.setdefault(set_id, 1)
        return out

    def _before_anchor(self, set_id: CID) -> list[CID]:
        """The roots a pinned set's anchor names as before it (its ``previous`` links, through the
        blocks the home holds, and the first one it does not hold): none is ever trusted again."""
        from ._update import _open_root

        out: list[CID] = []
        cid: CID | None = set_id
        while cid is not None and len(out) <= self.limits.trust.max_root_chain and self.blocks.has(cid):
            try:
                cid = _open_root(self.blocks.get(cid), self.limits.trust)[1].previous
            except AutocodecError:
                break
            if cid is not None:
                out.append(cid)
        return out

    def _versions(self, set_id: CID) -> tuple[dict[str, int], dict[str, CID]]:
        """Per role, the highest version seen of a set and its document's CID."""
        vers = self._rows("SELECT role, version, cid FROM trust_versions WHERE set_id = ?", (str(set_id),))
        return ({str(r): row_int(v, "trust_versions.version") for r, v, _ in vers},
                {str(r): row_cid(c, "trust_versions.cid") for r, _, c in vers})

    def _kept(self) -> dict[CID, CID]:
        """Sets unpinned earlier whose versions are kept: anchor (``set_id``) -> newest root seen."""
        return {row_cid(s, "trust_versions.set_id"): row_cid(c, "trust_versions.cid") for s, c in self._rows(
            "SELECT set_id, cid FROM trust_versions WHERE role = 'root' "
            "AND set_id NOT IN (SELECT set_id FROM trust_sets) ORDER BY version")}

    def _rotations(self, set_id: str, root_cid: str) -> tuple[frozenset[str], tuple[_Rotation, ...], str | None]:
        """The root rotations from anchor ``set_id`` to the stored root ``root_cid``, oldest
        first, every root key they name, and the gap: None when the walk reached the anchor, else
        the root it could not read (not held, or the last one read at a loop or past the cap), the
        rotations before which are unknown. Read from the home's verified blocks (pins keep a set's
        roots: ``lineage_roots``) once per process, as roots are content-addressed; a walk that
        ended before the anchor is not remembered."""
        hit = self._steps.get((set_id, root_cid))
        if hit is not None:
            return hit
        from ._update import _open_root

        limits = self.limits.trust
        roots: list[tuple[str, Root]] = []
        cid: CID | None = row_cid(root_cid, "trust_sets.root_cid")
        seen: set[CID] = set()
        while cid is not None and cid not in seen and len(roots) <= limits.max_root_chain and self.blocks.has(cid):
            seen.add(cid)
            root = _open_root(self.blocks.get(cid), limits)[1]
            roots.append((str(cid), root))
            cid = None if str(cid) == set_id else root.previous
        complete = bool(roots) and roots[-1][0] == set_id  # the walk reached the anchor
        gap = None if complete or root_cid == set_id else str(cid) if cid is not None else roots[-1][0]
        roots.reverse()
        steps = tuple(_Rotation(cid_text, new.version, old.root.keys, old.root.threshold, new.root.keys,
                                new.root.threshold) for (_, old), (cid_text, new) in zip(roots, roots[1:]))
        hit = (frozenset(k for step in steps for k in (*step.old_keys, *step.keys)), steps, gap)
        if not complete:  # a root not held (yet): walk again next time, when it may be stored
            return hit
        if len(self._steps) >= 1024:
            self._steps.clear()
        self._steps[(set_id, root_cid)] = hit
        return hit

    def lineage_roots(self, set_id: CID) -> list[CID]:
        """The roots of pinned set ``set_id`` its revocation checks read: its stored root, then
        each ``previous`` back to its anchor (``SetNotFound`` unless pinned). A root the home does
        not hold is listed and ends the walk (its ``previous`` is unknown until it is back)."""
        from ._update import _open_root
        from .._inputs import as_cid
        from ..errors import SetNotFound

        set_id = as_cid(set_id, "lineage_roots")
        row = self._rows("SELECT root_cid FROM trust_sets WHERE set_id = ?", (str(set_id),))
        if not row:
            raise SetNotFound(f"no pinned set {set_id}")
        out: list[CID] = []
        cid: CID | None = row_cid(row[0][0], "trust_sets.root_cid")
        while cid is not None and cid not in out and len(out) <= self.limits.trust.max_root_chain:
            out.append(cid)
            if cid == set_id or not self.blocks.has(cid):
                break
            cid = _open_root(self.blocks.get(cid), self.limits.trust)[1].previous
        return out
