"""The subdomain gateway on ``localhost`` (origin isolation) next to Kubo v0.43.1's.

Kubo serves ``localhost`` as a subdomain gateway by default: ``{cid}.ipfs.localhost:PORT``
answers ``/ipfs/{cid}/...`` from an origin of its own and ``localhost:PORT/ipfs/{cid}`` is a
301 there. The same content lives in a throw-away Kubo (offline, one DoH server on loopback
for DNSLink) and in an autocodec home; each case sends the same request, with the ``Host``
header set by hand (no DNS needed), to both gateways and compares the status, ``Location``,
``Content-Type``, the body, ``Etag``, ``Cache-Control``, ``X-Ipfs-Roots``, ``Ipfs-Uri`` and
``Content-Location`` (the parts this server writes as Kubo does; docs/gateway.md lists the
differences). The fast tests at the end check, in-process, what Kubo cannot show: a content
origin reaches no route but the gateway's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autocodec import CID
from tests._gateway_http import CheckedReply, GatewaySides, fetch_checked
from tests._gateway_answers import car_blocks, cors_values, same_cors, tar_members

HOST = "localhost:8080"  # the same Host to both gateways: the Locations they write are comparable
MULTIBLOCK = bytes(range(256)) * 8
LONG_DATA = b"x" * 35  # an identity CID of 64 characters in base32, 62 in base36
COMPARED = ("location", "content-type", "etag", "cache-control", "x-ipfs-roots", "ipfs-uri", "content-location",
            "content-range", "content-disposition", "access-control-allow-origin", "allow")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewaySides]:
    from autocodec.cid import b58encode
    from autocodec.registry import Runtime
    from tests._kubo_pair import copy_dags
    from autocodec.verify._ipns import IpnsName
    from tests._cli import run_cli
    from tests._dns_server import DnsZone, doh_server
    from tests._kubo import KuboRepo, require_kubo
    from tests._serve_proc import ServeProcess

    require_kubo()
    root = tmp_path_factory.mktemp("subdomain")
    files = root / "site"
    (files / "sub").mkdir(parents=True)
    (files / "index.html").write_text("<p>hello from a content origin</p>\n")
    (files / "page.html").write_text("<!DOCTYPE html><html><body><script>1</script></body></html>\n")
    (files / "sub" / "note.txt").write_text("a note\n")
    (files / "sub" / "multiblock.bin").write_bytes(MULTIBLOCK)
    (files / "sub" / "a b%.txt").write_text("a spaced name\n")
    zone = DnsZone(ttl=120)
    with doh_server(zone) as doh:
        kubo = KuboRepo.create(root / "kubo")
        kubo.set_config("DNS.Resolvers", {".": doh})
        with kubo.start():
            def ipfs(*args: str | Path, data: bytes | None = None) -> str:
                return kubo.ipfs(*args, input=data).stdout.decode().strip()

            ids = {"site": ipfs("add", "-r", "-Q", "--cid-version", "1", "--chunker", "size-512", files),
                   "site0": ipfs("add", "-r", "-Q", files),
                   "cbor": ipfs("dag", "put", data=b'{"hello": "cbor"}'),
                   "sha512": ipfs("block", "put", "--cid-codec", "raw", "--mhtype", "sha2-512", data=b"long hash\n")}
            ids["long"] = str(CID.build(0x55, bytes([0, len(LONG_DATA)]) + LONG_DATA))
            ids["long36"] = CID.parse(ids["long"]).encode("base36")
            published = ipfs("name", "publish", "--allow-offline", "-Q", f"/ipfs/{ids['site']}/sub")
            ids["name"] = published.removeprefix("/ipns/")
            ids["peer"] = b58encode(IpnsName.parse(ids["name"]).multihash)
            zone.records.update({"_dnslink.site.test": [(f"dnslink=/ipfs/{ids['site']}",)],
                                 "_dnslink.my-site.test": [(f"dnslink=/ipfs/{ids['site']}/sub",)]})
            home = root / "home"
            home.mkdir()
            (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{doh}"\n', encoding="utf-8")
            with Runtime(home, default_set=False) as runtime:
                copy_dags(kubo, runtime.store, [ids[key] for key in ("site", "site0", "cbor")], root)
                runtime.store.put(CID.parse(ids["sha512"]), b"long hash\n")
            resolved = run_cli(home, "name", "resolve", ids["name"], "--gateway", kubo.gateway_url).stdout.decode()
            assert resolved == f"/ipfs/{ids['site']}/sub\n"  # the record is kept in the home
            with ServeProcess(home, root) as ours:
                yield GatewaySides(kubo.gateway_url, ours.url, ids)


def _fetch(world: GatewaySides, base: str, host: str, path: str, headers: dict[str, str], method: str) -> CheckedReply:
    return fetch_checked(base, path.format(**world.ids), {"Host": host.format(**world.ids), **headers}, method)


def _compare(world: GatewaySides, host: str, path: str, headers: dict[str, str] | None = None, method: str = "GET",
             body: bool = True) -> tuple[CheckedReply, CheckedReply]:
    """The same request to both gateways; asserts the same status and ``COMPARED`` headers,
    and (``body``) the same body for an answer below 400, or one this server copies."""
    kubo = _fetch(world, world.kubo_url, host, path, headers or {}, method)
    ours = _fetch(world, world.ours_url, host, path, headers or {}, method)
    where = (host, path, headers, method)
    assert ours.status == kubo.status, (where, kubo.status, kubo.body, ours.status, ours.body)
    listing = kubo.headers.get("etag", "").startswith('"DirIndex-')
    for name in COMPARED:
        if name == "etag" and listing:  # a listing's template hash (the page is this server's own)
            assert ours.headers.get(name, "").startswith('"DirIndex-autocodec_CID-'), where
            continue
        if name == "content-type" and listing:  # docs/gateway.md: Kubo's page says no charset
            assert ours.headers.get(name, "").startswith("text/html"), where
            continue
        theirs, mine = kubo.headers.get(name), ours.headers.get(name)
        if name == "cache-control" and theirs and "immutable" not in theirs:  # a TTL left: its form
            theirs, mine = re.sub(r"\d+", "N", theirs), re.sub(r"\d+", "N", mine or "")
        assert mine == theirs, (where, name, theirs, mine)
    if listing:  # the same names, each linked inside the origin
        assert re.findall(rb'href="[^"]*/note.txt"', ours.body or b""), ours.body
    elif body and kubo.status < 400:
        assert ours.body == kubo.body, (where, kubo.body[:300] if kubo.body else None,
                                        ours.body[:300] if ours.body else None)
    return kubo, ours


# --- the bare host: content paths move to their subdomain (hostname.go's toSubdomainURL) -------

BARE_CASES = [
    (HOST, "/ipfs/{site}", {}, "GET"),
    (HOST, "/ipfs/{site}/sub/note.txt?x=1&y=%20", {}, "GET"),
    (HOST, "/ipfs/{site}?format=raw", {}, "GET"),  # trustless requests move too, as in Kubo
    (HOST, "/ipfs/{site}?format=car", {}, "GET"),
    (HOST, "/ipfs/{site}/sub", {"Accept": "application/vnd.ipld.car"}, "GET"),
    (HOST, "/ipfs/{site0}/sub", {}, "GET"),  # a CIDv0: CIDv1 in base32
    (HOST, "/ipfs/{long}/a?b=1", {}, "GET"),  # 64 characters: base36
    (HOST, "/ipfs/{long36}", {}, "GET"),
    (HOST, "/ipfs/{sha512}", {}, "GET"),  # too long in base36 too: Kubo's 400
    (HOST, "/ipfs/{cbor}", {}, "GET"),
    (HOST, "/ipfs/{site}/%C4%85%ff/a%2Fb?q=%C4", {}, "GET"),
    (HOST, "/ipfs/{site}/a'b\"c<d>", {}, "GET"),
    (HOST, "/ipfs/{site}", {}, "HEAD"),
    (HOST, "/ipfs/{site}", {}, "OPTIONS"),
    (HOST, "/ipfs/{site}", {}, "POST"),
    (HOST, "/ipfs//{site}/sub", {}, "GET"),  # Go's server cleans the path first: 307
    (HOST, "/ipfs", {}, "GET"),
    (HOST, "/ipns/{name}/note.txt", {}, "GET"),  # an IPNS key: libp2p-key in base36
    (HOST, "/ipns/{peer}", {}, "GET"),  # a peer ID: its CID
    (HOST, "/p2p/{peer}/x", {}, "GET"),
    (HOST, "/ipns/site.test/sub/", {}, "GET"),  # a domain as it is, over plain HTTP
    (HOST, "/ipns/site.test/sub/", {"X-Forwarded-Proto": "https"}, "GET"),  # inlined, https
    (HOST, "/ipns/my-site.test/", {"X-Forwarded-Proto": "https"}, "GET"),
    (HOST, "/ipns/site-test/x", {}, "GET"),  # an inlined name whose domain has a DNSLink: un-inlined
    (HOST, "/ipns/missing-test/x", {}, "GET"),
    (HOST, "/ipns/a%20b/", {}, "GET"),  # no host name: Kubo's 400
    ("localhost", "/ipfs/{site}/sub", {}, "GET"),
    ("127.0.0.1:8080", "/ipfs/{site}/sub/note.txt", {}, "GET"),  # an IP is no gateway name: the path gateway
    ("LOCALHOST:8080", "/ipfs/{site}/sub/note.txt", {}, "GET"),  # names compared as sent, as Kubo's map
]


@pytest.mark.slow
@pytest.mark.parametrize(("host", "path", "headers", "method"), BARE_CASES)
def test_content_paths_on_localhost_move_to_their_subdomain_as_in_kubo(world: GatewaySides, host: str, path: str,
                                                                       headers: dict[str, str], method: str) -> None:
    kubo, _ours = _compare(world, host, path, headers, method)
    if path.startswith("/ipfs/{site}/sub/note") and host == HOST:
        assert kubo.status == 301  # the case is a redirect, not an accident of the content


# --- content origins: {root}.{ns}.localhost -----------------------------------------------------

SUB = "{site}.ipfs." + HOST
ORIGIN_CASES = [
    (SUB, "/", {}, "GET"), (SUB, "/", {}, "HEAD"), (SUB, "/index.html", {}, "GET"), (SUB, "/page.html", {}, "GET"),
    (SUB, "/sub", {}, "GET"), (SUB, "/sub?x=1", {}, "GET"), (SUB, "/sub/", {}, "GET"),
    (SUB, "/sub/note.txt", {}, "GET"), (SUB, "/sub/note.txt?format=raw", {}, "GET"),
    (SUB, "/sub/note.txt", {"Accept": "application/vnd.ipld.raw"}, "GET"),
    (SUB, "/sub/multiblock.bin", {"Range": "bytes=500-1100"}, "GET"),
    (SUB, "/sub/note.txt", {"If-None-Match": '"{note}"'}, "GET"),
    (SUB, "/sub/a%20b%25.txt?filename=x.txt&download=true", {}, "GET"),
    (SUB, "/sub/note.txt?format=tar", {}, "GET"),
    (SUB, "/nope", {}, "GET"), (SUB, "/sub//note.txt", {}, "GET"), (SUB, "/sub/%zz", {}, "GET"),
    (SUB, "/ipfs/{site}/sub/note.txt", {}, "GET"),  # a path inside the content, nothing else
    (SUB, "/explore/", {}, "GET"), (SUB, "/healthz", {}, "GET"), (SUB, "/ipvm/executor", {}, "GET"),
    (SUB, "/admin/refresh", {}, "POST"), (SUB, "/sub/note.txt", {}, "PUT"), (SUB, "/sub/note.txt", {}, "OPTIONS"),
    ("{site}.ipfs.localhost:9999", "/sub/note.txt", {}, "GET"),
    ("{site0}.ipfs." + HOST, "/sub/note.txt", {}, "GET"),  # a CIDv0 label: served, as in Kubo
    ("{cbor}.ipfs." + HOST, "/", {}, "GET"),
    ("{long}.ipfs." + HOST, "/a?b=1", {}, "GET"),  # past 63 characters: 301 to base36
    ("{long36}.ipfs." + HOST, "/", {}, "GET"),
    ("{sha512}.ipfs." + HOST, "/", {}, "GET"),  # no label fits: 400
    ("{site}.ipns." + HOST, "/", {}, "GET"),  # a CID of another codec under /ipns/: libp2p-key
    ("{site}.ipld." + HOST, "/", {}, "GET"), ("{site}.p2p." + HOST, "/", {}, "GET"),
    ("{name}.p2p." + HOST, "/", {}, "GET"),
    ("{name}.ipns." + HOST, "/note.txt", {}, "GET"), ("{name}.ipns." + HOST, "/", {}, "GET"),
    ("site.test.ipns." + HOST, "/sub/note.txt", {}, "GET"), ("site.test.ipns." + HOST, "/sub", {}, "GET"),
    ("site-test.ipns." + HOST, "/sub/note.txt", {}, "GET"),  # an inlined DNSLink name
    ("my--site-test.ipns." + HOST, "/note.txt", {}, "GET"),
    ("missing-test.ipns." + HOST, "/", {}, "GET"),
    ("notacid.ipfs." + HOST, "/", {}, "GET"), ("x.{site}.ipfs." + HOST, "/", {}, "GET"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("host", "path", "headers", "method"), ORIGIN_CASES)
def test_a_content_origin_answers_as_kubos(world: GatewaySides, host: str, path: str, headers: dict[str, str],
                                           method: str) -> None:
    if "{note}" in str(headers):
        etag = fetch_checked(world.kubo_url, "/ipfs/{site}/sub/note.txt".format(**world.ids)).headers["etag"]
        headers = {"If-None-Match": etag}
    tar = "format=tar" in path
    kubo, ours = _compare(world, host, path, headers, method, body=not tar)
    if tar:  # TAR members (Kubo writes the time of the request as a member's mtime)
        assert kubo.status == 200 and tar_members(ours.body or b"") == tar_members(kubo.body or b"")


@pytest.mark.slow
def test_a_car_from_a_content_origin_has_kubos_blocks(world: GatewaySides) -> None:
    kubo, ours = _compare(world, SUB, "/sub?format=car&dag-scope=all", body=False)
    assert kubo.status == 200 and car_blocks(ours.body or b"") == car_blocks(kubo.body or b"")


@pytest.mark.slow
def test_cors_headers_on_a_content_origin_are_kubos(world: GatewaySides) -> None:
    headers = {"Host": SUB.format(**world.ids)}
    same_cors(cors_values(world.kubo_url, "GET", "/sub/note.txt", headers),
              cors_values(world.ours_url, "GET", "/sub/note.txt", headers))


# --- in-process: what Kubo cannot show ----------------------------------------------------------

@dataclass
class App:
    """``autocodec serve``'s application over a home holding one HTML page and one folder."""

    runtime: object
    page: str  # an HTML file whose script calls the admin route
    tree: str  # a folder: sub/a b.txt

    def call(self, host: str, path: str, method: str = "GET",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        from aiohttp.test_utils import TestClient, TestServer

        from autocodec.serve import make_app

        async def go() -> tuple[int, dict[str, str], bytes]:
            async with TestClient(TestServer(make_app(self.runtime, workers=2))) as client:  # type: ignore[arg-type]
                resp = await client.request(method, path.format(page=self.page, tree=self.tree), allow_redirects=False,
                                            headers={"Host": host.format(page=self.page, tree=self.tree),
                                                     **(headers or {})})
                return resp.status, dict(resp.headers), await resp.read()

        return asyncio.run(go())


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    from autocodec.registry import Runtime
    from autocodec.unixfs import AddOptions, add_bytes, add_path

    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a b.txt").write_text("x\n")
    with Runtime(tmp_path / "home", default_set=False) as runtime:
        page = add_bytes(runtime.store, b"<script>fetch_checked('/admin/refresh', {method: 'POST'})</script>",
                         AddOptions(cid_version=1))
        folder = add_path(runtime.store, tree, AddOptions(cid_version=1), recursive=True)[-1].cid
        yield App(runtime, str(page), str(folder))


KEPT_NAME = CID.build(0x72, b"\x00\x24" + bytes(36)).encode("base36")  # a valid IPNS name no home holds
BARE_ONLY = [("GET", "/explore/"), ("GET", "/explore-static/explorer.css"), ("GET", "/healthz"), ("GET", "/metrics"),
             ("GET", "/ipvm/executor"), ("GET", "/decode/{page}"), ("GET", "/resolve/codec/raw"),
             ("POST", "/admin/refresh")]


@pytest.mark.parametrize(("method", "path"), BARE_ONLY)
def test_a_content_origin_reaches_no_route_of_the_bare_host(app: App, method: str, path: str) -> None:
    """``{cid}.ipfs.localhost`` (and ``/ipns/`` names) reach the gateway only: the explorer,
    metrics, ``/ipvm/`` and ``/admin`` answer on the bare host and are content paths on a
    content origin (404: the page has no such file; a 405 for a POST), so a page from the
    store cannot read or post to them from its own origin. A forged ``X-Forwarded-Host``
    changes nothing (Kubo reads it; this server does not)."""
    bare = app.call("localhost:8080", path, method)
    assert bare[0] not in (404, 405), (path, bare[0])
    for host, extra in (("{page}.ipfs.localhost:8080", {}), ("{page}.ipfs.localhost", {}),
                        ("{page}.ipfs.localhost:8080", {"X-Forwarded-Host": "localhost:8080"}),
                        (f"{KEPT_NAME}.ipns.localhost:8080", {"Origin": "http://localhost:8080"})):
        status, headers, _body = app.call(host, path, method, extra)
        want = 405 if method == "POST" else 404 if ".ipfs." in host else 501  # 501: a name this home holds no record of
        assert status == want, (host, path, status)
        assert "Content-Security-Policy" not in headers  # a content answer, not an explorer page


def test_the_bare_host_moves_content_and_keeps_its_own_routes(app: App) -> None:
    status, headers, _ = app.call("localhost:8080", "/ipfs/{page}?format=raw")
    assert (status, headers["Location"]) == (301, f"http://{app.page}.ipfs.localhost:8080/?format=raw")
    status, headers, body = app.call("{page}.ipfs.localhost:8080", "/")
    assert status == 200 and body.startswith(b"<script>") and headers["Access-Control-Allow-Origin"] == "*"
    assert app.call("127.0.0.1:8080", "/ipfs/{page}")[0] == 200  # an IP is no gateway name: no redirect
    assert app.call("localhost:8080", "/explore/")[0] == 200


def test_a_listing_on_a_content_origin_links_inside_it_and_to_the_explorer_on_the_bare_host(app: App) -> None:
    status, headers, body = app.call("{tree}.ipfs.localhost:8080", "/sub/")
    assert status == 200
    hrefs = re.findall(r'href="([^"]*)"', body.decode())
    assert "/sub/a%20b.txt" in hrefs and "/" in hrefs, hrefs
    assert not [h for h in hrefs if h.startswith(("/ipfs/", "/explore"))], hrefs
    assert [h for h in hrefs if h.startswith("http://localhost:8080/explore/bafy")], hrefs
    assert "style-src 'self' http://localhost:8080;" in headers["Content-Security-Policy"]
    status, headers, body = app.call("{tree}.ipfs.localhost:8080", "/sub")
    assert (status, headers["Location"]) == (301, "/sub/") and b'href="/sub/"' in body


@pytest.mark.parametrize(("host", "expected"), [
    ("localhost", None), ("localhost:8080", None), ("ipfs.localhost:8080", None),
    ("bafy.ipfs.localhost:8080", ("localhost:8080", "ipfs", "bafy")),
    ("bafy.ipfs.localhost", ("localhost", "ipfs", "bafy")),
    ("a.b.ipns.localhost:1", ("localhost:1", "ipns", "a.b")),
    ("bafy.other.localhost", None), ("bafy.ipfs.LOCALHOST", None), ("bafy.ipfs.example.com", None),
    ("x.ipfs.localhost.ipns.localhost", ("localhost", "ipns", "x.ipfs.localhost")),
])
def test_hosts_are_read_as_boxo_reads_them(host: str, expected: tuple[str, str, str] | None) -> None:
    from autocodec.serve._subdomain import subdomain_of

    found = subdomain_of(host)
    assert (None if found is None else (found.gateway, found.ns, found.root)) == expected


def test_dnslink_names_are_inlined_and_uninlined_as_the_spec_says() -> None:
    from autocodec.serve._subdomain import LabelError, inline_dnslink, uninline_dnslink

    assert inline_dnslink("my.v-long.example.com") == "my-v--long-example-com"
    assert uninline_dnslink("my-v--long-example-com") == "my.v-long.example.com"
    assert uninline_dnslink(inline_dnslink("a--b.c-d.e")) == "a--b.c-d.e"
    with pytest.raises(LabelError, match="63"):
        inline_dnslink("a." * 40 + "com")
