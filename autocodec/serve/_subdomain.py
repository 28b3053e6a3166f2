"""The subdomain gateway on ``localhost``: each content root on an origin of its own.

Spec: specs.ipfs.tech "Subdomain Gateway Specification". Kubo v0.43.1 serves it by default
for ``localhost`` (its implicit ``Gateway.PublicGateways`` entry: paths ``/ipfs/``,
``/ipns/``, ``/p2p/``, ``UseSubdomains``); the ``Host`` header is read here as boxo's
``NewHostnameHandler`` reads it, and ``tests/test_subdomain_kubo.py`` holds this to Kubo.

- ``Host: {root}.ipfs.localhost[:port]`` and ``{name}.ipns.localhost[:port]``: every request
  is a request for ``/ipfs/{root}{path}`` (``/ipns/{name}{path}``), answered by the path
  gateway's handlers (formats, ``Range``, caching headers, errors), with redirects and
  ``Content-Location`` inside the origin. A CID label longer than a DNS label (63
  characters) is a 301 to its base36 form (a 400 when that is still too long), an ``/ipns/``
  CID of another codec a 301 to its ``libp2p-key`` form; an ``/ipns/`` label holding ``-``
  and no ``.`` is an inlined DNSLink name (``my-v--long-example-com`` is
  ``my.v-long.example.com``). ``OPTIONS`` is the CORS preflight; other methods a 405.
- ``Host: localhost[:port]``: a path under ``/ipfs/``, ``/ipns/`` or ``/p2p/`` is a 301 to
  the subdomain (CIDv1 in base32, base36 for ``/ipns/`` keys; any method, trustless formats
  too, the query kept); ``/ipfs/`` followed by no CID is the path gateway's error. Other
  paths are this server's own routes (explorer, ``/ipvm/``, ``/admin``): they live on the
  bare host only.
- Any other host (``127.0.0.1`` included, as in Kubo: it is no known gateway name) is
  answered as before.

Invariants:
- A request whose ``Host`` is a subdomain of ``localhost`` in a gateway namespace never
  reaches a route other than the gateway's: a page served from a content origin cannot read
  or post to the explorer, ``/ipvm/`` or ``/admin``.
- ``X-Forwarded-Host`` is not read (Kubo reads it): a page on a content origin could send
  it to its own origin to be routed as the bare host.
- What Go's HTTP server answers before Kubo's handlers (an unclean path, a bad escape)
  comes first here too.
"""

from __future__ import annotations

import http
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from yarl import URL

from .. import errors
from .._gotext import go_quote
from ..cid import CID
from ..verify._ipns import LIBP2P_KEY, InvalidIpnsName, IpnsName
from ._go_cid import gateway_cid, gateway_ipns_name
from ._target import request_host

if TYPE_CHECKING:  # pragma: no cover
    from ..registry._dnslink import DnsLinks

GATEWAY_HOST = "localhost"
"""The one host name served as a subdomain gateway (Kubo's default ``PublicGateways``)."""
_NAMESPACES = ("ipfs", "ipns", "p2p", "ipld")  # boxo's isSubdomainNamespace
_PATHS = ("ipfs", "ipns", "p2p")  # the namespaces Kubo's localhost entry serves
_PEER_NAMESPACES = ("ipns", "p2p")
MAX_LABEL = 63  # a DNS label's length limit (RFC 1034)
_HOST_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:[]<>\"")
"""What Go's ``url.Parse`` takes in a host name besides bytes past ASCII."""
_PATH_SAFE = "/$&+,:;=@"  # what Go's URL.EscapedPath leaves as it is besides letters, digits and -._~
_NOT_FOUND = "404 page not found\n"  # Go's http.NotFound
_READ_ONLY = ("GET", "HEAD", "OPTIONS")
ROOTED: web.RequestKey[str] = web.RequestKey("subdomain_root", str)
"""On a request answered for a subdomain ``/ipfs/`` origin: the content path at its root
(``/ipfs/{root}``), which ``Location`` and ``Content-Location`` are rewritten without."""
ISOLATED: web.RequestKey[str] = web.RequestKey("subdomain_host", str)
"""On every answer made here: the host it was made for (the gateway's CORS headers apply)."""


