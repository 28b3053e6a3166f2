"""A site's ``_redirects`` file on its own origin (boxo's ``serveRedirectsIfPresent``).

Invariants:
- Read only for a path that does not exist, on an origin of its own (a subdomain or DNSLink
  host, never the path gateway); the file is bounded (``_redirects.MAX_BYTES``).
- A file Kubo refuses is a 500 naming it; a custom error page that is missing a 404, one that
  is no file a 500; a 200 rule's target is answered as the request names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web

from .. import errors
from ..cid import CID
from ..dag import DagPath, parse_path
from . import _redirects, _unixfs
from ._gateway_body import _stream
from ._gateway_error import GatewayError
from ._gateway_headers import IMMUTABLE
from ._gateway_locate import HELD_BLOCK, Target, locate
from ._gateway_view import _IPNS_VIEW
from ._subdomain import go_redirect

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

async def _redirected(request: web.Request, runtime: "Runtime", path: DagPath) -> web.StreamResponse | Target | None:
    """The answer the site's ``_redirects`` gives for ``path``, which does not exist (boxo's
    ``serveRedirectsIfPresent``): a redirect or a custom error page, the ``Target`` a 200 rule
    rewrites to (named as ``path`` asked), or None (no file, no rule matches). A file Kubo
    refuses is a 500 naming it; an error page that is missing a 404, one that is no file a 500."""
    from ._app import _run

    where = f'trouble processing _redirects file at "/ipfs/{path.root_text}/_redirects":'
    try:
        rules = await _run(request, _site_rules, runtime, path, request.get(HELD_BLOCK))
    except _redirects.RedirectsError as exc:
        raise GatewayError(500, f"{where} {exc}") from None
    found = _redirects.first_match(rules or [], "/" + "/".join(path.segments))
    if found is None:
        return None
    rule, to = found
    if rule.status not in (200, *_redirects.ERROR_PAGES):
        return go_redirect(request, _redirects.location(to, request.raw_path.partition("?")[2]), rule.status)
    new_path = parse_path(f"/ipfs/{path.root_text}/{to.lstrip('/')}")
    if rule.status == 200:
        target: Target = await _run(request, locate, runtime, new_path)
        if target.cid.codec != _unixfs.DAG_PB or (await _run(request, _unixfs.classify, target.cid,
                                                             target.data)).kind == "file":
            target.path = path  # a file is named (and typed) as the request names it, as in Kubo
        return target
    try:
        page: Target = await _run(request, locate, runtime, new_path)
    except errors.PathNotFound as exc:
        raise GatewayError(404, f"{where} {exc.message}") from None
    node = await _run(request, _unixfs.classify, page.cid, page.data)
    if node.kind != "file" and page.cid.codec == _unixfs.DAG_PB:
        raise GatewayError(500, f"{where} could not convert node for {rule.status} page to file")
    return await _error_page(request, runtime, page, node.size, rule.status)


def _site_rules(runtime: "Runtime", path: DagPath,
                held: tuple[CID, bytes] | None = None) -> list[_redirects.Rule] | None:
    """The rules of ``/ipfs/{root}/_redirects``, None when there is no such file (``held``:
    as ``locate``)."""
    try:
        found = locate(runtime, parse_path(f"/ipfs/{path.root_text}/_redirects"), held=held)
    except errors.PathNotFound:
        return None
    node = _unixfs.classify(found.cid, found.data)
    if node.kind != "file" and found.cid.codec == _unixfs.DAG_PB:
        raise _redirects.RedirectsError(" _redirects is not a file")
    data = found.data if found.cid.codec != _unixfs.DAG_PB else b"".join(
        _unixfs.read_range(runtime, found.cid, found.data, 0, min(node.size, _redirects.MAX_BYTES + 1) - 1,
                           runtime.limits)) if node.size else b""
    try:
        return _redirects.parse(data[:_redirects.MAX_BYTES + 1])
    except _redirects.RedirectsError as exc:
        raise _redirects.RedirectsError(f"could not parse _redirects: {exc}") from None


async def _error_page(request: web.Request, runtime: "Runtime", page: Target, size: int,
                      status: int) -> web.StreamResponse:
    """A rule's custom 404/410/451 page (boxo's ``serve4xx``): its bytes as ``text/html``, its
    CID as ETag, immutable caching under ``/ipfs/`` (none under a DNSLink name)."""
    headers = {"Etag": f'"{page.cid}"'}
    if _IPNS_VIEW not in request:
        headers["Cache-Control"] = IMMUTABLE
    if page.cid.codec != _unixfs.DAG_PB:
        pieces: Iterator[bytes] = iter((page.data,))
    else:
        pieces = _unixfs.read_range(runtime, page.cid, page.data, 0, size - 1, runtime.limits) if size else iter(())
    response = web.StreamResponse(status=status, headers={**headers, "Content-Type": "text/html"})
    response.content_length = size if page.cid.codec == _unixfs.DAG_PB else len(page.data)
    return await _stream(request, response, pieces)
