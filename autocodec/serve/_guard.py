"""Connection admission for ``serve``: a cap on open connections, header and request
deadlines, and rate-limited error logging.

Invariants:
- Every accepted connection is wrapped in ``_Guarded``, which forwards every protocol event to
  aiohttp's own handler; at most ``max_connections`` are open at once (the cap is also kept
  ``reserved_fds`` below the descriptor limit, so accept() itself never fails for lack of
  descriptors). At the cap, a new connection takes the place of the oldest one that has no
  request in progress (still sending headers, or idle): slow clients cannot starve new ones.
  Only when every connection is inside a request is the new one aborted (counted, never queued).
- A connection that has no request in progress must complete a request's headers within
  ``header_timeout_s`` of opening or of its previous response (keep-alive idle included);
  otherwise it is aborted. Once the headers are in, the request (body, work, the response's
  start) is bounded by ``request_timeout_s`` (a 503 JSON error after it). A streamed body
  moves that deadline on each time it makes progress (``keep_going``), so it runs as long as
  the client reads, as Kubo's gateway streams, and is cut (the connection aborted) only after
  ``request_timeout_s`` without a piece produced and sent: a download of many GiB to a slow
  client is whole, a stalled one is not held.
- ``RateLimitedLog`` writes at most one line per key per ``interval_s`` and reports how many
  were suppressed; it is also the event loop's exception handler, so a storm of accept()
  errors is a few lines, not hundreds of thousands of tracebacks, and, through
  ``http_logger``, aiohttp's request-handler log: a malformed request (answered 400 by
  aiohttp) is one line naming the error, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..config import ServeLimits
from ..log import get_logger

log = get_logger("serve")

DEADLINE: web.RequestKey[tuple[asyncio.Timeout, float]] = web.RequestKey("deadline", tuple)
"""The request's deadline (``asyncio.Timeout``) and its length in seconds, set by the guard."""


def keep_going(request: web.BaseRequest) -> None:
    """A streamed body made progress: its deadline is ``request_timeout_s`` from now again."""
    entry = request.get(DEADLINE)
    if entry is not None:
        deadline, seconds = entry
        deadline.reschedule(asyncio.get_running_loop().time() + seconds)


class RateLimitedLog:
    """One warning per key per interval, with the count of the ones suppressed."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        getattr(log, "warning")  # noqa: B009 - builds the lazy log pipeline now: later, descriptors may have run out
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warn(self, key: str, event: str, **fields: Any) -> None:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        if len(self._last) > 1024:  # keys come from a fixed vocabulary; stay bounded anyway
            self._last.clear()
        self._last[key] = now
        suppressed = self._suppressed.pop(key, 0)
        try:
            log.warning(event, suppressed=suppressed, **fields)
        except OSError:  # out of descriptors even for the log pipeline: a bare line, or nothing
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"autocodec serve: {event} (suppressed {suppressed})\n")

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """An asyncio exception handler: one short line per kind, never a traceback flood."""
        exc = context.get("exception")
        message = str(context.get("message", ""))[:200]
        kind = type(exc).__name__ if exc is not None else "error"
        self.warn(f"loop:{message[:40]}:{kind}", "serve.loop_error", message=message, error=kind,
                  detail=str(exc)[:200] if exc is not None else "")


class _HttpErrors(logging.Handler):
    """aiohttp's request-handler records (``Error handling request``, with the parser's or
    handler's exception) as one rate-limited line each, keyed by the exception's type."""

    def __init__(self, errors: RateLimitedLog) -> None:
        super().__init__(logging.WARNING)
        self._errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        kind = type(exc).__name__ if exc is not None else "error"
        detail = " ".join(str(exc if exc is not None else record.getMessage()).split())[:200]
        self._errors.warn(f"http:{kind}", "serve.http_error", error=kind, detail=detail)


def http_logger(errors: RateLimitedLog) -> logging.Logger:
    """A logger for aiohttp's ``RequestHandler`` (its ``logger`` argument) that writes through
    ``errors``. Made apart from the logging module's registry: no global logging state changes."""
    logger = logging.Logger("autocodec.serve.http", logging.WARNING)
    logger.propagate = False
    logger.addHandler(_HttpErrors(errors))
    return logger


