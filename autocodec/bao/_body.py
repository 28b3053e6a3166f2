"""A served stream as the verifier reads it: an HTTP response body (or any socket-backed
reader) whose failures are typed and whose readable bytes are known.

Invariants:
- A read that fails is a ``FetchError`` naming the stream's source and the CID it serves:
  ``FetchTimeout`` for a timeout, ``FetchError`` for the rest (http.client's
  ``HTTPException``: ``IncompleteRead`` when chunked framing breaks, ``RemoteDisconnected``;
  an ``OSError``: a reset, a refused read). Never http.client's or the socket's own error.
- ``ready(limit)`` waits until at least one byte (or the end) can be read and returns how many
  bytes, at most ``limit``, a ``readinto`` then gives without waiting (0 only at the end), so a
  verifier fed that many bytes verifies what has arrived instead of waiting for a whole piece.
  A stream that cannot say (no ``peek``) gives ``limit``: the caller fills whole pieces.
"""

from __future__ import annotations

import array
import fcntl
import http.client
import select
import socket
import ssl
import termios
from typing import Any

from .._inputs import is_closed
from ..errors import FetchError, FetchTimeout


class Body:
    """``stream`` (``read``/``readinto``; an ``http.client.HTTPResponse`` for ``ready``'s
    counts) read with typed failures; ``where`` names its source in messages."""

    def __init__(self, stream: Any, where: str, cid: object) -> None:
        self._stream, self._where, self._cid = stream, where, cid
        self._into = getattr(stream, "readinto", None)
        self._peek = getattr(stream, "peek", None)

    @property
    def closed(self) -> bool:
        return is_closed(self._stream)

    def _broke(self, exc: BaseException) -> FetchError:
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        text = f"the response of {self._where} for {self._cid} broke off: {reason}"
        hint = "fetch it again; the bytes written before it were verified"
        if isinstance(exc, (TimeoutError, socket.timeout)):
            return FetchTimeout(f"the response of {self._where} for {self._cid} stalled: no data within its timeout",
                                hint="fetch it again, or give it a longer timeout; the bytes written before it "
                                     "were verified")
        return FetchError(text, hint=hint)

    def readinto(self, room: memoryview) -> int:
        try:
            if self._into is not None:
                return int(self._into(room))
            data = self._stream.read(len(room))
        except (OSError, http.client.HTTPException) as exc:
            raise self._broke(exc) from None
        room[:len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        try:
            return bytes(self._stream.read(n))
        except (OSError, http.client.HTTPException) as exc:
            raise self._broke(exc) from None

    def ready(self, limit: int) -> int:
        """Wait for the stream's next bytes; how many (at most ``limit``) can be read now."""
        if self._peek is None or limit <= 0:
            return limit
        chunked = getattr(self._stream, "chunked", False)
        if chunked and not getattr(self._stream, "chunk_left", None):
            return 1  # a chunk's size line is next: a read parses it (a peek takes a broken one for the end)
        left = getattr(self._stream, "chunk_left" if chunked else "length", None)
        if left == 0:
            return 0  # the body's whole length came: a peek would wait on a kept-alive connection
        try:
            buffered = len(self._peek(limit))  # waits for one read when nothing is buffered
        except (OSError, http.client.HTTPException) as exc:
            raise self._broke(exc) from None
        if not buffered:  # the connection's end: a read says whether the body was whole
            if self.readinto(memoryview(bytearray(1))):  # pragma: no cover - a peek of b"" is the end
                raise FetchError(f"the response of {self._where} for {self._cid} went on after its end",
                                 hint="fetch it again")
            return 0
        waiting = self._socket_bytes()
        total = buffered + waiting
        if isinstance(left, int):
            total = min(total, left)
        return max(1, min(limit, total))

    def arriving(self, seconds: float) -> bool:
        """Whether the stream's socket has bytes to read within ``seconds`` (True when it
        cannot be told: no socket). False means a stall, or bytes held in the reader's buffer
        only: the caller may verify what it has meanwhile, nothing is lost either way."""
        try:
            fd = int(self._stream.fileno())
            return bool(select.select([fd], [], [], seconds)[0])
        except (AttributeError, OSError, ValueError, TypeError):
            return True

    def _socket_bytes(self) -> int:
        """Bytes the kernel holds for the stream's plain socket (``FIONREAD``); 0 when unknown
        or under TLS (the kernel's count is of encrypted bytes, more than a read then gets)."""
        sock = getattr(getattr(getattr(self._stream, "fp", None), "raw", None), "_sock", None)
        if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
            return 0
        try:
            fd = int(self._stream.fileno())
            count = array.array("i", [0])
            fcntl.ioctl(fd, termios.FIONREAD, count, True)
        except (AttributeError, OSError, ValueError, TypeError):
            return 0
        return max(0, int(count[0]))
