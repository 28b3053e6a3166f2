"""``GET /bao/{cid}``: a stored BLAKE3 CID as a Bao stream the client verifies as it reads.

``/bao/{cid}`` answers the combined encoding (8-byte length, tree in pre-order, chunks);
``/bao/{cid}?start=N&count=M`` answers the slice proving content bytes ``[N, N+M)``. Both are
built from the content and outboard of ``<home>/bao/`` (``autocodec bao add``) in pieces of
about 1 MiB, read in the worker pool, so memory is bounded for any size. The server verifies
nothing: ``autocodec bao cat CID --gateway URL`` checks every chunk against the CID and stops
at the first corrupt one. Errors: 400 for a malformed CID or range, 404 for a blob not held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from aiohttp import web

from ..bao import BlobStore
from ..cid import CID
from ..errors import AutocodecError, InvalidInput, NotFound

_MAX = (1 << 64) - 1


def _number(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if text is None:
        return None
    if not text.isdigit() or int(text) > _MAX:
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
    response = web.StreamResponse(headers={
        "Content-Type": "application/octet-stream",
        "X-Bao-Content-Length": str(length),
        "X-Content-Type-Options": "nosniff",
    })
    response.content_length = size  # a plain body, not chunked: clients read it at full speed
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    done = object()
    while True:
        piece = await loop.run_in_executor(request.app[EXECUTOR], next, pieces, done)
        if piece is done:
            break
        assert isinstance(piece, bytes)
        await response.write(piece)
    await response.write_eof()
    return response


def setup_bao(app: web.Application) -> None:
    app.router.add_get("/bao/{cid}", bao_stream)
