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

import contextlib
import os
import re
import shutil
import stat
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..errors import AutocodecError, GuestError, IntegrityError, InvalidInput
from ..loader._verifier import (
    MODE_COMBINED,
    MODE_HASH,
    MODE_OUTBOARD,
    MODE_SLICE,
    UNKNOWN_LENGTH,
    Verifier,
)
from .._inputs import as_bytes, guard_read, is_closed, need_stream, whole_number, write_failed
from ._steps import Placer, Readable, check_entry, frame_steps, held_steps, reader_into, reserve
from ._tree import HEADER, chunk_count, encoded_size, flip_to_preorder
from . import _tiles

_LEN = struct.Struct("<Q")


class VerificationFailed(IntegrityError):
    """An encoding, outboard or slice that does not match its root hash (first bad piece)."""

    hint = "the data is corrupt or not the one this hash names; bytes before the bad chunk were verified"


def _tiling(verifier: Verifier, length: int, threads: int | None = None) -> tuple[int, int] | None:
    """``(chunks per tile, threads)`` when a content of ``length`` bytes is worth several
    threads (``_tiles.plan``; ``threads`` None: one per CPU) and the module can join subtrees,
    else None."""
    if not verifier.joins:
        return None
    threads = _tiles.workers() if threads is None else threads
    t = _tiles.plan(length, threads)
    return None if t is None else (t, threads)


