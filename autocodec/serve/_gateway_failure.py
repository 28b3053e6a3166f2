"""The answer to a request that failed before its status was sent.

Invariants:
- Every exception maps to a status (``status_for_gateway``) and a text in Kubo's words; an
  unexpected one is logged and answered without its details: no local folder name, no
  traceback reaches the client.
- Errors are ``text/plain`` with ``X-Content-Type-Options: nosniff``, or an HTML page saying the
  same when the Accept header holds ``text/html`` (``_error_page``, as Kubo); what Go's server
  answers before Kubo's handlers is always plain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import errors
from .._gotext import go_escape_ascii
from ..cid import CID
from ..dag import UnknownUnixfsType
from ._error_page import error_response, plain_response
from ._gateway_error import GatewayError, status_for_gateway
from ._gateway_locate import NO_PROVIDERS, MissingPath
from ._gateway_request import BEFORE_HANDLERS
from ._gateway_view import _asked_path
from ._paths import content_path, shown

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime


def failure_response(request: web.Request, runtime: "Runtime", exc: Exception) -> web.Response:
    """The error answer to ``exc``, counted (or logged, when unexpected) in the runtime's metrics."""
    from ._app import public_text

    status = status_for_gateway(exc)
    headers = {"X-Content-Type-Options": "nosniff"}
    if isinstance(exc, GatewayError):
        headers.update(exc.headers)
    if isinstance(exc, (GatewayError, errors.AutocodecError)):
        text = exc.text if isinstance(exc, GatewayError) else public_text(exc.told, runtime)  # led by its module, if any
        if isinstance(exc, (MissingPath, UnknownUnixfsType)):  # Kubo's words: the path asked for (cleaned), then why
            text = f"failed to resolve {go_escape_ascii(_asked_path(request))}: {text}"
        elif isinstance(exc, errors.BlockNotFound) and runtime.offline:
            text = _offline_missing_root(request, text)
        runtime.metrics.inc("errors_total", route="ipfs", error=type(exc).__name__)
    else:
        from ._app import _error

        _error(exc, runtime, "ipfs")  # counted and logged (rate-limited) there
        text = "unexpected error (see the server log)"
    if BEFORE_HANDLERS in request or (isinstance(exc, GatewayError) and exc.plain):
        return plain_response(status, shown(text), headers)
    return error_response(request, status, shown(text), headers)


_OFFLINE_MISS = "block was not found locally (offline): ipld: could not find {}"


def _offline_missing_root(request: web.Request, text: str) -> str:
    """Kubo 0.43.1's offline words (``ipfs daemon --offline``) when ``text`` says the path's
    root block is missing: ``failed to resolve PATH: TEXT: retrieval: no providers found for the
    CID (phase: path resolution)``; ``text`` as it is for any other block (a block under the
    root, where Kubo's resolver says ``no link named``, or a file's chunk, where Kubo has sent
    its 200 already: docs/gateway.md)."""
    try:
        root = CID.parse(content_path(request).partition("/")[0])
    except errors.AutocodecError:
        return text
    if text != _OFFLINE_MISS.format(root):
        return text
    return f"failed to resolve {go_escape_ascii(_asked_path(request))}: {text}: {NO_PROVIDERS}"
