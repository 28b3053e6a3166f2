"""UnixFS v1 DAG layout: balanced file trees and plain directories, block by block.

Matches Kubo's and js-ipfs's importers (balanced layout, 174 links per node, sha2-256):

- Leaves: with ``raw_leaves`` a raw block (codec 0x55, always CIDv1); otherwise a dag-pb
  node whose Data is UnixFS ``{Type: File, Data: chunk, filesize: len}``.
- Parents: dag-pb, links ``{Hash, Name: "", Tsize}`` to up to 174 children, Data UnixFS
  ``{Type: File, filesize, blocksizes}`` (each child's file bytes).
- Leaves are grouped 174 at a time into parents, parents 174 at a time into grandparents,
  and so on until one node is left: the root.  A file of one chunk is that chunk's leaf.
- Tsize of a link: the child's block size plus the Tsizes of all its links (the DAG's
  total bytes under it).  Directories: UnixFS ``{Type: Directory}``, links sorted by name,
  or a HAMT shard (see ``_hamt``) when Kubo would make one.

Invariants:
- ``FileBuilder`` holds at most 174 pending links per tree level (a few KiB for any file
  size); every block is handed to the ``emit`` callback as soon as it is final.
- CIDs are CIDv0 for dag-pb + sha2-256 when ``cid_version`` is 0 and CIDv1 otherwise; the
  multihash function is a parameter (sha2-256 by default, any builtin or extension hasher).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from ..cid import CID
from ..errors import InvalidInput
from . import _hamt, _pb

DAG_PB = 0x70
RAW = 0x55
SHA2_256 = 0x12
MAX_LINKS = 174
HAMT_THRESHOLD_BYTES = 256 * 1024
"""Kubo (boxo's BasicDirectory) makes a directory a HAMT shard when its estimated size, the
sum over entries of name bytes + CID bytes (``estimated_size``), is *over* this
(``HAMTShardingSize``, Kubo's ``Import.UnixFSHAMTDirectorySizeThreshold``, estimation mode
``links``, the default).
js-ipfs 0.66's HTTP add never shards, so its CIDs for such directories differ from Kubo's."""

Emit = Callable[[CID, bytes], None]
Multihash = Callable[[bytes], bytes]
"""A block's full multihash (code, length, digest)."""


def sha2_256(block: bytes) -> bytes:
    return bytes([SHA2_256, 32]) + hashlib.sha256(block).digest()


@dataclass(frozen=True, slots=True)
class Link:
    cid: CID
    tsize: int  # total bytes of the DAG under the link
    filesize: int  # file bytes under the link (0 for directories)


def make_cid(codec: int, block: bytes, version: int, multihash: Multihash = sha2_256) -> CID:
    """CIDv0 only for dag-pb + sha2-256 when ``version`` is 0; CIDv1 otherwise."""
    mh = multihash(block)
    v0 = codec == DAG_PB and version == 0 and mh[0] == SHA2_256
    return CID.build(codec, mh, version=0 if v0 else 1)


def _dag_pb(data: bytes, links: list[tuple[str, Link]]) -> bytes:
    from ..builtin import encode

    node = {"Data": data, "Links": [{"Hash": link.cid, "Name": name, "Tsize": link.tsize} for name, link in links]}
    return encode(node, "dag-pb")


@dataclass(frozen=True, slots=True)
class Meta:
    """UnixFS 1.5 metadata of one entry: permission bits (``mode & 0o7777``) and modification
    time (seconds, nanoseconds); None where not stored."""

    mode: int | None = None
    mtime: tuple[int, int] | None = None

    def __bool__(self) -> bool:
        return self.mode is not None or self.mtime is not None


NO_META = Meta()


class HoldLast:
    """An ``Emit`` that keeps the last block back: a DAG's root is built last, and metadata
    (boxo's ``SetFileAttributes``) goes into the root before it is stored, so no root without
    it is ever stored."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._held: tuple[CID, bytes] | None = None

    def __call__(self, cid: CID, block: bytes) -> None:
        if self._held is not None:
            self._emit(*self._held)
        self._held = (cid, block)

    def release(self, root: Link, meta: Meta, version: int, multihash: Multihash) -> Link:
        """Store the held block, which is ``root``'s, with ``meta`` set in its UnixFS Data."""
        assert self._held is not None and self._held[0] == root.cid
        cid, block = self._held
        self._held = None
        if meta and cid.codec == DAG_PB:
            from ..builtin import decode, encode

            node = decode(block, "dag-pb")
            unixfs = _pb.decode(node["Data"])
            node["Data"] = _pb.encode(dataclasses.replace(unixfs, mode=meta.mode, mtime=meta.mtime))
            new = encode(node, "dag-pb")
            cid = make_cid(DAG_PB, new, version, multihash)
            root = Link(cid, root.tsize - len(block) + len(new), root.filesize)
            block = new
        self._emit(cid, block)
        return root


class FileBuilder:
    """Streams one file's chunks into a balanced UnixFS DAG (``meta`` in its root: the leaf of
    a one-chunk file, else the top node; a raw root cannot hold it, as in boxo)."""

    def __init__(self, emit: Emit, *, cid_version: int = 0, raw_leaves: bool = False,
                 multihash: Multihash = sha2_256, max_links: int = MAX_LINKS, meta: Meta = NO_META) -> None:
        if cid_version not in (0, 1):
            raise InvalidInput(f"CID version {cid_version} is not 0 or 1")
        if max_links < 1:
            raise InvalidInput(f"max links per file node must be at least 1, not {max_links}")
        self._max_links = max_links
        self._hold = HoldLast(emit)
        self._emit: Emit = self._hold
        self._meta = meta
        self._mh = multihash
        self._version = cid_version
        self._raw = raw_leaves
        self._levels: list[list[Link]] = [[]]
        self._chunks = 0
        self.size = 0  # file bytes so far

    def _put(self, codec: int, block: bytes) -> CID:
        cid = make_cid(codec, block, self._version, self._mh)
        self._emit(cid, block)
        return cid

    def _leaf(self, chunk: bytes) -> Link:
        if self._raw:
            return Link(self._put(RAW, chunk), len(chunk), len(chunk))
        block = _dag_pb(_pb.encode(_pb.UnixfsData(_pb.FILE, chunk, len(chunk))), [])
        return Link(self._put(DAG_PB, block), len(block), len(chunk))

    def _parent(self, children: list[Link]) -> Link:
        filesize = sum(c.filesize for c in children)
        data = _pb.encode(_pb.UnixfsData(_pb.FILE, b"", filesize, tuple(c.filesize for c in children)))
        block = _dag_pb(data, [("", c) for c in children])
        return Link(self._put(DAG_PB, block), len(block) + sum(c.tsize for c in children), filesize)

    def _push(self, level: int, link: Link) -> None:
        if level == len(self._levels):
            self._levels.append([])
        row = self._levels[level]
        if len(row) == self._max_links:  # the group is complete and more follows: close it
            self._levels[level] = []
            self._push(level + 1, self._parent(row))
            row = self._levels[level]
        row.append(link)

    def add(self, chunk: bytes) -> None:
        """Append the next chunk of the file. With one link per node only a file of one chunk
        has a balanced DAG (boxo's layout never ends on a second one)."""
        if self._chunks and self._max_links == 1:
            raise InvalidInput("a balanced file node of one link cannot hold a file of more than one chunk",
                               hint="allow 2 or more links per file node, or use the trickle layout")
        self._chunks += 1
        self.size += len(chunk)
        self._push(0, self._leaf(chunk))

    def finish(self) -> Link:
        """The root link; a file with no chunk at all is one empty chunk."""
        if self._chunks == 0:
            self.add(b"")
        level = 0
        while True:
            row = self._levels[level]
            higher = any(self._levels[level + 1 :])
            if not higher and len(row) == 1:
                return self._hold.release(row[0], self._meta, self._version, self._mh)
            if row:
                self._levels[level] = []
                self._push(level + 1, self._parent(row))
            level += 1


def name_bytes(name: str) -> bytes:
    """A directory entry name as stored: UTF-8, with undecodable file-name bytes (surrogate
    escapes from ``os.listdir``) restored as the raw bytes Kubo would store."""
    return name.encode("utf-8", "surrogateescape")


def estimated_size(entries: list[tuple[str, Link]]) -> int:
    """boxo's ``SizeEstimationLinks``: sum of len(name bytes) + len(CID bytes)."""
    return sum(len(name_bytes(name)) + len(bytes(link.cid)) for name, link in entries)


def should_shard(entries: list[tuple[str, Link]], shard_threshold: int = HAMT_THRESHOLD_BYTES,
                 max_links: int = 0) -> bool:
    """boxo's BasicDirectory rule (Kubo v0.43.1, estimation mode ``links``): shard when the
    estimated size is over ``shard_threshold``, or when ``max_links`` (Kubo's
    ``--max-directory-links``, 0 = no limit) is exceeded; a threshold of 0 disables sharding."""
    if shard_threshold == 0:
        return False
    return estimated_size(entries) > shard_threshold or 0 < max_links < len(entries)


def directory(entries: list[tuple[str, Link]], emit: Emit, *, cid_version: int = 0,
              shard_threshold: int = HAMT_THRESHOLD_BYTES, multihash: Multihash = sha2_256,
              max_links: int = 0, meta: Meta = NO_META, fanout: int = _hamt.FANOUT) -> Link:
    """A UnixFS directory over ``entries`` (name, link); names must be unique.  It is a
    HAMT shard of ``fanout`` (Kubo's ``--max-hamt-fanout``) when Kubo would make one
    (``should_shard``); ``meta`` goes into its node (a HAMT's root shard)."""
    names = [name for name, _ in entries]
    for name in names:
        if not name or "/" in name or name in (".", ".."):
            raise InvalidInput(f"invalid directory entry name {name!r}")
    if len(set(names)) != len(names):
        twice = next(name for i, name in enumerate(names) if name in names[:i])
        raise InvalidInput(f"a directory would hold two entries named {twice!r}",
                           hint="give each entry its own name (Kubo refuses this too)")
    if should_shard(entries, shard_threshold, max_links):
        return _sharded(entries, emit, cid_version, multihash, meta, fanout)
    ordered = sorted(entries, key=lambda e: name_bytes(e[0]))
    block = _dag_pb(_pb.encode(_pb.UnixfsData(_pb.DIRECTORY, mode=meta.mode, mtime=meta.mtime)), ordered)
    cid = make_cid(DAG_PB, block, cid_version, multihash)
    emit(cid, block)
    return Link(cid, len(block) + sum(link.tsize for _, link in ordered), 0)


def _sharded(entries: list[tuple[str, Link]], emit: Emit, cid_version: int, multihash: Multihash,
             meta: Meta = NO_META, fanout: int = _hamt.FANOUT) -> Link:
    if not _hamt.readable_fanout(fanout):
        raise InvalidInput(f"HAMT fanout must be a power of 2, between {_hamt.MIN_FANOUT} and {_hamt.MAX_FANOUT} "
                           f"(got {fanout})")
    root = _hamt.Shard(bits=fanout.bit_length() - 1)
    digits = _hamt.pad_len(fanout)
    for name, link in entries:
        root.put(name, link)

    def flush(shard: _hamt.Shard) -> Link:
        links: list[tuple[str, Link]] = []
        for slot in sorted(shard.slots):
            value = shard.slots[slot]
            if isinstance(value, _hamt.Shard):
                links.append((f"{slot:0{digits}X}", flush(value)))
            else:
                name, link = value
                links.append((f"{slot:0{digits}X}{name}", link))  # type: ignore[arg-type]
        data = _hamt.shard_data(sorted(shard.slots), meta if shard is root else NO_META, fanout)
        block = _dag_pb(data, links)
        cid = make_cid(DAG_PB, block, cid_version, multihash)
        emit(cid, block)
        return Link(cid, len(block) + sum(link.tsize for _, link in links), 0)

    return flush(root)


def symlink(target: str, emit: Emit, *, cid_version: int = 0, multihash: Multihash = sha2_256,
            mtime: tuple[int, int] | None = None) -> Link:
    """A UnixFS symlink node pointing at ``target`` (stored, never followed); Kubo stores a
    modification time for it, never a mode."""
    data = _pb.UnixfsData(_pb.SYMLINK, target.encode("utf-8", "surrogateescape"), mtime=mtime)
    block = _dag_pb(_pb.encode(data), [])
    cid = make_cid(DAG_PB, block, cid_version, multihash)
    emit(cid, block)
    return Link(cid, len(block), 0)
