"""Resolving ``CID/name/name...`` paths through UnixFS directories and HAMT shards.

Invariants:
- Each segment is looked up in the current node only: a plain directory by exact link name,
  a HAMT shard as go-unixfsnode looks it up for Kubo 0.43.1: the name's slot at each level
  (``_hamt.slot_path``, log2(fanout) bits, each shard's own fanout) must be set in the
  shard's bitfield, and the link is the one at the count of set bits below it (not the
  first link whose name starts with the slot's digits): a link named by the digits alone is
  a child shard, one longer is the entry if its name after the digits is the one asked for.
  A shard with no bitfield, a bitfield longer than fanout/8 bytes (go-bitfield's "bitfield too
  small"), or a bitfield naming a link past the last, is ``InvalidBlock``. Every shard, the
  root and each child, is read as ``_pb.reify`` reads it (go-unixfsnode's strict decoder): a
  root shard whose Data it cannot read is plain DAG-PB (looked up by link name), a child
  shard so read is ``InvalidBlock``, as go-unixfsnode refuses it.
- A path is cleaned first as Kubo's ``path.NewPath`` cleans it (Go's ``path.Clean``): empty
  and "." segments go, ".." removes the segment before it, so ``CID//a`` and ``CID/x/../a``
  name ``CID/a`` and ``CID/../a`` names the CID ``a`` (refused as one).
- A segment that is missing is ``PathNotFound`` (a ``NotFound``, in Kubo's words); a segment under a file is
  ``InvalidInput``; a malformed node, or one of an unknown UnixFS type, is ``InvalidBlock``.
  A node is classified by ``_pb.reify`` / ``_pb.by_link_name``, as ``dag`` paths classify it:
  a directory, a symlink, a metadata node and a DAG-PB node that is no UnixFS node (no
  ``Data``, ``Data`` that is no UnixFS message) are looked up by link name, as Kubo v0.43.1's
  resolver reads them. At most ``limits.unixfs.max_dag_depth`` shard levels are followed.
"""

from __future__ import annotations

import posixpath
from typing import Any, cast

from .._inputs import need_store
from ..cid import CID, spaced_cid_text
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock, InvalidCID, InvalidInput, InvalidPath, PathNotFound
from . import _hamt, _pb
from ._layout import DAG_PB


def _load(store: Any, cid: CID) -> tuple[_pb.UnixfsData | None, list[dict[str, Any]]]:
    if cid.codec != DAG_PB:
        return None, []  # a raw leaf: a file
    from ..builtin import decode

    node = decode(store.get(cid), "dag-pb")
    meta = _pb.reify(node.get("Data"), strict=True)  # a child shard is read as go-unixfsnode reads it
    if meta is None:
        raise InvalidBlock(f"dag-pb node {cid} has no UnixFS Data that go-unixfsnode reads")
    return meta, node["Links"]


def _reified(store: Any, cid: CID) -> tuple[_pb.UnixfsData | None, list[dict[str, Any]]]:
    """``cid``'s UnixFS message as ``_pb.reify`` reads it (None: plain DAG-PB) and its links,
    the block decoded once; a block of another codec (a raw leaf) reads as a file (``RAW``)
    with no links."""
    if cid.codec != DAG_PB:
        return _pb.UnixfsData(_pb.RAW), []
    from ..builtin import decode

    node = decode(store.get(cid), "dag-pb")
    return _pb.reify(node.get("Data"), strict=True), node["Links"]


