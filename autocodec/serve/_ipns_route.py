"""The gateway's ``GET|HEAD /ipns/{name}[/path]`` route: an IPNS name's record as a trustless
gateway serves it, or the content a name (an IPNS name the home keeps a record of, or a domain's
DNSLink) leads to, answered by the ``/ipfs/`` route under the name (Kubo v0.43.1's statuses,
words and headers).

Its one job: reading the name, following it through the home's records and DNSLinks, and
handing the request on to ``_gateway.ipfs``; no IPNS record is fetched over the network.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import TYPE_CHECKING

from aiohttp import web

from .. import errors
from .._gotext import go_escape_ascii, go_quote
from ..dag import parse_path
from ..registry._dnslink import DEFAULT_TTL_S, DnsLinkAmbiguous
from ..registry._ipns import NameLoop
from ..verify._ipns import InvalidIpnsName, IpnsName, VerifiedRecord
from ._dns_name import uri_domain
from ._dnslink_host import HOSTED
from ._error_page import error_response, plain_response
from ._formats import IPNS_RECORD, _content_location, negotiate
from ._gateway import ipfs
from ._gateway_headers import _disposition
from ._gateway_locate import _stored
from ._gateway_request import BEFORE_HANDLERS, unclean_path, only_if_cached, query_filename, refuse_service_worker
from ._gateway_view import _CONTENT_LOCATION, _IPNS_VIEW, _RESOLVED_AT, carry_view
from ._gateway_error import GatewayError
from ._go_cid import gateway_cid, gateway_ipns_name, gateway_name
from ._paths import _PATH_SAFE, _clean, content_path, content_uri, shown
from ._ranges import not_modified
from ._subdomain import go_redirect
from ._xxhash import go_base32, xxh64

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime
    from ..registry._ipns import IpnsNames


def request_target(request: web.Request, path: str) -> str:
    """The request target of ``path`` (decoded, surrogate escapes for bytes that are no UTF-8)
    with ``request``'s query kept as sent: where a cleaned content path leads, asked as ``request`` asked."""
    query = request.raw_path.partition("?")[2]
    return urllib.parse.quote(path, safe=_PATH_SAFE, errors="surrogateescape") + ("?" + query if query else "")


def _outside_ipns(raw: str) -> str | None:
    """Where ``/ipns/{raw}`` (decoded) leads once cleaned, as boxo's ``path.NewPath`` cleans it
    before reading the namespace (escaped dots, ``%2e%2e``, are dots there): None when it is
    clean, the cleaned path when it differs and names ``/ipfs/`` or ``/ipns/`` content (Kubo
    reads the name, or serves the CID, from that), else ``GatewayError`` 400 in Kubo's words (no
    name left, or a namespace that is neither). It was a 500 (a DNSLink lookup of ``..``)."""
    asked = "/ipns/" + raw
    cleaned = _clean(asked)
    parts = cleaned.strip("/").split("/")
    if parts[0] == "ipns" and len(parts) > 1 and parts[1]:
        return None if cleaned == asked else cleaned
    if len(parts) < 2 or not parts[1]:
        raise GatewayError(400, f"invalid path {go_quote(asked)}: path does not have enough components")
    if parts[0] != "ipfs":
        raise GatewayError(400, f"invalid path {go_quote(asked)}: unknown namespace: {go_quote(parts[0])}")
    return cleaned