def _fd_of(f: object) -> int | None:
    try:
        return int(f.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None


@contextlib.contextmanager
def _held(f: object) -> Iterator[int | None]:
    """A descriptor of ``f``'s own open file for the whole call (a ``dup``), or None when it
    has none: positional reads and writes go through it, so ``f`` closed by another thread in
    the middle of the call, and its number reused for another file, can never make them read
    or write that other file."""
    fd = _fd_of(f)
    if fd is None:
        yield None
        return
    try:
        held = os.dup(fd)
    except OSError:
        yield None
        return
    try:
        yield held
    finally:
        os.close(held)


def _encode_tiled(verifier: Verifier, src: Readable, known: int | None, dst_fd: int | None, base: int, *,
                  outboard: bool, hash_only: bool = False, group_log: int = 0) -> bytes | None:
    """The root hash, having encoded (or only hashed) the regular file ``src`` on every core
    (``_tiles.encode_fd``: positional reads and writes, ``src`` left at its end); None when
    tiles do not apply (no length or descriptor, too small, one CPU), for the one stream."""
    if known is None or _fd_of(src) is None or (dst_fd is None and not hash_only):
        return None
    tiling = _tiling(verifier, known)
    if tiling is None:
        return None
    at = src.tell()  # type: ignore[attr-defined]
    with _held(src) as src_fd:
        if src_fd is None:
            return None
        root = _tiles.encode_fd(verifier, src_fd, at, known, dst_fd, base, outboard=outboard, t=tiling[0],
                                threads=tiling[1], group_log=group_log)
    src.seek(at + known)  # type: ignore[attr-defined]
    return root


def bao_hash(verifier: Verifier, src: Readable) -> bytes:
    """The Bao (= BLAKE3) root hash of a stream of any length (a regular file on every core)."""
    check_entry("bao_hash", verifier, src)
    root = _encode_tiled(verifier, src, _known_length(src), None, 0, outboard=False, hash_only=True)
    if root is not None:
        return root
    enc = verifier.encoder(UNKNOWN_LENGTH, MODE_HASH)
    piece, ended = enc.max_piece, False
    read_into = reader_into(src, "bao_hash")
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


def encode(verifier: Verifier, src: Readable, dst: BinaryIO, *, outboard: bool = False, group_log: int = 0) -> bytes:
    """Write the combined (or outboard) encoding of ``src`` to the seekable ``dst`` from its
    current position; returns the root hash. From a regular file (its length known) every piece
    goes straight to its place; from a stream the tree is flipped to pre-order at the end.
    ``group_log`` > 0: chunk groups of 2^group_log chunks (Iroh's bao-tree; 4 is 16 KiB).
    When it fails, a file ``dst`` is cut back to its length before (the encoding's room is
    reserved at once: a failure must not leave a file that looks whole). ``dst`` closed in the
    middle of the call is ``InvalidInput`` naming it, as it is at the call's start; a full disk
    stays the ``OSError`` it is."""
    group_log = _check_encode("encode", verifier, src, dst, group_log)
    if _appending(dst):
        raise InvalidInput("the encoding's output is written out of order: open it for writing, not appending",
                           hint="write to a new file, or give a pipe and it is spooled through a temporary file")
    with _held(dst) as dst_fd:
        before = _file_size(dst_fd)
        try:
            return _encode(verifier, src, dst, dst_fd, outboard, group_log)
        except BaseException as exc:
            if before is not None and dst_fd is not None:
                with contextlib.suppress(OSError, ValueError):
                    dst.flush()  # buffered pieces land now, not past the cut when the file is closed
                    if os.fstat(dst_fd).st_size > before:
                        os.ftruncate(dst_fd, before)
            closed = _closed_output(exc, dst, "encode's output")
            if closed is not None:
                raise closed from None
            raise


def _closed_output(exc: BaseException, dst: object, what: str) -> InvalidInput | None:
    """``write_failed``'s typed error when ``exc`` is io's failure (``ValueError``, or
    ``EBADF``'s ``OSError`` from a write to its old descriptor) of an output ``dst`` that is now
    closed; else None. One place for every write of a call (pieces, header, flip, tiles)."""
    if isinstance(exc, AutocodecError) or not isinstance(exc, (ValueError, OSError)):
        return None
    return write_failed(dst, what)


def _file_size(fd: int | None) -> int | None:
    """The size of the regular file ``fd``, else None."""
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _encode(verifier: Verifier, src: Readable, dst: BinaryIO, dst_fd: int | None, outboard: bool,
            group_log: int) -> bytes:
    base = dst.tell()
    known = _known_length(src)
    if dst_fd is not None:
        dst.flush()  # positional writes follow (the tiles', or the placer's)
        if known is not None:
            reserve(dst_fd, base, HEADER + encoded_size(0, chunk_count(known), known, outboard=outboard,
                                                         leaf=1 << group_log))
    root = _encode_tiled(verifier, src, known, dst_fd, base, outboard=outboard, group_log=group_log)
    if root is not None:
        dst.seek(0, 2)
        return root
    enc = verifier.encoder(UNKNOWN_LENGTH, MODE_OUTBOARD if outboard else MODE_COMBINED, group_log=group_log)
    leaf = 1 << group_log
    piece, length, ended = enc.max_piece, 0, False
    read_into = reader_into(src, "encode")
    if known is not None:
        if dst_fd is None:
            dst.write(_LEN.pack(known))
        else:  # every byte through the held descriptor (``_held``)
            os.pwrite(dst_fd, _LEN.pack(known), base)
        placer = Placer(dst if dst_fd is None else dst_fd, base, known, outboard, leaf)
        while not ended:
            out, got, ended = enc.pull(read_into, piece)
            length += got
            placer.write(out)
        rest, root = enc.final()
        placer.write(rest)
        if length != known:
            raise InvalidInput(f"the file changed while it was encoded ({length} bytes read, {known} expected)")
        placer.close()
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
    flip_to_preorder(dst, base + HEADER, length, outboard=outboard, leaf=leaf)
    dst.seek(0, 2)
    return root


def encode_to(verifier: Verifier, src: Readable, dst: BinaryIO, *, outboard: bool = False, group_log: int = 0) -> bytes:
    """``encode`` to any output: seekable files directly, pipes through a temporary file."""
    _check_encode("encode_to", verifier, src, dst, group_log)
    try:
        seekable = dst.seekable() and not _appending(dst)  # an appending file is written in order, spooled
    except (AttributeError, OSError):
        seekable = False
    if seekable:
        return encode(verifier, src, dst, outboard=outboard, group_log=group_log)
    with tempfile.TemporaryFile() as tmp:
        root = encode(verifier, src, tmp, outboard=outboard, group_log=group_log)
        tmp.seek(0)
        shutil.copyfileobj(tmp, dst, 1 << 20)
    return root


def _check_encode(what: str, verifier: Verifier, src: Readable, dst: BinaryIO, group_log: int) -> int:
    """``check_entry`` and an output with ``write``, before any byte is read or written."""
    group_log = check_entry(what, verifier, src, group_log)
    need_stream(dst, "write", f"{what}'s output")
    return group_log


def _failed(exc: GuestError) -> VerificationFailed:
    return VerificationFailed(exc.message)


def iter_decode(verifier: Verifier, root: bytes, src: Readable, *, outboard: BinaryIO | None = None,
                start: int = 0, count: int = UNKNOWN_LENGTH, slice_input: bool = False,
                threads: int | None = None, group_log: int = 0) -> Iterator[memoryview]:
    """``decode`` as an iterator of verified pieces (each valid until the next is asked for);
    ``VerificationFailed`` at the first bad node, after the pieces verified before it.
    ``threads``: how many verify a whole encoding at once (None: one per CPU; 1: one stream,
    what a server answering many requests at once wants). ``group_log``: the encoding's chunk
    groups (0: Bao's format). The arguments are checked here, not at the first piece.

    With a ``count`` (not a slice), reading stops once ``count`` bytes came out, as the
    reference ``bao decode --count`` stops: damage past the range is not seen. ``count`` 0
    writes nothing; at ``start`` 0 it reads nothing, elsewhere it checks the way down to the
    chunk at ``start`` (the final chunk past the end)."""
    group_log = check_entry("decode", verifier, src, group_log)
    root = as_bytes(root, "decode's root")
    if outboard is not None:
        need_stream(outboard, "read", "decode's outboard")
    start = whole_number(start, "decode's start", most=UNKNOWN_LENGTH)
    count = whole_number(count, "decode's count", most=UNKNOWN_LENGTH)
    if threads is not None:
        whole_number(threads, "decode's threads")
    if outboard is not None and slice_input:
        raise InvalidInput("a slice carries its own tree: it takes no outboard")
    pieces = _iter_decode(verifier, root, src, outboard, start, count, slice_input, threads, group_log)
    if slice_input or start or count != UNKNOWN_LENGTH:
        return pieces
    return _hinting(pieces, outboard if outboard is not None else src, outboard is not None, group_log)


GUESSED_GROUP_LOGS = range(0, 9)
"""The chunk group logs a failed decode's sizes are compared with (groups of 1 to 256 chunks)."""


def _hinting(pieces: Iterator[memoryview], tree: Readable, outboard: bool, group_log: int) -> Iterator[memoryview]:
    """``pieces``, with the hint of a ``VerificationFailed`` naming the group log the encoding's
    size fits when ``group_log`` does not fit it (an encoding made with chunk groups decoded
    without them, or the other way: the first mismatch is at the first node, or where the two
    trees part, under the first groups). Words only: what is verified, and when it fails, stay."""
    base = _position(tree)
    try:
        yield from pieces
    except VerificationFailed as exc:
        fits = None if base is None else _fitting_group_log(tree, base, outboard, group_log)
        if fits is None:
            raise
        what = "no chunk groups: its size fits group log 0, Bao's own format" if fits == 0 else \
            f"chunk groups: its size fits group log {fits}, groups of {1 << fits} chunks"
        raise VerificationFailed(exc.message, hint=(
            f"the encoding may use {what}, not group log {group_log} as given; decode it with group log {fits}")) from None


def _position(f: Readable) -> int | None:
    """Where a regular file ``f`` is read from (None for anything else: no sizes to compare)."""
    fd = _fd_of(f)
    try:
        tell = getattr(f, "tell", None)
        return int(tell()) if tell is not None and fd is not None and stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, AttributeError, ValueError):
        return None


