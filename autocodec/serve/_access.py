"""Per-request observability for ``serve``: one access-log line and two counters per request.

Invariants:
- Every request that reaches the application (the outermost middleware: the guard's 503 on
  the whole-request deadline, the request-target 307/400 and every route's answer included)
  is counted once in ``requests_total{route,status}`` and its time in
  ``request_seconds_total{route}``, and logged once at info level as ``serve.request``
  (method, path without the query, status, duration_ms, route).
- Label values come from fixed vocabularies: ``route`` is the first path segment when it names
  one of this server's routes, else ``other``; ``status`` is the HTTP status, or 499 when the
  response never completed (the client went away, the server cut a body off, the request was
  cancelled by a stop): the series stay bounded whatever clients send.
- The logged path is the one sent (percent-escapes kept), without the query, at most
  ``MAX_LOGGED_PATH`` characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from ..log import get_logger

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

log = get_logger("serve")

ROUTES = frozenset({"ipfs", "ipns", "explore", "explore-static", "decode", "resolve", "healthz", "metrics", "admin",
                    "ipvm", "bao"})
CUT_OFF = 499  # nginx's "client closed request": the response never completed
MAX_LOGGED_PATH = 512


def route_label(raw_path: str) -> str:
    """The ``route`` label of a request path: its first segment if it is one of ``ROUTES``."""
    first = raw_path.lstrip("/").split("/", 1)[0]
    return first if first in ROUTES else "other"


def record(runtime: "Runtime", request: web.BaseRequest, status: int, seconds: float) -> None:
    """Count one finished request and write its access-log line."""
    path = request.rel_url.raw_path
    route = route_label(path)
    runtime.metrics.inc("requests_total", route=route, status=str(status))
    runtime.metrics.inc("request_seconds_total", seconds, route=route)
    with contextlib.suppress(OSError, ValueError):  # out of descriptors, stderr closed: the answer still goes
        log.info("serve.request", method=request.method, path=path[:MAX_LOGGED_PATH], status=status,
                 duration_ms=round(seconds * 1000, 3), route=route)


def access_middleware(runtime: "Runtime") -> Callable[..., Awaitable[web.StreamResponse]]:
    """The outermost middleware: times each request and ``record``s its outcome."""

    @web.middleware
    async def access(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        start = time.monotonic()
        status = 500  # an exception aiohttp turns into its 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except (asyncio.CancelledError, ConnectionError):
            status = CUT_OFF
            raise
        finally:
            record(runtime, request, status, time.monotonic() - start)

    return access
