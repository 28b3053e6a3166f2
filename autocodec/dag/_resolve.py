"""Resolving content paths across links of every codec, as Kubo's ``dag get``/``dag resolve`` do.

Reference: boxo ``path/resolver.ResolveToLastNode`` with Kubo's fetchers (v0.43): segments
are looked up one by one in the current node; a value that is a link is followed (its block
loaded and decoded, whatever its codec); the result is the last block reached plus the
segments still to walk inside it. ``dag get`` then walks that remainder in the plain
data model of the block.

In the ``/ipfs/`` namespace a DAG-PB node is first read the way go-unixfsnode reifies it:
a UnixFS directory or HAMT shard looks names up among its entries; a UnixFS file (or raw
node) has no path below it; a UnixFS message of an unknown type (past 5) has none either
(``UnknownUnixfsType``); any other DAG-PB node (no UnixFS Data, metadata, symlink) looks
a segment up as the name of one of its links (the first with that name). In ``/ipld/``
every codec, DAG-PB included, is pathed through its data model (``Links/0/Hash``).

Invariants:
- Every block read goes through ``source.get`` (verified) and ``source.decode_block``, so a
  path crosses git, Ethereum or any extension codec exactly as decode would read it.
- A missing segment is ``PathNotFound`` naming the block and the segments walked inside it;
  a segment under a scalar (string, bytes, number) is ``PathNotFound`` too.
- At most ``len(segments)`` links are followed; nothing recurses, so depth is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from .._goint import parse_int64
from ..errors import InvalidBlock, PathNotFound
from ._path import DagPath, parse_path

DAG_PB = 0x70


class BlockSource(Protocol):
    """What resolution needs: verified bytes by CID and a decoder for any codec (a ``Runtime``)."""

    def get(self, cid: CID) -> bytes: ...

    def decode_block(self, cid: CID, data: bytes, *, verified: bool = False) -> Any: ...


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a path lands: the last block reached, the segments left inside it, and the value there.

    ``value`` is the data-model value at ``cid``/``remainder`` (the whole node when
    ``remainder`` is empty); ``data`` is the block's verified bytes.
    """

    cid: CID
    remainder: tuple[str, ...]
    value: Any
    data: bytes

    def remainder_path(self) -> str:
        """The remainder as Kubo prints it (``/a/b``, or ``""``)."""
        return "".join("/" + seg for seg in self.remainder)