async def ipns(request: web.Request) -> web.StreamResponse:
    """``/ipns/{name}[/path]`` for the names this home keeps a record of that still verifies
    (``autocodec name publish``, ``name resolve``, pins that follow names) and for domains with a
    DNSLink (looked up through ``[dns.resolvers]``): an IPNS name's record itself
    (``?format=ipns-record`` or its Accept type), as a trustless gateway serves it, or the
    content the name leads to, answered as ``/ipfs/`` answers it but cached for the smallest
    TTL on the way and named ``ipns://`` (Kubo's headers). No IPNS record is fetched over the
    network: a name whose record the home does not hold is 501; offline (``serve --offline``)
    it is Kubo 0.43.1's offline 500 (``_offline_miss``), and so is a domain, no DNS being asked."""
    from ._app import RUNTIME, _run, public_text

    raw = content_path(request, "/ipns/")
    if not raw.strip("/"):
        return error_response(request, 400, 'invalid path "/ipns/": path does not have enough components')
    name_text, _, rest = raw.partition("/")
    name: IpnsName | None = None
    hosted = HOSTED in request  # a DNSLink site by Host (``_dnslink_host``): its paths are the site's
    try:
        unclean = None if hosted else unclean_path(request)
        if unclean is None and not hosted:
            refuse_service_worker(request)  # before the name is read, as in Kubo
            if (elsewhere := _outside_ipns(raw)) is not None:  # ``%2e%2e`` segments: the path they lead to
                route = ipfs if elsewhere.startswith("/ipfs/") else ipns
                inner = request.clone(rel_url=request_target(request, elsewhere))
                try:
                    return await route(inner)
                finally:
                    carry_view(inner, request)  # its Ipfs-Uri and Content-Location, on a body sent for ``request``
        media, params = negotiate(request)
        name = _ipns_name(name_text)
    except GatewayError as exc:
        if BEFORE_HANDLERS in request:  # Go's server answers it, as text/plain
            return plain_response(exc.status, exc.text)
        return error_response(request, exc.status, exc.text)
    except errors.AutocodecError as exc:
        return error_response(request, 400, shown(public_text(exc.message, request.app[RUNTIME])))
    if unclean is not None:
        return unclean
    if not hosted and (canonical := _canonical_name(request, name_text, raw)) is not None:
        return canonical
    raw_path, _, query = request.raw_path.partition("?")
    authority = str(name) if name is not None else uri_domain(name_text)  # boxo: no header for other names
    uri = None if authority is None else content_uri(f"ipns://{authority}", raw_path)
    headers = {"Ipfs-Uri": uri} if uri is not None else {}
    names = request.app[RUNTIME].pins.names
    if media == IPNS_RECORD and (rest.strip("/") or name is None):
        return await _no_record_here(request, names, raw, params, headers)
    if name is not None and only_if_cached(request):
        cached = await _name_cached(request, names, name, raw, media, headers)
        if cached is not None:
            return cached
    if name is not None and media == IPNS_RECORD:
        if (location := _content_location(request, media, params)) is not None:
            request[_CONTENT_LOCATION] = location
        checked = await _run(request, names.verified, name)
        if checked is None and request.app[RUNTIME].offline:  # Kubo offline: its routing's words
            return error_response(request, 500, "routing: not found", headers)
        if checked is None:
            return error_response(request, 404, f"this gateway's home holds no valid IPNS record for {name}", headers)
        return _record_response(request, name, checked.record.raw, cache_seconds(checked), headers)
    if media is not None and (location := _content_location(request, media, params)) is not None:
        request[_CONTENT_LOCATION] = location  # on an error of the name's resolution too, as boxo sets it first
    try:
        led = await _run(request, _follow_name, names, name_text)
    except _Unresolved as failed:  # Kubo's status and words for a name its namesys cannot resolve
        return error_response(request, 500, failed.kubo_text(_clean("/ipns/" + raw), request.app[RUNTIME]), headers)
    except (errors.FetchError, errors.InvalidInput) as exc:
        return error_response(request, 502 if isinstance(exc, errors.FetchError) else 400,
                              shown(public_text(exc.message, request.app[RUNTIME])), headers)
    if isinstance(led, str) and request.app[RUNTIME].offline:
        return error_response(request, 500, _offline_miss(raw, request.app[RUNTIME]), headers)
    if isinstance(led, str):
        return error_response(request, 501, f"this gateway's home holds no valid IPNS record for {led}; it resolves "
                                            "no names over the network", headers)
    value, ttl_s = led
    external = "/ipns/" + raw_path[len("/ipns/"):].partition("/")[0]  # the name, as sent
    # the trailing slash that counts is the request's (boxo's): a value's own is not kept, so
    # /ipns/D over a folder ".../dir/" is the 301 to /ipns/D/ its relative links need
    internal = urllib.parse.quote(value.rstrip("/"), safe=_PATH_SAFE, errors="surrogateescape")
    request[_IPNS_VIEW] = (internal, "" if hosted else external, ttl_s, uri or "")
    inner = request.clone(rel_url=internal + raw_path[len(external):] + (f"?{query}" if query else ""))
    inner[_RESOLVED_AT] = int(time.time())
    response = await ipfs(inner)
    if _CONTENT_LOCATION in inner:
        request[_CONTENT_LOCATION] = inner[_CONTENT_LOCATION]
    return response


