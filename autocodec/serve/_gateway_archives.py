"""CAR and TAR answers (``?format=car``, ``?format=tar``), streamed.

Invariants:
- A CAR starts at the block the path ends at, after the blocks the path crossed (a client can
  verify the path); its ETag names what was asked (path, root, parameters), even when only the
  blocks up to a missing segment are sent.
- A TAR is of a UnixFS entity only (other blocks are a 400); its root header is read before the
  status is sent, so an unreadable root is an error status, not a broken body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web

from ..unixfs import _tar
from . import _car, _unixfs
from ._formats import TAR
from ._gateway_body import _stream
from ._gateway_error import GatewayError
from ._gateway_headers import _disposition, _immutable, _resolved_headers
from ._gateway_locate import Target
from ._gateway_request import query_filename
from ._paths import _clean, content_path
from ._ranges import not_modified

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime


async def _car_response(request: web.Request, runtime: "Runtime", target: Target, params: _car.CarParams,
                        up_to_missing: bool = False) -> web.StreamResponse:
    """A CAR of ``target`` per ``params`` (``up_to_missing``: the path's last segment names
    nothing, and only the blocks up to it are sent; the ETag still names what was asked)."""
    from ..store import CarWriter
    from ._app import _run

    etag = _car.car_etag(_clean("/ipfs/" + content_path(request)), target.path.root, params)
    name = "_".join((str(target.path.root), *target.path.segments[-1:])) + ".car"
    headers = {**_immutable(target, etag), "X-Content-Type-Options": "nosniff", "Accept-Ranges": "none",
               "Content-Disposition": _disposition("attachment", query_filename(request) or name),
               "Content-Type": params.content_type()}
    if not_modified(request, etag):  # as Kubo's: the validator, caching and the name only
        return web.Response(status=304, headers={k: headers[k] for k in ("Etag", "Cache-Control", "Content-Disposition")})
    buf = _car.FrameBuffer()  # a path ending inside a block's value: the CAR starts at that block, as Kubo's
    writer = CarWriter(buf, [target.cid])
    header = buf.take()
    walk = _car.CarParams("block", None, params.order, params.dups) if up_to_missing else params
    entity = await _run(request, _car.entity_blocks, runtime, target.cid, target.data, walk, runtime.limits)
    blocks = _car.response_blocks(target.path_blocks, entity, params.dups)
    first = await _run(request, next, blocks, None)  # the first entity block before the status is sent

    def frames() -> Iterator[bytes]:
        if first is not None:
            writer.write(*first)
            yield buf.take()
        for cid, data in blocks:
            writer.write(cid, data)
            yield buf.take()

    response = web.StreamResponse(status=200, headers=headers)
    return await _stream(request, response, frames(), header)


async def _tar_response(request: web.Request, runtime: "Runtime", target: Target) -> web.StreamResponse:
    """``?format=tar`` of a UnixFS entity (``_tar``), streamed; other blocks are a 400."""
    from ._app import _run

    etag = f'W/"{target.cid}.x-tar"'
    headers = {**_immutable(target, etag), "X-Content-Type-Options": "nosniff", "Content-Type": TAR,
               "Content-Disposition": _disposition("attachment", query_filename(request) or f"{target.cid}.tar")}
    if not_modified(request, etag):
        return web.Response(status=304, headers=headers)
    if _unixfs.classify(target.cid, target.data).kind not in ("file", "directory", "hamt", "symlink"):
        raise GatewayError(400, f"{target.cid} is not a UnixFS file, directory or symlink: it has no TAR form")
    pieces = _tar.tar_pieces(runtime, target.cid, target.data, runtime.limits)
    first = await _run(request, next, pieces, None)  # the root's header: errors before the status is sent
    response = web.StreamResponse(status=200, headers={**headers, **_resolved_headers(request)})
    return await _stream(request, response, pieces, first)
