"""Reading and writing streams that may be non-blocking, without taking "not now" for "never".

A pipe or socket handed to autocodec may have ``O_NONBLOCK`` set (by the parent process, by a
shell or runtime that shares the descriptor). Its ``read`` then answers ``None`` (or raises
``BlockingIOError``) whenever the writer has not written yet, and its ``write``/``flush``
answer ``None`` or raise ``BlockingIOError`` whenever the reader is behind. A reader treating
the first as end of file took a CAR or a block cut at an arbitrary point as complete; a writer
treating the second as an error failed every export to a slower reader.

Invariants:
- ``read_some(stream, n)`` returns between 1 and ``n`` bytes, or ``b""`` only at the real end
  of the stream; ``read_upto`` reads until ``n`` bytes or that end.
- ``write_all(stream, data)`` returns only when every byte was accepted; ``flush_all`` only
  when the stream's buffer is empty.
- ``waiting_reader(stream)`` is a stream whose every read behaves as on a blocking one (for
  readers that call ``read``/``readline`` themselves: the CLI's standard input).
- A stream closed meanwhile (``io``'s ``ValueError``) is an ``InvalidInput`` saying so.
- When the descriptor is not ready they wait (``poll``, no deadline: as a blocking call would)
  until it is. A stream with no descriptor to wait on that answers "not now" is an
  ``InvalidInput``, never an end nor a silent loss.
"""

from __future__ import annotations

import io
import os
import select
from typing import Any, BinaryIO, cast

from ._inputs import is_closed
from .errors import InvalidInput


def _wait(stream: BinaryIO, events: int, what: str) -> None:
    try:
        fd = stream.fileno()
    except (OSError, AttributeError, ValueError) as exc:
        raise InvalidInput(
            f"the {what} stream is non-blocking and not ready, and it has no descriptor to wait on",
            hint=f"give the {what} as a file or as a blocking stream",
        ) from exc
    poller = select.poll()
    poller.register(fd, events)
    poller.poll()  # no timeout: a stalled peer is waited for, as a blocking call would


def _closed_meanwhile(stream: BinaryIO, exc: ValueError, what: str) -> None:
    """``InvalidInput`` from ``exc`` when ``stream`` was closed while it was in use (``io``
    says "I/O operation on closed file", a ``ValueError``); else nothing (``exc`` is re-raised)."""
    if is_closed(stream):
        raise InvalidInput(f"the {what} stream was closed while autocodec was using it",
                           hint=f"keep the {what} open until the call (or the iteration) is done") from exc


def read_some(stream: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes (at least one), or ``b""`` at the end of the stream; ``InvalidInput``
    when the stream is closed."""
    while True:
        try:
            chunk = stream.read(n)
        except BlockingIOError:
            chunk = None
        except ValueError as exc:
            _closed_meanwhile(stream, exc, "input")
            raise
        if chunk is not None:
            return chunk
        _wait(stream, select.POLLIN | select.POLLPRI, "input")


def read_upto(stream: BinaryIO, n: int) -> bytes:
    """Bytes until ``n`` are read or the stream ends (a short answer only at the end)."""
    parts: list[bytes] = []
    left = n
    while left > 0:
        chunk = read_some(stream, left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def write_all(stream: BinaryIO, data: bytes | memoryview) -> None:
    """Every byte of ``data`` handed to ``stream`` (raw and pipe streams may take a part);
    ``InvalidInput`` when the stream is closed."""
    view = memoryview(data)
    while view:
        try:
            written = stream.write(view)
        except BlockingIOError as exc:  # a buffered stream took ``characters_written`` of them
            written = exc.characters_written
            view = view[written:]
            _wait(stream, select.POLLOUT, "output")
            continue
        except ValueError as exc:
            _closed_meanwhile(stream, exc, "output")
            raise
        if written is None:  # a raw stream took none
            _wait(stream, select.POLLOUT, "output")
            continue
        view = view[written:]


def flush_all(stream: BinaryIO) -> None:
    """``stream.flush()``, waiting while a non-blocking descriptor is full."""
    while True:
        try:
            stream.flush()
            return
        except BlockingIOError:
            _wait(stream, select.POLLOUT, "output")


class _WaitingRaw(io.RawIOBase):
    """A descriptor read as if it were blocking: "no data yet" waits (``poll``) instead of
    answering ``None``. It never closes the descriptor (standard input stays the process's)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, room: Any) -> int:
        while True:
            try:
                return os.readv(self._fd, [room])
            except BlockingIOError:
                poller = select.poll()
                poller.register(self._fd, select.POLLIN | select.POLLPRI)
                poller.poll()


def waiting_reader(stream: BinaryIO) -> BinaryIO:
    """``stream`` itself, or, when its descriptor is non-blocking, a buffered reader of that
    descriptor that waits for data (so every ``read``/``readline``/iteration behaves as on a
    blocking stream). Call it before anything was read from ``stream`` (its buffer is not carried over)."""
    try:
        fd = stream.fileno()
        blocking = os.get_blocking(fd)
    except (OSError, AttributeError, ValueError):
        return stream
    if blocking:
        return stream
    return cast(BinaryIO, io.BufferedReader(_WaitingRaw(fd)))
