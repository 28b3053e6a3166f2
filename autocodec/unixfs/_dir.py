"""UnixFS directories and what a block is to UnixFS: plain and HAMT-sharded entries, the blocks of
a HAMT. Read by the gateway, the explorer, TAR and CAR answers, and ``autocodec ls``.

Spec: ipfs/specs UNIXFS.md (HAMT: the ``hamt-sharding`` section).

Invariants:
- Every block comes from ``source.get`` (verified against its CID); dag-pb and UnixFS Data are
  decoded strictly (``autocodec.builtin``, ``_pb``).
- Walks are iterative (explicit stacks); HAMT walks are bounded by ``limits.unixfs.max_dag_depth``
  and by what a HAMT can be (``_check_shards``). Each shard is read with its own fanout (8 to
  1024, ``readable_shard``); a shard link named with fewer characters than its slot digits
  is ``InvalidBlock`` (boxo: ``invalid link name``), never skipped: a listing, a
  TAR and ``get`` must not silently hide entries Kubo refuses to list.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock
from . import _pb
from ._hamt import MAX_FANOUT, MIN_FANOUT, MURMUR3_X64_64, pad_len, readable_fanout

DAG_PB = 0x70
RAW = 0x55
DEFAULT_MODE = {"file": 0o644, "directory": 0o755, "hamt": 0o755, "symlink": 0o777}
"""The permissions Kubo gives an entry without a UnixFS 1.5 mode (boxo's ``UnixPermsOrDefault``),
by ``Node.kind``: in its TAR members and in what ``ipfs get`` writes."""


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


def readable_shard(node: Node, cid: CID, root: CID) -> Node:
    """``node`` (the block ``cid`` of the HAMT ``root``) when it is a shard this reader follows:
    hashType murmur3-x64-64 (boxo refuses any other hash) and a fanout boxo reads, a power of
    two from 8 to 1024 (Kubo writes any of them: ``Import.UnixFSHAMTDirectoryMaxFanout``,
    ``--max-hamt-fanout``); ``InvalidBlock`` otherwise, for listings and lookups alike."""
    if node.kind != "hamt":
        raise InvalidBlock(f"{cid} inside the HAMT {root} is not a HAMT shard")
    meta = node.meta
    if meta is None or meta.hash_type != MURMUR3_X64_64 or not readable_fanout(meta.fanout):
        hash_type = "none" if meta is None or meta.hash_type is None else f"{meta.hash_type:#x}"
        fanout = "none" if meta is None or meta.fanout is None else str(meta.fanout)
        raise InvalidBlock(f"the HAMT shard {cid} has hashType {hash_type} and fanout {fanout}: only murmur3-x64-64 "
                           f"({MURMUR3_X64_64:#x}) with a fanout that is a power of two from {MIN_FANOUT} to "
                           f"{MAX_FANOUT} is supported")
    return node


def _check_shards(cid: CID, shards: int, entries: int, limits: Limits) -> None:
    """Refuse a HAMT walk past what a HAMT can be: a shard holds at least two children, so a
    HAMT has fewer shards than entries; a walk that has read more than twice as many sub-shards
    as it found entries, plus two paths of the depth bound, is not one (a hostile "HAMT" of
    shards linking many times to one empty shard would otherwise take fanout^depth reads)."""
    if shards > 2 * (entries + limits.unixfs.max_dag_depth):
        raise InvalidBlock(f"the HAMT {cid} has {shards} shards for {entries} entries so far: "
                           "not a UnixFS HAMT (a shard holds at least two children)")


def _slot_digits(node: Node, cid: CID) -> int:
    """The hex digits naming a slot of the (readable) shard ``node``, after checking that every
    link has at least that many: a shorter name is neither a sub-shard (the bare digits) nor an
    entry (the digits, then the entry's name), and boxo refuses it (``invalid link name``)."""
    assert node.meta is not None and node.meta.fanout is not None
    digits = pad_len(node.meta.fanout)
    for name, _, _ in node.links:
        if len(name) < digits:
            raise InvalidBlock(f"the HAMT shard {cid} has a link named {name!r}: a shard's links are named by "
                               f"{digits} hex digits and then the entry's name")
    return digits


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
        node = readable_shard(classify(current, block), current, cid)
        digits = _slot_digits(node, current)
        found += sum(1 for name, _, _ in node.links if len(name) > digits)
        children = [link for name, link, _ in node.links if len(name) == digits]
        stack.extend((child, None, depth + 1) for child in reversed(children))


def _name_bytes(link: tuple[str, CID, int | None]) -> bytes:
    return link[0].encode("utf-8", "surrogateescape")


def entries(source: Source, cid: CID, data: bytes, limits: Limits | None = None,
            at_most: int | None = None) -> list[tuple[str, CID, int | None]]:
    """``(name, cid, tsize)`` of the entries of a directory or HAMT shard, in Kubo's order
    (``iter_entries``); the first ``at_most`` when given: shards are read only until that many
    are found."""
    return list(itertools.islice(iter_entries(source, cid, data, limits), at_most))


def iter_entries_by_level(source: Source, cid: CID, data: bytes,
                          limits: Limits | None = None) -> Iterator[tuple[str, CID, int | None]]:
    """``iter_entries``' entries in the order Kubo's ``ipfs ls --stream`` meets a HAMT's (boxo's
    ``parallelShardWalk``): each shard's own entries in link order, the root's first, then its
    sub-shards' in link order, level by level (a queue where ``iter_entries`` keeps a stack).
    Kubo walks the third level on and below in parallel, so there its order varies from run to
    run; here it stays this one. A plain directory's come as ``iter_entries`` gives them; the
    walk is bounded as there. Lazy: a sub-shard is read when the queue reaches it (the queue
    holds the CIDs of the shards still to read, not their nodes)."""
    node = classify(cid, data)
    if node.kind != "hamt":
        yield from iter_entries(source, cid, data, limits)
        return
    limits = limits or DEFAULT_LIMITS
    shards = found = 0
    queue: collections.deque[tuple[CID, int]] = collections.deque([(cid, 0)])  # shards to read, as CIDs
    while queue:
        at, depth = queue.popleft()
        if depth:  # counted when read, as the depth-first walks count them: the entries of the
            shards += 1  # shards queued before it are found by then (a root of sub-shards only,
            _check_shards(cid, shards, found, limits)  # 129 of them, is a HAMT of 2,700 names)
        shard = readable_shard(node if depth == 0 else classify(at, source.get(at)), at, cid)
        digits = _slot_digits(shard, at)
        for name, link, size in shard.links:
            if len(name) > digits:
                found += 1
                yield name[digits:], link, size
        for name, link, _size in shard.links:
            if len(name) == digits:  # a sub-shard, read when the queue reaches it
                if depth + 1 > limits.unixfs.max_dag_depth:
                    raise InvalidBlock(f"HAMT under {cid} deeper than {limits.unixfs.max_dag_depth} levels")
                queue.append((link, depth + 1))


def iter_entries(source: Source, cid: CID, data: bytes,
                 limits: Limits | None = None) -> Iterator[tuple[str, CID, int | None]]:
    """``(name, cid, tsize)`` of the entries of a directory or HAMT shard, in Kubo's order. A
    plain directory's are sorted by name (bytes; stable, so equal names keep link order): boxo
    lists a copy of the node, and copying sorts its links (``merkledag.ProtoNode.Copy``), so a
    directory whose links were written out of order lists sorted in Kubo's TAR, listing and
    ``ls``. A HAMT's come depth first, each shard's links in order and a sub-shard's entries
    where its link stands (boxo's ``Shard.ForEachLink``). Lazy: a shard is read when the walk
    reaches it, and memory holds the shards on the current path, not the entries seen. The walk
    is bounded by what a HAMT can be (``_check_shards``): a hostile HAMT of empty shards cannot
    hold a worker. ``InvalidBlock`` (raised on the first ``next``) for a block that is neither."""
    node = classify(cid, data)
    if node.kind == "directory":
        yield from sorted(node.links, key=_name_bytes)
        return
    if node.kind != "hamt":
        raise InvalidBlock(f"{cid} is not a UnixFS directory")
    digits = _slot_digits(readable_shard(node, cid, cid), cid)
    limits = limits or DEFAULT_LIMITS
    shards = found = 0
    # frames: (a shard's links, the next one to read, the shard's depth, its slot digits)
    frames: list[tuple[tuple[tuple[str, CID, int | None], ...], int, int, int]] = [(node.links, 0, 0, digits)]
    while frames:
        links, at, depth, digits = frames.pop()
        while at < len(links):
            name, link, size = links[at]
            at += 1
            if len(name) > digits:
                found += 1
                yield name[digits:], link, size
            else:  # a sub-shard (named by the bare digits): its entries come here, then the rest of this shard
                if depth + 1 > limits.unixfs.max_dag_depth:
                    raise InvalidBlock(f"HAMT under {cid} deeper than {limits.unixfs.max_dag_depth} levels")
                shards += 1
                _check_shards(cid, shards, found, limits)
                shard = readable_shard(classify(link, source.get(link)), link, cid)
                frames += [(links, at, depth, digits), (shard.links, 0, depth + 1, _slot_digits(shard, link))]
                break
