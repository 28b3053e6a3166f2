"""``autocodec serve --offline`` beside Kubo 0.43.1's ``ipfs daemon --offline`` gateway, over
the same blocks: requests that need the network or miss data get Kubo's status, and Kubo's
words where the text is Kubo's own.

The blocks: a UnixFS folder (``index.html``, ``sub/note.txt``, a 1 MiB ``big.bin`` of four
chunks) added to Kubo unpinned and exported as a CAR, which the home imports; then ``sub``'s
block and ``big.bin``'s second chunk are removed from both. Kubo's DNS resolver is a loopback
DoH server that knows no name (NXDOMAIN for each: what Kubo 0.43.1 says then is what it says
with no reachable resolver at all, measured with this machine's unreachable system resolver;
a DoH URL where nothing listens instead puts Go's dial error in the text). The home's
``config.toml`` names a live loopback DoH server that holds ``site.test``'s DNSLink, which
``--offline`` must not ask.

Measured (curl against both; docs/gateway.md, "serve --offline"): Kubo answers
``/ipns/DOMAIN`` 500 ``failed to resolve PATH: DNSLink lookup for "DOMAIN." failed: could not
resolve name: DNSLink lookup could not find a TXT record (...)``, a name with no record 500
``... could not resolve name`` (its record: 500 ``routing: not found``), a missing root 404
``failed to resolve PATH: block was not found locally (offline): ... (phase: path resolution)``,
and a DNSLink ``Host`` goes to the path gateway (``/``: 404 ``404 page not found``). Before,
``serve --offline`` answered the first 502 (``offline: a DNS resolver ... was not asked``), the
names 501 and 404, and a ``Host`` header an unhandled 500.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests._dns_server import DnsZone, doh_server
from tests._kubo import KuboRepo, require_kubo
from tests._serve_proc import ServeProcess

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

MISSING_RAW = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
MISSING_PB = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


@dataclass
class World:
    kubo: KuboRepo
    home: Path
    zone: DnsZone
    site: str  # the folder's CID
    key: str  # an IPNS name (k51...) nobody holds a record of


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def ask(base: str, path: str, host: str | None = None, method: str = "GET", accept: str | None = None) -> Answer:
    """One request as curl sends it (``Host`` replaced when given)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    headers = {"Host": host or url.netloc, **({"Accept": accept} if accept else {})}
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        try:
            body = resp.read()
        except http.client.IncompleteRead as exc:  # a stream cut after the status
            body = exc.partial
        return Answer(resp.status, resp.getheader("Content-Type", ""), body)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_kubo()
    root = tmp_path_factory.mktemp("offline-gw")
    files = root / "site"
    (files / "sub").mkdir(parents=True)
    (files / "index.html").write_text("<p>hi</p>\n")
    (files / "sub" / "note.txt").write_text("note\n")
    (files / "big.bin").write_bytes(bytes(range(256)) * 4096)
    zone, empty = DnsZone(ttl=120), DnsZone()
    with doh_server(zone) as doh, doh_server(empty) as nothing:
        kubo = KuboRepo.create(root / "kubo")
        kubo.set_config("DNS.Resolvers", {".": nothing})  # it knows no DNSLink: NXDOMAIN for every name
        with kubo.start():
            site = kubo.ipfs("add", "-r", "-Q", "--pin=false", "--cid-version", "1", files).stdout.decode().strip()
            (root / "site.car").write_bytes(kubo.ipfs("dag", "export", site).stdout)
            chunk = json.loads(kubo.ipfs("dag", "get", f"{site}/big.bin").stdout)["Links"][1]["Hash"]["/"]
            sub = kubo.ipfs("resolve", f"/ipfs/{site}/sub").stdout.decode().strip().removeprefix("/ipfs/")
            kubo.ipfs("block", "rm", chunk, sub)
            key = kubo.ipfs("key", "gen", "--ipns-base=base36", "gone").stdout.decode().strip()
            kubo.ipfs("key", "rm", "gone")
            zone.records["_dnslink.site.test"] = [(f"dnslink=/ipfs/{site}",)]
            home = root / "home"
            run_cli(home, "init", "--no-default-set")
            (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{doh}"\n', encoding="utf-8")
            run_cli(home, "car", "import", str(root / "site.car"))
            run_cli(home, "block", "rm", chunk, sub)
            yield World(kubo, home, zone, site, key)


def battery(w: World, port: int) -> dict[str, tuple[str, str | None, str, str | None]]:
    """Case name -> (path, Host, method, Accept): requests that need the network or miss data."""
    local = f"localhost:{port}"
    return {
        "dnslink with TXT": ("/ipns/site.test/", None, "GET", None),
        "dnslink without TXT": ("/ipns/nolink.test/", None, "GET", None),
        "dnslink HEAD": ("/ipns/site.test/", None, "HEAD", None),
        "dnslink file": ("/ipns/site.test/index.html", None, "GET", None),
        "ipns name without record": (f"/ipns/{w.key}", None, "GET", None),
        "ipns name HEAD": (f"/ipns/{w.key}/", None, "HEAD", None),
        "ipns record without record": (f"/ipns/{w.key}?format=ipns-record", None, "GET", None),
        "raw cid missing": (f"/ipfs/{MISSING_RAW}", None, "GET", None),
        "raw cid missing ?format=raw": (f"/ipfs/{MISSING_RAW}?format=raw", None, "GET", None),
        "raw cid missing HEAD": (f"/ipfs/{MISSING_RAW}", None, "HEAD", None),
        "dag-pb cid missing": (f"/ipfs/{MISSING_PB}", None, "GET", None),
        "dag-pb cid missing ?format=raw": (f"/ipfs/{MISSING_PB}?format=raw", None, "GET", None),
        "dag-pb cid missing HEAD": (f"/ipfs/{MISSING_PB}", None, "HEAD", None),
        "child block missing": (f"/ipfs/{w.site}/sub/note.txt", None, "GET", None),
        "child block missing HEAD": (f"/ipfs/{w.site}/sub/note.txt", None, "HEAD", None),
        "held file": (f"/ipfs/{w.site}/index.html", None, "GET", None),
        "subdomain cid missing": ("/", f"{MISSING_PB}.ipfs.{local}", "GET", None),
        "subdomain ipns name without record": ("/", f"{w.key}.ipns.{local}", "GET", None),
        "subdomain dnslink": ("/", f"site-test.ipns.{local}", "GET", None),
        "host dnslink": ("/", "site.test", "GET", None),
        "host dnslink HEAD": ("/", "site.test", "HEAD", None),
        "host dnslink html": ("/", "site.test", "GET", "text/html"),
        "host dnslink file": ("/index.html", "site.test", "GET", None),
        "host dnslink /ipfs/": (f"/ipfs/{w.site}/index.html", "site.test", "GET", None),
    }


# Kubo's text differs by design here (docs/gateway.md, "serve --offline"): a block under the
# root is "no link named ..." in Kubo, the missing block's own words here.
OWN_WORDS = {"child block missing"}


def test_serve_offline_answers_as_kubos_offline_gateway(world: World, tmp_path: Path) -> None:
    kubo_port = int(world.kubo.gateway_url.rsplit(":", 1)[1])
    theirs = {name: ask(world.kubo.gateway_url, *case) for name, case in battery(world, kubo_port).items()}
    asked = len(world.zone.queries)
    with ServeProcess(world.home, tmp_path, "--offline") as srv:
        ours = {name: ask(srv.url, *case) for name, case in battery(world, srv.port).items()}
    assert len(world.zone.queries) == asked, "serve --offline asked the DNS resolver of config.toml"
    wrong = {}
    for name, want in theirs.items():
        got = ours[name]
        same = (got.status, got.content_type.split(";")[0]) == (want.status, want.content_type.split(";")[0])
        if name not in OWN_WORDS:
            same = same and got.body == want.body
        if not same:
            wrong[name] = (want, got)
    assert not wrong, "\n".join(f"{n}:\n  kubo {w}\n  ours {g}" for n, (w, g) in wrong.items())
    assert theirs["dnslink with TXT"].status == 500 and theirs["host dnslink"].status == 404  # the battery bites
    assert theirs["child block missing"].status == 404 and b"no link named" in theirs["child block missing"].body
    assert ours["child block missing"].body.startswith(b"block was not found locally (offline)")


def test_a_block_missing_before_the_status_is_a_404_here(world: World, tmp_path: Path) -> None:
    """The documented differences: where offline Kubo has sent a 200 before it meets the missing
    block (a CAR of a missing root, a file whose chunk is gone, its HEAD), this server reads the
    blocks first and answers 404 (docs/gateway.md)."""
    cases = {"car": (f"/ipfs/{MISSING_PB}?format=car", "GET"), "chunk": (f"/ipfs/{world.site}/big.bin", "GET"),
             "chunk HEAD": (f"/ipfs/{world.site}/big.bin", "HEAD")}
    theirs = {name: ask(world.kubo.gateway_url, path, method=m) for name, (path, m) in cases.items()}
    with ServeProcess(world.home, tmp_path, "--offline") as srv:
        ours = {name: ask(srv.url, path, method=m) for name, (path, m) in cases.items()}
    assert {n: a.status for n, a in theirs.items()} == {n: 200 for n in cases}
    assert theirs["car"].body.endswith(b"[Gateway Error: CAR stream truncated, response is incomplete]")
    assert {n: a.status for n, a in ours.items()} == {n: 404 for n in cases}


def test_online_serve_answers_the_network_free_requests_as_before(world: World, tmp_path: Path) -> None:
    """Without ``--offline`` the same server reads the DNSLink through config.toml's resolver,
    hosts the site by ``Host``, and answers missing blocks 404 (its own words: it names the
    sources it has)."""
    with ServeProcess(world.home, tmp_path) as srv:
        cases = battery(world, srv.port)
        got = {name: ask(srv.url, *cases[name]) for name in ("dnslink with TXT", "host dnslink", "held file",
                                                                "raw cid missing", "child block missing",
                                                                "dnslink without TXT")}
    assert got["dnslink with TXT"] == got["host dnslink"] == Answer(200, "text/html", b"<p>hi</p>\n")
    assert got["held file"].status == 200
    assert got["raw cid missing"].status == got["child block missing"].status == 404
    assert got["dnslink without TXT"].status == 500 and b"could not find a TXT record" in got["dnslink without TXT"].body
