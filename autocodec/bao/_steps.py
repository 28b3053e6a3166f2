"""The loops that drive one verifier stream over readers and writers (``_stream`` and
``_tiles`` build on them).

Invariants:
- ``held_steps``/``frame_steps`` yield only verified bytes, each piece valid until the next
  is asked for, and end with the stream's ``final`` (a ``GuestError`` when it failed or the
  input ended early).
- ``Placer`` writes an encoder's pieces where ``emission_order`` says they go: nothing is
  written outside the tree it was made for.
"""

from __future__ import annotations

import ctypes
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from .._inputs import guard_read, need_stream, whole_number
from ..errors import GuestFault, InvalidInput
from ..loader._verifier import DONE, FAILED, NEED_TREE, TREE_HOLD, DecodeStream, Verifier
from ._tree import emission_order

_TREE_READ = 64 * 1024


@functools.cache
def _fallocate() -> Callable[[int, int, int, int], int] | None:
    """libc's ``fallocate64`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).fallocate64
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fn.restype = ctypes.c_int
    return fn


def reserve(fd: int, at: int, size: int) -> None:
    """Ask the file system for ``fd``'s blocks ``[at, at + size)`` before an encoding of that
    size is written there out of order (``fallocate(2)``, mode 0: the file is at least that
    long at once). ext4 then allocates the extents once instead of as each page is first
    written: about 8% of the time of encoding 256 MiB to a file, measured. Best effort: where
    the call is missing or refused (another OS, a file system without it, a full disk),
    nothing happens here and the writes meet what they meet."""
    fn = _fallocate()
    if fn is not None and size > 0:
        fn(fd, 0, at, size)


class Readable(Protocol):
    """What the decoders read from: a binary file, an HTTP response, a reader of pieces."""

    def read(self, size: int = -1, /) -> bytes: ...


MAX_GROUP_LOG = 255
"""The largest ``group_log`` a stream's init call can carry (one byte); a module takes fewer."""


def check_entry(what: str, verifier: object, src: object, group_log: object = 0) -> int:
    """The checks every public Bao entry makes before any work: ``verifier`` is a ``Verifier``,
    ``src`` has ``read``, ``group_log`` a whole number (returned); else ``InvalidInput``
    naming ``what`` (not an ``AttributeError`` or ``TypeError`` from deep inside)."""
    if not isinstance(verifier, Verifier):
        raise InvalidInput(f"{what} needs a Verifier (autocodec.bao.verifier()), not {type(verifier).__name__}")
    need_stream(src, "read", what)
    return whole_number(group_log, f"{what}'s group_log", most=MAX_GROUP_LOG)


class Placer:
    """Writes the encoder's output pieces at their final offsets (``emission_order``): with
    ``pwrite`` on the file's descriptor when it has one (no seek, no buffer flush per piece),
    else by seeking. ``dst`` may be a descriptor itself (``pwrite`` only: safe from several
    threads writing apart), or a ``memoryview`` the pieces are copied into (an image of the
    encoding from ``base``, written out later in one piece)."""

    def __init__(self, dst: BinaryIO | int | memoryview, base: int, length: int, outboard: bool,
                 leaf: int = 1) -> None:
        self._base = base
        self._items = emission_order(length, outboard=outboard, leaf=leaf)
        self._at, self._left, self._pos = 0, 0, -1
        self._fd: int | None = None
        self._image: memoryview | None = None
        if isinstance(dst, int):
            self._fd = dst
            return
        if isinstance(dst, memoryview):
            self._image = dst
            return
        self._dst = dst
        try:
            dst.flush()
            self._fd = dst.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None

    def write(self, out: bytes | memoryview) -> None:
        view, done = memoryview(out), 0
        if view.format != "B":  # a ctypes view ("<B"): copied into an image as bytes
            view = view.cast("B")
        while done < len(view):
            if not self._left:
                try:
                    self._at, self._left = next(self._items)
                except StopIteration:
                    raise GuestFault("the encoder wrote more than the tree holds") from None
                continue
            take = min(self._left, len(view) - done)
            piece = view[done:done + take]
            if self._image is not None:
                at = self._base + self._at
                self._image[at:at + take] = piece
                self._at += take
            elif self._fd is not None:
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

    def close(self) -> None:
        """``GuestFault`` when the encoder wrote less than the tree holds (a hole of zeros
        would be left in the output)."""
        missing = self._left + sum(n for _, n in self._items)
        if missing:
            raise GuestFault(f"the encoder wrote less than the tree holds ({missing} bytes missing)")


