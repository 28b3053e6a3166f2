"""Large content in IPFS terms: BLAKE3 CIDs (raw codec, blake3 multihash) of any size, kept as
their Bao combined encoding under ``<home>/bao/<cid>.bao``, served as verified streams and
slices, and fetched with incremental verification.

Invariants:
- A blob is stored only complete: its encoding is written to a temporary file and renamed
  into place once the root hash is known, so ``<cid>.bao`` is always whole and the CID names
  its content's BLAKE3 hash.
- The stored file is exactly what ``/bao/{cid}`` serves whole (``path``: the server can send
  the file itself); ``serve_stream`` gives the slice for a range in pieces of about ``_PIECE``
  bytes, reading only the nodes the tree needs. Neither verifies: the receiver does.
- ``fetch`` verifies every byte against the CID's digest before ``write`` sees it and stops at
  the first corrupt chunk with ``VerificationFailed``.
- ``verified`` yields stored content only after checking it against the CID (a range through
  its slice, so only the chunks and parents it needs are read): a store that went bad on disk
  stops at the first corrupt chunk rather than serving it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from .._inputs import as_bytes, as_path, need_cid, whole_number
from ..cid import CID
from ..errors import FileSizeLimit, InvalidCID, InvalidInput, NotFound, StoreCorrupt, StorageFull, StoreError
from ..loader._verifier import UNKNOWN_LENGTH, Verifier
from ._body import Body
from ._steps import Readable, check_entry
from ._stream import decode, encode, iter_decode
from ._tree import chunk_offset, covered, iter_slice, slice_size

RAW, BLAKE3 = 0x55, 0x1E
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_WRITE_ERRORS = _FULL | {errno.EFBIG, errno.EACCES, errno.EPERM, errno.EROFS}
_PIECE = 1 << 20
_LEN = struct.Struct("<Q")


def _discard(path: Path) -> None:
    """Remove a temporary file if the folder still lets us (one made read-only meanwhile does
    not: the error being raised is the one to report)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


STALE_PART_S = 60.0
"""A ``.part`` file no process holds a lock on and untouched for this long was left by a writer
that died (killed mid-``add``); the next ``add`` removes it."""


