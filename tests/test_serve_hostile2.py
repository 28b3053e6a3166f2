"""Hostile and odd HTTP requests against a real ``autocodec serve`` process (and, where the
answer is Kubo's, against Kubo v0.43.1's gateway on the same content).

A held BLAKE3 blob on ``/ipfs/{cid}`` (answered by the Bao route, docs/bao.md) is the raw block
of its CID to a client, so it must answer what the gateway answers for any raw block: the
conditional headers (``If-Match`` a 412, an ``If-Range`` that does not match makes ``Range``
ignored, RFC 9110 13.1.5), ``Content-Disposition`` (``format=raw``, ``?filename=``), and the
same content at ``/ipfs/{cid}/`` and on its subdomain origin (where ``curl -L
http://localhost:PORT/ipfs/{cid}`` lands)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests._blob_home import BAO, CBOR, CBOR_CID, JSON, JSON_CID, TEXT, blob_home, site_folder
from tests._http_request import RawReply, fetch_raw
from tests._serve_proc import ServeProcess

pytest.importorskip("blake3")


class Served(NamedTuple):
    srv: ServeProcess
    cid: str  # the blob's
    site: str


@pytest.fixture(scope="module")
def blob_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("hostile2")
    cid, site = blob_home(tmp / "home", TEXT)
    with ServeProcess(tmp / "home", tmp, "--module", str(BAO)) as srv:
        yield Served(srv, cid, site)


def _get(srv: ServeProcess, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> RawReply:
    return fetch_raw(srv.url, path, headers, method)


def test_blob_if_match_that_fails_is_a_412(blob_server: Served) -> None:
    """RFC 9110 13.1.1: a GET whose ``If-Match`` names another ETag is not performed (Go's
    content server, so Kubo, answers 412); the blob route ignored it and sent the content."""
    srv, cid, _ = blob_server
    reply = _get(srv, f"/ipfs/{cid}", {"If-Match": '"not-this"'})
    assert reply.status == 412 and reply.body == b""
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"  # the 200's type, as Kubo's 412
    assert _get(srv, f"/ipfs/{cid}", {"If-Match": f'"{cid}"'}).status == 200
    assert _get(srv, f"/ipfs/{cid}?format=raw", {"If-Match": f'"{cid}"'}).status == 412  # its ETag is "{cid}.raw"


def test_blob_if_range_that_does_not_match_sends_all(blob_server: Served) -> None:
    """RFC 9110 13.1.5: ``Range`` is ignored unless ``If-Range`` names the current ETag
    (strongly); a resumed download of other content must not get a 206 splice."""
    srv, cid, _ = blob_server
    for validator in ('"other"', f'W/"{cid}"', "Thu, 01 Jan 1970 00:00:01 GMT"):
        reply = _get(srv, f"/ipfs/{cid}", {"Range": "bytes=10-19", "If-Range": validator})
        assert reply.status == 200 and reply.body == TEXT and "content-range" not in reply.headers, validator
    reply = _get(srv, f"/ipfs/{cid}", {"Range": "bytes=10-19", "If-Range": f'"{cid}"'})
    assert reply.status == 206 and reply.body == TEXT[10:20]
    assert reply.headers["content-range"] == f"bytes 10-19/{len(TEXT)}"


def test_blob_is_named_as_a_raw_block(blob_server: Served) -> None:
    """``format=raw`` is an attachment ``{cid}.bin`` (trustless gateway spec), ``?filename=``
    names it and types it (``download=true``: an attachment), as for any raw block."""
    srv, cid, _ = blob_server
    raw = _get(srv, f"/ipfs/{cid}?format=raw")
    assert raw.headers["content-disposition"].startswith(f'attachment; filename="{cid}.bin"')
    assert raw.body == TEXT
    named = _get(srv, f"/ipfs/{cid}?filename=data.json", method="HEAD")
    assert named.headers["content-disposition"].startswith('inline; filename="data.json"')
    assert named.headers["content-type"] == "application/json"
    download = _get(srv, f"/ipfs/{cid}?filename=a%20b.txt&download=true", method="HEAD")
    assert download.headers["content-disposition"].startswith('attachment; filename="a%20b.txt"')
    assert "content-disposition" not in _get(srv, f"/ipfs/{cid}", method="HEAD").headers


def test_blob_with_a_trailing_slash_and_on_its_subdomain(blob_server: Served) -> None:
    """``/ipfs/{cid}/`` is the raw block too (the gateway serves a raw block there), and so is
    the root of its subdomain origin: ``Host: localhost`` redirects ``/ipfs/{cid}`` there, so the
    blob was a 404 to every client that follows the redirect."""
    srv, cid, _ = blob_server
    moved = _get(srv, f"/ipfs/{cid}", {"Host": f"localhost:{srv.port}"})
    assert moved.status == 301 and moved.headers["location"] == f"http://{cid}.ipfs.localhost:{srv.port}/"
    for path, headers in ((f"/ipfs/{cid}/", {}), ("/", {"Host": f"{cid}.ipfs.localhost:{srv.port}"})):
        reply = _get(srv, path, headers)
        assert reply.status == 200 and reply.body == TEXT, (path, reply.status, reply.body[:200])
        assert reply.headers["etag"] == f'"{cid}"'
        part = _get(srv, path, {**headers, "Range": "bytes=-5"})
        assert part.status == 206 and part.body == TEXT[-5:]
    assert _get(srv, f"/ipfs/{cid}/", {"If-None-Match": f'"{cid}"'}).status == 304
    assert _get(srv, f"/ipfs/{cid}/missing").status == 404  # a path under a blob is the gateway's


def test_empty_suffix_and_if_range_of_the_epoch_as_kubo(blob_server: Served) -> None:
    """``Range: bytes=-0`` (an empty 206) is typed as Kubo types it: from the content's start, as
    an answer from byte 0 (it was Go's sniff of no bytes, ``text/plain``, for a file and a blob);
    an ``If-Range`` date of the Unix epoch keeps the range of content with no mtime, as boxo hands
    Go's content server the epoch then (it was ignored: a 200)."""
    srv, cid, _ = blob_server
    for path, kind in ((f"/ipfs/{JSON_CID}", "application/json"), (f"/ipfs/{cid}", "text/plain; charset=utf-8")):
        reply = _get(srv, path, {"Range": "bytes=-0"})
        assert (reply.status, reply.body, reply.headers["content-type"]) == (206, b"", kind), path
        reply = _get(srv, path, {"Range": "bytes=1-2", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"})
        assert reply.status == 206 and len(reply.body) == 2, path
        assert _get(srv, path, {"Range": "bytes=1-2", "If-Range": "Thu, 01 Jan 1970 00:00:01 GMT"}).status == 200


def test_malformed_range_is_read_before_the_path_as_kubo(blob_server: Served) -> None:
    """Kubo (boxo's ``serveDefaults``) reads a GET's ``Range`` syntax before the path when no
    format is asked: a malformed one is its 400 ``invalid range request: invalid range``, not
    the 404, 501 (or listing, redirect) the path gives; a HEAD is not checked there. A block's
    bytes (raw, as stored) refuse it on HEAD too; a file's HEAD is Go's 416. A held blob is read
    so (it was a 416 for ``0-1,x``: its several-ranges refusal came first; 400 on HEAD)."""
    srv, cid, _ = blob_server
    refused = (400, b"invalid range request: invalid range\n")
    for path in (f"/ipfs/{CBOR_CID}/a", f"/ipfs/{JSON_CID}/nope", f"/ipfs/{cid}"):
        for bad in ("bytes=1-0", "bytes=0-1,x", "items=0-1"):
            reply = _get(srv, path, {"Range": bad})
            assert (reply.status, reply.body) == refused, (path, bad, reply.status, reply.body[:100])
    assert _get(srv, f"/ipfs/{cid}", {"Range": "bytes=x", "If-Range": '"other"'}).status == 400
    assert _get(srv, f"/ipfs/{CBOR_CID}/a", {"Range": "bytes=1-0"}, method="HEAD").status == 501
    assert _get(srv, f"/ipfs/{JSON_CID}/nope", {"Range": "bytes=1-0"}, method="HEAD").status == 404
    for path in (f"/ipfs/{CBOR_CID}", f"/ipfs/{JSON_CID}?format=raw", f"/ipfs/{cid}?format=raw"):
        assert _get(srv, path, {"Range": "bytes=1-0"}, method="HEAD").status == 400, path
    for path in (f"/ipfs/{JSON_CID}", f"/ipfs/{cid}"):
        assert _get(srv, path, {"Range": "bytes=1-0"}, method="HEAD").status == 416, path


def test_an_empty_filename_names_nothing(blob_server: Served) -> None:
    """``?filename=`` empty is no name, as in Kubo: ``format=raw`` and ``format=car`` keep their
    default names (``{cid}.bin``, ``{cid}.car``; they were ``filename=""``), and a file is typed
    by its own name (``note.json``: ``application/json``; it was typed from its bytes)."""
    srv, cid, site = blob_server
    reply = _get(srv, f"/ipfs/{site}/note.json?filename=", method="HEAD")
    assert reply.headers["content-type"] == "application/json" and "content-disposition" not in reply.headers
    for query, name in (("format=raw&filename=", f"{JSON_CID}.bin"), ("format=car&filename=", f"{JSON_CID}.car")):
        reply = _get(srv, f"/ipfs/{JSON_CID}?{query}", method="HEAD")
        assert reply.headers["content-disposition"].startswith(f'attachment; filename="{name}"'), query
    reply = _get(srv, f"/ipfs/{cid}?format=raw&filename=", method="HEAD")
    assert reply.headers["content-disposition"].startswith(f'attachment; filename="{cid}.bin"')


def _joins_while(call: Callable[[], object]) -> int:
    """How many times ``str.join`` runs during ``call()`` (a count of work, not a time)."""
    import sys

    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event == "c_call" and getattr(arg, "__name__", "") == "join" and getattr(arg, "__self__", None) == ".":
            count += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return count


def _subdomain_spec(host: str) -> object:
    """The reading ``subdomain_of`` must keep: each suffix joined and tested (quadratic)."""
    from autocodec.serve._subdomain import _NAMESPACES, Subdomain, is_gateway_host

    labels = host.split(".")
    for i in range(len(labels) - 1, 1, -1):
        gateway = ".".join(labels[i:])
        if is_gateway_host(gateway) and labels[i - 1] in _NAMESPACES:
            return Subdomain(gateway, labels[i - 1], ".".join(labels[:i - 1]))
    return None


def test_a_host_of_many_labels_is_read_in_linear_work(blob_server: Served) -> None:
    """``Host: a.a.a....example`` (20,000 labels, within the 64 KiB header bound) made the
    subdomain reading join every suffix: quadratic, 2-3 s of the event loop per request, every
    other client waiting. It joins none now unless one is a gateway host; it reads every
    host as before (checked against the joining reading on random hosts), and the server
    answers such a host as any other."""
    import random

    from autocodec.serve._subdomain import subdomain_of

    hostile = "a." * 20_000 + "example"
    assert _joins_while(lambda: subdomain_of(hostile)) <= 2
    assert _joins_while(lambda: subdomain_of("a." * 20_000 + "ipfs.localhost")) <= 2
    parts = ["a", "ipfs", "ipns", "p2p", "ipld", "localhost", "localhost:8080", "localhost:", "[localhost]:9",
             "[localhost]", "[localhost]:1:2", "LOCALHOST", "x:y", ":", ""]
    rnd = random.Random(7)
    for _ in range(20_000):
        host = ".".join(rnd.choice(parts) for _ in range(rnd.randint(1, 6)))
        assert subdomain_of(host) == _subdomain_spec(host), host
    srv, cid, _ = blob_server
    assert fetch_raw(srv.url, "/", {"Host": hostile}).status == 404
    assert fetch_raw(srv.url, f"/ipfs/{cid}", {"Host": hostile}).status == 200


def test_a_redirect_to_a_host_with_a_port_that_is_no_number_is_kubos_400(blob_server: Served) -> None:
    """``Host: localhost:abc`` (or ``:-1``): the redirect to the subdomain would name a URL Go's
    ``url.Parse`` refuses, so Kubo answers 400 ``parse "URL": invalid port ":abc" after host``;
    ours sent the 301 to that URL. An empty port or one past 65535 still redirects, as Kubo."""
    srv, cid, _ = blob_server
    for port in ("abc", "-1", "8%30"):
        reply = fetch_raw(srv.url, f"/ipfs/{cid}", {"Host": f"localhost:{port}"})
        expected = f'parse "http://{cid}.ipfs.localhost:{port}/": invalid port ":{port}" after host'
        assert (reply.status, reply.body.decode().strip()) == (400, expected), port
    for port in ("", "99999"):
        reply = fetch_raw(srv.url, f"/ipfs/{cid}", {"Host": f"localhost:{port}"})
        assert reply.status == 301 and reply.headers["location"].startswith(f"http://{cid}.ipfs.localhost"), port


def test_unclean_paths_and_uri_redirects_on_every_route(blob_server: Served) -> None:
    """Go's server cleans every path before Kubo's handlers (a 307), and Kubo's gateway answers
    every path, ``?uri=`` included; here only ``/ipfs/`` and ``/ipns/`` paths were cleaned
    (``//ipfs/CID`` was a 404, ``/explore/../ipfs/CID`` the explorer) and ``/?uri=ipfs://CID``
    was a 404."""
    srv, cid, _ = blob_server
    for path, location in ((f"//ipfs/{cid}", f"/ipfs/{cid}"), (f"/x/../ipfs/{cid}", f"/ipfs/{cid}"),
                           (f"/explore/../ipfs/{cid}", f"/ipfs/{cid}"), ("/./healthz", "/healthz"), ("/..", "/")):
        reply = fetch_raw(srv.url, path)
        assert (reply.status, reply.headers.get("location")) == (307, location), path
    assert fetch_raw(srv.url, "/%zz/x").status == 400
    for method in ("GET", "POST"):
        reply = fetch_raw(srv.url, f"/?uri=ipfs%3A%2F%2F{cid}", method=method)
        assert (reply.status, reply.headers.get("location")) == (301, f"/ipfs/{cid}"), method
    assert fetch_raw(srv.url, "/nothing?uri=javascript:alert(1)").status == 400
    assert fetch_raw(srv.url, "/healthz?uri=ipfs%3A%2F%2Fx").status == 200  # a route of this server's own
    assert fetch_raw(srv.url, "/?uri=").status == 404


def test_blob_under_generic_formats_and_accept_as_kubos_raw_block(blob_server: Served) -> None:
    """Kubo ignores ``format=json|cbor`` (or their Accept types) for a raw block and answers the
    content as a file; a held blob was a 404 there (the gateway holds no block of it). A format
    the ``Accept`` header chose is named in ``Content-Location`` (it was missing for
    ``application/vnd.ipld.raw``); a file answer has no ``nosniff`` (a raw one has)."""
    srv, cid, _ = blob_server
    for path, headers, location in ((f"/ipfs/{cid}?format=json", {}, None),
                                    (f"/ipfs/{cid}", {"Accept": "application/cbor"}, f"/ipfs/{cid}?format=cbor")):
        reply = _get(srv, path, headers)
        assert (reply.status, reply.body, reply.headers["etag"]) == (200, TEXT, f'"{cid}"'), path
        assert reply.headers.get("content-location") == location and "x-content-type-options" not in reply.headers
    reply = _get(srv, f"/ipfs/{cid}", {"Accept": "application/vnd.ipld.raw"})
    assert reply.headers["content-location"] == f"/ipfs/{cid}?format=raw"
    assert reply.headers["x-content-type-options"] == "nosniff" and reply.body == TEXT


def test_absolute_form_is_the_path_on_the_urls_host(blob_server: Served) -> None:
    """RFC 9112 3.2.2: a server must accept ``GET http://HOST/PATH`` (what ``curl --proxy``
    sends), the URL's host winning over ``Host``, as Go's server reads it for Kubo. It was
    read as the path ``/http:/HOST/PATH``: a 307 to that path."""
    srv, cid, _ = blob_server
    here = {"Host": f"127.0.0.1:{srv.port}"}
    reply = fetch_raw(srv.url, f"http://127.0.0.1:{srv.port}/ipfs/{cid}?format=raw", here)
    assert reply.status == 200 and reply.body == TEXT
    reply = fetch_raw(srv.url, f"http://{cid}.ipfs.localhost:{srv.port}/", here)  # the subdomain origin, by the URL
    assert reply.status == 200 and reply.body == TEXT
    reply = fetch_raw(srv.url, f"http://user@localhost:{srv.port}/ipfs/{cid}", here)
    assert reply.status == 301 and reply.headers["location"] == f"http://{cid}.ipfs.localhost:{srv.port}/"
    reply = fetch_raw(srv.url, f"http://127.0.0.1:{srv.port}?a=b", here)  # no path: Go's 307 to /
    assert (reply.status, reply.headers["location"]) == (307, "/?a=b")
    assert fetch_raw(srv.url, f"http://127.0.0.1:{srv.port}/ipfs/%zz", here).status == 400  # a malformed escape


def test_asterisk_target_and_malformed_host(blob_server: Served) -> None:
    """``OPTIONS *`` is Go's bare 200 (it was a 404), another method with ``*`` a 400; a
    ``Host`` with a byte no host holds (``/``, a space, non-ASCII) is Go's 400 ``malformed Host
    header``, before it is read as a subdomain or DNSLink name (it was served)."""
    srv, cid, _ = blob_server
    reply = fetch_raw(srv.url, "*", method="OPTIONS")
    assert (reply.status, reply.body, reply.headers["content-length"]) == (200, b"", "0")
    assert fetch_raw(srv.url, "*").status == 400  # aiohttp's parser, as Go's server
    for host in ("evil.com/x", "a b", f"{cid}.ipfs.localhost/..", "caf\xe9.ipns.localhost"):
        reply = fetch_raw(srv.url, f"/ipfs/{cid}", {"Host": host})
        assert (reply.status, reply.body) == (400, b"400 Bad Request: malformed Host header"), host
    assert fetch_raw(srv.url, f"/ipfs/{cid}", {"Host": "[::1]:80"}).status == 200


@pytest.mark.slow
@pytest.mark.ipfs
def test_blob_conditionals_and_names_answer_as_kubos_raw_block(tmp_path: Path) -> None:
    """The same requests to Kubo's gateway holding the blob's bytes as a raw BLAKE3 block, and
    to ours holding the blob: the same status, body and headers."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    put = kubo.ipfs("block", "put", "--cid-codec", "raw", "--mhtype", "blake3", input=TEXT)
    cid = put.stdout.decode().strip()
    assert kubo.ipfs("block", "put", "--cid-codec", "raw", input=JSON).stdout.decode().strip() == JSON_CID
    assert kubo.ipfs("block", "put", "--cid-codec", "dag-cbor", input=CBOR).stdout.decode().strip() == CBOR_CID
    site = kubo.ipfs("add", "-Q", "-r", site_folder(tmp_path)).stdout.decode().strip()
    assert blob_home(tmp_path / "home", TEXT) == (cid, site)
    kubo.start()
    try:
        with ServeProcess(tmp_path / "home", tmp_path, "--module", str(BAO)) as ours:
            cases: list[tuple[str, dict[str, str]]] = [
                (f"/ipfs/{cid}", {"If-Match": '"nope"'}),
                (f"/ipfs/{cid}", {"If-Match": f'"{cid}"'}),
                # from byte 0: for a later start Kubo's 200 sends the body from that start, short of
                # its Content-Length (boxo seeks before Go's content server drops the range); ours is whole
                (f"/ipfs/{cid}", {"Range": "bytes=0-8", "If-Range": '"nope"'}),
                (f"/ipfs/{cid}", {"Range": "bytes=3-8", "If-Range": f'"{cid}"'}),
                (f"/ipfs/{cid}?format=raw", {}),
                (f"/ipfs/{cid}?format=raw&filename=x.bin", {}),
                (f"/ipfs/{cid}?filename=data.json", {}),
                (f"/ipfs/{cid}?filename=a.txt&download=true", {}),
                (f"/ipfs/{cid}", {"Accept": "application/vnd.ipld.raw", "If-Match": '"nope"'}),
                (f"/ipfs/{cid}", {"Accept": "application/vnd.ipld.raw"}),
                (f"/ipfs/{cid}", {"Accept": "application/json"}),
                (f"/ipfs/{cid}?format=cbor", {}),
                (f"/ipfs/{cid}/", {}),
                (f"/ipfs/{cid}", {"Range": "bytes=-0"}),
                (f"/ipfs/{cid}", {"Range": "bytes=1-2", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"}),
                (f"/ipfs/{JSON_CID}", {"Range": "bytes=-0"}),
                (f"/ipfs/{CBOR_CID}/a", {"Range": "bytes=1-0"}),
                (f"/ipfs/{site}/note.json?filename=", {}),
                (f"/ipfs/{site}/page.html?format=raw&filename=", {}),
                (f"/ipfs/{site}/page.html?format=car&filename=", {}),
                (f"/ipfs/{site}?format=tar&filename=", {}),
                (f"/ipfs/{cid}?format=raw&filename=", {}),
                (f"/ipfs/{JSON_CID}/nope", {"Range": "items=0-1"}),
                (f"/ipfs/{cid}", {"Range": "bytes=0-1,x"}),
                (f"/ipfs/{JSON_CID}", {"Range": "bytes=1-2", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"}),
                ("/", {"Host": f"{cid}.ipfs.localhost:{urllib.parse.urlsplit(kubo.gateway_url).port}"}),
            ]
            port = urllib.parse.urlsplit(kubo.gateway_url).port
            cases += [  # the request target and Host as Go's server reads them (each side's own port)
                ("http://127.0.0.1:{port}/ipfs/" + cid, {"Host": "127.0.0.1"}),
                ("http://" + cid + ".ipfs.localhost:{port}/", {"Host": "127.0.0.1"}),
                ("http://127.0.0.1:{port}?uri=x", {"Host": "127.0.0.1"}),
                ("http://127.0.0.1:{port}/ipfs/%zz", {"Host": "127.0.0.1"}),
                (f"/ipfs/{cid}", {"Host": "evil.com/x"}),
                (f"/ipfs/{cid}", {"Host": "localhost:abc"}),
                (f"//ipfs/{cid}", {}),
                (f"/x/../ipfs/{cid}?format=raw", {}),
                ("/./healthz", {}),
                (f"/?uri=ipfs%3A%2F%2F{cid}", {}),
                ("/nothing?uri=javascript:alert(1)", {}),
                (f"/ipfs/{cid}", {"Host": "localhost:"}),
            ]
            heads = [(f"/ipfs/{CBOR_CID}/a", {"Range": "bytes=1-0"}), (f"/ipfs/{JSON_CID}?format=raw", {"Range": "bytes=1-0"}),
                     (f"/ipfs/{JSON_CID}", {"Range": "bytes=1-0"}), (f"/ipfs/{cid}", {"Range": "bytes=1-0"}),
                     (f"/ipfs/{cid}?format=raw", {"Range": "bytes=1-0"})]
            for path, headers in heads:
                theirs, mine = fetch_raw(kubo.gateway_url, path, headers, "HEAD"), fetch_raw(ours.url, path, headers, "HEAD")
                assert mine.status == theirs.status, (path, headers, theirs.status, mine.status)
            for path, headers in cases:
                theirs = fetch_raw(kubo.gateway_url, path.replace("{port}", str(port)), headers)
                mine = fetch_raw(ours.url, path.replace("{port}", str(ours.port)), headers)
                assert mine.status == theirs.status, (path, headers, theirs.status, mine.status)
                if "format=tar" not in path:  # Kubo's members carry the request's time (docs/gateway.md)
                    assert mine.body == theirs.body, (path, headers)
                for name in ("content-type", "content-disposition", "etag", "content-range", "cache-control",
                             "content-location", "x-content-type-options"):
                    assert mine.headers.get(name) == theirs.headers.get(name), (path, headers, name)
    finally:
        kubo.stop()
