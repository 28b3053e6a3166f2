"""UnixFS reads the gateway needs beyond ``autocodec.unixfs``: what a node is, directory
entries (plain and HAMT-sharded), the blocks of a HAMT, and the blocks and bytes of a byte
range of a file.

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
from dataclasses import dataclass
from typing import Any, Protocol

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock
from ..unixfs import _pb
from ..unixfs._cat import _check_sizes
from .._goint import parse_int64

DAG_PB = 0x70
RAW = 0x55


class Source(Protocol):
    """Verified block bytes by CID (a ``Runtime``)."""

    def get(self, cid: CID) -> bytes: ...


@dataclass(frozen=True)
class Node:
    """What a block is to the path gateway: ``kind`` is file, directory, hamt, symlink or other."""

    kind: str
    size: int
    meta: "_pb.UnixfsData | None"
    links: tuple[tuple[str, CID, int | None], ...]


def _pb_node(data: bytes) -> dict[str, Any]:
    from ..builtin import decode

    node: dict[str, Any] = decode(data, "dag-pb")
    return node


def classify(cid: CID, data: bytes) -> Node:
    """The UnixFS reading of a block (``other`` for codecs and dag-pb nodes that are not UnixFS)."""
    if cid.codec == RAW:
        return Node("file", len(data), None, ())
    if cid.codec != DAG_PB:
        return Node("other", len(data), None, ())
    node = _pb_node(data)
    links = tuple((str(link.get("Name", "")), link["Hash"], link.get("Tsize")) for link in node["Links"])
    if "Data" not in node:
        return Node("other", len(data), None, links)
    try:
        meta = _pb.decode(node["Data"])
    except InvalidBlock:
        return Node("other", len(data), None, links)
    if meta.type in (_pb.FILE, _pb.RAW):
        size = meta.filesize if meta.filesize is not None else len(meta.data) + sum(meta.blocksizes)
        return Node("file", size, meta, links)
    kind = {_pb.DIRECTORY: "directory", _pb.HAMT_SHARD: "hamt", _pb.SYMLINK: "symlink"}.get(meta.type, "other")
    return Node(kind, len(meta.data), meta, links)


def _check_shards(cid: CID, shards: int, entries: int, limits: Limits) -> None:
    """Refuse a HAMT walk past what a HAMT can be: a shard holds at least two children, so a
    HAMT has fewer shards than entries; a walk that has read more than twice as many sub-shards
    as it found entries, plus two paths of the depth bound, is not one (a hostile "HAMT" of
    shards linking many times to one empty shard would otherwise take 256^depth reads)."""
    if shards > 2 * (entries + limits.unixfs.max_dag_depth):
        raise InvalidBlock(f"the HAMT {cid} has {shards} shards for {entries} entries so far: "
                           "not a UnixFS HAMT (a shard holds at least two children)")


def hamt_blocks(source: Source, cid: CID, data: bytes, limits: Limits | None = None) -> Iterator[tuple[CID, bytes]]:
    """The shard blocks of the HAMT rooted at ``cid`` (the root first, DFS pre-order in slot
    order), the walk bounded as ``entries`` bounds it (``_check_shards``)."""
    limits = limits or DEFAULT_LIMITS
    stack: list[tuple[CID, bytes | None, int]] = [(cid, data, 0)]
    shards = found = 0
    while stack:
        current, block, depth = stack.pop()
        if depth > limits.unixfs.max_dag_depth:
            raise InvalidBlock(f"HAMT under {cid} deeper than {limits.unixfs.max_dag_depth} levels")
        if depth:
            shards += 1
            _check_shards(cid, shards, found, limits)
        block = source.get(current) if block is None else block
        yield current, block
        node = classify(current, block)
        if node.kind != "hamt":
            raise InvalidBlock(f"{current} inside the HAMT {cid} is not a HAMT shard")
        found += sum(1 for name, _, _ in node.links if len(name) > 2)
        children = [link for name, link, _ in node.links if len(name) == 2]
        stack.extend((child, None, depth + 1) for child in reversed(children))


def entries(source: Source, cid: CID, data: bytes, limits: Limits | None = None,
            at_most: int | None = None) -> list[tuple[str, CID, int | None]]:
    """``(name, cid, tsize)`` of the entries of a directory or HAMT shard, in link order: a
    HAMT's depth first, each shard's links in order and a sub-shard's entries where its link
    stands, as Kubo (boxo's ``Shard.ForEachLink``) lists them. The first ``at_most`` when
    given: shards are read only until that many are found. The walk is bounded by what a
    HAMT can be (``_check_shards``): a hostile HAMT of empty shards cannot hold a worker."""
    node = classify(cid, data)
    if node.kind == "directory":
        return list(node.links[:at_most])
    if node.kind != "hamt":
        raise InvalidBlock(f"{cid} is not a UnixFS directory")
    limits = limits or DEFAULT_LIMITS
    out: list[tuple[str, CID, int | None]] = []
    shards = 0
    frames: list[tuple[tuple[tuple[str, CID, int | None], ...], int, int]] = [(node.links, 0, 0)]
    while frames:
        links, at, depth = frames.pop()
        while at < len(links):
            name, link, size = links[at]
            at += 1
            if len(name) > 2:
                out.append((name[2:], link, size))
                if at_most is not None and len(out) >= at_most:
                    return out
            elif len(name) == 2:  # a sub-shard: its entries come here, then the rest of this shard
                if depth + 1 > limits.unixfs.max_dag_depth:
                    raise InvalidBlock(f"HAMT under {cid} deeper than {limits.unixfs.max_dag_depth} levels")
                shards += 1
                _check_shards(cid, shards, len(out), limits)
                shard = classify(link, source.get(link))
                if shard.kind != "hamt":
                    raise InvalidBlock(f"{link} inside the HAMT {cid} is not a HAMT shard")
                frames += [(links, at, depth), (shard.links, 0, depth + 1)]
                break
    return out


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
