"""Requests at the edge of HTTP, beside Kubo 0.43.1's gateway: no ``Host`` header, and raw bytes
(not percent-escaped) in the request target.

One site (``site.test``, a DNSLink in a zone both gateways ask through one loopback DoH server;
the zone also gives the machine's own names a DNSLink, so a gateway that took a missing ``Host``
for one of them would serve the site). Each row sends its bytes over a raw socket and pins
Kubo's status and which content it served.

- **No ``Host``**: HTTP/1.0 is served as the path gateway by both (Go gives Kubo an empty
  ``r.Host``; ours reads the header, ``serve/_target.py`` ``request_host``, not aiohttp's
  fallback to the socket's address), an empty ``Host`` too; HTTP/1.1 is a 400 from both
  parsers, in their own words (Go: ``400 Bad Request: missing required Host header``; aiohttp:
  ``Missing 'Host' header in request.``). All agreed before ``request_host``: aiohttp 3.14.5
  falls back to the socket's address (an IP literal, never looked up), not ``socket.getfqdn()``.
- **Raw bytes**: a byte 0x80-0xff in the path or the query (UTF-8 or not) is served by Kubo
  (or its 404 when no name holds it); aiohttp's C parser (llhttp) refuses it with its own 400,
  ``Invalid char in url path`` / ``query``, before any handler (``OURS_400``: a documented
  difference, docs/gateway.md, kept as a guard: a parser that took them would fail here and the
  gateway's reading of such paths would need its own table). Control bytes are a 400 from both.
- **Odd ``Host`` values** (``ODD_HOST``): a DNSLink host with a port that is no number, or one past
  65535, is the site on both (its listing was our 500: the explorer's link origin read the port
  through yarl, which refuses it); ``[localhost]:PORT`` names no subdomain URL Go's ``url.Parse``
  takes (a ``[`` past the host's start), Kubo's 400 (ours was the 301 to that URL).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests._dnslink_sides import SiteSides, dnslink_sides, exchange
from tests._kubo import require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

FILES: dict[bytes, bytes] = {  # the site's files: name as bytes -> what it holds
    b"index.html": b"<p>the site</p>\n",
    b"plain.txt": b"plain\n",
    "\u00e9.txt".encode(): b"e acute\n",
    b"\xff.txt": b"a name that is no UTF-8\n",
    b"sub/x.txt": b"x in sub\n",
}
DOMAIN = "site.test"


def _own_names() -> set[str]:
    """The machine's names a server might take for a missing ``Host``."""
    return {name.rstrip(".") for name in (socket.getfqdn(), socket.gethostname()) if name}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteSides]:
    require_kubo()
    tmp = tmp_path_factory.mktemp("gateway-edges")
    for name, data in FILES.items():
        path = tmp.joinpath("site", name.decode("utf-8", "surrogateescape"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with dnslink_sides(tmp, tmp / "site", lambda root: {name: f"/ipfs/{root}" for name in (DOMAIN, *_own_names())}) as sides:
        yield sides


def _send(base: str, request: bytes) -> tuple[int, bytes]:
    """One request sent byte for byte; the status and the body (de-chunked)."""
    reply = exchange(base, request)
    return reply.status, reply.body


def _content(status: int, body: bytes) -> str | None:
    """Which file of ``FILES`` a 200 served (its name), None for any other answer."""
    if status != 200:
        return None
    return next((name.decode("utf-8", "backslashreplace") for name, data in FILES.items() if data == body),
                repr(body[:40]))


# id: (request line's version, target, Host header or None for none, Kubo's status, content); {root} the site's CID
NO_HOST: dict[str, tuple[str, str, str | None, int, str | None]] = {
    "HTTP/1.0, /ipfs/CID/file": ("HTTP/1.0", "/ipfs/{root}/plain.txt", None, 200, "plain.txt"),
    "HTTP/1.0, /ipfs/CID: the directory's 301": ("HTTP/1.0", "/ipfs/{root}", None, 301, None),
    "HTTP/1.0, /: no site, Go's 404": ("HTTP/1.0", "/", None, 404, None),
    "HTTP/1.0, /file: no site": ("HTTP/1.0", "/plain.txt", None, 404, None),
    "HTTP/1.0, /ipns/NAME/file": ("HTTP/1.0", f"/ipns/{DOMAIN}/plain.txt", None, 200, "plain.txt"),
    "HTTP/1.0, absolute-form: its host": ("HTTP/1.0", f"http://{DOMAIN}/plain.txt", None, 200, "plain.txt"),
    "HTTP/1.0, empty Host, /": ("HTTP/1.0", "/", "", 404, None),
    "HTTP/1.1, empty Host, /": ("HTTP/1.1", "/", "", 404, None),
    "HTTP/1.1, empty Host, /ipfs/CID/file": ("HTTP/1.1", "/ipfs/{root}/plain.txt", "", 200, "plain.txt"),
    "HTTP/1.1, /ipfs/CID/file: 400": ("HTTP/1.1", "/ipfs/{root}/plain.txt", None, 400, None),
    "HTTP/1.1, /: 400": ("HTTP/1.1", "/", None, 400, None),
    "HTTP/1.1, /ipns/NAME/file: 400": ("HTTP/1.1", f"/ipns/{DOMAIN}/plain.txt", None, 400, None),
    "HTTP/1.1, absolute-form: 400": ("HTTP/1.1", f"http://{DOMAIN}/plain.txt", None, 400, None),
}


@pytest.mark.parametrize("case", list(NO_HOST))
def test_a_request_without_host_gets_kubos_answer(site: SiteSides, case: str) -> None:
    version, target, host, status, content = NO_HOST[case]
    request = f"GET {target.format(root=site.root)} {version}\r\n"
    request += ("" if host is None else f"Host: {host}\r\n") + "Connection: close\r\n\r\n"
    got = {side: _send(base, request.encode()) for side, base in (("kubo", site.kubo), ("ours", site.ours))}
    assert (got["kubo"][0], _content(*got["kubo"])) == (status, content), ("Kubo 0.43.1 answers otherwise", got["kubo"])
    assert (got["ours"][0], _content(*got["ours"])) == (status, content), got["ours"]
    if status == 400:  # the parsers' own words
        assert got["kubo"][1] == b"400 Bad Request: missing required Host header"
        assert got["ours"][1] == b"Missing 'Host' header in request."


OURS_400 = "OURS_400"  # aiohttp's parser refuses the byte (documented difference)
BYTES: dict[str, bytes] = {"UTF-8 e acute": "\u00e9".encode(), "0xff": b"\xff", "0x80": b"\x80",
                           "a lone UTF-8 lead byte": b"\xc3", "Latin-1 e acute": b"\xe9",
                           "4-byte UTF-8": "\U0001f680".encode(), "DEL": b"\x7f", "a tab": b"\t", "0x01": b"\x01"}
# byte -> (Kubo's status, content) for it in a file name; in the query Kubo serves plain.txt
IN_NAME: dict[str, tuple[int, str | None]] = {
    "UTF-8 e acute": (200, "\u00e9.txt"), "0xff": (200, "\\xff.txt"), "0x80": (404, None),
    "a lone UTF-8 lead byte": (404, None), "Latin-1 e acute": (404, None), "4-byte UTF-8": (404, None),
    "DEL": (400, None), "a tab": (400, None), "0x01": (400, None),
}
RAW: dict[str, tuple[bytes, str, int, str | None, str]] = {}  # id: (target, Host, Kubo's status, content, ours)
for _label, _byte in BYTES.items():
    _status, _named = IN_NAME[_label]
    _ours = OURS_400 if _byte[0] >= 0x80 else ""
    RAW[f"path, /ipfs/CID/: {_label}"] = (b"/ipfs/{root}/" + _byte + b".txt", "127.0.0.1", _status, _named, _ours)
    RAW[f"path, DNSLink host: {_label}"] = (b"/" + _byte + b".txt", DOMAIN, _status, _named, _ours)
    RAW[f"query: {_label}"] = (b"/ipfs/{root}/plain.txt?x=" + _byte, "127.0.0.1",
                               400 if _byte[0] < 0x80 else 200, None if _byte[0] < 0x80 else "plain.txt", _ours)


@pytest.mark.parametrize("case", list(RAW))
def test_raw_bytes_in_the_target_beside_kubo(site: SiteSides, case: str) -> None:
    target, host, status, content, ours = RAW[case]
    request = (b"GET " + target.replace(b"{root}", site.root.encode()) + b" HTTP/1.1\r\nHost: " + host.encode()
               + b"\r\nConnection: close\r\n\r\n")
    kubo = _send(site.kubo, request)
    assert (kubo[0], _content(*kubo)) == (status, content), ("Kubo 0.43.1 answers otherwise", kubo)
    got = _send(site.ours, request)
    if ours == OURS_400:
        where = b"query" if b"?" in target else b"path"
        assert (got[0], got[1].partition(b":")[0]) == (400, b"Invalid char in url " + where), got
    else:
        assert got[0] == 400 == status, got


# id: (target, Host, Kubo's status, what it served: a file of FILES, "listing", or the body's text); {root} the CID
ODD_HOST: dict[str, tuple[str, str, int, str]] = {
    "DNSLink host, a port that is no number: the listing": ("/sub/", f"{DOMAIN}:abc", 200, "listing"),
    "DNSLink host, a port past 65535: the listing": ("/sub/", f"{DOMAIN}:99999", 200, "listing"),
    "DNSLink host, a port of 5000 digits: the listing": ("/sub/", f"{DOMAIN}:{'9' * 5000}", 200, "listing"),
    "DNSLink host, a port that is no number: a file": ("/plain.txt", f"{DOMAIN}:abc", 200, "plain.txt"),
    "[localhost]:PORT: no subdomain URL": ("/ipfs/{root}/plain.txt", "[localhost]:8080", 400,
                                           'parse "http://{root}.ipfs.[localhost]:8080/": invalid IP-literal'),
    "[localhost]:abc: the bracket first": ("/ipfs/{root}/plain.txt", "[localhost]:abc", 400,
                                           'parse "http://{root}.ipfs.[localhost]:abc/": invalid IP-literal'),
}


@pytest.mark.parametrize("case", list(ODD_HOST))
def test_an_odd_host_gets_kubos_answer(site: SiteSides, case: str) -> None:
    target, host, status, served = ODD_HOST[case]
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".replace("{root}", site.root)
    for side, base in (("kubo", site.kubo), ("ours", site.ours)):
        code, body = _send(base, request.encode())
        what = ("listing" if b"<!DOCTYPE html>" in body else _content(code, body)) if code == 200 else body.decode().strip()
        assert (code, what) == (status, served.replace("{root}", site.root)), (side, code, body[:200])
