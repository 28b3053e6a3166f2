"""Adding files and directory trees to the block store as UnixFS v1 DAGs.

Invariants:
- Blocks reach the store in batches (``BlockStore.put_many``) as they are produced, across
  files: a batch is committed at ``limits.store.batch_bytes`` or ``batch_blocks``, or at the end
  of an entry once its first block is ``BATCH_SECONDS`` old, whichever comes first (one commit per small file wrote
  several whole 64 KiB pages each).  Memory is bounded by one chunk, one read buffer, one
  pending batch and 174 links per tree level, whatever the file size.  Nothing is read twice.
- ``on_entry`` hears of an entry only once every block of it is committed, in the order the
  entries were added: a caller that reports entries never claims one a crash could lose.
  ``add_stream``, ``folder``/``wrap`` and ``add_path`` commit everything before returning; an
  ``Exception`` mid-way commits the blocks made so far (and reports their entries) before it
  propagates; an interrupt (``KeyboardInterrupt``) keeps only the batches already committed.
- Options default like Kubo's ``ipfs add``: ``size-262144`` chunks, sha2-256, CIDv0, dag-pb
  leaves; CIDv1 (asked for, or implied by a hash other than sha2-256) implies raw leaves
  unless ``raw_leaves`` is given explicitly.  Hashes outside Kubo's allowlist (boxo
  verifcid) are refused, CIDv0 with another hash than sha2-256 too, and identity CIDs of
  blocks over 128 bytes, all as Kubo does.
- Files use the balanced layout (Kubo's default) or, with ``trickle``, the trickle layout;
  ``max_file_links`` is Kubo's ``--max-file-links`` (174).
- A directory is added depth-first with its entries in name order (bytes), as a HAMT shard
  (of ``max_hamt_fanout``) when Kubo would make one (``shard_threshold``); hidden entries (names starting with ".")
  are skipped unless ``hidden``; a directory below the one added that has no entries left
  is skipped when ``empty_dirs`` is false (Kubo's ``--empty-dirs=false``; the added
  directory itself is kept unless it goes into a ``-w`` wrapper, ``add_path(wrapped=True)``); entries whose base name an ``ignore`` rule matches are
  skipped (Kubo's ``--ignore``, ``_ignore``); symlinks become UnixFS symlink nodes, or with
  ``follow_symlinks`` are read as what they point to (a dangling one or a loop is an error, as
  in Kubo); other special files (sockets, devices, FIFOs) are refused, but a FIFO given as
  the path itself is read to its end as a file without metadata, as Kubo reads one.
- With ``inline`` (Kubo's ``--inline``), every block of at most ``inline_limit`` bytes gets an
  identity CIDv1 instead of a hash (``_inlining``).
- The store verifies every block's CID; a failure leaves the blocks already written (they are
  valid, content-addressed blocks) and raises.
"""

from __future__ import annotations

import os
import stat as stat_mod
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .._inputs import as_path, bytes_like, need_store, need_stream, of_type
from ..cid import CID, encode_varint
from ..codes import hash_code
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidInput, UnknownHash
from ..log import get_logger
from ..progress import Progress, no_progress
from ._chunk import DEFAULT_CHUNKER, ChunkerSpec, iter_chunks, load_chunker_module, parse_chunker
from ._layout import (HAMT_THRESHOLD_BYTES, MAX_LINKS, NO_META, FileBuilder, Link, Meta, directory, name_bytes, sha2_256,
                      should_shard, symlink)
from ._hamt import FANOUT as HAMT_FANOUT
from ._hamt import MAX_FANOUT, MIN_FANOUT, readable_fanout
from ._ignore import IgnoreRules
from ._trickle import trickle

log = get_logger("unixfs")


IDENTITY_MAX_BYTES = 128  # boxo verifcid.DefaultMaxIdentityDigestSize
BATCH_SECONDS = 0.5
"""How old a batch's first block may be at an entry's end before the batch is committed and its
entries reported (checked when an entry ends: a file that is slow to read holds its batch, and the
lines of the files before it, until it ends or the batch fills)."""


