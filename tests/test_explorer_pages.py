"""The explorer's pages over plain HTTP (aiohttp test client, a real runtime and store): big
blocks stay small pages, a malformed block is still a page with its bytes, links under field
names a path cannot hold lead to their block, error pages are typed, and the search form works
without the script. The browser side is tests/test_explorer_chromium.py."""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from autocodec import CID, builtin
from autocodec.registry import Runtime
from autocodec.serve import make_app
from tests._explorer_pages import BIG, entry_rows, explorer_get, many_files, page_links, walk_entry_pages


@pytest.fixture
def runtime(tmp_path: Path) -> Any:
    with Runtime(tmp_path / "home", default_set=False) as rt:
        yield rt


def _put(runtime: Runtime, value: Any) -> CID:
    return runtime.put(builtin.encode(value, "dag-cbor"), "dag-cbor")


def test_big_blocks_are_bounded_pages(runtime: Runtime) -> None:
    """A 1.5 MB string, 700 lists of 700 numbers (a 1.4 MiB block) and a list of 100,000 items:
    each page under 512 KiB, with notes saying what was left out (before: 6 MB and 13 MB pages;
    strings were shown whole and the 500-items-per-list bound multiplied with nesting)."""
    big_string = _put(runtime, {"s": "<" * 1_500_000, "t": "ok"})
    nested = _put(runtime, [list(range(700)) for _ in range(700)])
    long_list = _put(runtime, list(range(100_000)))
    many_keys = _put(runtime, {"k" * 2000 + str(i): i for i in range(400)})
    pages = explorer_get(runtime, *(f"/explore/{c}" for c in (big_string, nested, long_list, many_keys)))
    for status, _, page in pages:
        assert status == 200 and len(page) < 512 * 1024, (status, len(page))
    assert "1498976 more characters" in pages[0][2] and ">ok<" in pages[0][2]
    assert "more items (the page shows at most 5000 values)" in pages[1][2]
    assert "99500 more items" in pages[2][2]
    assert "more characters" in pages[3][2]


def test_a_malformed_block_is_a_page_with_its_bytes(runtime: Runtime) -> None:
    """Bytes under a dag-cbor CID that are not DAG-CBOR: the page still shows the CID, size and
    bytes, and says why it was not decoded, typed (before: a bare "500" page, no bytes)."""
    data = b"\xa1\x61"
    cid = runtime.cid_for(data, 0x71)
    runtime.store.put(cid, data)
    [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}")
    assert status == 500
    assert f'<code id="cid">{cid}</code>' in page and '<code id="size">2</code>' in page
    assert 'id="hex"' in page and "a1 61" in page
    assert re.search(r'id="undecoded" data-error="InvalidBlock">Not decoded \(InvalidBlock\): dag-cbor', page)


def _hrefs(page: str) -> dict[str, str]:
    """data-cid -> href of each link anchor on a page."""
    return {cid: html.unescape(href) for cid, href in re.findall(r'<a class="link" data-cid="([^"]+)" href="([^"]+)"',
                                                                  page)}


def test_every_link_leads_to_its_block_whatever_its_field_name(runtime: Runtime) -> None:
    """Links under the keys "", ".", "..", "a/b" and "%2F" (which a URL path cannot carry as one
    segment) open their block by CID; a link under a plain key extends the path. Each href,
    followed, is the page of the block it names (before: "a/b" was a 404, ".." the parent)."""
    keys = ["", ".", "..", "a/b", "%2F", "plain"]
    targets = {key: _put(runtime, {"name": key}) for key in keys}
    root = _put(runtime, {key: cid for key, cid in targets.items()})
    [(status, _, page)] = explorer_get(runtime, f"/explore/{root}")
    assert status == 200
    hrefs = _hrefs(page)
    assert len(hrefs) == len(keys)
    assert hrefs[str(targets["plain"])] == f"/explore/{root}/plain"
    assert hrefs[str(targets["a/b"])] == f"/explore/{targets['a/b']}"
    answers = explorer_get(runtime, *(hrefs[str(targets[key])] for key in keys))
    for key, (status, _, linked) in zip(keys, answers):
        assert status == 200, (key, status, linked[:300])
        assert f'<code id="cid">{targets[key]}</code>' in linked, key


