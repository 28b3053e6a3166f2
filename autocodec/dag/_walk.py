"""Walking a DAG across the links of every codec: ``walk``, ``stat`` and CAR ``export``.

Order: depth-first pre-order, children in the order their block lists its links, each CID
once (skipped when seen again), the order of boxo's ``traverse.DFSPre`` with
``SkipDuplicates`` that Kubo's ``dag stat`` uses. A CIDv0 and its CIDv1 form are two CIDs, so a
block linked under both is yielded under each, as Kubo 0.43.1's ``dag stat`` counts it and its
``dag export`` writes it (measured: a root linking one dag-pb block as [v0, v1, v0] is 3 blocks
there). ``once_per_block`` takes them as one (the gateway's CAR: Kubo's writes that block once).

Invariants:
- Blocks come from ``source.get`` (verified; fetched from the configured sources when not
  local) and links from ``source.links``; a block whose codec nothing resolves is yielded
  but not walked (its links are unknown), never dropped.
- The walk is iterative: a deep DAG cannot raise ``RecursionError``; memory is the set of
  seen CIDs (their bytes, about 150 bytes a block: needed to visit each CID once, as boxo's
  ``SkipDuplicates`` keeps one) plus the pending stack. ``stat`` keeps a second set only for
  more than one root (keyed the same way: Kubo's ``cid.Set``).
- Identity CIDs are yielded (their bytes are in the CID) and walked; ``export_car`` writes
  them as Kubo's ``dag export`` does: as sections, but with ``skip_missing`` (``--local-only``)
  not at all (Kubo 0.43.1 leaves identity blocks out then, the root too, measured).
- With ``skip_missing`` (Kubo's ``dag export --local-only``), a block below the root that the
  source does not have (``BlockNotFound``) is left out with everything only it links to; the
  root itself must be had.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from ..cid import CID
from ..errors import BlockNotFound, UnknownCodec

if TYPE_CHECKING:  # pragma: no cover
    from ._ahead import LinksAhead

Progress = Callable[[int, int], None]  # (blocks so far, bytes so far)


class WalkSource(Protocol):
    """Verified bytes by CID and the links of a block of any codec (a ``Runtime``)."""

    def get(self, cid: CID) -> bytes: ...

    def links(self, cid: CID, data: bytes) -> list[CID]: ...


def walk(source: WalkSource, root: CID, ahead: LinksAhead | None = None, *,
         skip_missing: bool = False, once_per_block: bool = False) -> Iterator[tuple[CID, bytes]]:
    """Every block of the DAG under ``root`` as ``(cid, bytes)``, DFS pre-order, each CID once
    (each block once with ``once_per_block``: a CIDv0 and its CIDv1 then count as one).

    ``ahead`` (for a ``Runtime`` source): blocks near the top of the pending stack are read and
    their links found in bulk worker processes; same blocks, same order, same errors.
    ``skip_missing``: see the module invariants (``ahead`` is not used then)."""
    if skip_missing:
        ahead = None
    seen: set[bytes] = set()  # CID bytes: a CID object around each would add ~40% (measured)
    stack = [root]
    while stack:
        cid = stack.pop()
        key = cid.to_v1()
        raw = bytes(key) if once_per_block else bytes(cid)
        if raw in seen:
            continue
        seen.add(raw)
        if ahead is not None:
            got = ahead.take(key, stack, seen)
            if got is not None:
                yield cid, got[0]
                stack.extend(reversed(got[1]))
                continue
        try:
            data = source.get(cid)
        except BlockNotFound:
            if not skip_missing or cid is root:
                raise
            continue
        yield cid, data
        try:
            children = source.links(cid, data)
        except UnknownCodec:
            children = []
        stack.extend(reversed(children))


@dataclass
class DagStat:
    """One root's figures: its blocks and their total size (``dag stat`` per root)."""

    cid: CID
    size: int = 0
    blocks: int = 0


@dataclass
class DagStatSummary:
    """``dag stat`` over one or more roots: per-root figures and the de-duplicated totals.

    ``total_size``/``unique_blocks`` count each CID once across all roots; ``shared_size`` is
    what the roots share (the sum of per-root sizes minus ``total_size``); ``ratio`` their
    quotient, as Kubo computes them (NaN when every block is empty: Kubo's float 0/0).
    """

    roots: list[DagStat] = field(default_factory=list)
    total_size: int = 0
    unique_blocks: int = 0

    @property
    def shared_size(self) -> int:
        return sum(r.size for r in self.roots) - self.total_size

    @property
    def ratio(self) -> float:
        return sum(r.size for r in self.roots) / self.total_size if self.total_size else float("nan")


def stat(source: WalkSource, roots: Sequence[CID], progress: Progress | None = None,
         ahead: LinksAhead | None = None) -> DagStatSummary:
    """Sizes and block counts of the DAGs under ``roots`` (each block counted once per root).

    One root's walk already meets each CID once, so its totals are its own figures; only
    several roots keep a set of the CIDs counted (their bytes) across them."""
    summary = DagStatSummary()
    counted: set[bytes] | None = set() if len(roots) > 1 else None
    done_blocks = done_bytes = 0
    for root in roots:
        figures = DagStat(root)
        summary.roots.append(figures)
        for cid, data in walk(source, root, ahead):
            figures.size += len(data)
            figures.blocks += 1
            key = bytes(cid)
            if counted is None or key not in counted:
                if counted is not None:
                    counted.add(key)
                summary.total_size += len(data)
                summary.unique_blocks += 1
            done_blocks += 1
            done_bytes += len(data)
            if progress is not None:
                progress(done_blocks, done_bytes)
    return summary


@dataclass(frozen=True)
class Exported:
    """What ``export_car`` wrote: the root, the blocks and bytes written."""

    root: CID
    blocks: int
    bytes: int


def export_car(source: WalkSource, root: CID, out: BinaryIO, progress: Progress | None = None,
               ahead: LinksAhead | None = None, *, skip_missing: bool = False) -> Exported:
    """Write the DAG under ``root`` to ``out`` as a CARv1 with ``root`` as its only root.

    Every codec's links are followed (through ``source.links``); blocks under identity CIDs are
    written too, each CID once (a block linked as CIDv0 and CIDv1 under each), as Kubo's ``dag export`` writes them, except with ``skip_missing``
    (Kubo's ``--local-only`` leaves them out, their links still walked). A block that cannot be had
    raises before or while writing (the CAR is then incomplete: write to a temporary file
    and rename when it matters), unless ``skip_missing`` leaves it out (``walk``).
    """
    from ..store import CarWriter

    blocks = walk(source, root, ahead, skip_missing=skip_missing)
    first = next(blocks)  # the root, fetched before the header is written
    writer = CarWriter(out, [root])
    count = 0
    for cid, data in itertools.chain([first], blocks):  # identity CIDs too, as Kubo's dag export writes them
        if skip_missing and cid.hash_code == 0x00:  # but not with --local-only, as Kubo's
            continue
        writer.write(cid, data)
        count += 1
        if progress is not None:
            progress(count, writer.bytes_written)
    return Exported(root, count, writer.bytes_written)


def runtime_links(runtime: Any) -> Callable[[CID, bytes], list[CID]]:
    """A ``LinkFinder`` for the store's CAR export that follows every codec the runtime resolves."""

    def links(cid: CID, data: bytes) -> list[CID]:
        try:
            return list(runtime.links(cid, data))
        except UnknownCodec:
            return []

    return links
