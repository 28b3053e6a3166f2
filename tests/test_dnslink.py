"""DNSLink without Kubo: TXT values read as boxo reads them, the resolver map as Kubo's, DNS
answers over DoH and plain DNS (UDP, TCP when truncated) from dnspython servers on loopback,
and every hostile or broken answer a typed ``DnsError`` in bounded time.

The same domains next to Kubo: ``tests/test_dnslink_kubo.py``.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

import pytest

from autocodec.config import DEFAULT_LIMITS, FetchLimits
from autocodec.errors import ConfigError, DnsError, DnsLinkError, InvalidInput
from autocodec.registry._dnslink import DnsLinkAmbiguous, DnsLinks, dnslink_entry
from autocodec.settings import Settings
from autocodec.sources._dns import build_query, is_domain_name, lookup_txt, parse_txt_answer, resolver_for
from tests._cli import run_cli
from tests._dns_server import DnsZone, doh_server, plain_dns_server

CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
FAST = FetchLimits(timeout_s=1.0, retries=0, deadline_s=2.0)


@pytest.mark.parametrize(("value", "want"), [
    (f"dnslink=/ipfs/{CID}", f"/ipfs/{CID}"),
    (f"dnslink=/ipfs/{CID}/a/b", f"/ipfs/{CID}/a/b"),
    (f"dnslink=/ipfs/{CID}/a/../b/", f"/ipfs/{CID}/b/"),  # cleaned, trailing slash kept (path.NewPath)
    (f"/ipfs/{CID}", f"/ipfs/{CID}"),  # a bare path
    (CID, f"/ipfs/{CID}"),  # a bare CID (legacy)
    (f"dnslink={CID}", f"/ipfs/{CID}"),  # dnslink= and a CID (legacy)
    ("dnslink=/ipns/example.org/x", "/ipns/example.org/x"),  # any /ipns/ root
    ("dnslink=/ipns/k51qzi5uqu5dh", "/ipns/k51qzi5uqu5dh"),
    (f"dnslink=/ipld/{CID}", None),  # a path boxo parses but its namespace filter drops
    ("dnslink=/ipfs/not-a-cid", None),
    ("dnslink=/ipfs/", None),
    ("dnslink=", None),
    ("dnslink =/ipfs/" + CID, None),  # the key is exactly "dnslink"
    ("DNSLINK=/ipfs/" + CID, None),
    ("v=spf1 -all", None),
    ("", None),
    ("/ipfs", None),
    ("/foo/" + CID, None),
    (f"dnslink=/ipfs/{CID} ", None),  # go-cid's Decode takes no whitespace around a CID
    (f"dnslink=/ipfs/{CID}\t/a", None),
    (f"dnslink= /ipfs/{CID}", None),
    (f"{CID}\n", None),
    (f"dnslink={CID} ", None),
    ("dnslink=/ipns/example.org ", "/ipns/example.org "),  # /ipns/ roots are not checked by path.NewPath
])
def test_a_txt_value_is_read_as_boxo_reads_it(value: str, want: str | None) -> None:
    assert dnslink_entry(value) == want


@pytest.mark.parametrize(("name", "ok"), [
    ("example.com", True), ("example.com.", True), ("localhost", True), ("a" * 63 + ".test", True),
    ("a" * 64 + ".test", False), ("a..b", False), ("", False), (".", False), (".a", False),
    (".".join(["abcdefghi"] * 25) + ".abc", True), (".".join(["abcdefghi"] * 26), False),
])
def test_domain_names_are_checked_as_miekg_dns_checks_them(name: str, ok: bool) -> None:
    assert is_domain_name(name) is ok


def test_the_resolver_is_the_nearest_domain_of_the_map_as_in_kubo() -> None:
    table = {".": "https://default/dns-query", "example.com.": "dns://10.0.0.1", "b.example.com.": ""}
    assert resolver_for("_dnslink.a.example.com.", table) == "dns://10.0.0.1"
    assert resolver_for("_dnslink.b.example.com.", table) == ""
    assert resolver_for("_dnslink.example.org.", table) == "https://default/dns-query"
    assert resolver_for("_dnslink.vitalik.eth.", table) == "https://dns.eth.limo/dns-query"  # Kubo's default
    assert resolver_for("_dnslink.vitalik.eth.", {"eth.": ""}) == ""  # unless the map names eth.
    assert resolver_for("_dnslink.example.org.", {}) == ""  # the system's


@pytest.fixture
def zone() -> DnsZone:
    return DnsZone({
        "_dnslink.site.test": [(f"dnslink=/ipfs/{CID}",), ("google-site-verification=abc",)],
        "_dnslink.split.test": [("dnslink=/ipfs/" + CID[:30], CID[30:])],
        "_dnslink.many.test": [(f"dnslink=/ipfs/{CID}",), ("dnslink=/ipns/site.test",)],
        "_dnslink.alias.test": [("dnslink=/ipns/site.test/a",)],
        "_dnslink.loop.test": [("dnslink=/ipns/loop.test/x",)],
        "_dnslink.big.test": [(f"v{i}=" + "x" * 200,) for i in range(4)] + [(f"dnslink=/ipfs/{CID}/big",)],
    }, ttl=90)


def test_doh_splits_a_records_strings_and_plain_dns_joins_them_as_kubo_does(zone: DnsZone) -> None:
    """go-doh-resolver gives each character-string of a TXT record as a value; Go's
    net.LookupTXT (Kubo's system resolver) joins one record's strings."""
    with doh_server(zone) as doh, plain_dns_server(zone) as plain:
        via_doh = lookup_txt("_dnslink.split.test", {".": doh}, FAST)
        via_plain = lookup_txt("_dnslink.split.test", {".": plain}, FAST)
        assert via_doh.values == ("dnslink=/ipfs/" + CID[:30], CID[30:]) and via_doh.ttl_s == 90
        assert via_plain.values == (f"dnslink=/ipfs/{CID}",) and via_plain.ttl_s == 90
        with pytest.raises(DnsLinkError, match="no TXT record"):
            DnsLinks({".": doh}, FAST).lookup("split.test")
        assert DnsLinks({".": plain}, FAST).lookup("split.test").value == f"/ipfs/{CID}"


def test_a_truncated_udp_answer_is_asked_again_over_tcp(zone: DnsZone) -> None:
    with plain_dns_server(zone) as plain:
        answer = lookup_txt("_dnslink.big.test", {".": plain}, FAST)
        assert len(answer.values) == 5 and f"dnslink=/ipfs/{CID}/big" in answer.values
        assert DnsLinks({".": plain}, FAST).lookup("big.test").value == f"/ipfs/{CID}/big"


def test_none_or_several_dnslinks_are_refused_by_their_cause(zone: DnsZone) -> None:
    with doh_server(zone) as doh:
        links = DnsLinks({".": doh}, FAST)
        assert links.lookup("site.test").value == f"/ipfs/{CID}"  # the other TXT record is ignored
        with pytest.raises(DnsLinkAmbiguous, match="more than one"):
            links.lookup("many.test")
        for domain, why in (("missing.test", "no TXT record"), ("more than one.test", "no TXT record"),
                            ("a..b", "not a valid domain")):  # the kind is the type, never the words
            with pytest.raises(DnsLinkError, match=why) as none:
                links.lookup(domain)  # missing.test: NXDOMAIN
            assert not isinstance(none.value, DnsLinkAmbiguous), domain


@pytest.mark.parametrize("mode", ["garbage", "wrong-type", "wrong-id", "servfail"])
def test_a_broken_doh_answer_is_a_dns_error(zone: DnsZone, mode: str) -> None:
    zone.mode = mode
    with doh_server(zone) as doh, pytest.raises(DnsError):
        DnsLinks({".": doh}, FAST).lookup("site.test")


def test_a_silent_resolver_fails_within_the_deadline(zone: DnsZone) -> None:
    zone.mode = "slow"
    silent_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent_udp.bind(("127.0.0.1", 0))  # receives, never answers
    try:
        for url in (None, f"dns://127.0.0.1:{silent_udp.getsockname()[1]}"):
            with doh_server(zone) as doh:
                started = time.monotonic()
                with pytest.raises(DnsError):
                    lookup_txt("_dnslink.site.test", {".": url or doh}, FAST)
                assert time.monotonic() - started < FAST.deadline_s + 1.5
    finally:
        silent_udp.close()


def test_malformed_messages_are_dns_errors() -> None:
    query, ident = build_query("_dnslink.x.test")
    question = query[12:]
    head = struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0)
    cases = [
        b"",  # no header
        struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question,  # a query, not an answer
        head + question,  # an answer promised, none there
        head + question + b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, 10) + b"\x03abc",  # data cut short
        head + question + b"\xc0\x30" + struct.pack("!HHIH", 16, 1, 60, 0),  # a pointer forwards
        head + question + b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, 3) + b"\x05ab",  # a string cut short
        struct.pack("!HHHHHH", ident, 0x8180, 1, 0, 0, 0) + b"\x01y\x04test\x00" + question[-4:],  # other question
        head + question + b"\x80" + b"\x00" * 10,  # an unknown label type
    ]
    for message in cases:
        with pytest.raises(DnsError):
            parse_txt_answer(message, "_dnslink.x.test", ident, split=True)


def test_a_chain_of_domains_is_followed_and_a_loop_refused(zone: DnsZone, tmp_path: Path) -> None:
    from autocodec.home import Home
    from autocodec.registry._ipns import IpnsNames, NameLoop
    from autocodec.store import BlockStore

    with doh_server(zone) as doh:
        home = Home(tmp_path / "home").init()
        store = BlockStore.open(home)
        try:
            names = IpnsNames(store, DEFAULT_LIMITS, {".": doh})
            assert names.resolve("/ipns/alias.test/b/c") == f"/ipfs/{CID}/a/b/c"
            with pytest.raises(NameLoop, match="more than 32") as loop:  # the names' fault, not the path's
                names.resolve("/ipns/loop.test")
            assert not isinstance(loop.value, InvalidInput)
        finally:
            store.close()


def test_the_cli_resolves_a_domain_and_fails_in_one_line(zone: DnsZone, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with plain_dns_server(zone) as plain:
        (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{plain}"\n')
        assert run_cli(home, "name", "resolve", "alias.test").stdout == f"/ipfs/{CID}/a\n".encode()
        assert run_cli(home, "name", "resolve", "--recursive=false", "/ipns/alias.test").stdout == \
            b"/ipns/site.test/a\n"
        for domain in ("many.test", "missing.test"):
            proc = run_cli(home, "name", "resolve", domain, check=False)
            assert proc.returncode != 0 and proc.stdout == b""
            assert proc.stderr.decode().startswith("autocodec: ") and proc.stderr.count(b"\n") == 1
    (home / "config.toml").write_text('[dns.resolvers]\n"." = "dns://127.0.0.1:9"\n')  # nothing listens
    proc = run_cli(home, "name", "resolve", "site.test", check=False)
    assert proc.returncode != 0 and b"DnsError" in proc.stderr and proc.stderr.count(b"\n") == 1


@pytest.mark.parametrize(("text", "message"), [
    ('[dns.resolvers]\n"example.com" = "https://x/dns-query"\n', "fully qualified"),
    ('[dns.resolvers]\n"." = "ftp://x"\n', "https://"),
    ('[dns.resolvers]\n"." = 5\n', "https://"),
    ('[dns]\nresolver = "x"\n', "dns.resolvers"),
    ('dns = 3\n', "dns.resolvers"),
])
def test_a_malformed_resolver_map_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        Settings.load(path)


def test_the_resolver_map_is_read_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[dns.resolvers]\n"." = "https://doh.example/dns-query"\n"eth." = ""\n')
    assert Settings.load(path).dns_resolvers == {".": "https://doh.example/dns-query", "eth.": ""}


@pytest.mark.parametrize(("host", "want"), [
    ("example.org", "example.org"), ("Example.ORG:8080", "example.org"), ("example.org.", "example.org"),
    ("127.0.0.1", None), ("127.0.0.1:8080", None), ("[::1]:8080", None), ("::1", None), ("localhost", None),
    ("localhost:8080", None), ("", None), (None, None), ("a..b", None), ("x" * 64 + ".org", None),
])
def test_only_domain_hosts_are_looked_up_for_dnslink_sites(host: str | None, want: str | None) -> None:
    from autocodec.serve._dnslink_host import hosted_domain

    assert hosted_domain(host) == want


def test_a_host_without_dnslink_is_asked_once_per_minute(zone: DnsZone) -> None:
    with doh_server(zone) as doh:
        links = DnsLinks({".": doh}, FAST)
        assert [links.has("missing.test") for _ in range(5)] == [False] * 5
        assert [links.has("site.test") for _ in range(5)] == [True] * 5
        assert zone.queries == ["_dnslink.missing.test", "_dnslink.site.test"]


def test_the_cli_follows_32_names_as_kubo_and_refuses_33(tmp_path: Path) -> None:
    """Kubo resolves a chain of 32 domains and refuses 33 ('recursion limit exceeded'); the CLI
    looked the first one up itself and then allowed 32 more, so 33 resolved."""
    chain = {f"_dnslink.d{i}.test": [(f"dnslink=/ipns/d{i + 1}.test",)] for i in range(1, 34)}
    chain["_dnslink.d33.test"] = [(f"dnslink=/ipfs/{CID}",)]
    home = tmp_path / "home"
    home.mkdir()
    with plain_dns_server(DnsZone(chain, ttl=90)) as plain:
        (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{plain}"\n')
        assert run_cli(home, "name", "resolve", "d2.test").stdout == f"/ipfs/{CID}\n".encode()  # 32 names
        proc = run_cli(home, "name", "resolve", "d1.test", check=False)  # 33 names
        assert proc.returncode != 0 and b"more than 32" in proc.stderr and proc.stderr.count(b"\n") == 1