class LabelError(Exception):
    """A subdomain URL that cannot be made (Kubo's 400, its text)."""


@dataclass(frozen=True)
class Subdomain:
    """A ``Host`` of the form ``{root}.{ns}.{gateway}``."""

    gateway: str  # the gateway's host as sent, port included: "localhost:8080"
    ns: str
    root: str


def strip_port(host: str) -> str:
    """``host`` without its port, as Go's ``net.SplitHostPort`` splits it (as it is when it
    does not split: no port, or too many colons)."""
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 and host[end + 1:].startswith(":") else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_gateway_host(host: str) -> bool:
    """Whether ``host`` (port or not) names the subdomain gateway itself: ``localhost``,
    compared as sent (Kubo's map lookup: ``LOCALHOST`` is another host)."""
    return host == GATEWAY_HOST or strip_port(host) == GATEWAY_HOST


def subdomain_of(host: str) -> Subdomain | None:
    """The parts of a subdomain gateway ``Host`` (boxo's ``knownSubdomainDetails``): the
    shortest gateway suffix with a namespace label before it and at least one label before
    that; None for any other host. Linear in the host's length: each suffix is tested without
    being joined (``_gateway_suffix``; joining each was quadratic, 2 s of the event loop for a
    Host of 20,000 labels)."""
    labels = host.split(".")
    colons = 0  # in the suffix labels[i:]
    for i in range(len(labels) - 1, 1, -1):
        colons += labels[i].count(":")
        if labels[i - 1] in _NAMESPACES and _gateway_suffix(labels[i], colons, i == len(labels) - 1):
            return Subdomain(".".join(labels[i:]), labels[i - 1], ".".join(labels[:i - 1]))
    return None


def _gateway_suffix(first: str, colons: int, alone: bool) -> bool:
    """``is_gateway_host`` of a host suffix from its first label, its count of ``:`` and
    whether that label is all of it: ``localhost`` alone, or ``localhost:PORT`` with no other
    colon, or ``[localhost]:...`` (what ``strip_port`` reduces to ``localhost``)."""
    return ((alone and first == GATEWAY_HOST) or first.startswith(f"[{GATEWAY_HOST}]:")
            or (colons == 1 and first.startswith(f"{GATEWAY_HOST}:")))


def under_gateway_paths(path: str) -> bool:
    """Whether the decoded ``path`` is one the gateway serves (``/ipfs``, ``/ipfs/...``, ...)."""
    return any(path == f"/{ns}" or path.startswith(f"/{ns}/") for ns in _PATHS)


def inline_dnslink(fqdn: str) -> str:
    """``my.v-long.example.com`` as one DNS label, ``my-v--long-example-com`` (the spec's
    inlining); ``LabelError`` past 63 characters."""
    label = fqdn.replace("-", "--").replace(".", "-")
    if len(label) > MAX_LABEL:
        raise LabelError(f"inlined DNSLink incompatible with DNS label length limit of 63: {go_quote(label)}")
    return label


def uninline_dnslink(label: str) -> str:
    """The domain an inlined DNSLink label names: ``--`` is ``-``, ``-`` is ``.``."""
    return ".".join(part.replace("\0", "-") for part in label.replace("--", "\0").split("-"))


def dns_label(cid: CID, text: str) -> str:
    """``text`` (a CID's text) when it fits in a DNS label, else the CIDv1 in base36;
    ``LabelError`` when that does not fit either (boxo's ``toDNSLabel``)."""
    if len(text) <= MAX_LABEL:
        return text
    short = CID.build(cid.codec, cid.multihash).encode("base36")
    if len(short) <= MAX_LABEL:
        return short
    raise LabelError(f"CID incompatible with DNS label length limit of 63: {short}")


def _parse_cid(text: str) -> CID | None:
    try:
        return gateway_cid(text) if text and text == text.strip() else None
    except errors.InvalidCID:
        return None


