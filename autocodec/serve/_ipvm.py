"""The executor's routes: remote UCAN invocations, the job stream, and the trigger runner.

Routes (docs/invocations.md, "Remote invocation"):
- ``POST /ipvm/invoke``: a UCAN container (``{"ctn-v1": [tokens]}``, DAG-CBOR) with one
  ``/wasm/run`` invocation and its delegations; answers the signed receipt block
  (``application/vnd.ipld.dag-cbor``, ``X-Ipvm-Receipt: CID``, ``X-Ipvm-Cached: 0|1``), or
  a JSON error ``{"error": NAME, "message", "hint"}``: 400 ``InvalidToken``, 403 for a UCAN
  that does not authorize (its UCAN error name), 413 ``InvalidInput`` for a body over
  ``limits.remote.max_request_bytes`` (said by its Content-Length, or found while reading it),
  415 ``InvalidInput`` for a body declared of another type than DAG-CBOR (none declared is
  read as DAG-CBOR), 429 ``RateLimited`` (with ``Retry-After``).
- ``POST /ipvm/revoke``: the same container format, bounds and error bodies, holding one
  ``/ucan/revoke`` invocation, the revoked delegation and its path witness; recorded in this
  home's revocation table (``RemoteExecutor.revoke``), answered 200 ``{"revoked", "revocation",
  "new"}`` (a replay is ``"new": false``). One new to this home is logged for pulls in the
  transaction that records it, and pushed to the peers config.toml names (``peers`` under
  ``[ipvm]``; ``ipvm._gossip``) after the answer is ready. ``?relayed=1`` marks a peer's push
  (a revocation it recorded): taken past its own ``exp``; any other value of ``relayed`` is 400.
- ``GET /ipvm/revocations?since=N&limit=M``: the revocations this home took after log ``seq`` N
  (at most M, at most ``limits.gossip.page``), ``{"revocations": [{"seq", "container"}], "next"}``
  with each container in base64 and ``"log"`` (the log's id, once it has an entry): what peers pull.
- ``GET /ipvm/stream?since=N&limit=M``: job-stream entries after ``seq`` N as JSON.
- ``GET /ipvm/executor``: this executor's DID (what delegations must be rooted at).

Invariants: jobs run on their own thread pool (``jobs`` workers), never on the decode pool,
so pushed work cannot starve decodes; the request body is read up to
``limits.remote.max_request_bytes`` and no further. On a read-only home (a read-only mount: the
store is opened read-only) nothing here is built, since the executor's key, its tables and every
receipt are writes: each route answers 503 ``StoreError`` saying so (``refuse_ipvm``), and the
rest of the server serves what the home holds.
"""

from __future__ import annotations

import asyncio
import functools
import tomllib
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import errors
from ..log import get_logger

if TYPE_CHECKING:  # pragma: no cover
    from ..ipvm._gossip import Gossip
    from ..ipvm._remote import RemoteExecutor
    from ..ipvm._stream import JobStream
    from ..ipvm._triggers import TriggerRunner
    from ..registry import Runtime

log = get_logger("serve")

REMOTE: web.AppKey[RemoteExecutor] = web.AppKey("ipvm-remote")
STREAM: web.AppKey[JobStream] = web.AppKey("ipvm-stream")
JOBS: web.AppKey[ThreadPoolExecutor] = web.AppKey("ipvm-jobs")
TRIGGERS: web.AppKey[TriggerRunner] = web.AppKey("ipvm-triggers")
GOSSIP: web.AppKey[Gossip] = web.AppKey("ipvm-gossip")
CONTAINER_TYPE = "application/vnd.ipld.dag-cbor"


def _json_error(exc: BaseException, runtime: Runtime) -> web.Response:
    """The JSON error answer for ``exc`` in every route's shape (``_app._error``: ``error_body``,
    no local folder names, counted in ``errors_total``): 400 a token that is not a UCAN, 403 a
    UCAN that does not authorize, 429 ``RateLimited`` with ``Retry-After``, else ``status_for``."""
    from ..verify.ucan import InvalidToken, UcanError
    from ._app import _error

    status: int | None = None
    if isinstance(exc, errors.RateLimited):
        status = 429
    elif isinstance(exc, InvalidToken):
        status = 400
    elif isinstance(exc, UcanError):
        status = 403
    response = _error(exc, runtime, "ipvm", status=status)
    if status == 429:
        response.headers["Retry-After"] = "5"
    return response


def _too_large(cap: int, runtime: Runtime) -> web.Response:
    """413 (Content Too Large, RFC 9110 section 15.5.14), in the routes' error body shape."""
    exc = errors.InvalidInput(f"the request is over {cap} bytes",
                              hint="send a smaller container, or raise max_request_bytes under [limits.remote] "
                                   "in the executor's config.toml")
    return _json_error_at(exc, runtime, 413)