def _sweep_stale_parts(root: Path) -> None:
    """Remove the temporary files of writers that died. A live writer holds an exclusive
    ``flock`` on its ``.part`` file for as long as it writes (the kernel drops it when the
    process dies); the age check covers the instant between a file's creation and its lock."""
    import fcntl
    import time

    now = time.time()
    for part in root.glob("tmp*.part"):
        with contextlib.suppress(OSError):
            fd = os.open(part, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                if now - os.fstat(fd).st_mtime < STALE_PART_S:
                    continue
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: its writer is alive
                part.unlink()
            finally:
                os.close(fd)


def blake3_cid(root: bytes) -> CID:
    """CIDv1, raw codec, blake3 multihash of a 32-byte root hash (else ``InvalidInput``)."""
    root = as_bytes(root, "blake3_cid")
    if len(root) != 32:
        raise InvalidInput(f"blake3_cid needs a 32-byte Bao root hash, not {len(root)} bytes")
    return CID.build(RAW, bytes([BLAKE3, 32]) + root)


def root_of(cid: CID) -> bytes:
    """The Bao root hash a CID names; ``InvalidCID`` unless it is raw + blake3 (32 bytes)."""
    need_cid(cid, "a Bao stream's name")
    if cid.hash_code != BLAKE3 or len(cid.digest) != 32:
        raise InvalidCID(f"{cid} is not a BLAKE3 CID", hint="Bao streams are named by raw + blake3 (0x1e) CIDs")
    return cid.digest


class BlobStore:
    """``<root>/<cid>.bao``: the combined Bao encoding of each BLAKE3 CID held."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = as_path(root, "BlobStore's root folder")

    def add(self, verifier: Verifier, src: Readable) -> CID:
        """Store a content stream of any size as its combined encoding; returns its CID.
        ``StorageFull`` when the disk (or a quota) is full, ``FileSizeLimit`` when the blob's file
        meets this process's file size limit (``EFBIG``), ``StoreError`` when the folder cannot be
        written; nothing is left behind either way. What a killed writer left
        (a ``.part`` file) is removed by a later ``add`` (``_sweep_stale_parts``). Its arguments
        are checked (named ``BlobStore.add``) before anything is written."""
        import fcntl

        check_entry("BlobStore.add", verifier, src)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _sweep_stale_parts(self.root)
            out = tempfile.NamedTemporaryFile(dir=self.root, suffix=".part", delete=False)  # noqa: SIM115
        except OSError as exc:
            raise self._cannot_store(exc) from None
        with contextlib.suppress(OSError):  # where flock is not supported, no file is ever swept
            fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # held until closed: not stale
        with out:
            try:
                cid = blake3_cid(encode(verifier, src, out))  # type: ignore[arg-type]
                out.flush()
                os.replace(out.name, self.path(cid, must_exist=False))
            except OSError as exc:
                _discard(Path(out.name))
                if exc.errno not in _WRITE_ERRORS:  # the source's (a read error): as it is
                    raise
                raise self._cannot_store(exc) from None
            except BaseException:
                _discard(Path(out.name))
                raise
        return cid

    def _cannot_store(self, exc: OSError) -> StoreError:
        from ..store._size_limit import efbig_limit

        text = f"cannot store a blob in {self.root}: {exc.strerror or exc}"
        if (limit := efbig_limit(exc)) is not None:
            return FileSizeLimit(f"{text}: its file met this process's file size limit of {limit} bytes",
                                 hint="raise the file size limit (the shell's ulimit, RLIMIT_FSIZE) to unlimited "
                                      "and add it again: no part of it was kept")
        if exc.errno == errno.EFBIG:  # no limit: the file system's largest file
            return StoreError(f"{text}: the file system holding it cannot hold a file this large",
                              hint="move the home to a file system that can and add it again: "
                                   "no part of it was kept")
        if exc.errno in _FULL:
            return StorageFull(text, hint="free disk space and add it again: no part of it was kept")
        return StoreError(text, hint=f"check that {self.root} is a folder you can write")

    def path(self, cid: CID, *, must_exist: bool = True) -> Path:
        """The stored encoding of ``cid``; ``NotFound`` when it is not held here."""
        root_of(cid)
        path = self.root / f"{cid}.bao"
        if must_exist and not path.exists():
            raise NotFound(f"{cid} is not stored as a Bao blob here", hint="add it with `autocodec bao add FILE`")
        return path

    def length(self, cid: CID) -> int:
        """The content length (the encoding's 8-byte header)."""
        with open(self.path(cid), "rb") as f:
            header = f.read(_LEN.size)
        if len(header) != _LEN.size:  # held, but damaged: not a "not found"
            raise StoreCorrupt(f"the stored encoding of {cid} is truncated (shorter than its length header)",
                               hint="add the content again")
        return int(_LEN.unpack(header)[0])

    def content_offset(self, cid: CID, at: int) -> int:
        """Where content byte ``at`` lies in the stored encoding (for tools and tests)."""
        length = self.length(cid)
        return chunk_offset(at // 1024, length) + at % 1024

    def stream_size(self, cid: CID, start: int = 0, count: int | None = None) -> int:
        """Bytes ``serve_stream`` yields for the same arguments."""
        length = self.length(cid)
        if count is None:
            return slice_size(0, max(length, 1), length)
        return slice_size(start, count, length)

    def serve_stream(self, cid: CID, start: int = 0, count: int | None = None) -> Iterator[bytes]:
        """The combined encoding of ``cid`` (``count`` None: the stored file as is), or the
        slice ``(start, count)``, in pieces of about ``_PIECE`` bytes. ``NotFound`` (or a wrong
        argument) is raised here, not at the first piece."""
        path = self.path(cid)
        if count is not None:
            covered(start, count, 0)
        return self._serve_stream(path, start, count)

    @staticmethod
    def _serve_stream(path: Path, start: int, count: int | None) -> Iterator[bytes]:
        with open(path, "rb") as f:
            if count is None:
                while piece := f.read(_PIECE):
                    yield piece
                return
            pending: list[bytes] = []
            size = 0
            for piece in iter_slice(start, count, f):
                pending.append(piece)
                size += len(piece)
                if size >= _PIECE:
                    yield b"".join(pending)
                    pending.clear()
                    size = 0
            if pending:
                yield b"".join(pending)

    def verified(self, verifier: Verifier, cid: CID, start: int = 0, count: int | None = None, *,
                 threads: int | None = None) -> Generator[memoryview, None, None]:
        """The content of ``cid`` (with ``count``, bytes ``[start, start+count)`` clamped to it),
        verified against the CID as it is read, in pieces valid until the next one; a whole
        content on ``threads`` threads (``iter_decode``). ``NotFound`` (or a wrong argument) is
        raised here, not at the first piece."""
        root, path = root_of(cid), self.path(cid)
        covered(start, UNKNOWN_LENGTH if count is None else count, 0)
        if threads is not None:
            whole_number(threads, "verified's threads")
        return self._verified(verifier, root, path, start, count, threads)

    @staticmethod
    def _verified(verifier: Verifier, root: bytes, path: Path, start: int, count: int | None,
                  threads: int | None) -> Generator[memoryview, None, None]:
        with open(path, "rb") as f:
            if count is None and start == 0:
                yield from iter_decode(verifier, root, f, threads=threads)
                return
            wanted = UNKNOWN_LENGTH if count is None else count
            reader = _PieceReader(iter_slice(start, wanted, f))
            yield from iter_decode(verifier, root, reader, start=start, count=wanted, slice_input=True)


class _PieceReader:
    """``read(n)`` over an iterator of byte pieces."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._head = b""

    def read(self, n: int = -1) -> bytes:
        out: list[bytes] = []
        size = 0
        while n < 0 or size < n:
            if not self._head:
                self._head = next(self._pieces, b"")
                if not self._head:
                    break
            take = self._head if n < 0 else self._head[: n - size]
            self._head = self._head[len(take):]
            out.append(take)
            size += len(take)
        return out[0] if len(out) == 1 else b"".join(out)


def fetch(verifier: Verifier, cid: CID, stream: BinaryIO, write: Callable[[memoryview], object], *,
          start: int = 0, count: int | None = None, source: str | None = None) -> int:
    """Verify a served stream (the combined encoding, or with ``count`` the slice) against
    ``cid`` and ``write`` its verified content; returns the bytes written. ``stream`` is read
    as ``_body.Body`` reads it: a read that fails (a reset, a timeout, HTTP framing broken
    mid-body) is a ``FetchError`` naming ``source`` (default: the response's URL), and the
    bytes that have arrived are verified and written without waiting for more. A failure of
    ``write`` (a full disk, a closed pipe) stays its own."""
    check_entry("fetch", verifier, stream)
    root = root_of(cid)
    where = source if source is not None else str(getattr(stream, "url", None) or "the stream")
    body = cast(BinaryIO, stream if isinstance(stream, Body) else Body(stream, where, cid))
    if count is None:
        return decode(verifier, root, body, write, start=start, count=UNKNOWN_LENGTH)
    return decode(verifier, root, body, write, start=start, count=count, slice_input=True)