def kubo_allows_hash(code: int) -> bool:
    """boxo verifcid's DefaultAllowlist (Kubo v0.43.1): the hashes ``ipfs add`` accepts; the
    others are "potentially insecure" (md5, murmur3, shake-128, sha2-384, blake2b < 160 bits...).
    Every allowed hash has a digest of at least 20 bytes, Kubo's minimum."""
    return (code in (0x00, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x56)
            or 0xB214 <= code <= 0xB240 or 0xB254 <= code <= 0xB260)


def go_mode_bits(mode: int) -> int:
    """The UnixFS mode bits of Kubo's ``--mode`` number, read as the Go ``os.FileMode`` it is
    (Go's ModePermsToUnixPerms): its 0o777, then setuid, setgid and sticky from Go's own bits
    for them (1 << 23, 1 << 22, 1 << 20); every other bit is dropped."""
    bits = mode & 0o777
    for go_bit, unix_bit in ((1 << 23, stat_mod.S_ISUID), (1 << 22, stat_mod.S_ISGID), (1 << 20, stat_mod.S_ISVTX)):
        if mode & go_bit:
            bits |= unix_bit
    return bits


@dataclass(frozen=True, slots=True)
class AddOptions:
    chunker: str = DEFAULT_CHUNKER
    cid_version: int | None = None  # None: Kubo's default (0, or 1 when the hash is not sha2-256)
    raw_leaves: bool | None = None  # None: Kubo's default (raw leaves iff CIDv1)
    hidden: bool = False
    chunker_module: Path | None = None  # a Wasm chunker file instead of the source tree's
    shard_threshold: int = HAMT_THRESHOLD_BYTES  # Kubo's Import.UnixFSHAMTDirectorySizeThreshold
    hash: str = "sha2-256"  # any multihash a builtin or an extension hasher serves
    trickle: bool = False  # Kubo's --trickle layout instead of the balanced one
    empty_dirs: bool = True  # Kubo's --empty-dirs (-E), default true
    max_file_links: int = MAX_LINKS  # Kubo's --max-file-links (0 or less: the default, as Kubo)
    max_directory_links: int = 0  # Kubo's --max-directory-links (0: no limit; more links shard)
    max_hamt_fanout: int = HAMT_FANOUT  # Kubo's --max-hamt-fanout (a power of 2 from 8 to 1024)
    inline: bool = False  # Kubo's --inline: a block of at most inline_limit bytes gets an identity CIDv1
    inline_limit: int = 32  # Kubo's --inline-limit (at most 128)
    preserve_mode: bool = False  # Kubo's --preserve-mode: each entry's permission bits (UnixFS 1.5)
    preserve_mtime: bool = False  # Kubo's --preserve-mtime: each entry's modification time
    mode: int = 0  # Kubo's --mode, a Go FileMode number (go_mode_bits), on every entry (0: none)
    mtime: tuple[int, int] | None = None  # Kubo's --mtime/--mtime-nsecs on every entry
    ignore: tuple[str, ...] = ()  # Kubo's --ignore rules (a rules file's lines first): see ``_ignore``
    follow_symlinks: bool = False  # Kubo's --dereference-symlinks: every symlink in a tree is followed

    @property
    def has_meta(self) -> bool:
        """Whether entries carry UnixFS 1.5 metadata (which keeps a file's root from being raw:
        Kubo then turns raw leaves off)."""
        return self.preserve_mode or self.preserve_mtime or bool(self.mode) or self.mtime is not None

    @property
    def version(self) -> int:
        """The CID version used: as Kubo, another hash than sha2-256 means CIDv1 (asking for
        CIDv0 with it is refused by ``Adder``)."""
        if hash_code(self.hash) != 0x12:
            return 1
        return self.cid_version or 0

    @property
    def leaves_raw(self) -> bool:
        if self.has_meta:
            return False
        return self.raw_leaves if self.raw_leaves is not None else self.version == 1

    @property
    def file_links(self) -> int:
        """The most links in one file node: ``max_file_links``, or Kubo's 174 when it is 0 or
        less (boxo's adder takes only a positive number)."""
        return self.max_file_links if self.max_file_links > 0 else MAX_LINKS

    @property
    def keeps_mode(self) -> bool:
        """Whether each entry's own mode is stored: ``preserve_mode`` unless ``mode`` is given,
        which wins over it in Kubo."""
        return self.preserve_mode and not self.mode

    @property
    def keeps_mtime(self) -> bool:
        """Whether each entry's own mtime is stored: ``preserve_mtime`` unless ``mtime`` is
        given, which wins over it in Kubo."""
        return self.preserve_mtime and self.mtime is None

    @property
    def wrapper_meta(self) -> Meta:
        """The metadata of the ``-w`` wrapper, Kubo's top folder: ``--mode`` (kept, as any
        folder's, even when its 0o777 bits are 0) and ``--mtime``; none of a preserved kind (the
        wrapper is no entry on disk: Kubo reads a zero mode and time for it)."""
        mode = go_mode_bits(self.mode) if self.mode else None
        return Meta(mode, _stored_mtime(self.mtime))

    def meta(self, st: os.stat_result | None) -> Meta:
        """The metadata of an entry whose ``lstat`` is ``st`` (None: a stream), as Kubo's adder
        picks it: ``--mode``/``--mtime`` when given, else the entry's own when preserved.

        --mode's number reaches boxo as a Go FileMode, whose setuid/setgid/sticky are other
        bits (``go_mode_bits``: 0o4000 of the number is not setuid, 1 << 23 is). A file stores no mode
        when those bits are 0; a directory stores them, 0 included, whenever a mode was given
        (boxo's directory ``SetStat`` takes any non-zero FileMode, a directory's own always is)."""
        preserved = st is not None and self.keeps_mode
        mode: int | None = stat_mod.S_IMODE(st.st_mode) if preserved and st is not None else go_mode_bits(self.mode)
        if not mode and not (st is not None and stat_mod.S_ISDIR(st.st_mode) and (preserved or self.mode)):
            mode = None
        mtime = self.mtime
        if st is not None and self.keeps_mtime:
            mtime = divmod(st.st_mtime_ns, 1_000_000_000)
        return Meta(mode, _stored_mtime(mtime))