def _wrong_type(declared: str, runtime: Runtime) -> web.Response:
    """415 (Unsupported Media Type, RFC 9110 section 15.5.16), in the routes' error body shape."""
    exc = errors.InvalidInput(f"the request body is declared {declared[:80]!r}; a UCAN container is DAG-CBOR",
                              hint=f"send the container with Content-Type: {CONTAINER_TYPE}")
    return _json_error_at(exc, runtime, 415)


def _json_error_at(exc: errors.AutocodecError, runtime: Runtime, status: int) -> web.Response:
    """``exc`` answered with ``status`` in every route's error shape (``_app._error``)."""
    from ._app import _error

    return _error(exc, runtime, "ipvm", status=status)


async def _read_container(request: web.Request, cap: int) -> bytes | web.Response:
    """The request body, read up to ``cap`` bytes and no further; or the 415 / 413 answer."""
    from ._app import RUNTIME

    runtime = request.app[RUNTIME]
    if "Content-Type" in request.headers and request.content_type != CONTAINER_TYPE:
        return _wrong_type(request.headers["Content-Type"], runtime)
    if request.content_length is not None and request.content_length > cap:
        return _too_large(cap, runtime)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > cap:
            return _too_large(cap, runtime)
    return bytes(body)


async def invoke(request: web.Request) -> web.Response:
    from ._app import RUNTIME

    remote, runtime = request.app[REMOTE], request.app[RUNTIME]
    body = await _read_container(request, remote.scheduler.limits.max_request_bytes)
    if isinstance(body, web.Response):
        return body
    try:
        cid, block, cached = await asyncio.get_running_loop().run_in_executor(
            request.app[JOBS], remote.handle, body)
    except Exception as exc:  # noqa: BLE001 - mapped to a status, never leaked
        return _json_error(exc, runtime)
    return web.Response(body=block, content_type=CONTAINER_TYPE,
                        headers={"X-Ipvm-Receipt": str(cid), "X-Ipvm-Cached": "1" if cached else "0"})


async def revoke(request: web.Request) -> web.Response:
    """``POST /ipvm/revoke``: a container with one ``/ucan/revoke`` invocation, the revoked delegation and
    its path; 200 ``{"revoked", "revocation", "new"}`` (a replay too), else the routes' error bodies."""
    from ._app import RUNTIME, invalid_query

    remote, runtime = request.app[REMOTE], request.app[RUNTIME]
    relayed = request.query.get("relayed")
    if relayed not in (None, "1"):
        return invalid_query("relayed is 1 (a peer executor's push) or absent", "e.g. /ipvm/revoke?relayed=1")
    body = await _read_container(request, remote.scheduler.limits.max_request_bytes)
    if isinstance(body, web.Response):
        return body
    take = functools.partial(request.app[GOSSIP].take, body, relayed=relayed == "1")
    try:
        answer = await asyncio.get_running_loop().run_in_executor(request.app[JOBS], take)
    except Exception as exc:  # noqa: BLE001 - mapped to a status, never leaked
        return _json_error(exc, runtime)
    return web.json_response(answer)


async def revocation_log(request: web.Request) -> web.Response:
    """``GET /ipvm/revocations?since=N&limit=M``: a page of this home's revocation log (``page_json``)."""
    from ..ipvm._gossip import MAX_SEQ, page_json
    from ._app import RUNTIME, invalid_query

    gossip = request.app[GOSSIP]
    try:
        since = _query_int(request.query.get("since", "0"))
        limit = _query_int(request.query.get("limit", str(gossip.limits.page)))
    except ValueError:
        return invalid_query("since and limit are integers", "e.g. /ipvm/revocations?since=0")
    if not 0 <= since <= MAX_SEQ or not 0 < limit <= gossip.limits.page:
        return invalid_query(f"since is from 0 to {MAX_SEQ} and limit from 1 to {gossip.limits.page}",
                             "e.g. /ipvm/revocations?since=0&limit=100")
    try:
        log_id, entries = await asyncio.get_running_loop().run_in_executor(request.app[JOBS], gossip.log.page,
                                                                            since, limit)
    except errors.AutocodecError as exc:
        return _json_error(exc, request.app[RUNTIME])
    return web.json_response(page_json(entries, since, log_id))


async def stream(request: web.Request) -> web.Response:
    from ._app import RUNTIME

    try:
        since = _query_int(request.query.get("since", "0"))
        limit = _query_int(request.query.get("limit", "1000"))
    except ValueError:
        from ._app import invalid_query

        return invalid_query("since and limit are integers", "e.g. /ipvm/stream?since=0")
    try:
        entries = await asyncio.get_running_loop().run_in_executor(request.app[JOBS], request.app[STREAM].since,
                                                                    since, limit)
    except errors.InvalidInput as exc:  # since or limit out of range: a bad query, as a non-integer is
        return _json_error_at(exc, request.app[RUNTIME], 400)
    except errors.AutocodecError as exc:  # an entry block removed or damaged: its error, never a bare 500
        return _json_error(exc, request.app[RUNTIME])
    return web.json_response({"entries": [e.to_json() for e in entries],
                              "next": entries[-1].seq if entries else since})


