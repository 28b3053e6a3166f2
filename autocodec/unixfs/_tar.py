"""A UnixFS file, directory or symlink as a TAR stream, with the members Kubo v0.43.1 (boxo's
``files.TarWriter``) writes: the gateway's ``?format=tar`` (``application/x-tar``) answer and
``autocodec get -a``.

Spec: the path gateway spec's TAR response (ipfs/specs, ``path-gateway.md``); the archive
format is POSIX ustar, with pax extended headers where a name or link does not fit ustar
(non-ASCII, too long), as Go's ``archive/tar`` chooses them.

Invariants:
- Members come in Kubo's order: a directory's header, then each entry in ``_dir.entries``'
  order (a plain directory's sorted by name, a HAMT's in shard order), depth first. The root is named by its CID, each member
  ``root/.../name``, joined and cleaned as Go's ``path.Join`` does (an entry ``/etc`` is
  ``root/etc``, as in Kubo). A name that would leave the root (``..``) ends the stream with
  ``InvalidBlock``, as Kubo refuses it; so does a NUL in a name or a symlink's target (Go's
  writer cannot encode it and Kubo's stream ends there; a ustar name would stop at it, so
  ``x\\0y`` would read as a member ``x``). Stricter than Kubo on purpose: a cleaned name must be
  the root or lie under ``root/``; boxo compares string prefixes, so ``../ROOTx`` passes there
  and lands beside the root when extracted.
- Each member's header is the bytes Go's ``archive/tar`` writes (``_tar_header``): the same
  archive as Kubo's wherever the times agree (an mtime in every node, or none with the same time).
- Modes are the UnixFS 1.5 ``mode`` permissions when set (setuid, setgid and sticky bits
  included, as boxo's ``UnixPermsOrDefault`` keeps them), else Kubo's defaults (0644 files,
  0755 directories, 0777 symlinks); uid, gid and owner names are empty. The modification time
  is the UnixFS 1.5 ``mtime`` rounded to a second as Go's writer rounds it, else 0 (Kubo writes the time of the request there:
  this answer stays the same bytes for the same CID, as its immutable caching says). Go's zero
  time (0001-01-01 UTC) is boxo's "no mtime": an mtime of exactly that is none, and one that
  rounds onto it is written 0, as Go's writer writes a zero time.
- Files stream in pieces (``read_range``): memory does not grow with a file; the walk is
  iterative, bounded by ``limits`` like every UnixFS read of the gateway.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock
from ._dir import DEFAULT_MODE, Node, Source, classify, entries
from ._ranges import read_range
from ._tar_header import header

_BLOCK = 512
_GO_ZERO_TIME = -62_135_596_800  # Go's time.Time{} (0001-01-01 00:00:00 UTC) in Unix seconds
_TYPE = {"file": b"0", "directory": b"5", "hamt": b"5", "symlink": b"2"}


def tar_pieces(source: Source, cid: CID, data: bytes, limits: Limits | None = None,
               root_name: str | None = None, no_mtime: int = 0) -> Iterator[bytes]:
    """The TAR stream of the UnixFS entity ``cid`` (block ``data``), in pieces; the root is
    named ``root_name`` (default: the CID, as the gateway names it; ``ipfs get -a``: the last
    component of the path asked for), and an entry without a UnixFS mtime is dated
    ``no_mtime`` (the gateway: 0; ``ipfs get -a``: the time of the call, as Kubo)."""
    limits = limits or DEFAULT_LIMITS
    base = root_name or str(cid)
    stack: list[tuple[str, CID, bytes | None, str | None]] = [(base, cid, data, None)]
    while stack:
        name, current, block, refusal = stack.pop()
        if refusal is not None:  # refused where its member would be: the members before it are written, as Kubo's
            raise InvalidBlock(refusal)
        block = source.get(current) if block is None else block
        node = classify(current, block)
        if node.kind not in _TYPE:
            raise InvalidBlock(f"{current} at {name} is not a UnixFS file, directory or symlink: it has no TAR form")
        yield _header(name, node, no_mtime)
        if node.kind == "file":
            if node.size:
                yield from read_range(source, current, block, 0, node.size - 1, limits)
            if node.size % _BLOCK:
                yield bytes(_BLOCK - node.size % _BLOCK)
        elif node.kind in ("directory", "hamt"):
            children = []
            for entry, child, _size in entries(source, current, block, limits):
                path = posixpath.normpath(f"{name}/{entry}")  # Go's path.Join: "/etc" is root/etc
                refusal = None
                if "\x00" in entry:
                    refusal = (f"the entry {entry!r} of {name} has a NUL in its name, which TAR cannot hold: "
                               "fetch this DAG as a CAR instead")
                elif path != base and not path.startswith(base + "/"):
                    refusal = (f"the entry {entry!r} of {name} leaves the archive's root: "
                               "fetch this DAG as a CAR instead")
                children.append((path, child, None, refusal))
            stack.extend(reversed(children))
    yield bytes(2 * _BLOCK)


def whole_seconds(mtime: tuple[int, int]) -> int:
    """A UnixFS mtime (seconds, nanoseconds) as Go's TAR writer keeps it: rounded to the nearest
    second, a half second up (``Time.Round(time.Second)``, the format being unspecified)."""
    seconds, nanos = mtime
    return seconds + (1 if nanos >= 500_000_000 else 0)


def _header(name: str, node: Node, no_mtime: int) -> bytes:
    meta = node.meta
    mode = (meta.mode & 0o7777 if meta is not None and meta.mode else 0) or DEFAULT_MODE[node.kind]
    mtime = no_mtime
    if meta is not None and meta.mtime is not None and meta.mtime != (_GO_ZERO_TIME, 0):
        mtime = whole_seconds(meta.mtime)  # exactly Go's zero time is no mtime to boxo (ModTime().IsZero())
        if mtime == _GO_ZERO_TIME:  # rounded onto it: Go's writer writes a zero time as 0
            mtime = 0
    linkname = b""
    if node.kind == "symlink":
        assert meta is not None
        if b"\x00" in meta.data:
            raise InvalidBlock(f"the symlink {name} has a NUL in its target, which TAR cannot hold: "
                               "fetch this DAG as a CAR instead")
        linkname = bytes(meta.data)
    return header(name.encode("utf-8", "surrogateescape"), _TYPE[node.kind], mode=mode,
                  size=node.size if node.kind == "file" else 0, mtime=mtime, linkname=linkname)