@dataclass(frozen=True, slots=True)
class Added:
    """One added file or directory: its path (relative to what was added) and root CID."""

    path: str
    cid: CID
    size: int  # file bytes (0 for directories and symlinks)
    tsize: int  # total DAG bytes
    is_dir: bool = False
    sharded: bool = False  # a directory stored as a HAMT shard
    meta: Meta = NO_META  # a directory's own metadata (to build it again with one more entry: ``_merge``)

    @property
    def link(self) -> Link:
        return Link(self.cid, self.tsize, self.size)


@dataclass
class _Sink:
    """Batches blocks into the store, and holds back the entries made of them until committed."""

    store: Any
    batch_bytes: int
    batch_blocks: int
    pending: list[tuple[CID, bytes]] = field(default_factory=list)
    pending_bytes: int = 0
    started: float = 0.0  # time.monotonic() of the first pending block
    blocks: int = 0
    waiting: list[tuple[Callable[[Added], None], Added]] = field(default_factory=list)

    def __call__(self, cid: CID, block: bytes) -> None:
        if not self.pending:
            self.started = time.monotonic()
        self.pending.append((cid, block))
        self.pending_bytes += len(block)
        self.blocks += 1
        if self.pending_bytes >= self.batch_bytes or len(self.pending) >= self.batch_blocks:
            self.flush()

    def announce(self, entry: Added, on_entry: Callable[[Added], None]) -> None:
        """Hand ``entry`` (whose blocks were all given) to ``on_entry`` once they are committed:
        now when none is pending, else after the flush that commits them, in order."""
        if not self.pending and not self.waiting:
            on_entry(entry)
            return
        self.waiting.append((on_entry, entry))
        if time.monotonic() - self.started >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit the pending blocks, then report the entries waiting for them."""
        if self.pending:
            batch, self.pending, self.pending_bytes = self.pending, [], 0
            self.store.put_many(batch)
        waiting, self.waiting = self.waiting, []
        for on_entry, entry in waiting:
            on_entry(entry)


class Adder:
    """Adds streams, files and trees to one store with one set of options.

    ``multihash`` computes a block's full multihash for ``options.hash`` (default: the builtin
    hashers; the CLI passes the registry runtime's, which also serves extension hashers);
    ``chunker_module(name)`` gives the loaded Wasm chunker module (default: ``_chunk``'s
    lookup of ``options.chunker_module`` or the source tree).
    """

    def __init__(self, store: Any, options: AddOptions | None = None, *, limits: Limits | None = None,
                 progress: Progress = no_progress, sandbox: Any = None,
                 multihash: Callable[[bytes], bytes] | None = None,
                 chunker_module: Callable[[str], Any] | None = None) -> None:
        need_store(store, "put_many", "Adder")
        of_type(options, AddOptions, "Adder's options")
        of_type(limits, Limits, "Adder's limits")
        self.options = options or AddOptions()
        self.limits = limits or DEFAULT_LIMITS
        self.spec: ChunkerSpec = parse_chunker(self.options.chunker, self.limits)
        if self.options.cid_version not in (None, 0, 1):
            raise InvalidInput(f"the CID version must be 0 or 1, not {self.options.cid_version}")
        if self.options.inline and self.options.inline_limit > IDENTITY_MAX_BYTES:
            raise InvalidInput(f"the inline limit {self.options.inline_limit} is over the {IDENTITY_MAX_BYTES} bytes "
                               "an identity CID may hold (Kubo refuses it too)", hint="inline at most 128 bytes")
        if not readable_fanout(self.options.max_hamt_fanout):
            raise InvalidInput(f"HAMT fanout must be a power of 2, between {MIN_FANOUT} and {MAX_FANOUT} "
                               f"(got {self.options.max_hamt_fanout})", hint="use 256 (Kubo's default)")
        code = hash_code(self.options.hash)
        if self.options.cid_version == 0 and code != 0x12:
            raise InvalidInput(f"CIDv0 only supports sha2-256, not {self.options.hash}",
                               hint="leave the CID version unset or use 1 with another hash (as Kubo)")
        if self.options.raw_leaves and self.options.has_meta:
            raise InvalidInput("raw-leaves can't be used with UnixFS metadata like mode or modification time",
                               hint="leave raw leaves unset: Kubo then turns them off")
        if not kubo_allows_hash(code):
            raise InvalidInput(f"{self.options.hash} is a potentially insecure hash function (Kubo refuses it too)",
                               hint="use sha2-256, sha2-512, sha3-*, blake2b-160..512, blake3, keccak-*, ...")
        if multihash is None:
            if code == 0x12:
                multihash = sha2_256
            else:
                from ..builtin import has_hash, multihash_digest

                if not has_hash(code):
                    raise UnknownHash(code, hint="add through the CLI (pinned sets serve extension hashers)")
                multihash = lambda block: multihash_digest(block, code)  # noqa: E731
        if code == 0x00:
            multihash = _bounded_identity(multihash)
        if self.options.inline:
            multihash = _inlining(multihash, self.options.inline_limit)
        self._mh = multihash
        self._version = self.options.version
        self._sink = _Sink(store, self.limits.store.batch_bytes, self.limits.store.batch_blocks)
        self._progress = progress
        self._sandbox = sandbox
        self._chunker_module = chunker_module
        self._module: Any = None
        self._done = 0
        self._total: int | None = None
        self._ignore = IgnoreRules(self.options.ignore)

    def _loaded_chunker(self) -> Any:
        if self.spec.module is None or self._module is not None:
            return self._module
        if self._chunker_module is not None:
            self._module = self._chunker_module(self.spec.module)
        else:
            from ..loader import Sandbox

            self._sandbox = self._sandbox or Sandbox(self.limits.sandbox)
            self._module = load_chunker_module(self.spec.module, self.options.chunker_module, self._sandbox)
        return self._module

    def add_stream(self, reader: BinaryIO, meta: Meta | None = None) -> Link:
        """Chunk ``reader`` to its end and store the file DAG; returns the root link. ``meta``
        (default: ``--mode``/``--mtime``, as for Kubo's stdin) goes into the root.

        Progress counts bytes since the last ``add_path`` (or from 0 for a bare stream). Every
        block is committed when it returns."""
        need_stream(reader, "read", "add_stream")
        root = self._file(reader, self.options.meta(None) if meta is None else meta)
        self._sink.flush()
        return root

    def _file(self, reader: BinaryIO, meta: Meta) -> Link:
        """Chunk ``reader`` into a file DAG whose blocks go to the sink (not all committed yet)."""
        chunks = self._counted(iter_chunks(reader, self.spec, module=self._loaded_chunker(), limits=self.limits))
        if self.options.trickle:
            root = trickle(chunks, self._sink, cid_version=self._version, raw_leaves=self.options.leaves_raw,
                           multihash=self._mh, max_links=self.options.file_links, meta=meta)
        else:
            builder = FileBuilder(self._sink, cid_version=self._version, raw_leaves=self.options.leaves_raw,
                                  multihash=self._mh, max_links=self.options.file_links, meta=meta)
            for chunk in chunks:
                builder.add(chunk)
            root = builder.finish()
        return root

    def _counted(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._done += len(chunk)
            self._progress(self._done, self._total)
            yield chunk

    def add_bytes(self, data: bytes) -> Link:
        import io

        return self.add_stream(io.BytesIO(bytes_like(data, "add_bytes")))

    def wrap(self, entries: list[tuple[str, Link]]) -> Added:
        """The folder of Kubo's ``--wrap-with-directory`` holding ``entries``, path ``""``; it
        carries ``options.wrapper_meta`` (``--mode``/``--mtime``), as Kubo's top folder does."""
        return self.folder(entries, self.options.wrapper_meta)

    def folder(self, entries: list[tuple[str, Link]], meta: Meta = NO_META) -> Added:
        """A directory holding ``entries``, path ``""``: by default without metadata, as the
        parent folders Kubo's adder makes on the way to a path (stdin's ``a/b`` under ``-w``)."""
        link, sharded = self._directory(entries, meta)
        self._sink.flush()
        return Added("", link.cid, 0, link.tsize, is_dir=True, sharded=sharded, meta=meta)

    def _directory(self, entries: list[tuple[str, Link]], meta: Meta = NO_META) -> tuple[Link, bool]:
        options = self.options
        link = directory(entries, self._sink, cid_version=self._version, shard_threshold=options.shard_threshold,
                         multihash=self._mh, max_links=options.max_directory_links, meta=meta,
                         fanout=options.max_hamt_fanout)
        return link, should_shard(entries, options.shard_threshold, options.max_directory_links)

    def add_path(self, path: Path, *, recursive: bool = False, wrapped: bool = False,
                 on_entry: Callable[[Added], None] | None = None) -> Iterator[Added]:
        """Add a file (or, with ``recursive``, a directory tree); yields every entry added,
        the given path last. ``on_entry`` is called with each entry, in that order, once its
        blocks are committed (a batch at a time, within ``BATCH_SECONDS``), before a later failure.

        ``wrapped``: the path goes into a ``wrap`` folder, which is then Kubo's top folder, so
        with ``empty_dirs`` false a directory with no entries left is skipped like any folder
        below the top one: nothing is added and nothing is yielded (Kubo 0.43.1's ``-w -E=false``)."""
        path = as_path(path, "add_path")
        try:  # a symlink is added as a symlink, as Kubo, unless symlinks are followed
            st = path.stat() if self.options.follow_symlinks else path.lstat()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", hint="check the path") from None
        if stat_mod.S_ISDIR(st.st_mode) and not recursive:
            raise InvalidInput(f"{path} is a directory", hint="add it with recursive=True, or name a file")
        self._done, self._total = 0, (_tree_size(path) if recursive else st.st_size)
        name = entry_name(path)
        if wrapped and not self.options.empty_dirs and stat_mod.S_ISDIR(st.st_mode) and not self._list(path):
            return iter(())
        results: list[Added] = _Entries(on_entry, self._sink)
        try:
            if stat_mod.S_ISFIFO(st.st_mode):
                self._add_pipe(path, name, results)
            else:
                self._add_entry(path, name, st, results)
        except Exception:
            self._flush_before_error()
            raise
        self._sink.flush()
        log.info("unixfs_added", path=str(path), cid=str(results[-1].cid), bytes=self._done,
                 entries=len(results), blocks=self._sink.blocks, chunker=self.spec.text)
        if self._total != self._done:  # the tree changed while being read, or was empty
            self._progress(self._done, self._done)
        return iter(results)

    def _flush_before_error(self) -> None:
        """Commit what was made before an error (valid blocks; their entries are reported); a
        failure to commit them is logged, the first error is the one raised."""
        try:
            self._sink.flush()
        except Exception as exc:  # noqa: BLE001 - the error being raised matters more
            log.warning("unixfs_flush_failed", error=str(exc))

    def _add_pipe(self, path: Path, rel: str, results: list[Added]) -> None:
        """A named pipe given as the path itself: read to its end as a file, with no mode or
        mtime, as go-ipfs-cmds reads one for Kubo 0.43.1 (a pipe inside a folder is refused)."""
        try:
            with path.open("rb") as reader:
                link = self._file(reader, NO_META)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
        results.append(Added(rel, link.cid, link.filesize, link.tsize))

    def _add_leaf(self, path: Path, rel: str, st: os.stat_result, results: list[Added]) -> Link:
        """A symlink or regular file."""
        mode = st.st_mode
        if stat_mod.S_ISLNK(mode):
            link = symlink(os.readlink(path), self._sink, cid_version=self._version, multihash=self._mh,
                           mtime=self.options.meta(st).mtime)
            results.append(Added(rel, link.cid, 0, link.tsize))
            return link
        if stat_mod.S_ISREG(mode):
            try:
                with path.open("rb") as reader:
                    link = self._file(reader, self.options.meta(st))
            except OSError as exc:
                raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
            results.append(Added(rel, link.cid, link.filesize, link.tsize))
            return link
        raise InvalidInput(f"{path} is not a regular file, directory or symlink", hint="remove it or add its parts")

    def _list(self, path: Path) -> list[str]:
        try:
            names = sorted(os.listdir(path), key=name_bytes)
        except OSError as exc:
            raise InvalidInput(f"cannot list {path}: {exc.strerror or exc}") from None
        if not self.options.hidden:
            names = [n for n in names if not n.startswith(".")]
        if self._ignore:
            names = [n for n in names if not self._ignore.ignores(n)]
        if len(names) > self.limits.unixfs.max_dir_entries:
            raise InvalidInput(f"{path} has {len(names)} entries, over limits.unixfs.max_dir_entries")
        names.reverse()  # popped from the end: name order
        return names

    def _add_entry(self, path: Path, rel: str, st: os.stat_result, results: list[Added]) -> Link:
        """Add a file, symlink or directory tree, depth-first with an explicit stack (any depth)."""
        if not stat_mod.S_ISDIR(st.st_mode):
            return self._add_leaf(path, rel, st, results)
        # frame: (path, rel, its lstat, names left to add, entries added)
        Frame = tuple[Path, str, os.stat_result, list[str], list[tuple[str, Link]]]
        stack: list[Frame] = [(path, rel, st, self._list(path), [])]
        while True:
            dir_path, dir_rel, dir_st, pending, entries = stack[-1]
            if pending:
                name = pending.pop()
                child = dir_path / name
                try:
                    child_st = child.stat() if self.options.follow_symlinks else child.lstat()
                except OSError as exc:
                    raise InvalidInput(f"cannot read {child}: {exc.strerror or exc}") from None
                if stat_mod.S_ISDIR(child_st.st_mode):
                    names = self._list(child)
                    if names or self.options.empty_dirs:  # Kubo: skipped only below the added root
                        stack.append((child, f"{dir_rel}/{name}", child_st, names, []))
                else:
                    entries.append((name, self._add_leaf(child, f"{dir_rel}/{name}", child_st, results)))
                continue
            stack.pop()
            dir_meta = self.options.meta(dir_st)
            link, sharded = self._directory(entries, dir_meta)
            results.append(Added(dir_rel, link.cid, 0, link.tsize, is_dir=True, sharded=sharded, meta=dir_meta))
            if not stack:
                return link
            stack[-1][4].append((dir_path.name, link))


def entry_name(path: str | os.PathLike[str]) -> str:
    """The name an added path gets, as Kubo: the base name of its absolute path (so ``.`` is
    the current folder's name; symlinks in the path are not resolved)."""
    return os.path.basename(os.path.abspath(path)) or os.fspath(path)


def _bounded_identity(multihash: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """Identity "hashes" inline the block in its CID: as Kubo, at most 128 bytes."""
    def bounded(block: bytes) -> bytes:
        if len(block) > IDENTITY_MAX_BYTES:
            raise InvalidInput(f"an identity CID would inline a {len(block)}-byte block (at most {IDENTITY_MAX_BYTES})",
                               hint="use a real hash, or smaller chunks and files")
        return multihash(block)

    return bounded


def _inlining(multihash: Callable[[bytes], bytes], limit: int) -> Callable[[bytes], bytes]:
    """Kubo's ``--inline`` (go-cidutil's ``InlineBuilder``): a block of at most ``limit`` bytes
    is named by an identity multihash (so a CIDv1 of its codec: ``make_cid`` keeps CIDv0 for
    sha2-256 only), a bigger one by ``multihash``. Every block: leaves, file nodes, folders,
    HAMT shards, symlinks."""
    def inlined(block: bytes) -> bytes:
        if len(block) <= limit:
            return bytes([0x00]) + encode_varint(len(block)) + block
        return multihash(block)

    return inlined


class _Entries(list[Added]):
    """The entries added so far; each is handed to ``on_entry`` once its blocks are committed."""

    def __init__(self, on_entry: Callable[[Added], None] | None, sink: _Sink) -> None:
        super().__init__()
        self._on_entry = on_entry
        self._sink = sink

    def append(self, entry: Added) -> None:
        super().append(entry)
        if self._on_entry is not None:
            self._sink.announce(entry, self._on_entry)


def _tree_size(path: Path) -> int | None:
    """Bytes of the regular files under ``path`` (for progress); None if it cannot be read."""
    total = 0
    stack = [os.fspath(path)]
    try:
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
    except OSError:
        return None
    return total


def add_bytes(store: Any, data: bytes, options: AddOptions | None = None, **kw: Any) -> CID:
    """Store ``data`` as a UnixFS file; returns the root CID."""
    return Adder(store, options, **kw).add_bytes(data).cid


class _Collected:
    """A write-only store that keeps the blocks put into it, in order (``file_blocks``)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[CID, bytes]] = []

    def put_many(self, items: Any) -> None:
        self.blocks.extend(items)


def file_blocks(data: bytes, options: AddOptions | None = None) -> tuple[CID, list[tuple[CID, bytes]]]:
    """The root CID and every block (leaves first, root last) of the UnixFS file ``add_bytes``
    makes of ``data`` with ``options``, built in memory and stored nowhere: with
    ``AddOptions(cid_version=1)``, the DAG and CID of ``ipfs add --cid-version=1``."""
    sink = _Collected()
    root = Adder(sink, options).add_bytes(data).cid
    return root, sink.blocks


def add_path(store: Any, path: str | os.PathLike[str], options: AddOptions | None = None, *,
             recursive: bool = False, progress: Callable[..., None] = no_progress, **kw: Any) -> list[Added]:
    """Add a file or directory tree; the last entry is the root of what was added."""
    return list(Adder(store, options, progress=progress, **kw).add_path(as_path(path, "add_path"), recursive=recursive))


GO_ZERO_TIME = (-62135596800, 0)  # 0001-01-01T00:00:00Z, Go's time.Time{} as Unix seconds and nanoseconds


def _stored_mtime(mtime: tuple[int, int] | None) -> tuple[int, int] | None:
    """The mtime an entry stores: none at Go's zero time, which boxo reads as no time
    (``ModTime().IsZero()``), so Kubo 0.43.1 stores none for ``--mtime=-62135596800``."""
    return None if mtime == GO_ZERO_TIME else mtime
