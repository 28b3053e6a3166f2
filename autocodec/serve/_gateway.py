"""The IPFS HTTP gateway routes: ``GET|HEAD /ipfs/{cid}[/path]``.

Specs: ipfs/specs http-gateways (path-gateway.md, trustless-gateway.md, IPIP-412 CAR
parameters, IPIP-0524: no codec conversion). Where the spec leaves room, Kubo v0.43.1's
gateway is followed (statuses, header names and values, ETag forms); the differential tests
in ``tests/test_gateway_kubo.py`` hold this to Kubo.

This module is the route and its dispatch (``ipfs``: which kind of answer a request gets);
each job of an answer lives in a private module of its own: ``_gateway_request`` (reading the
request as Go's server and boxo do), ``_gateway_locate`` (where a path lands), ``_gateway_view``
(how an answer names its path), ``_gateway_headers`` (caching, ETags, dispositions, CORS),
``_gateway_body`` (streamed and whole bodies), ``_gateway_archives`` (CAR, TAR),
``_gateway_blocks`` (one block: raw, as stored, converted, its HTML view), ``_gateway_files``
(UnixFS files and directories), ``_gateway_site`` (a site's ``_redirects``), ``_gateway_failure``
(error answers). Beside them, one job each: ``_ipns_route`` (``/ipns/``, answered through
``ipfs`` here), ``_ranges`` (``Range`` and conditional headers), ``_paths`` (content paths and
URIs as text), ``_formats`` (the media types asked for, ``negotiate``), ``_content_type`` (a
file's Content-Type), ``_gateway_error`` (``GatewayError`` and its status), ``_car`` (CAR
blocks), ``_unixfs`` (UnixFS reads), ``_redirects`` (a site's ``_redirects`` rules).

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
from typing import TYPE_CHECKING

from aiohttp import web

from .. import errors
from .._gotext import go_escape_ascii, go_quote
from ..dag import parse_path
from . import _car, _unixfs
from ._dnslink_host import dnslink_hosting
from ._formats import _CODEC_TYPES, _MATCHING, _SERVED, CAR, CBOR, IPNS_RECORD, JSON, RAW, TAR, _content_location, negotiate
from ._gateway_archives import _car_response, _tar_response
from ._gateway_blocks import _dag_page_response, _data_response, _raw_response, _wants_dag_page
from ._gateway_body import _Aborted
from ._gateway_error import GatewayError
from ._gateway_failure import failure_response
from ._gateway_files import _path_response
from ._gateway_headers import _CORS, _base_headers, _content_headers, _early_not_modified
from ._gateway_locate import _EMPTY_IDENTITY, HELD_BLOCK, MissingPath, Target, UnreadableSegment, _locate, _stored
from ._gateway_request import (content_root, converting, invalid_path_text, unclean_path, only_if_cached,
                               origin_isolated, refuse_service_worker)
from ._gateway_site import _redirected
from ._gateway_view import _CONTENT_LOCATION, _IPFS_URI, _asked_path, carry_view
from ._go_cid import gateway_cid
from ._paths import _clean, content_path, ipfs_uri, shown
from ._ranges import _defaults_range_check
from ._subdomain import go_redirect, read_only, subdomain_gateway

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime


async def ipfs(request: web.Request) -> web.StreamResponse:
    from ._app import RUNTIME

    runtime = request.app[RUNTIME]
    try:
        if (unclean := unclean_path(request)) is not None:
            return unclean
        refuse_service_worker(request)
        return await _ipfs(request, runtime)
    except web.HTTPException:
        raise
    except (_Aborted, ConnectionResetError):  # aborted by us mid-body, or the client went away
        raise asyncio.CancelledError() from None  # nothing more can be sent on that connection
    except Exception as exc:  # noqa: BLE001 - mapped to a status, never leaked
        return failure_response(request, runtime, exc)


async def _ipfs(request: web.Request, runtime: "Runtime") -> web.StreamResponse:
    from ._app import _run

    raw_path = content_path(request)
    if not raw_path:
        raise GatewayError(400, 'invalid path "/ipfs/": path does not have enough components')  # Kubo's words
    namespace, root = content_root("/ipfs/" + raw_path)
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
        raise GatewayError(400, invalid_path_text("/ipfs/" + raw_path, exc)) from None
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
        if request.headers.get("If-None-Match"):  # Kubo answers If-None-Match first (its ETag names the type)
            early = _early_not_modified(request, await _run(request, _locate, request, runtime, path), media)
            if early is not None:
                return early
        raise GatewayError(400, "unsupported response format requested")  # Kubo's words
    if media == IPNS_RECORD:  # Kubo's words
        raise GatewayError(400, f"{shown(_asked_path(request))} is not an IPNS link")
    car = _car.car_params(request.query, params) if media == CAR else None
    defaults = media in (None, JSON, CBOR)  # boxo's serveDefaults: no format, or the generic json/cbor
    if defaults and not (request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since")):
        # boxo resolves the path first when either is there (handleIfNoneMatch, handleIfModifiedSince;
        # an empty one is none, Go's Header.Get): a missing path is then a 404 before any Range is read
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
        if isinstance(exc, UnreadableSegment) and exc.last:  # Kubo's CAR: this 500, no blocks (boxo's GetCAR)
            raise GatewayError(500, f"failed to resolve {go_escape_ascii(_asked_path(request))}: {exc.reason}") from None
        # Kubo streams the blocks up to the missing link (a CAR a client can verify), root: empty identity
        target = Target(path, exc.roots[:1], exc.blocks, _EMPTY_IDENTITY, b"", (), None)
        assert car is not None
        return await _car_response(request, runtime, target, car, up_to_missing=True)
    if media == CAR:
        assert car is not None
        return await _car_response(request, runtime, target, car)
    if (early := _early_not_modified(request, target, media)) is not None:
        return early
    if defaults:
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
            target.cid.codec in (_unixfs.DAG_PB, _unixfs.RAW) or not converting(request)):
        media = None  # Kubo v0.43.1 ignores the generic json/cbor formats for blocks not in a data format
    if media in _MATCHING:
        return await _data_response(request, runtime, target, media)
    return await _path_response(request, runtime, target, raw_path.endswith("/"))



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
