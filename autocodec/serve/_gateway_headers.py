"""Response headers of gateway answers: caching, ETags, dispositions, provenance, CORS.

Invariants:
- Immutable answers carry ``Cache-Control: public, max-age=29030400, immutable`` (``IMMUTABLE``)
  and an ``ETag``; ``If-None-Match`` with that ETag is a 304 (``_early_not_modified`` first, as
  boxo's ``handleIfNoneMatch``).
- A ``Content-Disposition`` name is percent-encoded as Kubo writes it: no quote, backslash,
  separator or control character reaches the header.
- Every answer under ``/ipfs/`` or ``/ipns/``, or on a content origin (subdomain, DNSLink host),
  gets the CORS headers and names its content path (``_content_headers``), except what Go's
  server answers before Kubo's handlers.
"""

from __future__ import annotations

import email.utils
import urllib.parse
from typing import TYPE_CHECKING

from aiohttp import web

from ..cid import CID
from ._dnslink_host import HOSTED
from ._formats import _CODEC_TYPES, format_etag
from ._gateway_locate import Target
from ._gateway_request import BEFORE_HANDLERS, query_filename
from ._gateway_view import _CONTENT_LOCATION, _IPFS_URI, _IPNS_VIEW, _RESOLVED_AT
from ._paths import _PATH_SEGMENT_SAFE
from ._ranges import not_modified
from ._subdomain import ISOLATED, ROOTED, origin_path

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

IMMUTABLE = "public, max-age=29030400, immutable"
CONVERTED_CACHE = "public, no-cache"
"""A converted answer (``autocodec-convert``) depends on the decoder serving its codec now, which
a set refresh can change: stored, but revalidated by its ETag before each use."""
LISTING_CACHE = "public, max-age=604800, stale-while-revalidate=2678400"


def _roots_header(target: Target) -> str:
    return ",".join(target.cid_text if cid == target.cid else str(cid) for cid in target.roots)


def _base_headers(target: Target) -> dict[str, str]:
    return {"X-Ipfs-Roots": _roots_header(target)}



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
    file's as Go's content server does (``_preconditions``). An empty header is none, as boxo
    reads it (Go's ``Header.Get``). (boxo's early If-Modified-Since
    check reads a modification time its path resolution never sets, so Kubo answers it only
    for files; so does this server.)"""
    if request.headers.get("If-None-Match"):
        for etag, cache in ((format_etag(target.cid, media), IMMUTABLE), (_listing_etag(target.cid), LISTING_CACHE),
                            (_dag_page_etag(target.cid), None)):  # Kubo's DagIndex 304: its ETag alone
            if not_modified(request, etag):
                return web.Response(status=304, headers={"Etag": etag, **({"Cache-Control": cache} if cache else {})})
    return None



def _resolved_headers(request: web.Request) -> dict[str, str]:
    """``Last-Modified`` of an answer under an ``/ipns/`` name: when the name was resolved."""
    at = request.get(_RESOLVED_AT)
    return {} if at is None else {"Last-Modified": email.utils.formatdate(at, usegmt=True)}


def _immutable(target: Target, etag: str) -> dict[str, str]:
    return {**_base_headers(target), "Etag": etag, "Cache-Control": IMMUTABLE}



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
    What Go's server answers before Kubo's handlers (``unclean_path``) carries none of these."""
    if BEFORE_HANDLERS in request:
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