def _kind(value: Any) -> str:
    for kind, name in ((dict, "map"), (list, "list"), (bytes, "bytes"), (str, "string"), (bool, "boolean"),
                       (int, "integer"), (float, "float"), (CID, "link")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def _where(cid: CID, inside: list[str]) -> str:
    return str(cid) + "".join("/" + seg for seg in inside)


def step(value: Any, segment: str, cid: CID, inside: list[str]) -> Any:
    """The data-model child ``segment`` of ``value`` (map key, or list index in decimal, read
    as Kubo reads it: Go's ``ParseInt``)."""
    if isinstance(value, dict):
        if segment in value:
            return value[segment]
        raise PathNotFound(f"no field {segment!r} in {_where(cid, inside)}")
    if isinstance(value, list):
        index = parse_int64(segment)  # as go-ipld-prime reads an index: "+1", "01" and "-0" too
        if index is not None and 0 <= index < len(value):
            return value[index]
        missing = PathNotFound if index is not None else UnreadableListIndex
        raise missing(f"no index {segment!r} in the list of {len(value)} at {_where(cid, inside)}")
    kind = _kind(value)
    article = "an" if kind[0] in "aeiou" else "a"
    raise PathNotFound(f"{_where(cid, inside)} is {article} {kind}; it has no {segment!r} below it")


class UnreadableListIndex(PathNotFound):
    """A path segment into a list that is no int64 at all (``old``, ``1.0``, 20 digits), where one
    that is an index past the list's end is a plain ``PathNotFound``: go-ipld-prime tells the two
    apart (``invalid segment for lookup on a list``), and Kubo's gateway answers this one with a
    500, the other with a 404."""


class UnknownUnixfsType(InvalidBlock):
    """A path through a DAG-PB node whose UnixFS ``Data`` names a type past the spec's 0 to 5:
    go-unixfsnode has no reification for it, so Kubo v0.43.1 resolves no path through it
    (``dag get``, ``resolve``, ``get``, ``refs``, the gateway's 500), while the node itself
    still reads as plain DAG-PB."""


def _unixfs_step(source: BlockSource, cid: CID, node: Any, segment: str, limits: Limits) -> CID:
    """The link that ``segment`` names in a DAG-PB node read as go-unixfsnode reifies it
    (``unixfs._pb.reify``, the one reading ``cat``, ``ls`` and ``get`` share)."""
    from ..unixfs import _pb
    from ..unixfs._resolve import _child, no_link

    meta = _pb.reify(node.get("Data") if isinstance(node, dict) else None, strict=True)
    if meta is not None and meta.type not in _pb.TYPE_NAMES:
        raise UnknownUnixfsType("no reification for this UnixFS node type")
    if meta is not None and meta.type == _pb.HAMT_SHARD:
        return _child(source, cid, segment, limits)  # a missing name: no_link's PathNotFound
    if not _pb.by_link_name(meta):
        raise PathNotFound(f"{cid} is a UnixFS file; it has no {segment!r} below it")
    for link in node.get("Links", ()):
        if link.get("Name", "") == segment:
            found: CID = link["Hash"]
            return found
    raise no_link(segment, cid)


def resolve(source: BlockSource, path: "str | CID | DagPath", *, limits: Limits | None = None) -> Resolved:
    """Resolve ``path`` to the last block it reaches and the remainder inside it, with that
    block's bytes and the value there (what ``dag get`` prints)."""
    found = _walk(source, parse_path(path), limits or DEFAULT_LIMITS, load_last=True)
    assert isinstance(found, Resolved)
    return found


def resolve_cid(source: BlockSource, path: "str | CID | DagPath", *,
                limits: Limits | None = None) -> tuple[CID, tuple[str, ...]]:
    """Where ``path`` lands as ``dag resolve`` says it: the CID and the remainder inside it.

    As boxo's ``ResolveToLastNode`` (Kubo v0.43): the block a path ends at is not loaded, so a
    path whose last segment is a link (or a bare CID) resolves even when that block is not
    held; only the blocks the path walks through are read."""
    found = _walk(source, parse_path(path), limits or DEFAULT_LIMITS, load_last=False)
    return (found.cid, found.remainder) if isinstance(found, Resolved) else (found, ())


def _walk(source: BlockSource, parsed: DagPath, limits: Limits, *, load_last: bool) -> "Resolved | CID":
    """Follow ``parsed``; without ``load_last``, a path ending at a link gives that link's CID
    (its block unread) instead of a ``Resolved``."""
    cid = parsed.root
    if not load_last and not parsed.segments:
        return cid
    data = source.get(cid)
    node = source.decode_block(cid, data, verified=True)
    value = node
    inside: list[str] = []
    last = len(parsed.segments) - 1
    for at, segment in enumerate(parsed.segments):
        if parsed.namespace == "ipfs" and cid.codec == DAG_PB and not inside:
            child: Any = _unixfs_step(source, cid, node, segment, limits)
        else:
            child = step(value, segment, cid, inside)
        if isinstance(child, CID):
            cid = child
            if at == last and not load_last:
                return cid
            data = source.get(cid)
            node = value = source.decode_block(cid, data, verified=True)
            inside = []
        else:
            value = child
            inside.append(segment)
    return Resolved(cid, tuple(inside), value, data)


def block_at(source: BlockSource, path: "str | CID | DagPath", *, limits: Limits | None = None) -> bytes:
    """The verified bytes of the block ``path`` ends at (``InvalidPath`` if it ends inside one)."""
    from ..errors import InvalidPath

    found = resolve(source, path, limits=limits)
    if found.remainder:
        raise InvalidPath(f"{str(path)[:120]} ends inside block {found.cid} (at {found.remainder_path()}), "
                          "not at a block", hint="decode the path to get the value there")
    return found.data