def has_dnslink(links: "DnsLinks", name: str) -> bool:
    """Whether ``name`` (port stripped) is a domain, not an IP literal or a peer ID, with a
    usable DNSLink (boxo's ``hasDNSLinkRecord``)."""
    from ._dnslink_host import hosted_domain

    domain = hosted_domain(name)  # None for an IP literal, ``localhost`` (never looked up) or no domain
    if domain is None:
        return False
    try:
        IpnsName.parse(domain)
        return False
    except InvalidIpnsName:
        pass
    try:
        return links.has(domain)
    except errors.AutocodecError:
        return False


def canonical_root(ns: str, root: str, links: "DnsLinks", https: bool) -> str | None:
    """The label ``/{ns}/{root}`` has on a subdomain gateway (boxo's ``toSubdomainURL``): a
    CID as CIDv1 in base32 (``/ipns/``, ``/p2p/``: a ``libp2p-key`` in base36, peer IDs
    first made CIDs), shortened to base36 past 63 characters; an inlined DNSLink label
    un-inlined when the domain has a DNSLink, a DNSLink domain inlined over HTTPS; None
    where there is no subdomain for it (an ``/ipfs/`` root that is no CID, an empty root)."""
    if ns in _PEER_NAMESPACES:
        try:
            root = str(gateway_ipns_name(root).cid()) if "/" not in root else root
        except InvalidIpnsName:
            pass
    cid = _parse_cid(root)
    if cid is not None:
        peer = ns in _PEER_NAMESPACES
        v1 = CID.build(LIBP2P_KEY if peer else cid.codec, cid.multihash)
        return dns_label(v1, v1.encode("base36" if peer else "base32"))
    if ns == "ipns" and "." not in root and "-" in root:
        domain = uninline_dnslink(root)
        if has_dnslink(links, domain):
            root = domain
    if https and ns == "ipns" and "." in root:
        if has_dnslink(links, root):
            root = inline_dnslink(root)
    elif ns == "ipfs":
        return None
    return root or None


