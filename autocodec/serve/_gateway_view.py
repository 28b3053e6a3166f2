"""How an answer names its path: request keys the handlers set, and paths as the client sees them.

An ``/ipfs/`` answer may be made for an ``/ipns/`` name, a DNSLink host or a subdomain origin;
the keys here carry what that answer says about its path (``Ipfs-Uri``, ``Content-Location``,
the name's view and resolution time) from the request it was made for to the one it is sent for.

Invariant: the handler that made an answer sets these keys on its request; ``carry_view`` copies
them unchanged to the request the answer is sent for, and ``visible_path`` (links, redirects)
and ``_asked_path`` (error texts) read them to write paths as that client's origin and
namespace see them.
"""

from __future__ import annotations

import urllib.parse

from aiohttp import web

from ._dnslink_host import HOSTED
from ._paths import _PATH_SAFE, _PATH_SEGMENT_SAFE, _clean, content_path
from ._subdomain import origin_path

_IPFS_URI: web.RequestKey[str] = web.RequestKey("ipfs_uri", str)
_RESOLVED_AT: web.RequestKey[int] = web.RequestKey("resolved_at", int)
"""When the ``/ipns/`` name of an answer was resolved (Unix seconds): its ``Last-Modified``
where the content has no time of its own, as boxo's ``addCacheControlHeaders`` for mutable paths."""


_CONTENT_LOCATION: web.RequestKey[str] = web.RequestKey("content_location", str)



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



def _slashed_location(request: web.Request) -> str:
    """Where a page whose relative links need a trailing slash (a listing, a DAG view) is
    redirected: the path asked for, cleaned and escaped, with the slash, as the client's origin
    sees it, and the query escaped again, as boxo writes it."""
    raw_query = request.raw_path.partition("?")[2]
    path = urllib.parse.quote(_clean(f"/ipfs/{content_path(request)}/"), safe=_PATH_SAFE, errors="surrogateescape")
    query = f"?{urllib.parse.quote(raw_query, safe=_PATH_SEGMENT_SAFE)}" if raw_query else ""
    return visible_path(request, path) + query
