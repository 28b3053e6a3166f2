"""``GET /bao/{cid}``: a stored BLAKE3 CID as a Bao stream the client verifies as it reads.

``/bao/{cid}`` answers the combined encoding (8-byte length, tree in pre-order, chunks): the
stored file ``<home>/bao/<cid>.bao`` itself (``autocodec bao add``), sent with sendfile;
``/bao/{cid}?start=N&count=M`` answers the slice proving content bytes ``[N, N+M)``, read from
it in pieces of about 1 MiB in the worker pool, so memory is bounded for any size. The server verifies
nothing: ``autocodec bao cat CID --gateway URL`` checks every chunk against the CID and stops
at the first corrupt one. Errors: 400 for a malformed CID or range, 404 for a blob not held,
500 for a stored file whose size is not the one its length header implies (truncated, or
grown, on disk) or whose first piece cannot be read: both are found before the status is sent,
so a blob known bad is an error status, not a cut connection. Past the first piece, a read
error cuts the connection (the Content-Length is never met).

``GET|HEAD /ipfs/{cid}`` (or ``/ipfs/{cid}/``, and the root of the CID's subdomain origin)
of a BLAKE3 CID held here as a blob (no path, no format or ``format=raw``) answers its content,
verified against the CID by the server as it is read (``BlobStore.verified``), with the raw
block's headers and conditional answers (``_preconditions``, as the gateway's): ``Range: bytes=a-b`` (or ``a-``, ``-n``) is 206 with that slice,
read through its Bao slice so only the chunks it covers are read and checked; an unsatisfiable
range is 416 and so is a request for several ranges (one range per request, docs/bao.md).
Stored content that fails its check (or a stored file of the wrong size) is 500 before the
first byte, or a cut connection after it (the Content-Length is then never met).

The verifier module a blob stream starts with verifies it to the end only while it is still
the one that serves ``verifier bao``: the trust state is looked at again whenever its
generation moves (``Runtime.generation``, polled every ``TRUST_POLL_S``), before each piece is
verified and before each is sent; a module revoked, expired, withdrawn from its set or
replaced by an upgrade cuts the connection, and no piece it verifies after that is sent. A
client resumes with a ``Range`` request, which the current module serves (or a 403 when no
trusted module serves ``verifier bao`` any more). Every other ``/ipfs/`` request goes to the gateway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Generic, TypeVar

from aiohttp import web

from ..abi import Kind
from ..bao import BlobStore, VerificationFailed
from ..cid import CID
from ..errors import AutocodecError, InvalidInput, NotFound, NotTrusted, StoreCorrupt
from ..loader._verifier import Verifier
from ._gateway_request import query_filename
from ._go_cid import gateway_cid
from ._guard import keep_going
from ._paths import content_path

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

_T = TypeVar("_T")
_MAX = (1 << 64) - 1
_MAX_DIGITS = 20  # len(str(_MAX)); leading zeros past it are refused too


def _number(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if text is None:
        return None
    # ASCII digits only, and no more than 2^64 has: str.isdigit() also takes '²' (int() then
    # raises ValueError, a 500) and Arabic-Indic digits, and int() refuses over 4300 digits
    if not (0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()) or int(text) > _MAX:
        raise InvalidInput(f"{name} must be a decimal number below 2^64")
    return int(text)


async def bao_stream(request: web.Request) -> web.StreamResponse:
    from ._app import EXECUTOR, RUNTIME

    runtime = request.app[RUNTIME]
    store = BlobStore(runtime.home.root / "bao")
    try:
        cid = CID.parse(request.match_info["cid"])
        start, count = _number(request, "start"), _number(request, "count")
        if (start is None) != (count is None):
            raise InvalidInput("give both start and count, or neither")
        length = store.length(cid)
        size = store.stream_size(cid, start or 0, count)
        pieces: Iterator[bytes] = store.serve_stream(cid, start or 0, count)
    except NotFound as exc:
        raise web.HTTPNotFound(text=exc.one_line() + "\n") from None
    except StoreCorrupt as exc:
        raise _stored_bad(request, cid, exc) from None
    except AutocodecError as exc:
        raise web.HTTPBadRequest(text=exc.one_line() + "\n") from None
    _whole_on_disk(request, store, cid)
    headers = {"Content-Type": "application/octet-stream", "X-Bao-Content-Length": str(length),
               "X-Content-Type-Options": "nosniff"}
    if count is None:  # the stored file is the combined encoding: sent as is (sendfile)
        return web.FileResponse(store.path(cid), headers=headers)
    pull: _Pull[bytes] = _Pull(request.app[EXECUTOR], pieces)
    try:
        try:  # the first piece before the status: a blob bad at its start is an error status
            piece: bytes | None = await pull.next()
        except (AutocodecError, OSError) as exc:
            raise _stored_bad(request, cid, exc) from None
        response = web.StreamResponse(headers=headers)
        response.content_length = size  # a plain body, not chunked: clients read it at full speed
        await response.prepare(request)
        try:
            while piece is not None:
                await response.write(piece)
                keep_going(request)
                piece = await pull.next()
        except (AutocodecError, OSError) as exc:
            if isinstance(exc, ConnectionError):  # the client went away
                raise asyncio.CancelledError() from None
            _stored_bad(request, cid, exc)  # counted; the status is sent: the connection is cut
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError() from None
        await response.write_eof()
        return response
    finally:
        pull.close()


class _Pull(Generic[_T]):
    """Pieces pulled one at a time on a worker thread. ``close`` closes the source (its file,
    its guest instance) at once, or, when a pull is still running on a worker (the request
    was cancelled: a client gone, the request deadline), as soon as that pull ends: a
    stream a client abandons never holds a descriptor until the garbage collector comes."""

    def __init__(self, pool: Executor, pieces: Iterator[_T]) -> None:
        self._pool = pool
        self._pieces = pieces
        self._running: Future[_T | None] | None = None

    async def next(self) -> _T | None:
        self._running = self._pool.submit(next, self._pieces, None)
        return await asyncio.wrap_future(self._running)

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)  # a generator's; a plain iterator holds nothing
        if close is None:
            return
        running = self._running
        if running is not None and not running.done():
            running.add_done_callback(lambda _done: close())
        else:
            close()


def _stored_bad(request: web.Request, cid: CID, exc: BaseException) -> web.HTTPInternalServerError:
    """Count a stored blob that cannot be served; the 500 to answer before the status was sent."""
    from ._app import RUNTIME, public_text

    runtime = request.app[RUNTIME]
    runtime.metrics.inc("errors_total", route="bao", error=type(exc).__name__)
    what = public_text(exc.told, runtime) if isinstance(exc, AutocodecError) else type(exc).__name__
    return web.HTTPInternalServerError(text=f"the stored copy of {cid} cannot be served: {what}; "
                                            "the server's operator adds the content again to repair it\n")


def _whole_on_disk(request: web.Request, store: BlobStore, cid: CID) -> None:
    """A 500 unless the stored encoding has the size its length header implies (one stat)."""
    try:
        expected, actual = store.stream_size(cid), store.path(cid).stat().st_size
    except (AutocodecError, OSError) as exc:
        raise _stored_bad(request, cid, exc) from None
    if actual != expected:
        raise _stored_bad(request, cid, InvalidInput(f"it is {actual} bytes on disk, its header implies {expected}"))


class _Watch:
    """The ``verifier`` module one stream started with, checked again each time the runtime's
    trust generation moves; ``check`` raises ``NotTrusted`` once it no longer serves."""

    def __init__(self, runtime: "Runtime", name: str) -> None:
        gen = runtime.generation()
        self.runtime, self.name, self.number = runtime, name, gen.number
        self.module = runtime.resolve(Kind.VERIFIER, name, generation=gen).module
        self.verifier = Verifier(runtime.resolver.adapter(Kind.VERIFIER, name, generation=gen))

    def check(self) -> None:
        gen = self.runtime.generation()
        if gen.number == self.number:
            return
        now = self.runtime.resolve(Kind.VERIFIER, self.name, generation=gen)
        if now.module != self.module:
            raise NotTrusted(f"verifier {self.name} ({self.module}) stopped serving while this stream was sent: "
                             f"{now.why}", hint="request the rest again (a Range request)")
        self.number = gen.number

    def pieces(self, inner: Generator[memoryview, None, None]) -> Generator[memoryview, None, None]:
        """``inner``'s pieces, each verified and sent only while the module still serves."""
        try:
            while True:
                self.check()
                piece = next(inner, None)
                if piece is None:
                    return
                self.check()
                yield piece
        finally:
            inner.close()


