"""The /ipfs/ gateway and the explorer in-process (aiohttp test client, no Kubo): what the
Kubo differential tests cannot show: raw blocks of codecs nothing decodes, the opt-in
conversion's provenance for a Wasm codec, ETag revalidation, bounds, escaping, and that a
request cannot make the server fetch from anywhere it was not configured with.
The behaviour shared with Kubo is held to Kubo in tests/test_gateway_kubo.py."""

from __future__ import annotations

import asyncio
import http.server
import io
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from autocodec import CID
from autocodec.registry import Runtime
from autocodec.serve import make_app
from autocodec.serve._car import car_params
from autocodec.serve._content_type import sniff
from autocodec.serve._unixfs import resolve_range
from autocodec.store import CarReader
from autocodec.unixfs import AddOptions, _pb, add_bytes
from tests import _gateway_app
from tests._gateway_app import GIT_RAW, call

REPO = Path(__file__).resolve().parents[1]

runtime = _gateway_app.runtime  # the in-process gateway app over a fresh home (tests/_gateway_app.py)


# --- pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "size", "expected"), [
    ("0:*", 1026, (0, 1025)), ("512:1023", 1026, (512, 1023)), ("512:-256", 1026, (512, 770)),
    ("-5:*", 1026, (1021, 1025)), ("-9999:*", 1026, (0, 1025)), ("-9999:-3", 1026, (0, 1023)),
    ("0:0", 1026, (0, 0)), ("0:99999", 10, (0, 9)), ("5:*", 0, None), ("20:*", 10, None),
])
def test_entity_bytes_ranges(spec: str, size: int, expected: tuple[int, int] | None) -> None:
    """The trustless gateway spec's entity-bytes arithmetic (the conformance suite's ranges)."""
    assert resolve_range(size, spec) == expected


@pytest.mark.parametrize("spec", ["", "0", "a:b", "1:", ":5", "10:2", "-1:-5", "1:2:3", " 5:6", "1_0:20", "0:1" + "0" * 19])
def test_entity_bytes_malformed(spec: str) -> None:
    with pytest.raises(ValueError):
        resolve_range(100, spec)


def test_car_parameters() -> None:
    params = car_params({"dag-scope": "entity", "car-dups": "y"}, {"order": "unk"})
    assert (params.scope, params.dups, params.order) == ("entity", True, "unk")
    assert params.content_type() == "application/vnd.ipld.car; version=1; order=unk; dups=y"
    from autocodec.errors import InvalidInput

    for query, accept in (({"dag-scope": "x"}, {}), ({}, {"version": "2"}), ({"car-order": "bfs"}, {}),
                          ({"car-dups": "maybe"}, {}), ({"entity-bytes": "x"}, {})):
        with pytest.raises(InvalidInput):
            car_params(query, accept)
    won = car_params({"car-dups": "y", "car-order": ""}, {"dups": "n", "order": "unk"})  # a query value wins
    assert (won.dups, won.order) == (True, "unk")


@pytest.mark.parametrize(("text", "expected"), [
    ("5", 5), ("+5", 5), ("-5", -5), ("-0", 0), ("0" * 30 + "7", 7), (str(2**63 - 1), 2**63 - 1), (str(-2**63), -2**63),
    (str(2**63), None), (" 5", None), ("5 ", None), ("1_0", None), ("\u0663", None), ("", None), ("+", None),
    ("9" * 5000, None), ("0" * 5000, 0), ("-" + "0" * 5000 + "12", -12),  # Go takes any number of leading zeros
])
def test_go_int64(text: str, expected: int | None) -> None:
    """Numbers in requests read as Go's strconv.ParseInt(text, 10, 64) reads them."""
    from autocodec.serve._goparse import parse_int64

    assert parse_int64(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Wed, 01 Jan 2020 00:00:00 GMT", 1577836800), ("Wednesday, 01-Jan-20 00:00:00 GMT", 1577836800),
    ("Wed Jan  1 00:00:00 2020", 1577836800), ("Wed, 01 Jan 2020 00:00:00 UTC", None), ("2020-01-01", None), ("", None),
])
def test_go_http_time(text: str, expected: int | None) -> None:
    """HTTP dates read as Go's http.ParseTime reads them (If-Modified-Since, If-Range, ...)."""
    from autocodec.serve._goparse import parse_http_time

    assert parse_http_time(text) == expected