def _fitting_group_log(tree: Readable, base: int, outboard: bool, group_log: int) -> int | None:
    """The smallest group log (other than ``group_log``) whose encoding of the length in the
    header at ``base`` has exactly the size of ``tree`` from ``base``; None when ``group_log``
    fits too, or none does."""
    fd = _fd_of(tree)
    try:
        assert fd is not None
        header, size = os.pread(fd, HEADER, base), os.fstat(fd).st_size - base
    except (OSError, AssertionError):
        return None
    if len(header) != HEADER:
        return None
    length = _LEN.unpack(header)[0]

    def size_for(g: int) -> int:
        return HEADER + encoded_size(0, chunk_count(length), length, outboard=outboard, leaf=1 << g)

    if size_for(group_log) == size:
        return None
    return next((g for g in GUESSED_GROUP_LOGS if g != group_log and size_for(g) == size), None)


def _iter_decode(verifier: Verifier, root: bytes, src: Readable, outboard: BinaryIO | None, start: int, count: int,
                 slice_input: bool, threads: int | None, group_log: int) -> Iterator[memoryview]:
    """``iter_decode`` once its arguments are checked; an early end's message says how many
    encoded bytes came (``_Received``)."""
    received = _Received(src) if outboard is None else None
    try:
        yield from _decode_steps(verifier, root, received or src, outboard, start, count, slice_input, threads,
                                 group_log)
    except VerificationFailed as exc:
        if received is None:
            raise
        raise VerificationFailed(received.note(exc.message), hint=exc.hint) from None