def _held(request: web.Request) -> tuple[BlobStore, CID, int] | None:
    """The blob a single-segment ``/ipfs/{cid}`` (or ``/ipfs/{cid}/``, as a subdomain origin's
    root asks for it) names, when it is one held here."""
    segment = _blob_segment(content_path(request))
    return None if segment is None else _held_blob(request, segment)


def _held_blob(request: web.Request, segment: str) -> tuple[BlobStore, CID, int] | None:
    """The blob ``segment`` (a CID's text) names, when it is one held here."""
    from ._app import RUNTIME

    try:
        cid = gateway_cid(segment)  # a base Kubo does not read is the gateway's 400, never a blob
        if cid.codec != 0x55 or cid.hash_code != 0x1E or len(cid.digest) != 32:
            return None
        store = BlobStore(request.app[RUNTIME].home.root / "bao")
        return store, cid, store.length(cid)
    except StoreCorrupt as exc:  # held but damaged: an error status, not another route's 404
        raise _stored_bad(request, cid, exc) from None
    except AutocodecError:
        return None


def _held_under(request: web.Request) -> tuple[BlobStore, CID, int] | None:
    """The blob the first segment of a longer ``/ipfs/{cid}/...`` names, when it is held here."""
    root, slash, rest = content_path(request).partition("/")
    if not slash or not rest.strip("/"):
        return None
    return _held_blob(request, root)


