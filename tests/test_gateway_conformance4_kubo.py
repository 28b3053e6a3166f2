"""The gateway's last known differences from Kubo v0.43.1, side by side on the same data.

The fixture is ``tests/_gateway_sides.py``'s ``sides`` (Kubo and ``autocodec serve`` over
the same trees, names and DNSLink zone; the session's ``gateway_sides``, built once for this
module and test_gateway_conformance2_kubo), with names whose records loop added to both (``looping``). Each case sends
one request to both gateways and compares what the specs name: the status, ``Ipfs-Uri``
(IPIP-0548), ``Content-Location``, the type and the text.

- ``Ipfs-Uri`` under ``/ipns/DOMAIN``: boxo names a DNSLink domain in its ASCII form (lower
  case, no trailing dot, Punycode) and sends no header for a name that is no domain;
- a record (``?format=ipns-record``) of what is no IPNS name: boxo's checks, in its order;
- a name whose records loop (itself, two names, a name leading to no name);
- Kubo's 406 and 400 for a format a block is not in, which carry headers of the answer refused:
  a difference kept here (docs/gateway.md);
- a method the gateway does not serve: boxo's 405; ``CONNECT``, Kubo's bare 200, a 405 here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests._gateway_compare import compare
from tests._gateway_http import CheckedReply
from tests import _gateway_sides
from tests._gateway_sides import WIKI, ConformanceSides

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

sides = _gateway_sides.sides  # Kubo's gateway and autocodec serve over the same content (tests/_gateway_sides.py)

RECORD = {"Accept": "application/vnd.ipfs.ipns-record"}
LOOPING = {"selfloop": "/ipns/{selfloop}", "ping": "/ipns/{pong}/x", "pong": "/ipns/{ping}",
           "tobad": "/ipns/bad..test", "totoolong": f"/ipns/{'a' * 64}.test"}


@pytest.fixture(scope="module")
def looping(sides: ConformanceSides) -> Iterator[ConformanceSides]:
    """``sides`` with the names of ``LOOPING`` published by Kubo (values not resolved) and kept
    by the home (``name resolve --gateway`` keeps a record even when its chain fails)."""
    from tests._cli import run_cli

    kubo, ids = sides.kubo, dict(sides.ids)
    for key in LOOPING:
        kubo.ipfs("key", "gen", "--type", "ed25519", key)  # type: ignore[attr-defined]
    listed = kubo.ipfs("key", "list", "-l").stdout.decode().split()  # type: ignore[attr-defined]
    ids |= {key: listed[listed.index(key) - 1] for key in LOOPING}
    for key, value in LOOPING.items():
        kubo.ipfs("name", "publish", "--allow-offline", "--resolve=false", "--key", key,  # type: ignore[attr-defined]
                  value.format(**ids))
        assert sides.home is not None
        run_cli(sides.home, "name", "resolve", ids[key], "--gateway", sides.kubo_url, check=False)
    yield ConformanceSides(sides.kubo_url, sides.ours_url, ids, sides.home, kubo)


def _same(kubo: CheckedReply, ours: CheckedReply, names: tuple[str, ...]) -> None:
    """The same status, ``names`` headers and body (an error's text included)."""
    assert not compare(kubo, ours, names), compare(kubo, ours, names)
    assert ours.body == kubo.body, (kubo.body, ours.body)


# bytes that are no UTF-8 in a domain: one U+FFFD per ill-formed sequence as Go's IDNA trie cuts
# it, Punycoded (a U+FFFD sent as UTF-8, a name ending inside a sequence: no header)
BYTES_NO_UTF8 = ["a%ffb.test/x", "a%ff.test/", "a%EF%BF%BDb.test/x", "a%ff%ffb.test/x", "a%c3b.test/x", "%ffb.test/",
                 "A%ffB.TEST./x", "a%ff-.test/x", "a%ed%a0%80b.test/x", "a%e0%80%80b.test/x", "a.test%c3/x",
                 "a.test%c3./x", "a%c3%a9%ffb.test/x", "a%f0%9f%98b.test/x", "x.a%e0b/x", "x.a%e0bc/x",
                 "a%ed%a0%80%ff.test/x", "a%f5%80%80%80b.test/", "a%c0%afb.test/"]

# /ipns/ roots that are no IPNS name, each as boxo writes it in Ipfs-Uri (or leaves it out)
URI_DOMAINS = [f"{WIKI.upper()}/root2/root3/root4/index.html", f"{WIKI}./root2/root3/root4/index.html",
               "nothere.test./x", "NoThere.Test/x", "%C5%BB%C3%93%C5%81%C4%86.example.test/wiki",
               "Stra%C3%9Fe.test/", "%EF%BD%81%EF%BD%82.test/", "%E2%85%AB.test/", "XN--KDA4B0KOI.test/",
               "a%E3%80%82b/", "examplemissingtld/", "localhost/", "en..example.test/wiki", ".a.test/",
               "a.test../", "exa_mple.test/", "-x.test/", "a-.test/", "ab--c.test/", "a--b.test/", "x%20y.test/",
               "xn--zz.test/", "a%E2%80%8Db.test/", "a%D7%90.test/", "%D7%90%D9%A1.test/", "127.0.0.1/",
               f"{'a' * 64}.test/", "bad..test/", "%ff/", "%ff%00/x", *BYTES_NO_UTF8]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("root", URI_DOMAINS)
def test_an_ipns_uri_names_a_domain_as_kubo_does(sides: ConformanceSides, root: str, method: str) -> None:
    """``Ipfs-Uri: ipns://DOMAIN`` with DOMAIN as Go's ``idna.Lookup`` writes it, or no header
    (it was the name as sent: upper case, a trailing dot, Unicode as mojibake, names no DNS
    holds); and a failed lookup of ``DOMAIN.`` names it with one dot (it said ``DOMAIN..``)."""
    kubo, ours = sides.both(f"/ipns/{root}", method=method)
    _same(kubo, ours, ("ipfs-uri", "content-type"))


# what is no IPNS name, asked for as a record: boxo's 400 (a subpath first, then go-cid's
# frame, then a CID of another codec), with Ipfs-Uri as above and Content-Location by Accept
NOT_NAMES = ["bad..test", f"{'a' * 64}.test", "bad..test/x", f"{WIKI}/root2", WIKI, "{plain}", "{site}",
             "{site}/root2", "Stra%C3%9Fe.test"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("by_accept", [False, True])
@pytest.mark.parametrize("root", NOT_NAMES)
def test_a_record_of_what_is_no_ipns_name_is_kubos_400(sides: ConformanceSides, root: str, by_accept: bool, method: str) -> None:
    """The words were this server's own (``not an IPNS name: ...``, ``X is a DNSLink domain``,
    also for a subpath and for a CID of another codec), without ``Content-Location`` for a name
    that is no domain; a name that is no CID says go-cid's frame, ``invalid cid: WHY``, WHY this
    runtime's reason (Kubo's is go-cid's)."""
    path = f"/ipns/{root}" + ("" if by_accept else "?format=ipns-record")
    kubo, ours = sides.both(path, RECORD if by_accept else None, method)
    names = ("content-type", "content-location", "ipfs-uri", "x-content-type-options")
    assert not compare(kubo, ours, names), compare(kubo, ours, names)
    assert kubo.status == 400
    if (kubo.body or b"").startswith(b"invalid cid: "):
        assert (ours.body or b"").startswith(b"invalid cid: cannot parse CID "), ours.body
    else:
        assert ours.body == kubo.body, (kubo.body, ours.body)


HOST = "{}.ipns.localhost:8080"
LOOP_REQUESTS = [("/ipns/{selfloop}/", None), ("/ipns/{selfloop}", None), ("/ipns/{ping}/a/b?x=1", None),
                 ("/ipns/{pong}/", None), ("/ipns/{selfloop}?format=raw", None), ("/ipns/{tobad}/", None),
                 ("/ipns/{totoolong}/x", None), ("/", "selfloop"), ("/x/y", "ping"), ("/", "tobad")]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("path", "host"), LOOP_REQUESTS)
def test_names_whose_records_loop_are_kubos_500(looping: ConformanceSides, path: str, host: str | None, method: str) -> None:
    """A record whose value is its own name, two names pointing at each other, a name leading to
    a name that is neither an IPNS name nor a domain: Kubo's 500 and words (``could not resolve
    name (recursion limit exceeded)``, ``cannot resolve: "/ipns/NAME"``), under ``/ipns/`` and
    on a subdomain origin (already Kubo's: c73c5b8's walk serves both namespaces)."""
    headers = {"Host": HOST.format(looping.ids[host])} if host else None
    kubo, ours = looping.both(path, headers, method)
    assert kubo.status == 500, (kubo.status, kubo.body)
    _same(kubo, ours, ("ipfs-uri", "content-type"))


# a format the block is not in: Kubo's 406 (dag-json/dag-cbor) and 400 (json/cbor of a dag-* block)
REFUSED = [("/ipfs/{site}?format=dag-json", None), ("/ipfs/{site}?format=dag-cbor", None),
           ("/ipfs/{plain}", {"Accept": "application/vnd.ipld.dag-json"}), ("/ipfs/{cbor}?format=dag-json", None),
           ("/ipfs/{cbor}?format=json", None), ("/ipfs/{hamt}?format=dag-cbor", None),
           ("/ipns/{name}?format=dag-cbor", None)]
KEPT_OUT = ("etag", "cache-control", "content-disposition")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("path", "headers"), REFUSED)
def test_a_refused_format_carries_none_of_the_refused_answers_headers(sides: ConformanceSides, path: str,
                                                                      headers: dict[str, str] | None,
                                                                      method: str) -> None:
    """Kubo's 406/400 carry the ETag, ``Cache-Control`` (immutable; under ``/ipns/`` the TTL) and
    ``Content-Disposition`` (``attachment`` for CBOR) of the answer it then refuses, set before
    the codec was checked; here an error carries none of them (docs/gateway.md). The rest is
    Kubo's: status, type, ``X-Ipfs-Roots``, ``Ipfs-Uri``, ``Content-Location``, ``nosniff``."""
    kubo, ours = sides.both(path, headers, method)
    assert kubo.status in (400, 406)
    names = ("content-type", "x-ipfs-roots", "ipfs-uri", "content-location", "x-content-type-options")
    assert not compare(kubo, ours, names), compare(kubo, ours, names)
    assert all(name in kubo.headers for name in KEPT_OUT), kubo.headers
    assert not any(name in ours.headers for name in KEPT_OUT), ours.headers


