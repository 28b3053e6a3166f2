"""Listing a UnixFS node as Kubo's ``ipfs ls`` lists it (boxo's ``UnixfsAPI.Ls``).

Invariants:
- A directory (plain or HAMT-sharded) lists its entries; any other dag-pb UnixFS node (a file)
  lists its links (a chunked file: its chunks, named ""); a raw block lists nothing; a block
  of another codec lists the links in it, named "". A dag-pb node that is not UnixFS (no or
  malformed Data) is ``InvalidBlock``, as in Kubo.
- An entry's kind and size come from the entry's own block when ``resolve`` (Kubo's
  ``ResolveChildren``): a raw block is a file of its link's Tsize; a dag-pb one is what its
  UnixFS type says, sized by ``filesize`` (a file), the target's length (a symlink) or 0 (a
  directory), with its UnixFS 1.5 mode and mtime; a link to any other codec is of unknown kind
  and size 0. Without ``resolve`` only raw links are known (files of their Tsize).
- Entries come in ``_dir.entries``' order (a plain directory's by name, as boxo lists it; a
  HAMT's as the walk meets them; ``streamed``, as Kubo's streaming walk meets them); sorting
  for display is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock
from . import _pb
from ._dir import DAG_PB, RAW, Source, iter_entries, iter_entries_by_level

FILE, DIRECTORY, SYMLINK, UNKNOWN = "file", "directory", "symlink", "unknown"


@dataclass(frozen=True, slots=True)
class LsEntry:
    name: str
    cid: CID
    kind: str
    """``FILE``, ``DIRECTORY`` (HAMT shards and metadata nodes too), ``SYMLINK`` or ``UNKNOWN``."""
    size: int
    mode: int = 0
    """UnixFS permission bits (``mode & 0o7777``); 0 when none are stored."""
    mtime: tuple[int, int] | None = None
    """UnixFS 1.5 modification time (seconds, nanoseconds), when stored."""


def _unixfs(cid: CID, data: bytes) -> tuple[_pb.UnixfsData, list[dict[str, Any]]]:
    """The node's UnixFS message as ``_pb.reify`` reads it, and its links; a message of a type
    Kubo's ``ls`` does not read comes back with that type only (its links are listed). A node
    that is plain DAG-PB is ``InvalidBlock``, as Kubo's ``ls`` refuses it."""
    from ..builtin import decode

    node: dict[str, Any] = decode(data, "dag-pb")
    meta = _pb.reify(node.get("Data"))
    if meta is None:
        why = "it has no Data" if "Data" not in node else "its Data is no UnixFS message"
        raise InvalidBlock(f"{cid} is a dag-pb node but not UnixFS: {why}")
    return meta, node["Links"]


def ls(source: Source, cid: CID, *, resolve: bool = True,
       links_of: Callable[[CID, bytes], Sequence[CID]] | None = None, limits: Limits | None = None,
       streamed: bool = False) -> list[LsEntry]:
    """The entries of the node ``cid`` (module docstring). ``links_of(cid, data)`` gives the
    links of a block of another codec (a ``Runtime``'s ``links``); without it such a block
    lists nothing. ``streamed``: a HAMT's entries in the order Kubo streams them
    (``iter_entries_by_level``), for ``ls --stream``."""
    limits = limits or DEFAULT_LIMITS
    data = source.get(cid)
    if cid.codec == RAW:
        return []
    if cid.codec != DAG_PB:
        found = links_of(cid, data) if links_of is not None else []
        return [_entry(source, "", link, 0, resolve) for link in found]
    meta, links = _unixfs(cid, data)
    if meta.type in (_pb.DIRECTORY, _pb.HAMT_SHARD):
        walk = iter_entries_by_level if streamed else iter_entries
        listed = list(walk(source, cid, data, limits))
    else:
        listed = [(str(link.get("Name", "")), link["Hash"], link.get("Tsize")) for link in links]
    return [_entry(source, name, link, tsize or 0, resolve) for name, link, tsize in listed]


def _entry(source: Source, name: str, cid: CID, tsize: int, resolve: bool) -> LsEntry:
    if cid.codec == RAW:
        return LsEntry(name, cid, FILE, tsize)
    if cid.codec != DAG_PB or not resolve:
        return LsEntry(name, cid, UNKNOWN, 0)
    meta, _links = _unixfs(cid, source.get(cid))
    mode = (meta.mode or 0) & 0o7777
    if meta.type in (_pb.FILE, _pb.RAW):
        return LsEntry(name, cid, FILE, meta.filesize or 0, mode, meta.mtime)
    if meta.type == _pb.SYMLINK:
        return LsEntry(name, cid, SYMLINK, len(meta.data), mode, meta.mtime)
    if meta.type in (_pb.DIRECTORY, _pb.HAMT_SHARD, _pb.METADATA):
        return LsEntry(name, cid, DIRECTORY, 0, mode, meta.mtime)
    return LsEntry(name, cid, UNKNOWN, 0, mode, meta.mtime)
