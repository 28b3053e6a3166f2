"""Streaming Bao encode and verified decode over files, driving a verifier module.

Invariants:
- Memory is bounded for any content length: pieces of at most the module's
  ``stream_chunk_bytes`` go in, verified bytes come out as they are checked.
- ``decode`` writes only verified bytes: every byte handed to ``write`` was checked by the
  module against the root hash; the first bad chunk or parent raises ``VerificationFailed``
  (nothing of that piece is written) and an early end raises it too.
- ``encode`` needs a seekable output (the tree is written in post-order and flipped in
  place); ``encode_to`` spools through a temporary file for pipes.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from ..errors import GuestError, IntegrityError, InvalidInput
from ..loader._verifier import (
    DONE,
    TREE_HOLD,
    DecodeStream,
    FAILED,
    MODE_COMBINED,
    MODE_HASH,
    MODE_OUTBOARD,
    MODE_SLICE,
    NEED_TREE,
    UNKNOWN_LENGTH,
    Verifier,
)
from ._tree import HEADER, emission_order, flip_to_preorder

_LEN = struct.Struct("<Q")
_TREE_READ = 64 * 1024


class Readable(Protocol):
    """What the decoders read from: a binary file, an HTTP response, a reader of pieces."""

    def read(self, size: int = -1, /) -> bytes: ...


class VerificationFailed(IntegrityError):
    """An encoding, outboard or slice that does not match its root hash (first bad piece)."""

    hint = "the data is corrupt or not the one this hash names; bytes before the bad chunk were verified"


def bao_hash(verifier: Verifier, src: Readable) -> bytes:
    """The Bao (= BLAKE3) root hash of a stream of any length."""
    enc = verifier.encoder(UNKNOWN_LENGTH, MODE_HASH)
    piece, ended = enc.max_piece, False
    read_into = _reader_into(src)
    while not ended:
        ended = enc.pull(read_into, piece)[2]
    return enc.final()[1]


def _known_length(src: Readable) -> int | None:
    """Bytes left in ``src`` when it is a regular file (so the tree's shape is known), else None."""
    try:
        fileno = src.fileno()  # type: ignore[attr-defined]
        st = os.fstat(fileno)
        if not stat.S_ISREG(st.st_mode):
            return None
        return max(0, st.st_size - src.tell())  # type: ignore[attr-defined, no-any-return]
    except (AttributeError, OSError, ValueError):
        return None


class _Placer:
    """Writes the encoder's output pieces at their final offsets (``emission_order``): with
    ``pwrite`` on the file's descriptor when it has one (no seek, no buffer flush per piece),
    else by seeking."""

    def __init__(self, dst: BinaryIO, base: int, length: int, outboard: bool) -> None:
        self._dst, self._base = dst, base
        self._items = emission_order(length, outboard=outboard)
        self._at, self._left, self._pos = 0, 0, -1
        try:
            dst.flush()
            self._fd: int | None = dst.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None

    def write(self, out: bytes | memoryview) -> None:
        view, done = memoryview(out), 0
        while done < len(view):
            if not self._left:
                try:
                    self._at, self._left = next(self._items)
                except StopIteration:
                    raise InvalidInput("the encoder wrote more than the tree holds") from None
                continue
            take = min(self._left, len(view) - done)
            piece = view[done:done + take]
            if self._fd is not None:
                while piece:
                    wrote = os.pwrite(self._fd, piece, self._base + self._at)
                    self._at += wrote
                    piece = piece[wrote:]
            else:
                if self._pos != self._at:
                    self._dst.seek(self._base + self._at)
                self._dst.write(piece)
                self._at += take
                self._pos = self._at
            self._left -= take
            done += take


def _appending(dst: BinaryIO) -> bool:
    """Whether writes to ``dst`` go to its end whatever its position (append mode, or a
    descriptor with O_APPEND such as a shell's ``>>``)."""
    if "a" in str(getattr(dst, "mode", "")):
        return True
    try:
        import fcntl

        return bool(fcntl.fcntl(dst.fileno(), fcntl.F_GETFL) & os.O_APPEND)
    except (AttributeError, OSError, ValueError, ImportError):
        return False


def encode(verifier: Verifier, src: Readable, dst: BinaryIO, *, outboard: bool = False) -> bytes:
    """Write the combined (or outboard) encoding of ``src`` to the seekable ``dst`` from its
    current position; returns the root hash. From a regular file (its length known) every piece
    goes straight to its place; from a stream the tree is flipped to pre-order at the end."""
    if _appending(dst):
        raise InvalidInput("the encoding's output is written out of order: open it for writing, not appending",
                           hint="write to a new file, or give a pipe and it is spooled through a temporary file")
    base = dst.tell()
    known = _known_length(src)
    enc = verifier.encoder(UNKNOWN_LENGTH, MODE_OUTBOARD if outboard else MODE_COMBINED)
    piece, length, ended = enc.max_piece, 0, False
    read_into = _reader_into(src)
    if known is not None:
        dst.write(_LEN.pack(known))
        placer = _Placer(dst, base, known, outboard)  # flushes the header first
        while not ended:
            out, got, ended = enc.pull(read_into, piece)
            length += got
            placer.write(out)
        rest, root = enc.final()
        placer.write(rest)
        if length != known:
            raise InvalidInput(f"the file changed while it was encoded ({length} bytes read, {known} expected)")
        dst.seek(0, 2)
        return root
    dst.write(b"\0" * HEADER)
    while not ended:  # read straight into the guest's input (no bytes object per piece)
        out, got, ended = enc.pull(read_into, piece)
        length += got
        dst.write(out)
    rest, root = enc.final()
    dst.write(rest)
    dst.seek(base)
    dst.write(_LEN.pack(length))
    flip_to_preorder(dst, base + HEADER, length, outboard=outboard)
    dst.seek(0, 2)
    return root


def encode_to(verifier: Verifier, src: Readable, dst: BinaryIO, *, outboard: bool = False) -> bytes:
    """``encode`` to any output: seekable files directly, pipes through a temporary file."""
    try:
        seekable = dst.seekable() and not _appending(dst)  # an appending file is written in order, spooled
    except (AttributeError, OSError):
        seekable = False
    if seekable:
        return encode(verifier, src, dst, outboard=outboard)
    with tempfile.TemporaryFile() as tmp:
        root = encode(verifier, src, tmp, outboard=outboard)
        tmp.seek(0)
        shutil.copyfileobj(tmp, dst, 1 << 20)
    return root


def _failed(exc: GuestError) -> VerificationFailed:
    return VerificationFailed(exc.message)


def _reader_into(src: Readable) -> Callable[[memoryview], int]:
    """``src.readinto`` (files, BytesIO, HTTP responses, ``_Tee``), else ``read`` copied into
    the room given (a ``RawIOBase`` subclass need not implement ``readinto``)."""
    into = getattr(src, "readinto", None)
    if into is not None and (isinstance(src, io.FileIO) or not isinstance(src, io.RawIOBase)):
        return into  # type: ignore[no-any-return]

    def read_into(room: memoryview) -> int:
        data = src.read(len(room))
        room[:len(data)] = data
        return len(data)

    return read_into


def _held_steps(dec: DecodeStream, src: Readable, outboard: BinaryIO | None) -> Iterator[memoryview]:
    """Verified pieces from a module that holds the outboard itself: the tree is handed over
    ahead (``TREE_HOLD`` at most), data is read straight into the guest (``DecodeStream.pull``:
    whole pieces from offset 0, so the guest takes all of it but a short last chunk), and
    outboard verified bytes are views of that input (each valid until the next piece). (Reading
    a socket ahead in a helper thread was tried: on two cores shared with the server it was
    slower, the receive and the verification competing for the same CPUs.)"""
    held = 0
    carry = b""
    piece = dec.max_piece
    read_into = _reader_into(src)
    tree_eof, data_eof = outboard is None, False
    while True:
        if outboard is not None and not tree_eof and held <= TREE_HOLD // 2:
            more = outboard.read(TREE_HOLD - held)
            if more:
                held = dec.tree(more)
            else:
                tree_eof = True
        step, given, ended = dec.pull(read_into if not data_eof else _nothing, piece, carry)
        data_eof = data_eof or ended
        held -= step.tree_used
        if step.verified:
            yield step.verified
        carry = bytes(given[step.data_used:])  # copied out before the next call reuses the input
        if step.need in (DONE, FAILED):
            break
        if (step.need == NEED_TREE and tree_eof) or (step.need != NEED_TREE and data_eof):
            break  # the stream it needs has ended: final() says the encoding is short
    dec.final()


def _nothing(room: memoryview) -> int:
    return 0


def _frame_steps(dec: DecodeStream, src: Readable, outboard: BinaryIO | None) -> Iterator[memoryview]:
    """Verified pieces through the one-frame protocol (modules without ``ac_vfy_data``)."""
    tree, data = b"", b""
    tree_room = 2 * _TREE_READ if outboard is not None else 0
    data_room = dec.max_piece - tree_room
    tree_eof = outboard is None
    data_eof = False
    while True:
        # top both buffers up (the tree ahead of its data, so calls are rarely tree-bound)
        if outboard is not None and not tree_eof and len(tree) <= _TREE_READ:
            more = outboard.read(tree_room - len(tree))
            tree_eof = not more
            tree = tree + more if tree else more
        if not data_eof and len(data) < data_room // 2:
            more = src.read(data_room - len(data))
            data_eof = not more
            data = data + more if data else more
        step = dec.update(tree, data)
        tree = tree[step.tree_used:] if step.tree_used < len(tree) else b""
        data = data[step.data_used:] if step.data_used < len(data) else b""
        if step.verified:
            yield step.verified
        if step.need in (DONE, FAILED):
            break
        if (step.need == NEED_TREE and tree_eof) or (step.need != NEED_TREE and data_eof):
            break  # the stream it needs has ended: final() says the encoding is short
    dec.final()


def iter_decode(verifier: Verifier, root: bytes, src: Readable, *, outboard: BinaryIO | None = None,
                start: int = 0, count: int = UNKNOWN_LENGTH, slice_input: bool = False) -> Iterator[memoryview]:
    """``decode`` as an iterator of verified pieces (each valid until the next is asked for);
    ``VerificationFailed`` at the first bad node, after the pieces verified before it."""
    if outboard is not None and slice_input:
        raise InvalidInput("a slice carries its own tree: it takes no outboard")
    mode = MODE_OUTBOARD if outboard is not None else MODE_SLICE if slice_input else MODE_COMBINED
    try:
        dec = verifier.decoder(root, mode, start, count, ranges=True)
        steps = _held_steps(dec, src, outboard) if dec.held_tree else _frame_steps(dec, src, outboard)
        yield from steps
    except GuestError as exc:
        raise _failed(exc) from None


def decode(verifier: Verifier, root: bytes, src: BinaryIO, write: Callable[[memoryview], object], *,
           outboard: BinaryIO | None = None, start: int = 0, count: int = UNKNOWN_LENGTH,
           slice_input: bool = False) -> int:
    """Verify ``src`` against ``root`` and ``write`` the verified content bytes in
    ``[start, start+count)``; returns how many were written.

    ``src`` is a combined encoding, or with ``outboard`` the content itself (the outboard
    tree comes from ``outboard``), or with ``slice_input`` a slice for ``(start, count)``.
    """
    written = 0
    for piece in iter_decode(verifier, root, src, outboard=outboard, start=start, count=count,
                             slice_input=slice_input):
        write(piece)
        written += len(piece)
    return written
