"""Large content in IPFS terms: BLAKE3 CIDs (raw codec, blake3 multihash) of any size, kept as
content + Bao outboard under ``<home>/bao/``, served as verified streams and slices, and
fetched with incremental verification.

Invariants:
- A blob is stored only complete: content and outboard are written to temporary files and
  renamed into place after the root hash is known, so ``<cid>.data``/``<cid>.obao`` always
  belong together and the CID names the content's BLAKE3 hash.
- ``serve_stream`` yields the combined encoding (or the slice for a range) built from the
  stored content and outboard in pieces of at most ``_PIECE`` bytes; it verifies nothing (the
  receiver does) but it never reads more than the tree needs.
- ``fetch`` verifies every byte against the CID's digest before ``write`` sees it and stops at
  the first corrupt chunk with ``VerificationFailed``.
- ``verified`` yields stored content only after checking it against the CID (a range through
  its slice, so only the chunks and parents it needs are read): a store that went bad on disk
  stops at the first corrupt chunk rather than serving it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, BinaryIO

from ..cid import CID
from ..errors import InvalidCID, NotFound
from ..loader._verifier import UNKNOWN_LENGTH, Verifier
from ._stream import _reader_into, decode, encode, iter_decode
from ._tree import iter_slice, slice_size

RAW, BLAKE3 = 0x55, 0x1E
_PIECE = 1 << 20


def blake3_cid(root: bytes) -> CID:
    """CIDv1, raw codec, blake3 multihash of a 32-byte root hash."""
    return CID.build(RAW, bytes([BLAKE3, 32]) + root)


def root_of(cid: CID) -> bytes:
    """The Bao root hash a CID names; ``InvalidCID`` unless it is raw + blake3 (32 bytes)."""
    if cid.hash_code != BLAKE3 or len(cid.digest) != 32:
        raise InvalidCID(f"{cid} is not a BLAKE3 CID", hint="Bao streams are named by raw + blake3 (0x1e) CIDs")
    return cid.digest


class BlobStore:
    """``<root>/<cid>.data`` and ``<root>/<cid>.obao`` for BLAKE3 CIDs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, verifier: Verifier, src: BinaryIO) -> CID:
        """Store a content stream of any size with its outboard; returns its CID."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, suffix=".part", delete=False) as data, \
                tempfile.NamedTemporaryFile(dir=self.root, suffix=".part", delete=False) as tree:
            try:
                copied = _Tee(src, data)
                root = encode(verifier, copied, tree, outboard=True)  # type: ignore[arg-type]
                cid = blake3_cid(root)
                data.flush()
                tree.flush()
                os.replace(data.name, self.root / f"{cid}.data")
                os.replace(tree.name, self.root / f"{cid}.obao")
            except BaseException:
                for name in (data.name, tree.name):
                    Path(name).unlink(missing_ok=True)
                raise
        return cid

    def paths(self, cid: CID) -> tuple[Path, Path]:
        root_of(cid)
        data, tree = self.root / f"{cid}.data", self.root / f"{cid}.obao"
        if not data.exists() or not tree.exists():
            raise NotFound(f"{cid} is not stored as a Bao blob here", hint="add it with `autocodec bao add FILE`")
        return data, tree

    def length(self, cid: CID) -> int:
        return self.paths(cid)[0].stat().st_size

    def stream_size(self, cid: CID, start: int = 0, count: int | None = None) -> int:
        """Bytes ``serve_stream`` yields for the same arguments."""
        length = self.length(cid)
        if count is None:
            return slice_size(0, max(length, 1), length)
        return slice_size(start, count, length)

    def serve_stream(self, cid: CID, start: int = 0, count: int | None = None) -> Iterator[bytes]:
        """The combined encoding of ``cid`` (``count`` None: every node), or the slice
        ``(start, count)``, in pieces of about ``_PIECE`` bytes."""
        data_path, tree_path = self.paths(cid)
        length = data_path.stat().st_size
        if count is None:
            start, count = 0, max(length, 1)
        pending: list[bytes] = []
        size = 0
        with open(data_path, "rb") as data, open(tree_path, "rb") as tree:
            for piece in iter_slice(start, count, tree, data=data):
                pending.append(piece)
                size += len(piece)
                if size >= _PIECE:
                    yield b"".join(pending)
                    pending.clear()
                    size = 0
        if pending:
            yield b"".join(pending)


    def verified(self, verifier: Verifier, cid: CID, start: int = 0,
                 count: int | None = None) -> Generator[memoryview, None, None]:
        """The content of ``cid`` (with ``count``, bytes ``[start, start+count)`` clamped to it),
        verified against the CID as it is read, in pieces valid until the next one."""
        data_path, tree_path = self.paths(cid)
        root = root_of(cid)
        with open(data_path, "rb") as data, open(tree_path, "rb") as tree:
            if count is None and start == 0:
                yield from iter_decode(verifier, root, data, outboard=tree)
                return
            wanted = UNKNOWN_LENGTH if count is None else count
            reader = _PieceReader(iter_slice(start, wanted, tree, data=data))
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


class _Tee:
    """A reader that copies what it reads into ``sink``."""

    def __init__(self, src: BinaryIO, sink: IO[bytes]) -> None:
        self._src, self._sink = src, sink

    def read(self, n: int = -1) -> bytes:
        data = self._src.read(n)
        if data:
            self._sink.write(data)
        return data

    def readinto(self, room: memoryview) -> int:
        """Read into ``room`` (the verifier's input) and copy exactly those bytes to the sink."""
        n = _reader_into(self._src)(room) or 0
        if n:
            self._sink.write(room[:n])
        return n


def fetch(verifier: Verifier, cid: CID, stream: BinaryIO, write: Callable[[memoryview], object], *,
          start: int = 0, count: int | None = None) -> int:
    """Verify a served stream (the combined encoding, or with ``count`` the slice) against
    ``cid`` and ``write`` its verified content; returns the bytes written."""
    root = root_of(cid)
    if count is None:
        return decode(verifier, root, stream, write, start=start, count=UNKNOWN_LENGTH)
    return decode(verifier, root, stream, write, start=start, count=count, slice_input=True)
