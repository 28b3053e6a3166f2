"""Random requests to every route of a real ``autocodec serve`` process, sent as raw bytes over
loopback: no request may end in an unexpected error (a 500 saying "unexpected error", aiohttp's
own 500, a connection closed with no answer, a ``serve.unexpected_error``
in the server's log), take longer than a bound, or be answered with a malformed header line.

The home holds a small world of every kind the server reads: a UnixFS site with an index.html,
a folder of files (one of many blocks, names with spaces, ``%``, non-ASCII), a HAMT-sharded
folder, a symlink, DAG-CBOR and DAG-JSON blocks linking into it, JSON, CBOR, raw and identity
blocks, a DAG with a block missing, a git blob (decoded by the default set's module) and a Bao
blob; DNSLink names answer from a DNS server on loopback. Requests are drawn from a grammar of
what clients send and get wrong (namespaces, CIDs in every base, escaped and odd path segments,
every gateway query parameter with odd values, Accept, Range, conditional and Host headers,
every method), and some have bytes of their path mutated.

A long run: ``python -m tests.test_serve_request_fuzz REQUESTS SEED`` (docs/fuzzing.md).
"""

from __future__ import annotations

import random
import socket
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

REQUEST_BOUND_S = 20.0  # a loaded 2-core CI machine; every request here touches a few small blocks
ZEROS = "0" * 5000


@dataclass
class World:
    """The names a request may lead with, and the DNSLink names the DNS server answers."""

    roots: dict[str, str]
    dnslink: tuple[str, ...]
    paths: tuple[str, ...] = ()
    """Paths that lead somewhere (``/ipfs/...``), for requests that get past the first step."""
    containers: tuple[bytes, ...] = ()
    """UCAN containers for ``/ipvm/invoke`` and ``/ipvm/revoke``, signed with the home's executor key."""


