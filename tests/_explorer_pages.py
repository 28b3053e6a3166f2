"""Reading the explorer's pages in process: ``explorer_get`` ((status, Location, body) of each
path, redirects not followed), ``page_links`` (a page's prev/next links), ``entry_rows`` (the
UnixFS entries table) and ``walk_entry_pages`` (every entry met following "next" from the bare
URL, with each page's pager text); ``many_files`` makes a folder of ``BIG`` files, three pages.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from autocodec.registry import Runtime
from autocodec.serve import make_app


def explorer_get(runtime: Runtime, *paths: str) -> list[tuple[int, str, str]]:
    """``(status, Location, body)`` of each path, redirects not followed."""
    async def go() -> list[tuple[int, str, str]]:
        out = []
        async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
            for path in paths:
                resp = await client.get(path, allow_redirects=False)
                out.append((resp.status, resp.headers.get("Location", ""), await resp.text()))
        return out

    return asyncio.run(go())


BIG = 1200  # files in each big folder: three pages of entries


def many_files(base: Path) -> Path:
    """``base/many``, a new folder of ``BIG`` small files ``f0000.txt``... holding their numbers."""
    folder = base / "many"
    folder.mkdir()
    for i in range(BIG):
        (folder / f"f{i:04d}.txt").write_text(str(i))
    return folder


def entry_rows(page: str) -> list[tuple[str, str, str]]:
    """``(name, CID, size)`` of each row of an explorer page's UnixFS entries table."""
    table = page.split('id="entries">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td><a class="entry" href="[^"]*">([^<]*)</a></td><td><code>([^<]*)</code></td>'
                      r"<td>([^<]*)</td></tr>", table)
    return [(html.unescape(n), c, z) for n, c, z in rows]


def walk_entry_pages(runtime: Runtime, root: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Every entry row met following the explorer's "next" links from the bare URL, and each
    page's pager text (the top one)."""
    rows: list[tuple[str, str, str]] = []
    spans: list[str] = []
    path = f"/explore/{root}"
    while path and len(spans) < 10:
        [(status, _, page)] = explorer_get(runtime, path)
        assert status == 200, page[-500:]
        rows += entry_rows(page)
        nav = re.search(r'<nav class="pages" id="pages" aria-label="pages of entries">(.*?)</nav>', page)
        assert nav is not None, path
        spans.append(html.unescape(nav.group(1).split("<a", 1)[0]))
        nxt = page_links(page, "next")
        assert len(set(nxt)) <= 1 and (not nxt or nxt[0] == f"/explore/{root}?page={len(spans) + 1}")
        if len(spans) > 1:  # the node, the same on every page, is shown on page 1 only
            assert 'id="node-on-first"' in page and page_links(page, "prev")[0] == (
                f"/explore/{root}" if len(spans) == 2 else f"/explore/{root}?page={len(spans) - 1}")
        path = nxt[0] if nxt else ""
    return rows, spans


def page_links(page: str, rel: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'<a class="page" rel="{rel}" href="([^"]*)"', page)]