async def _no_record_here(request: web.Request, names: IpnsNames, raw: str,
                          params: dict[str, str], headers: dict[str, str]) -> web.Response:
    """A record asked for where there is none (under a subpath, or of a name that is no IPNS
    name: a domain, a CID of another codec, no CID at all): Kubo's 400 in its words
    (``_no_record_text``), with ``Content-Location`` when Accept asked for it.
    ``only-if-cached`` comes first, as boxo's ``IsCached``: the whole path must resolve from the
    store (else a 412; on ``HEAD`` a bare 200 or 412)."""
    from ._app import RUNTIME, _run

    if only_if_cached(request):
        held = await _run(request, _name_path_stored, request.app[RUNTIME], names, raw)
        if request.method == "HEAD":
            return web.Response(status=200 if held else 412, headers={"Ipfs-Uri": headers["Ipfs-Uri"]}
                                if "Ipfs-Uri" in headers else None)
        if not held:  # as Go's http.Error, in Kubo too
            return plain_response(412, f"{go_quote(shown(_clean('/ipns/' + raw)))} not in local datastore", headers)
    if (location := _content_location(request, IPNS_RECORD, params)) is not None:
        headers = {**headers, "Content-Location": location}
    return error_response(request, 400, _no_record_text(raw), headers)


def _offline_miss(raw: str, runtime: "Runtime") -> str:
    """Kubo 0.43.1's words (``ipfs daemon --offline``) for ``/ipns/{raw}`` when a name on the
    way has no record here: its namesys finds none and says ``could not resolve name``."""
    return _Unresolved("could not resolve name").kubo_text(_clean("/ipns/" + raw), runtime)


def _no_record_text(raw: str) -> str:
    """Why ``/ipns/{raw}`` has no record, in boxo's order and words: a subpath first, then a
    name that is no CID (``invalid cid: WHY``, WHY this runtime's reason), then a CID of a
    codec other than ``libp2p-key`` (boxo's ``ipns.NameFromCid``, its double space kept)."""
    from ..codes import codec_name

    first, _, rest = raw.partition("/")
    if rest.strip("/"):
        return "cannot find ipns key for subpath"
    try:
        cid = gateway_cid(first)
    except errors.InvalidCID as exc:
        return f"invalid cid: {shown(exc.message)}"
    codec = codec_name(cid.codec)
    if codec == "libp2p-key":  # a key this runtime cannot read: its own reason
        try:
            IpnsName.parse(first)
        except InvalidIpnsName as exc:
            return shown(exc.message)
    return f'CID codec "{codec}" is not allowed for IPNS Names, use  "libp2p-key" instead'


def _name_path_stored(runtime: "Runtime", names: IpnsNames, raw: str) -> bool:
    """Whether ``/ipns/{raw}`` resolves from this home alone: the names on the way kept (or
    domains with a DNSLink) and every block of the path held (``_stored``)."""
    first, _, rest = raw.partition("/")
    try:
        led = _follow_name(names, first)
        return not isinstance(led, str) and _stored(runtime, parse_path(f"{led[0].rstrip('/')}/{rest}"))
    except errors.AutocodecError:
        return False


