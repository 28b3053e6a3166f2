"""``GET /bao/{cid}``: a stored BLAKE3 CID as a Bao stream the client verifies as it reads.

``/bao/{cid}`` answers the combined encoding (8-byte length, tree in pre-order, chunks): the
stored file ``<home>/bao/<cid>.bao`` itself (``autocodec bao add``), sent with sendfile;
``/bao/{cid}?start=N&count=M`` answers the slice proving content bytes ``[N, N+M)``, read from
it in pieces of about 1 MiB in the worker pool, so memory is bounded for any size. The server verifies
nothing: ``autocodec bao cat CID --gateway URL`` checks every chunk against the CID and stops
at the first corrupt one. Errors: 400 for a malformed CID or range, 404 for a blob not held.

``GET|HEAD /ipfs/{cid}`` of a BLAKE3 CID held here as a blob (no path, no format or
``format=raw``) answers its content, verified against the CID by the server as it is read
(``BlobStore.verified``): ``Range: bytes=a-b`` (or ``a-``, ``-n``) is 206 with that slice,
read through its Bao slice so only the chunks it covers are read and checked; an unsatisfiable
range is 416 and so is a request for several ranges (one range per request, docs/bao.md).
Stored content that fails its check is 500 before the first byte, or a cut connection after
it (the Content-Length is then never met). Every other ``/ipfs/`` request goes to the gateway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterator

from aiohttp import web

from ..bao import BlobStore
from ..cid import CID
from ..errors import AutocodecError, InvalidInput, NotFound
from ..bao import VerificationFailed

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
    except AutocodecError as exc:
        raise web.HTTPBadRequest(text=exc.one_line() + "\n") from None
    headers = {"Content-Type": "application/octet-stream", "X-Bao-Content-Length": str(length),
               "X-Content-Type-Options": "nosniff"}
    if count is None:  # the stored file is the combined encoding: sent as is (sendfile)
        return web.FileResponse(store.path(cid), headers=headers)
    response = web.StreamResponse(headers=headers)
    response.content_length = size  # a plain body, not chunked: clients read it at full speed
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    while True:
        piece = await loop.run_in_executor(request.app[EXECUTOR], next, pieces, None)
        if piece is None:
            break
        await response.write(piece)
    await response.write_eof()
    return response


def _held(request: web.Request) -> tuple[BlobStore, CID, int] | None:
    """The blob a single-segment ``/ipfs/{cid}`` names, when it is one held here."""
    from ._app import RUNTIME

    try:
        cid = CID.parse(request.match_info["path"])
        if cid.codec != 0x55 or cid.hash_code != 0x1E or len(cid.digest) != 32:
            return None
        store = BlobStore(request.app[RUNTIME].home.root / "bao")
        return store, cid, store.length(cid)
    except AutocodecError:
        return None


def _nothing() -> Generator[memoryview, None, None]:
    yield from ()


def _single_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte span of a one-range ``Range`` header (``None``: not a byte range,
    the whole content is sent); several ranges or an unsatisfiable one raise a 416."""
    from ._gateway import GatewayError, parse_range

    unit, _, spec = header.partition("=")
    if unit.strip().lower() == "bytes" and "," in spec:
        raise GatewayError(416, f"several ranges in {header[:100]!r}: this gateway answers one range per request")
    return parse_range(header, size)


async def ipfs_blob(request: web.Request) -> web.StreamResponse:
    """``/ipfs/{cid}`` for a held BLAKE3 blob (see the module docstring), else the gateway."""
    from ..bao import verifier
    from ._app import EXECUTOR, RUNTIME
    from ._gateway import IMMUTABLE, RAW, GatewayError, not_modified, content_type_for, ipfs, negotiate

    held = _held(request)
    if held is None:
        return await ipfs(request)
    try:
        media, _params = negotiate(request)
    except Exception:  # noqa: BLE001 - the gateway answers its own negotiation errors
        return await ipfs(request)
    if media not in (None, RAW):
        return await ipfs(request)
    store, cid, size = held
    etag = f'"{cid}.raw"' if media == RAW else f'"{cid}"'
    headers = {"Ipfs-Uri": f"ipfs://{cid}", "X-Ipfs-Roots": str(cid), "Etag": etag, "Cache-Control": IMMUTABLE,
               "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff"}
    if not_modified(request, etag):
        return web.Response(status=304, headers=headers)
    span, status = ((0, size - 1) if size else None), 200
    if "Range" in request.headers and size:
        try:
            asked = _single_range(request.headers["Range"], size)
        except GatewayError as exc:
            if exc.status == 416:
                headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=exc.status, text=exc.text + "\n", headers=headers, content_type="text/plain")
        if asked is not None:
            span, status = asked, 206
            headers["Content-Range"] = f"bytes {asked[0]}-{asked[1]}/{size}"
    runtime = request.app[RUNTIME]
    loop = asyncio.get_running_loop()
    pool = request.app[EXECUTOR]
    if span is None or span[0] > span[1]:  # nothing asked, or a zero-length suffix
        pieces: Generator[memoryview, None, None] = _nothing()
    elif status == 206:
        pieces = store.verified(verifier(runtime), cid, span[0], span[1] - span[0] + 1)
    else:
        # one stream: the server's parallelism is its concurrent requests (each would hold
        # a thread, an instance and buffers per CPU otherwise)
        pieces = store.verified(verifier(runtime), cid, threads=1)
    try:
        first: memoryview | None = await loop.run_in_executor(pool, next, pieces, None)
    except VerificationFailed as exc:
        runtime.metrics.inc("errors_total", route="ipfs", error="VerificationFailed")
        raise web.HTTPInternalServerError(text=f"the stored copy of {cid} does not match it: {exc.message}\n") from None
    headers["Content-Type"] = RAW if media == RAW else content_type_for("", bytes(first[:512]) if first else b"")
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = 0 if span is None else span[1] - span[0] + 1
    await response.prepare(request)
    if request.method == "HEAD":
        pieces.close()
        return response
    piece: memoryview | None = first
    try:
        while piece is not None:
            await response.write(bytes(piece))  # a copy: the view is reused by the next piece
            piece = await loop.run_in_executor(pool, next, pieces, None)
    except VerificationFailed:
        runtime.metrics.inc("errors_total", route="ipfs", error="VerificationFailed")
        raise asyncio.CancelledError() from None  # cut short: the client sees the body end early
    await response.write_eof()
    return response


def setup_bao(app: web.Application) -> None:
    """``/bao/{cid}``, and ``/ipfs/{cid}`` for held blobs (register before the gateway: a
    single-segment ``/ipfs/`` path comes here first and is handed on when it is not a blob)."""
    app.router.add_get("/bao/{cid}", bao_stream)
    app.router.add_get("/ipfs/{path:[^/]+}", ipfs_blob)
