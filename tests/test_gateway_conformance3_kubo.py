"""gateway-conformance's DAG and raw-block cases, side by side with Kubo v0.43.1's gateway.

As ``tests/test_gateway_conformance2_kubo.py`` (the suite cannot be installed here:
docs/gateway.md), each case of ``path_gateway_dag_test.go`` (and its older twin
``t0123_gateway_json_cbor_test.go``, whose cases carry the same names) and of
``path_gateway_raw_test.go`` is sent to Kubo's gateway and to ``autocodec serve`` holding the
same blocks, and the answers are compared: the status, the headers the case checks, and the
body. The fixture CARs are rebuilt from what the suite's tests say they hold:

- ``gateway-json-cbor.car``: a UnixFS folder ``ą/ę/`` holding ``file-źł.txt`` and ``t.json``;
- ``dag-{json,cbor}-traversal.car``: ``{"foo": {"link": L}}``, ``L = {"bar": M}``,
  ``M = {"hello": "this is not a link"}`` (``/foo`` is a value, ``/foo/link/bar`` a block);
- ``plain-{json,cbor}.car`` and ``plain-cbor-that-can-be-dag-{json,cbor}.car``: one block of the
  plain ``json`` (0x0200) or ``cbor`` (0x51) codec each;
- ``gateway-raw-block.car``: a folder ``dir`` holding a 31-byte ``ascii.txt``;
- the suite's IPNS records over the traversal roots: names published by Kubo, kept by the home.

A browser's request for a DAG-CBOR or DAG-JSON block (``Accept: text/html``) is answered with an
HTML page in both; the page is this server's explorer (docs/gateway.md), so its ETag keeps the
``DagIndex-`` form and the CID but not Kubo's template hash, and its body is not compared.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._gateway_compare import differences
from tests._gateway_http import CheckedReply, GatewaySides, fetch_checked

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

HELLO = {"hello": "this is not a link"}
MISSING = "bafyreie5ef2mwdn2gmt7bfkdxdfw2hqu4kwrhxqxusd2nbtmlbuolvlyxy"  # a dag-cbor CID no one holds


def _trees(base: Path) -> dict[str, Path]:
    json_cbor = base / "json-cbor"
    (json_cbor / "\u0105" / "\u0119").mkdir(parents=True)
    (json_cbor / "\u0105" / "\u0119" / "file-\u017a\u0142.txt").write_text("I am a txt file on path with utf8\n")
    (json_cbor / "\u0105" / "\u0119" / "t.json").write_text('{"data": "hello world"}\n')
    raw_block = base / "raw-block"
    (raw_block / "dir").mkdir(parents=True)
    (raw_block / "dir" / "ascii.txt").write_text("hello application/vnd.ipld.raw\n")  # 31 bytes, as the suite's
    return {"json_cbor": json_cbor, "raw_block": raw_block}


def _put(kubo: object, value: object, store: str, given: str = "dag-json") -> str:
    out = kubo.ipfs("dag", "put", "--input-codec", given, "--store-codec", store,  # type: ignore[attr-defined]
                    input=json.dumps(value).encode())
    return str(out.stdout.decode().strip())


def _blocks(kubo: object) -> dict[str, str]:
    ids = {}
    for fmt in ("json", "cbor"):
        leaf = _put(kubo, HELLO, f"dag-{fmt}")
        middle = _put(kubo, {"bar": {"/": leaf}}, f"dag-{fmt}")
        ids[f"dag_{fmt}"] = _put(kubo, {"foo": {"link": {"/": middle}}}, f"dag-{fmt}")
        ids[f"dag_{fmt}_middle"] = middle
        ids[f"plain_{fmt}"] = _put(kubo, {"test": "plain json"}, fmt, "json")
        ids[f"plain_or_dag_{fmt}"] = _put(kubo, {"test": "plain-json-that-can-also-be-dag-json"}, fmt, "json")
    return ids


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewaySides]:
    from tests._cli import run_cli
    from tests._kubo import KuboRepo, require_kubo
    from tests._serve_proc import ServeProcess

    require_kubo()
    tmp = tmp_path_factory.mktemp("gwc3")
    trees = _trees(tmp)
    kubo = KuboRepo.create(tmp / "kubo")
    ids = {name: kubo.ipfs("add", "-Q", "-r", "--cid-version=1", path).stdout.decode().strip()
           for name, path in trees.items()}
    ids.update(_blocks(kubo))
    for key, sub in (("file", "\u0105/\u0119/file-\u017a\u0142.txt"), ("t_json", "\u0105/\u0119/t.json")):
        ids[key] = kubo.ipfs("dag", "resolve", f"/ipfs/{ids['json_cbor']}/{sub}").stdout.decode().strip()
    for fmt in ("json", "cbor"):
        kubo.ipfs("key", "gen", "--type", "ed25519", f"{fmt}_test_key")
    stack = contextlib.ExitStack()
    kubo.start()
    try:
        for fmt in ("json", "cbor"):
            out = kubo.ipfs("name", "publish", "--allow-offline", "--key", f"{fmt}_test_key", "--ttl", "90s",
                            f"/ipfs/{ids[f'dag_{fmt}']}")
            ids[f"name_{fmt}"] = out.stdout.decode().split()[2].rstrip(":")
        home = tmp / "home"
        home.mkdir()
        for name in ("json_cbor", "raw_block", "dag_json", "dag_cbor", "plain_json", "plain_cbor",
                     "plain_or_dag_json", "plain_or_dag_cbor"):
            car = tmp / f"{name}.car"
            car.write_bytes(kubo.ipfs("dag", "export", ids[name]).stdout)
            run_cli(home, "car", "import", str(car))
        for fmt in ("json", "cbor"):
            run_cli(home, "name", "resolve", ids[f"name_{fmt}"], "--gateway", kubo.gateway_url)
        ours = stack.enter_context(ServeProcess(home, tmp))
        yield GatewaySides(kubo.gateway_url, ours.url, ids)
    finally:
        stack.close()
        kubo.stop()


def _compare(kubo: CheckedReply, ours: CheckedReply, names: tuple[str, ...]) -> list[object]:
    """What differs between the two answers: status, the ``names`` headers, a success's body.
    An HTML view of a block (Kubo's dag-index-html) is this server's explorer page: its ETag
    keeps ``DagIndex-`` and the CID, its type is compared without parameters, its body must
    be a whole page naming the CID."""
    if kubo.headers.get("etag", "").startswith('"DagIndex-') and kubo.status == 200:
        kubo = _as_page(kubo, ours)
    return differences(kubo, ours, names)


def _as_page(kubo: CheckedReply, ours: CheckedReply) -> CheckedReply:
    """Kubo's HTML view of a block with what is this server's own by design taken from ``ours``."""
    cid = kubo.headers["etag"].split("_CID-", 1)[1].rstrip('"')
    assert ours.headers.get("etag") == f'"DagIndex-autocodec_CID-{cid}"', (kubo.headers, ours.headers)
    assert kubo.headers["content-type"].split(";")[0] == ours.headers.get("content-type", "").split(";")[0]
    assert b"</html>" in (kubo.body or b"") and b"</html>" in (ours.body or b"") and cid.encode() in (ours.body or b"")
    headers = {**kubo.headers, "etag": ours.headers["etag"], "content-type": ours.headers["content-type"]}
    return CheckedReply(kubo.status, headers, ours.body)


HEADERS = ("content-type", "content-disposition", "etag", "cache-control", "x-ipfs-roots", "content-range",
           "location", "x-content-type-options", "ipfs-uri", "content-location")

TEXT_HTML = {"Accept": "text/html"}


def _dag_cases() -> dict[str, tuple[str, dict[str, str] | None, str]]:
    """path_gateway_dag_test.go, case by case: name -> (path, headers, method)."""
    cases: dict[str, tuple[str, dict[str, str] | None, str]] = {
        # TestGatewayJsonCbor
        "GET UnixFS file with JSON bytes is returned with application/json Content-Type - without headers": (
            "/ipfs/{t_json}", None, "GET"),
        "GET UnixFS file with JSON bytes is returned with application/json Content-Type - with headers": (
            "/ipfs/{t_json}", {"Accept": "application/json"}, "GET"),
        # TestPathing
        "GET DAG-JSON traversal returns 501 if there is path remainder": ("/ipfs/{dag_json}/foo?format=dag-json",
                                                                          None, "GET"),
        "GET DAG-JSON traverses multiple links": ("/ipfs/{dag_json}/foo/link/bar?format=dag-json", None, "GET"),
        "GET DAG-JSON returns 404 on non-existing link": ("/ipfs/{dag_json}/foo/i-do-not-exist", None, "GET"),
        "GET DAG-CBOR traversal returns 501 if there is path remainder": ("/ipfs/{dag_cbor}/foo?format=dag-cbor",
                                                                          None, "GET"),
        "GET DAG-CBOR traverses multiple links": ("/ipfs/{dag_cbor}/foo/link/bar?format=dag-json", None, "GET"),
        "GET DAG-CBOR returns 404 on non-existing link": ("/ipfs/{dag_cbor}/foo/i-do-not-exist", None, "GET"),
        # TestNativeDag, after the table
        "Convert application/vnd.ipld.dag-cbor to application/vnd.ipld.dag-json": (
            "/ipfs/{dag_cbor}/", {"Accept": "application/vnd.ipld.dag-json"}, "GET"),
        "Convert application/vnd.ipld.dag-cbor to text/html": ("/ipfs/{dag_cbor}/", TEXT_HTML, "GET"),
        "Convert application/vnd.ipld.dag-cbor to text/html with range request includes correct bytes": (
            "/ipfs/{dag_cbor}/", {**TEXT_HTML, "Range": "bytes=1-10"}, "GET"),
    }
    for name, fmt in (("DAG-JSON", "json"), ("DAG-CBOR", "cbor")):  # TestDagPbConversion
        cases.update({
            f"GET UnixFS file as {name} with format=dag-{fmt} converts to the expected Content-Type": (
                f"/ipfs/{{file}}?format=dag-{fmt}", None, "GET"),
            f"GET UnixFS directory as {name} with format=dag-{fmt} converts to the expected Content-Type": (
                f"/ipfs/{{json_cbor}}?format=dag-{fmt}", None, "GET"),
            f"GET UnixFS as {name} with 'Accept: application/vnd.ipld.dag-{fmt}' converts to the expected "
            "Content-Type": ("/ipfs/{file}", {"Accept": f"application/vnd.ipld.dag-{fmt}"}, "GET"),
            f"GET UnixFS as {name} with 'Accept: foo, application/vnd.ipld.dag-{fmt},bar' converts to the expected "
            "Content-Type": ("/ipfs/{file}", {"Accept": f"foo, application/vnd.ipld.dag-{fmt},bar"}, "GET"),
            f"GET UnixFS with format={fmt} (not dag-{fmt}) is no-op (no conversion)": (
                f"/ipfs/{{file}}?format={fmt}", None, "GET"),
            f"GET UnixFS with 'Accept: application/{fmt}' (not dag-{fmt}) is no-op (no conversion)": (
                "/ipfs/{file}", {"Accept": f"application/{fmt}"}, "GET"),
        })
    for name, fmt in (("plain JSON codec", "json"), ("plain CBOR codec", "cbor")):
        plain, dag, name_key = f"{{plain_{fmt}}}", f"{{dag_{fmt}}}", f"{{name_{fmt}}}"
        vnd = {"Accept": f"application/vnd.ipld.dag-{fmt}"}
        cases.update({  # TestPlainCodec
            f'GET {name} without Accept or format= has expected "{fmt}" Content-Type and body as-is': (
                f"/ipfs/{plain}", None, "GET"),
            f'GET {name} without Accept or format= has expected "{fmt}" Content-Type and body as-is, with single '
            "range request": (f"/ipfs/{plain}", {"Range": "bytes=1-10"}, "GET"),
            f"GET {name} with ?format= has expected {fmt} Content-Type and body as-is": (
                f"/ipfs/{plain}?format={fmt}", None, "GET"),
            f"GET {name} with ?format= has expected {fmt} Content-Type and body as-is, with single range request": (
                f"/ipfs/{plain}?format={fmt}", {"Range": "bytes=1-10"}, "GET"),
            f"GET {name} with Accept has expected {fmt} Content-Type and body as-is, with single range request": (
                f"/ipfs/{plain}", {"Accept": f"application/{fmt}", "Range": "bytes=1-10"}, "GET"),
            f"GET {name} with format=dag-{fmt} interprets {fmt} as dag-* variant and produces expected "
            "Content-Type and body": (f"/ipfs/{{plain_or_dag_{fmt}}}?format=dag-{fmt}", None, "GET"),
        })
        cases.update({  # TestNativeDag
            f"GET {name} from /ipfs without explicit format returns the same payload as the raw block": (
                f"/ipfs/{dag}", None, "GET"),
            f"GET {name} from /ipfs with format=dag-{fmt} returns the same payload as the raw block": (
                f"/ipfs/{dag}?format=dag-{fmt}", None, "GET"),
            f"GET {name} from /ipfs with application/vnd.ipld.dag-{fmt} returns the same payload as the raw block": (
                f"/ipfs/{dag}", vnd, "GET"),
            f"GET {name} with format={fmt} returns same payload as format=dag-{fmt} but with plain Content-Type": (
                f"/ipfs/{dag}?format={fmt}", None, "GET"),
            f"GET {name} with Accept: application/{fmt} returns same payload as application/vnd.ipld.dag-{fmt} but "
            "with plain Content-Type": (f"/ipfs/{dag}", {"Accept": f"application/{fmt}"}, "GET"),
            f"GET response for application/vnd.ipld.dag-{fmt} has expected Content-Type": (f"/ipfs/{dag}", vnd, "GET"),
            f"GET for application/vnd.ipld.dag-{fmt} with query filename includes Content-Disposition with custom "
            "filename": (f"/ipfs/{dag}?filename=foobar.{fmt}", vnd, "GET"),
            f"GET for application/vnd.ipld.dag-{fmt} with ?download=true forces Content-Disposition: attachment": (
                f"/ipfs/{dag}?filename=foobar.{fmt}&download=true", vnd, "GET"),
            f"Cache control HTTP headers ({fmt})": (f"/ipfs/{dag}", vnd, "GET"),
            f"HEAD {name} with no explicit format returns HTTP 200": (f"/ipfs/{dag}", None, "HEAD"),
            f"HEAD {name} with an explicit DAG-JSON format returns HTTP 200": (f"/ipfs/{dag}?format=dag-json", None,
                                                                               "HEAD"),
            f"HEAD {name} with only-if-cached for missing block returns HTTP 412 Precondition Failed": (
                f"/ipfs/{MISSING}", {"Cache-Control": "only-if-cached"}, "HEAD"),
            f"GET {name} on /ipfs with Accept: text/html returns HTML (dag-index-html)": (
                f"/ipfs/{dag}/", TEXT_HTML, "GET"),
            f"GET {name} on /ipfs with no explicit header": (f"/ipfs/{dag}/", None, "GET"),
            f"GET {name} on /ipfs with no explicit header, with single range request": (
                f"/ipfs/{dag}/", {"Range": "bytes=1-10"}, "GET"),
            f"GET {name} on /ipfs with dag content headers": (f"/ipfs/{dag}/", vnd, "GET"),
            f"GET {name} on /ipfs with dag content headers, with single range request": (
                f"/ipfs/{dag}/", {**vnd, "Range": "bytes=1-10"}, "GET"),
            f"GET {name} on /ipfs with non-dag content headers": (f"/ipfs/{dag}/", {"Accept": f"application/{fmt}"},
                                                                  "GET"),
            f"GET {name} on /ipfs with non-dag content headers, with single range request": (
                f"/ipfs/{dag}/", {"Accept": f"application/{fmt}", "Range": "bytes=1-10"}, "GET"),
        })
        cases.update({  # TestGatewayJSONCborAndIPNS (the /ipfs/ side of "the same payload" is checked below)
            f"GET {name} from /ipns without explicit format returns the same payload as /ipfs": (
                f"/ipns/{name_key}", None, "GET"),
            f"GET {name} from /ipns with explicit format returns the same payload as /ipfs": (
                f"/ipns/{name_key}?format=dag-{fmt}", None, "GET"),
            f"GET {name} from /ipns with explicit application/vnd.ipld.dag-{fmt} has expected headers": (
                f"/ipns/{name_key}", vnd, "GET"),
            f"GET {name} on /ipns with Accept: text/html returns HTML (dag-index-html)": (
                f"/ipns/{name_key}/", TEXT_HTML, "GET"),
        })
    return cases


DAG_CASES = _dag_cases()


@pytest.mark.parametrize("case", list(DAG_CASES))
def test_path_gateway_dag_cases_get_kubos_answer(sides: GatewaySides, case: str) -> None:
    path, headers, method = DAG_CASES[case]
    kubo, ours = sides.both(path, headers, method)
    names = HEADERS if kubo.status < 400 else ("x-ipfs-roots",)  # a 406's other headers: docs/gateway.md
    if "content-length" in kubo.headers and kubo.status < 400:  # not on Kubo's page, which it streams; an error's words differ
        names = (*names, "content-length")
    assert not _compare(kubo, ours, names), _compare(kubo, ours, names)
    assert ("last-modified" in kubo.headers) == ("last-modified" in ours.headers), (kubo.headers, ours.headers)
    if kubo.status in (404, 501):  # Kubo's words (a 406's are each side's own)
        assert ours.body == kubo.body, (kubo.body, ours.body)
    if path.startswith("/ipns/") and b"</html>" not in (ours.body or b""):  # the suite's "same payload as /ipfs"
        same = fetch_checked(sides.ours_url, path.replace("/ipns/{name_", "/ipfs/{dag_").format(**sides.ids), headers, method)
        assert (same.status, same.body) == (200, ours.body)


# path_gateway_raw_test.go: TestGatewayBlock and TestGatewayBlockMultiRangeRequest
RAW = {"Accept": "application/vnd.ipld.raw"}
RAW_CASES: dict[str, tuple[str, dict[str, str] | None]] = {
    "GET with format=raw param returns a raw block": ("/ipfs/{raw_block}/dir?format=raw", None),
    "GET with application/vnd.ipld.raw header returns a raw block": ("/ipfs/{raw_block}/dir", RAW),
    "GET with application/vnd.ipld.raw with single range request includes correct bytes": (
        "/ipfs/{raw_block}/dir", {**RAW, "Range": "bytes=6-16"}),
    "GET with application/vnd.ipld.raw header returns expected response headers": (
        "/ipfs/{raw_block}/dir/ascii.txt", RAW),
    "GET with application/vnd.ipld.raw header and filename param returns expected Content-Disposition header with "
    "custom filename": ("/ipfs/{raw_block}/dir/ascii.txt?filename=foobar.bin", RAW),
    "GET with application/vnd.ipld.raw header returns expected caching headers": (
        "/ipfs/{raw_block}/dir/ascii.txt", RAW),
    "GET with application/vnd.ipld.raw with multiple range request includes correct bytes": (
        "/ipfs/{raw_block}/dir/ascii.txt", {**RAW, "Range": "bytes=6-16,0-4"}),
}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("case", list(RAW_CASES))
def test_path_gateway_raw_cases_get_kubos_answer(sides: GatewaySides, case: str, method: str) -> None:
    path, headers = RAW_CASES[case]
    kubo, ours = sides.both(path, headers, method)
    names = (*HEADERS, "content-length", "accept-ranges")
    assert not _compare(kubo, ours, names), _compare(kubo, ours, names)


# The HTML view in more shapes than the suite's: which Accept headers ask for it, the redirect
# to the trailing slash (and its query), the formats and download that keep the block, a block
# reached by a path, and the codecs it is not made for
PAGE_REQUESTS = [
    ("/ipfs/{dag_cbor}", TEXT_HTML), ("/ipfs/{dag_json}?x=%20&y=a/b%2F", TEXT_HTML),
    ("/ipfs/{dag_cbor}/foo/link", TEXT_HTML), ("/ipfs/{dag_json}/foo/link/", TEXT_HTML),
    ("/ipfs/{dag_cbor}/foo/link/bar/", TEXT_HTML),
    ("/ipfs/{dag_cbor}/", {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}),
    ("/ipfs/{dag_json}/", {"Accept": "text/html;q=0.1"}), ("/ipfs/{dag_cbor}/", {"Accept": "xtext/htmlx"}),
    ("/ipfs/{dag_cbor}/", {"Accept": "TEXT/HTML"}), ("/ipfs/{dag_cbor}/", {"Accept": "text/*"}),
    ("/ipfs/{dag_cbor}/", {"Accept": "application/xhtml+xml"}), ("/ipfs/{dag_cbor}/", {"Accept": "*/*"}),
    ("/ipfs/{dag_cbor}/?download=true", TEXT_HTML), ("/ipfs/{dag_json}/?download=false&filename=x.json", TEXT_HTML),
    ("/ipfs/{dag_cbor}?format=dag-cbor", TEXT_HTML), ("/ipfs/{dag_json}/?format=raw", TEXT_HTML),
    ("/ipfs/{dag_cbor}/?format=car", TEXT_HTML), ("/ipfs/{plain_json}/", TEXT_HTML), ("/ipfs/{plain_cbor}", TEXT_HTML),
    ("/ipfs/{dag_cbor}/foo/", TEXT_HTML), ("/ipfs/{dag_cbor}/nope/", TEXT_HTML),
    ("/ipfs/{dag_cbor}/", {**TEXT_HTML, "If-None-Match": "*"}),
    ("/ipfs/{dag_cbor}/", {**TEXT_HTML, "If-None-Match": '"{dag_cbor}.dag-cbor"'}),
    ("/ipns/{name_cbor}", TEXT_HTML), ("/ipns/{name_json}/foo/link/", TEXT_HTML),
    ("/ipfs/{dag_json}?download=true", {}), ("/ipfs/{plain_json}?download=true&filename=a.json", {}),
    ("/ipfs/{dag_json}?format=json&download=true", {}), ("/ipfs/{dag_json}?download=TRUE", {}),
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("path", "headers"), PAGE_REQUESTS)
def test_the_dag_page_is_asked_for_as_kubo_reads_it(sides: GatewaySides, path: str, headers: dict[str, str],
                                                    method: str) -> None:
    """Status and headers (an error's page is each side's own, of Kubo's type, docs/gateway.md;
    a CAR's ETag is Kubo's hash of the path and parameters); a
    HEAD of the page itself is set apart below. ``download=true`` made a JSON block inline here."""
    headers = {k: v.format(**sides.ids) for k, v in headers.items()}
    kubo, ours = sides.both(path, headers, method)
    if method == "HEAD" and kubo.headers.get("etag", "").startswith('"DagIndex-'):
        return  # Kubo 0.43.1 answers 500 there (test_a_head_of_the_dag_page_has_the_gets_headers)
    mine = ("x-content-type-options",) if kubo.status >= 400 else ()  # ours is on every page
    names = tuple(h for h in HEADERS if h not in mine)
    if kubo.status >= 400:
        kubo, ours = CheckedReply(kubo.status, kubo.headers, b""), CheckedReply(ours.status, ours.headers, b"")
    elif "content-length" in kubo.headers and "car" not in path:  # Go sets it on a short CAR; ours streams
        names = (*names, "content-length")
    assert not _compare(kubo, ours, names), _compare(kubo, ours, names)
    assert ("last-modified" in kubo.headers) == ("last-modified" in ours.headers), (kubo.headers, ours.headers)
    if 300 <= kubo.status < 400:  # the 301 to the slash keeps the block's type, so Go writes no body
        assert (ours.body, "content-length" in ours.headers) == (kubo.body, "content-length" in kubo.headers)


@pytest.mark.parametrize("path", ["/ipfs/{dag_cbor}/", "/ipfs/{dag_json}/foo/link/", "/ipfs/{plain_json}",
                                  "/ipfs/{json_cbor}/", "/ipfs/{file}"])
@pytest.mark.parametrize("weak", [False, True])
def test_the_dag_pages_etag_is_a_304_as_in_kubo(sides: GatewaySides, path: str, weak: bool) -> None:
    """Each side's own page ETag, sent back (alone, weak, or in a list), is a 304 carrying it
    alone, for the block of any codec (Kubo checks it before it knows the answer's kind)."""
    for base in (sides.kubo_url, sides.ours_url):
        first = fetch_checked(base, "/ipfs/{dag_cbor}/".format(**sides.ids), TEXT_HTML)
        template = first.headers["etag"].split("_CID-", 1)[0]
        target = fetch_checked(base, path.format(**sides.ids) + "?format=raw").headers["x-ipfs-roots"].split(",")[-1]
        etag = f'{template}_CID-{target}"'
        sent = f'"x", W/{etag}' if weak else etag
        reply = fetch_checked(base, path.format(**sides.ids), {**TEXT_HTML, "If-None-Match": sent})
        assert (reply.status, reply.headers.get("etag"), reply.headers.get("cache-control")) == (304, etag, None), (
            base, reply.status, reply.headers)


def test_a_head_of_the_dag_page_has_the_gets_headers(sides: GatewaySides) -> None:
    """Kubo 0.43.1 answers a HEAD of the page 500 (with the page's ETag and type, no body);
    this server answers it as its GET, without the body (RFC 9110), as for a listing's HEAD."""
    kubo, ours = sides.both("/ipfs/{dag_cbor}/", TEXT_HTML, "HEAD")
    assert kubo.status == 500 and kubo.headers["etag"].startswith('"DagIndex-'), (kubo.status, kubo.headers)
    got = fetch_checked(sides.ours_url, "/ipfs/{dag_cbor}/".format(**sides.ids), TEXT_HTML)
    assert ours.status == 200 and ours.body == b""
    for name in ("etag", "content-type", "x-ipfs-roots", "content-security-policy"):
        assert ours.headers.get(name) == got.headers.get(name), name
    assert "cache-control" not in ours.headers and "content-disposition" not in ours.headers


def test_the_dag_page_is_the_explorers_and_links_the_block(sides: GatewaySides) -> None:
    """The page is the explorer's page of the block: its fields, its link (by path and by CID),
    the block's raw and CAR downloads, under the explorer's headers."""
    page = fetch_checked(sides.ours_url, "/ipfs/{dag_cbor}/".format(**sides.ids), TEXT_HTML)
    body = (page.body or b"").decode()
    middle = sides.ids["dag_cbor_middle"]
    assert f'href="/explore/{sides.ids["dag_cbor"]}/foo/link"' in body and f'href="/explore/{middle}"' in body
    assert f'href="/ipfs/{sides.ids["dag_cbor"]}?format=raw"' in body and '<th>foo</th>' in body
    assert page.headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in page.headers[
        "content-security-policy"]


def test_the_dag_page_on_a_content_origin_points_to_the_explorer_on_the_bare_host(sides: GatewaySides) -> None:
    """On ``{cid}.ipfs.localhost`` the page is Kubo's answer in kind (status, ETag form, no
    Cache-Control); its links, stylesheet, script and search form go to the explorer on the
    bare host, and its Content-Security-Policy lets them."""
    cid = sides.ids["dag_cbor"]
    replies = []
    for base in (sides.kubo_url, sides.ours_url):
        port = base.rsplit(":", 1)[1]
        replies.append(fetch_checked(base, "/", {**TEXT_HTML, "Host": f"{cid}.ipfs.localhost:{port}"}))
    kubo, ours = replies
    assert not _compare(kubo, ours, ("etag", "cache-control", "content-disposition")), _compare(
        kubo, ours, ("etag", "cache-control", "content-disposition"))
    bare = "http://localhost:" + sides.ours_url.rsplit(":", 1)[1]
    body = (ours.body or b"").decode()
    assert f'href="{bare}/explore-static/explorer.css"' in body and f'src="{bare}/explore-static/explorer.js"' in body
    assert f'action="{bare}/explore/"' in body and f'href="{bare}/explore/{cid}/foo/link"' in body
    assert 'href="/explore' not in body and 'src="/explore' not in body
    policy = [part.strip() for part in ours.headers["content-security-policy"].split(";")]
    for directive in ("style-src", "script-src", "form-action"):
        assert f"{directive} 'self' {bare}" in policy, policy