def _asks_car(request: web.Request) -> bool:
    """Whether the request asks for a CAR (``?format=car`` or its Accept type)."""
    from ._formats import CAR, negotiate

    try:
        return negotiate(request)[0] == CAR
    except Exception:  # noqa: BLE001 - the gateway answers its own negotiation errors
        return False


def _blob_segment(path: str) -> str | None:
    """The one segment of a content path that may name a blob (``cid`` or ``cid/``), else None."""
    segment = path[:-1] if path.endswith("/") else path
    return segment if segment and "/" not in segment else None


def _blob_headers(request: web.Request, cid: CID, media: str | None) -> dict[str, str]:
    """The headers the gateway gives the raw block of ``cid`` (docs/gateway.md): its ETag, the
    immutable cache, and ``Content-Disposition``: an attachment named ``{cid}.bin`` (or
    ``?filename=``) for ``format=raw``, else only when ``?filename=`` names one (``download=true``:
    an attachment)."""
    from ._formats import RAW
    from ._gateway_headers import IMMUTABLE, _disposition

    slash = "/" if content_path(request).endswith("/") else ""
    etag = f'"{cid}.raw"' if media == RAW else f'"{cid}"'
    headers = {"Ipfs-Uri": f"ipfs://{cid}{slash}", "X-Ipfs-Roots": str(cid), "Etag": etag,
               "Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes"}
    name = query_filename(request)
    if media == RAW:  # a block: nosniff, as the gateway's raw answers (a file has none, as in Kubo)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Content-Disposition"] = _disposition("attachment", query_filename(request) or f"{cid}.bin")
    elif name:
        how = "attachment" if request.query.get("download") == "true" else "inline"
        headers["Content-Disposition"] = _disposition(how, name)
    return headers


def _nothing() -> Generator[memoryview, None, None]:
    yield from ()


