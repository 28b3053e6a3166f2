"""Review 4 of the gateway: the trustless and path gateway beside Kubo 0.43.1's on the same
blocks (an offline ``ipfs daemon`` and ``autocodec serve``, as in
``tests/test_review_gateway_bases.py``), request by request: CARs with every ``dag-scope``,
``entity-bytes`` (negative, ``*``, past the end, on a HAMT and a chunked file), ``car-version``,
``car-order``, ``car-dups`` by query and by ``Accept``; ``Accept`` lists with q-values and
several types; ``If-None-Match`` lists and weak ETags, ``If-Match``; identity CIDs in every
format; ``/ipfs/`` paths with ``%2F``, ``..``, ``%2e%2e`` and ``//``, on the path gateway and on
a subdomain origin; ``/ipns/`` names that are keys, key names, domains and CIDs, by
``?format=ipns-record`` and by ``Accept``.

Compared: the status, the spec's headers (``Content-Type``, ``ETag``, ``Cache-Control``,
``X-Content-Type-Options``, ``Content-Disposition``, ``X-Ipfs-Roots``, ``Vary``,
``Content-Location``, ``Location``, ``Accept-Ranges``, ``Content-Range``, ``Ipfs-Uri``) and the
body (a CAR's roots and blocks in order). ``_documented`` lists the differences docs/gateway.md writes down
as deliberate; every other one fails.

Found here (each fails on the code before the fix): ``/ipfs/%2F{cid}/...`` was a 400 (``invalid
cid``) where boxo cleans the decoded path and serves it; a path cleaned to fewer than three
segments (``/ipfs/{cid}/%2e%2e``, ``/ipfs/%2F``) said ``has no root CID`` or a CID parser's
reason, not Kubo's ``path does not have enough components``, and another namespace said this
runtime's words, not ``unknown namespace: "foo"``; ``/ipfs/{cid}/%2e%2e/%2e%2e/ipns/NAME`` was a
400 where Kubo reads the name, and ``.../ipld/{cid}`` served the block where Kubo answers 500;
``/ipns/NAME/%2e%2e/%2e%2e/ipfs/{cid}?format=raw`` lost its query (the block as stored, not raw)
and, once it kept it, the ``Ipfs-Uri`` of the answer it led to; on a subdomain origin
(``{cid}.ipfs.localhost``) an escaped slash or dot (``/%2Fa.txt``, ``/%2e%2e``) was served where
Kubo's hostname handler makes it a real one and answers Go's 307 to the clean ``/ipfs/`` path.
"""

from __future__ import annotations

import http.client
import io
import itertools
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from autocodec import CID
from autocodec.store import CarReader
from tests._kubo import KuboRepo, require_kubo
from tests._serve_proc import ServeProcess

HEADERS = ("content-type", "etag", "cache-control", "x-content-type-options", "content-disposition", "x-ipfs-roots",
           "vary", "content-location", "location", "accept-ranges", "content-range", "ipfs-uri")
NAME = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"  # a key neither side holds a record of
ETAG = "{ETAG}"  # in a header: the ETag Kubo's answer without that header has (each side's own for a listing)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Sides:
    kubo: str
    ours: str
    cids: dict[str, str]