@pytest.mark.parametrize(("header", "weak", "expected"), [
    ('"a"', True, False), ('"b"', True, True), ('W/"b"', True, True), ('W/"b"', False, False), ('"b"', False, True),
    ('"a", "b"', False, True), (" , *", False, True), ('zz, "b"', True, False), ('"a" junk "b"', True, False),
    ("", True, False), ('"b', True, False),
])
def test_go_etag_lists(header: str, weak: bool, expected: bool) -> None:
    """ETag lists read as Go's checkIfMatch/checkIfNoneMatch read them, against the ETag "b"."""
    from autocodec.serve._goparse import etag_listed

    assert etag_listed(header, '"b"', weak=weak) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("application/vnd.ipld.car; version=1; dups=y", ("application/vnd.ipld.car", {"version": "1", "dups": "y"})),
    ("Application/VND.ipld.CAR;ORDER=dfs", ("application/vnd.ipld.car", {"order": "dfs"})),
    ('application/vnd.ipld.car; dups="y"; x="a\\"b"', ("application/vnd.ipld.car", {"dups": "y", "x": 'a"b'})),
    ("application/vnd.ipld.car; dups=y; dups=y;", ("application/vnd.ipld.car", {"dups": "y"})),
    ("application/vnd.ipld.car; x={a}", ("application/vnd.ipld.car", {"x": "{a}"})),  # braces are token characters
    ("application/vnd.ipld.car;order", "mime: invalid media parameter"),
    ('application/vnd.ipld.car; x="open', "mime: invalid media parameter"),
    ("application/vnd.ipld.car; dups=y; dups=n", "mime: duplicate parameter name"),
    ("application/vnd.ipld.car x", "mime: unexpected content after media subtype"),
    ("application/", "mime: expected token after slash"),
])
def test_go_media_type(text: str, expected: Any) -> None:
    """One Accept element read as Go's mime.ParseMediaType reads it (what Kubo answers 400)."""
    from autocodec.serve._goparse import parse_media_type

    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            parse_media_type(text)
    else:
        assert parse_media_type(text) == expected


@pytest.mark.parametrize(("head", "kind"), [
    (b"\x89PNG\r\n\x1a\n....", "image/png"), (b"%PDF-1.7", "application/pdf"),
    (b"  <html><body>", "text/html; charset=utf-8"), (b"\xef\xbb\xbf<html>", "text/plain; charset=utf-8"),
    (b"plain words\n", "text/plain; charset=utf-8"), (b"\x00\x01\x02", "application/octet-stream"),
    (b"caf\xc3\xa9", "text/plain; charset=utf-8"), (b"", "text/plain"), (b'{"a": 1}', "text/plain; charset=utf-8"),
])
def test_sniffing(head: bytes, kind: str) -> None:
    """A range that starts past the file's first byte: Go's http.DetectContentType."""
    assert sniff(head) == kind


@pytest.mark.parametrize(("head", "kind"), [
    (b'{"a": 1}', "application/json"), (b"[1,]", "application/json"), (b"123", "text/plain; charset=utf-8"),
    (b'{"a": 1}\n[2]\n', "application/x-ndjson"), (b"a,b\n1,2\n", "text/csv"), (b"a\tb\n1\t2\n", "text/tab-separated-values"),
    (b"#!/usr/bin/env -S  python3\n", "text/x-python"), (b"#!/bin/shell\n", "text/plain; charset=utf-8"),
    (b"caf\xe9\n", "text/plain; charset=iso-8859-1"), (b"\xef\xbb\xbf <html>", "text/html"),
    (b"[" + b"1," * 3000, "application/json"), (b"[" + b"1," * 1000 + b"x", "text/plain; charset=utf-8"),
    (b"text " * 900 + b"\x01", "text/plain; charset=utf-8"), (b"text " * 800 + b"\x01", "application/octet-stream"),
])
def test_detecting_a_file_type_from_its_start(head: bytes, kind: str) -> None:
    """A file answered from its first byte: boxo's mimetype detection over 4 KiB (differential
    cases against Kubo in tests/test_gateway_kubo.py::test_sniffed_types_get_kubos_answer)."""
    from autocodec.serve._detect import detect

    assert detect(head) == kind


