"""The bulk pool's shared memory and scheduling, apart from the pool's life and its API
(``_pool``): where a call's inputs lie in the shared arena (``_Staging``, read back by
``_items``), how workers and the caller claim shares (``_Tickets``), how much the caller takes
on itself (``_Share``), the rounds of an input larger than the arena (``_rounds``), and the
socket buffers (``_widen``).

Invariants:
- A share is claimed once, by one process: workers from the front, the caller from the back,
  under one cross-process lock; a worker claims only shares of its own call's generation, and
  only shares already copied into the arena.
- A share's input is read back exactly as it was given: bytes items as the same bytes (the
  arena holds them contiguously, their lengths in the table), other items unpickled.
"""

from __future__ import annotations

import mmap
import os
import pickle
import socket
import struct
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from ..errors import SandboxError

ARENA_BYTES = 64 << 20  # shared input arena per pool (virtual; pages are touched as used)
_ARENA = "\0arena"
_PICKLED = "\0pickled"


def _items(entry: tuple[str, int, bytes | int], arena: mmap.mmap) -> list[Any]:
    """A chunk's items from its table entry: ``(_ARENA, start, lengths)`` (contiguous bytes in
    the arena: one copy each way) or ``(_PICKLED, start, size)`` (its pickle, in the arena)."""
    kind, pos, shape = entry
    if kind == _PICKLED:
        assert isinstance(shape, int)
        loaded: list[Any] = pickle.loads(arena[pos : pos + shape])
        return loaded
    items = []
    for n in array("Q", shape):  # type: ignore[arg-type]
        items.append(arena[pos : pos + n])
        pos += n
    return items


class _Tickets:
    """The chunks of the current call not yet claimed, ``[front, back)``, in shared memory:
    workers claim from the front, the calling thread from the back, each under one
    cross-process lock. A claim names the call's generation, so a worker still finishing one
    call can never claim a chunk of the next one with the old call's table."""

    _LAYOUT = struct.Struct("qqqq")  # generation, front, back, staged
    WAIT = -1
    STUCK_S = 2.0  # the lock is held for microseconds: this long means its holder died holding it

    def __init__(self, ctx: Any) -> None:
        self.shared = mmap.mmap(-1, self._LAYOUT.size)
        self.lock = ctx.Lock()

    @contextmanager
    def _held(self) -> Iterator[None]:
        """The lock, or ``SandboxError`` when it stays taken (a worker killed inside a claim
        leaves it taken forever: waiting on would hang the call)."""
        if not self.lock.acquire(timeout=self.STUCK_S):
            raise SandboxError("a bulk worker process died while claiming work (killed, or out of memory)",
                               hint="the work it had was not used; retry, and check the machine's free memory")
        try:
            yield
        finally:
            self.lock.release()

    def open(self, generation: int, count: int) -> None:
        with self._held():
            self._LAYOUT.pack_into(self.shared, 0, generation, 0, count, 0)

    def staged(self, upto: int) -> None:
        """Chunks ``< upto`` are in the arena: workers may claim them."""
        with self._held():
            current, front, back, _ = self._LAYOUT.unpack_from(self.shared)
            self._LAYOUT.pack_into(self.shared, 0, current, front, back, upto)

    def claim_front(self, generation: int) -> int | None:
        """The next chunk from the front; ``WAIT`` while it is not in the arena yet; ``None``
        when none is left for this generation."""
        with self._held():
            current, front, back, staged = self._LAYOUT.unpack_from(self.shared)
            if current != generation or front >= back:
                return None
            if front >= staged:
                return self.WAIT
            self._LAYOUT.pack_into(self.shared, 0, current, front + 1, back, staged)
            return int(front)

    def claim_back(self) -> int | None:
        with self._held():
            current, front, back, staged = self._LAYOUT.unpack_from(self.shared)
            if front >= back:
                return None
            self._LAYOUT.pack_into(self.shared, 0, current, front, back - 1, staged)
            return int(back - 1)

    def state(self) -> tuple[int, int]:
        """``(front, back)``: chunks claimed by workers so far, and the end of the unclaimed range."""
        with self._held():
            _, front, back, _ = self._LAYOUT.unpack_from(self.shared)
        return int(front), int(back)

    def close(self) -> None:
        self.shared.close()


def _frame_of(entry: tuple[str, int, bytes | int], arena: mmap.mmap) -> bytes | None:
    """The batch frame (``_adapters._frame``) of a chunk of bytes items in the arena, built
    from the arena in place; ``None`` for a pickled chunk."""
    from ._adapters import _frame_packed

    kind, pos, shape = entry
    if kind != _ARENA:
        return None
    assert isinstance(shape, bytes)
    return _frame_packed(arena, pos, shape)


def _shape_of(lengths: array[int]) -> tuple[array[int] | None, int]:
    """``_shape`` of a chunk of bytes items with these lengths."""
    return lengths, sum(lengths)