def test_error_pages_are_typed_and_lead_on(runtime: Runtime) -> None:
    """A block not held, a field that is not there, a bad CID: each page says the status and
    its reason, the error's public type and what to do, and has the search form (before: a
    bare "404" heading; the gateway's own MissingPath class would have been shown)."""
    held = _put(runtime, {"a": 1})
    missing = "bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    pages = explorer_get(runtime, f"/explore/{missing}", f"/explore/{held}/nope", "/explore/not-a-cid")
    expect = [(404, "Not Found", "BlockNotFound"), (404, "Not Found", "PathNotFound"), (400, "Bad Request", "InvalidCID")]
    for (status, _, page), (code, reason, kind) in zip(pages, expect):
        assert status == code
        assert f"<title>explore: {code} {reason}</title>" in page and f"<h1>{code} {reason}</h1>" in page
        assert f'data-error="{kind}"><code>{kind}</code>: ' in page, page
        assert '<p class="hint">' in page and '<form id="go" action="/explore/" method="get"' in page


def test_the_search_form_works_without_the_script(runtime: Runtime) -> None:
    """The form submits ``GET /explore/?cid=...`` (it had no action: without the script it
    reloaded the same page); that is a redirect to the page, prefixes and spaces cleaned, each
    segment escaped; an empty box is the index."""
    cid = _put(runtime, {"a": {"b": 1}})
    v0ish = "QmNLei78zWmzUdbeRB3CiUfAizWUrbeeZh5K1rhAQKCh51"
    answers = explorer_get(runtime, f"/explore/?cid=+ipfs://{cid}/a/b+", f"/explore/?cid=/ipfs/{v0ish}",
                   "/explore/?cid=junk%3Fx/%23y", "/explore/?cid=+", "/explore/")
    assert answers[0][:2] == (303, f"/explore/{cid}/a/b")
    assert answers[1][:2] == (303, f"/explore/{v0ish}")
    assert answers[2][:2] == (303, "/explore/junk%3Fx/%23y")
    for status, _, page in answers[3:]:
        assert status == 200 and "<h1>autocodec explorer</h1>" in page
        assert '<form id="go" action="/explore/" method="get"' in page
    [(status, _, page)] = explorer_get(runtime, answers[0][1])
    assert status == 200 and "inside the block" in page


@pytest.fixture(scope="module")
def big_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A home holding a folder of 1200 files twice, added by ``autocodec add``: as a plain
    directory (1200 links in one block) and as a HAMT (``--max-directory-links 1000`` shards a
    folder of more entries, as Kubo's ``Import.UnixFSDirectoryMaxLinks``; fanout 16 makes
    sub-shards two and three levels deep). The home and ``{"directory": CID, "hamt": CID}``."""
    base = tmp_path_factory.mktemp("big-folders")
    folder = many_files(base)
    home = base / "home"
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    roots = {}
    for kind, flags in (("directory", []), ("hamt", ["--max-directory-links=1000", "--max-hamt-fanout=16"])):
        done = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "add", "-r", "-Q", *flags,
                               str(folder)], capture_output=True, env=env, timeout=300, check=True)
        roots[kind] = done.stdout.decode().strip()
    return home, roots


@pytest.mark.parametrize("kind", ["directory", "hamt"])
def test_a_big_unixfs_directory_is_paged_by_plain_links(big_folders: tuple[Path, dict[str, str]], kind: str) -> None:
    """A folder of 1200 files, plain and HAMT-sharded: following "next 500" from the bare URL
    shows 500, 500 and 200 entries and every name once; a plain directory's pager counts them
    all from page 1, a HAMT's says "more follow" until its last page, where the walk has counted
    them; page 4 is the 400 the value pager gives past a list's end. Before, the table stopped
    at 500 ("the path gateway lists them all") and ?page=2 was a 400."""
    home, roots = big_folders
    with Runtime(home, default_set=False) as runtime:
        rows, spans = walk_entry_pages(runtime, roots[kind])
        [(status, _, past), (status_far, _, far)] = explorer_get(runtime, f"/explore/{roots[kind]}?page=4",
                                                         f"/explore/{roots[kind]}?page=999999999")
    names = [name for name, _, _ in rows]
    assert sorted(names) == [f"f{i:04d}.txt" for i in range(BIG)] and len(rows) == BIG
    assert (names == sorted(names)) == (kind == "directory")  # a HAMT lists in shard order
    if kind == "directory":
        assert spans == ["entries 0–499 of 1200 (page 1 of 3) · ", "entries 500–999 of 1200 (page 2 of 3) · ",
                         "entries 1000–1199 of 1200 (page 3 of 3) · "]
    else:
        assert spans == ["entries 0–499 (page 1; more follow) · ", "entries 500–999 (page 2; more follow) · ",
                         "entries 1000–1199 of 1200 (page 3 of 3) · "]
    for status_, page in ((status, past), (status_far, far)):
        assert status_ == 400 and 'data-error="InvalidInput"' in page
        assert "is past the last page (3) of this directory" in page and "open a page from 1 to 3" in page


def _gateway_rows(listing: str) -> list[tuple[str, str, str]]:
    """``(name, CID, size)`` of each row of the path gateway's directory listing."""
    rows = re.findall(r'<tr><td><a href="[^"]*">([^<]*)</a></td><td><a class="cid" href="[^"]*">([^<]*)</a></td>'
                      r"<td>([^<]*)</td></tr>", listing)
    return [(html.unescape(n), c, z) for n, c, z in rows if n != ".."]


