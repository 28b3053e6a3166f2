"""The decode gateway's routes, error mapping and lifecycle.

Routes: ``GET /decode/{cid}`` (DAG-JSON, or ``?format=json|dag-cbor``; ``X-Autocodec-*`` headers
name the decoder: builtin, or module, version, publisher and set), ``GET /resolve/{kind}/{code}``,
``GET /healthz``, ``GET /metrics`` (Prometheus text), ``POST /admin/refresh`` (loopback only, and
never from a web page: a request with an ``Origin`` header is refused, since a page the gateway
itself serves from the store, a page of a site whose name was rebound to 127.0.0.1, or any site
posting across origins, all reach it from the loopback address);
the executor's ``/ipvm/*`` routes (remote UCAN invocations, job stream) are in ``_ipvm``; the IPFS
gateway (``/ipfs/``, ``/ipns/``) in ``_gateway`` and ``_ipns_route``; the explorer (``/explore/``) in ``_explorer``.

Invariants:
- Decodes run in a thread pool (wasmtime releases the GIL), so many requests are in flight
  at once; each request resolves its codec once, at its start, so a live upgrade never
  serves a request half-way between two versions.
- Every error is an HTTP status that means something (``status_for``) with a JSON body
  ``{"error", "message", "hint"}``; nothing unexpected leaks a traceback to the client, and
  no local folder name reaches it (``public_text``). Unexpected errors are logged at most once
  per kind per ``error_log_interval_s``.
- Connections go through a ``ConnectionGuard`` (``_guard``): a cap below the descriptor limit,
  header and whole-request deadlines, rate-limited loop errors.
- Stopping (SIGTERM, SIGINT) is prompt and clean (``ServeLimits.shutdown_s``, docs/gateway.md
  "Stopping"): the listener closes, the fetches in flight (a request's, a remote job's, a
  refresh's) are cancelled at once, responses still running are let go within half the bound (a slow reader's body is cut
  off: the client sees it incomplete), the request and job threads are waited for (each ends
  within its own bound: a guest call's deadline), then the refresher for the rest of the bound,
  then the home is closed; exit status 0, no traceback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import builtin, errors
from ..abi import Kind
from ..config import DEFAULT_LIMITS, ServeLimits
from ..log import get_logger
from ._guard import ConnectionGuard, RateLimitedLog, http_logger

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

log = get_logger("serve")

_FORMATS = {"dag-json": "application/vnd.ipld.dag-json", "json": "application/json",
            "dag-cbor": "application/vnd.ipld.dag-cbor"}
_KINDS = {**{k.value: k.value for k in Kind}, "hash": "hasher"}  # the ABI's kinds, and "hash"
RUNTIME: web.AppKey["Runtime"] = web.AppKey("runtime")
GUARD: web.AppKey[ConnectionGuard] = web.AppKey("guard")
_UNEXPECTED = RateLimitedLog(DEFAULT_LIMITS.serve.error_log_interval_s)
EXECUTOR: web.AppKey[ThreadPoolExecutor] = web.AppKey("executor")


def status_for(exc: BaseException) -> int:
    """The HTTP status for an error: 400 bad CID, 404 no block, 403 untrusted, 501 a codec or
    hash nothing serves (as the gateway and the explorer answer it), 422 invalid block, 503
    every fetch or child-compile slot busy or the server stopping, 504 over a limit, 502 a bad upstream or
    module."""
    if isinstance(exc, errors.InvalidCID):
        return 400
    if isinstance(exc, (errors.FetchBusy, errors.FetchCancelled, errors.CompileBusy)):  # busy, or stopping
        return 503
    if isinstance(exc, errors.NotFound):
        return 404
    if isinstance(exc, errors.Untrusted):
        return 403
    if isinstance(exc, errors.UnsupportedFormat):
        return 501
    if isinstance(exc, (errors.FuelExhausted, errors.DeadlineExceeded, errors.MemoryLimitExceeded,
                        errors.OutputTooLarge, errors.FetchTimeout)):
        return 504
    if isinstance(exc, errors.InvalidInput):
        return 422
    if isinstance(exc, (errors.SandboxError, errors.IntegrityError, errors.FetchError)):
        return 502
    return 500


def _local_roots(runtime: "Runtime") -> list[str]:
    """Local folders whose names must not reach a client (longest first)."""
    roots = {os.getcwd(), tempfile.gettempdir(), str(Path.home())}
    home = getattr(runtime, "home", None)
    if home is not None:
        roots.add(str(getattr(home, "root", home)))
    return sorted((r for r in roots if len(r) > 1), key=len, reverse=True)


def public_text(text: str, runtime: "Runtime") -> str:
    """``text`` with every local folder name replaced by ``<local>`` (error bodies, issue 16)."""
    for root in _local_roots(runtime):
        text = text.replace(root, "<local>")
    return text


def _error(exc: BaseException, runtime: "Runtime", route: str, errors_log: RateLimitedLog | None = None,
           status: int | None = None) -> web.Response:
    """The JSON error answer ``{"error", "message", "hint"}`` of every route here (no local
    folder names in it), counted in ``errors_total``; its status ``status_for(exc)`` unless the
    route knows better (``status``: e.g. a 400 where the error means a malformed request)."""
    status = status_for(exc) if status is None else status
    name = type(exc).__name__
    runtime.metrics.inc("errors_total", route=route, error=name)
    if isinstance(exc, errors.AutocodecError):
        body = error_body(exc, runtime)
    else:
        (errors_log or _UNEXPECTED).warn(f"{route}:{name}", "serve.unexpected_error", route=route, error=name,
                                         detail=str(exc)[:300])
        body = {"error": "InternalError", "message": "unexpected error", "hint": "see the server log"}
    return web.json_response(body, status=status)


def error_body(exc: errors.AutocodecError, runtime: "Runtime | None" = None) -> dict[str, str]:
    """The routes' error body ``{"error", "message", "hint"}``: the error named by its class,
    its message and hint (with ``runtime``, without local folder names: ``public_text``), and
    ``"module"`` naming the extension module it came from, when one did (``message`` stays the
    error's own, as a receipt records it)."""
    def shown(text: str) -> str:
        return text if runtime is None else public_text(text, runtime)

    body = {"error": type(exc).__name__, "message": shown(exc.message), "hint": shown(exc.hint)}
    if exc.module is not None:
        body["module"] = str(exc.module)
    return body


def invalid_query(message: str, hint: str) -> web.Response:
    """A 400 for a malformed request to a JSON route: ``InvalidInput`` in the routes' error
    shape (``error_body``)."""
    return web.json_response(error_body(errors.InvalidInput(message, hint=hint)), status=400)


async def _run(request: web.Request, fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR], fn, *args)


