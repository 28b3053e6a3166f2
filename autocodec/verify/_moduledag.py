"""Reading a module that is a UnixFS file DAG (past 1 MiB: ``autocodec.modcid`` says how modules
are named and why), under bounds a hostile DAG cannot escape.

Invariants:
- ``read_module`` reads a module DAG through a ``Fetch``: every block checked against its CID
  before use (``fetch_verified``), each at most ``MAX_DAG_BLOCK_BYTES``; only UnixFS ``File``
  nodes (dag-pb) and raw leaves; the root's ``filesize`` equal to the size expected; at most
  ``MAX_DAG_DEPTH`` levels, ``max_blocks(size)`` blocks and ``size + overhead(size)`` bytes
  fetched in all, so a hostile DAG (one leaf linked many times, a deep chain, tiny leaves) is
  refused after bounded work, naming the block. Sizes are checked at every node before its
  children are fetched (``unixfs.cat_views``), so the bytes assembled never exceed ``size``.
- ``dag_cids`` lists a module's blocks from what a store holds, reading only dag-pb nodes (raw
  leaves are listed unread, as Kubo's walks do), under the same bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits, TrustLimits
from ..errors import AutocodecError, BlockNotFound, ModuleRejected, ModuleTooLarge, NotFound
from ..modcid import DAG_PB, MODULE_BLOCK_BYTES, RAW, ModuleBlocks, is_dag, module_blocks
from ._fetch import Fetch, fetch_verified

__all__ = ["MAX_DAG_BLOCK_BYTES", "MAX_DAG_DEPTH", "MODULE_BLOCK_BYTES", "ModuleBlocks", "dag_cids", "is_dag",
           "max_blocks", "module_blocks", "overhead", "read_module"]

MAX_DAG_BLOCK_BYTES = 2 << 20
"""The largest block of a module DAG read (Kubo 0.43.1's ``block put`` line)."""
MAX_DAG_DEPTH = 8
"""Levels below a module DAG's root (Kubo's balanced layout needs 2 for 43 MiB)."""


def max_blocks(size: int) -> int:
    """Blocks a module DAG of ``size`` bytes may have: 64, plus one per 16 KiB (Kubo's default
    layout needs one per 256 KiB and one per 174 of those)."""
    return 64 + size // (16 << 10)


def overhead(size: int) -> int:
    """Bytes of dag-pb nodes a module DAG of ``size`` file bytes may add to them."""
    return (64 << 10) + size // 16


def _refuse(root: CID, message: str) -> ModuleRejected:
    return ModuleRejected(f"module {root}: {message}",
                          hint="a module over 1 MiB must be a UnixFS file DAG as `ipfs add --cid-version=1` makes it; "
                               "ask its publisher to publish it again")


class _Walk:
    """A ``get(cid)`` for ``unixfs.cat_views`` that fetches module DAG blocks under the bounds."""

    def __init__(self, root: CID, fetch: Fetch, size: int | None, cap: int) -> None:
        self.root, self.fetch, self.size, self.cap = root, fetch, size, cap
        self.blocks: list[tuple[CID, bytes]] = []
        self.fetched = 0
        self.budget_blocks = max_blocks(cap)
        self.budget_bytes = cap + overhead(cap)

    def get(self, cid: CID) -> bytes:
        if self.blocks and cid == self.root and self.blocks[0][0] == cid:
            return self.blocks[0][1]  # the root, read once by ``check_root``
        if len(self.blocks) >= self.budget_blocks:
            raise _refuse(self.root, f"its DAG has more than {self.budget_blocks} blocks (at {cid})")
        if cid.codec not in (RAW, DAG_PB):
            raise _refuse(self.root, f"block {cid} is neither raw nor dag-pb (codec 0x{cid.codec:x})")
        data = fetch_verified(self.fetch, cid, min(MAX_DAG_BLOCK_BYTES, self.budget_bytes - self.fetched),
                              f"block of module {self.root}")
        self.fetched += len(data)
        if cid.codec == DAG_PB:
            _file_node(self.root, cid, data)
        self.blocks.append((cid, data))
        return data

    def check_root(self) -> int:
        """The root's ``filesize``, after checking it is a file node of the size expected."""
        filesize = _file_node(self.root, self.root, self.get(self.root))
        if filesize is None:
            raise _refuse(self.root, f"its root {self.root} declares no filesize")
        if filesize > self.cap:
            raise ModuleTooLarge(f"module {self.root} is {filesize} bytes, over the {self.cap}-byte cap")
        if self.size is not None and filesize != self.size:
            raise _refuse(self.root, f"its root {self.root} declares {filesize} bytes, its manifest says {self.size}")
        return filesize


def _file_node(root: CID, cid: CID, data: bytes) -> int | None:
    """The ``filesize`` of the dag-pb block ``cid``, refusing it unless it is a UnixFS file node."""
    from ..builtin import decode
    from ..unixfs import _pb

    try:
        node = decode(data, "dag-pb")
        if "Data" not in node:
            raise _refuse(root, f"block {cid} is a dag-pb node without UnixFS Data")
        meta = _pb.decode(node["Data"])
    except ModuleRejected:
        raise
    except AutocodecError as exc:
        raise _refuse(root, f"block {cid} is not a UnixFS node: {exc.message}") from None
    if meta.type != _pb.FILE:
        raise _refuse(root, f"block {cid} is a UnixFS {_pb.TYPE_NAMES[meta.type]}, not a file node")
    return meta.filesize


def _limits() -> Limits:
    """The UnixFS reader's limits for a module DAG: ``MAX_DAG_DEPTH`` levels."""
    return replace(DEFAULT_LIMITS, unixfs=replace(DEFAULT_LIMITS.unixfs, max_dag_depth=MAX_DAG_DEPTH))


def read_module(root: CID, fetch: Fetch, *, size: int | None = None,
                limits: TrustLimits = DEFAULT_LIMITS.trust) -> ModuleBlocks:
    """The module DAG ``root`` read through ``fetch`` (see the invariants); ``size``: the bytes
    its manifest declares (None: the root's filesize, at most ``limits.max_module_bytes``)."""
    from ..unixfs import cat_views

    cap = limits.max_module_bytes if size is None else min(size, limits.max_module_bytes)
    walk = _Walk(root, fetch, size, cap)
    out = bytearray()
    try:
        filesize = walk.check_root()
        for piece in cat_views(walk, root, limits=_limits()):
            out += piece
    except (ModuleRejected, ModuleTooLarge, NotFound):
        raise
    except AutocodecError as exc:
        raise _refuse(root, exc.message) from None
    if len(out) != filesize:  # pragma: no cover - cat_views checks every size on the way
        raise _refuse(root, f"its DAG holds {len(out)} bytes, its root says {filesize}")
    return ModuleBlocks(root, bytes(out), tuple(walk.blocks))


def dag_cids(root: CID, get: Callable[[CID], bytes], *, size: int | None = None,
             limits: TrustLimits = DEFAULT_LIMITS.trust) -> Iterator[CID]:
    """Every block of the module DAG ``root`` that ``get`` can reach, root first, each once;
    raw leaves unread, a node ``get`` lacks (``BlockNotFound``) listed but not followed.

    Bounded as ``read_module`` is for a module of ``size`` bytes (None: ``max_module_bytes``):
    at most ``max_blocks`` links followed in all (a block linked twice counts twice, as
    ``read_module`` fetches it twice), ``MAX_DAG_DEPTH`` levels, ``overhead`` bytes of dag-pb
    nodes read, each a UnixFS file node of at most ``MAX_DAG_BLOCK_BYTES``; a node's links are
    counted before any is followed. Past a bound, or on a node that is not a file node:
    ``ModuleRejected`` naming the block, after reading at most those bytes."""
    from ..builtin import decode

    cap = limits.max_module_bytes if size is None else min(size, limits.max_module_bytes)
    budget_links, budget_bytes = max_blocks(cap), overhead(cap)
    links_seen, read = 1, 0
    seen: set[CID] = set()
    stack: list[tuple[CID, int]] = [(root, 0)]
    while stack:
        cid, depth = stack.pop()
        if cid in seen:
            continue
        if cid.codec not in (RAW, DAG_PB):
            raise _refuse(root, f"block {cid} is neither raw nor dag-pb (codec 0x{cid.codec:x})")
        seen.add(cid)
        yield cid
        if cid.codec != DAG_PB:
            continue
        try:
            data = get(cid)
        except BlockNotFound:
            continue
        read += len(data)
        if len(data) > MAX_DAG_BLOCK_BYTES:
            raise _refuse(root, f"its dag-pb node {cid} is over {MAX_DAG_BLOCK_BYTES} bytes")
        if read > budget_bytes:
            raise _refuse(root, f"its dag-pb nodes pass {budget_bytes} bytes (at {cid})")
        _file_node(root, cid, data)
        links = decode(data, "dag-pb")["Links"]
        links_seen += len(links)
        if links and depth + 1 > MAX_DAG_DEPTH:
            raise _refuse(root, f"its DAG is deeper than {MAX_DAG_DEPTH} levels (at {cid})")
        if links_seen > budget_links:
            raise _refuse(root, f"its DAG links more than {budget_links} blocks (at {cid})")
        stack.extend((link["Hash"], depth + 1) for link in reversed(links))
