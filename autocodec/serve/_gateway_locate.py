"""Where a gateway path lands: the blocks crossed, the roots per segment, the terminal block.

Invariants:
- Every block is read through the runtime (``Runtime.get``: verified against its CID, fetched
  only from the sources the server was started with) or, with ``stored_only``, from the store
  alone; a block the request carries (``HELD_BLOCK``) was verified by its holder.
- Paths are bounded: more than ``MAX_SEGMENTS`` segments is a 400 before any block is read.
- A segment that names nothing is ``MissingPath`` (Kubo's words), carrying the blocks read up to it;
  one into a list that is no int64 at all, ``UnreadableSegment`` (Kubo's 500).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import errors
from .._goint import parse_int64_refusal
from .._gotext import go_quote
from ..cid import CID
from ..dag import DagPath, UnreadableListIndex
from ..dag import resolve as resolve_path
from ._gateway_error import GatewayError

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

MAX_SEGMENTS = 64
NO_PROVIDERS = "retrieval: no providers found for the CID (phase: path resolution)"  # boxo's retrieval state


_EMPTY_IDENTITY = CID(bytes.fromhex("01550000"))  # raw, identity multihash of no bytes


class MissingPath(errors.PathNotFound):
    """A path segment that names nothing, with the blocks read up to it (partial CAR answers).
    Its message is Kubo's, whatever the block (a directory, a HAMT, a file, a DAG-CBOR value):
    ``no link named "SEGMENT" under CID``, CID the block the segment was looked up in as it
    was written."""

    def __init__(self, exc: errors.PathNotFound, blocks: list[tuple[CID, bytes]], roots: list[CID],
                 segment: str, under: CID) -> None:
        super().__init__(f"no link named {go_quote(segment)} under {under}", hint=exc.hint)
        self.blocks = blocks
        self.roots = roots


class UnreadableSegment(MissingPath):
    """A segment into a list that is no int64 (``dag.UnreadableListIndex``): Kubo's 500, in its
    words (go-ipld-prime's, then Go's ``ParseInt``'s, then boxo's retrieval state)."""

    gateway_status = 500

    def __init__(self, exc: errors.PathNotFound, blocks: list[tuple[CID, bytes]], roots: list[CID],
                 segment: str, *, last: bool) -> None:
        self.reason = f"invalid segment for lookup on a list: {go_quote(segment)}: {parse_int64_refusal(segment)}"
        errors.PathNotFound.__init__(self, f"{self.reason}: {NO_PROVIDERS}", hint=exc.hint)
        self.blocks = blocks
        self.roots = roots
        self.last = last
        """Whether the segment is the path's last (Kubo's CAR is then this 500, else the blocks up to it)."""


@dataclass
class Target:
    """Where a path lands: the blocks crossed, the per-segment roots, the terminal block."""

    path: DagPath
    roots: list[CID]
    path_blocks: list[tuple[CID, bytes]]
    cid: CID
    data: bytes
    remainder: tuple[str, ...]
    value: Any = field(repr=False)

    @functools.cached_property
    def cid_text(self) -> str:
        """``str(cid)``, written once per answer (a CIDv0's base58 is slow to write)."""
        return str(self.cid)


class _Recording:
    """A ``BlockSource`` over the runtime that remembers every block read, in order; with
    ``stored_only``, it reads the store alone (``BlockNotFound`` for a block it lacks); ``held``:
    one more block it holds, verified by its holder (a blob read whole, ``HELD_BLOCK``)."""

    def __init__(self, runtime: "Runtime", stored_only: bool = False, held: tuple[CID, bytes] | None = None) -> None:
        self.runtime = runtime
        self.stored_only = stored_only
        self.held = held
        self.blocks: list[tuple[CID, bytes]] = []

    def get(self, cid: CID) -> bytes:
        if self.held is not None and self.held[0] == cid:
            data = self.held[1]
        else:
            data = self.runtime.store.get(cid) if self.stored_only else self.runtime.get(cid)
        if not self.blocks or self.blocks[-1][0] != cid:
            self.blocks.append((cid, data))
        return data

    def decode_block(self, cid: CID, data: bytes, *, verified: bool = False) -> Any:
        return self.runtime.decode_block(cid, data, verified=verified)


def locate(runtime: "Runtime", path: DagPath, *, stored_only: bool = False,
           held: tuple[CID, bytes] | None = None) -> Target:
    """Resolve ``path`` segment by segment (``autocodec.dag.resolve``), recording the blocks
    crossed (HAMT shards included) and the block each segment reaches (``X-Ipfs-Roots``);
    ``stored_only``: from the store alone, nothing fetched; ``held``: a block read from
    elsewhere (``_Recording``)."""
    if len(path.segments) > MAX_SEGMENTS:
        raise GatewayError(400, f"path has more than {MAX_SEGMENTS} segments")
    rec = _Recording(runtime, stored_only, held)
    if not path.segments:  # a bare CID: its bytes, never decoded (raw blocks of any codec are served)
        data = rec.get(path.root)
        return Target(path, [path.root], [], path.root, data, (), None)
    found = resolve_path(rec, DagPath("ipfs", path.root, (), path.root_text), limits=runtime.limits)
    roots = [path.root]
    for at, segment in enumerate(path.segments):
        try:
            found = resolve_path(rec, DagPath("ipfs", found.cid, (*found.remainder, segment), str(found.cid)),
                                 limits=runtime.limits)
        except UnreadableListIndex as exc:
            raise UnreadableSegment(exc, rec.blocks, roots, segment, last=at == len(path.segments) - 1) from None
        except errors.PathNotFound as exc:
            raise MissingPath(exc, rec.blocks, roots, segment, found.cid) from None
        roots.append(found.cid)
    blocks = rec.blocks
    terminal = len(blocks) - 1
    while terminal > 0 and blocks[terminal][0] != found.cid:
        terminal -= 1
    return Target(path, roots, blocks[:terminal], found.cid, found.data, found.remainder, found.value)


HELD_BLOCK: web.RequestKey[tuple[CID, bytes]] = web.RequestKey("held_block", tuple)
"""Set by the blob route (``_bao``): a held BLAKE3 blob within the block limit, read whole and
verified, which ``/ipfs/{cid}[/path]`` reads as the raw block it is (CAR, TAR, formats)."""


def _locate(request: web.Request, runtime: "Runtime", path: DagPath) -> Target:
    """``locate`` with the block the request carries (``HELD_BLOCK``), if any."""
    return locate(runtime, path, held=request.get(HELD_BLOCK))



def _stored(runtime: "Runtime", path: DagPath, held: tuple[CID, bytes] | None = None) -> bool:
    """Whether ``path`` resolves from the store alone (boxo's ``IsCached``): every block on the
    way, the last one included, is held here (``held`` counts: a blob read whole); a name
    missing on the way counts as not held."""
    try:
        locate(runtime, path, stored_only=True, held=held)
    except errors.AutocodecError:
        return False
    return True