def _single_range(header: str, size: int, head: bool) -> tuple[int, int] | None:
    """The inclusive byte span of a one-range ``Range`` header (``None``: not a byte range,
    the whole content is sent); several ranges or an unsatisfiable one raise a 416. The syntax
    is read first (a 400), but on ``head`` (Kubo's HEAD of a file: Go's 416), as ``parse_range``."""
    from ._gateway_error import GatewayError
    from ._ranges import check_range_syntax, parse_range

    if not head:
        check_range_syntax(header)
    unit, _, spec = header.partition("=")
    if unit.strip().lower() == "bytes" and "," in spec:
        raise GatewayError(416, f"several ranges in {header[:100]!r}: this gateway answers one range per request")
    return parse_range(header, size, head=head)


async def ipfs_blob(request: web.Request) -> web.StreamResponse:
    """``/ipfs/{cid}`` for a held BLAKE3 blob (see the module docstring), else the gateway.
    The conditional headers are read as for any raw block (``_preconditions``: a 304, a 412,
    and ``If-Range`` deciding whether ``Range`` applies), then the one range."""
    from ._app import EXECUTOR, RUNTIME
    from ._formats import CAR, CBOR, DAG_CBOR, DAG_JSON, JSON, RAW, TAR, _content_location, negotiate
    from ._gateway import ipfs
    from ._gateway_view import _CONTENT_LOCATION
    from ._gateway_error import GatewayError
    from ._ranges import _defaults_range_check, _preconditions

    held = _held(request)
    if held is None:
        under = _held_under(request)
        if under is not None:  # a path under a blob: Kubo's answer for a path under a raw block
            return await _blob_as_block(request, under, CAR if _asks_car(request) else None)
        return await ipfs(request)
    try:
        media, params = negotiate(request)
    except Exception:  # noqa: BLE001 - the gateway answers its own negotiation errors
        return await ipfs(request)
    if media in (CAR, TAR, DAG_JSON, DAG_CBOR):
        return await _blob_as_block(request, held, media)
    if media not in (None, RAW, JSON, CBOR):
        return await ipfs(request)
    if media is not None and (location := _content_location(request, media, params)) is not None:
        request[_CONTENT_LOCATION] = location  # the format the Accept header chose, as the gateway names it
    if media in (JSON, CBOR):
        media = None  # Kubo ignores the generic formats for a raw block: the content, as a file
    store, cid, size = held
    headers = _blob_headers(request, cid, media)
    decided, ranged = _preconditions(request, headers, None)
    if decided is not None:
        if decided.status == 412:
            decided.headers["Content-Type"] = await _whole_type(request, store, cid, size, media)
        return decided
    span, status = ((0, size - 1) if size else None), 200
    try:
        if media is None:
            _defaults_range_check(request)  # as for any GET with no format, whether or not the range applies
        asked = _single_range(request.headers["Range"], size, request.method == "HEAD" and media != RAW) \
            if ranged and size else None
    except GatewayError as exc:
        if exc.status == 416:
            headers["Content-Range"] = f"bytes */{size}"
        else:  # a malformed header: the gateway's 400, without the content's validators and caching
            headers = {k: v for k, v in headers.items() if k in ("Ipfs-Uri", "X-Ipfs-Roots")}
        return web.Response(status=exc.status, text=exc.text + "\n", content_type="text/plain",
                            headers={**headers, "X-Content-Type-Options": "nosniff"})  # an error: nosniff
    if asked is not None:
        span, status = asked, 206
        headers["Content-Range"] = f"bytes {asked[0]}-{asked[1]}/{size}"
    runtime = request.app[RUNTIME]
    pool = request.app[EXECUTOR]
    _whole_on_disk(request, store, cid)
    try:
        watch = _Watch(runtime, "bao")
    except AutocodecError as exc:  # no trusted verifier serves now (revoked, withdrawn...)
        return _unserved(runtime, exc)
    if span is None or span[0] > span[1]:  # nothing asked, or a zero-length suffix
        pieces: Generator[memoryview, None, None] = _nothing()
    elif status == 206:
        pieces = watch.pieces(store.verified(watch.verifier, cid, span[0], span[1] - span[0] + 1))
    else:
        # one stream: the server's parallelism is its concurrent requests (each would hold
        # a thread, an instance and buffers per CPU otherwise)
        pieces = watch.pieces(store.verified(watch.verifier, cid, threads=1))
    pull = _Pull(pool, pieces)

    def file_head(count: int) -> bytes:  # the content's first bytes, verified, to type a short span at its start
        return b"".join(bytes(p) for p in watch.pieces(store.verified(watch.verifier, cid, 0, min(count, size))))

    try:
        return await _send_blob(request, pull, cid, media, status, span, headers, file_head)
    finally:
        pull.close()