_EARLY = re.compile(r"ended early \(after (\d+) encoded bytes\)")


class _Received:
    """``src`` read through, counting the bytes it gave (a regular file: its size from where
    reading began, as the tiles read it by position)."""

    def __init__(self, src: Readable) -> None:
        self._src, self.count = src, 0
        self._base = _position(src)
        self._into = reader_into(src, "decode")
        self._read = guard_read(src.read, src, "decode")
        for name in ("ready", "arriving", "fileno", "seekable", "tell", "seek"):
            if hasattr(src, name):
                setattr(self, name, getattr(src, name))

    @property
    def closed(self) -> bool:
        return is_closed(self._src)

    def readinto(self, room: memoryview) -> int:
        n = self._into(room)
        self.count += n
        return n

    def read(self, n: int = -1) -> bytes:
        data = self._read(n)
        self.count += len(data)
        return data

    def received(self) -> int:
        fd = _fd_of(self._src)
        if self._base is not None and fd is not None:
            with contextlib.suppress(OSError):
                return max(self.count, os.fstat(fd).st_size - self._base)
        return self.count

    def note(self, message: str) -> str:
        """The module's "ended early (after N encoded bytes)", N its whole nodes, said with
        the bytes that came: ``R encoded bytes received, the last R - N of them a node cut
        short``."""
        found = _EARLY.search(message)
        if found is None:
            return message
        whole, came = int(found[1]), self.received()
        said = f"ended early: {came} encoded bytes received"
        if came > whole:
            said += f", the last {came - whole} of them part of a node (chunk or parent) that was cut short"
        return message[:found.start()] + said + message[found.end():]


def _decode_steps(verifier: Verifier, root: bytes, src: Readable, outboard: BinaryIO | None, start: int, count: int,
                  slice_input: bool, threads: int | None, group_log: int) -> Iterator[memoryview]:
    mode = MODE_OUTBOARD if outboard is not None else MODE_SLICE if slice_input else MODE_COMBINED
    if not slice_input and start == 0 and count == UNKNOWN_LENGTH and verifier.joins:
        ahead, named = (outboard, "decode's outboard") if outboard is not None else (src, "decode")
        header = guard_read(ahead.read, ahead, named)(HEADER)
        length = _LEN.unpack(header)[0] if len(header) == HEADER else 0
        tiling = _tiling(verifier, length, threads) if len(header) == HEADER else None
        if tiling is not None:
            try:
                yield from _tiles.iter_verified(verifier, root, length, src, outboard, t=tiling[0], threads=tiling[1],
                                                group_log=group_log)
            except _tiles.Failure as exc:
                raise VerificationFailed(exc.message) from None
            except GuestError as exc:
                raise _failed(exc) from None
            return
        if outboard is not None:  # the header goes in again ahead of the rest
            outboard = _Prefixed(header, outboard, named)  # type: ignore[assignment]
        else:
            src = _Prefixed(header, src, named)
    if count == 0 and not slice_input and start == 0:
        return  # nothing asked and nothing read, as the reference `bao decode --count 0`
    try:
        # an empty range elsewhere: the nodes down to START's chunk (or the final chunk past the
        # end) are checked, as the reference's seek checks them, and nothing is written
        dec = verifier.decoder(root, mode, start, count or (0 if slice_input else 1), ranges=True,
                               group_log=group_log)
        steps = held_steps(dec, src, outboard) if dec.held_tree else frame_steps(dec, src, outboard)
        if slice_input or count == UNKNOWN_LENGTH:
            yield from steps
        elif count:
            yield from _until_count(steps, count)
        else:
            for _ in _until_count(steps, 1):
                pass
    except GuestError as exc:
        raise _failed(exc) from None


