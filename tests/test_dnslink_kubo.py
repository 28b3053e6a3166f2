"""DNSLink next to Kubo v0.43.1: the same domains, the same DNS server, the same answers.

One DNS-over-HTTPS server on loopback (``tests/_dns_server.py``, dnspython) holds a zone of
``_dnslink`` TXT records; a throw-away Kubo (offline) has it as its only resolver
(``DNS.Resolvers {".": URL}``) and so does the autocodec home (``[dns.resolvers]``). Compared:
- ``autocodec name resolve DOMAIN`` with ``ipfs name resolve DOMAIN`` (and ``--recursive=false``)
  over every form of TXT value boxo reads or ignores (paths, bare CIDs, ``dnslink=`` values,
  paths to clean, other namespaces, several strings in one record, several records, none): the
  same stdout, both succeed or both fail;
- content under a domain (``cat``, ``ls``, ``dag resolve`` of ``/ipns/DOMAIN/...``, a domain
  pointing at a domain, at an IPNS name, at a path under either) read through Kubo's gateway:
  the bytes and lines Kubo gives for the same paths;
- ``autocodec serve`` answering ``/ipns/DOMAIN/...`` as Kubo's gateway does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests._cli import run_cli
from tests._dns_server import DnsZone, doh_server
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

RAW = "bafkqaaa"  # the empty raw block (identity): every side holds it


@dataclass
class World:
    kubo: KuboRepo
    zone: DnsZone
    doh: str
    site: str  # a UnixFS directory: index.html, sub/note.txt
    name: str  # Kubo's own IPNS name (k51...), pointing at site/sub

    def home(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.toml").write_text(f'[dns.resolvers]\n"." = "{self.doh}"\n', encoding="utf-8")
        return path

    def kubo_text(self, *args: str) -> tuple[int, str]:
        proc = self.kubo.ipfs(*args, check=False)
        return proc.returncode, proc.stdout.decode()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_kubo()
    root = tmp_path_factory.mktemp("dnslink")
    files = root / "site"
    (files / "sub").mkdir(parents=True)
    (files / "index.html").write_text("<p>hello from a DNSLink site</p>\n")
    (files / "sub" / "note.txt").write_text("a note under a domain\n")
    zone = DnsZone(ttl=120)
    with doh_server(zone) as doh:
        kubo = KuboRepo.create(root / "kubo")
        kubo.set_config("DNS.Resolvers", {".": doh})
        with kubo.start():
            site = kubo.ipfs("add", "-r", "-Q", "--cid-version", "1", files).stdout.decode().strip()
            published = kubo.ipfs("name", "publish", "--allow-offline", "-Q", f"/ipfs/{site}/sub")
            name = published.stdout.decode().strip().removeprefix("/ipns/")
            zone.records.update({
                "_dnslink.site.test": [(f"dnslink=/ipfs/{site}",), ("google-site-verification=x",)],
                "_dnslink.alias.test": [("dnslink=/ipns/site.test/sub",)],
                "_dnslink.twice.test": [("dnslink=/ipns/alias.test",)],
                "_dnslink.named.test": [(f"dnslink=/ipns/{name}",)],
                "_dnslink.bare.test": [(site,)],
                "_dnslink.pathonly.test": [(f"/ipfs/{site}/sub/../sub/",)],
                "_dnslink.legacy.test": [(f"dnslink={site}",)],
                "_dnslink.ipld.test": [(f"dnslink=/ipld/{site}",)],
                "_dnslink.split.test": [("dnslink=/ipfs/", site)],  # the second string alone is a bare CID
                "_dnslink.halves.test": [(f"dnslink=/ipfs/{site[:30]}", site[30:])],  # no half is a value
                "_dnslink.many.test": [(f"dnslink=/ipfs/{site}",), (f"dnslink=/ipfs/{RAW}",)],
                "_dnslink.junk.test": [("dnslink=/ipfs/not-a-cid",), ("dnslink=",), ("v=spf1 -all",)],
                "_dnslink.loop.test": [("dnslink=/ipns/loop.test",)],
                "_dnslink.deep.test": [("dnslink=/ipns/site.test/sub/note.txt",)],
                # go-cid reads no whitespace around a CID: a trailing space or tab leaves no value
                "_dnslink.trail.test": [(f"dnslink=/ipfs/{site} ",)],
                "_dnslink.tab.test": [(f"dnslink=/ipfs/{site}\t",), ("dnslink=/ipns/alias.test",)],
                "_dnslink.trailbare.test": [(f"{site} ",)],
                "_dnslink.same.test": [(f"dnslink=/ipfs/{site}",), (f"dnslink=/ipfs/{site}",)],  # two, though alike
                "_dnslink.cased.test": [(f"DNSLink=/ipfs/{site}",), (f" dnslink=/ipfs/{RAW}",),
                                        (f"dnslink= /ipfs/{RAW}",), ("dnslink=/ipns/alias.test",)],
                "bareonly.test": [(f"dnslink=/ipfs/{site}",)],  # only _dnslink.DOMAIN is asked
                "_dnslink.broken.test": [("dnslink=/ipns/missing.test/sub",)],  # a domain on the way has none
                "_dnslink.ping.test": [("dnslink=/ipns/pong.test/a",)],  # a loop of two, each with a path
                "_dnslink.pong.test": [("dnslink=/ipns/ping.test/b",)],
                "_dnslink.toloop.test": [("dnslink=/ipns/loop.test/x",)],
                "_dnslink.tobad.test": [("dnslink=/ipns/bad..test",)],  # neither a domain nor an IPNS name
                "_dnslink.tolong.test": [(f"dnslink=/ipns/{'a' * 64}.test",)],  # a label over 63 octets
                "_dnslink.slashed.test": [(f"dnslink=/ipfs/{site}/",)],  # values naming a folder with its slash
                "_dnslink.subslashed.test": [(f"dnslink=/ipfs/{site}/sub/",)],
                "_dnslink.viaslashed.test": [("dnslink=/ipns/slashed.test/",)],
                "_dnslink.fileslashed.test": [(f"dnslink=/ipfs/{site}/sub/note.txt/",)],
            })
            yield World(kubo, zone, doh, site, name)


DOMAINS = ["site.test", "alias.test", "twice.test", "bare.test", "pathonly.test", "legacy.test", "ipld.test",
           "split.test", "halves.test", "many.test", "junk.test", "missing.test", "/ipns/site.test", "deep.test", "named.test",
           "localhost", "bad..test", "trail.test", "tab.test", "trailbare.test", "same.test", "cased.test",
           "bareonly.test"]


@pytest.mark.parametrize("recursive", ["true", "false"])
def test_name_resolve_of_a_domain_answers_as_kubos(world: World, tmp_path: Path, recursive: str) -> None:
    home = world.home(tmp_path / "home")
    for domain in DOMAINS:
        want_rc, want = world.kubo_text("name", "resolve", f"--recursive={recursive}", domain)
        proc = run_cli(home, "name", "resolve", f"--recursive={recursive}", domain, "--node",
                       world.kubo.api_multiaddr, check=False)
        assert (proc.returncode == 0, proc.stdout.decode()) == (want_rc == 0, want), (domain, proc.stderr)
        if proc.returncode:
            message = proc.stderr.decode()
            assert message.startswith("autocodec: ") and message.count("\n") == 1, message  # one typed line


def test_a_loop_of_domains_fails_as_kubos_does(world: World, tmp_path: Path) -> None:
    want_rc, _ = world.kubo_text("name", "resolve", "loop.test")
    proc = run_cli(world.home(tmp_path / "home"), "name", "resolve", "loop.test", check=False)
    assert want_rc != 0 and proc.returncode != 0
    assert "more than 32 names" in proc.stderr.decode()


@pytest.mark.parametrize("path", ["/ipns/site.test/index.html", "/ipns/alias.test/note.txt",
                                  "/ipns/twice.test/note.txt", "/ipns/named.test/note.txt", "/ipns/deep.test",
                                  "/ipns/pathonly.test/note.txt"])
def test_cat_under_a_domain_gives_kubos_bytes(world: World, tmp_path: Path, path: str) -> None:
    want = world.kubo.ipfs("cat", path).stdout
    got = run_cli(world.home(tmp_path / "home"), "cat", path, "--gateway", world.kubo.gateway_url).stdout
    assert got == want


@pytest.mark.parametrize("path", ["/ipns/site.test", "/ipns/alias.test", "/ipns/site.test/sub"])
def test_ls_and_dag_resolve_under_a_domain_answer_as_kubos(world: World, tmp_path: Path, path: str) -> None:
    home = world.home(tmp_path / "home")
    assert run_cli(home, "ls", path, "--gateway", world.kubo.gateway_url).stdout == world.kubo.ipfs("ls", path).stdout
    want = world.kubo.ipfs("dag", "resolve", path).stdout
    assert run_cli(home, "dag", "resolve", path, "--gateway", world.kubo.gateway_url).stdout == want


def test_each_domain_is_asked_once_per_ttl_in_a_process(world: World, tmp_path: Path) -> None:
    """``twice.test`` -> ``alias.test`` -> ``site.test``: three questions, then the cache."""
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.registry._dnslink import DnsLinks

    links = DnsLinks({".": world.doh}, DEFAULT_LIMITS.fetch)
    before = len(world.zone.queries)
    for _ in range(3):
        assert links.lookup("site.test").value == f"/ipfs/{world.site}"
        assert 118 <= links.lookup("alias.test").ttl_s <= 120  # the time left of the TTL
    assert world.zone.queries[before:] == ["_dnslink.site.test", "_dnslink.alias.test"]


def test_serve_answers_under_a_domain_as_kubos_gateway_does(world: World, tmp_path: Path) -> None:
    from tests._serve_proc import ServeProcess
    from tests._gateway_http import fetch_checked

    home = world.home(tmp_path / "home")  # its blocks come from Kubo's gateway on demand
    with ServeProcess(home, tmp_path, "--gateway", world.kubo.gateway_url) as ours:
        for path, headers in (("/ipns/site.test/index.html", {}), ("/ipns/alias.test/note.txt", {}),
                              ("/ipns/site.test/sub/", {}), ("/ipns/twice.test/note.txt?format=raw", {}),
                              ("/ipns/missing.test/", {}), ("/ipns/many.test/", {}),
                              ("/ipns/site.test/?format=tar", {}), ("/ipns/site.test/", {}),
                              ("/ipns/site.test/index.html", {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
                              ("/ipns/site.test/index.html", {"If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"}),
                              ("/ipns/site.test/sub/note.txt?format=raw", {"If-None-Match": "*"})):
            kubo, mine = fetch_checked(world.kubo.gateway_url, path, headers), fetch_checked(ours.url, path, headers)
            assert mine.status == kubo.status, (path, headers, mine.status, mine.body[:200])
            # Last-Modified on mutable answers is when each side resolved the name (boxo): there or not alike
            assert ("last-modified" in mine.headers) == ("last-modified" in kubo.headers), (path, headers)
            if kubo.status == 200 and path.endswith("/sub/"):  # a listing: the page is our own (docs/gateway.md)
                assert b"note.txt" in mine.body and b"note.txt" in kubo.body
            elif kubo.status == 200 and "format=tar" not in path:
                assert mine.body == kubo.body, path
                for header in ("content-type", "etag", "x-ipfs-roots"):
                    assert mine.headers.get(header) == kubo.headers.get(header), (path, header)
                # max-age is the DNS answer's TTL left in each side's cache: the same form, within the TTL
                assert _ages(mine.headers["cache-control"]) <= world.zone.ttl, path
                assert _ages(kubo.headers["cache-control"]) <= world.zone.ttl, path
                assert re.sub(r"\d+", "N", mine.headers["cache-control"]) == re.sub(
                    r"\d+", "N", kubo.headers["cache-control"]), path


def _ages(cache_control: str) -> int:
    return int(re.search(r"max-age=(\d+)", cache_control).group(1))  # type: ignore[union-attr]


HOSTED = [("site.test", "/"), ("site.test", "/index.html"), ("site.test", "/sub/note.txt"), ("site.test", "/sub"),
          ("SITE.test:8080", "/sub/note.txt?format=raw"), ("alias.test", "/note.txt"), ("site.test", "/nope"),
          ("site.test", "/ipfs/{site}/index.html"), ("missing.test", "/ipfs/{site}/index.html"),
          ("missing.test", "/"), ("site.test", "/sub//note.txt")]


def test_serve_hosts_dnslink_sites_by_host_as_kubos_gateway_does(world: World, tmp_path: Path) -> None:
    """``Host: site.test`` reads every path inside the site (Kubo's Gateway.NoDNSLink false);
    a host without a DNSLink is the path gateway as before."""
    from tests._serve_proc import ServeProcess
    from tests._gateway_http import fetch_checked

    home = world.home(tmp_path / "home")
    with ServeProcess(home, tmp_path, "--gateway", world.kubo.gateway_url) as ours:
        for host, path in HOSTED:
            path = path.format(site=world.site)
            kubo = fetch_checked(world.kubo.gateway_url, path, {"Host": host})
            mine = fetch_checked(ours.url, path, {"Host": host})
            assert mine.status == kubo.status, (host, path, mine.status, mine.body[:200])
            for header in ("content-type", "etag", "x-ipfs-roots", "location"):
                if kubo.status < 400:
                    assert mine.headers.get(header) == kubo.headers.get(header), (host, path, header)
            if kubo.status == 200:
                assert mine.body == kubo.body, (host, path)
                assert re.sub(r"\d+", "N", mine.headers["cache-control"]) == re.sub(
                    r"\d+", "N", kubo.headers["cache-control"]), (host, path)
    with ServeProcess(home, tmp_path, "--gateway", world.kubo.gateway_url, "--no-dnslink") as off:
        assert fetch_checked(off.url, "/sub/note.txt", {"Host": "site.test"}).status == 404
        assert fetch_checked(off.url, f"/ipfs/{world.site}/index.html", {"Host": "site.test"}).status == 200


FAILED_LOOKUPS = ["/ipns/missing.test/x", "/ipns/missing.test", "/ipns/junk.test/b%20c/", "/ipns/many.test/",
                  "/ipns/halves.test/x?format=raw", "/ipns/MISSING.test/x", "/ipns/broken.test/x", "/ipns/trail.test/%C4%85",
                  "/ipns/more%20than%20one.test/x"]  # none, though the registry's message says "more than one"


def test_a_failed_dnslink_lookup_says_what_kubo_says(world: World, tmp_path: Path) -> None:
    """A domain with no usable DNSLink (no TXT record naming content, more than one, or one on
    the way) is Kubo's 500 in Kubo's words: ``failed to resolve PATH: DNSLink lookup for
    "DOMAIN." failed: could not resolve name: WHY``, PATH the path asked for, cleaned, DOMAIN
    the one that failed. The words were this server's own; on a DNSLink host too."""
    from tests._serve_proc import ServeProcess
    from tests._gateway_http import fetch_checked

    home = world.home(tmp_path / "home")
    with ServeProcess(home, tmp_path, "--gateway", world.kubo.gateway_url) as ours:
        for path in FAILED_LOOKUPS:
            kubo, mine = fetch_checked(world.kubo.gateway_url, path), fetch_checked(ours.url, path)
            assert (mine.status, mine.body) == (kubo.status, kubo.body), (path, kubo.body, mine.body)
            assert kubo.status == 500 and b"DNSLink lookup for" in kubo.body, kubo.body


SLASHED = [("", "/ipns/slashed.test"), ("", "/ipns/subslashed.test"), ("", "/ipns/subslashed.test?a=b%20c"),
           ("", "/ipns/viaslashed.test"), ("", "/ipns/fileslashed.test"), ("", "/ipns/fileslashed.test/"),
           ("", "/ipns/slashed.test/sub"), ("", "/ipns/slashed.test/"), ("subslashed.test", "/"),
           ("subslashed.test", ""), ("slashed.test", "/sub"), ("fileslashed.test", "/")]


def _both_answers(world: World, tmp_path: Path, cases: list[tuple[str, str]], method: str) -> Iterator[tuple[str, str, Any, Any]]:
    """``(host, path, Kubo's answer, ours)`` for each ``(host, path)`` asked of both gateways
    (``host`` empty: no Host header), ours a fresh ``serve`` over the world's home."""
    from tests._serve_proc import ServeProcess
    from tests._gateway_http import fetch_checked

    home = world.home(tmp_path / "home")
    with ServeProcess(home, tmp_path, "--gateway", world.kubo.gateway_url) as ours:
        for host, path in cases:
            headers = {"Host": host} if host else {}
            yield host, path, fetch_checked(world.kubo.gateway_url, path, headers, method), fetch_checked(ours.url, path, headers, method)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_folder_named_with_its_slash_is_redirected_as_kubo_does(world: World, tmp_path: Path, method: str) -> None:
    """``/ipns/D`` with no slash after it, D's DNSLink value naming a folder and ending in
    ``/``: Kubo's 301 to ``/ipns/D/`` (the request's slash counts, not the value's), which the
    listing's relative links need; the same under a sub-path, through a domain, and on a
    DNSLink host. This server served the folder with a 200."""
    for host, path, kubo, mine in _both_answers(world, tmp_path, SLASHED, method):
        assert (mine.status, mine.headers.get("location")) == (kubo.status, kubo.headers.get("location")), (
            host, path, mine.status, (mine.body or b"")[:200])
        if not (kubo.body or b"").startswith(b"<!DOCTYPE"):  # a listing is our own page (docs/gateway.md)
            assert mine.body == kubo.body, (host, path)


UNRESOLVABLE = [("", "/ipns/loop.test"), ("", "/ipns/loop.test/x/%C4%85"), ("", "/ipns/ping.test/q?format=raw"),
                ("", "/ipns/toloop.test/"), ("loop.test", "/x"), ("", "/ipns/bad..test"), ("", "/ipns/BAD..Test/x"),
                ("", f"/ipns/{'a' * 64}.test"), ("", "/ipns/.test"), ("", "/ipns/bad%2e.t%FFest/"),
                ("", "/ipns/tobad.test/x"), ("", "/ipns/tolong.test"), ("tobad.test", "/")]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_name_that_cannot_be_resolved_is_kubos_500(world: World, tmp_path: Path, method: str) -> None:
    """Names that loop (a domain whose DNSLink leads back to it, through others or paths) and
    names that are neither IPNS names nor domains (an empty label, one over 63 octets), asked
    for or met on the way: Kubo's 500, ``failed to resolve PATH: could not resolve name
    (recursion limit exceeded)`` or ``...: cannot resolve: "/ipns/NAME"``. They were 400s."""
    for host, path, kubo, mine in _both_answers(world, tmp_path, UNRESOLVABLE, method):
        assert (mine.status, mine.body) == (kubo.status, kubo.body), (host, path)
        assert kubo.status == 500