def _build(rt: object, folder: Path) -> World:
    from autocodec import bao, builtin
    from autocodec.unixfs import AddOptions, add_bytes, add_path

    runtime = rt  # a Runtime (typed loosely: this module is also run as a script)
    store = runtime.store  # type: ignore[attr-defined]
    site = folder / "site"
    (site / "sub dir").mkdir(parents=True)
    (site / "index.html").write_text("<html><body>home</body></html>\n")
    (site / "sub dir" / "hello world.txt").write_text("hello\n")
    (site / "sub dir" / "100%.json").write_text('{"a": [1, 2, 3]}\n')
    (site / "sub dir" / "caf\u00e9 \u6f22.txt").write_bytes(b"\xff\xfe binary-ish")
    (site / "_redirects").write_text("/old/* /sub%20dir/:splat 301\n/missing /index.html 404\n")
    (site / "link").symlink_to("sub dir/hello world.txt")
    files = folder / "files"
    files.mkdir()
    (files / "big.bin").write_bytes(random.Random(7).randbytes(70_000))
    for i in range(40):
        (files / f"f{i:02}.txt").write_text(f"file {i}\n" * (i + 1))
    add = {"cid_version": 1, "chunker": "size-2048"}
    site_cid = add_path(store, site, recursive=True, options=AddOptions(**add))[-1].cid
    files_cid = add_path(store, files, recursive=True, options=AddOptions(**add))[-1].cid
    hamt = add_path(store, files, recursive=True,
                    options=AddOptions(**add, shard_threshold=1, max_hamt_fanout=8))[-1].cid
    v0 = add_bytes(store, b"a CIDv0 file\n", AddOptions())
    leaf = add_bytes(store, b"x" * 5000, AddOptions(cid_version=1, chunker="size-1000"))
    missing = add_bytes(store, b"y" * 5000, AddOptions(cid_version=1, chunker="size-1000"))
    first_chunk = next(link["Hash"] for link in builtin.decode(store.get(missing), "dag-pb")["Links"])
    store.delete(first_chunk)
    put = runtime.put  # type: ignore[attr-defined]
    value = {"Links": [site_cid], "Data": b"\x00\x01", "n": -3, "f": 1.5, "0": {"/": "not a link"},
             "nested": {"list": [files_cid, {"deep": leaf}, None, True], "": "empty key"}, "file": leaf}
    cbor = put(builtin.encode(value, "dag-cbor"), "dag-cbor")
    dag_json = put(builtin.encode({"to": cbor, "bytes": b"hi", "list": [1, 2, [3]]}, "dag-json"), "dag-json")
    one_link = put(builtin.encode(cbor, "dag-cbor"), "dag-cbor")
    json_cid = put(b'{"plain": [true, null, 1e3]}', "json")
    cbor_plain = put(builtin.encode({"k": [1, "v"]}, "cbor"), "cbor")
    raw = put(b"raw bytes\n", "raw")
    identity = builtin.cid_for(builtin.encode({"id": 1}, "dag-cbor"), "dag-cbor", "identity")
    git_blob = b"blob 6\x00hello\n"
    git = put(git_blob, "git-raw")
    blob_file = folder / "blob.bin"
    blob_file.write_bytes(random.Random(8).randbytes(40_000))
    with blob_file.open("rb") as src:
        blob = bao.BlobStore(runtime.home.root / "bao").add(bao.verifier(runtime), src)  # type: ignore[attr-defined]
    roots = {"site": str(site_cid), "files": str(files_cid), "hamt": str(hamt), "v0": str(v0), "leaf": str(leaf),
             "missing": str(missing), "cbor": str(cbor), "dag-json": str(dag_json), "one-link": str(one_link),
             "json": str(json_cid), "cbor-plain": str(cbor_plain), "raw": str(raw), "identity": str(identity),
             "git": str(git), "blob": str(blob)}
    walks = {"site": ("", "index.html", "sub dir/", "sub dir", "sub dir/hello world.txt", "sub dir/100%.json",
                      "sub dir/caf\u00e9 \u6f22.txt", "link", "_redirects", "old/page", "missing"),
             "files": ("", "f01.txt", "big.bin"), "hamt": ("", "f07.txt", "f39.txt", "f40.txt"), "v0": ("",),
             "leaf": ("",), "missing": ("",), "cbor": ("", "Links/0", "Links/0/index.html", "nested/list/0/f01.txt",
                                                       "nested/list/1/deep", "file", "n", "f", "Data", "0"),
             "dag-json": ("", "to/nested", "to/file", "bytes", "list/2/0"), "one-link": ("", "nested/list"),
             "json": ("",), "cbor-plain": ("",), "raw": ("",), "identity": ("", "id"), "git": ("",), "blob": ("",)}
    paths = tuple(f"/ipfs/{roots[name]}/{urllib.parse.quote(step)}".rstrip("/") if step else f"/ipfs/{roots[name]}"
                  for name, steps in walks.items() for step in steps)
    return World(roots, ("site.example", "files.example", "loop.example", "broken.example"), paths,
                 _containers(runtime, leaf))


def _containers(runtime: object, module: object) -> tuple[bytes, ...]:
    """A job pushed under a grant from the home's executor, the same job without its grant, and
    the executor's revocation of that grant (each request body is a mutation of one of them)."""
    from autocodec.ipvm import Invocation, executor_key
    from autocodec.ipvm._remote import COMMAND, encode_container, task_args
    from autocodec.verify import SigningKey
    from autocodec.verify import ucan

    executor, invoker = executor_key(runtime.home), SigningKey.generate()  # type: ignore[attr-defined]
    now = int(time.time())
    grant = ucan.delegate(executor, invoker.did, "/wasm", now=now - 60, expires_in=10**6,
                          policy=[["==", ".function", "run"]])
    job = ucan.invoke(invoker, executor.did, COMMAND, task_args(Invocation(module, "run", [1, "x"])),  # type: ignore[arg-type]
                      now=now - 30, proofs=[grant], audience=executor.did, expires_in=10**6)
    revoke = ucan.revocation(executor, grant, now=now - 10)
    return encode_container([job, grant]), encode_container([job]), encode_container([revoke, grant])


