"""Sending an answer's body: streamed from a worker thread, or held whole with ``Range`` applied.

Invariants:
- Bodies stream from a worker thread a few blocks at a time (``_Pull``), in order.
- Once the status is sent a body either ends cleanly with every byte or its connection is
  aborted (``_Aborted``): a client never sees a truncated body that looks whole.
- A body of unknown length that ends within ``_GO_BUFFER`` bytes gets a ``Content-Length``, as
  Go's server gives Kubo's; a longer one is chunked.
- A body held whole is answered as Go's ``http.ServeContent``: preconditions first, then ``Range``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from aiohttp import web

from .. import errors
from ._guard import keep_going
from ._gateway_error import GatewayError
from ._ranges import _asked_span, _preconditions, check_range_syntax, not_modified

_TAKE_PIECES, _TAKE_BYTES = 4, 1 << 20  # at most, per trip to a worker thread


class _Pull:
    """Pulls ``pieces`` a batch at a time: a few, so that little more is read for a client gone
    or a request cancelled, and the first bytes of a slow DAG are not held back long. An error
    met after some pieces of a batch were read is kept and raised by the next ``take``, so
    those pieces are sent first, as when pieces were pulled one by one; an empty batch is the
    end (never after an error)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.error: Exception | None = None

    def take(self) -> list[bytes]:
        """The next pieces: ``_TAKE_PIECES``, or fewer once ``_TAKE_BYTES`` are read; empty at the end."""
        if self.error is not None:
            raise self.error
        out: list[bytes] = []
        taken = 0
        try:
            while len(out) < _TAKE_PIECES and taken < _TAKE_BYTES and (piece := next(self.pieces, None)) is not None:
                out.append(piece)
                taken += len(piece)
        except Exception as exc:  # noqa: BLE001 - raised now, or by the next take after these pieces
            self.error = exc
            if not out:
                raise
        return out


async def _stream(request: web.Request, response: web.StreamResponse, pieces: Iterator[bytes],
                  first: bytes | None = None) -> web.StreamResponse:
    """Send ``first`` and then ``pieces`` (pulled on a worker thread, in order).

    A body of unknown length (a CAR, a TAR) that ends within ``_GO_BUFFER`` bytes is sent with
    its ``Content-Length``, a ``HEAD`` too, as Go's server sends Kubo's (it buffers that much
    before it starts chunking); a longer one is chunked.

    An error after the status was sent (a block missing or invalid mid-DAG) aborts the
    connection, so the client sees a truncated transfer, never a body that ends cleanly; an
    error within the first bytes of a body of unknown length does too (its status is sent,
    then the bytes before the error). So does the request's deadline
    (``ServeLimits.request_timeout_s``, which cancels this task),
    which each batch sent moves on (``keep_going``): a body runs as long as the client reads
    it (a TAR or CAR of shared subtrees that expands without end too, as Kubo's gateway streams
    it), and one that makes no progress for that long (a client that stopped reading) is cut,
    not left on an open, silent connection.

    Pieces are pulled a few at a time (``_Pull``): a trip to a worker thread and back for each
    256 KiB piece of a file cost about as much as sending it; the bytes sent, and where an error
    breaks them off, are the same."""
    from ._app import EXECUTOR

    loop = asyncio.get_running_loop()
    pull = _Pull(pieces)
    held = [first] if first else []
    try:
        if response.content_length is None:
            whole, failed = await _hold_small(request, pull, held)
            if whole is not None:
                response.content_length = len(whole)
                await response.prepare(request)
                if request.method != "HEAD":
                    await response.write(whole)
                await response.write_eof()
                return response
        else:
            failed = None
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        for piece in held:
            await response.write(piece)
        if failed is not None:
            raise failed
        while batch := await loop.run_in_executor(request.app[EXECUTOR], pull.take):
            for piece in batch:
                await response.write(piece)
            keep_going(request)
    except asyncio.CancelledError:  # the request's deadline: the body cannot end cleanly
        if request.transport is not None:
            request.transport.abort()
        raise
    except errors.AutocodecError as exc:
        _abort(request, exc)
        raise _Aborted() from None
    await response.write_eof()
    return response


_GO_BUFFER = 2048  # net/http's bufferBeforeChunkingSize: a body this long or shorter gets a length


async def _hold_small(request: web.Request, pull: "_Pull",
                      held: list[bytes]) -> tuple[bytes | None, errors.AutocodecError | None]:
    """Pull into ``held`` until it holds more than ``_GO_BUFFER`` bytes or the pieces end: the
    whole body when they ended within it, and the error that broke them off, if one did."""
    from ._app import EXECUTOR

    loop = asyncio.get_running_loop()
    size = sum(map(len, held))
    try:
        while size <= _GO_BUFFER:
            batch = await loop.run_in_executor(request.app[EXECUTOR], pull.take)
            if not batch:
                return b"".join(held), None
            held += batch
            size += sum(map(len, batch))
    except errors.AutocodecError as exc:
        return None, exc
    return None, None


def _abort(request: web.Request, exc: errors.AutocodecError) -> None:
    """Count a body broken off after its status and abort its connection."""
    from ._app import RUNTIME

    request.app[RUNTIME].metrics.inc("errors_total", route="ipfs-stream", error=type(exc).__name__)
    if request.transport is not None:
        request.transport.abort()


class _Aborted(Exception):
    """The body broke off after the status was sent (the connection was aborted)."""


def _whole_body(request: web.Request, headers: dict[str, str], body: bytes, content_type: str,
                extra: dict[str, str] | None = None, modtime: int | None = None,
                head_syntax: bool = True) -> web.Response:
    """``body`` held whole (a block as stored, a symlink's target), answered as Go's
    ``http.ServeContent`` answers it for Kubo: the conditional headers first
    (``_preconditions``, with ``modtime`` when there is one: a 304 or 412), then ``Range``
    (``_asked_span``: a 206 of one span, a 416, or all of it); ``extra`` headers go on a body only.
    ``head_syntax``: a malformed ``Range`` is a 400 on GET and HEAD, checked before ``If-Match`` and
    ``If-Range`` (only a 304 comes first), as boxo checks it for a block's bytes, raw or as stored;
    else a HEAD's is Go's 416. That 400 carries ``headers`` and ``extra`` (the cache headers, Etag,
    Content-Disposition, X-Ipfs-Roots), not Accept-Ranges, as Kubo 0.43.1's does."""
    if head_syntax and request.headers.get("Range") and not not_modified(request, headers["Etag"]):
        try:
            check_range_syntax(request.headers["Range"])  # boxo's, before Go's If-Match and If-Range (not a 304)
        except GatewayError as exc:  # its 400 carries the block's headers, set before it, as Kubo 0.43.1's
            raise GatewayError(exc.status, exc.text, {**headers, **(extra or {}), **exc.headers},
                               plain=exc.plain) from None
    headers = {**headers, "Accept-Ranges": "bytes"}
    decided, ranged = _preconditions(request, headers, modtime)
    if decided is not None:
        if decided.status == 412:  # its type is set before Go's content server decides, as in Kubo
            decided.headers["Content-Type"] = content_type
        return decided
    asked = _asked_span(request, headers, len(body), ranged, head_syntax)
    if isinstance(asked, web.Response):
        return asked
    span, status = asked
    part = body if span is None or status == 200 else body[span[0]:span[1] + 1]
    length = {"Content-Length": str(len(part))}  # on a HEAD too, as Go's: aiohttp drops it there for an empty body
    return web.Response(status=status, body=part, headers={**headers, **(extra or {}), **length},
                        content_type=content_type)