def _child(store: Any, cid: CID, name: str, limits: Limits) -> CID:
    meta, links = _reified(store, cid)
    if _pb.by_link_name(meta):  # the first link of that name, as a DAG-PB node's Links are read
        found = next((link for link in links if link.get("Name") == name), None)
        if found is None:
            raise no_link(name, cid)
        return cast(CID, found["Hash"])
    assert meta is not None
    if meta.type not in _pb.TYPE_NAMES:  # go-unixfsnode has no reification for it (dag.UnknownUnixfsType)
        raise InvalidBlock(f"unixfs: {cid} names unknown node type {meta.type}; no path goes through it")
    if meta.type != _pb.HAMT_SHARD:
        raise InvalidInput(f"cannot look up {name!r}: {cid} is not a directory")
    path = _hamt.slot_path(name)
    wanted = name.encode("utf-8", "surrogateescape")
    consumed = 0
    for _ in range(limits.unixfs.max_dag_depth):
        if (meta is None or meta.type != _pb.HAMT_SHARD or meta.hash_type != _hamt.MURMUR3_X64_64
                or not _hamt.readable_fanout(meta.fanout)):
            raise InvalidBlock(f"HAMT shard of {cid} is malformed or has an unsupported fanout")
        assert meta.fanout is not None
        if not meta.data:  # go-unixfsnode: "'Data' field not present"
            raise InvalidBlock(f"a HAMT shard under {cid} has no bitfield (its Data field is not present)")
        if len(meta.data) > meta.fanout // 8:  # go-bitfield: "bitfield too small"
            raise InvalidBlock(f"a HAMT shard under {cid} has a bitfield of {len(meta.data)} bytes, "
                               f"more than its fanout of {meta.fanout} holds")
        bits = meta.fanout.bit_length() - 1  # this shard's own fanout, as boxo reads each one
        slot = _hamt.hash_bits(path, consumed, bits)
        if slot is None:  # the name's 64 hash bits are used up (boxo: "sharded directory too deep")
            break
        consumed += bits
        bitfield = int.from_bytes(meta.data, "big")
        if not bitfield >> slot & 1:
            break
        index = (bitfield & ((1 << slot) - 1)).bit_count()  # the link of the slot: set bits below it
        if index >= len(links):
            raise InvalidBlock(f"a HAMT shard under {cid} has {len(links)} links but its bitfield names "
                               f"link {index + 1} (a corrupt bitfield)")
        entry = links[index]
        label = entry.get("Name")
        digits = _hamt.pad_len(meta.fanout)
        label_bytes = b"" if label is None else label.encode("utf-8", "surrogateescape")
        if len(label_bytes) < digits:
            raise InvalidBlock(f"a HAMT shard under {cid} has a link named {label!r}: a shard's links are "
                               f"named by {digits} hex digits and then the entry's name")
        if len(label_bytes) == digits:  # a child shard (its digits are not checked, as in boxo)
            meta, links = _load(store, entry["Hash"])
            continue
        if label_bytes[digits:] == wanted:
            return cast(CID, entry["Hash"])
        break
    raise no_link(name, cid)


def no_link(name: str, cid: CID) -> PathNotFound:
    """A directory (plain or HAMT) or other DAG-PB node without ``name``, in Kubo's words
    (``cat``, ``ls``, ``get``, ``dag get`` and the gateway alike)."""
    from .._gotext import go_quote

    return PathNotFound(f"no link named {go_quote(name)} under {cid}")


def resolve(store: Any, path: str | CID, *, limits: Limits | None = None) -> CID:
    """The CID that ``path`` (``CID`` or ``CID/seg/seg``, optionally ``/ipfs/``-prefixed) names."""
    need_store(store, "get", "resolve")
    limits = limits or DEFAULT_LIMITS
    if isinstance(path, CID):
        return path
    if type(path) is not str:
        raise InvalidPath(f"resolve needs a CID or a path (str), not {type(path).__name__}")
    text = path[len("/ipfs/"):] if path.startswith("/ipfs/") else path
    cleaned = posixpath.normpath("/ipfs/" + text)  # Go's path.Clean, as Kubo's path.NewPath
    if not cleaned.startswith("/ipfs/"):
        raise InvalidInput(f"invalid path {path!r}: it names no CID once its '..' segments are applied")
    root, _, rest = cleaned[len("/ipfs/"):].partition("/")
    if spaced_cid_text(root):  # CID.parse would drop it; Kubo's path.NewPath refuses it
        raise InvalidCID(f"invalid path {path[:80]!r}: white space around its CID")
    cid = CID.parse(root)
    if not rest:
        return cid
    for segment in rest.split("/"):
        cid = _child(store, cid, segment, limits)
    return cid
