"""UnixFS v1 trickle layout (Kubo's ``ipfs add --trickle``), block by block.

Matches boxo's ``importer/trickle`` (Kubo v0.43.1) node for node:

- Every node, the root included, is a dag-pb file node ``{Type: File, filesize, blocksizes}``
  that first takes up to 174 leaves directly; then, for depth = 1, 2, ... (unbounded for
  the root, below its own depth for a subtree), up to 4 children, each a subtree of that
  depth, built the same way, while chunks remain.
- Leaves are raw blocks with ``raw_leaves``, otherwise dag-pb nodes of UnixFS Type **Raw**
  ``{Type: Raw, Data: chunk, filesize}`` (the balanced layout uses Type File).
- A file of one chunk is still a root node over one leaf; an empty file is a root node with
  no links ``{Type: File, filesize: 0}``, whatever ``raw_leaves``.

Invariants:
- Chunks are pulled one at a time; at most 174 + 4 x depth links are pending per open node,
  and depth grows like log5 of the leaf count, so memory is bounded by a few KiB per level.
- Every block is handed to ``emit`` as soon as it is final (children before parents).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import _pb
from ._layout import DAG_PB, MAX_LINKS, NO_META, RAW, Emit, HoldLast, Link, Meta, Multihash, _dag_pb, make_cid, sha2_256

DEPTH_REPEAT = 4  # boxo trickle.depthRepeat


class _Chunks:
    """A chunk iterator with one chunk of look-ahead (boxo's DagBuilderHelper.Done)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._it = chunks
        self._next: bytes | None = next(self._it, None)

    def done(self) -> bool:
        return self._next is None

    def take(self) -> bytes:
        chunk, self._next = self._next, next(self._it, None)
        assert chunk is not None
        return chunk


class _Trickle:
    def __init__(self, emit: Emit, cid_version: int, raw_leaves: bool, multihash: Multihash,
                 max_links: int) -> None:
        self.emit, self.version, self.raw, self.mh, self.max_links = emit, cid_version, raw_leaves, multihash, max_links

    def _put(self, codec: int, block: bytes) -> Link:
        cid = make_cid(codec, block, self.version, self.mh)
        self.emit(cid, block)
        return Link(cid, len(block), 0)

    def leaf(self, chunk: bytes) -> Link:
        if self.raw:
            return Link(self._put(RAW, chunk).cid, len(chunk), len(chunk))
        block = _dag_pb(_pb.encode(_pb.UnixfsData(_pb.RAW, chunk, len(chunk))), [])
        return Link(self._put(DAG_PB, block).cid, len(block), len(chunk))

    def node(self, chunks: _Chunks, max_depth: int | None) -> Link:
        children: list[Link] = []
        while len(children) < self.max_links and not chunks.done():
            children.append(self.leaf(chunks.take()))
        depth = 1
        while (max_depth is None or depth < max_depth) and not chunks.done():
            for _ in range(DEPTH_REPEAT):
                if chunks.done():
                    break
                children.append(self.node(chunks, depth))
            depth += 1
        filesize = sum(c.filesize for c in children)
        data = _pb.encode(_pb.UnixfsData(_pb.FILE, b"", filesize, tuple(c.filesize for c in children)))
        block = _dag_pb(data, [("", c) for c in children])
        put = self._put(DAG_PB, block)
        return Link(put.cid, len(block) + sum(c.tsize for c in children), filesize)


def trickle(chunks: Iterator[bytes], emit: Emit, *, cid_version: int = 0, raw_leaves: bool = False,
            multihash: Multihash = sha2_256, max_links: int = MAX_LINKS, meta: Meta = NO_META) -> Link:
    """Store the chunks (in order) as a trickle DAG; returns the root link.  Empty chunks are
    skipped as boxo's splitters never yield them (so an empty stream is an empty root).
    ``meta`` (UnixFS 1.5 mode and mtime) goes into the root node."""
    source = _Chunks(chunk for chunk in chunks if chunk)
    hold = HoldLast(emit)
    root = _Trickle(hold, cid_version, raw_leaves, multihash, max_links).node(source, None)
    return hold.release(root, meta, cid_version, multihash)