def test_the_ipfs_uri_of_a_domain_is_ascii() -> None:
    """``uri_domain`` on its own: the forms above and bytes that are no UTF-8 (kept as surrogate
    escapes; it was no header: the ``idna`` package refuses U+FFFD)."""
    from autocodec.serve._dns_name import uri_domain

    assert uri_domain("EXAMPLE.test.") == "example.test"
    assert uri_domain("\u017b\u00d3\u0141\u0106.example.net") == "xn--kda4b0koi.example.net"
    assert uri_domain("stra\u00dfe.test") == "xn--strae-oqa.test"  # non-transitional: not "strasse"
    assert uri_domain("\U0001f600.test") == "xn--e28h.test"
    assert uri_domain("a\udcffb.test") == uri_domain("a\udcc3b.test") == "xn--ab-gg4n.test"
    assert uri_domain("a\udced\udca0\udc80b.test") == "xn--ab-gg4n.test"  # one sequence, as Go cuts it
    assert uri_domain("a\udcff\udcffb.test") == "xn--ab-gg4na.test"
    for refused in ("localhost", "en..example.net", "a.test..", "exa_mple.test", "-x.test", "ab--c.test",
                    "xn--zz.test", "a\u200db.test", "a\u05d0.test", "a\ufffd.test", "a.test\udcc3", ""):
        assert uri_domain(refused) is None, refused