def _unserved(runtime: "Runtime", exc: AutocodecError) -> web.Response:
    """The answer when no trusted module serves ``verifier bao`` now (revoked, withdrawn...)."""
    from ._app import public_text
    from ._gateway_error import status_for_gateway

    runtime.metrics.inc("errors_total", route="ipfs", error=type(exc).__name__)
    return web.Response(status=status_for_gateway(exc), text=public_text(exc.told, runtime) + "\n",
                        headers={"X-Content-Type-Options": "nosniff"}, content_type="text/plain")


async def _blob_as_block(request: web.Request, held: tuple[BlobStore, CID, int],
                         media: str | None) -> web.StreamResponse:
    """A held blob asked for as a CAR (of it, or of a path under it), a TAR, DAG-JSON or
    DAG-CBOR, or a path under it in any other form (``media`` None: a 404 in Kubo's words, the
    block it ends at read; past the block limit, the gateway's 404). Within the block limit (``DecodeLimits.max_block_bytes``, what this runtime takes
    as one block anywhere) it is the raw block of its CID: read whole, verified, and answered by
    the gateway as Kubo answers a raw block (a CAR of that block, or of the blocks up to where a
    path under it ends; a TAR of one file; 406 for the DAG formats). Past it no
    block holds it (a CAR reader refuses a block that size), so the answer is a 406 naming the
    forms it has: the content (verified here) and its Bao stream (verified by the client)."""
    from ._app import EXECUTOR, RUNTIME
    from ._formats import FORMATS
    from ._gateway import ipfs
    from ._gateway_locate import HELD_BLOCK

    store, cid, size = held
    runtime = request.app[RUNTIME]
    limit = runtime.limits.decode.max_block_bytes
    if size > limit:
        if media is None:
            return await ipfs(request)
        asked = next(name for name, value in FORMATS.items() if value == media)
        runtime.metrics.inc("errors_total", route="ipfs", error="BlobOverBlockLimit")
        return web.Response(status=406, content_type="text/plain", headers={
            "X-Content-Type-Options": "nosniff", "X-Ipfs-Roots": str(cid)},
            text=f"{cid} is a blob of {size} bytes, over the {limit}-byte block limit: it has no {asked} form "
                 f"(no block can hold it); fetch its content with ?format=raw, verified by this gateway, "
                 f"or its Bao stream at /bao/{cid} to verify it yourself\n")
    _whole_on_disk(request, store, cid)
    try:
        watch = _Watch(runtime, "bao")
    except AutocodecError as exc:
        return _unserved(runtime, exc)

    def whole() -> bytes:
        return b"".join(bytes(piece) for piece in watch.pieces(store.verified(watch.verifier, cid, threads=1)))

    try:
        data = await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR], whole)
    except NotTrusted as exc:  # the verifier stopped serving while the blob was read
        return _unserved(runtime, exc)
    except AutocodecError as exc:  # stored content that fails its check (VerificationFailed)
        raise _stored_bad(request, cid, exc) from None
    request[HELD_BLOCK] = (cid, data)
    return await ipfs(request)