def _query_int(text: str) -> int:
    """A query's integer as written in a URL: an optional ``-`` and ASCII digits. ``int`` alone also
    took ``1_000``, `` 5 `` and other scripts' digits (``since=\u0663`` read as 3); ``ValueError`` for those."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(text)
    return int(text)


async def executor_did(request: web.Request) -> web.Response:
    return web.json_response({"did": request.app[REMOTE].did})


def _config_doc(runtime: Runtime) -> dict[str, Any]:
    path = runtime.home.config_path
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise errors.ConfigError(f"cannot read {path.name}: {exc}") from None


READ_ONLY = errors.StoreError(
    "remote invocations are off: this server's home is read-only (receipts, the job stream and the "
    "executor's key are writes)", hint="serve a writable home to take invocations")


async def _read_only(request: web.Request) -> web.Response:
    """503 (Service Unavailable, RFC 9110 section 15.6.4) in the routes' error body shape."""
    from ._app import RUNTIME

    return _json_error_at(READ_ONLY, request.app[RUNTIME], 503)


def refuse_ipvm(app: web.Application) -> None:
    """The executor's routes on a read-only home: each says why it is off."""
    app.router.add_post("/ipvm/invoke", _read_only)
    app.router.add_post("/ipvm/revoke", _read_only)
    app.router.add_get("/ipvm/stream", _read_only)
    app.router.add_get("/ipvm/revocations", _read_only)
    app.router.add_get("/ipvm/executor", _read_only)
    log.warning("serve.read_only", detail="the home is read-only: serving what it holds; /ipvm/ is off")


def setup_ipvm(app: web.Application, runtime: Runtime, *, jobs: int = 4, key_name: str | None = None,
               trigger_poll_s: float = 1.0) -> None:
    """Add the executor's routes and trigger runner to ``app`` (all parts built here, once);
    on a read-only home, routes that say they are off (``refuse_ipvm``)."""
    if runtime.store.read_only:
        refuse_ipvm(app)
        return
    from ..ipvm import Executor
    from ..ipvm._gossip import Gossip, RevocationLog, load_peers, page_cap
    from ..ipvm._remote import RemoteExecutor
    from ..ipvm._scheduler import Scheduler, job_threads
    from ..ipvm._stream import JobStream
    from ..ipvm._triggers import TriggerRunner, load_triggers
    from ..verify.ucan import Revocations

    executor = Executor(runtime, key_name=key_name)
    job_stream = JobStream(runtime.store)
    revocations = Revocations(runtime.home.db_path, busy_timeout_ms=runtime.limits.store.busy_timeout_ms)
    app[STREAM] = job_stream
    app[REMOTE] = RemoteExecutor(executor, Scheduler(runtime.limits.remote), None, job_stream,
                                 revocations)
    # a job waiting for its issuer's slot holds its thread: one issuer must never hold them all
    from ._app import obey_closing

    app[JOBS] = ThreadPoolExecutor(max_workers=job_threads(runtime.limits.remote, jobs),
                                   thread_name_prefix="autocodec-job", **obey_closing(runtime))
    config = _config_doc(runtime)
    app[TRIGGERS] = TriggerRunner(executor, job_stream, load_triggers(config), poll_s=trigger_poll_s)
    gossip_limits = runtime.limits.gossip
    remote = app[REMOTE]
    app[GOSSIP] = Gossip(load_peers(config, gossip_limits), gossip_limits,
                         RevocationLog(runtime.home.db_path, busy_timeout_ms=runtime.limits.store.busy_timeout_ms,
                                       max_rows=gossip_limits.max_log, queue=gossip_limits.queue),
                         lambda container, also: remote.accept_revocation(container, also=also),
                         max_page_bytes=page_cap(runtime.limits.remote.max_request_bytes),
                         relay=lambda container, also: remote.accept_revocation(container, also=also, relayed=True))
    app.router.add_post("/ipvm/invoke", invoke)
    app.router.add_post("/ipvm/revoke", revoke)
    app.router.add_get("/ipvm/stream", stream)
    app.router.add_get("/ipvm/revocations", revocation_log)
    app.router.add_get("/ipvm/executor", executor_did)

    async def on_startup(app: web.Application) -> None:
        app[TRIGGERS].start()
        app[GOSSIP].start()

    async def on_cleanup(app: web.Application) -> None:
        app[TRIGGERS].stop()
        app[GOSSIP].stop()
        app[JOBS].shutdown(wait=True, cancel_futures=True)

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
