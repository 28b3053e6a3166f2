"""The gateway differences from Kubo v0.43.1 the last audit of ``autocodec serve`` left open,
each compared with Kubo's gateway on the same blocks (a real server beside an offline Kubo
daemon, as in ``tests/test_serve_hostile2.py``, whose home and helpers are reused here):

- odd subdomain hosts (``-.ipns.localhost``: un-inlined, the root ``.``) were a 500;
- a held BLAKE3 blob asked for as a CAR, a TAR or a DAG format was a 404;
- ``?filename=%ff`` was written ``%EF%BF%BD`` in ``Content-Disposition`` (Kubo: ``%FF``);
- ``/resolve/``'s 400 body was built apart from every other error body;
- a CAR of a DAG whose blocks are missing (a deliberate, documented difference).
"""

from __future__ import annotations

import http.client
import io
import json
import random
import tarfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.registry import Runtime
from tests._kubo import KuboRepo, require_kubo
from tests._serve_proc import ServeProcess
from tests._gateway_answers import car_blocks
from tests import _gateway_app
from tests._gateway_app import call
from tests._blob_home import BAO, JSON_CID, TEXT, blob_home
from tests._http_request import RawReply, fetch_raw

runtime = _gateway_app.runtime  # the in-process gateway app over a fresh home (tests/_gateway_app.py)

pytest.importorskip("blake3")

REPO = Path(__file__).resolve().parents[1]
FILE_3K = bytes(i % 251 for i in range(3000))  # three 1000-byte leaves: the middle one goes missing


