"""Headers every explorer response carries: its pages, the index, error pages and static files,
and the headers of the HTML pages the gateway writes (listings, DAG views, error pages).

``X-Content-Type-Options: nosniff`` and the Content-Security-Policy below are set on every
response under ``/explore`` and ``/explore-static/`` (an ``on_response_prepare`` hook, so no
route can forget them): scripts, styles and images come from this origin only, nothing may
frame the pages (``frame-ancestors 'none'``: no clickjacking), and ``<base>`` and form targets
cannot be redirected elsewhere. A value a page shows from a block is escaped besides
(``_explorer``); the policy is the second wall. A gateway page on a content origin (a
subdomain, a DNSLink host) takes the explorer's stylesheet, script and search form from the
bare host (``explorer_origin``), and its policy allows that origin for those alone.
"""

from __future__ import annotations

from aiohttp import web

from ._dnslink_host import HOSTED
from ._subdomain import ISOLATED, bare_origin
from ._target import request_host

CSP = ("default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": CSP}
_PREFIXES = ("/explore/", "/explore-static/")


def is_explorer_path(path: str) -> bool:
    return path == "/explore" or path.startswith(_PREFIXES)


async def add_page_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: the explorer's headers on every explorer response (a path
    under ``/explore/`` on a content origin, a DNSLink site or a subdomain, is the content's)."""
    if is_explorer_path(request.path) and HOSTED not in request and ISOLATED not in request:
        response.headers.update(HEADERS)


def explorer_origin(request: web.Request) -> str:
    """Where a listing's explorer links and stylesheet point: ``""`` (this origin) on the path
    gateway; on a content origin or a DNSLink host, whose every path is the site's, the bare
    ``http://localhost[:port]`` (the port the request came to; ``https`` as forwarded)."""
    bare = bare_origin(request)
    if bare is not None or HOSTED not in request:
        return bare or ""
    scheme = "https" if request.headers.get("X-Forwarded-Proto") == "https" else "http"
    port = _host_port(request_host(request))
    if port is None and request.transport is not None:
        sockname = request.transport.get_extra_info("sockname")
        port = sockname[1] if isinstance(sockname, tuple) and len(sockname) > 1 else None
    return f"{scheme}://localhost" + (f":{port}" if port else "")


def _host_port(host: str) -> int | None:
    """The port a DNSLink host's ``Host`` names (``site.test:8080``: 8080); None for none and for
    one no socket has (``:abc``, ``:0``, past 65535, thousands of digits), which the site is still
    served under (as Kubo serves it). Read here, not through ``request.url``: yarl refuses such a
    port with a ValueError (a 500 on the site's listing)."""
    text = host.rpartition(":")[2] if ":" in host else ""
    if not (0 < len(text) <= 5 and text.isascii() and text.isdigit()):
        return None
    return int(text) if 0 < int(text) <= 65535 else None


def html_page_headers(explorer: str) -> dict[str, str]:
    """The headers of an HTML page the gateway writes (a listing, a DAG view, an error page):
    the explorer's ``nosniff`` and Content-Security-Policy, letting its stylesheet, script and
    search form come from and go to ``explorer`` (the bare host) when the page is on a content
    origin."""
    headers = dict(HEADERS)
    if explorer:
        policy = headers["Content-Security-Policy"]
        for directive in ("style-src", "script-src", "form-action"):
            policy = policy.replace(f"{directive} 'self'", f"{directive} 'self' {explorer}")
        headers["Content-Security-Policy"] = policy
    return headers


__all__ = ["CSP", "HEADERS", "add_page_headers", "explorer_origin", "html_page_headers", "is_explorer_path"]