def effective_max_connections(limits: ServeLimits) -> int:
    """``limits.max_connections``, lowered to fit the descriptor limit (raised to its hard cap first)."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < 65536:
            resource.setrlimit(resource.RLIMIT_NOFILE, (65536, hard))
            soft = 65536
    except (ValueError, OSError):  # pragma: no cover - not allowed: keep the soft limit
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return limits.max_connections
    return max(1, min(limits.max_connections, int(soft) - limits.reserved_fds))


class _Conn:
    __slots__ = ("active", "timer", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.active = 0
        self.timer: asyncio.TimerHandle | None = None


class ConnectionGuard:
    """Admission and deadlines for one server's connections (one event loop)."""

    def __init__(self, limits: ServeLimits, max_connections: int | None = None) -> None:
        self.limits = limits
        self.max_connections = max_connections if max_connections is not None else effective_max_connections(limits)
        self.errors = RateLimitedLog(limits.error_log_interval_s)
        self._conns: dict[asyncio.BaseTransport, _Conn] = {}
        self.refused = 0
        self.evicted = 0
        self.timed_out = 0

    @property
    def accept_batch(self) -> int:
        """The listen backlog, which asyncio also uses as the most accepts per loop turn: half the
        reserved descriptors, so connections accepted before evicted ones are closed still fit."""
        return max(8, min(1024, self.limits.reserved_fds // 2, self.max_connections))

    @property
    def open(self) -> int:
        return len(self._conns)

    def factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for ``loop.create_server`` around aiohttp's ``inner`` factory."""
        return lambda: _Guarded(self, inner)

    # --- connection events (from _Guarded) -------------------------------------------------

    def admit(self, transport: asyncio.Transport) -> bool:
        if len(self._conns) >= self.max_connections:
            victim = next((c for c in self._conns.values() if not c.active), None)  # oldest first
            if victim is not None:  # a connection still waiting for headers makes room
                self.evicted += 1
                self.errors.warn("evicted", "serve.connection_evicted", open=len(self._conns),
                                 max_connections=self.max_connections, evicted_total=self.evicted)
                self.closed(victim.transport)
                victim.transport.abort()
                conn = self._conns[transport] = _Conn(transport)
                self._arm(conn)
                return True
            self.refused += 1
            self.errors.warn("refused", "serve.connection_refused", open=len(self._conns),
                             max_connections=self.max_connections, refused_total=self.refused)
            return False
        conn = self._conns[transport] = _Conn(transport)
        self._arm(conn)
        return True

    def closed(self, transport: asyncio.BaseTransport) -> None:
        conn = self._conns.pop(transport, None)
        if conn is not None and conn.timer is not None:
            conn.timer.cancel()

    def _arm(self, conn: _Conn) -> None:
        if conn.timer is not None:
            conn.timer.cancel()
        loop = asyncio.get_running_loop()
        conn.timer = loop.call_later(self.limits.header_timeout_s, self._expire, conn)

    def _expire(self, conn: _Conn) -> None:
        conn.timer = None
        if conn.active or conn.transport.is_closing():
            return
        if conn.transport.get_write_buffer_size():  # still sending the last response: one more round
            conn.timer = asyncio.get_running_loop().call_later(self.limits.request_timeout_s, self._abort, conn)
            return
        self._abort(conn)

    def _abort(self, conn: _Conn) -> None:
        if conn.active:
            return
        self.timed_out += 1
        self.errors.warn("header-timeout", "serve.connection_timed_out", timed_out_total=self.timed_out,
                         header_timeout_s=self.limits.header_timeout_s)
        conn.transport.abort()

    # --- request events (from the middleware) -------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        conn = self._conns.get(request.transport) if request.transport is not None else None
        if conn is not None:
            conn.active += 1
            if conn.timer is not None:
                conn.timer.cancel()
                conn.timer = None
        try:
            async with asyncio.timeout(self.limits.request_timeout_s) as deadline:
                request[DEADLINE] = (deadline, self.limits.request_timeout_s)
                return await handler(request)
        except TimeoutError:
            return web.json_response(
                {"error": "RequestTimeout", "message": f"the request took longer than {self.limits.request_timeout_s} s",
                 "hint": "retry later, or send the request body faster"}, status=503)
        finally:
            if conn is not None:
                conn.active -= 1
                if not conn.active and not conn.transport.is_closing():
                    self._arm(conn)


class _Guarded(asyncio.Protocol):
    """Forwards every event to aiohttp's handler once the guard admits the connection."""

    __slots__ = ("_guard", "_make", "_inner", "_transport")

    def __init__(self, guard: ConnectionGuard, make: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._make = make
        self._inner: Any = None
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        if not self._guard.admit(transport):  # type: ignore[arg-type]
            transport.abort()  # type: ignore[attr-defined]
            return
        self._inner = self._make()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._guard.closed(self._transport)
        if self._inner is not None:
            self._inner.connection_lost(exc)
