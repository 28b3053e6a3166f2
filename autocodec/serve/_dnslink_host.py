"""DNSLink websites by ``Host``, as Kubo's gateway hosts them (``Gateway.NoDNSLink`` false).

A ``GET``/``HEAD`` whose ``Host`` is a domain with a DNSLink (``registry._dnslink``) is answered
as ``/ipns/{domain}{path}``: ``/`` is the site's root (its ``index.html``), ``/a/b`` a path in
it, and every path, ``/ipfs/...`` too, is read inside the site, as Kubo reads it. Redirects and
``Content-Location`` stay inside the site (``/sub`` moves to ``/sub/``), but for one of Kubo's:
boxo rewrites the decoded path to ``/ipns/{host}{path}`` for a ``ServeMux`` of its own, so a path
clean as sent but not once decoded (``%2e%2e``, ``%2e``, ``%2F..%2F``, ``%2F%2F`` segments) is
that mux's 307 to the cleaned ``/ipns/{host}/...`` (the host as sent, port dropped; escapes
escaped again; the gateway's CORS headers, as that mux runs inside Kubo's CORS wrapper), a
path the site itself reads as ``ipns/...`` (Kubo 0.43.1, measured:
tests/test_s9_dnslink_escaped_kubo.py; same origin, so no hole, kept as Kubo answers). Any other
request, and any host without a usable DNSLink, is answered by the path gateway as before.

Invariants:
- IP literals and ``localhost`` are never looked up (the server's own loopback names; Kubo
  asks DNS for ``localhost`` too), and nothing is looked up when hosting is off
  (``serve --no-dnslink``) or the server is offline (``serve --offline``: no DNS is asked, so no
  host has a DNSLink and every request goes to the path gateway, as Kubo 0.43.1's gateway
  answers when its resolver finds no TXT record).
- A host's DNSLink answer, present or absent, is reused for its TTL (absent: 60 s), so an
  unknown ``Host`` costs one DNS lookup a minute, not one a request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web

from ._target import request_host

DNSLINK_HOSTING: web.AppKey[bool] = web.AppKey("dnslink_hosting", bool)
HOSTED: web.RequestKey[str] = web.RequestKey("dnslink_host", str)
_NEVER_LOOKED_UP = frozenset({"localhost", "localhost."})


def hosted_domain(host: str | None) -> str | None:
    """The domain of a ``Host`` header that may name a DNSLink site, or None (an IP literal,
    ``localhost``, a malformed value)."""
    from ..sources._dns import is_domain_name

    if not host:
        return None
    name = host.lower()
    if name.startswith("["):  # an IPv6 literal
        return None
    name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    if name in _NEVER_LOOKED_UP or not is_domain_name(name):
        return None
    return name.rstrip(".")


@web.middleware
async def dnslink_hosting(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Answer a request to a DNSLink site's host from the site (see the module docstring)."""
    host = request_host(request)  # none sent: "", the path gateway (not the socket's address)
    domain = hosted_domain(host) if request.method in ("GET", "HEAD") else None
    if domain is None or not request.app.get(DNSLINK_HOSTING, True):
        return await handler(request)
    from ._app import RUNTIME, _run
    from ._gateway_request import unclean_path
    from ._gateway_view import carry_view
    from ._ipns_route import ipns
    from ._gateway_error import GatewayError

    runtime = request.app[RUNTIME]
    if runtime.offline or not await _run(request, runtime.pins.names.dnslinks.has, domain):
        return await handler(request)
    try:
        unclean = unclean_path(request)  # as Go's server answers before any handler: inside the site
    except GatewayError as exc:
        return web.Response(status=exc.status, text=exc.text + "\n", content_type="text/plain")
    if unclean is not None:
        return unclean
    from ._subdomain import strip_port, unclean_content_path, uri_redirect

    if (redirect := uri_redirect(request)) is not None:
        return redirect
    if (unclean := unclean_content_path(request, f"/ipns/{strip_port(host)}")) is not None:
        request[HOSTED] = domain  # the site's answer, inside Kubo's CORS wrapper: the gateway's CORS headers
        return unclean  # Kubo's inner mux: escaped dots and slashes are real ones there (module docstring)
    inner = request.clone(rel_url=f"/ipns/{domain}{request.raw_path}")
    inner[HOSTED] = domain
    response = await ipns(inner)
    carry_view(inner, request)
    request[HOSTED] = domain
    return response


__all__ = ["DNSLINK_HOSTING", "HOSTED", "dnslink_hosting", "hosted_domain"]
