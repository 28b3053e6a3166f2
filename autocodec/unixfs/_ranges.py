"""The byte ranges of UnixFS files: which blocks hold bytes ``start..end`` and those bytes.
Read by the gateway (``Range``, ``entity-bytes``), its TAR answers and ``ipfs get -a``.

Invariants:
- Only the blocks whose bytes overlap the range are fetched, chosen by the parents'
  ``blocksizes`` (sizes checked as ``unixfs.cat`` checks them); depth is bounded by
  ``limits.unixfs.max_dag_depth``; the walk is iterative.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock
from ._cat import _check_sizes
from ._dir import RAW, Source, classify


def file_range(source: Source, cid: CID, data: bytes, start: int, end: int,
               limits: Limits | None = None) -> Iterator[tuple[CID, bytes, bytes, int]]:
    """The blocks of the file ``cid`` that hold bytes ``start..end`` (inclusive), DFS order.

    Yields ``(cid, block, file_bytes, offset)``: ``file_bytes`` are the file bytes the block
    holds itself (a raw leaf's bytes, a dag-pb node's inline data) starting at file offset
    ``offset``. Children wholly outside the range are never fetched.
    """
    limits = limits or DEFAULT_LIMITS
    stack: list[tuple[CID, bytes | None, int, int, int | None]] = [(cid, data, 0, 0, None)]
    while stack:
        current, block, offset, depth, expected = stack.pop()
        if depth > limits.unixfs.max_dag_depth:
            raise InvalidBlock(f"UnixFS file DAG deeper than {limits.unixfs.max_dag_depth} levels")
        block = source.get(current) if block is None else block
        if current.codec == RAW:
            if expected is not None and len(block) != expected:
                raise InvalidBlock(f"raw leaf {current} has {len(block)} bytes, its parent says {expected}")
            yield current, block, block, offset
            continue
        node = classify(current, block)
        if node.kind != "file" or node.meta is None:
            raise InvalidBlock(f"{current} inside the file {cid} is not a file node")
        links = [link for _, link, _ in node.links]
        _check_sizes(current, node.meta, links, expected)
        yield current, block, node.meta.data, offset
        child_offset = offset + len(node.meta.data)
        pending = []
        for child, size in zip(links, node.meta.blocksizes):
            if child_offset <= end and child_offset + size - 1 >= start and size > 0:
                pending.append((child, None, child_offset, depth + 1, size))
            elif size == 0 and start <= child_offset <= end:
                pending.append((child, None, child_offset, depth + 1, size))
            child_offset += size
        stack.extend(reversed(pending))


def read_range(source: Source, cid: CID, data: bytes, start: int, end: int,
               limits: Limits | None = None) -> Iterator[bytes]:
    """The file bytes ``start..end`` (inclusive) of the file ``cid``, in pieces."""
    for _cid, _block, held, offset in file_range(source, cid, data, start, end, limits):
        lo = max(start - offset, 0)
        hi = min(end - offset + 1, len(held))
        if lo < hi:
            yield held[lo:hi]
