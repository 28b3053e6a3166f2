"""Kubo's gateway and ``autocodec serve`` side by side over the same content: the ``sides`` of
the gateway-conformance modules (test_gateway_conformance2_kubo, test_gateway_conformance4_kubo).

``built_sides`` builds it (the session's ``gateway_sides`` in ``tests/conftest.py``; needs Kubo):
the suite's fixture trees rebuilt from what its tests say they hold, added to Kubo and imported
into a fresh home; names published by Kubo (Ed25519 and RSA, V1+V2 and V2-only, values with a
sub-path) and the records no publisher makes, signed here; one loopback DoH server for DNSLink
that both gateways ask. ``sides`` is the per-module fixture the cases take; they only read it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._gateway_http import GatewaySides, fetch_checked

PERCENT_NAME = "Portugal%2C+Espa\u00f1a=Peninsula Ib\u00e9rica.txt"


@dataclass
class ConformanceSides(GatewaySides):
    home: Path | None = None
    kubo: object = None


def _trees(base: Path) -> dict[str, Path]:
    tricky = base / "tricky"
    tricky.mkdir()
    (tricky / "plain.txt").write_text("plain\n")
    (tricky / "a#b?c.txt").write_text("tricky delimiters\n")
    (tricky / "emoji\U0001f680.txt").write_text("rocket\n")
    nested = base / "nested"
    (nested / "sub dir").mkdir(parents=True)
    (nested / "sub dir" / "file!'()*~.txt").write_text("sub-delims\n")
    percent = base / "percent"
    percent.mkdir()
    (percent / PERCENT_NAME).write_text("Portugal, Espa\u00f1a\n")
    site = base / "site"
    (site / "root2" / "root3" / "root4").mkdir(parents=True)
    (site / "root2" / "root3" / "root4" / "index.html").write_text("<html><body>root4</body></html>\n")
    slash = base / "slash"
    (slash / "a").mkdir(parents=True)
    (slash / "a" / "b.txt").write_text("the nested b.txt\n")
    (slash / "sibling").write_text("the link named a/b.txt\n")
    odd = base / "odd"
    odd.mkdir()
    (odd / "new\nline.txt").write_text("a name with a line feed\n")
    hamt = base / "hamt"
    hamt.mkdir()
    for i in range(100):
        (hamt / f"{i}.txt").write_text(f"{i}\n")
    (site / "root2" / "root3" / "other.txt").write_text("a sibling of root4\n")
    listing = base / "listing"  # t0115's fixture: ą/ę/file-źł.txt
    (listing / "\u0105" / "\u0119").mkdir(parents=True)
    (listing / "\u0105" / "\u0119" / "file-\u017a\u0142.txt").write_text("\u017a\u0142\n")
    files = base / "files"  # dir-with-files: ascii.txt is 31 bytes
    files.mkdir()
    (files / "ascii.txt").write_text("hello application/vnd.ipld.car\n")
    (files / "hello.txt").write_text("hello world\n")
    symlink = base / "symlink"  # t0113's fixture: bar is a symlink to foo
    symlink.mkdir()
    (symlink / "foo").write_text("content\n")
    (symlink / "bar").symlink_to("foo")
    dirs = base / "dirs"  # subdomain_gateway's testdirlisting: an "ipfs" folder inside the content root
    (dirs / "ipfs" / "ipns").mkdir(parents=True)
    (dirs / "hello").write_text("hello\n")
    (dirs / "ipfs" / "file.txt").write_text("I am a txt file\n")
    (dirs / "ipfs" / "ipns" / "bar").write_text("text-file-content\n")
    return {"tricky": tricky, "nested": nested, "percent": percent, "site": site, "slash": slash, "odd": odd,
            "hamt": hamt, "listing": listing, "files": files, "symlink": symlink, "dirs": dirs}


def _slashed_root(kubo: object, slash_cid: str) -> str:
    """A dag-pb directory with the folder ``a`` and a sibling link literally named ``a/b.txt``."""
    listing = json.loads(kubo.ipfs("dag", "get", slash_cid).stdout)  # type: ignore[attr-defined]
    links = {link["Name"]: link for link in listing["Links"]}
    node = {"Data": {"/": {"bytes": "CAE"}},
            "Links": [{**links["a"]}, {**links["sibling"], "Name": "a/b.txt"}]}
    put = kubo.ipfs("dag", "put", "--input-codec", "dag-json", "--store-codec", "dag-pb",  # type: ignore[attr-defined]
                    input=json.dumps(node).encode())
    return str(put.stdout.decode().strip())


def _identity(data: bytes) -> str:
    """A raw identity CID holding ``data``: the suite's IPNS payloads are such CIDs' digests."""
    from autocodec.cid import CID

    return str(CID.build(0x55, bytes([0, len(data)]) + data))


WIKI = "en.wikipedia-on-ipfs.test"  # a DNSLink domain of several labels, over {site}
# path_gateway_ipns_test.go's records, made by Kubo where it can make them: (key, value, name publish flags)
PUBLISHED: dict[str, tuple[bytes | str, tuple[str, ...]]] = {
    "v1v2": (b"v1+v2 record\n", ()), "v2only": (b"v2-only record\n", ("--v1compat=false",)),
    "rsa": ("/ipfs/{plain}", ()), "rsa_v2only": (b"rsa v2-only record\n", ("--v1compat=false",)),
    "subpath": ("/ipfs/{site}/root2", ()), "rsa_subpath": ("/ipfs/{site}/root2", ()),
    # more shapes: a value through another name, through a domain, at a file, missing, with a space
    "chain": ("/ipns/{hello_name}", ()), "dnschain": (f"/ipns/{WIKI}/root2", ("--resolve=false",)),
    "filevalue": ("/ipfs/{site}/root2/root3/root4/index.html", ()), "missingsub": ("/ipfs/{site}/nope", ("--resolve=false",)),
    "spacesub": ("/ipfs/{nested}/sub dir", ()),
}
KEPT_PATH_NAMES = (*(f"{key}_name" for key in PUBLISHED), "brokenv1_name")


def _ipns_path_names(kubo: object, ids: dict[str, str]) -> dict[str, str]:
    """Kubo publishes each record of ``PUBLISHED`` (an identity CID, or a path). The records no
    publisher makes are signed here with keys of their own and given to Kubo by ``name put``: a
    V1+V2 record whose V1 signature is altered (Kubo takes it), and the three the suite expects a
    5XX for (``{kind}_put``: the exit status of Kubo's ``name put``, which refuses them; stored
    with ``--force``, Kubo's routing still finds none)."""
    out: dict[str, str] = {}
    for key, (value, flags) in PUBLISHED.items():
        target = value.format(**ids) if isinstance(value, str) else f"/ipfs/{_identity(value)}"
        published = kubo.ipfs("name", "publish", "--allow-offline", "-Q", "--key", key, *flags,  # type: ignore[attr-defined]
                              target).stdout.decode().strip()
        name = published.removeprefix("/ipns/")
        out |= {f"{key}_{kind}": spelt for kind, spelt in _spellings(name).items()}
    name, broken = _broken_v1_record()  # V2 valid, V1 signature altered: Kubo takes it
    _name_put(kubo, name, broken)
    assert fetch_checked(kubo.gateway_url, f"/ipns/{name}?format=ipns-record").body == broken  # type: ignore[attr-defined]
    out["brokenv1_name"] = str(name)
    for kind, record in refused_records().items():
        out[f"{kind}_name"] = str(record[0])
        out[f"{kind}_put"] = str(_name_put(kubo, record[0], record[1], check=False))
    return out


def _name_put(kubo: object, name: object, raw: bytes, *, check: bool = True) -> int:
    """``ipfs name put --allow-offline NAME FILE`` of ``raw``; its exit status."""
    path = kubo.path / f"{name}.ipns-record"  # type: ignore[attr-defined]
    path.write_bytes(raw)
    return int(kubo.ipfs("name", "put", "--allow-offline", name, path, check=check).returncode)  # type: ignore[attr-defined]


def _broken_v1_record() -> tuple[object, bytes]:
    """A V1+V2 record whose V1 signature is altered: V2 signs everything that counts."""
    from autocodec.verify._ipns import IpnsName, IpnsRecord
    from autocodec.verify._keyring import SigningKey

    signer = SigningKey.from_seed(b"\x09" * 32)
    raw = _signed(signer, b"v2 record, broken v1 signature\n", v1=True)
    signature = IpnsRecord.parse(raw).fields[2]
    assert isinstance(signature, bytes)
    at = raw.index(signature)
    return IpnsName.of_key(_public(signer)), raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:]


