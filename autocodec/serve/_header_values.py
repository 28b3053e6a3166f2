"""The last look at every answer's header values before aiohttp writes them.

Some values carry text from the request (``Content-Location`` holds the decoded path, as boxo's
``addContentLocation`` writes it). Go's server writes a value with CR and LF turned into spaces
(``headerNewlineToSpace``) and any other control character raw; aiohttp refuses to write a value
with any control character, and the client would get no answer at all. So here, as in Go, CR and
LF become spaces; every other control character (U+0000-U+001F but TAB, and U+007F), which Go
would send raw and RFC 9110 does not allow in a field value (curl drops such an answer), is
written percent-encoded (``%00``). Invariant: every answer leaves with header values aiohttp can
write; values without control characters are not touched.
"""

from __future__ import annotations

import re

from aiohttp import web

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _writable(value: str) -> str:
    return _CONTROL.sub(lambda m: " " if m.group() in "\r\n" else f"%{ord(m.group()):02X}", value)


async def writable_header_values(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook, registered last: control characters out of header values."""
    if not any(_CONTROL.search(value) for value in response.headers.values()):
        return
    items = list(response.headers.items())
    response.headers.clear()
    for name, value in items:
        response.headers.add(name, _writable(value))
