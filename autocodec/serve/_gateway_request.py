"""Reading a gateway request as Go's HTTP server and boxo read it, before any block is read.

Invariants:
- What Go's server decides before Kubo's handlers is decided the same way here: an unclean path
  (``.``, ``..``, empty segments) is a 307 to the clean one, a malformed ``%``-escape a 400;
  such an answer is marked (``BEFORE_HANDLERS``) and carries no gateway headers.
- Nothing here reads a block or the network; each function reads the request alone.
"""

from __future__ import annotations

import re
import urllib.parse

from aiohttp import web

from .. import errors
from .._gotext import go_quote
from ._dnslink_host import HOSTED
from . import _redirects
from ._gateway_error import GatewayError
from ._go_cid import gateway_cid
from ._paths import _ALL_VALID_ENCODED, _BAD_ESCAPE, _PATH_SAFE, _clean
from ._subdomain import bare_origin, go_redirect

BEFORE_HANDLERS: web.RequestKey[bool] = web.RequestKey("before_handlers", bool)
"""On a request answered as Go's HTTP server answers before Kubo's handlers (no gateway headers)."""


_CLEAN_PATH: web.RequestKey[str] = web.RequestKey("clean_path", str)
"""The raw path (no query) ``unclean_path`` found clean for this request."""


def unclean_path(request: web.Request) -> web.Response | None:
    """What Go's HTTP server (Kubo's) answers before a handler runs: ``GatewayError`` 400 for a
    path with a malformed %-escape; a 307 response for a path that is not clean, None for one
    that is. As Go's ``ServeMux``, the path is cleaned (no ``.`` or ``..`` segments, no empty
    ones) as sent, escapes and all (``%2e``, ``%2F`` are no dots or slashes there; the handler's
    path cleaning sees them later), and the cleaned path is escaped once more for the Location
    (``%20`` becomes ``%2520``: Go's answer, copied); the query is kept as sent. A path found
    clean is remembered on the request (``_CLEAN_PATH``): the request-target, subdomain and
    gateway layers each ask, the check runs once."""
    raw, _, raw_query = request.raw_path.partition("?")
    if request.get(_CLEAN_PATH) == raw:
        return None
    if _BAD_ESCAPE.search(raw):
        request[BEFORE_HANDLERS] = True
        raise GatewayError(400, "400 Bad Request")
    escaped = raw if _ALL_VALID_ENCODED.fullmatch(raw) else urllib.parse.quote(
        urllib.parse.unquote_to_bytes(raw), safe=_PATH_SAFE)  # Go's URL.EscapedPath
    clean = _clean(escaped)
    if clean == escaped:
        request[_CLEAN_PATH] = raw
        return None
    request[BEFORE_HANDLERS] = True
    location = urllib.parse.quote(clean, safe=_PATH_SAFE) + (f"?{raw_query}" if raw_query else "")
    return go_redirect(request, location, 307)


_NAMESPACE_ROOT = re.compile(r"/ip[fn]s/[^/]+")


def refuse_service_worker(request: web.Request) -> None:
    """boxo's ``handleServiceWorkerRegistration`` (kubo#4025): a ``Service-Worker: script`` fetch
    of a namespace root itself (``/ipfs/{cid}``, ``/ipns/{name}``: no slash after it, the path
    as the handler sees it) is a 400, so no page can register a worker whose scope is the whole
    path gateway. Checked before the path is read, as in Kubo; raises ``GatewayError``."""
    if request.headers.get("Service-Worker") == "script" and _NAMESPACE_ROOT.fullmatch(request.path):
        raise GatewayError(400, "navigator.serviceWorker: registration is not allowed for this scope")


def query_filename(request: web.Request) -> str:
    """The request's ``?filename=`` as Kubo reads it (Go's ``url.Values.Get`` of the raw query):
    the first value, empty when there is none; escaped bytes that are no UTF-8 kept as they
    are (surrogate escapes, written back as the same bytes in ``Content-Disposition``: ``%ff``
    is ``%FF``, not U+FFFD)."""
    raw_query = request.raw_path.partition("?")[2]
    return next((value for key, value in _redirects._go_query(raw_query) if key == "filename"), "")



def content_root(asked: str) -> tuple[str, str]:
    """The namespace and root text of the content path ``asked`` (decoded) once cleaned, as
    boxo's ``path.NewPath`` reads it (escaped dots and slashes, ``%2e%2e`` and ``%2F``, are
    cleaned there, so ``/ipfs/%2F{cid}`` is ``/ipfs/{cid}`` and ``/ipfs/{cid}/%2e%2e/%2e%2e/ipns/NAME``
    is the name); ``GatewayError`` 400 in Kubo's words when no root is left or the namespace is
    none of ``ipfs``, ``ipns``, ``ipld``."""
    parts = _clean(asked).strip("/").split("/")
    if len(parts) < 2 or not parts[1]:
        raise GatewayError(400, f"invalid path {go_quote(asked)}: path does not have enough components")
    if parts[0] not in ("ipfs", "ipns", "ipld"):
        raise GatewayError(400, f"invalid path {go_quote(asked)}: unknown namespace: {go_quote(parts[0])}")
    return parts[0], parts[1]


def invalid_path_text(path: str, exc: errors.InvalidInput) -> str:
    """Kubo's frame for a content path that does not parse, ``invalid path "PATH": invalid cid:
    WHY`` (PATH decoded, as Go's ``%q`` writes it), WHY in this runtime's words: for a root
    that is no CID, the CID parser's reason alone (``parse_path`` also names the path)."""
    reason = exc.message
    if isinstance(exc, errors.InvalidCID):
        try:
            gateway_cid(_clean(path).split("/")[2])
        except errors.InvalidCID as cid_error:
            reason = cid_error.message
        reason = f"invalid cid: {reason}"
    return f"invalid path {go_quote(path)}: {reason}"


def only_if_cached(request: web.Request) -> bool:
    """Whether the request's ``Cache-Control`` is ``only-if-cached``, read as boxo reads it: the
    first such header's whole value (``no-cache, only-if-cached`` is not it, nor another case)."""
    return request.headers.get("Cache-Control", "").strip(" \t") == "only-if-cached"



def origin_isolated(request: web.Request) -> bool:
    """Whether the request came to an origin of its own (a subdomain or a DNSLink host), where
    a site's ``_redirects`` applies; never the path gateway, the bare ``localhost`` either."""
    return HOSTED in request or bare_origin(request) is not None


def converting(request: web.Request) -> bool:
    """Whether the request opts in to this gateway's codec conversion (``autocodec-convert``)."""
    return request.query.get("autocodec-convert", "").lower() in ("1", "true", "yes")