@pytest.mark.parametrize("kind", ["directory", "hamt"])
def test_the_explorer_and_the_gateway_list_the_same_entries(big_folders: tuple[Path, dict[str, str]],
                                                            kind: str) -> None:
    """The explorer's pages, read in turn, list what the path gateway's listing lists: the same
    names, CIDs and sizes in the same order (Kubo's: a plain directory by name, a HAMT in shard
    order); the last entry opens by its path as a UnixFS file."""
    home, roots = big_folders
    with Runtime(home, default_set=False) as runtime:
        rows, _ = walk_entry_pages(runtime, roots[kind])
        [(status, _, listing), (status_last, _, last)] = explorer_get(runtime, f"/ipfs/{roots[kind]}/",
                                                               f"/explore/{roots[kind]}/{rows[-1][0]}")
    assert status == 200 and status_last == 200 and "UnixFS file" in last
    assert rows == _gateway_rows(listing) and len(rows) == BIG


def _deeper_href(page: str) -> str | None:
    found = re.search(r'<a class="more deeper" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def test_a_value_nested_deeper_than_shown_opens_on_its_own_page(runtime: Runtime) -> None:
    """A map 50 levels deep: where the page stops (24 levels) a link opens the value there, and
    following such links reaches the bottom; a path past the gateway's 64 segments has no link
    (before, the page said "nested deeper than shown" and nothing below it could be seen)."""
    value: Any = "bottom"
    for _ in range(50):
        value = {"d": value}
    cid = _put(runtime, value)
    href: str | None = f"/explore/{cid}"
    hops = 0
    while href is not None and hops < 5:
        [(status, _, page)] = explorer_get(runtime, href)
        assert status == 200, (href, page[:300])
        href, hops = _deeper_href(page), hops + 1
    assert '<span class="string">bottom</span>' in page and hops == 3, hops
    for _ in range(50):
        value = {"d": value}
    [(status, _, page)] = explorer_get(runtime, f"/explore/{_put(runtime, value)}/" + "/".join(["d"] * 40))
    assert status == 200 and "nested deeper than shown" in page and _deeper_href(page) is None


def test_the_pages_own_links_answer_in_full(runtime: Runtime) -> None:
    """The links at the top of a page (raw block, CAR, DAG-JSON) answer 200 with a whole body
    for a block whose children are not held and for a block nothing decodes (before, the CAR
    of the first was cut off mid-stream at the missing child, and DAG-JSON of the second was
    an error)."""
    missing = CID.parse("bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    partial = _put(runtime, {"parent": missing, "note": "a child not held here"})
    data = b"who decodes me?"
    unknown = CID.build(0x300123, b"\x12\x20" + hashlib.sha256(data).digest())
    runtime.store.put(unknown, data)
    for cid, decoded in ((partial, True), (unknown, False)):
        [(_, _, page)] = explorer_get(runtime, f"/explore/{cid}")
        actions = re.search(r'<p class="actions">(.*?)</p>', page, re.S)
        assert actions, page[:500]
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', actions.group(1))]
        assert len(hrefs) == (3 if decoded else 2) and ("DAG-JSON" in actions.group(1)) == decoded, hrefs
        for href, (status, body) in zip(hrefs, _get_whole(runtime, *hrefs)):
            assert status == 200 and body, (href, status, body[:200])


def _get_whole(runtime: Runtime, *paths: str) -> list[tuple[int, bytes]]:
    """``(status, body)`` of each path; a body cut off mid-stream is ``(status, b"")``."""
    import aiohttp

    async def go() -> list[tuple[int, bytes]]:
        out = []
        async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
            for path in paths:
                resp = await client.get(path)
                try:
                    out.append((resp.status, await resp.read()))
                except aiohttp.ClientPayloadError:
                    out.append((resp.status, b""))
        return out

    return asyncio.run(go())


def test_a_link_on_the_page_of_a_value_inside_a_block_leads_to_its_block(runtime: Runtime) -> None:
    """On the page of ``CID/a`` (a value inside the block), the link at ``b`` extends that path
    once: ``CID/a/b`` (before, it was ``CID/a/a/b``, a 404)."""
    leaf = _put(runtime, {"leaf": 1})
    root = _put(runtime, {"a": {"b": leaf}})
    [(status, _, page)] = explorer_get(runtime, f"/explore/{root}/a")
    assert status == 200 and _hrefs(page)[str(leaf)] == f"/explore/{root}/a/b"
    [(status, _, linked)] = explorer_get(runtime, f"/explore/{root}/a/b")
    assert status == 200 and f'<code id="cid">{leaf}</code>' in linked


def test_a_code_with_no_name_is_said_to_have_none(runtime: Runtime) -> None:
    """A block of codec 0x300123 (a code the multicodec table does not name): the parts say so
    (before: "0x300123 (0x300123)", the code twice as if it were its name)."""
    data = b"who decodes me?"
    cid = CID.build(0x300123, b"\x12\x20" + hashlib.sha256(data).digest())
    runtime.store.put(cid, data)
    [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}")
    assert status == 501, page[:300]
    assert "<code>0x300123 (no name in the multicodec table)</code>" in page
    assert "(0x300123)</code>" not in page and "dag-cbor (0x71)" in explorer_get(runtime, f"/explore/{_put(runtime, 1)}")[0][2]


def test_the_no_trusted_decoder_box_names_the_refused_module(tmp_path: Path) -> None:
    """A block whose decoder's manifest was revoked: the page (403) names the module refused,
    its name, version, publisher, set and manifest under "Refused (not run)", with the reason and
    the hint; the decoder box says no sandboxed module decoded it. Before, only the manifest CID."""
    with Runtime(tmp_path / "home") as rt:
        serving = rt.resolve("codec", "git-raw")
        rt.trust.revoke(str(serving.manifest), "test")
        data = b"blob 3\x00hi\n"
        cid = CID.build(0x78, b"\x11\x14" + hashlib.sha1(data).digest())
        rt.store.put(cid, data)
        [(status, _, page)] = explorer_get(rt, f"/explore/{cid}")
    assert status == 403
    decoder = page.split("<h2>Decoder</h2>", 1)[1].split("</section>", 1)[0]
    assert "No trusted decoder for this codec: refused: manifest" in decoder and "sandboxed" not in decoder
    table = re.search(r'<table class="parts refused" id="refused">(.*?)</table>', decoder)
    assert table is not None
    cells = dict(re.findall(r"<tr><th>([^<]*)</th><td><code>([^<]*)</code></td></tr>", table.group(1)))
    assert cells == {"module": str(serving.module), "name": "git-raw", "version": serving.version,
                     "publisher": serving.publisher, "set": f"{serving.set_name} v{serving.set_version}",
                     "set id": str(serving.set_id), "manifest": str(serving.manifest)}
    assert '<p class="hint">the key or manifest was revoked' in decoder


def _items(page: str) -> list[int]:
    """The numbers a page's node shows, in order (the index of each list item)."""
    node = page.split('id="node">', 1)[1].split("</section>", 1)[0]
    return [int(n) for n in re.findall(r'<span class="number">(\d+)</span>', node)]


def _pages_by_next(runtime: Runtime, cid: CID) -> list[str]:
    """The pages of ``cid``'s explorer page reached by following "next" from the bare URL; each
    links to the one before and after by ``?page=N`` (above and below the node; page 1 is the
    bare URL) and says which page of how many it is."""
    pages: list[str] = []
    path = f"/explore/{cid}"
    while path:
        [(status, _, page)] = explorer_get(runtime, path)
        assert status == 200, page
        pages.append(page)
        number = len(pages)
        prev, nxt = page_links(page, "prev"), page_links(page, "next")
        assert len(prev) == (2 if number > 1 else 0) and len(set(prev)) <= 1
        if number > 1:
            assert prev[0] == (f"/explore/{cid}" if number == 2 else f"/explore/{cid}?page={number - 1}")
        assert re.search(rf"\(page {number} of \d+\)", page)
        path = nxt[0] if nxt else ""
        assert not nxt or path == f"/explore/{cid}?page={number + 1}"
    return pages


def test_a_long_list_and_map_are_paged_by_plain_links(runtime: Runtime) -> None:
    """A list and a map of 1200 items: page 1 shows items 0-499 with a "next 500" link, the
    last page has no next; following the links reaches every item once. Before, the rest was
    reachable only by typing a path (CID/600)."""
    for value in (list(range(1200)), {f"k{i:04}": i for i in range(1200)}):
        pages = _pages_by_next(runtime, _put(runtime, value))
        assert len(pages) == 3 and [n for page in pages for n in _items(page)] == list(range(1200))
        assert all(f"(page {n} of 3)" in page for n, page in enumerate(pages, 1))


def test_a_nested_long_list_links_to_the_next_page_of_its_own_page(runtime: Runtime) -> None:
    """A list of 1200 inside a map: its "700 more items" note links to page 2 of its own page
    (CID/l?page=2), which shows items 500-999."""
    cid = _put(runtime, {"l": list(range(1200))})
    [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}")
    assert status == 200 and 'id="pages"' not in page  # the map itself fits one page
    more = re.search(r'700 more items <a class="page" href="([^"]*)">page 2 \(from item 500\)</a>', page)
    assert more is not None and html.unescape(more.group(1)) == f"/explore/{cid}/l?page=2"
    [(status, _, inner)] = explorer_get(runtime, html.unescape(more.group(1)))
    assert status == 200 and _items(inner) == list(range(500, 1000))


@pytest.mark.parametrize("data", [None, bytes.fromhex("0802")], ids=["no-data", "unixfs-file"])
def test_the_links_of_a_dag_pb_node_that_is_no_directory_are_paged(runtime: Runtime, data: bytes | None) -> None:
    """A dag-pb node of 1200 links that is no UnixFS directory (no Data; a UnixFS file): its
    pages are pages of its Links, by ``?page=N`` of its own URL, and the "700 more items" note
    leads there. Before, the links from 500 on could not be reached from the page (a dag-pb
    path names UnixFS entries, not fields) and ``?page=2`` was a 400."""
    leaf = runtime.put(b"leaf", "raw")
    node: dict[str, Any] = {"Links": [{"Hash": leaf, "Name": "", "Tsize": i} for i in range(1200)]}
    if data is not None:
        node["Data"] = data
    cid = runtime.put(builtin.encode(node, "dag-pb"), "dag-pb")
    [(status, _, first)] = explorer_get(runtime, f"/explore/{cid}")
    more = re.search(r'700 more items <a class="page" href="([^"]*)">page 2 \(from item 500\)</a>', first)
    assert status == 200 and more is not None and html.unescape(more.group(1)) == f"/explore/{cid}?page=2"
    pages = _pages_by_next(runtime, cid)
    assert len(pages) == 3 and [n for page in pages for n in _items(page)] == list(range(1200))
    for n, page in enumerate(pages, 1):
        assert f"items {(n - 1) * 500}&ndash;{min(n * 500, 1200) - 1} of 1200 (page {n} of 3)" in page
    [(status, _, past)] = explorer_get(runtime, f"/explore/{cid}?page=4")
    assert status == 400 and "page 4 is past the last page (3)" in past


def test_a_far_page_of_a_long_list_is_small_and_bad_page_numbers_are_400(runtime: Runtime) -> None:
    """Page 200 of a list of 100,000 shows its 500 items and stays small; a page past the last,
    page 0, a word, a sign and a page of a value that is no list are 400 pages saying so."""
    cid = _put(runtime, list(range(100_000)))
    small = _put(runtime, {"a": 1})
    pages = explorer_get(runtime, f"/explore/{cid}?page=200", f"/explore/{cid}?page=201", f"/explore/{cid}?page=0",
                 f"/explore/{cid}?page=two", f"/explore/{cid}?page=-1", f"/explore/{cid}?page=%2B2",
                 f"/explore/{small}/a?page=2", f"/explore/{small}?page=1")
    status, _, page = pages[0]
    assert status == 200 and len(page) < 128 * 1024 and _items(page) == list(range(99_500, 100_000))
    assert "(page 200 of 200)" in page and not page_links(page, "next")
    assert "page 201 is past the last page (200)" in pages[1][2]
    for status, _, page in pages[1:7]:
        assert status == 400 and 'data-error="InvalidInput"' in page, (status, page[-400:])
    assert "is not a page number" in pages[2][2] and "is not a page number" in pages[3][2]
    assert "a value that is no list or map" in pages[6][2]
    assert pages[7][0] == 200


def test_a_directory_entry_a_path_cannot_name_opens_by_cid(runtime: Runtime) -> None:
    """A UnixFS directory whose entries are named "..", "a/b" and "" (which no URL path segment
    can carry) and "plain": each row of the entries table leads to the block it names, the
    first three by CID, "plain" by its path (before, ".." opened the parent and "a/b" a 404)."""
    from autocodec.unixfs import _pb

    names = ["", "..", "a/b", "plain"]
    children = {name: _put(runtime, {"entry": name}) for name in names}
    node = {"Data": _pb.encode(_pb.UnixfsData(_pb.DIRECTORY)),
            "Links": [{"Name": name, "Hash": children[name], "Tsize": 9} for name in names]}
    root = runtime.put(builtin.encode(node, "dag-pb"), "dag-pb")
    [(status, _, page)] = explorer_get(runtime, f"/explore/{root}")
    assert status == 200
    table = page.split('id="entries">', 1)[1].split("</table>", 1)[0]
    hrefs = [html.unescape(h) for h in re.findall(r'<a class="entry" href="([^"]*)"', table)]
    assert hrefs == [f"/explore/{children[n]}" for n in names[:3]] + [f"/explore/{root}/plain"]
    for name, (status, _, linked) in zip(names, explorer_get(runtime, *hrefs)):
        assert status == 200 and f'<code id="cid">{children[name]}</code>' in linked, name


def test_a_hamt_page_past_a_shard_not_held_says_so(runtime: Runtime, tmp_path: Path) -> None:
    """A HAMT of 1200 entries (fanout 16) whose last shard under the root is not held: pages 1
    and 2 list 500 entries each; page 3, reached by page 2's "next", says the HAMT is not
    readable as UnixFS and names the missing block (before this was handled, it was a 400
    saying the dag-pb node had one page, which blamed the link followed)."""
    from autocodec.unixfs import add_path
    from autocodec.unixfs._add import AddOptions
    from autocodec.unixfs._dir import classify

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(1200):
        (folder / f"f{i:04d}.txt").write_text(str(i))
    options = AddOptions(shard_threshold=1, max_hamt_fanout=16)
    root = add_path(runtime.store, folder, options, recursive=True)[-1].cid
    shards = [link for name, link, _ in classify(root, runtime.get(root)).links if len(name) == 1]
    assert runtime.store.delete(shards[-1])
    pages = explorer_get(runtime, f"/explore/{root}", f"/explore/{root}?page=2", f"/explore/{root}?page=3")
    assert [len(entry_rows(page)) for _, _, page in pages[:2]] == [500, 500]
    assert page_links(pages[1][2], "next") == [f"/explore/{root}?page=3"] * 2
    status, _, page = pages[2]
    assert status == 200, page[-600:]
    assert "<h2>UnixFS</h2><p>not readable as UnixFS: " in page and str(shards[-1]) in page
    assert 'id="node-on-first"' in page
