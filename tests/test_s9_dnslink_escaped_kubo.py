"""DNSLink sites by ``Host`` with escaped paths, beside Kubo 0.43.1's gateway.

One site (``escaped.test``, over a folder with names holding ``#``, ``?``, ``%``, a non-ASCII
letter, and folders named ``ipfs``/``ipns``) and one over a sub-path of it (``under.test``, its
``sub``), in a zone both gateways ask through one loopback DoH server (``tests/_dns_server.py``).
Each row sends one request with ``Host: DOMAIN`` (path-gateway style) or
``Host: {inlined}.ipns.localhost:PORT`` (the subdomain style) and pins Kubo's status, Location
and which content it served; ours must give the same. Escapes are sent as written (a raw socket,
no client normalising them). Rows marked ``FIXED`` failed on the code before this module: Kubo
hands the decoded path, rewritten to ``/ipns/{host}{path}``, to a ``ServeMux`` of its own, so an
escaped dot or slash that makes it unclean is that mux's 307 to ``/ipns/{host}/...`` (the host as
sent), the query kept as sent (``autocodec/serve/_dnslink_host.py``). Every row also compares the
``Access-Control-*`` headers, names and values (as lists: Kubo writes each item on a line of its
own, ``_cors_list``); they agree but for the two of this server's own headers it exposes too.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest

from tests._dnslink_sides import SiteSides, dnslink_sides, exchange
from tests._kubo import require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

FILES = {  # the site's files: path -> what it holds (its name in the table is the path)
    "index.html": "<p>the escaped site</p>\n",
    "plain.txt": "plain\n",
    "a#b?c.txt": "delimiters\n",
    "a%2Fb.txt": "a name holding a percent sign\n",
    "\u00e9.txt": "e acute\n",
    "sub/x.txt": "x in sub\n",
    "ipfs/inner.txt": "the site's own ipfs folder\n",
    "ipns/inner.txt": "the site's own ipns folder\n",
}


def _send(base: str, host: str, target: str, method: str) -> tuple[int, dict[str, str], bytes]:
    """One request, its target and ``Host`` sent byte for byte; the status, headers, body."""
    port = base.rsplit(":", 1)[1]
    reply = exchange(base, f"{method} {target} HTTP/1.1\r\nHost: {host.format(port=port)}\r\n"
                           "Connection: close\r\n\r\n".encode("ascii"))
    return reply.status, reply.headers, reply.body


def _content(status: int, headers: dict[str, str], body: bytes, method: str) -> str | None:
    """Which content an answer served: a file of ``FILES`` by its path, ``listing`` (each side's
    own HTML), or None (a redirect or an error). HEAD has no body: its ETag names the file."""
    if status != 200:
        return None
    if method == "HEAD":
        etag = headers.get("etag", "")
        return "listing" if etag.startswith(('"DirIndex', 'W/"DirIndex')) else etag
    if b"Index of" in body or b"<!DOCTYPE html>" in body:
        return "listing"
    return next((path for path, text in FILES.items() if text.encode() == body), repr(body[:40]))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteSides]:
    require_kubo()
    tmp = tmp_path_factory.mktemp("dnslink-escaped")
    for path, text in FILES.items():
        (tmp / "site" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "site" / path).write_text(text, encoding="utf-8")
    with dnslink_sides(tmp, tmp / "site", lambda root: {"escaped.test": f"/ipfs/{root}",
                                                        "under.test": f"/ipfs/{root}/sub"}) as sides:
        yield sides


E, U, SUB = "escaped.test", "under.test", "escaped-test.ipns.localhost:{port}"
FIXED = "FIXED"  # the row failed on the code before this module
# id: (method, Host, target, Kubo's status, Location, content, FIXED or ""); {root} is the site's CID
CASES: dict[str, tuple[str, str, str, int, str | None, str | None, str]] = {
    "root": ("GET", E, "/", 200, None, "index.html", ""),
    "plain file": ("GET", E, "/plain.txt", 200, None, "plain.txt", ""),
    "%2F in a segment is a slash": ("GET", E, "/sub%2Fx.txt", 200, None, "sub/x.txt", ""),
    "trailing %2F after a file": ("GET", E, "/sub/x.txt%2F", 200, None, "sub/x.txt", ""),
    "trailing %2F after a folder": ("GET", E, "/sub%2F", 200, None, "listing", ""),
    "%2F%2F: an empty segment once decoded": ("GET", E, "/sub%2F%2Fx.txt", 307, "/ipns/escaped.test/sub/x.txt",
                                              None, FIXED),
    "%2e%2e segment": ("GET", E, "/sub/%2e%2e/plain.txt", 307, "/ipns/escaped.test/plain.txt", None, FIXED),
    "%2E%2E upper case": ("GET", E, "/sub/%2E%2E/plain.txt", 307, "/ipns/escaped.test/plain.txt", None, FIXED),
    ".. segment": ("GET", E, "/sub/../plain.txt", 307, "/plain.txt", None, ""),
    "%2e segment": ("GET", E, "/sub/%2e/x.txt", 307, "/ipns/escaped.test/sub/x.txt", None, FIXED),
    ". segment": ("GET", E, "/sub/./x.txt", 307, "/sub/x.txt", None, ""),
    "%2e alone": ("GET", E, "/%2e", 307, "/ipns/escaped.test", None, FIXED),
    "%2e%2e alone": ("GET", E, "/%2e%2e", 307, "/ipns/", None, FIXED),
    "%2F..%2F..%2F past the root": ("GET", E, "/sub%2F..%2F..%2F", 307, "/ipns/", None, FIXED),
    "%2e%2e/%2e%2e to another /ipfs/ path": ("GET", E, "/%2e%2e/%2e%2e/ipfs/{root}/plain.txt", 307,
                                             "/ipfs/{root}/plain.txt", None, FIXED),
    "%2e%2e to /ipns/ipfs/": ("GET", E, "/%2e%2e/ipfs/{root}/plain.txt", 307, "/ipns/ipfs/{root}/plain.txt",
                              None, FIXED),
    "%2e%2e keeps escapes escaped again": ("GET", E, "/sub/%2e%2e/%C3%A9.txt", 307, "/ipns/escaped.test/%25C3%25A9.txt",
                                           None, FIXED),
    "%2e%2e keeps the query as sent": ("GET", E, "/sub/%2e%2e/plain.txt?x=%2e%2e&y=%7e", 307,
                                       "/ipns/escaped.test/plain.txt?x=%2e%2e&y=%7e", None, FIXED),
    "%252F: a literal %2F in a name": ("GET", E, "/a%252Fb.txt", 200, None, "a%2Fb.txt", ""),
    "%252F is no slash": ("GET", E, "/sub%252Fx.txt", 404, None, None, ""),
    "unicode escape (UTF-8)": ("GET", E, "/%C3%A9.txt", 200, None, "\u00e9.txt", ""),
    "unicode escape, lower-case hex": ("GET", E, "/%c3%a9.txt", 200, None, "\u00e9.txt", ""),
    "unicode escape, decomposed form": ("GET", E, "/e%CC%81.txt", 404, None, None, ""),
    "unicode escape, Latin-1 byte": ("GET", E, "/%E9.txt", 404, None, None, ""),
    "%u escape is malformed": ("GET", E, "/%u00e9.txt", 400, None, None, ""),
    "fullwidth solidus is no slash": ("GET", E, "/sub%EF%BC%8Fx.txt", 404, None, None, ""),
    "%00 after a name": ("GET", E, "/plain.txt%00", 404, None, None, ""),
    "%00 alone": ("GET", E, "/%00", 404, None, None, ""),
    "escaped # and ?": ("GET", E, "/a%23b%3Fc.txt", 200, None, "a#b?c.txt", ""),
    "escaped # alone, ? as a query": ("GET", E, "/a%23b?c.txt", 404, None, None, ""),
    "escaped ? after a name": ("GET", E, "/plain.txt%3F", 404, None, None, ""),
    "/ipfs/ is a folder of the site": ("GET", E, "/ipfs/inner.txt", 200, None, "ipfs/inner.txt", ""),
    "/ipns/ is a folder of the site": ("GET", E, "/ipns/inner.txt", 200, None, "ipns/inner.txt", ""),
    "/ipfs/{cid} is read inside the site": ("GET", E, "/ipfs/{root}/plain.txt", 404, None, None, ""),
    "/ipfs/..": ("GET", E, "/ipfs/..", 307, "/", None, ""),
    "/ipns/..": ("GET", E, "/ipns/..", 307, "/", None, ""),
    "/ipfs/%2e%2e": ("GET", E, "/ipfs/%2e%2e/plain.txt", 307, "/ipns/escaped.test/plain.txt", None, FIXED),
    "/ipns/%2e%2e": ("GET", E, "/ipns/%2e%2e", 307, "/ipns/escaped.test", None, FIXED),
    "/ipfs%2F..%2F": ("GET", E, "/ipfs%2F..%2Fplain.txt", 307, "/ipns/escaped.test/plain.txt", None, FIXED),
    "a sub-path site: its own file": ("GET", U, "/x.txt", 200, None, "sub/x.txt", ""),
    "a sub-path site: the folder above is not in it": ("GET", U, "/plain.txt", 404, None, None, ""),
    "a sub-path site: ..%2F does not leave it": ("GET", U, "/..%2Fplain.txt", 307, "/ipns/plain.txt", None, FIXED),
    "a sub-path site: %2e%2e does not leave it": ("GET", U, "/%2e%2e/plain.txt", 307, "/ipns/plain.txt", None,
                                                  FIXED),
    "Host in upper case": ("GET", "ESCAPED.TEST", "/plain.txt", 200, None, "plain.txt", ""),
    "Host in upper case, %2e%2e: the host as sent": ("GET", "Escaped.TEST", "/sub/%2e%2e/plain.txt", 307,
                                                     "/ipns/Escaped.TEST/plain.txt", None, FIXED),
    "Host with a trailing dot": ("GET", "escaped.test.", "/plain.txt", 200, None, "plain.txt", ""),
    "Host with a trailing dot, %2e%2e": ("GET", "escaped.test.", "/sub/%2e%2e/plain.txt", 307,
                                         "/ipns/escaped.test./plain.txt", None, FIXED),
    "Host with a port, %2e%2e: the port dropped": ("GET", "escaped.test:{port}", "/sub/%2e%2e/plain.txt", 307,
                                                   "/ipns/escaped.test/plain.txt", None, FIXED),
    "Host with an escaped dot": ("GET", "escaped%2etest", "/plain.txt", 404, None, None, ""),
    "Host with an escaped letter": ("GET", "%65scaped.test", "/plain.txt", 404, None, None, ""),
    "Host with two trailing dots": ("GET", "escaped.test..", "/plain.txt", 404, None, None, ""),
    "HEAD plain file": ("HEAD", E, "/plain.txt", 200, None, "plain.txt", ""),
    "HEAD %2e%2e segment": ("HEAD", E, "/sub/%2e%2e/plain.txt", 307, "/ipns/escaped.test/plain.txt", None, FIXED),
    "HEAD %2F..%2F..%2F past the root": ("HEAD", E, "/sub%2F..%2F..%2F", 307, "/ipns/", None, FIXED),
    "HEAD escaped # and ?": ("HEAD", E, "/a%23b%3Fc.txt", 200, None, "a#b?c.txt", ""),
    "subdomain: %2F in a segment": ("GET", SUB, "/sub%2Fx.txt", 200, None, "sub/x.txt", ""),
    "subdomain: escaped # and ?": ("GET", SUB, "/a%23b%3Fc.txt", 200, None, "a#b?c.txt", ""),
    "subdomain: %2e%2e": ("GET", SUB, "/sub/%2e%2e/plain.txt", 307, "/ipns/escaped.test/plain.txt", None, ""),
    "subdomain: %2e%2e keeps the query as sent": ("GET", SUB, "/sub/%2e%2e/plain.txt?x=%2e%2e&y=%7e", 307,
                                                  "/ipns/escaped.test/plain.txt?x=%2e%2e&y=%7e", None, FIXED),
    "subdomain: %252F": ("GET", SUB, "/a%252Fb.txt", 200, None, "a%2Fb.txt", ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_escaped_path_on_a_dnslink_host_gets_kubos_answer(site: SiteSides, case: str) -> None:
    method, host, target, status, location, content, _ = CASES[case]
    target = target.format(root=site.root)
    want = (status, None if location is None else location.format(root=site.root), content)
    got, cors = {}, {}
    for side, base in (("kubo", site.kubo), ("ours", site.ours)):
        code, headers, body = _send(base, host, target, method)
        named = _content(code, headers, body, method)
        if method == "HEAD" and named is not None and named != "listing":
            named = next((path for path in FILES if _etag(site, path) == named), named)
        got[side] = (code, headers.get("location"), named)
        cors[side] = {name: _cors_list(side, name, value) for name, value in headers.items()
                      if name.startswith("access-control-")}
    assert got["kubo"] == want, ("Kubo 0.43.1 answers otherwise than the table says", got["kubo"])
    assert got["ours"] == want, got["ours"]
    assert cors["ours"] == cors["kubo"]  # the inner mux's 307 is inside Kubo's CORS wrapper; the outer one's is not


OUR_EXPOSED = ("X-Autocodec-Decoder", "X-Autocodec-Module")  # this server's own headers, exposed on every answer


def _cors_list(side: str, name: str, value: str) -> list[str]:
    """An ``Access-Control-*`` value as its list of items. Kubo writes each item on a field line
    of its own (``Access-Control-Allow-Methods: GET``, then ``HEAD``, ...), this server one line
    of them all: the same list once joined (RFC 9110 5.3). Ours also exposes ``OUR_EXPOSED``."""
    items = [item.strip() for item in value.split(",")]
    if side == "ours" and name == "access-control-expose-headers":
        assert items[-len(OUR_EXPOSED):] == list(OUR_EXPOSED), items
        items = items[:-len(OUR_EXPOSED)]
    return items


def _etag(site: SiteSides, path: str) -> str:
    """The ETag Kubo gives the file at ``path`` of the site (its CID, quoted)."""
    return _send(site.kubo, E, "/" + urllib.parse.quote(path, safe="/"), "HEAD")[1].get("etag", "")