@contextmanager
def served_world() -> Iterator[tuple[str, Path, World]]:
    """A fresh home holding the world, served by ``autocodec serve`` (its URL, its log), DNSLink
    names answered by a DNS server on loopback."""
    from autocodec.registry import Runtime
    from tests._dns_server import DnsZone, plain_dns_server
    from tests._serve_proc import ServeProcess

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="serve-fuzz-")))
        zone = DnsZone()
        server = stack.enter_context(plain_dns_server(zone))
        home = folder / "home"
        home.mkdir()
        (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{server}"\n')
        with Runtime(home) as rt:
            world = _build(rt, folder)
        zone.records.update({
            "_dnslink.site.example": [(f"dnslink=/ipfs/{world.roots['site']}",)],
            "_dnslink.files.example": [(f"dnslink=/ipfs/{world.roots['files']}/f01.txt",)],
            "_dnslink.loop.example": [("dnslink=/ipns/loop.example",)],
            "_dnslink.broken.example": [("dnslink=/ipfs/not-a-cid",), ("v=spf1",)],
        })
        served = stack.enter_context(ServeProcess(home, folder, "--workers", "2"))
        yield served.url, served.log_path, world


# --- the grammar --------------------------------------------------------------------------------

SEGMENTS = ("index.html", "sub dir", "sub%20dir", "hello world.txt", "hello%20world.txt", "100%25.json", "100%.json",
            "caf%C3%A9%20%E6%BC%A2.txt", "link", "f01.txt", "f39.txt", "big.bin", "Links", "Links/0", "Data", "n",
            "nested", "list", "0", "1", "2", "-1", "01", ZEROS + "1", "deep", "", ".", "..", "%2e%2e", "%2E",
            "%00", "%ff", "%", "%zz", "a\u202eb", "\u00e9", "to", "file", "x" * 300, "old/page", "missing",
            "_redirects", "bytes", "%2F", "a;b", "?", "#")
FORMATS = ("raw", "car", "tar", "json", "cbor", "dag-json", "dag-cbor", "ipns-record", "html", "RAW", "", "x", "car%00")
ACCEPTS = ("application/vnd.ipld.raw", "application/vnd.ipld.car", "application/vnd.ipld.car; version=1; order=dfs; dups=y",
           "application/vnd.ipld.car;version=2", "application/vnd.ipld.car;order=unk;dups=n", "application/x-tar",
           "application/json", "application/cbor", "application/vnd.ipld.dag-json", "application/vnd.ipld.dag-cbor",
           "text/html", "text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "application/*", "garbage",
           "application/vnd.ipfs.ipns-record", "application/vnd.ipld.raw;q=0", ";;;", "a/b;q=nan", "text/html;q=1e999")
NUMBERS = ("0", "1", "-1", "5", "1023", "2047", "99999999999999999999", ZEROS, ZEROS + "7", "-" + ZEROS + "3", "1e3",
           "", " 3", "+2", "0x10", "\u0663", "9223372036854775807", "-9223372036854775808")
DATES = ("Mon, 02 Jan 2006 15:04:05 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "yesterday",
         "Monday, 02-Jan-06 15:04:05 GMT", "Mon Jan  2 15:04:05 2006", "", "Mon, 32 Jan 2006 25:61:61 GMT")


def _cid_forms(rng: random.Random, text: str) -> str:
    """``text`` (a CID) as clients write it: its own form, another base, upper case, or a garbled copy."""
    from autocodec import CID

    try:
        cid = CID.parse(text)
    except Exception:  # noqa: BLE001 - a name that is no CID stays as it is
        return text
    choice = rng.randrange(9)
    if choice == 0 and cid.version == 1:
        return cid.encode("base36")
    if choice == 1 and cid.version == 1:
        return cid.encode("base58btc")
    if choice == 2 and cid.version == 1:
        return cid.encode("base64url")
    if choice == 3:
        return text.upper()
    if choice == 4:
        return text[:-1]
    if choice == 5:
        return text + rng.choice(["0", "%00", "~", "\u00e9"])
    return text


def _number(rng: random.Random) -> str:
    return rng.choice(NUMBERS)


def _range(rng: random.Random) -> str:
    def element() -> str:
        return rng.choice([lambda: f"{_number(rng)}-{_number(rng)}", lambda: f"-{_number(rng)}", lambda: f"{_number(rng)}-",
                           lambda: rng.choice(["", " ", "-", "--", "a-b", "1-2-3"])])()

    unit = rng.choice(["bytes=", "bytes=", "bytes=", "bytes =", "BYTES=", "items="])
    return unit + rng.choice([",", ", "]).join(element() for _ in range(rng.choice([1, 1, 2, 3, 40])))


def _query(rng: random.Random) -> str:
    params: list[tuple[str, str]] = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
        key = rng.choice(["format", "dag-scope", "entity-bytes", "car-version", "car-order", "car-dups", "filename",
                          "download", "page", "raw", "output-codec", "codec", "uri", "x", "format", "depth", "q",
                          "autocodec-convert"])
        if key == "format":
            value = rng.choice(FORMATS)
        elif key == "dag-scope":
            value = rng.choice(["block", "entity", "all", "", "ALL", "x"])
        elif key == "entity-bytes":
            value = f"{_number(rng)}:{rng.choice([*NUMBERS, '*'])}"
        elif key in ("car-order", "car-dups", "car-version", "download", "raw"):
            value = rng.choice(["dfs", "unk", "y", "n", "1", "2", "true", "false", "", "x"])
        elif key == "page":
            value = _number(rng)
        elif key == "uri":
            value = rng.choice(["ipfs://" + ZEROS, "ipfs://bafkqaaa", "ipns://site.example/x", "web+x://y", "%"])
        else:
            value = rng.choice(["a.txt", "\u00e9\u6f22.bin", "a\r\nb", "dag-json", "0x71", ZEROS, "", "\"quoted\"", "1", "true"])
        params.append((key, value))
    if not params:
        return ""
    return "?" + "&".join(f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe=':*')}" for k, v in params)


def _path(rng: random.Random, world: World) -> str:
    if rng.random() < 0.4:  # somewhere that exists, reached in another form now and then
        path = rng.choice(world.paths)
        form = rng.randrange(6)
        if form == 0:
            return "/explore" + path
        if form == 1:
            return path.replace("/ipfs/", "/decode/", 1) if path.count("/") == 2 else path + "/"
        return path
    root = _cid_forms(rng, rng.choice(list(world.roots.values())))
    namespace = rng.choice(["/ipfs/", "/ipfs/", "/ipfs/", "/ipld/", "/ipns/", "/decode/", "/explore/ipfs/", "/explore/",
                            "/bao/", "/resolve/", "/ipvm/", "/", "/ipfs", "//ipfs/", "/healthz", "/metrics"])
    if namespace == "/ipns/":
        root = rng.choice([*world.dnslink, "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
                           "nothing.example", "..", "%2e%2e", root])
    if namespace == "/resolve/":
        return f"/resolve/{rng.choice(['codec', 'verifier', 'hasher', 'x'])}/{rng.choice(['git-raw', 'bao', '0x78', ZEROS, '%'])}"
    if namespace in ("/healthz", "/metrics", "/ipfs"):
        return namespace
    steps = [rng.choice(SEGMENTS) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))]
    tail = "/".join(urllib.parse.quote(s, safe="%/") if rng.random() < 0.8 else s for s in steps)
    path = namespace + root + ("/" + tail if steps else rng.choice(["", "/"]))
    return path


def _mutated(rng: random.Random, target: bytes, keep: bytes = b" \r\n") -> bytes:
    """``target`` with a few bytes changed (never to one of ``keep``: in a request line a hostile
    client sends any byte but the line's own separators, which would only end the line early)."""
    raw = bytearray(target)
    for _ in range(rng.randrange(1, 4)):
        if not raw:
            break
        at = rng.randrange(len(raw))
        raw[at:at + 1] = bytes([rng.choice([b for b in range(256) if b not in keep])]) if rng.random() < 0.7 else b""
    return bytes(raw)


def _headers(rng: random.Random, world: World) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        name = rng.choice(["Accept", "Accept", "Range", "Range", "If-None-Match", "If-Modified-Since", "If-Range",
                           "If-Match", "If-Unmodified-Since", "Host", "Host", "Service-Worker", "X-Forwarded-Host",
                           "X-Forwarded-Proto", "Origin", "Access-Control-Request-Method", "Accept-Encoding",
                           "Cache-Control", "X-Ipfs-Gateway-Prefix"])
        if name == "Accept":
            value = ", ".join(rng.choice(ACCEPTS) for _ in range(rng.choice([1, 1, 2])))
        elif name == "Range":
            value = _range(rng)
        elif name in ("If-None-Match", "If-Match", "If-Range"):
            root = rng.choice(list(world.roots.values()))
            value = rng.choice([f'"{root}"', f'W/"{root}"', "*", f'"{root}.raw", "x"', '"', "", rng.choice(DATES)])
        elif name in ("If-Modified-Since", "If-Unmodified-Since"):
            value = rng.choice(DATES)
        elif name in ("Host", "X-Forwarded-Host"):
            cid = _cid_forms(rng, rng.choice(list(world.roots.values())))
            value = rng.choice([f"{cid}.ipfs.localhost", f"{cid}.ipfs.localhost:8080", "localhost",
                                f"{rng.choice(world.dnslink).replace('.', '-')}.ipns.localhost",
                                *world.dnslink, "a..b", "[::1]:80", f"{ZEROS}.ipfs.localhost", "UPPER.IPFS.LOCALHOST",
                                f"{cid}.ipfs.{cid}.ipfs.localhost"])
        elif name == "Service-Worker":
            value = rng.choice(["script", "x"])
        elif name == "Origin":
            value = rng.choice(["https://example.com", "null", ""])
        else:
            value = rng.choice(["https", "GET", "gzip", "no-cache", "only-if-cached", "/prefix", ""])
        headers[name] = value
    return headers


@dataclass
class Outcome:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    problem: str


def _post(rng: random.Random, world: World) -> tuple[str, bytes, dict[str, str]]:
    """A POST to an executor's route: a signed container, mutated now and then, or other bytes."""
    path = rng.choice(["/ipvm/invoke", "/ipvm/invoke", "/ipvm/revoke", "/ipvm/revoke?relayed=1",
                       "/ipvm/revoke?relayed=" + ZEROS, "/admin/refresh"])
    body = rng.choice(world.containers) if world.containers else b""
    shape = rng.randrange(5)
    if shape == 0:
        body = _mutated(rng, body, keep=b"")
    elif shape == 1:
        body = rng.randbytes(rng.choice([0, 1, 9, 300]))
    elif shape == 2:
        body = body[:rng.randrange(len(body) + 1)]
    headers = {} if rng.random() < 0.3 else {"Content-Type": rng.choice(
        ["application/vnd.ipld.dag-cbor", "application/vnd.ipld.dag-cbor; charset=x", "text/plain", "", ";"])}
    if rng.random() < 0.2:
        headers["Origin"] = "https://example.com"
    return path, body, headers


def _exchange(url: str, method: str, target: bytes, headers: dict[str, str],
              body: bytes = b"") -> tuple[int, list[bytes], bytes]:
    """One request sent as raw bytes on a new connection (``Connection: close``): the status,
    the header lines and the body as they came. Raises ``OSError``/``ValueError`` when no answer came."""
    parsed = urllib.parse.urlsplit(url)
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    if not any(name.lower() == "host" for name in headers):
        lines.append(f"Host: {parsed.netloc}".encode())
    lines += [f"{name}: {value}".encode("utf-8") for name, value in headers.items()]
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: close")
    with socket.create_connection((parsed.hostname, parsed.port), timeout=REQUEST_BOUND_S) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        deadline = time.monotonic() + REQUEST_BOUND_S
        got = bytearray()
        while time.monotonic() < deadline:
            piece = sock.recv(1 << 16)
            if not piece:
                break
            got += piece
        else:
            raise TimeoutError(f"the answer did not end within {REQUEST_BOUND_S} s")
    head, sep, body = bytes(got).partition(b"\r\n\r\n")
    if not sep:
        raise ValueError(f"no complete answer: {bytes(got[:200])!r}")
    status_line, *header_lines = head.split(b"\r\n")
    return int(status_line.split(b" ")[1]), header_lines, body


def _problem(status: int, header_lines: list[bytes], body: bytes) -> str | None:
    if status == 500 and (b"unexpected error" in body or b"Server got itself in trouble" in body):  # ours, aiohttp's
        return f"an unexpected error: {body[:300]!r}"
    for line in header_lines:
        name, colon, _ = line.partition(b":")
        if not colon or not name or b"\n" in line or b"\r" in line or name != name.strip():
            return f"a malformed header line: {line[:120]!r}"
    return None


def run(requests: int, seed: int, statuses: Counter[int] | None = None) -> list[Outcome]:
    """``requests`` random requests against the served world; the ones that broke a rule (and
    one more for each unexpected error the server logged). ``statuses`` counts the answers."""
    rng = random.Random(seed)
    bad: list[Outcome] = []
    statuses = Counter() if statuses is None else statuses
    with served_world() as (url, log_path, world):
        for _ in range(requests):
            method = rng.choice(["GET"] * 6 + ["HEAD"] * 2 + ["OPTIONS", "POST", "POST", "PUT", "DELETE"])
            sent = b""
            if method == "POST" and rng.random() < 0.7:
                path, sent, headers = _post(rng, world)
                target = path.encode()
            else:
                path = _path(rng, world) + _query(rng)
                target = path.encode("utf-8", "surrogatepass")
                if rng.random() < 0.15:
                    target = _mutated(rng, target)
                headers = _headers(rng, world)
            try:
                status, header_lines, body = _exchange(url, method, target, headers, sent)
                problem = _problem(status, header_lines, body)
                statuses[status] += 1
            except (OSError, ValueError, IndexError) as exc:
                status, problem = 0, f"{type(exc).__name__}: {exc}"[:300]
            if problem is not None:
                bad.append(Outcome(method, target.decode("latin-1"), headers, status, problem))
        log = log_path.read_text(errors="replace")
    bad += [Outcome("?", "?", {}, 0, line[:400]) for line in log.splitlines() if "unexpected_error" in line]
    return bad


def test_random_requests_end_in_no_unexpected_error() -> None:
    bad = run(4000, 1)
    assert not bad, "\n".join(f"{b.method} {b.path[:200]} {b.headers} -> {b.problem}" for b in bad[:10])


def test_the_check_sees_an_unexpected_error() -> None:
    assert _problem(500, [], b"unexpected error (see the server log)") is not None
    assert _problem(500, [], b"500 Internal Server Error\n\nServer got itself in trouble") is not None
    assert _problem(500, [], b"<title>500 Internal Server Error</title> DNSLink lookup failed") is None  # Kubo's 500 too
    assert _problem(200, [b"X: a\nb"], b"") is not None
    assert _problem(200, [b"no colon"], b"") is not None
    assert _problem(500, [b"Content-Type: text/plain"], b"failed to resolve /ipfs/x: block was not found") is None


if __name__ == "__main__":  # python -m tests.test_serve_request_fuzz REQUESTS SEED
    counted: Counter[int] = Counter()
    found = run(int(sys.argv[1]), int(sys.argv[2]), counted)
    for outcome in found:
        print(f"{outcome.method} {outcome.path[:300]} {outcome.headers} -> {outcome.status} {outcome.problem}")
    print(f"{int(sys.argv[1])} requests (seed {sys.argv[2]}): {len(found)} broke a rule; answers by status: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(counted.items())))
    sys.exit(1 if found else 0)
