"""The IPFS HTTP gateway routes: ``GET|HEAD /ipfs/{cid}[/path]``.

Specs: ipfs/specs http-gateways (path-gateway.md, trustless-gateway.md, IPIP-412 CAR
parameters, IPIP-0524: no codec conversion). Where the spec leaves room, Kubo v0.43.1's
gateway is followed (statuses, header names and values, ETag forms); the differential tests
in ``tests/test_gateway_kubo.py`` hold this to Kubo.

Beside this module, one job each: ``_ipns_route`` (``/ipns/``, answered through ``ipfs`` here),
``_ranges`` (``Range`` and conditional headers), ``_paths`` (content paths and URIs as text),
``_formats`` (the media types asked for, ``negotiate``), ``_content_type`` (a file's Content-Type),
``_gateway_error`` (``GatewayError`` and its status), ``_car`` (CAR answers), ``_unixfs``
(UnixFS reads), ``_redirects`` (a site's ``_redirects``).

Response kinds, chosen by ``?format=`` (media type) and ``Accept`` (its parameters win when it
names the same type; an explicit vendor type in Accept is used when there is no ``format``):
- ``application/vnd.ipld.raw``: the verified block the path ends at;
- ``application/vnd.ipld.car``: see ``_car`` (streamed, CARv1, order=dfs);
- ``application/x-tar``: a UnixFS entity as a tar, see ``unixfs._tar`` (streamed);
- ``dag-json|dag-cbor|json|cbor``: the block as stored when its codec is that format; any other
  codec is 406 (no conversion), unless the request opts in to the documented extension
  ``autocodec-convert=1`` (see docs/gateway.md), which decodes with the codec's trusted module
  and says which one in ``X-Autocodec-*`` headers;
- no format: UnixFS files (Content-Type from the name, else sniffed; ``Range``), directories
  (``index.html`` or a listing, HAMT shards included), dag-json/dag-cbor/json/cbor blocks as
  stored, any other codec as its raw block.

Invariants:
- Every block is read through ``Runtime.get`` (verified against its CID; fetched only from the
  sources the server was started with: nothing in a request names a source).
- Immutable responses carry ``Cache-Control: public, max-age=29030400, immutable`` and an
  ``ETag``; ``If-None-Match`` with that ETag is a 304.
- Errors are ``text/plain`` with ``X-Content-Type-Options: nosniff``, or an HTML page saying the
  same when the Accept header holds ``text/html`` (``_error_page``, as Kubo), with a status from
  ``status_for_gateway``; no local folder name reaches the client.
- A directory listing (HTML this module writes, showing names from the DAG) escapes every name
  and carries the explorer's ``X-Content-Type-Options: nosniff`` and Content-Security-Policy.
- Paths are bounded (``MAX_SEGMENTS``), listings too (``MAX_LISTING`` entries; a HAMT's shards
  are read only that far); bodies stream from a worker thread one block at a time.
- What Go's HTTP server decides before Kubo's handlers, this module decides the same way: an
  unclean path (``.``, ``..``, empty segments) is a 307 to the clean one, a malformed
  ``%``-escape a 400; ``Range`` headers are read as boxo reads them (``_ranges.parse_range``).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import html
import mimetypes
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import __version__, errors
from .._gotext import go_escape_ascii, go_quote
from ..cid import CID
from ..dag import DagPath, UnknownUnixfsType, parse_path
from ..dag import resolve as resolve_path
from ..unixfs import _tar
from ._dnslink_host import HOSTED, dnslink_hosting
from . import _car, _redirects, _unixfs
from ._error_page import error_response, plain_response
from ._gateway_error import GatewayError, status_for_gateway
from ._go_cid import gateway_cid
from ._content_type import content_type_for
from ._detect import LIMIT as DETECT_LIMIT
from ._guard import keep_going
from ._formats import (_CODEC_TYPES, _ENCODE_AS, _MATCHING, _SERVED, CAR, CBOR, IPNS_RECORD, JSON, RAW, TAR,
                       converted_etag,
                       _content_location, format_etag, negotiate)
from ._page_head import page_head
from ._ranges import _asked_span, _defaults_range_check, _preconditions, check_range_syntax, not_modified
from ._paths import (_ALL_VALID_ENCODED, _BAD_ESCAPE, _PATH_SAFE, _PATH_SEGMENT_SAFE, _clean, content_path, href_path,
                     ipfs_uri, shown)
from ._page_headers import explorer_origin, html_page_headers
from ._subdomain import ISOLATED, ROOTED, bare_origin, go_redirect, origin_path, read_only, subdomain_gateway

if TYPE_CHECKING:  # pragma: no cover
    from ..unixfs import _pb
    from ..registry import Runtime

IMMUTABLE = "public, max-age=29030400, immutable"
CONVERTED_CACHE = "public, no-cache"
"""A converted answer (``autocodec-convert``) depends on the decoder serving its codec now, which
a set refresh can change: stored, but revalidated by its ETag before each use."""
LISTING_CACHE = "public, max-age=604800, stale-while-revalidate=2678400"
MAX_SEGMENTS = 64
MAX_LISTING = 10_000  # directory entries shown in one listing page


_EMPTY_IDENTITY = CID(bytes.fromhex("01550000"))  # raw, identity multihash of no bytes


class MissingPath(errors.PathNotFound):
    """A path segment that names nothing, with the blocks read up to it (partial CAR answers).
    Its message is Kubo's, whatever the block (a directory, a HAMT, a file, a DAG-CBOR value):
    ``no link named "SEGMENT" under CID``, CID the block the segment was looked up in as it
    was written."""

    def __init__(self, exc: errors.PathNotFound, blocks: list[tuple[CID, bytes]], roots: list[CID],
                 segment: str, under: CID) -> None:
        super().__init__(f"no link named {go_quote(segment)} under {under}", hint=exc.hint)
        self.blocks = blocks
        self.roots = roots


@dataclass
class Target:
    """Where a path lands: the blocks crossed, the per-segment roots, the terminal block."""

    path: DagPath
    roots: list[CID]
    path_blocks: list[tuple[CID, bytes]]
    cid: CID
    data: bytes
    remainder: tuple[str, ...]
    value: Any = field(repr=False)

    @functools.cached_property
    def cid_text(self) -> str:
        """``str(cid)``, written once per answer (a CIDv0's base58 is slow to write)."""
        return str(self.cid)


class _Recording:
    """A ``BlockSource`` over the runtime that remembers every block read, in order; with
    ``stored_only``, it reads the store alone (``BlockNotFound`` for a block it lacks); ``held``:
    one more block it holds, verified by its holder (a blob read whole, ``HELD_BLOCK``)."""

    def __init__(self, runtime: "Runtime", stored_only: bool = False, held: tuple[CID, bytes] | None = None) -> None:
        self.runtime = runtime
        self.stored_only = stored_only
        self.held = held
        self.blocks: list[tuple[CID, bytes]] = []

    def get(self, cid: CID) -> bytes:
        if self.held is not None and self.held[0] == cid:
            data = self.held[1]
        else:
            data = self.runtime.store.get(cid) if self.stored_only else self.runtime.get(cid)
        if not self.blocks or self.blocks[-1][0] != cid:
            self.blocks.append((cid, data))
        return data

    def decode_block(self, cid: CID, data: bytes, *, verified: bool = False) -> Any:
        return self.runtime.decode_block(cid, data, verified=verified)


def locate(runtime: "Runtime", path: DagPath, *, stored_only: bool = False,
           held: tuple[CID, bytes] | None = None) -> Target:
    """Resolve ``path`` segment by segment (``autocodec.dag.resolve``), recording the blocks
    crossed (HAMT shards included) and the block each segment reaches (``X-Ipfs-Roots``);
    ``stored_only``: from the store alone, nothing fetched; ``held``: a block read from
    elsewhere (``_Recording``)."""
    if len(path.segments) > MAX_SEGMENTS:
        raise GatewayError(400, f"path has more than {MAX_SEGMENTS} segments")
    rec = _Recording(runtime, stored_only, held)
    if not path.segments:  # a bare CID: its bytes, never decoded (raw blocks of any codec are served)
        data = rec.get(path.root)
        return Target(path, [path.root], [], path.root, data, (), None)
    found = resolve_path(rec, DagPath("ipfs", path.root, (), path.root_text), limits=runtime.limits)
    roots = [path.root]
    for segment in path.segments:
        try:
            found = resolve_path(rec, DagPath("ipfs", found.cid, (*found.remainder, segment), str(found.cid)),
                                 limits=runtime.limits)
        except errors.PathNotFound as exc:
            raise MissingPath(exc, rec.blocks, roots, segment, found.cid) from None
        roots.append(found.cid)
    blocks = rec.blocks
    terminal = len(blocks) - 1
    while terminal > 0 and blocks[terminal][0] != found.cid:
        terminal -= 1
    return Target(path, roots, blocks[:terminal], found.cid, found.data, found.remainder, found.value)


HELD_BLOCK: web.RequestKey[tuple[CID, bytes]] = web.RequestKey("held_block", tuple)
"""Set by the blob route (``_bao``): a held BLAKE3 blob within the block limit, read whole and
verified, which ``/ipfs/{cid}[/path]`` reads as the raw block it is (CAR, TAR, formats)."""


def _locate(request: web.Request, runtime: "Runtime", path: DagPath) -> Target:
    """``locate`` with the block the request carries (``HELD_BLOCK``), if any."""
    return locate(runtime, path, held=request.get(HELD_BLOCK))


def _roots_header(target: Target) -> str:
    return ",".join(target.cid_text if cid == target.cid else str(cid) for cid in target.roots)


def _base_headers(target: Target) -> dict[str, str]:
    return {"X-Ipfs-Roots": _roots_header(target)}


_BEFORE_HANDLERS: web.RequestKey[bool] = web.RequestKey("before_handlers", bool)
"""On a request answered as Go's HTTP server answers before Kubo's handlers (no gateway headers)."""


_CLEAN_PATH: web.RequestKey[str] = web.RequestKey("clean_path", str)
"""The raw path (no query) ``_unclean_path`` found clean for this request."""


def _unclean_path(request: web.Request) -> web.Response | None:
    """What Go's HTTP server (Kubo's) answers before a handler runs: ``GatewayError`` 400 for a
    path with a malformed %-escape; a 307 response for a path that is not clean, None for one
    that is. As Go's ``ServeMux``, the path is cleaned (no ``.`` or ``..`` segments, no empty
    ones) as sent, escapes and all (``%2e``, ``%2F`` are no dots or slashes there; the handler's
    path cleaning sees them later), and the cleaned path is escaped once more for the Location
    (``%20`` becomes ``%2520``: Go's answer, copied); the query is kept as sent. A path found
    clean is remembered on the request (``_CLEAN_PATH``): the request-target, subdomain and
    gateway layers each ask, the check runs once."""
    raw, _, raw_query = request.raw_path.partition("?")
    if request.get(_CLEAN_PATH) == raw:
        return None
    if _BAD_ESCAPE.search(raw):
        request[_BEFORE_HANDLERS] = True
        raise GatewayError(400, "400 Bad Request")
    escaped = raw if _ALL_VALID_ENCODED.fullmatch(raw) else urllib.parse.quote(
        urllib.parse.unquote_to_bytes(raw), safe=_PATH_SAFE)  # Go's URL.EscapedPath
    clean = _clean(escaped)
    if clean == escaped:
        request[_CLEAN_PATH] = raw
        return None
    request[_BEFORE_HANDLERS] = True
    location = urllib.parse.quote(clean, safe=_PATH_SAFE) + (f"?{raw_query}" if raw_query else "")
    return go_redirect(request, location, 307)


_NAMESPACE_ROOT = re.compile(r"/ip[fn]s/[^/]+")


def refuse_service_worker(request: web.Request) -> None:
    """boxo's ``handleServiceWorkerRegistration`` (kubo#4025): a ``Service-Worker: script`` fetch
    of a namespace root itself (``/ipfs/{cid}``, ``/ipns/{name}``: no slash after it, the path
    as the handler sees it) is a 400, so no page can register a worker whose scope is the whole
    path gateway. Checked before the path is read, as in Kubo; raises ``GatewayError``."""
    if request.headers.get("Service-Worker") == "script" and _NAMESPACE_ROOT.fullmatch(request.path):
        raise GatewayError(400, "navigator.serviceWorker: registration is not allowed for this scope")


def query_filename(request: web.Request) -> str:
    """The request's ``?filename=`` as Kubo reads it (Go's ``url.Values.Get`` of the raw query):
    the first value, empty when there is none; escaped bytes that are no UTF-8 kept as they
    are (surrogate escapes, written back as the same bytes in ``Content-Disposition``: ``%ff``
    is ``%FF``, not U+FFFD)."""
    raw_query = request.raw_path.partition("?")[2]
    return next((value for key, value in _redirects._go_query(raw_query) if key == "filename"), "")


def _disposition(kind: str, name: str) -> str:
    """Content-Disposition as Kubo (boxo) writes it: both names percent-encoded as a URL path
    segment, so no quote, backslash, separator or control character reaches the header; the
    plain one with each non-ASCII character replaced by ``_``."""
    plain = "".join(c if c < "\x80" else "_" for c in name)
    plain, utf8 = (urllib.parse.quote(n, safe=_PATH_SEGMENT_SAFE, errors="surrogateescape") for n in (plain, name))
    return f'{kind}; filename="{plain}"; filename*=UTF-8\'\'{utf8}'


def _block_disposition(request: web.Request, cid: CID) -> str:
    """Content-Disposition of a block of a data format served as stored, as Kubo writes it: its
    codec's ``inline`` (JSON kinds) or ``attachment`` (CBOR kinds), ``attachment`` whenever
    ``download=true``, named by ``filename`` when not empty, else ``{cid}.{json|cbor}``."""
    _, ext, how = _CODEC_TYPES[cid.codec]
    how = "attachment" if request.query.get("download") == "true" else how
    return _disposition(how, query_filename(request) or f"{cid}.{ext}")


def provenance_headers(runtime: "Runtime", code: int) -> dict[str, str]:
    """``X-Autocodec-*`` headers naming what decodes codec ``code`` (builtin, or the module,
    its version, publisher DID and set; extension modules run in the wasmtime sandbox)."""
    from ..codes import codec_name

    res = runtime.resolve("codec", code)
    out = {"X-Autocodec-Codec": codec_name(code), "X-Autocodec-Decoder": str(res.source)}
    if res.module is not None:
        out["X-Autocodec-Module"] = str(res.module)
        out["X-Autocodec-Sandboxed"] = "wasmtime"
    for header, value in (("X-Autocodec-Module-Name", res.name), ("X-Autocodec-Module-Version", res.version),
                          ("X-Autocodec-Publisher", res.publisher), ("X-Autocodec-Set", res.set_name),
                          ("X-Autocodec-Set-Id", res.set_id),
                          ("X-Autocodec-Set-Version", res.set_version)):
        if value is not None:
            out[header] = str(value)
    return out


# --- streaming ------------------------------------------------------------------------------

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


# --- the route ------------------------------------------------------------------------------


async def ipfs(request: web.Request) -> web.StreamResponse:
    from ._app import RUNTIME, public_text

    runtime = request.app[RUNTIME]
    try:
        if (unclean := _unclean_path(request)) is not None:
            return unclean
        refuse_service_worker(request)
        return await _ipfs(request, runtime)
    except web.HTTPException:
        raise
    except (_Aborted, ConnectionResetError):  # aborted by us mid-body, or the client went away
        raise asyncio.CancelledError() from None  # nothing more can be sent on that connection
    except Exception as exc:  # noqa: BLE001 - mapped to a status, never leaked
        status = status_for_gateway(exc)
        headers = {"X-Content-Type-Options": "nosniff"}
        if isinstance(exc, GatewayError):
            headers.update(exc.headers)
        if isinstance(exc, (GatewayError, errors.AutocodecError)):
            text = exc.text if isinstance(exc, GatewayError) else public_text(exc.message, runtime)
            if isinstance(exc, (MissingPath, UnknownUnixfsType)):  # Kubo's words: the path asked for (cleaned), then why
                text = f"failed to resolve {go_escape_ascii(_asked_path(request))}: {text}"
            elif isinstance(exc, errors.BlockNotFound) and runtime.offline:
                text = _offline_missing_root(request, text)
            runtime.metrics.inc("errors_total", route="ipfs", error=type(exc).__name__)
        else:
            from ._app import _error

            _error(exc, runtime, "ipfs")  # counted and logged (rate-limited) there
            text = "unexpected error (see the server log)"
        if _BEFORE_HANDLERS in request or (isinstance(exc, GatewayError) and exc.plain):
            return plain_response(status, shown(text), headers)
        return error_response(request, status, shown(text), headers)


async def _ipfs(request: web.Request, runtime: "Runtime") -> web.StreamResponse:
    from ._app import _run

    raw_path = content_path(request)
    if not raw_path:
        raise GatewayError(400, 'invalid path "/ipfs/": path does not have enough components')  # Kubo's words
    namespace, root = _content_root("/ipfs/" + raw_path)
    if namespace == "ipns":  # ``%2e%2e`` segments led there: Kubo reads the name
        from ._ipns_route import ipns, request_target

        inner = request.clone(rel_url=request_target(request, _clean("/ipfs/" + raw_path)))
        try:
            return await ipns(inner)
        finally:
            carry_view(inner, request)
    try:
        gateway_cid(root)  # a base Kubo does not read is refused first
        if namespace == "ipld":  # Kubo's words: its resolver takes no other namespace (CAR: the CAR writer's)
            raise GatewayError(500, "path does not have /ipfs/ prefix" if negotiate(request)[0] == CAR else
                               f"failed to resolve {go_escape_ascii(_clean('/ipfs/' + raw_path))}: "
                               "unsupported path namespace: ipld: retrieval: no providers found for the CID "
                               "(phase: path resolution)")
        path = parse_path("/ipfs/" + raw_path)
    except errors.InvalidInput as exc:
        raise GatewayError(400, _invalid_path_text("/ipfs/" + raw_path, exc)) from None
    if (uri := ipfs_uri(path.root, request.raw_path.partition("?")[0])) is not None:
        request[_IPFS_URI] = uri  # on every answer from here on, errors included (``_content_headers``)
    if only_if_cached(request):  # first, as Kubo: before Accept is read
        held = await _run(request, _stored, runtime, path, request.get(HELD_BLOCK))
        if request.method == "HEAD":  # a probe, answered bare, as Kubo does
            return web.Response(status=200 if held else 412)
        if not held:  # Kubo's words
            raise GatewayError(412, f"{go_quote(_asked_path(request))} not in local datastore", plain=True)
    media, params = negotiate(request)
    if media is not None and (location := _content_location(request, media, params)) is not None:
        request[_CONTENT_LOCATION] = location
    if media is not None and media not in _SERVED:  # an explicit type this gateway has no answer in
        if "If-None-Match" in request.headers:  # Kubo answers If-None-Match first (its ETag names the type)
            early = _early_not_modified(request, await _run(request, _locate, request, runtime, path), media)
            if early is not None:
                return early
        raise GatewayError(400, "unsupported response format requested")  # Kubo's words
    if media == IPNS_RECORD:  # Kubo's words
        raise GatewayError(400, f"{shown(_asked_path(request))} is not an IPNS link")
    car = _car.car_params(request.query, params) if media == CAR else None
    if media is None and "If-None-Match" not in request.headers:
        _defaults_range_check(request)
    try:
        target: Target = await _run(request, _locate, request, runtime, path)
    except MissingPath as exc:
        if media is None and origin_isolated(request):  # a site's _redirects (docs/gateway.md), as Kubo reads it
            redirected = await _redirected(request, runtime, path)
            if redirected is None:
                raise
            if isinstance(redirected, web.StreamResponse):
                return redirected
            target = redirected
            return await _path_response(request, runtime, target, raw_path.endswith("/"))
        if media != CAR:
            raise
        # Kubo streams the blocks up to the missing link (a CAR a client can verify), root: empty identity
        target = Target(path, exc.roots[:1], exc.blocks, _EMPTY_IDENTITY, b"", (), None)
        assert car is not None
        return await _car_response(request, runtime, target, car, up_to_missing=True)
    if media == CAR:
        assert car is not None
        return await _car_response(request, runtime, target, car)
    if (early := _early_not_modified(request, target, media)) is not None:
        return early
    if media is None:
        _defaults_range_check(request)
    if media == RAW:  # a path ending inside a block's value: that block, as Kubo answers
        return _raw_response(request, target)
    if target.remainder:  # Kubo's words (the block holding the value is ?format=raw, above)
        inside = go_quote("/" + "/".join(target.remainder))
        asked = _asked_path(request).rstrip("/")  # Kubo's path here has no trailing slash
        raise GatewayError(501, f"{inside} of {go_quote(asked)} could not be returned: reading IPLD "
                                f"Kinds other than Links (CBOR Tag 42) is not implemented: try reading "
                                f"{go_quote(f'/ipfs/{target.cid}')} instead", _base_headers(target))
    if media == TAR:
        return await _tar_response(request, runtime, target)
    if media is None and _wants_dag_page(request, target.cid):
        return await _dag_page_response(request, runtime, target, raw_path.endswith("/"))
    if media in (JSON, CBOR) and target.cid.codec not in _CODEC_TYPES and (
            target.cid.codec in (_unixfs.DAG_PB, _unixfs.RAW) or not _converting(request)):
        media = None  # Kubo v0.43.1 ignores the generic json/cbor formats for blocks not in a data format
    if media in _MATCHING:
        return await _data_response(request, runtime, target, media)
    return await _path_response(request, runtime, target, raw_path.endswith("/"))


def _content_root(asked: str) -> tuple[str, str]:
    """The namespace and root text of the content path ``asked`` (decoded) once cleaned, as
    boxo's ``path.NewPath`` reads it (escaped dots and slashes, ``%2e%2e`` and ``%2F``, are
    cleaned there, so ``/ipfs/%2F{cid}`` is ``/ipfs/{cid}`` and ``/ipfs/{cid}/%2e%2e/%2e%2e/ipns/NAME``
    is the name); ``GatewayError`` 400 in Kubo's words when no root is left or the namespace is
    none of ``ipfs``, ``ipns``, ``ipld``."""
    parts = _clean(asked).strip("/").split("/")
    if len(parts) < 2 or not parts[1]:
        raise GatewayError(400, f"invalid path {go_quote(asked)}: path does not have enough components")
    if parts[0] not in ("ipfs", "ipns", "ipld"):
        raise GatewayError(400, f"invalid path {go_quote(asked)}: unknown namespace: {go_quote(parts[0])}")
    return parts[0], parts[1]


def _invalid_path_text(path: str, exc: errors.InvalidInput) -> str:
    """Kubo's frame for a content path that does not parse, ``invalid path "PATH": invalid cid:
    WHY`` (PATH decoded, as Go's ``%q`` writes it), WHY in this runtime's words: for a root
    that is no CID, the CID parser's reason alone (``parse_path`` also names the path)."""
    reason = exc.message
    if isinstance(exc, errors.InvalidCID):
        try:
            gateway_cid(_clean(path).split("/")[2])
        except errors.InvalidCID as cid_error:
            reason = cid_error.message
        reason = f"invalid cid: {reason}"
    return f"invalid path {go_quote(path)}: {reason}"


def only_if_cached(request: web.Request) -> bool:
    """Whether the request's ``Cache-Control`` is ``only-if-cached``, read as boxo reads it: the
    first such header's whole value (``no-cache, only-if-cached`` is not it, nor another case)."""
    return request.headers.get("Cache-Control", "").strip(" \t") == "only-if-cached"


def _stored(runtime: "Runtime", path: DagPath, held: tuple[CID, bytes] | None = None) -> bool:
    """Whether ``path`` resolves from the store alone (boxo's ``IsCached``): every block on the
    way, the last one included, is held here (``held`` counts: a blob read whole); a name
    missing on the way counts as not held."""
    try:
        locate(runtime, path, stored_only=True, held=held)
    except errors.AutocodecError:
        return False
    return True


def origin_isolated(request: web.Request) -> bool:
    """Whether the request came to an origin of its own (a subdomain or a DNSLink host), where
    a site's ``_redirects`` applies; never the path gateway, the bare ``localhost`` either."""
    return HOSTED in request or bare_origin(request) is not None


async def _redirected(request: web.Request, runtime: "Runtime", path: DagPath) -> web.StreamResponse | Target | None:
    """The answer the site's ``_redirects`` gives for ``path``, which does not exist (boxo's
    ``serveRedirectsIfPresent``): a redirect or a custom error page, the ``Target`` a 200 rule
    rewrites to (named as ``path`` asked), or None (no file, no rule matches). A file Kubo
    refuses is a 500 naming it; an error page that is missing a 404, one that is no file a 500."""
    from ._app import _run

    where = f'trouble processing _redirects file at "/ipfs/{path.root_text}/_redirects":'
    try:
        rules = await _run(request, _site_rules, runtime, path, request.get(HELD_BLOCK))
    except _redirects.RedirectsError as exc:
        raise GatewayError(500, f"{where} {exc}") from None
    found = _redirects.first_match(rules or [], "/" + "/".join(path.segments))
    if found is None:
        return None
    rule, to = found
    if rule.status not in (200, *_redirects.ERROR_PAGES):
        return go_redirect(request, _redirects.location(to, request.raw_path.partition("?")[2]), rule.status)
    new_path = parse_path(f"/ipfs/{path.root_text}/{to.lstrip('/')}")
    if rule.status == 200:
        target: Target = await _run(request, locate, runtime, new_path)
        if target.cid.codec != _unixfs.DAG_PB or (await _run(request, _unixfs.classify, target.cid,
                                                             target.data)).kind == "file":
            target.path = path  # a file is named (and typed) as the request names it, as in Kubo
        return target
    try:
        page: Target = await _run(request, locate, runtime, new_path)
    except errors.PathNotFound as exc:
        raise GatewayError(404, f"{where} {exc.message}") from None
    node = await _run(request, _unixfs.classify, page.cid, page.data)
    if node.kind != "file" and page.cid.codec == _unixfs.DAG_PB:
        raise GatewayError(500, f"{where} could not convert node for {rule.status} page to file")
    return await _error_page(request, runtime, page, node.size, rule.status)


def _site_rules(runtime: "Runtime", path: DagPath,
                held: tuple[CID, bytes] | None = None) -> list[_redirects.Rule] | None:
    """The rules of ``/ipfs/{root}/_redirects``, None when there is no such file (``held``:
    as ``locate``)."""
    try:
        found = locate(runtime, parse_path(f"/ipfs/{path.root_text}/_redirects"), held=held)
    except errors.PathNotFound:
        return None
    node = _unixfs.classify(found.cid, found.data)
    if node.kind != "file" and found.cid.codec == _unixfs.DAG_PB:
        raise _redirects.RedirectsError(" _redirects is not a file")
    data = found.data if found.cid.codec != _unixfs.DAG_PB else b"".join(
        _unixfs.read_range(runtime, found.cid, found.data, 0, min(node.size, _redirects.MAX_BYTES + 1) - 1,
                           runtime.limits)) if node.size else b""
    try:
        return _redirects.parse(data[:_redirects.MAX_BYTES + 1])
    except _redirects.RedirectsError as exc:
        raise _redirects.RedirectsError(f"could not parse _redirects: {exc}") from None


async def _error_page(request: web.Request, runtime: "Runtime", page: Target, size: int,
                      status: int) -> web.StreamResponse:
    """A rule's custom 404/410/451 page (boxo's ``serve4xx``): its bytes as ``text/html``, its
    CID as ETag, immutable caching under ``/ipfs/`` (none under a DNSLink name)."""
    headers = {"Etag": f'"{page.cid}"'}
    if _IPNS_VIEW not in request:
        headers["Cache-Control"] = IMMUTABLE
    if page.cid.codec != _unixfs.DAG_PB:
        pieces: Iterator[bytes] = iter((page.data,))
    else:
        pieces = _unixfs.read_range(runtime, page.cid, page.data, 0, size - 1, runtime.limits) if size else iter(())
    response = web.StreamResponse(status=status, headers={**headers, "Content-Type": "text/html"})
    response.content_length = size if page.cid.codec == _unixfs.DAG_PB else len(page.data)
    return await _stream(request, response, pieces)


def _listing_etag(cid: CID) -> str:
    return f'"DirIndex-autocodec_CID-{cid}"'


def _dag_page_etag(cid: CID) -> str:
    """The ETag of the HTML view of a DAG-CBOR or DAG-JSON block, in the form of boxo's
    ``"DagIndex-{template hash}_CID-{cid}"`` (this server's page: ``autocodec`` in the hash's place)."""
    return f'"DagIndex-autocodec_CID-{cid}"'


def _early_not_modified(request: web.Request, target: Target, media: str | None) -> web.Response | None:
    """Kubo's first answer to ``If-None-Match`` (boxo's ``handleIfNoneMatch``), before the kind
    of response is known: a 304 when it names the terminal block's ETag for the format asked
    (``*`` does), its listing's or its HTML view's (``_dag_page_etag``, of any block, as Kubo);
    the 304 carries the validator matched and its 200's Cache-Control (none for the view's),
    nothing else. None otherwise: the handlers check their own validators, a
    file's as Go's content server does (``_preconditions``). (boxo's early If-Modified-Since
    check reads a modification time its path resolution never sets, so Kubo answers it only
    for files; so does this server.)"""
    if "If-None-Match" in request.headers:
        for etag, cache in ((format_etag(target.cid, media), IMMUTABLE), (_listing_etag(target.cid), LISTING_CACHE),
                            (_dag_page_etag(target.cid), None)):  # Kubo's DagIndex 304: its ETag alone
            if not_modified(request, etag):
                return web.Response(status=304, headers={"Etag": etag, **({"Cache-Control": cache} if cache else {})})
    return None


_IPFS_URI: web.RequestKey[str] = web.RequestKey("ipfs_uri", str)
_RESOLVED_AT: web.RequestKey[int] = web.RequestKey("resolved_at", int)
"""When the ``/ipns/`` name of an answer was resolved (Unix seconds): its ``Last-Modified``
where the content has no time of its own, as boxo's ``addCacheControlHeaders`` for mutable paths."""


_OFFLINE_MISS = "block was not found locally (offline): ipld: could not find {}"
_NO_PROVIDERS = "retrieval: no providers found for the CID (phase: path resolution)"  # boxo's retrieval state


def _offline_missing_root(request: web.Request, text: str) -> str:
    """Kubo 0.43.1's offline words (``ipfs daemon --offline``) when ``text`` says the path's
    root block is missing: ``failed to resolve PATH: TEXT: retrieval: no providers found for the
    CID (phase: path resolution)``; ``text`` as it is for any other block (a block under the
    root, where Kubo's resolver says ``no link named``, or a file's chunk, where Kubo has sent
    its 200 already: docs/gateway.md)."""
    try:
        root = CID.parse(content_path(request).partition("/")[0])
    except errors.AutocodecError:
        return text
    if text != _OFFLINE_MISS.format(root):
        return text
    return f"failed to resolve {go_escape_ascii(_asked_path(request))}: {text}: {_NO_PROVIDERS}"


def _asked_path(request: web.Request) -> str:
    """The content path a request asked for, decoded and cleaned (a trailing slash kept), as
    Kubo names it in an error: ``/ipfs/{root}/...`` on every origin, or ``/ipns/{name}/...``
    when reached through a name (a DNSLink host's name too)."""
    path = _clean("/ipfs/" + content_path(request))
    view = request.get(_IPNS_VIEW)
    if view is not None:
        internal = urllib.parse.unquote(view[0], errors="surrogateescape")
        if path == internal or path.startswith(internal + "/"):
            path = (view[1] or f"/ipns/{request.get(HOSTED, '')}") + path[len(internal):]
    return path


_CONTENT_LOCATION: web.RequestKey[str] = web.RequestKey("content_location", str)


def _resolved_headers(request: web.Request) -> dict[str, str]:
    """``Last-Modified`` of an answer under an ``/ipns/`` name: when the name was resolved."""
    at = request.get(_RESOLVED_AT)
    return {} if at is None else {"Last-Modified": email.utils.formatdate(at, usegmt=True)}


def _immutable(target: Target, etag: str) -> dict[str, str]:
    return {**_base_headers(target), "Etag": etag, "Cache-Control": IMMUTABLE}


def _raw_response(request: web.Request, target: Target) -> web.Response:
    etag = f'"{target.cid_text}.raw"'
    headers = {**_immutable(target, etag), "X-Content-Type-Options": "nosniff",
               "Content-Disposition": _disposition("attachment", query_filename(request) or f"{target.cid_text}.bin")}
    return _whole_body(request, headers, target.data, RAW, _resolved_headers(request))


def _whole_body(request: web.Request, headers: dict[str, str], body: bytes, content_type: str,
                extra: dict[str, str] | None = None, modtime: int | None = None,
                head_syntax: bool = True) -> web.Response:
    """``body`` held whole (a block as stored, a symlink's target), answered as Go's
    ``http.ServeContent`` answers it for Kubo: the conditional headers first
    (``_preconditions``, with ``modtime`` when there is one: a 304 or 412), then ``Range``
    (``_asked_span``: a 206 of one span, a 416, or all of it); ``extra`` headers go on a body only.
    ``head_syntax``: a malformed ``Range`` is a 400 on GET and HEAD, checked before ``If-Match`` and
    ``If-Range`` (only a 304 comes first), as boxo checks it for a block's bytes, raw or as stored;
    else a HEAD's is Go's 416."""
    headers = {**headers, "Accept-Ranges": "bytes"}
    if head_syntax and request.headers.get("Range") and not not_modified(request, headers["Etag"]):
        check_range_syntax(request.headers["Range"])  # boxo's, before Go's If-Match and If-Range (not a 304)
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


def _converting(request: web.Request) -> bool:
    """Whether the request opts in to this gateway's codec conversion (``autocodec-convert``)."""
    return request.query.get("autocodec-convert", "").lower() in ("1", "true", "yes")


async def _data_response(request: web.Request, runtime: "Runtime", target: Target, media: str) -> web.Response:
    from ._app import _run

    code = target.cid.codec
    convert = _converting(request)
    if code in _MATCHING[media]:
        etag = format_etag(target.cid, media)
        headers = {**_immutable(target, etag), "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": _block_disposition(request, target.cid)}
        return _whole_body(request, headers, target.data, media, _resolved_headers(request))
    if not convert:
        from ..codes import codec_name

        if media in (JSON, CBOR):  # Kubo v0.43.1's answer to the generic formats
            raise GatewayError(400, f'converting a "{codec_name(code)}" block to {media} is not supported: fetch '
                                    "the raw block with ?format=raw, or opt in to this gateway's extension with "
                                    "&autocodec-convert=1", _base_headers(target))
        raise GatewayError(406, f'format "{media}" requested but block has codec "{codec_name(code)}": codec '
                                "conversion is not in the gateway spec; fetch the raw block with ?format=raw, or "
                                "opt in to this gateway's extension with &autocodec-convert=1", _base_headers(target))

    provenance = await _run(request, provenance_headers, runtime, code)
    decoder = provenance.get("X-Autocodec-Module") or f"builtin-{__version__}"
    # the decoder of a codec can change at a set refresh: caches revalidate (cheap: a 304 by ETag)
    headers = {**_base_headers(target), "Etag": converted_etag(target.cid, media, decoder),
               "Cache-Control": CONVERTED_CACHE, **provenance, "X-Content-Type-Options": "nosniff"}
    if provenance["X-Autocodec-Decoder"] != "none" and not_modified(request, headers["Etag"]):
        return web.Response(status=304, headers={k: headers[k] for k in ("Etag", "Cache-Control")})

    def work() -> bytes:
        from .. import builtin

        value = runtime.decode_block(target.cid, target.data, verified=True)
        try:
            return builtin.encode(value, _ENCODE_AS[media])
        except errors.EncodeError as exc:  # links in a value asked for as plain CBOR, which has none (as in Kubo)
            raise GatewayError(406, f"{exc}; ask for ?format=dag-cbor&autocodec-convert=1, which writes links",
                               _base_headers(target)) from None

    body = await _run(request, work)
    return web.Response(body=body, headers=headers, content_type=media)


async def _path_response(request: web.Request, runtime: "Runtime", target: Target,
                         trailing_slash: bool) -> web.StreamResponse:
    from ._app import _run

    cid = target.cid
    if cid.codec not in (_unixfs.DAG_PB, _unixfs.RAW) and target.value is None:
        # served as stored, but only once it decodes: Kubo answers an invalid block with a 500
        await _run(request, lambda: runtime.decode_block(cid, target.data, verified=True))
    if cid.codec in _CODEC_TYPES:
        headers = {**_immutable(target, format_etag(cid, None)), "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": _block_disposition(request, cid)}
        return _whole_body(request, headers, target.data, _CODEC_TYPES[cid.codec][0], _resolved_headers(request))
    node = await _run(request, _unixfs.classify, cid, target.data)
    if node.kind == "file":
        return await _file_response(request, runtime, target, node)
    if node.kind in ("directory", "hamt"):
        return await _directory_response(request, runtime, target, trailing_slash)
    if node.kind == "symlink" and node.meta is not None:
        headers = _immutable(target, f'"{cid}"')
        if (modtime := _modtime(node.meta)) is not None:
            headers["Last-Modified"] = email.utils.formatdate(modtime, usegmt=True)
        return _whole_body(request, headers, node.meta.data, "inode/symlink", modtime=modtime, head_syntax=False)
    if cid.codec != _unixfs.DAG_PB:  # a block of any other codec is a file of its bytes, as Kubo serves it
        return await _file_response(request, runtime, target, _unixfs.Node("file", len(target.data), None, ()))
    raise GatewayError(500, f"{cid} is a dag-pb node but not a UnixFS file, directory or symlink (no UnixFS Data, "
                            "or Data of an unknown type): fetch it with ?format=raw or ?format=dag-json")  # no roots, as Kubo


def _modtime(meta: "_pb.UnixfsData | None") -> int | None:
    """A UnixFS 1.5 mtime as Unix seconds; None when there is none or it is the epoch (Go's
    ``isZeroTime``)."""
    if meta is None or meta.mtime is None or meta.mtime == (0, 0):
        return None
    return meta.mtime[0]


async def _file_response(request: web.Request, runtime: "Runtime", target: Target, node: _unixfs.Node,
                         etag_cid: CID | None = None, modtime: int | None = None) -> web.StreamResponse:
    """A UnixFS file (``etag_cid``: the directory whose index.html it is, which names the ETag;
    ``modtime``: Unix seconds for ``Last-Modified``, by default the file's UnixFS mtime)."""
    from ._app import _run

    cid, size = target.cid, node.size
    etag = f'"{etag_cid or cid}"'
    name = "index.html" if etag_cid is not None else target.path.segments[-1] if target.path.segments else ""
    headers = {**_immutable(target, etag), "Accept-Ranges": "bytes"}
    modtime = _modtime(node.meta) if etag_cid is None else modtime
    if modtime is None:
        modtime = request.get(_RESOLVED_AT)
    if modtime is not None:
        headers["Last-Modified"] = email.utils.formatdate(modtime, usegmt=True)
    if query_filename(request):  # an empty one names nothing (Kubo sends no Content-Disposition)
        headers["Content-Disposition"] = _disposition(
            "attachment" if request.query.get("download") == "true" else "inline", query_filename(request))
    sniff_name = query_filename(request) or name  # an empty one names nothing, as in Kubo
    decided, ranged = _preconditions(request, headers, modtime)
    if decided is not None:
        if decided.status == 412:  # the type of the whole file, read before Go's content server decides (Kubo)
            head = b"" if mimetypes.guess_type(sniff_name)[0] else await _file_head(request, runtime, target, size)
            decided.headers["Content-Type"] = content_type_for(sniff_name, head, True)
        return decided
    asked = _asked_span(request, headers, size, ranged)
    if isinstance(asked, web.Response):
        return asked
    span, status = asked
    if span is None or span[0] > span[1]:  # nothing asked, or a zero-length suffix
        pieces: Iterator[bytes] = iter(())
    elif cid.codec != _unixfs.DAG_PB:  # a raw block, or one of any codec served as its bytes
        pieces = iter((target.data[span[0]:span[1] + 1],))
    else:
        pieces = _unixfs.read_range(runtime, cid, target.data, span[0], span[1], runtime.limits)
    from_start = span is None or span[0] == 0 or span[0] > span[1]  # ``-0`` too: Kubo types it from the start
    wanted = DETECT_LIMIT if from_start else 512  # enough to tell the type; errors before the status is sent
    head = b""
    while len(head) < wanted:
        piece = await _run(request, next, pieces, None)
        if piece is None:
            break
        head += piece
    sniffed = head
    from_start = from_start or request.method == "HEAD"  # boxo's HEAD types the file from its first bytes
    if span is not None and (span[0] > span[1] or span[0] > 0 and request.method == "HEAD") \
            and not mimetypes.guess_type(sniff_name)[0]:
        sniffed = await _file_head(request, runtime, target, size)  # an empty suffix, a HEAD: the file's start
    elif span is not None and span[0] == 0 <= span[1] < size - 1 and len(head) < wanted and not mimetypes.guess_type(sniff_name)[0]:
        # a short span at the start: Kubo reads the file's first bytes for its type (a span elsewhere: its own)
        end = min(size - 1, wanted - 1)
        if cid.codec != _unixfs.DAG_PB:
            sniffed = target.data[span[0]:end + 1]
        else:
            more = _unixfs.read_range(runtime, cid, target.data, span[1] + 1, end, runtime.limits)
            sniffed = head + b"".join(await _run(request, list, more))
    headers["Content-Type"] = content_type_for(sniff_name, sniffed, from_start)
    length = 0 if span is None else span[1] - span[0] + 1
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = length
    return await _stream(request, response, pieces, head)


async def _file_head(request: web.Request, runtime: "Runtime", target: Target, size: int) -> bytes:
    """The first bytes of a file that its type is detected from (``_detect.LIMIT``)."""
    from ._app import _run

    end = min(size, DETECT_LIMIT) - 1
    if end < 0 or target.cid.codec != _unixfs.DAG_PB:
        return target.data[:end + 1]
    pieces = _unixfs.read_range(runtime, target.cid, target.data, 0, end, runtime.limits)
    return b"".join(await _run(request, list, pieces))


def _slashed_location(request: web.Request) -> str:
    """Where a page whose relative links need a trailing slash (a listing, a DAG view) is
    redirected: the path asked for, cleaned and escaped, with the slash, as the client's origin
    sees it, and the query escaped again, as boxo writes it."""
    raw_query = request.raw_path.partition("?")[2]
    path = urllib.parse.quote(_clean(f"/ipfs/{content_path(request)}/"), safe=_PATH_SAFE, errors="surrogateescape")
    query = f"?{urllib.parse.quote(raw_query, safe=_PATH_SEGMENT_SAFE)}" if raw_query else ""
    return visible_path(request, path) + query


_DAG_PAGE_CODECS = (0x71, 0x0129)


def _wants_dag_page(request: web.Request, cid: CID) -> bool:
    """Whether a request with no format asked for is answered with the HTML view of a DAG-CBOR
    or DAG-JSON block, as Kubo v0.43.1 decides it: the (first) ``Accept`` header holds
    ``text/html`` anywhere, case and all, and ``download`` is not ``true``."""
    return (cid.codec in _DAG_PAGE_CODECS and "text/html" in request.headers.get("Accept", "")
            and request.query.get("download") != "true")


async def _dag_page_response(request: web.Request, runtime: "Runtime", target: Target,
                             trailing_slash: bool) -> web.Response:
    """A browser's answer for a DAG-CBOR or DAG-JSON block, as Kubo's: the block must decode
    (else a 500); without a trailing slash a 301 to it carrying the block's headers and no body
    (Go writes none once a type is set); else the explorer's page of the block, ``text/html``,
    ETag ``_dag_page_etag``, no Cache-Control or Content-Disposition (Kubo's dag-index-html),
    ``Range`` ignored. A HEAD has the GET's headers (Kubo 0.43.1 answers it 500)."""
    from ._app import _run
    from ._explorer import page

    cid = target.cid
    await _run(request, lambda: runtime.decode_block(cid, target.data, verified=True))
    if not trailing_slash:  # with the block's type set, as Kubo's: Go's redirect writes no body then
        headers = {**_immutable(target, format_etag(cid, None)), "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": _block_disposition(request, cid)}
        return go_redirect(request, _slashed_location(request), 301, headers, _CODEC_TYPES[cid.codec][0])
    explorer = explorer_origin(request)
    status, text = await _run(request, page, runtime, target, explorer)
    headers = {**_base_headers(target), "Etag": _dag_page_etag(cid), **html_page_headers(explorer)}
    return web.Response(status=status, text=text, headers=headers, content_type="text/html")


async def _directory_response(request: web.Request, runtime: "Runtime", target: Target,
                              trailing_slash: bool) -> web.StreamResponse:
    from ._app import _run

    listing: list[tuple[str, CID, int | None]] = await _run(request, _unixfs.entries, runtime, target.cid,
                                                            target.data, runtime.limits, MAX_LISTING + 1)
    if not trailing_slash and request.query.get("go-get") != "1":  # relative links need the slash (as Kubo;
        # not for `go get`, which reads the page)
        return go_redirect(request, _slashed_location(request), 301, {"X-Ipfs-Roots": _roots_header(target)})
    index = next((entry for entry in listing if entry[0] == "index.html"), None)
    if index is None and len(listing) > MAX_LISTING:  # index.html may be past the listed part
        try:
            await _run(request, locate, runtime, parse_path(f"{target.path}/index.html"))
            index = ("index.html", target.cid, None)
        except errors.PathNotFound:
            pass
    if index is not None:
        sub = parse_path(f"{target.path}/index.html")
        inner: Target = await _run(request, locate, runtime, sub)
        node = await _run(request, _unixfs.classify, inner.cid, inner.data)
        inner.roots, inner.path = target.roots, target.path
        directory = await _run(request, _unixfs.classify, target.cid, target.data)
        return await _file_response(request, runtime, inner, node, target.cid, _modtime(directory.meta))
    etag = _listing_etag(target.cid)
    explorer = explorer_origin(request)  # on a site's own origin, the explorer is on the bare host
    # the listing shows names from the DAG: escaped, and the explorer's nosniff and CSP besides
    headers = {**_base_headers(target), "Etag": etag, "Cache-Control": LISTING_CACHE, **html_page_headers(explorer)}
    if not_modified(request, etag):
        return web.Response(status=304, headers=headers)
    segments = (target.path.root_text, *target.path.segments)
    base = shown("/ipfs/" + "/".join(segments))
    base_href = visible_path(request, "/ipfs/" + href_path(segments) + "/").removesuffix("/")  # as the origin sees it
    rows = []
    if target.path.segments:
        rows.append(f'<tr><td><a href="{html.escape(base_href.rsplit("/", 1)[0] + "/")}">..</a></td><td></td><td></td></tr>')
    more = len(listing) > MAX_LISTING
    for name, cid, size in listing[:MAX_LISTING]:
        href = html.escape(base_href + "/" + href_path([name]))
        rows.append(f'<tr><td><a href="{href}">{html.escape(shown(name))}</a></td>'
                    f'<td><a class="cid" href="{explorer}/explore/{cid}">{cid}</a></td>'
                    f'<td>{"" if size is None else size}</td></tr>')
    body = (f'<!DOCTYPE html><html lang="en">{page_head(base, explorer)}<body>'
            f"<h1>Index of {html.escape(base)}</h1><p>{target.cid} &middot; "
            f'<a href="{explorer}/explore/{target.cid}">explore</a></p>'
            f"<table class=\"entries\"><thead><tr><th>Name</th><th>CID</th><th>Size</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>"
            + (f"<p>Only the first {MAX_LISTING} entries are listed; the others open by name.</p>" if more else "")
            + "</body></html>")
    return web.Response(text=body, headers=headers, content_type="text/html")


_IPNS_VIEW: web.RequestKey[tuple[str, str, int, str]] = web.RequestKey("ipns_view", tuple)


def carry_view(inner: web.Request, outer: web.Request) -> None:
    """Hand what an answer made for ``inner`` (a clone) says about its path to ``outer``, the
    request the answer is sent for (its headers are written from ``outer``)."""
    if _IPNS_VIEW in inner:
        outer[_IPNS_VIEW] = inner[_IPNS_VIEW]
    for key in (_IPFS_URI, _CONTENT_LOCATION):
        if key in inner:
            outer[key] = inner[key]


def visible_path(request: web.Request, path: str) -> str:
    """``path`` (an ``/ipfs/`` path the gateway wrote) as the client's origin and namespace
    see it: under the ``/ipns/`` name it was reached by (``""`` on a DNSLink or subdomain
    origin), without its root on a subdomain ``/ipfs/`` origin."""
    view = request.get(_IPNS_VIEW)
    if view is not None:
        internal, external = view[0], view[1]
        if path == internal or path.startswith((internal + "/", internal + "?")):
            path = external + path[len(internal):]
        return path or "/"
    return origin_path(request, path)


def _ipns_view(request: web.Request, response: web.StreamResponse) -> None:
    """An ``/ipns/`` answer made by the ``/ipfs/`` handler: its paths and URI under the name,
    cached for the record's TTL (Kubo's ``public, max-age=TTL``) instead of for ever."""
    internal, external, ttl_s, uri = request[_IPNS_VIEW]
    if uri:
        response.headers["Ipfs-Uri"] = uri
    else:
        response.headers.pop("Ipfs-Uri", None)
    for header in ("Location", "Content-Location"):
        value = response.headers.get(header)
        if value is not None and value.startswith(internal):
            response.headers[header] = external + value[len(internal):]
    cache = response.headers.get("Cache-Control")
    if cache is not None:
        parts = [part.strip() for part in cache.split(",") if part.strip() != "immutable"]
        response.headers["Cache-Control"] = ", ".join(
            f"max-age={ttl_s}" if part.startswith("max-age=") else part for part in parts)


_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
         "Access-Control-Allow-Headers": "Content-Type, Range, User-Agent, X-Requested-With",
         "Access-Control-Expose-Headers": "Content-Length, Content-Range, Ipfs-Uri, X-Chunked-Output, "
                                          "X-Ipfs-Roots, X-Stream-Output, X-Autocodec-Decoder, X-Autocodec-Module"}