# --- routes ------------------------------------------------------------------------------------

def test_raw_block_of_a_codec_nothing_decodes(runtime: Runtime) -> None:
    """A trustless gateway serves any block by CID: the codec need not be known."""
    data = b"opaque bytes of an unknown format"
    cid = runtime.cid_for(data, 0x300001)
    runtime.store.put(cid, data)
    status, headers, body = call(runtime, f"/ipfs/{cid}?format=raw")
    assert (status, body, headers["Content-Type"]) == (200, data, "application/vnd.ipld.raw")
    status, _, body = call(runtime, f"/ipfs/{cid}?format=car")
    assert status == 200
    assert [(c, bytes(d)) for c, d in CarReader(io.BytesIO(body))] == [(cid, data)]
    status, _, _ = call(runtime, f"/ipfs/{cid}?format=dag-json&autocodec-convert=1")
    assert status == 501  # nothing trusted decodes it: said, not guessed
    status, _, body = call(runtime, f"/decode/{cid}")  # the JSON route answers it as the gateway does
    assert (status, json.loads(body)["error"]) == (501, "UnknownCodec"), body
    status, _, body = call(runtime, "/resolve/codec/0x300001")  # a code nothing serves: no resolution
    assert (status, json.loads(body)["source"]) == (404, "none"), body
    for text in ("nonsense", "0x" + "f" * 40):  # a text that names no code: a malformed request
        status, _, body = call(runtime, f"/resolve/codec/{text}")
        assert (status, json.loads(body)["error"]) == (400, "UnknownCodec"), (text, body)


def test_conversion_of_a_wasm_codec_says_which_module(runtime: Runtime, tmp_path: Path) -> None:
    runtime.add_local_module(GIT_RAW)
    body = b"hello\n"
    obj = b"blob %d\x00" % len(body) + body
    cid = CID.build(0x78, b"\x11\x14" + __import__("hashlib").sha1(obj).digest())
    runtime.store.put(cid, obj)
    status, _, text = call(runtime, f"/ipfs/{cid}?format=dag-json")
    assert status == 406 and b"autocodec-convert=1" in text
    status, headers, out = call(runtime, f"/ipfs/{cid}?format=dag-json&autocodec-convert=1")
    assert status == 200, out
    assert headers["X-Autocodec-Decoder"] == "extension"
    assert headers["X-Autocodec-Codec"] == "git-raw"
    assert headers["X-Autocodec-Sandboxed"] == "wasmtime"
    module = headers["X-Autocodec-Module"]
    assert module == str(runtime.resolve("codec", "git-raw").module)
    status, headers, _ = call(runtime, f"/decode/{cid}")
    assert status == 200 and headers["X-Autocodec-Decoder"] == "extension"
    assert headers["X-Autocodec-Module"] == module


