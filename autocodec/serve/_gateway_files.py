"""UnixFS answers: files (typed, ranged), directories (``index.html`` or a listing), symlinks.

Invariants:
- A file's ``Content-Type`` is from its name, else sniffed from its first bytes, which are read
  before the status is sent (an unreadable start is an error status, not a broken body).
- A listing escapes every name from the DAG, carries the explorer's ``nosniff`` and CSP, and
  shows at most ``MAX_LISTING`` entries (a HAMT's shards are read only that far).
- A directory whose relative links need a trailing slash is redirected to it first.
"""

from __future__ import annotations

import email.utils
import html
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web

from .. import errors
from ..cid import CID
from ..dag import parse_path
from . import _unixfs
from ._content_type import content_type_for, type_by_file_name
from ._detect import LIMIT as DETECT_LIMIT
from ._formats import _CODEC_TYPES, format_etag
from ._gateway_body import _stream, _whole_body
from ._gateway_error import GatewayError
from ._gateway_headers import (LISTING_CACHE, _base_headers, _block_disposition, _disposition, _immutable,
                               _listing_etag, _resolved_headers, _roots_header)
from ._gateway_locate import Target, locate
from ._gateway_request import query_filename
from ._gateway_view import _RESOLVED_AT, _asked_path, _slashed_location, visible_path
from ._page_head import page_head
from ._page_headers import explorer_origin, html_page_headers
from ._paths import href_path, shown
from ._ranges import _asked_span, _preconditions, not_modified
from ._subdomain import go_redirect

if TYPE_CHECKING:  # pragma: no cover
    from ..unixfs import _pb
    from ..registry import Runtime

MAX_LISTING = 10_000  # directory entries shown in one listing page


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
        modtime = _modtime(node.meta)
        if modtime is None:  # under an /ipns/ name, when it was resolved (boxo, as for a file)
            modtime = request.get(_RESOLVED_AT)
        if modtime is not None:
            headers["Last-Modified"] = email.utils.formatdate(modtime, usegmt=True)
        _name_by_query(request, headers)  # as for a file (boxo serves both through serveFile)
        return _whole_body(request, headers, node.meta.data, "inode/symlink", modtime=modtime, head_syntax=False)
    if cid.codec != _unixfs.DAG_PB:  # a block of any other codec is a file of its bytes, as Kubo serves it
        return await _file_response(request, runtime, target, _bytes_file(target))
    raise _not_unixfs(cid)


def _bytes_file(target: Target) -> _unixfs.Node:
    """A block of a codec other than dag-pb as Kubo serves it at a path: a file of its bytes."""
    return _unixfs.Node("file", len(target.data), None, ())


def _not_unixfs(cid: CID) -> GatewayError:
    """Kubo's 500 for a dag-pb node that is no UnixFS file, directory or symlink (no roots, as Kubo)."""
    return GatewayError(500, f"{cid} is a dag-pb node but not a UnixFS file, directory or symlink (no UnixFS Data, "
                             "or Data of an unknown type): fetch it with ?format=raw or ?format=dag-json")


def _name_by_query(request: web.Request, headers: dict[str, str]) -> None:
    """``Content-Disposition`` from ``?filename=`` (``attachment`` with ``?download=true``), as
    boxo's ``addContentDispositionHeader`` writes it; an empty one names nothing (Kubo sends none)."""
    if query_filename(request):
        headers["Content-Disposition"] = _disposition(
            "attachment" if request.query.get("download") == "true" else "inline", query_filename(request))


def _asked_name(request: web.Request) -> str:
    """The name a file's type is read from when no ``?filename=`` names it, as boxo's
    ``getFilename`` takes it: the last segment of the content path asked for (``/ipns/{name}/...``
    as sent, not the path the name leads to), none at a namespace's root (``/ipns/{domain}`` over
    a file: the domain is no file name)."""
    asked = _asked_path(request).rstrip("/")
    return "" if asked.count("/") <= 2 else asked.rpartition("/")[2]


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
    name = "index.html" if etag_cid is not None else _asked_name(request)
    headers = {**_immutable(target, etag), "Accept-Ranges": "bytes"}
    modtime = _modtime(node.meta) if etag_cid is None else modtime
    if modtime is None:
        modtime = request.get(_RESOLVED_AT)
    if modtime is not None:
        headers["Last-Modified"] = email.utils.formatdate(modtime, usegmt=True)
    _name_by_query(request, headers)
    sniff_name = query_filename(request) or name  # an empty one names nothing, as in Kubo
    decided, ranged = _preconditions(request, headers, modtime)
    if decided is not None:
        if decided.status == 412:  # the type of the whole file, read before Go's content server decides (Kubo)
            head = b"" if type_by_file_name(sniff_name) else await _file_head(request, runtime, target, size)
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
            and not type_by_file_name(sniff_name):
        sniffed = await _file_head(request, runtime, target, size)  # an empty suffix, a HEAD: the file's start
    elif span is not None and span[0] == 0 <= span[1] < size - 1 and len(head) < wanted and not type_by_file_name(sniff_name):
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
        if inner.cid.codec != _unixfs.DAG_PB:  # dag-cbor, dag-json...: its bytes, as Kubo serves them
            node = _bytes_file(inner)
        elif node.kind in ("directory", "hamt", "symlink"):  # so named: Kubo's 422 (boxo's serveDirectory)
            raise GatewayError(422, "index.html could not be read: not a file",
                               {"X-Ipfs-Roots": _roots_header(target)})
        elif node.kind != "file":
            raise _not_unixfs(inner.cid)
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