def subdomain_url(gateway: str, path: str, raw_query: str, links: "DnsLinks", https: bool) -> str | None:
    """The subdomain URL of the decoded content ``path`` (``/{ns}/{root}[/rest]``) on
    ``gateway`` (the ``Host`` as sent), the query kept as sent; None where there is none;
    ``LabelError`` where Kubo's is an error."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[1] not in _NAMESPACES:
        return None
    ns, root = parts[1], parts[2]
    label = canonical_root(ns, root, links, https)
    if label is None:
        return None
    host = f"{label}.{ns}.{gateway}"
    _check_host(f"http://{host}/", host)
    rest = parts[3] if len(parts) == 4 else ""
    escaped_host = urllib.parse.quote(host, safe="".join(_HOST_SAFE), errors="surrogateescape")
    return (f"{'https' if https else 'http'}://{escaped_host}/"
            + urllib.parse.quote(rest, safe=_PATH_SAFE, errors="surrogateescape")
            + (f"?{raw_query}" if raw_query else ""))


def _check_host(url: str, host: str) -> None:
    """Go's ``url.Parse`` refusal of a host (its text, its order, Go 1.26's ``parseHost``): a
    ``[`` past the host's start (``{cid}.ipfs.[localhost]:8080``: no IP literal), a port that is
    not digits (``localhost:abc``), then a character no host takes."""
    if host.rfind("[") > 0:
        raise LabelError(f"parse {go_quote(url)}: invalid IP-literal")
    colon = host.rfind(":")
    port = host[colon + 1:]
    if not host.startswith("[") and colon >= 0 and not (port.isascii() and (port.isdigit() or not port)):
        raise LabelError(f"parse {go_quote(url)}: invalid port {go_quote(host[colon:])} after host")
    for char in host:
        if char == "%":
            raise LabelError(f"parse {go_quote(url)}: invalid URL escape {go_quote(host[host.index(char):][:3])}")
        if char < "\x80" and char not in _HOST_SAFE:
            raise LabelError(f"parse {go_quote(url)}: invalid character {go_quote(char)} in host name")


_GO_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def moved(request: web.Request, location: str) -> web.Response:
    """A 301 to ``location`` as Go's ``http.Redirect`` writes it (``go_redirect``)."""
    return go_redirect(request, location, 301)


def go_redirect(request: web.Request, location: str, status: int,
                headers: dict[str, str] | None = None, content_type: str | None = None) -> web.Response:
    """A redirect (``status`` 3xx) to ``location`` as Go's ``http.Redirect`` writes it: the
    header with each non-ASCII byte hex-escaped, a short HTML body naming the status and the
    location on GET; on HEAD its type and no ``Content-Length`` (Go's server sends none for a
    HEAD whose handler wrote no body), on another method neither. ``headers`` are added. With
    ``content_type`` (a type the handler set before redirecting), that type and no body at all,
    as Go writes none then (an empty GET body, ``Content-Length: 0``; none on HEAD)."""
    header = "".join(c if c.isascii() else "".join(f"%{b:02x}" for b in c.encode("utf-8", "surrogateescape"))
                     for c in location)
    headers = {**(headers or {}), "Location": header}
    if content_type is not None:
        return web.Response(status=status, headers={**headers, "Content-Type": content_type},
                            body=b"" if request.method == "GET" else None)
    if request.method == "GET":
        phrase = http.HTTPStatus(status).phrase
        return web.Response(status=status, text=f'<a href="{location.translate(_GO_HTML)}">{phrase}</a>.\n\n',
                            content_type="text/html", headers=headers)
    if request.method == "HEAD":
        return web.Response(status=status, content_type="text/html", charset="utf-8", headers=headers)
    return web.Response(status=status, headers=headers)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff", **(headers or {})})


def _https(request: web.Request) -> bool:
    return request.headers.get("X-Forwarded-Proto") == "https"


def _decoded_path(request: web.Request) -> str:
    """The request's path decoded to bytes as Go's server decodes it for Kubo (bytes that
    are not UTF-8 kept as surrogate escapes)."""
    return urllib.parse.unquote(request.raw_path.partition("?")[0], errors="surrogateescape")


@web.middleware
async def subdomain_gateway(request: web.Request,
                            handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Route a request by its ``Host`` (see the module docstring)."""
    host = request_host(request)
    sub = subdomain_of(host)
    if sub is not None:
        request[ISOLATED] = host
        return await _serve_subdomain(request, sub)
    if is_gateway_host(host) and under_gateway_paths(_decoded_path(request)):
        request[ISOLATED] = host
        return await _redirect_path(request, handler, host)
    if under_gateway_paths(_decoded_path(request)):
        early = await _before_handlers(request)
        return early or uri_redirect(request) or await handler(request)
    if _unrouted(request) and (redirect := uri_redirect(request)) is not None:
        return redirect  # Kubo's gateway answers every path, so ``/?uri=ipfs://...`` too
    return await handler(request)


def _unrouted(request: web.Request) -> bool:
    """Whether no route of this server serves the request's path (a 404, whatever the method)."""
    return isinstance(request.match_info.http_exception, web.HTTPNotFound)


_URI_HOST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:[]<>\"%")


def uri_redirect(request: web.Request) -> web.Response | None:
    """Kubo's protocol-handler redirect (boxo's ``handleProtocolHandlerRedirect``): a request
    whose first ``uri`` query value is non-empty is a 301 from ``ipfs://{root}/{path}`` (or
    ``ipns://``) to ``/ipfs/{root}/{path}``, its query kept, the fragment dropped, the path
    joined and cleaned as Go's ``path.Join``; a 400 for a value Go's ``url.Parse`` refuses or of
    another scheme; None without one."""
    from ._paths import _PATH_SAFE, _VALID_ENCODED
    from ._redirects import _go_clean, _go_query, _scheme, location

    uri = next((value for key, value in _go_query(request.raw_path.partition("?")[2]) if key == "uri"), "")
    if not uri:
        return None
    head, _, fragment = uri.partition("#")
    scheme = _scheme(head).lower()
    rest = head[len(scheme) + 1:] if scheme else head
    rest, _, query = rest.partition("?")
    host, path = "", rest
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        path = slash + path
    if (_BAD_ESCAPE.search(host + path + fragment) or any(c < " " or c == "\x7f" for c in uri) or head.startswith(":")
            or not all(c in _URI_HOST or not c.isascii() for c in host)
            or any(int(m.group(1), 16) < 0x80 and m.group(1) != "25" for m in _HOST_ESCAPE.finditer(host))):
        return _plain(400, "failed to parse uri query parameter\n")
    if scheme not in ("ipfs", "ipns"):
        return _plain(400, "uri query parameter scheme must be ipfs or ipns\n")
    if not rest.startswith("/") and rest and not host:  # an opaque URI (ipfs:CID) names no path
        path = ""
    if not all(c in _VALID_ENCODED for c in path):
        path = urllib.parse.quote(urllib.parse.unquote_to_bytes(path), safe=_PATH_SAFE)
    joined = _go_clean("/" + "/".join(part for part in (scheme, host, path + (f"?{query}" if query else "")) if part))
    return go_redirect(request, location(joined, ""), 301)


async def _before_handlers(request: web.Request) -> web.Response | None:
    """What Go's server answers before Kubo's handlers: a 400 for a bad escape, a 307 to the
    clean path; None for a clean path."""
    from ._gateway_request import unclean_path
    from ._gateway_error import GatewayError

    try:
        return unclean_path(request)
    except GatewayError as exc:
        return _plain(exc.status, exc.text + "\n")


async def _redirect_path(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                         host: str) -> web.StreamResponse:
    """A content path on the bare gateway host: a 301 to its subdomain, else the path gateway."""
    from ._app import RUNTIME, _run

    early = await _before_handlers(request) or uri_redirect(request)  # Kubo answers ?uri= first
    if early is not None:
        return early
    links = request.app[RUNTIME].pins.names.dnslinks
    query = request.raw_path.partition("?")[2]
    try:
        url = await _run(request, subdomain_url, host, _decoded_path(request), query, links, _https(request))
    except LabelError as exc:
        return _plain(400, f"{exc}\n")
    return moved(request, url) if url is not None else await handler(request)


async def _serve_subdomain(request: web.Request, sub: Subdomain) -> web.StreamResponse:
    """A request on a content origin: a redirect to its canonical label, or the content."""
    from ._app import RUNTIME, _run

    early = await _before_handlers(request)
    if early is not None:
        return early
    if sub.ns not in _PATHS:
        return _plain(404, _NOT_FOUND)
    links = request.app[RUNTIME].pins.names.dnslinks
    path, query, https = _decoded_path(request), request.raw_path.partition("?")[2], _https(request)
    prefix = f"/{sub.ns}/{sub.root}"
    cid = _parse_cid(sub.root)
    try:
        if cid is not None:
            label = dns_label(cid, sub.root)
            if not request_host(request).startswith(label) or (sub.ns in _PEER_NAMESPACES and cid.codec != LIBP2P_KEY):
                url = await _run(request, subdomain_url, sub.gateway, f"/{sub.ns}/{label}{path}", query, links, https)
                if url is not None:
                    return moved(request, url)
        elif sub.ns == "ipns" and "." not in sub.root and "-" in sub.root:
            domain = uninline_dnslink(sub.root)
            if await _run(request, has_dnslink, links, domain) or not await _run(request, has_dnslink, links,
                                                                                 sub.root):
                prefix = f"/ipns/{domain}"
    except LabelError as exc:
        return _plain(400, f"{exc}\n")
    if (redirect := uri_redirect(request)) is not None:
        return redirect
    if (unclean := unclean_content_path(request, prefix)) is not None:
        return unclean
    if sub.ns == "p2p":  # Kubo serves no /p2p/ content on its gateway port
        return _plain(404, _NOT_FOUND)
    if request.method == "OPTIONS":
        return web.Response(status=200)
    if request.method not in ("GET", "HEAD"):
        return read_only(request)
    return await _content(request, prefix)


def read_only(request: web.Request) -> web.Response:
    """boxo's 405 for a method the gateway does not serve (``Allow`` once per method, as Kubo
    writes it). Kubo answers ``CONNECT`` before its gateway with a bare 200 and no tunnel; here
    it gets this 405 too (docs/gateway.md)."""
    response = _plain(405, f"Method {request.method} not allowed: read only access\n")
    for method in _READ_ONLY:
        response.headers.add("Allow", method)
    return response


def unclean_content_path(request: web.Request, prefix: str) -> web.Response | None:
    """Go's 307 to the clean path when ``prefix`` and the request's (clean) path make an unclean
    one, None otherwise: Kubo's hostname handler hands the path it rewrote to a ``ServeMux`` of
    its own, which cleans it as the outer one cleaned the request's. So a root that is empty or
    ``.`` (``.ipns.localhost``, ``..ipfs.localhost``, ``-.ipns.localhost``: ``-`` un-inlined is
    ``.``) is a 307 to ``/ipns/`` (``/ipfs/``) on the same host, not a name looked up. That mux
    runs inside Kubo's CORS wrapper, so the 307 carries the gateway's CORS headers. The path it
    rewrote is the decoded one (boxo sets ``URL.Path``), which Go escapes afresh for that mux, so
    an escaped slash or dot (``/%2Fa.txt``, ``/%2e%2e``) is a real one there: a 307 to the clean
    path (Kubo's answer; the path gateway cleans them itself, with no redirect). A path cleaned
    to the bare namespace is sent on to ``/ipfs/`` (``/ipns/``), that mux's pattern. The query is
    kept as sent (``?x=%2e%2e``, not ``?x=..``). Used by a DNSLink host too (``_dnslink_host``)."""
    from ._gateway_request import unclean_path
    from ._paths import _PATH_SAFE

    raw, sep, query = request.raw_path.partition("?")
    rewritten = prefix + urllib.parse.quote(_decoded_path(request), safe=_PATH_SAFE, errors="surrogateescape")
    target = URL(rewritten + sep + query, encoded=True)  # the query as sent (yarl would decode ``%2e`` to ``.``)
    response = unclean_path(request.clone(rel_url=target))  # after Kubo's CORS wrapper: its headers
    if response is not None and response.headers.get("Location", "").partition("?")[0] in ("/ipfs", "/ipns"):
        location = response.headers["Location"]
        return go_redirect(request, location.replace("?", "/?", 1) if "?" in location else location + "/", 307)
    return response


async def _content(request: web.Request, prefix: str) -> web.StreamResponse:
    """``prefix`` (``/ipfs/{root}``, ``/ipns/{name}``) followed by the request's path, answered
    by the path gateway as at this origin's root."""
    from ._dnslink_host import HOSTED
    from ._bao import ipfs_blob
    from ._gateway_view import carry_view
    from ._ipns_route import ipns

    rel_url = prefix + request.raw_path
    if prefix.startswith("/ipns/"):
        inner = request.clone(rel_url=rel_url)
        inner[HOSTED] = prefix[len("/ipns/"):]
        response = await ipns(inner)
        carry_view(inner, request)
        request[HOSTED] = inner[HOSTED]
        return response
    request[ROOTED] = prefix
    inner = request.clone(rel_url=rel_url)
    response = await ipfs_blob(inner)  # a held BLAKE3 blob at the origin's root, else the gateway
    carry_view(inner, request)
    return response


def origin_path(request: web.Request, path: str) -> str:
    """``path`` (a path the gateway wrote, ``/ipfs/{root}/...``) as seen from the origin the
    request came to: without its root on a subdomain ``/ipfs/`` origin."""
    root = request.get(ROOTED)
    if root is not None and (path == root or path.startswith((root + "/", root + "?"))):
        return path[len(root):] or "/"
    return path


def bare_origin(request: web.Request) -> str | None:
    """``http://localhost[:port]`` for a request made to a content origin (where the
    explorer lives), None for any other request."""
    sub = subdomain_of(request.get(ISOLATED, ""))
    return None if sub is None else f"{'https' if _https(request) else 'http'}://{sub.gateway}"


__all__ = ["GATEWAY_HOST", "ISOLATED", "ROOTED", "LabelError", "Subdomain", "bare_origin", "canonical_root",
           "dns_label", "go_redirect", "inline_dnslink", "is_gateway_host", "moved", "origin_path", "read_only", "strip_port", "subdomain_gateway",
           "subdomain_of", "subdomain_url", "uninline_dnslink", "under_gateway_paths", "unclean_content_path",
           "uri_redirect"]
