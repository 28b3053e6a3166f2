"""Headers every explorer response carries: its pages, the index, error pages and static files.

``X-Content-Type-Options: nosniff`` and the Content-Security-Policy below are set on every
response under ``/explore`` and ``/explore-static/`` (an ``on_response_prepare`` hook, so no
route can forget them): scripts, styles and images come from this origin only, nothing may
frame the pages (``frame-ancestors 'none'``: no clickjacking), and ``<base>`` and form targets
cannot be redirected elsewhere. A value a page shows from a block is escaped besides
(``_explorer``); the policy is the second wall.
"""

from __future__ import annotations

from aiohttp import web

CSP = ("default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": CSP}
_PREFIXES = ("/explore/", "/explore-static/")


def is_explorer_path(path: str) -> bool:
    return path == "/explore" or path.startswith(_PREFIXES)


async def add_page_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: the explorer's headers on every explorer response (a path
    under ``/explore/`` on a content origin, a DNSLink site or a subdomain, is the content's)."""
    from ._dnslink_host import HOSTED
    from ._subdomain import ISOLATED

    if is_explorer_path(request.path) and HOSTED not in request and ISOLATED not in request:
        response.headers.update(HEADERS)