def _until_count(steps: Iterator[memoryview], count: int) -> Iterator[memoryview]:
    """``steps`` until ``count`` verified bytes came out: the rest of the encoding is not read
    (as the reference ``bao decode --count`` stops reading, so damage past the range is not
    its concern). A range that runs past the end never reaches ``count``: the stream ends
    as it does without one, the final chunk verified."""
    left = count
    for piece in steps:
        yield piece
        left -= len(piece)
        if left <= 0:
            return


class _Prefixed:
    """``read``/``readinto`` of ``head`` then ``rest`` (a header read ahead, given back),
    ``closed`` when ``rest`` is. Reads of ``rest`` are guarded (``guard_read``, named ``what``):
    closed in the middle of the call, it is ``closed_stream``'s ``InvalidInput``."""

    def __init__(self, head: bytes, rest: Readable, what: str) -> None:
        self._head, self._rest = head, rest
        self._into = reader_into(rest, what)
        self._read = guard_read(rest.read, rest, what)

    @property
    def closed(self) -> bool:
        return is_closed(self._rest)

    def readinto(self, room: memoryview) -> int:
        if self._head:
            n = min(len(room), len(self._head))
            room[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._into(room)

    def ready(self, limit: int) -> int:
        """The head's bytes first, then ``rest``'s ``ready`` (``limit`` when it has none)."""
        if self._head:
            return min(limit, len(self._head))
        ready = getattr(self._rest, "ready", None)
        return limit if ready is None else int(ready(limit))

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._read(n)
        head = self._head if n < 0 else self._head[:n]
        self._head = self._head[len(head):]
        more = self._read(-1 if n < 0 else n - len(head)) if n < 0 or len(head) < n else b""
        return head + more


def decode(verifier: Verifier, root: bytes, src: BinaryIO, write: Callable[[memoryview], object], *,
           outboard: BinaryIO | None = None, start: int = 0, count: int = UNKNOWN_LENGTH,
           slice_input: bool = False, group_log: int = 0) -> int:
    """Verify ``src`` against ``root`` and ``write`` the verified content bytes in
    ``[start, start+count)``; returns how many were written.

    ``src`` is a combined encoding, or with ``outboard`` the content itself (the outboard
    tree comes from ``outboard``), or with ``slice_input`` a slice for ``(start, count)``.
    ``write`` a closed file's method (``f.write``, ``f`` closed in the middle of the call) is
    ``InvalidInput`` naming it; any other failure of ``write`` is its own.
    """
    if not callable(write):
        raise InvalidInput(f"decode's write needs a callable taking the verified bytes, not {type(write).__name__}")
    written = 0
    for piece in iter_decode(verifier, root, src, outboard=outboard, start=start, count=count,
                             slice_input=slice_input, group_log=group_log):
        try:
            write(piece)
        except (ValueError, OSError) as exc:
            closed = _closed_output(exc, getattr(write, "__self__", None), "decode's write")
            if closed is not None:
                raise closed from None
            raise
        written += len(piece)
    return written