async def decode(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    fmt = request.query.get("format", "dag-json")
    if fmt not in _FORMATS:
        return invalid_query(f"unknown format {fmt!r}", f"use one of {', '.join(_FORMATS)}")

    def work() -> tuple[bytes, int, dict[str, str]]:
        from ..cid import CID
        from ._gateway_headers import provenance_headers

        cid = CID.parse(request.match_info["cid"])
        value = runtime.decode(cid)
        # ``json`` is a JSON view for plain-JSON clients: DAG-JSON text (links as {"/": CID},
        # bytes as {"/": {"bytes": ...}}) is valid JSON; strict JSON could not show links.
        return builtin.encode(value, "dag-json" if fmt == "json" else fmt), cid.codec, provenance_headers(runtime,
                                                                                                          cid.codec)

    try:
        body, code, provenance = await _run(request, work)
    except Exception as exc:  # noqa: BLE001 - mapped to a status, never leaked
        return _error(exc, runtime, "decode")
    from ..codes import codec_name

    runtime.metrics.inc("decodes_total", codec=codec_name(code))
    return web.Response(body=body, content_type=_FORMATS[fmt], headers=provenance)


async def resolve(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    kind = _KINDS.get(request.match_info["kind"])
    if kind is None:
        return invalid_query(f"unknown kind {request.match_info['kind']!r}", f"use one of {', '.join(_KINDS)}")
    try:
        res = await _run(request, runtime.resolve, kind, request.match_info["code"])
    except errors.UnsupportedFormat as exc:  # the code text names no code (a name no table holds,
        # a number past the varint range): a malformed request, not a code nothing serves (404)
        return _error(exc, runtime, "resolve", status=400)
    except Exception as exc:  # noqa: BLE001
        return _error(exc, runtime, "resolve")
    text = builtin.encode(res.to_value(), "dag-json")
    return web.Response(body=text, content_type=_FORMATS["dag-json"], status=200 if res.found else 404)


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    refresher = runtime.refresher
    return web.json_response({"status": "ok", "generation": runtime.generation().number,
                              "last_refresh": getattr(refresher, "last_at", 0.0)})


def _sample(value: float) -> str:
    """A sample value in full (``:g`` kept 6 digits: a counter past a million stopped moving)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 2 ** 53 else repr(float(value))


def _label_value(text: str) -> str:
    """A label value escaped as the Prometheus text format asks (backslash, quote, newline)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    lines: list[str] = []
    seen: set[str] = set()
    for (name, labels), value in sorted(runtime.metrics.snapshot().items()):
        full = f"autocodec_{name}"
        if full not in seen:
            seen.add(full)
            lines.append(f"# TYPE {full} counter")
        label_text = ",".join(f'{k}="{_label_value(v)}"' for k, v in labels)
        lines.append(f"{full}{{{label_text}}} {_sample(value)}" if label_text else f"{full} {_sample(value)}")
    lines.append("# TYPE autocodec_generation gauge")
    lines.append(f"autocodec_generation {runtime.generation().number}")
    lines.extend(_connection_lines(request.app[GUARD]))
    for name, value in sorted(runtime.sandbox_stats().items()):
        lines.append(f"# TYPE autocodec_{name} counter")
        lines.append(f"autocodec_{name} {_sample(value)}")
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")


def _connection_lines(guard: ConnectionGuard) -> list[str]:
    """The connection guard's state as Prometheus lines: open connections (a gauge) and the
    ones refused at the cap, evicted to make room and timed out waiting for headers (counters)."""
    lines = ["# TYPE autocodec_connections_open gauge", f"autocodec_connections_open {guard.open}"]
    for name, value in (("refused", guard.refused), ("evicted", guard.evicted), ("timed_out", guard.timed_out)):
        lines.append(f"# TYPE autocodec_connections_{name}_total counter")
        lines.append(f"autocodec_connections_{name}_total {value}")
    return lines


async def admin_refresh(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        local = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        local = False
    if not local:
        return _error(errors.CallerRefused("the admin call is loopback only", hint="call it from the server's machine"),
                      runtime, "admin")
    if "Origin" in request.headers:  # browsers send it on every POST; curl and scripts do not
        return _error(errors.CallerRefused("the admin call is not taken from a web page",
                                           hint="call it with an HTTP client that sends no Origin header, "
                                                "or send the server SIGHUP"), runtime, "admin")
    outcomes = await _run(request, runtime.refresh)
    return web.json_response([{"set": o.set_name, "status": o.status, "version": o.version, "reason": o.reason}
                              for o in outcomes])


def _serve_limits(runtime: "Runtime") -> ServeLimits:
    limits = getattr(runtime, "limits", None)
    serve_limits = getattr(limits, "serve", None)
    return serve_limits if isinstance(serve_limits, ServeLimits) else DEFAULT_LIMITS.serve


def obey_closing(runtime: "Runtime") -> dict[str, Any]:
    """``ThreadPoolExecutor`` arguments making its threads' fetches end when ``runtime`` closes
    (``Runtime.closing``), so no request thread waits out a silent source while the server stops."""
    closing = getattr(runtime, "closing", None)
    if closing is None:
        return {}
    from ..sources import obey

    return {"initializer": obey, "initargs": (closing,)}


def begin_stop(runtime: "Runtime") -> None:
    """The first step of stopping: cancel every fetch in flight and tell the refresher to stop."""
    closing = getattr(runtime, "closing", None)
    if closing is not None:
        closing.cancel()
    refresher = getattr(runtime, "refresher", None)
    if refresher is not None:
        refresher.signal_stop()


def make_app(runtime: "Runtime", *, workers: int = 8, guard: ConnectionGuard | None = None,
             dnslink: bool = True) -> web.Application:
    """The server's application; ``dnslink``: answer DNSLink sites by ``Host`` (``_dnslink_host``)."""
    from ._dnslink_host import DNSLINK_HOSTING

    guard = guard or ConnectionGuard(_serve_limits(runtime))
    from ._target import request_target

    from ._access import access_middleware

    # the access log and request counters outermost (the guard's deadline 503 is counted too);
    # then the subdomain and DNSLink hosts
    app = web.Application(middlewares=[access_middleware(runtime), guard.middleware, request_target])
    app[DNSLINK_HOSTING] = dnslink
    app[RUNTIME] = runtime
    app[GUARD] = guard
    app[EXECUTOR] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="autocodec-decode",
                                       **obey_closing(runtime))
    app.router.add_get("/decode/{cid}", decode)
    app.router.add_get("/resolve/{kind}/{code}", resolve)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/admin/refresh", admin_refresh)
    from ._ipvm import setup_ipvm

    setup_ipvm(app, runtime)
    from ._bao import setup_bao  # Bao streams of BLAKE3 CIDs (issue 23); before the gateway: /ipfs/{blob}
    from ._explorer import setup_explorer
    from ._gateway import setup_gateway

    setup_bao(app)
    setup_gateway(app)
    setup_explorer(app)
    from ._header_values import writable_header_values

    app.on_response_prepare.append(writable_header_values)  # last: after every hook that sets headers

    async def on_cleanup(app: web.Application) -> None:
        app[EXECUTOR].shutdown(wait=True, cancel_futures=True)

    app.on_cleanup.append(on_cleanup)
    return app


def serve(runtime: "Runtime", host: str = "127.0.0.1", port: int = 8080, *, refresh_interval_s: float | None = None,
          workers: int = 8, dnslink: bool = True) -> None:
    """Run the gateway until SIGTERM/SIGINT; refresh pinned sets on an interval and on SIGHUP.

    Connections are admitted by a ``ConnectionGuard`` (cap, header and request deadlines,
    rate-limited error logs; ``ServeLimits``)."""
    guard = ConnectionGuard(_serve_limits(runtime))
    app = make_app(runtime, workers=workers, guard=guard, dnslink=dnslink)

    async def on_startup(app: web.Application) -> None:
        runtime.start_refresh(refresh_interval_s)

    app.on_startup.append(on_startup)
    stopping: list[float] = []  # when the stop signal came (monotonic)
    try:
        asyncio.run(_serve_until_stopped(app, guard, runtime, host, port, refresh_interval_s, stopping))
    finally:
        before: dict[signal.Signals, Any] = {}
        if stopping and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal while closing: still no traceback
                before[sig] = signal.signal(sig, signal.SIG_IGN)
        try:
            bound = guard.limits.shutdown_s
            left = bound - (time.monotonic() - stopping[0]) if stopping else bound
            runtime.close(wait_s=max(0.5, left))
        finally:
            for stopped_by, handler in before.items():
                signal.signal(stopped_by, handler)


def _bound_port(server: asyncio.AbstractServer, asked: int) -> int:
    """The port ``server`` listens on (the one the system chose when ``asked`` was 0)."""
    for sock in getattr(server, "sockets", None) or ():
        name = sock.getsockname()
        if isinstance(name, tuple) and len(name) >= 2 and isinstance(name[1], int):
            return name[1]
    return asked


async def _serve_until_stopped(app: web.Application, guard: ConnectionGuard, runtime: "Runtime", host: str,
                               port: int, refresh_interval_s: float | None, stopping: list[float]) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(guard.errors.loop_exception)
    # aiohttp waits this long for the handlers in flight to finish, then cancels them and waits as long
    # again (a handler blocked on a slow reader's socket is only let go then): half the bound in all
    runner = web.AppRunner(app, handle_signals=False, keepalive_timeout=guard.limits.header_timeout_s,
                           shutdown_timeout=guard.limits.shutdown_s / 4,
                           logger=http_logger(guard.errors), max_line_size=guard.limits.max_request_line_bytes,
                           max_field_size=guard.limits.max_header_bytes)
    await runner.setup()
    server = None
    try:
        server = await loop.create_server(guard.factory(runner.server), host, port,  # type: ignore[arg-type]
                                          reuse_address=True, backlog=guard.accept_batch)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if hasattr(signal, "SIGHUP"):
            loop.add_signal_handler(signal.SIGHUP, runtime.refresh_soon)
        port = _bound_port(server, port)  # port 0: the one the system chose
        print(f"autocodec: serving on http://{host}:{port}", file=sys.stderr, flush=True)
        log.info("serve.start", host=host, port=port, refresh_interval_s=refresh_interval_s,
                 max_connections=guard.max_connections)
        await stop.wait()
        log.info("serve.stop", bound_s=guard.limits.shutdown_s)
    finally:
        stopping.append(time.monotonic())
        begin_stop(runtime)
        if server is not None:
            server.close()
        await runner.shutdown()
        await runner.cleanup()