def _raw(base: str, method: str, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request as sent (any method, any target), read to the connection's end: the status,
    every header line in order (a repeated header kept) and the body."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        conn.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [(name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines)]
    return int(status_line.split()[1]), headers, body


def _kept(headers: list[tuple[str, str]], names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The ``names`` headers by name, each name's values in the order sent."""
    return sorted(((name, value) for name, value in headers if name in names), key=lambda pair: pair[0])


METHOD_HEADERS = ("allow", "content-type", "location", "x-content-type-options", "content-length")
# a method the gateway does not serve, under each namespace, and the namespaces without their slash
METHODS = [("PUT", "/ipfs/{plain}"), ("POST", "/ipfs/{plain}?format=car"), ("DELETE", "/ipfs/"),
           ("PATCH", f"/ipns/{WIKI}/root2"), ("POST", "/ipns/{name}/"), ("TRACE", "/ipfs/{tricky}/plain.txt"),
           ("PUT", "/ipfs"), ("POST", "/ipns?x=1"), ("OPTIONS", "/ipfs"), ("DELETE", "/ipns")]


@pytest.mark.parametrize(("method", "path"), METHODS)
def test_a_method_the_gateway_does_not_serve_is_boxos_405(sides: ConformanceSides, method: str, path: str) -> None:
    """boxo's 405 (``Method PUT not allowed: read only access``, ``Allow`` once per method), and
    ``/ipfs`` or ``/ipns`` Go's 307 to the slash for every method; here they were aiohttp's 405
    (``405: Method Not Allowed``, one ``Allow: GET,HEAD,OPTIONS``; ``GET,HEAD`` on ``/ipfs``)."""
    target = path.format(**sides.ids)
    kubo, ours = _raw(sides.kubo_url, method, target), _raw(sides.ours_url, method, target)
    assert kubo[0] in (307, 405), kubo
    assert (ours[0], _kept(ours[1], METHOD_HEADERS), ours[2]) == (kubo[0], _kept(kubo[1], METHOD_HEADERS), kubo[2])


@pytest.mark.parametrize("target", ["/ipfs/{plain}", "/ipns/{name}/", "/", "127.0.0.1:80"])
def test_connect_is_a_405_where_kubo_claims_a_tunnel(sides: ConformanceSides, target: str) -> None:
    """Kubo answers every ``CONNECT`` with a bare 200 (``corehttp``, before its gateway) and opens
    no tunnel, which a client takes for one (RFC 9110 9.3.6); kept out here: boxo's 405, as for
    any method it does not serve (it was a 404, or a 307 for an authority-form target)."""
    target = target.format(**sides.ids)
    kubo, ours = _raw(sides.kubo_url, "CONNECT", target), _raw(sides.ours_url, "CONNECT", target)
    assert (kubo[0], kubo[2]) == (200, b""), kubo
    assert (ours[0], ours[2]) == (405, b"Method CONNECT not allowed: read only access\n"), ours
    assert _kept(ours[1], ("allow",)) == [("allow", "GET"), ("allow", "HEAD"), ("allow", "OPTIONS")]


# CARs and TARs, whose length is known once written: small (one raw leaf, a small folder,
# a missing last segment) and past Go's 2048-byte buffer (a HAMT folder)
STREAMED = ["/ipfs/{plain}?format=car", "/ipfs/{plain}?format=tar", "/ipfs/{tricky}?format=car",
            "/ipfs/{tricky}/nope?format=car", "/ipfs/{plain}?format=car&dag-scope=block", "/ipfs/{hamt}?format=car",
            "/ipfs/{hamt}?format=tar", "/ipfs/{tricky}?format=tar"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", STREAMED)
def test_a_short_car_or_tar_has_its_length_as_in_kubo(sides: ConformanceSides, path: str, method: str) -> None:
    """Go's server buffers 2048 bytes before it chunks a body, so Kubo sends a shorter CAR or
    TAR (and its HEAD) with ``Content-Length``; here every CAR and TAR was chunked, a HEAD
    without either header."""
    target = path.format(**sides.ids)
    kubo, ours = _raw(sides.kubo_url, method, target), _raw(sides.ours_url, method, target)
    framing = ("content-length", "transfer-encoding")
    assert (ours[0], _kept(ours[1], framing)) == (kubo[0], _kept(kubo[1], framing))


# errors after the format was read from Accept: a type no answer is made in (under /ipfs/), and
# a name that does not resolve (a domain with no DNSLink, no domain at all) asked for in a format
ACCEPTED_ERRORS = [("/ipfs/{plain}", "application/vnd.ipld.foo"), ("/ipfs/{tricky}/nope", "application/json-seq"),
                   ("/ipns/nothere.test/x", "application/vnd.ipld.raw"), ("/ipns/nothere.test/x", "application/json"),
                   ("/ipns/nothere.test/x", "application/x-tar"), ("/ipns/nothere.test/x?format=raw", "application/x-tar"),
                   ("/ipns/nothere.test/x", "application/vnd.ipld.car; version=1; order=dfs"),
                   ("/ipns/nothere.test/x", "application/vnd.ipld.foo"), ("/ipns/bad..test/x", "application/vnd.ipld.car")]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("path", "accept"), ACCEPTED_ERRORS)
def test_an_error_after_the_accept_header_is_kubos(sides: ConformanceSides, path: str, accept: str, method: str) -> None:
    """Kubo's words for a type no answer is made in (``unsupported response format requested``;
    it was this server's longer text), and ``Content-Location`` (the format Accept chose, empty
    for a type boxo does not know) on the 500 of a name that does not resolve (it was missing)."""
    kubo, ours = sides.both(path, {"Accept": accept}, method)
    assert kubo.status in (400, 500), (kubo.status, kubo.body)
    _same(kubo, ours, ("content-location", "content-type", "ipfs-uri"))


# 400s whose words were this server's: entity-bytes as boxo and Go's strconv read it, and /ipfs/
# with no CID
WORDED_400S = [f"/ipfs/{{plain}}?format=car&entity-bytes={spec}" for spec in
               ("5:1", "abc", "1:x", "x:1", "-1:", "1", "-5:-10", "1:2:3", "", "99999999999999999999:", "1_0:*",
                "%C4%85:*", "+1:-99999999999999999999")] + ["/ipfs/", "/ipfs/?format=raw"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", WORDED_400S)
def test_a_malformed_car_range_or_a_bare_ipfs_is_kubos_400(sides: ConformanceSides, path: str, method: str) -> None:
    """``invalid application/vnd.ipld.car entity-bytes URL parameter: WHY`` (WHY boxo's, or Go's
    ``strconv.ParseInt: parsing "X": invalid syntax`` / ``value out of range``; it was
    ``entity-bytes '5:1': to is before from`` and the like), and ``invalid path "/ipfs/": path
    does not have enough components`` (it was ``no CID in the path``)."""
    kubo, ours = sides.both(path, None, method)
    assert kubo.status == 400, (kubo.status, kubo.body)
    _same(kubo, ours, ("content-type", "ipfs-uri"))


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT"])
@pytest.mark.parametrize("path", ["/nothing", "/api/v0/version", "/ipfsx/a"])
def test_a_path_no_route_takes_is_gos_404(sides: ConformanceSides, path: str, method: str) -> None:
    """Go's ``http.NotFound`` (``404 page not found``, ``nosniff``), Kubo's answer outside its
    routes; it was aiohttp's ``404: Not Found``."""
    kubo, ours = sides.both(path, None, method)
    assert kubo.status == 404, (kubo.status, kubo.body)
    _same(kubo, ours, ("content-type", "x-content-type-options", "content-length"))