async def _whole_type(request: web.Request, store: BlobStore, cid: CID, size: int, media: str | None) -> str:
    """The type of the whole blob, as its 200 would name it, for a 412 (Kubo sets the type
    before Go's content server decides): the raw type, the ``?filename=`` type, else the type
    read from its first bytes, verified (``application/octet-stream`` when they cannot be)."""
    from ._app import EXECUTOR, RUNTIME
    from ._detect import LIMIT
    from ._content_type import content_type_for
    from ._formats import RAW

    name = query_filename(request)
    if media == RAW:
        return RAW

    def first_bytes() -> bytes:
        watch = _Watch(request.app[RUNTIME], "bao")
        if not size:
            return b""
        return b"".join(bytes(p) for p in watch.pieces(store.verified(watch.verifier, cid, 0, min(LIMIT, size))))

    try:
        head = await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR], first_bytes)
    except (AutocodecError, OSError):
        return "application/octet-stream"
    return content_type_for(name, head, True)


async def _send_blob(request: web.Request, pull: _Pull[memoryview], cid: CID, media: str | None, status: int,
                     span: tuple[int, int] | None, headers: dict[str, str],
                     file_head: Callable[[int], bytes]) -> web.StreamResponse:
    """Send ``pull``'s pieces. The type is read as Kubo reads a raw block's: the first 4 KiB of
    the content for an answer from its first byte (a short span there reads them apart, with
    ``file_head``), else Go's sniff of the span's first 512 bytes; so up to that much is read,
    and verified, before the status is sent."""
    from ._app import EXECUTOR, RUNTIME, public_text
    from ._detect import LIMIT
    from ._content_type import content_type_for
    from ._formats import RAW

    runtime = request.app[RUNTIME]
    from_start = span is None or span[0] == 0 or span[0] > span[1]  # ``-0`` too: Kubo types it from the start
    want = LIMIT if from_start else 512
    ahead: list[bytes] = []  # pieces read before the status (copies: a view is reused by the next piece)
    try:
        piece = await pull.next()
        while piece is not None:
            ahead.append(bytes(piece))
            if sum(map(len, ahead)) >= want or media == RAW:
                break
            piece = await pull.next()
        head = b"".join(ahead)[:want]
        if media != RAW and status == 206 and from_start and span is not None and len(head) == span[1] - span[0] + 1 < want:
            loop = asyncio.get_running_loop()  # a short span at the start: its type is the content's
            head = await loop.run_in_executor(request.app[EXECUTOR], file_head, want)
    except VerificationFailed as exc:
        runtime.metrics.inc("errors_total", route="ipfs", error="VerificationFailed")
        raise web.HTTPInternalServerError(text=f"the stored copy of {cid} does not match it: {public_text(exc.message, runtime)}\n") from None
    except NotTrusted as exc:  # the verifier stopped serving between the check above and now
        runtime.metrics.inc("errors_total", route="ipfs", error=type(exc).__name__)
        return web.Response(status=403, text=public_text(exc.message, runtime) + "\n", headers={"X-Content-Type-Options": "nosniff"},
                            content_type="text/plain")
    except (AutocodecError, OSError) as exc:
        raise _stored_bad(request, cid, exc) from None
    headers["Content-Type"] = RAW if media == RAW else content_type_for(query_filename(request), head, from_start)
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = 0 if span is None else span[1] - span[0] + 1
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    try:
        for early in ahead:
            await response.write(early)
        piece = await pull.next() if piece is not None else None
        while piece is not None:
            await response.write(bytes(piece))  # a copy: the view is reused by the next piece
            piece = await pull.next()
    except ConnectionError:  # the client went away
        raise asyncio.CancelledError() from None
    except (AutocodecError, OSError) as exc:  # a bad piece, or the verifier stopped serving
        runtime.metrics.inc("errors_total", route="ipfs", error=type(exc).__name__)
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError() from None  # cut short: the client sees the body end early
    await response.write_eof()
    return response


def setup_bao(app: web.Application) -> None:
    """``/bao/{cid}``, and ``/ipfs/{cid}`` for held blobs (register before the gateway: a
    single-segment ``/ipfs/`` path comes here first and is handed on when it is not a blob; a
    longer one too, for a CAR of a path under a blob)."""
    app.router.add_get("/bao/{cid}", bao_stream)
    app.router.add_get("/ipfs/{path:[^/]+/?}", ipfs_blob)
    app.router.add_get(r"/ipfs/{path:[^/]+/[\s\S]+}", ipfs_blob)
