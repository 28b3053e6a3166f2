"""UnixFS reads the gateway needs beyond ``autocodec.unixfs``: the blocks and bytes of a byte
range of a file (directories, HAMTs and what a block is come from ``autocodec.unixfs._dir``,
re-exported here for the gateway's modules).

Spec: ipfs/specs UNIXFS.md; range semantics of ``entity-bytes`` from the trustless gateway
spec (``from:to`` inclusive, negative offsets count from the end, ``*`` is the end).

Invariants:
- Every block comes from ``source.get`` (verified against its CID); dag-pb and UnixFS Data are
  decoded strictly (``autocodec.builtin``, ``autocodec.unixfs._pb``).
- ``file_range`` fetches only the blocks whose bytes overlap the range, chosen by the
  parents' ``blocksizes`` (sizes checked as ``unixfs.cat`` checks them), so a block outside
  the range is never needed; depth is bounded by ``limits.unixfs.max_dag_depth``.
- Walks are iterative (explicit stacks); HAMT walks are bounded by the same depth limit.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock
from ..unixfs._cat import _check_sizes
from ..unixfs._dir import DAG_PB, RAW, Node, Source, classify, entries, hamt_blocks
from .._goint import parse_int64

__all__ = ["DAG_PB", "RAW", "Node", "Source", "classify", "entries", "file_range", "hamt_blocks",
           "parse_entity_bytes", "read_range", "resolve_range"]


def parse_entity_bytes(spec: str) -> tuple[int, int | None]:
    """``entity-bytes`` ``from:to`` as boxo's ``NewDagByteRange`` reads it: int64 offsets (a
    negative one counts from the end), ``to`` may be ``*`` (None); ``ValueError`` for anything
    else, or ``from`` after ``to`` where both have one sign."""
    parts = spec.split(":")
    if len(parts) != 2:
        raise ValueError(f"entity-bytes {spec!r} is not from:to")
    first, last = parse_int64(parts[0]), None if parts[1] == "*" else parse_int64(parts[1])
    if first is None or (last is None and parts[1] != "*"):
        raise ValueError(f"entity-bytes {spec!r}: from and to are int64 numbers (to may be *)")
    if last is not None and (first < 0) == (last < 0) and first > last:
        raise ValueError(f"entity-bytes {spec!r}: to is before from")
    return first, last


def resolve_range(size: int, spec: str) -> tuple[int, int] | None:
    """``entity-bytes`` ``from:to`` as inclusive offsets clamped to a file of ``size`` bytes,
    or ``None`` when the range holds no byte. ``ValueError`` for a malformed spec."""
    first, last = parse_entity_bytes(spec)
    start = max(0, size + first) if first < 0 else first
    end = size - 1 if last is None else size + last if last < 0 else last
    end = min(end, size - 1)
    if size == 0 or start > end:
        return None
    return start, end


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