def _spellings(name: str) -> dict[str, str]:
    """A name as the suite spells it: ``name`` (libp2p-key, base36), ``v0`` (the base58 peer ID,
    its ``IdV0``/``B58MH``) and ``dagpb`` (a dag-pb CIDv1 in base36, its ``ToCID(DagPb, Base36)``)."""
    from autocodec.cid import CID, b58encode
    from autocodec.verify._ipns import IpnsName

    multihash = IpnsName.parse(name).multihash
    return {"name": name, "v0": b58encode(multihash), "dagpb": CID.build(0x70, multihash).encode("base36")}


def refused_records() -> dict[str, tuple[object, bytes]]:
    """TestGatewayIPNSPath's three records no gateway may serve, each under a key of its own:
    V1 fields alone; V1 and V2 each validly signed but over different values; a broken V2
    signature beside a valid V1. Ed25519 signatures are deterministic, so the V2 part of a V1+V2
    record is the whole V2-only record of the same fields."""
    from autocodec.verify._ipns import IpnsName
    from autocodec.verify._keyring import SigningKey

    import time

    out: dict[str, tuple[object, bytes]] = {}
    # One end of life for all: the record's text form of it drops trailing zeros, so two readings
    # of the clock could give the V1+V2 and V2-only records different lengths.
    eol_ns = time.time_ns() + 48 * 3600 * 10**9
    for seed, kind in enumerate(("v1only", "mismatch", "brokenv2"), start=1):
        signer = SigningKey.from_seed(bytes([seed]) * 32)
        both, v2 = _signed(signer, b"one\n", v1=True, eol_ns=eol_ns), _signed(signer, b"one\n", v1=False, eol_ns=eol_ns)
        v1_part = both[:len(both) - len(v2)]
        tail = {"v1only": b"", "mismatch": _signed(signer, b"two\n", v1=False, eol_ns=eol_ns), "brokenv2": bytes(
            [v2[0], v2[1], v2[2] ^ 1]) + v2[3:]}[kind]  # v2 opens with signatureV2's tag and length
        out[kind] = (IpnsName.of_key(_public(signer)), v1_part + tail)
    return out


