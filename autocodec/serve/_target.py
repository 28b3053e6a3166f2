"""The request target and ``Host`` read as Go's HTTP server reads them ahead of Kubo's gateway
handlers (RFC 9112 3.2 and 3.2.2; Go's ``net/http`` ``readRequest``):

- absolute-form (``GET http://HOST/PATH HTTP/1.1``, what a client sends through a proxy, e.g.
  ``curl --proxy``) is the request for ``/PATH`` with the URL's host as ``Host`` (a server
  must accept it; the URL's host wins over the header). It reached the handlers as a path
  ``/http:/HOST/PATH``, a 307 there;
- ``CONNECT`` (any target, as Kubo reads it first) is boxo's 405 ``Method CONNECT not allowed``,
  where Kubo answers a bare 200 (``Content-Length: 0``) and opens no tunnel: a 2xx to CONNECT
  tells a client the tunnel is up (RFC 9110 9.3.6), so this server does not claim one;
- a path no route takes is Go's ``404 page not found`` (``nosniff``, the gateway's CORS headers),
  as Kubo's mux answers it inside its CORS wrapper;
- ``OPTIONS *`` is a bare 200 (``Content-Length: 0``); another method with ``*`` is a 400
  (from aiohttp's parser, as from Go's);
- a ``Host`` header holding a byte that no host, port or IPv6 zone holds (Go's
  ``httpguts.ValidHostHeader``: letters, digits and ``!$%&'()*+,-.:;=[]_~``) is a 400,
  ``malformed Host header``, before the subdomain or DNSLink reading of it;
- a request with no ``Host`` (HTTP/1.0; HTTP/1.1 without one is aiohttp's parser's 400, as it is
  Go's) has the empty host Go gives Kubo (``r.Host``), read by ``request_host``: the path
  gateway, never a subdomain or DNSLink name (aiohttp's ``request.host`` falls back to the
  socket's address, which older versions took from ``socket.getfqdn()``);
- a path that is not clean is Go's ``ServeMux`` 307 to the clean one on every route, not only
  under ``/ipfs/`` and ``/ipns/`` (``//ipfs/CID/a.txt`` was a 404, ``/explore/../ipfs/...`` the
  explorer's answer).
"""

from __future__ import annotations

import string
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict

_HOST_BYTES = frozenset(string.ascii_letters + string.digits + "!$%&'()*+,-.:;=[]_~")


def valid_host(host: str) -> bool:
    """Whether every character of a ``Host`` value is one Go's server accepts there."""
    return all(ch in _HOST_BYTES for ch in host)


def request_host(request: web.Request) -> str:
    """The ``Host`` a request was sent with, as Go's server gives it to Kubo: the header's value
    (an absolute-form target's authority, once ``request_target`` moved it there), ``""`` when
    none was sent; never a name of the machine's or the socket's own."""
    return request.headers.get("Host", "")


def absolute_form(target: str) -> tuple[str, str] | None:
    """``(authority, path-and-query)`` of an absolute-form target (``scheme://authority/...``;
    user information dropped; the path may be empty), or None for any other form."""
    scheme, sep, rest = target.partition("://")
    if not sep or not scheme or not all(ch.isascii() and (ch.isalnum() or ch in "+-.") for ch in scheme):
        return None
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    authority = authority.rpartition("@")[2]
    return authority, tail


def _bad_request(reason: str = "") -> web.Response:
    """Go's own 400 for a request its server refuses, in its words (no newline)."""
    return web.Response(status=400, text="400 Bad Request" + (f": {reason}" if reason else ""),
                        headers={"Connection": "close"}, content_type="text/plain")


@web.middleware
async def request_target(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Read the request target and ``Host`` as Go's server does (module docstring), then the app."""
    if request.method == "CONNECT":  # Kubo: a bare 200 with no tunnel behind it; here boxo's 405
        from ._subdomain import read_only

        return read_only(request)
    target = request.raw_path
    if target == "*":  # only OPTIONS gets here: aiohttp's parser refuses ``*`` with another method (400)
        return web.Response(status=200, headers={"Content-Length": "0"})
    host = request.headers.get("Host")
    if host is not None and not valid_host(host):
        return _bad_request("malformed Host header")
    if not target.startswith("/"):
        parsed = absolute_form(target)
        if parsed is not None:
            authority, rest = parsed
            if not valid_host(authority):
                return _bad_request("malformed Host header")
            if (early := _before_clone(request, rest)) is not None:
                return early
            headers = CIMultiDict(request.headers)
            headers["Host"] = authority
            request = request.clone(rel_url=rest, headers=headers)
    try:
        return _unclean(request) or await handler(request)
    except web.HTTPNotFound as exc:
        if exc.text != _AIOHTTP_NOT_FOUND:
            raise
        return _go_not_found()


_AIOHTTP_NOT_FOUND = "404: Not Found"  # the router's text for a path no route takes


def _go_not_found() -> web.Response:
    """Go's ``http.NotFound``, which Kubo's mux answers a path no handler takes with, inside
    Kubo's CORS wrapper: with the gateway's CORS headers."""
    from ._gateway_headers import _CORS
    from ._subdomain import _plain

    return _plain(404, "404 page not found\n", _CORS)


def _before_clone(request: web.Request, rest: str) -> web.Response | None:
    """What Go answers for an absolute-form path before it is read as a path: a malformed
    escape in it is a 400, an empty one Go's 307 to ``/`` (the query kept)."""
    from ._paths import _BAD_ESCAPE
    from ._subdomain import go_redirect

    path, mark, query = rest.partition("?")
    if _BAD_ESCAPE.search(path):  # checked here: the clone's URL would escape the ``%`` again
        return _bad_request()
    if not path:
        return go_redirect(request, "/" + mark + query, 307)
    return None


def _unclean(request: web.Request) -> web.Response | None:
    """Go's ``ServeMux`` answer to a path that is not clean, on every route (``/./healthz``,
    ``//ipfs/...``, ``/x/../ipfs/...``: a 307 to the clean path; a malformed escape a 400), as
    ``unclean_path`` gives it for the gateway's paths."""
    from ._gateway_request import unclean_path
    from ._gateway_error import GatewayError

    try:
        return unclean_path(request)
    except GatewayError:  # a malformed escape: Go's bare 400
        return _bad_request()
