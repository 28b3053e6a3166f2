"""Reading UnixFS v1 files back out of the block store.

Invariants:
- ``cat`` streams a file's bytes in order (raw leaves, dag-pb file nodes' inline data, then
  their children left to right) with an explicit stack, never recursion; at most
  ``limits.unixfs.max_dag_depth`` levels deep.
- Every node is checked: dag-pb decoded strictly by the builtin codec, its UnixFS Data
  decoded strictly; a directory, HAMT shard or symlink inside a file, a child whose byte count
  disagrees with its parent's ``blocksizes``, or a total that disagrees with the root's
  ``filesize`` is ``InvalidBlock``.  A root that is a directory is ``InvalidInput``.
- Missing blocks are ``BlockNotFound`` (from the store).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock, InvalidInput
from . import _pb
from ._layout import DAG_PB, RAW


def _node(data: bytes) -> tuple[_pb.UnixfsData, list[CID]]:
    from ..builtin import decode

    node = decode(data, "dag-pb")
    if "Data" not in node:
        raise InvalidBlock("dag-pb node without UnixFS Data")
    return _pb.decode(node["Data"]), [link["Hash"] for link in node["Links"]]


def cat(store: Any, cid: CID, *, limits: Limits | None = None) -> Iterator[bytes]:
    """The bytes of the UnixFS file ``cid``, in pieces."""
    limits = limits or DEFAULT_LIMITS
    max_depth = limits.unixfs.max_dag_depth
    # stack entries: (cid, depth, expected file bytes or None)
    stack: list[tuple[CID, int, int | None]] = [(cid, 0, None)]
    root_size: int | None = None
    total = 0
    while stack:
        current, depth, expected = stack.pop()
        if depth > max_depth:
            raise InvalidBlock(f"UnixFS file DAG deeper than {max_depth} levels")
        block = store.get(current)
        if current.codec == RAW:
            got = len(block)
            if expected is not None and got != expected:
                raise InvalidBlock(f"raw leaf {current} has {got} bytes, its parent says {expected}")
            total += got
            if block:
                yield block
            continue
        if current.codec != DAG_PB:
            raise InvalidBlock(f"{current} is not a UnixFS node (codec 0x{current.codec:x})")
        meta, links = _node(block)
        if meta.type not in (_pb.FILE, _pb.RAW):
            what = _pb.TYPE_NAMES[meta.type]
            if depth == 0:
                raise InvalidInput(f"{cid} is a {what}, not a file", hint="cat takes the CID of a file")
            raise InvalidBlock(f"a {what} node inside the file {cid}")
        if depth == 0:
            root_size = meta.filesize
        if links and len(meta.blocksizes) != len(links):
            raise InvalidBlock(f"node {current} has {len(links)} links but {len(meta.blocksizes)} blocksizes")
        own = len(meta.data) + sum(meta.blocksizes)
        if expected is not None and own != expected:
            raise InvalidBlock(f"node {current} holds {own} file bytes, its parent says {expected}")
        total += len(meta.data)
        if meta.data:
            yield meta.data
        for child, size in reversed(list(zip(links, meta.blocksizes))):
            stack.append((child, depth + 1, size))
    if root_size is not None and total != root_size:
        raise InvalidBlock(f"the file {cid} has {total} bytes, its root says {root_size}")