def fetch(base: str, path: str, headers: tuple[tuple[str, str], ...] = (), method: str = "GET") -> Answer:
    """One request as sent (headers repeated as given, no Accept-Encoding), on its own connection."""
    url = urllib.parse.urlsplit(base)
    port = str(url.port)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True, skip_host=any(n.lower() == "host" for n, _ in headers))
        for name, value in headers:
            conn.putheader(name, value.replace("{port}", port))  # a Host on this side's port
        conn.endheaders()
        resp = conn.getresponse()
        joined: dict[str, list[str]] = {}
        for name, value in resp.getheaders():
            joined.setdefault(name.lower(), []).append(value.replace(port, "PORT"))
        return Answer(resp.status, {k: ", ".join(v) for k, v in joined.items()}, resp.read().replace(port.encode(), b"PORT"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sides]:
    from autocodec.registry import Runtime
    from tests._kubo_pair import copy_dags

    require_kubo()
    tmp = tmp_path_factory.mktemp("r4gw")
    kubo = KuboRepo.create(tmp / "kubo")
    kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")

    def ipfs(*args: str, data: bytes | None = None) -> str:
        return kubo.ipfs(*args, input=data).stdout.decode().strip()

    (tmp / "file3k").write_bytes(bytes(i % 251 for i in range(3000)))
    (tmp / "hamt").mkdir()
    for i in range(60):
        (tmp / "hamt" / f"{i}.txt").write_bytes(f"file {i}\n".encode() * 30)
    dups = tmp / "dups"
    (dups / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "c.txt", "sub/a.txt"):
        (dups / name).write_bytes(b"same bytes\n")
    (dups / "sub" / "big").write_bytes(bytes(range(256)) * 8)
    cids = {"file": ipfs("add", "-Q", "--cid-version=1", "--chunker=size-1000", str(tmp / "file3k")),
            "hamt": ipfs("add", "-Q", "-r", "--cid-version=1", str(tmp / "hamt")),
            "dups": ipfs("add", "-Q", "-r", "--cid-version=1", "--chunker=size-500", str(dups)),
            "dupsv0": ipfs("add", "-Q", "-r", str(dups))}
    cids["cbor"] = ipfs("dag", "put", data=json.dumps({"f": {"/": cids["file"]}, "d": {"/": cids["dups"]},
                                                        "n": 1}).encode())
    cids["idraw"] = ipfs("add", "-Q", "--inline", "--cid-version=1", data=b"tiny\n")
    home = tmp / "home"
    with Runtime(home, default_set=False) as runtime:
        copy_dags(kubo, runtime.store, [cids[key] for key in ("file", "hamt", "dups", "dupsv0", "cbor")], tmp)
    kubo.start()
    try:
        with ServeProcess(home, tmp) as ours:
            yield Sides(kubo.gateway_url, ours.url, cids)
    finally:
        kubo.stop()


def _car(body: bytes) -> tuple[list[str], list[str]] | str:
    try:
        reader = CarReader(io.BytesIO(body))
        blocks = [str(cid) for cid, _ in reader]
        return [str(root) for root in reader.roots], blocks
    except Exception as exc:  # noqa: BLE001 - a CAR that does not read is a difference, named
        return f"unreadable CAR: {exc!r}"


def _documented(path: str, method: str, kubo: Answer, ours: Answer) -> tuple[tuple[str, ...], bool] | None:
    """The headers to compare and whether to compare bodies, leaving out what docs/gateway.md
    writes down as deliberate; None when the whole answer is such a difference."""
    headers, bodies = HEADERS, method == "GET"
    listing = "DirIndex-" in kubo.headers.get("etag", "") or "DirIndex-" in ours.headers.get("etag", "")
    if listing and (kubo.status == ours.status or (method == "HEAD" and "etag" not in kubo.headers)):
        return None  # a listing: this server's own page; Kubo's HEAD of one is bare ("Path gateway")
    if kubo.status == 500 and ours.status in (404, 501) and "/ipns/" in urllib.parse.unquote(path):
        return None  # a name with no record here: Kubo offline is 500, this server 404/501 ("IPNS")
    if kubo.status == 500 and b"unknown node type" in kubo.body and ours.status == 400:
        return None  # TAR of what is not UnixFS: the spec's 400 ("TAR")
    if kubo.status in (400, 406) and kubo.status == ours.status and (
            b"conversion is not supported" in kubo.body or b"converting to requested" in kubo.body or method == "HEAD"):
        # a refused format: no refused answer's headers, this gateway's opt-in named ("A difference these tests found")
        headers, bodies = tuple(h for h in headers if h not in ("etag", "cache-control", "content-disposition")), False
    if kubo.status == ours.status and kubo.status >= 400 and "text/html" in kubo.headers.get("content-type", ""):
        headers, bodies = tuple(h for h in headers if h != "x-content-type-options"), False  # own error page
    if kubo.status == ours.status == 400 and b"invalid cid: " in kubo.body and (
            kubo.body.partition(b"invalid cid: ")[0] == ours.body.partition(b"invalid cid: ")[0]):
        bodies = False  # a CID's reason in this runtime's words, in Kubo's frame
    if kubo.status == ours.status and b"DNSLink lookup for" in kubo.body:
        bodies = False  # why a DNS lookup failed (no record, no answer in time) is the resolver's, not the gateway's
    if "x-tar" in kubo.headers.get("content-type", ""):
        bodies = False  # TAR headers' mtimes: compared in test_gateway_kubo's TAR cases
    return headers, bodies


def _own_etag(sides: Sides, path: str, headers: tuple[tuple[str, str], ...], base: str) -> str:
    plain = tuple(h for h in headers if ETAG not in h[1])
    kubo = fetch(sides.kubo, path, plain).headers.get("etag", '"none"')
    return fetch(base, path, plain).headers.get("etag", '"none"') if "DirIndex-" in kubo else kubo


def differences(sides: Sides, path: str, headers: tuple[tuple[str, str], ...] = (), method: str = "GET") -> list[str]:
    """What differs between Kubo's answer and ours beyond the documented differences."""
    answers = []
    for base in (sides.kubo, sides.ours):
        sent = headers
        if any(ETAG in value for _, value in headers):
            etag = _own_etag(sides, path, headers, base)
            sent = tuple((name, value.replace(ETAG, etag)) for name, value in headers)
        answers.append(fetch(base, path, sent, method))
    kubo, ours = answers
    found = [f"status {kubo.status} vs {ours.status}"] if kubo.status != ours.status else []
    documented = _documented(path, method, kubo, ours)
    if documented is None:
        return []
    names, bodies = documented
    found += [f"{name}: {kubo.headers.get(name)!r} vs {ours.headers.get(name)!r}" for name in names
              if kubo.headers.get(name) != ours.headers.get(name)]
    if bodies and kubo.status == ours.status:
        if kubo.status == 200 and "vnd.ipld.car" in kubo.headers.get("content-type", ""):
            if _car(kubo.body) != _car(ours.body):
                found.append(f"CAR {_car(kubo.body)} vs {_car(ours.body)}")
        elif kubo.body != ours.body:
            found.append(f"body {kubo.body[:200]!r} vs {ours.body[:200]!r}")
    return found


Case = tuple[str, tuple[tuple[str, str], ...], str]


def _run(sides: Sides, cases: list[Case]) -> None:
    failed = []
    for path, headers, method in cases:
        path = path.format(**sides.cids)
        for key, cid in sides.cids.items():
            headers = tuple((name, value.replace("{" + key + "}", cid)) for name, value in headers)
        if found := differences(sides, path, headers, method):
            failed.append(f"{method} {path} {headers}: " + "; ".join(found))
    assert not failed, f"{len(failed)} of {len(cases)} requests differ from Kubo:\n" + "\n".join(failed)


def _car_cases() -> list[Case]:
    cases: list[Case] = []
    targets = ["{file}", "{hamt}", "{hamt}/5.txt", "{dups}", "{dups}/sub/big", "{cbor}", "{cbor}/f", "{idraw}",
               "{dupsv0}", "{cbor}/n"]
    for target, scope in itertools.product(targets, ("", "block", "entity", "all", "bogus")):
        cases.append((f"/ipfs/{target}?format=car" + (f"&dag-scope={scope}" if scope else ""), (), "GET"))
    for target, spec in itertools.product(("{file}", "{hamt}", "{dups}", "{cbor}", "{dups}/sub/big"), (
            "0:*", "0:0", "100:2000", "-500:*", "-5000:*", "2500:99999", "5000:*", "0:-1", "-1:-5", "10:2", "x", "*:*",
            "-0:*", "0:-3000", "2999:*", "3000:*", "1000:1999", "999:1000")):
        cases.append((f"/ipfs/{target}?format=car&entity-bytes={spec}", (), "GET"))
    for target, order, dups in itertools.product(("{dups}", "{dupsv0}", "{hamt}", "{file}"), ("", "dfs", "unk", "bfs"),
                                                 ("", "y", "n", "x")):
        pairs = (("car-order", order), ("car-dups", dups))
        cases.append((f"/ipfs/{target}?format=car" + "".join(f"&{k}={v}" for k, v in pairs if v), (), "GET"))
        accept = "application/vnd.ipld.car" + "".join(f"; {k}={v}" for k, v in (("order", order), ("dups", dups)) if v)
        cases.append((f"/ipfs/{target}", (("Accept", accept),), "GET"))
    for version in ("1", "2", "3", ""):
        accept = (("Accept", f"application/vnd.ipld.car; version={version}"),)
        cases += [("/ipfs/{file}?format=car&car-version=" + version, (), "GET"), ("/ipfs/{file}", accept, "GET"),
                  ("/ipfs/{file}?format=car", accept, "GET")]
    for spec, scope in itertools.product(("0:*", "-500:*"), ("block", "all")):
        cases.append((f"/ipfs/{{file}}?format=car&dag-scope={scope}&entity-bytes={spec}", (), "GET"))
    cases += [("/ipfs/{file}?format=car&filename=x.car", (), "GET"), ("/ipfs/{file}?format=car&download=true", (), "GET"),
              ("/ipfs/{file}?format=car", (), "HEAD")]
    return cases


ACCEPTS = (
    "application/vnd.ipld.car;q=0.5, application/vnd.ipld.raw", "application/vnd.ipld.raw;q=0, application/vnd.ipld.car",
    "text/html, application/vnd.ipld.raw;q=0.9", "text/html;q=0.1, application/vnd.ipld.car", "*/*", "application/*",
    "application/vnd.ipld.dag-json, application/json", "application/json;q=0.1, application/vnd.ipld.dag-cbor",
    "application/x-tar;q=0.1,application/vnd.ipld.car", "APPLICATION/VND.IPLD.RAW", "application/vnd.ipld.raw ;q=1",
    "application/vnd.ipld.raw;q=0", "application/vnd.ipld.car; version=1; order=dfs; dups=y;q=0.3",
    "application/vnd.ipld.nope, application/vnd.ipld.raw", "application/vnd.ipfs.ipns-record", "application/cbor",
    "application/vnd.ipld.raw;", "application/vnd.ipld.raw; q=bad", "text/plain, */*;q=0.8", "application/octet-stream",
    "application/vnd.ipld.dag-json;q=0.9, application/vnd.ipld.dag-cbor;q=1", "application/vnd.ipld.car;version=2",
    " application/vnd.ipld.raw", "application/vnd.ipld.raw,application/vnd.ipld.car", "application/x-tar")


def _negotiation_cases() -> list[Case]:
    cases: list[Case] = []
    for target in ("{file}", "{dups}", "{cbor}", "{dups}/a.txt", "{hamt}"):
        cases += [(f"/ipfs/{target}", (("Accept", accept),), "GET") for accept in ACCEPTS]
        cases += [(f"/ipfs/{target}", (("Accept", "application/vnd.ipld.car;q=0.1"), ("Accept", "application/vnd.ipld.raw")), "GET"),
                  (f"/ipfs/{target}", (("Accept", "text/html"), ("Accept", "application/vnd.ipld.raw")), "GET"),
                  (f"/ipfs/{target}?format=raw", (("Accept", "application/vnd.ipld.car"),), "GET"),
                  (f"/ipfs/{target}?format=bogus", (("Accept", "application/vnd.ipld.car"),), "GET"),
                  (f"/ipfs/{target}?format=", (), "GET"), (f"/ipfs/{target}?format=RAW", (), "GET")]
    return cases


def _conditional_cases() -> list[Case]:
    cases: list[Case] = []
    for target, fmt in (("{file}", "raw"), ("{file}", "car"), ("{file}", ""), ("{dups}", ""), ("{dups}/", ""), ("{cbor}", ""),
                        ("{cbor}", "dag-json"), ("{cbor}", "raw"), ("{dups}", "tar"), ("{hamt}/", "")):
        path, root = f"/ipfs/{target}" + (f"?format={fmt}" if fmt else ""), target.split("/")[0]
        for listed in (ETAG, "W/" + ETAG, f'"x", {ETAG}', f'{ETAG}, "x"', f'"x",{ETAG}', "*", '"x"', f" {ETAG} ",
                       f'"x" ,  W/{ETAG}', f'"{root}"', f'"{root}.raw"', f'W/"{root}.car"', f'"{root}.dag-json"',
                       f'"{root}.dag-cbor"'):
            cases += [(path, (("If-None-Match", listed),), "GET"), (path, (("If-None-Match", listed),), "HEAD")]
        cases += [(path, (("If-Match", listed),), "GET") for listed in ('"x"', ETAG, "*", "W/" + ETAG)]
        cases.append((path, (("If-None-Match", '"x"'), ("If-None-Match", ETAG)), "GET"))
    return cases


def _identity_cases() -> list[Case]:
    def identity(codec: int, data: bytes) -> str:
        return str(CID.build(codec, bytes([0x00, len(data)]) + data))

    cids = ("bafkqaaa", "{idraw}", identity(0x71, bytes.fromhex("a1616101")), identity(0x0129, b'{"a":1}'),
            identity(0x70, bytes.fromhex("0a0a08021204746578741804")), identity(0x55, b"x" * 100))
    cases: list[Case] = []
    for cid in cids:
        cases += [(f"/ipfs/{cid}{query}", (), "GET") for query in (
            "?format=raw", "?format=car", "?format=car&dag-scope=block", "", "?format=dag-json", "?format=dag-cbor",
            "?format=json", "?format=cbor", "?format=tar", "/x?format=raw")]
        cases += [(f"/ipfs/{cid}", (("Accept", "application/vnd.ipld.raw"),), "GET"),
                  (f"/ipfs/{cid}?format=raw", (), "HEAD"), (f"/ipfs/{cid}?format=raw", (("Range", "bytes=1-2"),), "GET")]
    return cases


PATHS = ("/ipfs/{dups}/sub%2Fbig", "/ipfs/{dups}%2Fsub%2Fbig", "/ipfs/{dups}/sub/../a.txt", "/ipfs/{dups}//a.txt",
         "/ipfs/{dups}/./a.txt", "/ipfs/{dups}/sub/%2e%2e/a.txt", "/ipfs/{dups}/sub/%2E%2E/a.txt", "/ipfs/{dups}/%2e/a.txt",
         "/ipfs//{dups}/a.txt", "/ipfs/{dups}/sub/..", "/ipfs/{dups}/sub/../", "/ipfs/{dups}/..", "/ipfs/{dups}/../..",
         "/ipfs/{dups}/%2e%2e", "/ipfs/{dups}/%2e%2e/%2e%2e/etc", "/ipfs/{dups}/sub//", "/ipfs/{dups}/sub%2F",
         "/ipfs/{dups}/sub%2f..%2fa.txt", "/ipfs/{dups}/a.txt/", "/ipfs/{dups}/a.txt%2F", "/ipfs/{dups}/a.txt/.",
         "/ipfs/{dups}///", "/ipfs/{dups}/sub/%2e", "/ipfs/{dups}%2F", "/ipfs/{dups}%2Fa.txt", "/ipfs/%2F{dups}/a.txt",
         "/ipfs/%2F%2F{dups}/a.txt", "/ipfs/%2F{dups}", "/ipfs/%2F{dups}/", "/ipfs/{cbor}/f%2F", "/ipfs/{cbor}/d/sub%2Fbig",
         "/ipfs/{cbor}/d/../f", "/ipfs/{cbor}/%2e%2e/x", "/ipfs/{hamt}/5.txt%2F", "/ipfs/{hamt}/%35.txt", "/ipfs/{dups}/%61.txt",
         "/ipfs/{dups}/sub%5Cbig", "/ipfs/{dupsv0}/sub%2Fa.txt", "/ipfs/{dups}/sub/%252e%252e/a.txt",
         "/ipfs/{cbor}/%2e%2e/bafkqaaa", "/ipfs/{cbor}/%2e%2e/{dupsv0}/a.txt", "/ipfs/%2F", "/ipfs/%2e%2e", "/ipfs/%2e/{cbor}",
         "/ipfs/{cbor}/%2e%2e/", "/ipfs/{cbor}/%2e%2e/%2e%2e/", "/ipfs/{cbor}/%2e%2e/%2e%2e/foo/bar",
         "/ipfs/{cbor}/%2e%2e/%2e%2e/IPFS/{cbor}", "/ipfs/{cbor}/%2e%2e/%2e%2e/ipld/{cbor}", "/ipfs/{cbor}/%2e%2e/%2e%2e/ipld/x",
         "/ipfs/{cbor}/%2e%2e/%2e%2e/ipld/", f"/ipfs/{{cbor}}/%2e%2e/%2e%2e/ipns/{NAME}", "/ipfs/{cbor}/%2e%2e/%2e%2e/ipns/self",
         "/ipfs/{cbor}/%2e%2e/%2e%2e/ipns/")


def _path_cases() -> list[Case]:
    cases: list[Case] = []
    for path, query in itertools.product(PATHS, ("", "?format=raw", "?format=car", "?format=car&dag-scope=entity")):
        cases += [(path + query, (), "GET"), (path + query, (), "HEAD")]
    for path in ("/ipfs/{file}", "/ipfs/{file}?filename=a%20b.bin", "/ipfs/{file}?filename=x.bin&download=true",
                 "/ipfs/{file}?download=true", "/ipfs/{dups}/a.txt?download=false", "/ipfs/{cbor}?download=true",
                 "/ipfs/{cbor}?filename=%C3%A9.cbor", "/ipfs/{dups}?format=tar&filename=t.tar",
                 "/ipfs/{dups}/a.txt?format=raw&filename=", "/ipfs/{file}?format=car&filename=%00.car",
                 "/ipfs/{file}?format=raw&download=yes"):
        cases += [(path, (), "GET"), (path, (), "HEAD")]
    return cases


def _ipns_cases() -> list[Case]:
    names = (NAME, "self", "mykey", "my-key", "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
             CID.parse(NAME).encode("base32"), "example.com", "localhost", "{cbor}", "{dupsv0}", "bafkqaaa", "Self",
             "key.with.dots")
    asks = (("?format=ipns-record", ()), ("", (("Accept", "application/vnd.ipfs.ipns-record"),)),
            ("", (("Accept", "application/vnd.ipfs.ipns-record;q=0.5, text/html"),)), ("/sub?format=ipns-record", ()),
            ("?format=ipns-record&filename=r.bin", ()), ("", ()), ("?format=raw", ()))
    cases: list[Case] = []
    for name, (query, headers) in itertools.product(names, asks):
        cases += [(f"/ipns/{name}{query}", headers, "GET"), (f"/ipns/{name}{query}", headers, "HEAD")]
    for path in (f"/ipns/{NAME}/%2e%2e/%2e%2e/ipfs/{{cbor}}?format=raw", f"/ipns/{NAME}/%2e%2e/%2e%2e/ipfs/{{cbor}}?format=car",
                 f"/ipfs/{{cbor}}/%2e%2e/%2e%2e/ipns/{NAME}?format=ipns-record", "/ipfs/{cbor}?format=ipns-record"):
        cases += [(path, (), "GET"), (path, (), "HEAD")]
    return cases


SUBDOMAIN_PATHS = {
    "{dups}": ("/", "/a.txt", "/%2Fa.txt", "/sub%2Fbig", "/sub/../a.txt", "/%2e%2e/a.txt", "/%2e%2e/%2e%2e/ipfs/{file}",
               "//a.txt", "/a.txt?format=raw", "/%2Fa.txt?format=raw", "/sub/%2e%2e/a.txt?format=car", "/%2e",
               "/sub%2F%2E%2E%2Fa.txt", "/%2F%2F", "/?format=car&dag-scope=entity", "/a.txt?format=car&entity-bytes=0:3",
               "/?format=tar"),
    "{cbor}": ("/", "/?format=raw", "/?format=car", "/f", "/%2e%2e", "/%2e%2e?format=raw", "/%2e%2e/", "/f/%2e%2e",
               "/f?format=car&dag-scope=block"),
    "{file}": ("/", "/?format=car&entity-bytes=-10:*", "/?format=raw"),
}


def _subdomain_cases() -> list[Case]:
    cases: list[Case] = []
    for root, paths in SUBDOMAIN_PATHS.items():
        host = ("Host", f"{root}.ipfs.localhost:{{port}}")
        for path in paths:
            cases += [(path, (host,), "GET"), (path, (host, ("Accept", "application/vnd.ipld.raw")), "GET"),
                      (path, (host,), "HEAD")]
    return cases


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("kind", ["car", "negotiation", "conditional", "identity", "paths", "ipns", "subdomain"])
def test_the_gateway_answers_as_kubo_does(sides: Sides, kind: str) -> None:
    _run(sides, {"car": _car_cases, "negotiation": _negotiation_cases, "conditional": _conditional_cases,
                 "identity": _identity_cases, "paths": _path_cases, "ipns": _ipns_cases,
                 "subdomain": _subdomain_cases}[kind]())


def test_the_documented_differences_leave_the_rest_compared() -> None:
    """The filter is narrow: an answer that differs in anything it does not name still differs."""
    plain = Answer(200, {"content-type": "text/plain", "etag": '"a"'}, b"x")
    assert _documented("/ipfs/x", "GET", plain, Answer(200, {"content-type": "text/html"}, b"y")) == (HEADERS, True)
    refused = Answer(406, {"etag": '"a.dag-json"'}, b"... codec conversion is not supported, ...")
    names, bodies = _documented("/ipfs/x", "GET", refused, Answer(406, {}, b"other")) or ((), True)
    assert "etag" not in names and "content-type" in names and not bodies