@dataclass
class Pair:
    kubo: KuboRepo
    ours: ServeProcess
    blob: str  # TEXT as a held blob here, a raw BLAKE3 block in Kubo
    site: str
    big: str  # a blob over the block limit, held here only
    file: str  # FILE_3K, its middle leaf missing on both sides
    middle: str
    folder: str  # a.txt and b.txt, b.txt's block missing on both sides

    def both(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[RawReply, RawReply]:
        """Kubo's answer and ours; ``{port}`` in a header is each side's own port."""
        kport = str(urllib.parse.urlsplit(self.kubo.gateway_url).port)
        theirs = fetch_raw(self.kubo.gateway_url, path, {k: v.replace("{port}", kport) for k, v in (headers or {}).items()},
                       method)
        mine = fetch_raw(self.ours.url, path, {k: v.replace("{port}", str(self.ours.port))
                                           for k, v in (headers or {}).items()}, method)
        return theirs, mine


def _missing_fixtures(tmp: Path, kubo: KuboRepo, home: Path) -> tuple[str, str, str]:
    """A chunked file and a folder added by Kubo, imported here, then one block of each removed
    from both sides: the file's middle leaf, the folder's ``b.txt``."""
    from autocodec.store import import_car

    (tmp / "file3k").write_bytes(FILE_3K)
    folder = tmp / "folder"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a" * 3000)
    (folder / "b.txt").write_bytes(b"b\n")
    file_cid = kubo.ipfs("add", "-Q", "--chunker=size-1000", tmp / "file3k").stdout.decode().strip()
    folder_cid = kubo.ipfs("add", "-Q", "-r", "--chunker=size-1000", folder).stdout.decode().strip()
    middle = json.loads(kubo.ipfs("dag", "get", file_cid).stdout)["Links"][1]["Hash"]["/"]
    b_txt = next(link["Hash"]["/"] for link in json.loads(kubo.ipfs("dag", "get", folder_cid).stdout)["Links"]
                 if link["Name"] == "b.txt")
    with Runtime(home, default_set=False) as held:
        for cid in (file_cid, folder_cid):
            car = tmp / f"{cid}.car"
            car.write_bytes(kubo.ipfs("dag", "export", cid).stdout)
            import_car(held.store, car)
        for gone in (middle, b_txt):
            held.store.delete(CID.parse(gone))
    kubo.ipfs("pin", "rm", file_cid, folder_cid)
    kubo.ipfs("block", "rm", middle, b_txt)
    return file_cid, folder_cid, middle


def _big_blob(home: Path) -> str:
    """A blob one byte over the block limit (``DecodeLimits.max_block_bytes``), held here."""
    from autocodec import bao
    from autocodec.config import DEFAULT_LIMITS

    data = random.Random(48).randbytes(DEFAULT_LIMITS.decode.max_block_bytes + 1)
    with Runtime(home, default_set=False) as held:
        held.add_local_module(BAO.read_bytes())  # as `serve --module` vouches for it
        return str(bao.BlobStore(home / "bao").add(bao.verifier(held), io.BytesIO(data)))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_kubo()
    tmp = tmp_path_factory.mktemp("leftovers")
    kubo = KuboRepo.create(tmp / "kubo")
    blob = kubo.ipfs("block", "put", "--cid-codec", "raw", "--mhtype", "blake3", input=TEXT).stdout.decode().strip()
    assert kubo.ipfs("block", "put", "--cid-codec", "raw", input=b'{"a": [1, 2, 3]}').stdout.decode().strip() == JSON_CID
    from tests._blob_home import site_folder

    site = kubo.ipfs("add", "-Q", "-r", site_folder(tmp)).stdout.decode().strip()
    assert blob_home(tmp / "home", TEXT) == (blob, site)
    big = _big_blob(tmp / "home")
    file_cid, folder_cid, middle = _missing_fixtures(tmp, kubo, tmp / "home")
    kubo.start()
    try:
        with ServeProcess(tmp / "home", tmp, "--module", str(BAO)) as ours:
            yield Pair(kubo, ours, blob, site, big, file_cid, middle, folder_cid)
    finally:
        kubo.stop()


# --- 1. odd subdomain hosts ------------------------------------------------------------------

_ODD_HOSTS = (
    "-.ipns.localhost:{port}", "-.ipns.localhost", "..ipns.localhost:{port}", ".ipns.localhost:{port}",
    ".ipfs.localhost:{port}", "..ipfs.localhost:{port}", ".p2p.localhost:{port}", "-.ipfs.localhost:{port}",
    "a..ipfs.localhost:{port}", "a" * 64 + ".ipfs.localhost:{port}", "a" * 300 + ".ipfs.localhost:{port}",
    "ipfs.localhost:{port}", "ipns.localhost", "x.ipfs.localhost:99999", "x.ipfs.localhost:", "A.IPNS.LOCALHOST:{port}",
)


@pytest.mark.ipfs
@pytest.mark.parametrize("host", _ODD_HOSTS)
def test_odd_subdomain_hosts_get_kubos_answer_not_a_500(pair: Pair, host: str) -> None:
    """A root that is empty or ``.`` once un-inlined (``-`` is ``.``) makes the path Kubo's
    hostname handler rewrites unclean, and the ``ServeMux`` it hands it to answers Go's 307 to
    the clean path (``/ipns/``, on the same host); ours looked the name ``.`` up: a 500."""
    theirs, mine = pair.both("/", {"Host": host})
    assert mine.status != 500, (host, mine.body)
    assert (mine.status, mine.headers.get("location")) == (theirs.status, theirs.headers.get("location")), \
        (host, theirs.body[:200], mine.body[:200])
    if theirs.status == 307:
        assert mine.body == theirs.body and mine.headers["content-type"] == theirs.headers["content-type"]
        # Go's answer from the mux inside Kubo's CORS wrapper: the gateway's CORS headers
        assert mine.headers.get("access-control-allow-origin") == theirs.headers.get("access-control-allow-origin")


@pytest.mark.ipfs
def test_odd_subdomain_hosts_keep_the_query_and_the_method(pair: Pair) -> None:
    """The 307 keeps the query, as Go's ``ServeMux`` does, and comes before the method is read
    (a POST is not the 405 of a read-only gateway), for an upper-case CID and a base58 one too."""
    for path, method in (("/x?a=b", "GET"), ("/", "POST"), ("/", "HEAD")):
        theirs, mine = pair.both(path, {"Host": "-.ipns.localhost:{port}"}, method)
        assert (mine.status, mine.headers.get("location")) == (theirs.status, theirs.headers.get("location")), path
    for label in (pair.blob.upper(), CID.parse(JSON_CID).encode("base58btc")):
        theirs, mine = pair.both("/", {"Host": f"{label}.ipfs.localhost:{{port}}"})
        assert (mine.status, mine.body, mine.headers.get("location")) == (
            theirs.status, theirs.body, theirs.headers.get("location")), label


@pytest.mark.ipfs
def test_names_no_domain_holds_stay_kubos_documented_500(pair: Pair) -> None:
    """A label over 63 octets, or one that un-inlines to a name with an empty label, is no IPNS
    name and no domain: Kubo answers 500 in its words (docs/gateway.md, ``/ipns/{domain}``), and
    so does this server, on the subdomain as on the path (no DNS lookup is made for either)."""
    for host in ("a" * 64 + ".ipns.localhost:{port}", "-a.ipns.localhost:{port}"):
        theirs, mine = pair.both("/", {"Host": host})
        assert (mine.status, mine.body) == (theirs.status, theirs.body) == (500, theirs.body), host


# --- 2. a held blob as a CAR, a TAR, DAG-JSON or DAG-CBOR ------------------------------------

def _tar_members(body: bytes) -> list[tuple[str, int, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        return [(m.name, m.size, tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
                for m in tar.getmembers()]


@pytest.mark.ipfs
@pytest.mark.parametrize(("query", "accept"), [
    ("?format=car", None), ("", "application/vnd.ipld.car"), ("?format=car&dag-scope=block", None),
    ("/?format=car", None), ("?format=tar", None), ("", "application/x-tar"), ("?format=dag-json", None),
    ("?format=dag-cbor", None), ("", "application/vnd.ipld.dag-json"), ("", "application/vnd.ipld.dag-cbor"),
    ("/x?format=car", None), ("/x/y/", "application/vnd.ipld.car"), ("/x?format=car&dag-scope=entity", None),
])
def test_a_blob_within_the_block_limit_is_kubos_raw_block_in_every_format(pair: Pair, query: str,
                                                                         accept: str | None) -> None:
    """A blob no bigger than a block is the raw block of its CID: Kubo's CAR of that block (byte
    for byte), its TAR of one file (the same members; each side's member time is its request's,
    docs/gateway.md), its 406 for the DAG formats; a CAR of a path under it is Kubo's 200 with
    that block (the path ends there). Ours was a 404 (no block of it in the store)."""
    headers = {"Accept": accept} if accept else {}
    for method in ("GET", "HEAD"):
        theirs, mine = pair.both(f"/ipfs/{pair.blob}{query}", headers, method)
        assert mine.status == theirs.status, (query, accept, method, mine.body[:200])
        if theirs.status != 200:
            continue
        for name in ("content-type", "content-disposition", "etag", "cache-control", "x-ipfs-roots",
                     "content-location", "x-content-type-options"):
            assert mine.headers.get(name) == theirs.headers.get(name), (query, accept, name)
        if method == "HEAD":
            assert mine.body == theirs.body == b""
        elif "car" in (query + (accept or "")):
            assert mine.body == theirs.body
            assert car_blocks(mine.body) == [(pair.blob, TEXT)]
        else:
            assert _tar_members(mine.body) == _tar_members(theirs.body) == [(pair.blob, len(TEXT), TEXT)]


@pytest.mark.ipfs
@pytest.mark.parametrize(("path", "host"), [
    ("/ipfs/{blob}/x", False), ("/ipfs/{blob}/x?format=raw", False), ("/ipfs/{blob}/x/y/?format=tar", False),
    ("/ipfs/{blob}/x?format=dag-json", False), ("/x", True), ("/x/y?format=car", True),
])
def test_a_path_under_a_blob_is_kubos_answer_for_a_path_under_a_raw_block(pair: Pair, path: str, host: bool) -> None:
    """A raw block has no links: Kubo's 404 names the link that is not there (``no link named
    "x" under CID``); ours said the block was not in the store, on the path gateway and on the
    blob's subdomain origin (where a site's ``_redirects`` is looked for first)."""
    headers = {"Host": f"{pair.blob}.ipfs.localhost:{{port}}"} if host else {}
    theirs, mine = pair.both(path.format(blob=pair.blob), headers)
    assert (mine.status, mine.body) == (theirs.status, theirs.body), path
    for name in ("content-type", "ipfs-uri", "etag", "x-ipfs-roots", "content-disposition"):
        assert mine.headers.get(name) == theirs.headers.get(name), (path, name)
    over = fetch_raw(pair.ours.url, f"/ipfs/{pair.big}/x")  # past the block limit: not read, the gateway's 404
    assert over.status == 404


@pytest.mark.ipfs
def test_a_blob_within_the_block_limit_is_held_for_only_if_cached(pair: Pair) -> None:
    """``Cache-Control: only-if-cached`` asks whether the block is held: a blob within the block
    limit is, whatever the format (Kubo's 200; ours was a 412 for a CAR or a TAR of it)."""
    for query in ("?format=car", "?format=tar", "?format=raw"):
        for method in ("GET", "HEAD"):
            theirs, mine = pair.both(f"/ipfs/{pair.blob}{query}", {"Cache-Control": "only-if-cached"}, method)
            assert mine.status == theirs.status == 200, (query, method, mine.body[:200])


@pytest.mark.parametrize("query", ["?format=car", "?format=tar", "?format=dag-json", "?format=dag-cbor&dag-scope=x"])
def test_a_blob_over_the_block_limit_has_no_block_form(pair: Pair, query: str) -> None:
    """No block holds a blob past the block limit (a CAR reader refuses a block that size), so
    a CAR, a TAR or a DAG format of it is a 406 naming the forms it has: its content
    (``?format=raw``, verified by this server) and its Bao stream (``/bao/{cid}``). It was a 404,
    which says the content is not here."""
    reply = fetch_raw(pair.ours.url, f"/ipfs/{pair.big}{query}")
    assert reply.status == 406, reply.body[:300]
    text = reply.body.decode()
    assert "block limit" in text and "?format=raw" in text and f"/bao/{pair.big}" in text, text
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert fetch_raw(pair.ours.url, f"/ipfs/{pair.big}?format=raw", method="HEAD").status == 200


# --- 3. ?filename= bytes that are no UTF-8 ------------------------------------------------------

@pytest.mark.ipfs
@pytest.mark.parametrize("path", [
    "/ipfs/{blob}?filename=%ff", "/ipfs/{blob}?filename=%ff&format=raw", "/ipfs/{site}/page.html?filename=a%ffb%c3%a9.txt",
    "/ipfs/{site}/page.html?filename=a%ffb%c3%a9.txt&format=car", "/ipfs/{site}?filename=%ff%fe&format=tar",
    "/ipfs/{site}/page.html?filename=%ff.json", "/ipfs/{site}/page.html?filename=a;b",
    "/ipfs/{site}/page.html?filename=x%zz&filename=y.json", "/ipfs/{site}/page.html?file%6eame=%ff&download=true",
])
def test_filename_bytes_are_written_as_kubo_writes_them(pair: Pair, path: str) -> None:
    """Go reads ``?filename=`` as bytes (``url.ParseQuery``: a pair with ``;`` or a bad escape
    skipped) and boxo writes them back percent-encoded: ``%ff`` is ``%FF``. Ours decoded the
    query as UTF-8 with replacement: ``%EF%BF%BD``."""
    asked = path.format(blob=pair.blob, site=pair.site)
    theirs, mine = pair.both(asked, method="HEAD")
    assert mine.status == theirs.status == 200
    for name in ("content-disposition", "content-type"):
        assert mine.headers.get(name) == theirs.headers.get(name), (path, name)


@pytest.mark.ipfs
@pytest.mark.parametrize(("query", "accept"), [
    ("?format=car&dag-scope=x", None), ("?format=car&car-order=bfs", None), ("?format=car&car-dups=x", None),
    ("?format=car&car-version=2", None), ("", "application/vnd.ipld.car; version=2"),
    ("", "application/vnd.ipld.car; order=x"),
])
def test_car_parameter_errors_are_kubos_400_in_its_words(pair: Pair, query: str, accept: str | None) -> None:
    """A CAR parameter the gateway does not take is Kubo's 400 in boxo's words (they were this
    server's own: ``unsupported CAR version '2'``), on a block and on a held blob alike."""
    for root in (pair.site, pair.blob):
        theirs, mine = pair.both(f"/ipfs/{root}{query}", {"Accept": accept} if accept else {})
        assert (mine.status, mine.body) == (theirs.status, theirs.body), (root, query, accept)
        assert mine.status == 400


# --- 4. one shape for every JSON error body ---------------------------------------------------

def test_resolve_400_is_built_by_the_one_error_function(runtime: Runtime) -> None:
    """``/resolve/`` of a code text that names no code is a 400 whose body ``_error`` builds,
    as every other route's error body (it was built by hand there, free to drift)."""
    from autocodec import errors
    from autocodec.serve._app import _error

    status, headers, body = call(runtime, "/resolve/codec/nonsense")
    try:
        runtime.resolve("codec", "nonsense")
    except errors.UnsupportedFormat as exc:
        expected = _error(exc, runtime, "resolve", status=400)
    else:  # pragma: no cover - the runtime names the code after all
        pytest.fail("nonsense resolved")
    assert (status, body) == (expected.status, expected.body) == (400, expected.body)
    assert headers["Content-Type"].startswith("application/json")
    assert set(json.loads(body)) == {"error", "message", "hint"}


# --- 5. a CAR whose blocks are missing (offline) ----------------------------------------------

_MARK = b"[Gateway Error: CAR stream truncated, response is incomplete]"


def _get_cut(base: str, path: str) -> tuple[int, bytes, bool]:
    """Status, body and whether the body was cut short (a chunked body without its last chunk)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        try:
            return resp.status, resp.read(), False
        except http.client.IncompleteRead as exc:
            return resp.status, exc.partial, True
    finally:
        conn.close()


@pytest.mark.ipfs
def test_missing_blocks_of_a_car_are_a_404_before_the_status_and_a_cut_after(pair: Pair) -> None:
    """The deliberate difference docs/gateway.md names: a block missing before the status is
    sent (the root, or a block the path crosses or ends at) is a 404 here, as the trustless
    gateway spec asks for a missing root; offline Kubo 0.43.1 answers 200, the CAR header and the
    blocks it has, then boxo's text marker. A block missing once the CAR is under way is a 200
    in both; this server cuts the connection (no last chunk), Kubo ends with the marker."""
    for path in (f"/ipfs/{pair.middle}?format=car", f"/ipfs/{pair.folder}/b.txt?format=car"):
        k_status, k_body, _ = _get_cut(pair.kubo.gateway_url, path)
        o_status, o_body, _ = _get_cut(pair.ours.url, path)
        assert (k_status, o_status) == (200, 404), (path, o_body)
        assert k_body.endswith(_MARK)
    for path in (f"/ipfs/{pair.file}?format=car", f"/ipfs/{pair.folder}?format=car"):
        k_status, k_body, k_cut = _get_cut(pair.kubo.gateway_url, path)
        o_status, o_body, o_cut = _get_cut(pair.ours.url, path)
        assert (k_status, k_cut, o_status, o_cut) == (200, False, 200, True), path
        assert k_body.endswith(_MARK) and k_body.startswith(o_body)  # the same blocks up to the missing one
    doc = (REPO / "docs" / "gateway.md").read_text()
    assert "CAR stream truncated" in doc and "A block missing from the store" in doc