def test_etag_revalidation_and_head(runtime: Runtime) -> None:
    added = add_bytes(runtime.store, b"x" * 5000, AddOptions(cid_version=1, chunker="size-1024"))  # a CID
    status, headers, body = call(runtime, f"/ipfs/{added}")
    assert status == 200 and body == b"x" * 5000
    assert headers["Cache-Control"] == "public, max-age=29030400, immutable"
    etag = headers["Etag"]
    assert call(runtime, f"/ipfs/{added}", {"If-None-Match": etag})[0] == 304
    status, headers, body = call(runtime, f"/ipfs/{added}", method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", "5000")
    status, headers, body = call(runtime, f"/ipfs/{added}", {"Range": "bytes=1020-1030"})
    assert (status, body, headers["Content-Range"]) == (206, b"x" * 11, "bytes 1020-1030/5000")


def test_bounds_and_bad_requests(runtime: Runtime) -> None:
    cid = runtime.put(b"{}", "dag-json")
    assert call(runtime, "/ipfs/" + str(cid) + "/a" * 65)[0] == 400
    assert call(runtime, "/ipfs/")[0] == 400
    assert call(runtime, "/ipfs/not-a-cid")[0] == 400
    status, headers, body = call(runtime, f"/ipfs/{cid}?format=tar")  # a dag-json block has no TAR form
    assert status == 400 and headers["X-Content-Type-Options"] == "nosniff" and b"no TAR form" in body
    assert b"Traceback" not in body


def test_explorer_escapes_and_bounds(runtime: Runtime) -> None:
    value = {"<script>alert(1)</script>": "<img src=x onerror=alert(1)>", "many": list(range(700)),
             "link": runtime.put(b"{}", "dag-json")}
    cid = runtime.put(runtime.encode(value, "dag-cbor"), "dag-cbor")
    status, headers, page = call(runtime, f"/explore/{cid}")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<script>alert" not in page and b"<img src=x" not in page
    assert b"&lt;script&gt;" in page
    assert b"200 more items" in page  # 500 shown of 700
    assert f'href="/explore/{cid}/link"'.encode() in page
    assert b"builtin" in page
    status, _, page = call(runtime, f"/explore/{cid}/many/3")
    assert status == 200 and b"inside the block" in page
    status, _, page = call(runtime, "/explore/bafkreinotacid")
    assert status == 400 and b"Traceback" not in page


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x")

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


def test_a_request_cannot_name_a_source(runtime: Runtime) -> None:
    """No query parameter or header makes the server fetch from elsewhere: with no source
    configured, a missing block is a 404 and a listening server named in the request is
    never contacted."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        there = f"http://127.0.0.1:{server.server_address[1]}"
        missing = "bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm"
        for query in (f"?gateway={there}", f"?node={there}", f"?format=raw&source={there}"):
            status, _, _ = call(runtime, f"/ipfs/{missing}{query}", {"X-Forwarded-Host": there, "Referer": there})
            assert status == 404
        assert _Recorder.hits == []
    finally:
        server.shutdown()


def test_serve_listens_on_loopback_by_default() -> None:
    import argparse

    from autocodec.cli import cmd_serve

    parser = argparse.ArgumentParser()
    cmd_serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve"])
    assert args.host == "127.0.0.1"


def test_a_block_missing_mid_car_breaks_the_transfer(runtime: Runtime) -> None:
    """After the 200 is sent, a missing block aborts the connection: the client cannot mistake
    the truncated CAR for a whole one."""
    import aiohttp

    import random

    data = random.Random(5).randbytes(40 * 1024)  # 40 distinct leaves
    added = add_bytes(runtime.store, data, AddOptions(cid_version=1, chunker="size-1024"))
    leaves = runtime.links(added, runtime.get(added))
    assert len(set(leaves)) == 40
    runtime.store.delete(leaves[5])

    async def go() -> None:
        async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
            resp = await client.get(f"/ipfs/{added}?format=car")
            assert resp.status == 200
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()
            # the server goes on serving
            ok = await client.get(f"/ipfs/{leaves[0]}?format=raw")
            assert ok.status == 200

    asyncio.run(go())


def test_listings_are_bounded_and_index_html_is_still_found(runtime: Runtime, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.serve import _gateway_files as _gateway
    from autocodec.unixfs import add_path

    monkeypatch.setattr(_gateway, "MAX_LISTING", 3)
    folder = tmp_path / "dir"
    folder.mkdir()
    for name in ("a", "b", "c", "d"):
        (folder / name).write_text(name)
    listing_root = add_path(runtime.store, folder, recursive=True)[-1].cid
    status, _, page = call(runtime, f"/ipfs/{listing_root}/")
    assert status == 200 and b"Only the first 3 entries" in page
    assert b">c</a>" in page and b">d</a>" not in page
    (folder / "index.html").write_text("<html>home</html>")  # sorts after a-d: past the listed part
    site = add_path(runtime.store, folder, recursive=True)[-1].cid
    status, headers, page = call(runtime, f"/ipfs/{site}/")
    assert (status, page) == (200, b"<html>home</html>")
    assert headers["Etag"] == f'"{site}"'


def test_docs_name_every_case_compared_with_kubo() -> None:
    """docs/gateway.md lists each differential case by name (the tables of test_gateway_kubo)."""
    from tests import test_gateway_kubo as kubo_cases

    doc = (REPO / "docs" / "gateway.md").read_text()
    tables = (kubo_cases.RAW_CASES, kubo_cases.CAR_CASES, kubo_cases.ERROR_CASES, kubo_cases.FILE_CASES,
              kubo_cases.DIR_CASES, kubo_cases.FORMAT_CASES)
    missing = [name for table in tables for name in table if name not in doc]
    assert not missing, missing


def test_explorer_shows_the_bytes_of_a_block_nothing_decodes(runtime: Runtime) -> None:
    data = b"\x00\x01opaque"
    cid = runtime.cid_for(data, 0x300001)
    runtime.store.put(cid, data)
    status, _, page = call(runtime, f"/explore/{cid}")
    assert status == 501
    assert b'id="undecoded"' in page and b"00 01 6f 70 61 71 75 65" in page
    assert f"{len(data)}</code> bytes".encode() in page


def _dag_pb(runtime: Runtime, meta: _pb.UnixfsData, links: Sequence[tuple[str, CID]] = ()) -> CID:
    """A UnixFS dag-pb node in the store (links in dag-pb's canonical order)."""
    ordered = sorted(links, key=lambda link: link[0].encode())
    node = {"Data": _pb.encode(meta), "Links": [{"Hash": cid, "Name": name, "Tsize": 1} for name, cid in ordered]}
    return runtime.put(runtime.encode(node, "dag-pb"), "dag-pb")


def test_tar_keeps_unixfs_mode_and_mtime(runtime: Runtime) -> None:
    """UnixFS 1.5 mode and mtime go into the TAR headers; without them, Kubo's default modes
    and time 0 (the same bytes for the same CID)."""
    import tarfile

    leaf = _dag_pb(runtime, _pb.UnixfsData(_pb.FILE, b"hello", 5, mode=0o100600, mtime=(1_700_000_000, 5)))
    plain = _dag_pb(runtime, _pb.UnixfsData(_pb.FILE, b"x", 1))
    link = _dag_pb(runtime, _pb.UnixfsData(_pb.SYMLINK, b"a.txt"))
    root = _dag_pb(runtime, _pb.UnixfsData(_pb.DIRECTORY), [("a.txt", leaf), ("b", plain), ("c", link)])
    status, headers, body = call(runtime, f"/ipfs/{root}?format=tar")
    assert status == 200 and headers["Content-Type"] == "application/x-tar"
    assert body == call(runtime, f"/ipfs/{root}?format=tar")[2]  # the same bytes every time
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        got = [(m.name, m.type, m.mode, m.mtime, m.linkname) for m in archive]
        assert archive.extractfile(f"{root}/a.txt").read() == b"hello"  # type: ignore[union-attr]
    assert got == [(str(root), tarfile.DIRTYPE, 0o755, 0, ""),
                   (f"{root}/a.txt", tarfile.REGTYPE, 0o600, 1_700_000_000, ""),
                   (f"{root}/b", tarfile.REGTYPE, 0o644, 0, ""),
                   (f"{root}/c", tarfile.SYMTYPE, 0o777, 0, "a.txt")]


@pytest.mark.parametrize("name", ["..", "../x", "a/../../x"])
def test_tar_refuses_a_name_that_leaves_the_root(runtime: Runtime, name: str) -> None:
    """An entry named to escape the archive's root (a hostile DAG) ends the stream before it
    is written: a truncated transfer, never a member outside the root (Kubo refuses it too)."""
    import aiohttp

    leaf = _dag_pb(runtime, _pb.UnixfsData(_pb.FILE, b"evil", 4))
    root = _dag_pb(runtime, _pb.UnixfsData(_pb.DIRECTORY), [("ok", leaf), (name, leaf)])

    async def go() -> bytes:
        async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
            resp = await client.get(f"/ipfs/{root}?format=tar")
            assert resp.status == 200  # the refusal comes mid-stream, after the root's header
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()
            return b""

    asyncio.run(go())


def test_a_hamt_of_empty_shards_is_refused_after_a_bounded_walk(runtime: Runtime) -> None:
    """A hostile "HAMT" whose shards link 256 times to the same empty shard would take 256^3
    reads to list. A real HAMT has fewer shards than entries, so the walk stops once it has
    read more than twice as many shards as it found entries (plus two depth bounds)."""
    from autocodec.errors import InvalidBlock
    from autocodec.serve._unixfs import entries, hamt_blocks

    shard = _pb.UnixfsData(_pb.HAMT_SHARD, b"\xff" * 32, hash_type=0x22, fanout=256)
    level = _dag_pb(runtime, shard)
    for _ in range(3):
        level = _dag_pb(runtime, shard, [(f"{i:02X}", level) for i in range(256)])

    class Counting:
        reads = 0

        def get(self, cid: CID) -> bytes:
            Counting.reads += 1
            return runtime.get(cid)

    with pytest.raises(InvalidBlock, match="not a UnixFS HAMT"):
        entries(Counting(), level, runtime.get(level))
    assert Counting.reads <= 2 * 64 + 1
    assert call(runtime, f"/ipfs/{level}/")[0] == 500  # the listing: an invalid block (as Kubo)
    Counting.reads = 0  # the CAR of the entity walks the shards with the same bound
    with pytest.raises(InvalidBlock, match="not a UnixFS HAMT"):
        list(hamt_blocks(Counting(), level, runtime.get(level)))
    assert Counting.reads <= 2 * 64 + 1


def test_a_hamt_link_named_with_fewer_than_two_characters_is_refused_not_skipped(runtime: Runtime) -> None:
    """A shard link named "A" is neither a sub-shard (two hex digits) nor an entry (digits and
    a name). boxo refuses it (``ipfs ls``: "invalid link name 'A'"); skipping it would hide an
    entry Kubo refuses to list, in listings, TARs and ``get`` alike."""
    from autocodec.errors import InvalidBlock
    from autocodec.serve._unixfs import entries, hamt_blocks

    leaf = _dag_pb(runtime, _pb.UnixfsData(_pb.FILE, b"x", 1))
    shard = _pb.UnixfsData(_pb.HAMT_SHARD, (1 << 0x0A | 1 << 0xB3).to_bytes(32, "big"), hash_type=0x22, fanout=256)
    root = _dag_pb(runtime, shard, [("A", leaf), ("B3ok", leaf)])
    with pytest.raises(InvalidBlock, match="link named 'A'"):
        entries(runtime, root, runtime.get(root))
    with pytest.raises(InvalidBlock, match="link named 'A'"):
        list(hamt_blocks(runtime, root, runtime.get(root)))
    assert call(runtime, f"/ipfs/{root}/")[0] == 500  # the listing: an invalid block (as Kubo)


@pytest.mark.parametrize("query", ["format=tar", "format=car&car-dups=y"])
def test_a_streamed_body_runs_while_the_client_reads_and_is_cut_when_it_stalls(
        runtime: Runtime, query: str) -> None:
    """31 blocks, each directory linking the next twice: 2^30 files in a TAR (and a CAR with
    duplicates), a body without end. The request deadline (1 s here) bounded the whole
    response, so every download longer than it was cut, a large file to a slow client too (a
    CAR of a million blocks stopped at 60 s, half sent); Kubo's gateway streams as long as the
    client reads. Now a body that makes progress runs past the deadline, and one whose client
    stops reading is cut after the deadline without progress: the client sees the transfer
    break off, never a connection left open and silent. The reads span a few deadlines; no
    assertion is about speed."""
    import aiohttp

    from autocodec.config import ServeLimits
    from autocodec.serve._guard import ConnectionGuard

    here = _dag_pb(runtime, _pb.UnixfsData(_pb.DIRECTORY), [("f", _dag_pb(runtime, _pb.UnixfsData(_pb.FILE, b"x", 1)))])
    for _ in range(30):
        here = _dag_pb(runtime, _pb.UnixfsData(_pb.DIRECTORY), [("a", here), ("b", here)])

    async def go() -> None:
        guard = ConnectionGuard(ServeLimits(request_timeout_s=1))
        loop = asyncio.get_running_loop()
        async with TestClient(TestServer(make_app(runtime, workers=2, guard=guard))) as client:
            resp = await client.get(f"/ipfs/{here}?{query}")
            assert resp.status == 200
            began, read = loop.time(), 0
            while loop.time() - began < 3.5:  # three deadlines and more, reading all along
                read += len(await asyncio.wait_for(resp.content.read(65536), 30))
            assert read > 0
            resp.close()
            if query != "format=tar":
                return  # a CAR of such small blocks fills the socket's buffers too slowly to stall soon
            stalled = await client.get(f"/ipfs/{here}?{query}")
            assert stalled.status == 200
            await asyncio.sleep(5)  # reads nothing: the buffers fill, the server's writes stop making progress
            with pytest.raises(aiohttp.ClientPayloadError):
                await asyncio.wait_for(stalled.read(), 30)

    asyncio.run(go())