def _public(signer: object) -> object:
    from autocodec.verify._libp2p_key import PublicKey

    return PublicKey.ed25519(signer.public.raw)  # type: ignore[attr-defined]


def _signed(signer: object, value: bytes, *, v1: bool, eol_ns: int | None = None) -> bytes:
    """A record over the identity CID of ``value``, signed by ``signer``, valid until ``eol_ns``
    (two days from now when not given)."""
    import time

    from autocodec.verify._ipns import create_record

    if eol_ns is None:
        eol_ns = time.time_ns() + 48 * 3600 * 10**9
    return create_record(signer.sign, _public(signer), f"/ipfs/{_identity(value)}",  # type: ignore[attr-defined,arg-type]
                         sequence=1, eol_ns=eol_ns, v1=v1)


@pytest.fixture(scope="module")
def sides(gateway_sides: ConformanceSides) -> ConformanceSides:
    """The session's ``gateway_sides`` (``tests/conftest.py``), shared by every module that
    imports this fixture: they take it as it is."""
    return gateway_sides


@contextlib.contextmanager
def built_sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConformanceSides]:
    """Kubo's gateway and ``autocodec serve`` over the same trees, names and DNSLink zone (the
    module's text), running until the block ends. Cases only read it: they send requests, and
    ``dag get`` runs on the home."""
    from tests._cli import run_cli
    from tests._dns_server import DnsZone, doh_server
    from tests._kubo import KuboRepo, require_kubo
    from tests._serve_proc import ServeProcess

    require_kubo()
    tmp = tmp_path_factory.mktemp("gwc2")
    trees = _trees(tmp)
    stack = contextlib.ExitStack()
    zone = DnsZone(ttl=120)
    doh = stack.enter_context(doh_server(zone))  # DNSLink lookups (of Host names) stay on loopback
    kubo = KuboRepo.create(tmp / "kubo")
    kubo.set_config("DNS.Resolvers", {".": doh})
    kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")  # hamt/ is sharded, the rest is not
    ids = {name: kubo.ipfs("add", "-Q", "-r", "--cid-version=1", path).stdout.decode().strip()
           for name, path in trees.items()}
    ids["slashed"] = _slashed_root(kubo, ids["slash"])
    ids["nested_v0"] = kubo.ipfs("add", "-Q", "-r", trees["nested"]).stdout.decode().strip()
    document = {"a": {"b": 1}, "tricky": {"/": ids["tricky"]}, "v0": {"/": ids["nested_v0"]}}
    ids["cbor"] = kubo.ipfs("dag", "put", input=json.dumps(document).encode()).stdout.decode().strip()
    ids["tricky_v0"] = kubo.ipfs("cid", "format", "-v", "0", ids["tricky"]).stdout.decode().strip()
    ids["plain"] = kubo.ipfs("dag", "resolve", f"/ipfs/{ids['tricky']}/plain.txt").stdout.decode().strip()
    for key, sub in (("root3", "root2/root3"), ("root4", "root2/root3/root4"), ("index", "root2/root3/root4/index.html"),
                     ("listing_file", "\u0105/\u0119/file-\u017a\u0142.txt")):
        root = ids["listing" if key == "listing_file" else "site"]
        ids[key] = kubo.ipfs("dag", "resolve", f"/ipfs/{root}/{sub}").stdout.decode().strip()
    ids["sha512"] = kubo.ipfs("block", "put", "--cid-codec", "raw", "--mhtype", "sha2-512",
                              input=b"a CID too long for a DNS label\n").stdout.decode().strip()
    kubo.ipfs("key", "gen", "--type", "ed25519", "web")
    kubo.ipfs("key", "gen", "--type", "ed25519", "hello")
    kubo.ipfs("key", "gen", "--type", "ed25519", "record")
    kubo.ipfs("key", "gen", "--type", "ed25519", "capped")
    for key in PUBLISHED:
        kubo.ipfs("key", "gen", *(("--type", "rsa", "--size", "2048") if key.startswith("rsa") else
                                  ("--type", "ed25519")), key)
    kubo.start()
    try:
        out = kubo.ipfs("name", "publish", "--allow-offline", "--key", "web", "--ttl", "90s", f"/ipfs/{ids['site']}")
        ids["name"] = out.stdout.decode().split()[2].rstrip(":")
        keys = kubo.ipfs("key", "list", "-l", "--ipns-base", "b58mh").stdout.decode().split()
        ids["peer_id"] = keys[keys.index("web") - 1]
        ids["name_b32"] = kubo.ipfs("cid", "format", "-b", "base32", ids["name"]).stdout.decode().strip()
        out = kubo.ipfs("name", "publish", "--allow-offline", "--key", "hello", "--ttl", "60s", f"/ipfs/{ids['plain']}")
        ids["hello_name"] = out.stdout.decode().split()[2].rstrip(":")
        for key, lifetime in (("record", "1000000h"), ("capped", "876600h")):  # the suite's TTL; one valid as long
            out = kubo.ipfs("name", "publish", "--allow-offline", "--key", key, "--ttl", "876600h", "--lifetime",
                            lifetime, f"/ipfs/{ids['plain']}")
            ids[f"{key}_name"] = out.stdout.decode().split()[2].rstrip(":")
        ids.update(_ipns_path_names(kubo, ids))
        ids |= {key.replace("name", kind): spelt for key in ("hello_name",)
                for kind, spelt in _spellings(ids[key]).items()}
        unkept = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"  # a valid name no one published
        zone.records.update({"_dnslink.dnslink-over-ipns.test": [(f"dnslink=/ipns/{ids['hello_name']}",)],
                             "_dnslink.site-over-ipns.test": [(f"dnslink=/ipns/{ids['name']}/root2",)],
                             "_dnslink.unkept.test": [(f"dnslink=/ipns/{unkept}",)],
                             "_dnslink.en.wikipedia-on-ipfs.test": [(f"dnslink=/ipfs/{ids['site']}",)],
                             "_dnslink.website.test": [(f"dnslink=/ipfs/{ids['listing']}",)]})
        home = tmp / "home"
        home.mkdir()
        (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{doh}"\n', encoding="utf-8")
        for name in ("tricky", "nested", "percent", "site", "slashed", "odd", "hamt", "cbor", "listing", "files",
                     "symlink", "dirs"):
            car = tmp / f"{name}.car"
            car.write_bytes(kubo.ipfs("dag", "export", ids[name]).stdout)
            run_cli(home, "car", "import", str(car))
        for key in ("name", "hello_name", "record_name", "capped_name", *KEPT_PATH_NAMES):
            run_cli(home, "name", "resolve", ids[key], "--gateway", kubo.gateway_url)
        run_cli(home, "block", "put", "--cid-codec", "raw", "--mhtype", "sha2-512",
                stdin=b"a CID too long for a DNS label\n")
        with ServeProcess(home, tmp) as ours:
            yield ConformanceSides(kubo.gateway_url, ours.url, ids, home, kubo)
    finally:
        kubo.stop()
        stack.close()
