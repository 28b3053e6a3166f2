"""How the gateway's handlers answer an error: one line of ``text/plain``, or for a browser
an HTML page saying the same.

Kubo's gateway (boxo's ``webError``) answers an error to a request whose ``Accept`` header
(the first one, as Go's ``Header.Get`` reads it) holds ``text/html`` (that exact, lower-case
text anywhere in it) with an HTML page of the same status, ``Content-Type: text/html`` and the
same message; any other request gets the message as ``text/plain``. This server does the same
with a page of its own. What Kubo answers with Go's ``http.Error`` (``plain_response``) stays
plain for every client: Go's server before the handlers (a malformed ``%``-escape), its content
server (a 416), the hostname handler, and the 412 of ``Cache-Control: only-if-cached``.

Invariants:
- The message is the one the plain answer carries (``text``), escaped: nothing from the
  request or a block reaches the page unescaped, and the page carries the explorer's
  ``nosniff`` and Content-Security-Policy (``_page_headers``), as the listings do (Kubo's
  page has neither).
- The status and every other header given are the plain answer's.
"""

from __future__ import annotations

import html
import http

from aiohttp import web

from ._page_head import page_head
from ._page_headers import explorer_origin, html_page_headers


def wants_html(request: web.Request) -> bool:
    """Whether an error is answered as a page: the first ``Accept`` header holds ``text/html``."""
    return "text/html" in request.headers.get("Accept", "")


def error_response(request: web.Request, status: int, text: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    """The answer to a gateway error of ``status`` saying ``text`` (one line, no newline): an
    HTML page when ``wants_html``, else ``text`` and a newline as ``text/plain`` with
    ``nosniff``; ``headers`` go on either."""
    if wants_html(request):
        explorer = explorer_origin(request)  # the bare host, from a content origin
        return web.Response(status=status, body=_page(status, text, explorer).encode("utf-8"),
                            headers={**(headers or {}), **html_page_headers(explorer), "Content-Type": "text/html"})
    return plain_response(status, text, headers)


def plain_response(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    """``text`` and a newline as ``text/plain`` with ``nosniff``, whatever the client accepts:
    how Go's ``http.Error`` answers (Kubo's ``only-if-cached`` 412, Go's server before the
    handlers); ``headers`` added."""
    return web.Response(status=status, text=text + "\n", content_type="text/plain", charset="utf-8",
                        headers={**(headers or {}), "X-Content-Type-Options": "nosniff"})


def _page(status: int, text: str, explorer: str) -> str:
    """The error page: the status, its phrase and the message, styled by the explorer's sheet
    (at ``explorer``, the bare host when the request came to a content origin)."""
    try:
        title = f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    return (f'<!DOCTYPE html><html lang="en">{page_head(title, explorer)}<body><h1>{title}</h1>'
            f'<p class="error"><code>{html.escape(text)}</code></p></body></html>\n')