def reader_into(src: Readable, what: str) -> Callable[[memoryview], int]:
    """``src.readinto`` (files, BytesIO, HTTP responses, ``_Tee``), else ``read`` copied into
    the room given (a ``RawIOBase`` subclass need not implement ``readinto``). Guarded
    (``guard_read``): ``src`` closed in the middle of the call is ``InvalidInput`` naming
    ``what``, as it is at the call's start, not io's ``ValueError``."""
    into = getattr(src, "readinto", None)
    if into is not None and (isinstance(src, io.FileIO) or not isinstance(src, io.RawIOBase)):
        return guard_read(into, src, what)

    def read_into(room: memoryview) -> int:
        data = src.read(len(room))
        room[:len(data)] = data  # more than asked for is a ValueError too: the stream's
        return len(data)

    return guard_read(read_into, src, what)


def held_steps(dec: DecodeStream, src: Readable, outboard: BinaryIO | None,
               what: str = "decode") -> Iterator[memoryview]:
    """Verified pieces from a module that holds the outboard itself: the tree is handed over
    ahead (``TREE_HOLD`` at most), data is read straight into the guest (``DecodeStream.pull``:
    whole pieces from offset 0, so the guest takes all of it but a short last chunk), and
    outboard verified bytes are views of that input (each valid until the next piece). A source
    with ``ready`` (a served stream, ``_body.Body``) gives each pull only the bytes that have
    arrived, so a stalled sender leaves every complete node verified and yielded. (Reading
    a socket ahead in a helper thread was tried: on two cores shared with the server it was
    slower, the receive and the verification competing for the same CPUs.) Reads are guarded
    as ``reader_into``'s, named by ``what``."""
    held = 0
    carry = b""
    piece = dec.max_piece
    read_into = reader_into(src, what)
    ready = getattr(src, "ready", None)  # a served stream: feed what has arrived (``_body.Body``)
    read_tree = None if outboard is None else guard_read(outboard.read, outboard, f"{what}'s outboard")
    tree_eof, data_eof = outboard is None, False
    while True:
        if read_tree is not None and not tree_eof and held <= TREE_HOLD // 2:
            more = read_tree(TREE_HOLD - held)
            if more:
                held = dec.tree(more)
            else:
                tree_eof = True
        room = piece
        if ready is not None and not data_eof:
            room = len(carry) + ready(piece - len(carry))
            data_eof = room == len(carry)  # 0 ready: the stream ended
        step, given, ended = dec.pull(read_into if not data_eof else nothing, room, carry)
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


def nothing(room: memoryview) -> int:
    return 0


def frame_steps(dec: DecodeStream, src: Readable, outboard: BinaryIO | None,
                what: str = "decode") -> Iterator[memoryview]:
    """Verified pieces through the one-frame protocol (modules without ``ac_vfy_data``); reads
    guarded as ``held_steps``'s."""
    read_data = guard_read(src.read, src, what)
    ready = getattr(src, "ready", None)  # as held_steps'
    read_tree = None if outboard is None else guard_read(outboard.read, outboard, f"{what}'s outboard")
    tree, data = b"", b""
    tree_room = 2 * _TREE_READ if outboard is not None else 0
    data_room = dec.max_piece - tree_room
    tree_eof = outboard is None
    data_eof = False
    while True:
        # top both buffers up (the tree ahead of its data, so calls are rarely tree-bound)
        if read_tree is not None and not tree_eof and len(tree) <= _TREE_READ:
            more = read_tree(tree_room - len(tree))
            tree_eof = not more
            tree = tree + more if tree else more
        if not data_eof and len(data) < data_room // 2:
            want = data_room - len(data)
            more = read_data(want if ready is None else ready(want) or want)  # a 0 ready: read() says the end
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