async def _content_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Gateway answers are public and immutable: any origin may read them (as Kubo's gateway);
    every answer about a content path names it (``Ipfs-Uri``, once the path parsed), and one
    whose format the Accept header chose says where that format lives (``Content-Location``).
    What Go's server answers before Kubo's handlers (``_unclean_path``) carries none of these."""
    if _BEFORE_HANDLERS in request:
        return
    if request.path.startswith(("/ipfs/", "/ipns/")) or HOSTED in request or ISOLATED in request:
        for name, value in _CORS.items():
            response.headers.setdefault(name, value)
        for header, key in (("Ipfs-Uri", _IPFS_URI), ("Content-Location", _CONTENT_LOCATION)):
            if (found := request.get(key)) is not None:
                response.headers.setdefault(header, found)
        if _IPNS_VIEW in request:
            _ipns_view(request, response)
        if ROOTED in request:  # a subdomain origin: its paths are the content's
            for header in ("Location", "Content-Location"):
                if (written := response.headers.get(header)) is not None:
                    response.headers[header] = origin_path(request, written)


async def _preflight(request: web.Request) -> web.Response:
    return web.Response(status=200)


async def _read_only(request: web.Request) -> web.Response:
    return read_only(request)


async def _namespace(request: web.Request) -> web.Response:
    """``/ipfs`` and ``/ipns`` without their slash: a 307 to the namespace root (Go's ServeMux,
    which Kubo's gateway mux answers with, inside its CORS wrapper: with the CORS headers), the
    query kept."""
    query = request.raw_path.partition("?")[2]
    location = request.path + "/" + (f"?{query}" if query else "")
    return go_redirect(request, location, 307, headers=_CORS)


def setup_gateway(app: web.Application) -> None:
    """Register ``GET``/``HEAD``/``OPTIONS /ipfs/{path}`` and ``/ipns/{path}``, with CORS headers,
    the subdomain gateway on ``localhost`` (``_subdomain``) and DNSLink sites by ``Host``."""
    from ._ipns_route import ipns

    app.router.add_get(r"/ipfs/{path:[\s\S]*}", ipfs)
    app.router.add_get(r"/ipns/{path:[\s\S]*}", ipns)
    app.router.add_route("*", "/ipfs", _namespace)  # every method, as Go's ServeMux redirects
    app.router.add_route("*", "/ipns", _namespace)
    app.router.add_route("OPTIONS", r"/ipfs/{path:[\s\S]*}", _preflight)
    app.router.add_route("OPTIONS", r"/ipns/{path:[\s\S]*}", _preflight)
    for namespace in ("/ipfs/", "/ipns/"):  # any other method: boxo's 405, not aiohttp's
        app.router.add_route("*", namespace + r"{path:[\s\S]*}", _read_only)
    app.on_response_prepare.append(_content_headers)
    app.middlewares.append(subdomain_gateway)  # before DNSLink hosting, as in Kubo's hostname handler
    app.middlewares.append(dnslink_hosting)