async def _name_cached(request: web.Request, names: IpnsNames, name: IpnsName, raw: str, media: str | None,
                       headers: dict[str, str]) -> web.Response | None:
    """``Cache-Control: only-if-cached`` under an IPNS name, as Kubo reads it: a name whose
    record the home does not keep is a 412 (``"PATH" not in local datastore``), bare on
    ``HEAD``, as is the ``HEAD`` of a kept record (a 200); None to answer as usual."""
    from ._app import _run

    held = await _run(request, names.verified, name) is not None
    if request.method == "HEAD" and (not held or media == IPNS_RECORD):
        return web.Response(status=200 if held else 412, headers={"Ipfs-Uri": headers["Ipfs-Uri"]}
                            if "Ipfs-Uri" in headers else None)
    if held:
        return None
    return plain_response(412, f"{go_quote(shown(_clean('/ipns/' + raw)))} not in local datastore", headers)


def cache_seconds(checked: VerifiedRecord, now_ns: int | None = None) -> int:
    """How long an answer under a kept record may be cached, as Kubo counts it: the record's
    TTL, but no longer than the record stays valid (its EOL from now), in whole seconds."""
    left = checked.validity_ns - (time.time_ns() if now_ns is None else now_ns)
    return max(0, min(checked.ttl_ns, left) // 1_000_000_000)


def _record_response(request: web.Request, name: IpnsName, raw: bytes, ttl_s: int,
                     headers: dict[str, str]) -> web.Response:
    """A kept record, as Kubo's gateway (boxo) serves it: ``ETag`` the XXH64 of its bytes in
    Go's base 32, unquoted (so only ``If-None-Match: *`` matches it, as there: Go reads no
    unquoted tag), a 304 with that ``ETag`` alone; else the record, cached for its TTL,
    an attachment named by ``?filename=`` when not empty, else ``{name}.ipns-record``."""
    headers = {**headers, "Etag": go_base32(xxh64(raw))}
    if not_modified(request, headers["Etag"]):
        return web.Response(status=304, headers=headers)
    filename = query_filename(request) or f"{name}.ipns-record"
    headers.update({"Content-Disposition": _disposition("attachment", filename),
                    "Cache-Control": f"public, max-age={ttl_s}", "X-Content-Type-Options": "nosniff"})
    return web.Response(body=raw, headers=headers, content_type=IPNS_RECORD)


def _canonical_name(request: web.Request, name_text: str, raw: str) -> web.Response | None:
    """Kubo's 302 for an IPNS name spelled other than its base36 CIDv1 (a ``12D3Koo``/``Qm``
    peer ID, another multibase; boxo's ``handleIpnsB58mhToCidRedirection``), asked before its
    record is looked for: to the decoded path with the name in base36, cleaned and escaped as
    Go writes a URL's path (a trailing slash kept), the query as sent. None for a name already
    canonical or no IPNS name (a domain). Not on a DNSLink host, whose paths are the site's."""
    try:
        name = str(gateway_ipns_name(name_text))
    except InvalidIpnsName:
        return None
    if name == name_text:
        return None
    rest = raw[len(name_text):]  # "" or "/..." (decoded, as Go's r.URL.Path)
    path = urllib.parse.quote(_clean(f"/ipns/{name}{rest}"), safe=_PATH_SAFE, errors="surrogateescape")
    query = request.raw_path.partition("?")[2]
    return go_redirect(request, path + (f"?{query}" if query else ""), 302)


class _NotKept(Exception):
    """An IPNS name on the way whose record the home does not hold (serve fetches none)."""


_NO_TXT = "DNSLink lookup could not find a TXT record (https://docs.ipfs.tech/concepts/dnslink/)"
_TWO_PATHS = ("DNSLink lookup returned more than one IPFS content path; ask domain owner to remove duplicate "
              "TXT records")


class _Unresolved(errors.NotFound):
    """A name on the way that Kubo's namesys cannot resolve, ``message`` its words for why
    (boxo's ``ErrResolveRecursion`` for a loop, ``cannot resolve: "/ipns/NAME"`` for a name
    that is neither an IPNS name nor a domain)."""

    def reason(self, runtime: "Runtime") -> str:
        return self.message

    def kubo_text(self, asked: str, runtime: "Runtime") -> str:
        """Kubo 0.43.1's words, ``asked`` the content path requested (decoded, cleaned):
        ``failed to resolve ASKED: WHY``."""
        return f"failed to resolve {go_escape_ascii(asked)}: {self.reason(runtime)}"


class _LookupFailed(_Unresolved):
    """The DNSLink lookup of ``domain`` (as the path on the way spells it) failed with ``cause``
    (``NetworkOffline``: the server is offline and asked no DNS)."""

    def __init__(self, domain: str, cause: errors.DnsLinkError | errors.DnsError | errors.NetworkOffline) -> None:
        super().__init__(cause.message, hint=cause.hint)
        self.domain = domain
        self.cause = cause

    def reason(self, runtime: "Runtime") -> str:
        """``DNSLink lookup for "DOMAIN." failed: could not resolve name: WHY`` (DOMAIN's own
        trailing dot not doubled), WHY boxo's (no record naming content, or more than one), or
        for a DNS failure this server's reason; offline, boxo's no-record words, as Kubo 0.43.1
        says them when its resolver answers nothing."""
        from ._app import public_text

        if isinstance(self.cause, errors.DnsError):
            why = shown(public_text(self.cause.message, runtime))
        else:
            why = _TWO_PATHS if isinstance(self.cause, DnsLinkAmbiguous) else _NO_TXT
        fqdn = self.domain if self.domain.endswith(".") else self.domain + "."  # Go's dns.Fqdn
        return f"DNSLink lookup for {go_quote(fqdn)} failed: could not resolve name: {why}"  # bytes as \\xNN, as Go quotes them


def _ipns_name(text: str) -> IpnsName | None:
    """The IPNS name ``/ipns/{text}`` names, or None for a domain, and for a name that is
    neither, which the walk fails on as Kubo does (``_follow_name``) and which has no record
    (``_no_record_here``)."""
    try:
        parsed = gateway_name(text)
    except InvalidIpnsName:
        return None
    return parsed if isinstance(parsed, IpnsName) else None


def _follow_name(names: IpnsNames, first: str) -> tuple[str, int] | str:
    """The ``/ipfs/`` path ``/ipns/{first}`` leads to, through the home's valid records and
    domains' DNSLinks (``IpnsNames.walk``), and the smallest TTL on the way; or, as a plain
    string, the first IPNS name whose record the home does not hold."""

    def hop(name: str) -> tuple[str, int]:
        try:
            parsed = gateway_name(name)
        except InvalidIpnsName:  # boxo's words for a name neither IPNS nor a domain (miekg/dns)
            raise _Unresolved(f"cannot resolve: {go_quote('/ipns/' + name)}") from None
        if isinstance(parsed, str):
            try:
                link = names.dnslinks.lookup(parsed)
            except (errors.DnsLinkError, errors.DnsError, errors.NetworkOffline) as exc:
                raise _LookupFailed(name, exc) from None
            return link.value, link.ttl_s or DEFAULT_TTL_S
        checked = names.verified(parsed)
        if checked is None:
            raise _NotKept(name)
        return checked.value, cache_seconds(checked)

    try:
        path, ttl_s = names.walk(f"/ipns/{first}", hop)
    except _NotKept as missing:
        return str(missing.args[0])
    except NameLoop:
        raise _Unresolved("could not resolve name (recursion limit exceeded)") from None  # boxo's words
    if not path.startswith("/ipfs/"):
        raise errors.InvalidPath(f"/ipns/{first} leads to {shown(path)}, not to content (/ipfs/...)")
    return path, ttl_s