def _shape(chunk: list[Any]) -> tuple[array[int] | None, int]:
    """A chunk's item lengths when its items are all ``bytes`` (C loops, no Python code per
    item), and its size in the arena (other items counted at 64 bytes each: ``_rounds``)."""
    if chunk and set(map(type, chunk)) == {bytes}:
        lengths = array("Q", map(len, chunk))
        return lengths, sum(lengths)
    return None, sum(len(x) if isinstance(x, (bytes, bytearray)) else 64 for x in chunk)


class _Staging:
    """Where each chunk's input goes in the arena (``table``: an entry per chunk, see
    ``_items``), planned before anything is copied; ``copy(i)`` then writes chunk ``i``.
    ``fits`` is false when the chunks do not all fit (the plan is then unusable). ``shapes``
    are the chunks' ``_shape``s."""

    def __init__(self, chunks: list[list[Any]], shapes: list[tuple[array[int] | None, int]]) -> None:
        self.table: list[tuple[str, int, bytes | int]] = []
        self._data: list[list[bytes] | bytes] = []
        pos = 0
        for chunk, (lengths, size) in zip(chunks, shapes, strict=True):
            if lengths is not None:  # contiguous bytes, no frame per item
                self.table.append((_ARENA, pos, lengths.tobytes()))
                self._data.append(chunk)
                pos += size
            else:
                try:
                    data = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # an item that cannot cross to a process (a lock, a socket...)
                    raise SandboxError(f"a bulk input could not be sent to a worker: {type(exc).__name__}: {exc}") from None
                self.table.append((_PICKLED, pos, len(data)))
                self._data.append(data)
                pos += len(data)
        self.fits = pos <= ARENA_BYTES

    def copy(self, i: int, arena: mmap.mmap) -> None:
        pos = self.table[i][1]
        piece = self._data[i]
        data = piece if isinstance(piece, bytes) else b"".join(piece)
        arena[pos : pos + len(data)] = data
        self._data[i] = b""  # copied: nothing to keep


def _rounds(shapes: list[tuple[array[int] | None, int]]) -> Iterator[tuple[int, int]]:
    """``[start, end)`` ranges of consecutive chunks (their ``_shape``s) whose bytes fit the
    arena together (about: a pickled item is counted at its byte length or 64); one chunk is
    always a round."""
    start, size = 0, 0
    for i, (_, n) in enumerate(shapes):
        if i > start and size + n > ARENA_BYTES // 2:
            yield start, i
            start, size = i, 0
        size += n
    if start < len(shapes):
        yield start, len(shapes)


class _Share:
    """How much of a call this thread takes on itself besides receiving (``_spread``'s local
    share): a chunk from the back whenever, after running it and receiving every other chunk,
    this thread would still finish no later than the workers finish theirs. Times are measured
    in this call: this thread's ``run`` and ``receive`` per chunk, and the workers' pace (their
    replies so far over the time since the call began; until the first one, this thread's own
    run time). With a cheap ``receive`` that is "while every worker still has a chunk, sent or
    to send, after this one"; with a costly one (``decode_many`` converts every batch here) this
    thread takes fewer, so the workers are never left idle while it converts."""

    def __init__(self, procs: int) -> None:
        self.procs = procs
        self.began = time.perf_counter()
        self.run_s = self.receive_s = 0.0
        self.runs = self.receives = self.replies = 0
        self.last_reply = self.began

    def ran(self, run_s: float, receive_s: float) -> None:
        self.run_s += run_s
        self.runs += 1
        self.receive_s += receive_s
        self.receives += 1

    def received(self, at: float, receive_s: float) -> None:
        """A worker's reply that arrived at ``at`` took ``receive_s`` to receive here."""
        self.replies += 1
        self.last_reply = max(self.last_reply, at)
        self.receive_s += receive_s
        self.receives += 1

    def worth_taking(self, unsent: int, outstanding: int) -> bool:
        if unsent <= 0:
            return False
        if not self.runs:  # nothing measured yet: take one if every worker still has a chunk after
            return unsent - 1 + outstanding >= self.procs
        run = self.run_s / self.runs
        theirs_each = (self.last_reply - self.began) * self.procs / self.replies if self.replies else run
        receive = self.receive_s / self.receives
        mine = run + receive * (unsent + outstanding)  # this chunk, then receiving every other one
        theirs = (unsent - 1 + outstanding) * theirs_each / self.procs
        return mine <= theirs


_SOCKET_BUFFER = 4 << 20


def _widen(conn: Connection) -> None:
    """Room for several replies in the socket, so a worker finishing a chunk while this
    process is busy (converting, or running a share itself) writes it and goes on to its next
    chunk instead of blocking on a full buffer (the kernel caps the size at its own maximum)."""
    try:
        sock = socket.socket(fileno=os.dup(conn.fileno()))
    except OSError:  # pragma: no cover - not a socket on this platform
        return
    with sock:
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, _SOCKET_BUFFER)
            except OSError:  # pragma: no cover
                pass
