"""The gateway's origin-isolated features next to Kubo v0.43.1's, and the JSON routes' errors.

Kubo honours a site's ``_redirects`` file (specs.ipfs.tech, "Web Redirects File
Specification") only where the site has an origin of its own: the subdomain gateway
(``{cid}.ipfs.localhost``) and DNSLink hosts. The same sites live in a throw-away Kubo
(offline) and in an autocodec home; each case sends the same request to both, with the
``Host`` header set by hand, and compares the status, ``Location``, the body and the headers
this server writes as Kubo does (docs/gateway.md lists the differences). The fast tests at
the end check in-process what needs no Kubo.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._gateway_http import GatewaySides

REDIRECTS = """# the spec's examples, and more
/redirect-one /one.html
/301-redirect-one /one.html 301
/302-redirect-two /two.html 302
/303 /two.html 303
/307 /two.html 307
/308 /two.html 308
/200-index /index.html 200
/posts/:year/:month/:day/:title /articles/:year/:month/:day/:title 301
/splat/* /redirected-splat/:splat 301
/rewrite-splat/* /redirected-splat/:splat 200
/not-found/* /404.html 404
/gone/* /410.html 410
/unavail/* /451.html 451
/missing-404/* /nothere.html 404
/dir-404/* /sub 404
/ext https://example.com/a?b=1 302
/q /two.html?x=1 301
/one.html /two.html 301
/first /one.html 301
/first /two.html 302
/sub/* /two.html 301
/trail/ /two.html 301
/uni/* /é/:splat 302
/dots /a/../b/./c 301
/ipns-scheme ipns://example.com/x 301
/x/:splat/* /y/:splat 302
/enc/* /r/:splat 301
/rdir /sub 200
/rmiss /nope 200
/* /index.html 200
"""
SITES: dict[str, dict[str, str]] = {
    "good": {"index.html": "index\n", "one.html": "one\n", "two.html": "two\n", "404.html": "<p>my 404</p>\n",
             "410.html": "gone\n", "451.html": "legal\n", "articles/2022/06/15/hello": "article\n",
             "redirected-splat/x/y": "splat\n", "sub/page.txt": "sub page\n", "_redirects": REDIRECTS},
    "norules": {"index.html": "i\n", "_redirects": "# nothing\n\n"},
    "dirred": {"index.html": "i\n", "_redirects/x": "y\n"},
    "crlf": {"index.html": "i\n", "one.html": "1\n", "_redirects": "/a /one.html 302\r\n/b /one.html 200\r\n"},
    "tabs": {"index.html": "i\n", "one.html": "1\n", "_redirects": "  /a\t/one.html\t+302  \n\t# c\n/b /one.html"},
    "big": {"index.html": "i\n", "_redirects": "".join(f"/r{i} /t{i} 301\n" for i in range(5000))},
    "late": {"index.html": "i\n", "_redirects": "/ok /index.html 301\n" + "#" * 5000 + "\n/bad\n" + "#" * 70000 + "\n"},
    "longline": {"index.html": "i\n", "_redirects": "#" + "x" * 65536 + "\n"},
}
MALFORMED = ["/a /b 200!", "/only-from", "/a /b 418", "/a /b abc", "/a /b 301 x", "a /b", "/a*/b /b", "/a/** /b",
             "/a ftp://x/y", "/a foo=bar /b", "/a%zz /b", "/a /b%zz", "\ufeff/a /b", "/a /b 302\r/c /b"]
for number, line in enumerate(MALFORMED):
    SITES[f"malformed{number}"] = {"index.html": "i\n", "_redirects": line + "\n"}
DNSLINK = "redirects.test"  # a DNSLink site by Host: its _redirects applies there too


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewaySides]:
    from autocodec.registry import Runtime
    from tests._kubo_pair import copy_dags
    from tests._dns_server import DnsZone, doh_server
    from tests._kubo import KuboRepo, require_kubo
    from tests._serve_proc import ServeProcess

    require_kubo()
    root = tmp_path_factory.mktemp("redirects")
    zone = DnsZone(ttl=120)
    with doh_server(zone) as doh:
        kubo = KuboRepo.create(root / "kubo")
        kubo.set_config("DNS.Resolvers", {".": doh})
        with kubo.start():
            ids = {}
            for name, files in SITES.items():
                for rel, text in files.items():
                    (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
                    (root / name / rel).write_text(text, encoding="utf-8", newline="")
                ids[name] = kubo.ipfs("add", "-r", "-Q", "--cid-version", "1", root / name).stdout.decode().strip()
            zone.records[f"_dnslink.{DNSLINK}"] = [(f"dnslink=/ipfs/{ids['good']}",)]
            home = root / "home"
            home.mkdir()
            (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{doh}"\n', encoding="utf-8")
            with Runtime(home, default_set=False) as runtime:
                copy_dags(kubo, runtime.store, ids.values(), root)
            with ServeProcess(home, root) as ours:
                yield GatewaySides(kubo.gateway_url, ours.url, ids)


COMPARED = ("location", "content-type", "etag", "cache-control", "x-ipfs-roots", "ipfs-uri")
OWN_WORDS: tuple[str, ...] = ()  # a missing path's 404 text is Kubo's too (test_gateway_conformance2_kubo)
CASES = [("good", p) for p in (
    "/redirect-one", "/301-redirect-one", "/302-redirect-two", "/303", "/307", "/308", "/200-index",
    "/posts/2022/06/15/hello", "/splat/x/y", "/splat", "/rewrite-splat/x/y", "/not-found/a", "/gone/a", "/unavail/a",
    "/missing-404/a", "/dir-404/a", "/ext", "/q", "/q?y=2&a=%20b", "/one.html", "/first", "/sub/nope",
    "/sub/page.txt", "/trail", "/trail/", "/uni/q/r", "/uni/q?k=%C3%A9", "/dots", "/ipns-scheme", "/x/s/t/u",
    "/enc/a%20b/%C3%A9", "/rdir", "/rmiss", "/anything", "/", "/redirect-one/", "/Redirect-one",
    "/redirect-one?format=raw", "/not-found/a?format=raw", "/posts/1/2/3")] + [
    (name, path) for name in SITES if name != "good" for path in ("/", "/a", "/b", "/ok", "/r4999")]


@pytest.mark.slow
@pytest.mark.parametrize(("site", "path"), CASES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_sites_redirects_answer_as_kubos_on_a_content_origin(world: GatewaySides, site: str, path: str, method: str) -> None:
    from tests._gateway_http import fetch_checked

    host = {"Host": f"{world.ids[site]}.ipfs.localhost:8080"}
    kubo, ours = fetch_checked(world.kubo_url, path, host, method), fetch_checked(world.ours_url, path, host, method)
    where = (site, path, method)
    assert ours.status == kubo.status, (where, kubo.status, kubo.body, ours.status, ours.body)
    listing = kubo.headers.get("etag", "").startswith('"DirIndex-')
    for name in COMPARED:
        if listing and name in ("etag", "content-type"):  # the listing page is this server's own
            continue
        assert ours.headers.get(name) == kubo.headers.get(name), (where, name, kubo.headers.get(name),
                                                                   ours.headers.get(name))
    if not listing and not any(words.encode() in (kubo.body or b"") for words in OWN_WORDS):
        assert ours.body == kubo.body, (where, kubo.body, ours.body)


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/redirect-one", "/200-index", "/not-found/a", "/q?y=2", "/one.html", "/nope/x",
                                  "/rdir/"])
@pytest.mark.parametrize("host", [DNSLINK, f"{DNSLINK.replace('.', '-')}.ipns.localhost:8080", "127.0.0.1"])
def test_redirects_apply_on_dnslink_hosts_and_never_on_the_path_gateway_as_in_kubo(world: GatewaySides, path: str,
                                                                                     host: str) -> None:
    """On a DNSLink host (and its subdomain) the site's rules apply, with the name's caching;
    on the path gateway (``/ipfs/{cid}/...`` on an IP) they never do: a 404."""
    from tests._gateway_http import fetch_checked

    if host == "127.0.0.1":
        path = f"/ipfs/{world.ids['good']}{path}"
    kubo, ours = fetch_checked(world.kubo_url, path, {"Host": host}), fetch_checked(world.ours_url, path, {"Host": host})
    assert ours.status == kubo.status, (host, path, kubo.status, kubo.body, ours.status, ours.body)
    for name in ("location", "etag", "x-ipfs-roots"):
        if not kubo.headers.get("etag", "").startswith('"DirIndex-'):
            assert ours.headers.get(name) == kubo.headers.get(name), (host, path, name)
    if kubo.status < 400 and not kubo.headers.get("etag", "").startswith('"DirIndex-'):
        assert ours.body == kubo.body, (host, path)
    if host == "127.0.0.1":
        assert kubo.status in (200, 404), (path, kubo.status)  # a rule never applies there


URI_CASES = [(host, path) for host in ("127.0.0.1", "localhost:8080") for path in (
    "/ipfs/?uri=ipfs://{good}/one.html", "/ipfs/?uri=ipfs%3A%2F%2F{good}%2Fa%20b%3Fx%3D1", "/ipns/?uri=ipns://example.com/x",
    "/ipfs/?uri=ipns://{good}", "/ipfs/?uri=", "/ipfs/?uri=http://x/y", "/ipfs/?uri=ipfs://", "/ipfs/?uri=notauri",
    "/ipfs/?uri=ipfs://notacid/x", "/ipfs/?uri=ipfs://{good}&x=1", "/ipfs/{good}/?uri=ipfs://{good}/one.html",
    "/ipfs?uri=ipfs://{good}", "/ipfs/?uri=IPFS://{good}", "/ipfs/?uri=ipfs:{good}", "/ipfs/?uri=ipfs://{good}%25zz",
    "/ipfs/?uri=ipfs://{good}/%C3%A9?q=1%23frag", "/ipfs/?uri=ipfs://{good}?q=1", "/ipfs/?uri=&uri=ipfs://{good}",
    "/ipfs/?uri=ipfs://{good}/one.html&uri=ipfs://x", "/ipfs/?uri=ipfs://{good}/a\"<b>", "/ipfs/notacid/x?uri=ipfs://{good}",
    "/ipns/x?uri=ipfs://{good}", "/ipfs/?uri=ipfs://{good}/a/../../b", "/ipfs/?uri=ipfs://a%20b/c",
    "/ipfs/?uri=ipfs://{good}/%zz", "/ipfs/?uri=ipfs:/x/y", "/ipfs/?uri=ipfs://x%C3%A9/y", "/ipfs/?uri=%3Aipfs",
    "/ipfs/?uri=ipfs://h/p;q", "/ipfs//?uri=ipfs://h/x")] + [
    ("{good}.ipfs.localhost:8080", "/?uri=ipfs://{good}/one.html"), ("{good}.ipfs.localhost:8080", "/one.html?uri=ipns://a.b"),
    (DNSLINK, "/?uri=ipfs://{good}/two.html"), (DNSLINK, "/one.html?uri=gopher://x")]


@pytest.mark.slow
@pytest.mark.parametrize(("host", "path"), URI_CASES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_uri_protocol_handler_redirects_answer_as_kubos(world: GatewaySides, host: str, path: str, method: str) -> None:
    """``?uri=ipfs://CID/path`` (a browser's protocol handler, boxo's
    ``handleProtocolHandlerRedirect``): the status, ``Location`` and body Kubo answers."""
    from tests._gateway_http import fetch_checked

    host, path = host.format(**world.ids), path.format(**world.ids)
    kubo = fetch_checked(world.kubo_url, path, {"Host": host}, method)
    ours = fetch_checked(world.ours_url, path, {"Host": host}, method)
    where = (host, path, method)
    assert (ours.status, ours.headers.get("location")) == (kubo.status, kubo.headers.get("location")), (
        where, kubo.status, kubo.body, ours.status, ours.body)
    if kubo.status == 301 or b"uri query parameter" in (kubo.body or b""):  # a 400 of the path is worded our own way
        assert (ours.body, ours.headers.get("content-type")) == (kubo.body, kubo.headers.get("content-type")), where


# --- in-process ---------------------------------------------------------------------------------

@dataclass
class App:
    """``autocodec serve``'s application over a home (``add`` puts a folder in its store)."""

    runtime: object

    def call(self, path: str, host: str = "127.0.0.1:8080", method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        from aiohttp.test_utils import TestClient, TestServer

        from autocodec.serve import make_app

        async def go() -> tuple[int, dict[str, str], bytes]:
            async with TestClient(TestServer(make_app(self.runtime, workers=2))) as client:  # type: ignore[arg-type]
                resp = await client.request(method, path, allow_redirects=False, headers={"Host": host})
                return resp.status, dict(resp.headers), await resp.read()

        return asyncio.run(go())

    def add(self, files: dict[str, str]) -> str:
        """A UnixFS folder of ``files`` (relative name: text), CIDv1; its root CID."""
        from autocodec.unixfs import AddOptions, add_path

        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            for name, text in files.items():
                (Path(tmp) / "site" / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / "site" / name).write_text(text, encoding="utf-8")
            return str(add_path(self.runtime.store, Path(tmp) / "site",  # type: ignore[attr-defined]
                                AddOptions(cid_version=1), recursive=True)[-1].cid)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    from autocodec.registry import Runtime

    with Runtime(tmp_path / "home", default_set=False) as runtime:
        yield App(runtime)


@pytest.mark.parametrize("path", ["/decode/bafkqaaa?format=yaml", "/resolve/nokind/raw",
                                  "/ipvm/stream?since=x", "/ipvm/stream?limit=1.5"])
def test_a_malformed_query_of_a_json_route_is_an_invalid_input_error(app: App, path: str) -> None:
    """Every JSON error body names an ``AutocodecError`` class (docs/gateway.md); these
    said ``BadRequest``, which is none."""
    from autocodec import errors

    status, headers, body = app.call(path)
    error = json.loads(body)
    assert status == 400 and headers["Content-Type"].startswith("application/json"), (path, status)
    assert set(error) == {"error", "message", "hint"} and error["error"] == "InvalidInput", error
    assert issubclass(getattr(errors, error["error"]), errors.AutocodecError)
    assert error["message"] and error["hint"], error


def test_rules_are_read_and_matched_as_the_spec_and_kubo_read_them() -> None:
    from autocodec.serve._redirects import Rule, first_match, location, parse

    rules = parse(b"# c\n\n /a  /b \n/p/:y/:m /q/:m/:y 302\r\n/s/* /t/:splat 200\n/a /c 302\n/* /404.html 404")
    assert rules == [Rule("/a", "/b", 301), Rule("/p/:y/:m", "/q/:m/:y", 302), Rule("/s/*", "/t/:splat", 200),
                     Rule("/a", "/c", 302), Rule("/*", "/404.html", 404)]
    assert first_match(rules, "/a") == (rules[0], "/b")  # the first rule that matches wins
    assert first_match(rules, "/p/2024/06") == (rules[1], "/q/06/2024")
    assert first_match(rules, "/s/x/y") == (rules[2], "/t/x/y")
    assert first_match(rules, "/s") == (rules[4], "/404.html")  # a splat needs a segment, maybe empty
    assert first_match(rules, "/p/2024") == (rules[4], "/404.html")
    assert first_match(rules[:4], "") is None
    assert location("/a/../b/./c/", "") == "/b/c/"
    assert location("/two?x=1", "y=2&a=%20b") == "/two?a=+b&x=1&y=2"  # Go's Values.Encode: keys sorted


@pytest.mark.parametrize(("data", "message"), [
    (b"#" * 65535 + b"\n", None),  # 64 KiB exactly: taken
    (b"#" * 65536 + b"\n", "bufio.Scanner: token too long"),  # a line longer than Go's scanner takes
    (b"/a /b\n" * 10923, "redirects file size cannot exceed 65536 bytes"),  # 65538 bytes
    (b"/a\n" + b"#\n" * 40000, "missing 'to' path"),  # a malformed line read before the limit is met wins
    (b"/a /b 301!\n", 'parsing status "301!": forced redirects (or "shadowing") are not supported'),
    (b"/a /b 999\n", 'parsing status "999": status code 999 is not supported'),
    (b"/a /b 3_01\n", 'parsing status "3_01": strconv.Atoi: parsing "3_01": invalid syntax'),
    (b"/a /b\x1c 301\n", "parsing 'to': parse \"/b\x1c\": net/url: invalid control character in URL"),
    (b"/a javascript:alert(1)\n", "parsing 'to': invalid URL scheme"),
])
def test_a_file_kubo_refuses_is_refused_with_its_words(data: bytes, message: str | None) -> None:
    from autocodec.serve._redirects import RedirectsError, parse

    if message is None:
        assert parse(data) == []
        return
    with pytest.raises(RedirectsError) as caught:
        parse(data)
    assert str(caught.value) == message


def test_redirects_apply_on_a_content_origin_only(app: App) -> None:
    """The same missing path: a rule's redirect on ``{cid}.ipfs.localhost``, a 404 on the
    path gateway and on the bare ``localhost`` (which moves content paths to their subdomain)."""
    site = app.add({"index.html": "<p>home</p>", "one.html": "1", "_redirects": "/old /one.html 308\n/gone /x 410"})
    status, headers, body = app.call("/old?k=v", host=f"{site}.ipfs.localhost:8080")
    assert (status, headers["Location"]) == (308, "/one.html?k=v") and b"Permanent Redirect" in body
    assert app.call(f"/ipfs/{site}/old")[0] == 404
    assert app.call(f"/ipfs/{site}/old", host="localhost:8080")[0] == 301  # to the subdomain, not the rule
    status, headers, body = app.call("/one.html", host=f"{site}.ipfs.localhost:8080")
    assert status == 200 and body == b"1"  # a path that exists is never redirected
    status, _, body = app.call("/gone", host=f"{site}.ipfs.localhost:8080")
    assert status == 404 and b'_redirects": no link named' in body  # the 410 page is missing: Kubo's 404
    status, headers, body = app.call("/", host=f"{site}.ipfs.localhost:8080")
    assert (status, headers["Content-Type"], body) == (200, "text/html", b"<p>home</p>")


@pytest.mark.parametrize(("path", "status", "location"), [
    ("/ipfs/?uri=ipfs://bafkqaaa/a%20b?x=1", 301, "/ipfs/bafkqaaa/a%20b?x=1"),
    ("/ipns/?uri=ipns://example.com/a/../b", 301, "/ipns/example.com/b"),
    ("/ipfs/?uri=https://example.com/", 400, None),
    ("/ipfs/?uri=ipfs://x%zz", 400, None),
])
def test_a_uri_query_is_a_protocol_handler_redirect(app: App, path: str, status: int, location: str | None) -> None:
    got, headers, body = app.call(path)
    assert (got, headers.get("Location")) == (status, location), body
    if status == 400:
        assert body.endswith(b"\n") and b"uri query parameter" in body


def test_a_listing_on_a_dnslink_host_links_inside_the_site_and_to_the_explorer_on_the_bare_host(tmp_path: Path) -> None:
    """On a DNSLink host every path is the site's, so the listing's explorer links and
    stylesheet (``/explore/...``) named files of the site; they point at the bare host, as on
    a content origin, and the Content-Security-Policy lets the stylesheet load."""
    import re

    from autocodec.registry import Runtime
    from tests._dns_server import DnsZone, doh_server

    zone = DnsZone(ttl=60)
    with doh_server(zone) as doh:
        home = tmp_path / "home"
        home.mkdir()
        (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{doh}"\n', encoding="utf-8")
        with Runtime(home, default_set=False) as runtime:
            app = App(runtime)
            site = app.add({"sub/a b.txt": "x\n"})
            zone.records["_dnslink.site.test"] = [(f"dnslink=/ipfs/{site}",)]
            status, headers, body = app.call("/sub/", host="site.test:8080")
    assert status == 200, body
    hrefs = re.findall(r'href="([^"]*)"', body.decode())
    assert "/sub/a%20b.txt" in hrefs and "/" in hrefs, hrefs
    assert not [h for h in hrefs if h.startswith(("/ipfs/", "/ipns/", "/explore"))], hrefs
    assert "http://localhost:8080/explore-static/explorer.css" in hrefs, hrefs
    assert [h for h in hrefs if h.startswith("http://localhost:8080/explore/bafy")], hrefs
    assert "style-src 'self' http://localhost:8080;" in headers["Content-Security-Policy"]
