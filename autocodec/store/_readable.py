"""Reading from a stream that may be non-blocking, without mistaking "no data yet" for its end.

A pipe or socket handed to autocodec may have ``O_NONBLOCK`` set (by the parent process, by a
shell or runtime that shares the descriptor). Its ``read`` then answers ``None`` (or raises
``BlockingIOError``) whenever the writer has not written yet; a reader treating that as end of
file would take a CAR or a block cut at an arbitrary point as complete.

Invariant: ``read_some(stream, n)`` returns between 1 and ``n`` bytes, or ``b""`` only at the
real end of the stream; when no data is available yet it waits (as a blocking read would, with
no deadline) until the descriptor is readable. A stream with no descriptor to wait on that
reports "no data yet" is an ``InvalidInput``, never an end.
"""

from __future__ import annotations

import select
from typing import BinaryIO

from ..errors import InvalidInput


def _wait_readable(stream: BinaryIO) -> None:
    try:
        fd = stream.fileno()
    except (OSError, AttributeError, ValueError) as exc:
        raise InvalidInput(
            "the input stream is non-blocking and has no data yet, and it has no descriptor to wait on",
            hint="give the data as a file or as a blocking stream",
        ) from exc
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    poller.poll()  # no timeout: a stalled writer is waited for, as a blocking read would


def read_some(stream: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes (at least one), or ``b""`` at the end of the stream."""
    while True:
        try:
            chunk = stream.read(n)
        except BlockingIOError:
            chunk = None
        if chunk is not None:
            return chunk
        _wait_readable(stream)


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
