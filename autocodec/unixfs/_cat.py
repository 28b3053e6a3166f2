"""Reading UnixFS v1 files back out of the block store.

Invariants:
- ``cat`` streams a file's bytes in order (raw leaves, dag-pb file nodes' inline data, then
  their children left to right) with an explicit stack, never recursion; at most
  ``limits.unixfs.max_dag_depth`` levels deep.
- Sizes are checked at every node *before* any of its bytes are streamed or its children
  fetched: a node's ``filesize`` (when present) equals its inline data plus the sum of its
  ``blocksizes``; it has exactly one blocksize per link; and what it holds equals what its
  parent's ``blocksizes`` entry says.  So the bytes streamed never exceed the root's declared
  size: a root declaring 10 bytes over children claiming 2^40 is refused before the first
  byte (issue 16 item 8), and a child that disagrees with its parent is refused before any
  of its bytes.
- Every node is checked: dag-pb decoded strictly by the builtin codec, its UnixFS Data
  decoded strictly; a directory, HAMT shard or symlink inside a file is ``InvalidBlock``;
  a size mismatch is ``InvalidBlock``.  A root that is a directory is ``InvalidInput``; a
  root that is a symlink gives its target's bytes, as Kubo's ``ipfs cat`` does.
- A node its parent says holds no bytes is read once per CID and depth: its subtree was
  checked the first time and gives nothing, so a diamond of empty nodes linked 2^30 times
  costs one read per node and level, not one per path (Kubo 0.43.1 walks every path).
- Missing blocks are ``BlockNotFound`` (from the store).
- ``cat_views`` yields the same pieces as views into the blocks read (a dag-pb leaf's bytes are
  not copied out of it); ``cat`` gives them as ``bytes`` (a raw leaf is the block itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._inputs import as_cid, need_store, of_type
from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock, InvalidInput
from . import _pb
from ._layout import DAG_PB, RAW


def _node(data: bytes) -> tuple[_pb.UnixfsData, list[CID]]:
    meta, links, _view = _node_view(data)
    return meta, links


def _node_view(data: bytes) -> tuple[_pb.UnixfsData, list[CID], memoryview]:
    """The node's UnixFS Data (its ``data`` left empty), links, and its file bytes as a view."""
    from ..builtin import decode

    node = decode(data, "dag-pb")
    if "Data" not in node:
        raise InvalidBlock("dag-pb node without UnixFS Data")
    meta, view = _pb.decode_view(memoryview(node["Data"]))
    return meta, [link["Hash"] for link in node["Links"]], view


def _check_sizes(current: CID, meta: _pb.UnixfsData, links: list[CID], expected: int | None,
                 inline: int | None = None) -> int:
    """The file bytes ``current`` holds, after checking its sizes are consistent (see module);
    ``inline``: its Data's length when not in ``meta.data`` (``_pb.decode_view``)."""
    if len(meta.blocksizes) != len(links):
        raise InvalidBlock(f"node {current} has {len(links)} links but {len(meta.blocksizes)} blocksizes")
    own = (len(meta.data) if inline is None else inline) + sum(meta.blocksizes)
    if meta.filesize is not None and meta.filesize != own:
        where = "root" if expected is None else "node"
        raise InvalidBlock(f"the {where} {current} holds {own} bytes (data and blocksizes) "
                           f"but its filesize says {meta.filesize}")
    if expected is not None and own != expected:
        raise InvalidBlock(f"node {current} holds {own} file bytes, its parent says {expected}")
    return own


def cat(store: Any, cid: CID | str, *, limits: Limits | None = None) -> Iterator[bytes]:
    """The bytes of the UnixFS file ``cid``, in pieces (sizes checked before streaming); of a
    symlink, its target. The arguments are checked here, not at the first piece."""
    need_store(store, "get", "cat")
    of_type(limits, Limits, "cat's limits")
    return map(_as_bytes, _cat(store, as_cid(cid, "cat"), limits or DEFAULT_LIMITS))


def _as_bytes(view: memoryview) -> bytes:
    """The bytes ``view`` shows: the block itself when it shows a whole one (a raw leaf), no copy."""
    whole = view.obj
    return whole if type(whole) is bytes and len(whole) == view.nbytes else bytes(view)


def cat_views(store: Any, cid: CID | str, *, limits: Limits | None = None) -> Iterator[memoryview]:
    """``cat``, its pieces views into the blocks read (no copy: for a writer that only writes
    them; a piece stays valid after the next one is read)."""
    need_store(store, "get", "cat")
    of_type(limits, Limits, "cat's limits")
    return _cat(store, as_cid(cid, "cat"), limits or DEFAULT_LIMITS)


def check_file(store: Any, cid: CID | str) -> int:
    """Refuse, as ``cat`` would at its first piece, a root that is not a UnixFS file or symlink
    (only the root block is read): for a command that checks every root before writing any.
    Returns the bytes the root says it holds (its ``filesize``; a raw block's or a symlink
    target's length), what Kubo's ``cat`` counts ``-o`` and ``-l`` by."""
    need_store(store, "get", "check_file")
    root = as_cid(cid, "check_file")
    block = store.get(root)
    if root.codec != DAG_PB:
        return len(block)
    meta, _links, data = _node_view(block)  # (meta.data left empty: its bytes are the view)
    if meta.type not in (_pb.FILE, _pb.RAW, _pb.SYMLINK):
        raise _not_a_file(root, meta.type)
    if meta.type == _pb.SYMLINK or meta.filesize is None:
        return len(data) + (0 if meta.type == _pb.SYMLINK else sum(meta.blocksizes))
    return meta.filesize


def _not_a_file(cid: CID, node_type: int) -> InvalidInput:
    return InvalidInput(f"{cid} is a {_pb.TYPE_NAMES[node_type]}, not a file", hint="cat takes the CID of a file")


def _cat(store: Any, cid: CID, limits: Limits) -> Iterator[memoryview]:
    """``cat`` once its arguments are checked."""
    max_depth = limits.unixfs.max_dag_depth
    # stack entries: (cid, depth, file bytes its parent says it holds, or None for the root)
    stack: list[tuple[CID, int, int | None]] = [(cid, 0, None)]
    empty_seen: set[tuple[CID, int]] = set()  # nodes of no bytes read (and so checked) at that depth
    while stack:
        current, depth, expected = stack.pop()
        if depth > max_depth:
            raise InvalidBlock(f"UnixFS file DAG deeper than {max_depth} levels")
        if expected == 0:  # a diamond of empty nodes is read once per depth, not once per path to it
            if (current, depth) in empty_seen:
                continue
            empty_seen.add((current, depth))
        block = store.get(current)
        if current.codec == RAW:
            if expected is not None and len(block) != expected:
                raise InvalidBlock(f"raw leaf {current} has {len(block)} bytes, its parent says {expected}")
            if block:
                yield memoryview(block)
            continue
        if current.codec != DAG_PB:
            raise InvalidBlock(f"{current} is not a UnixFS node (codec 0x{current.codec:x})")
        meta, links, data = _node_view(block)
        if depth == 0 and meta.type == _pb.SYMLINK:  # Kubo's ipfs cat writes a symlink's target (links unread)
            if data:
                yield data
            continue
        if meta.type not in (_pb.FILE, _pb.RAW):
            if depth == 0:
                raise _not_a_file(cid, meta.type)
            raise InvalidBlock(f"a {_pb.TYPE_NAMES[meta.type]} node inside the file {cid}")
        _check_sizes(current, meta, links, expected, len(data))
        if data:
            yield data
        for child, size in reversed(list(zip(links, meta.blocksizes))):
            stack.append((child, depth + 1, size))
