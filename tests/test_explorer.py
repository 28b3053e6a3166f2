"""The explorer renders a block of every codec module in wasm-src: for each, the first block
its own vectors decode is stored, and `/explore/{cid}` must show the codec, the module that
decoded it (sandboxed), and one clickable link per link in the module's expected node.
In-process (aiohttp test client); the browser test is tests/test_explorer_chromium.py."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from autocodec import CID, builtin
from autocodec.registry import Runtime
from autocodec.serve import make_app

pytestmark = pytest.mark.slow  # compiles every codec module once

WASM_SRC = Path(__file__).resolve().parents[1] / "wasm-src"


def _codec_modules() -> list[tuple[str, int]]:
    out = []
    for meta in sorted(WASM_SRC.glob("*/module.json")):
        info = json.loads(meta.read_text())
        if info.get("kind") == "codec" and not builtin.has_codec(info["codes"][0]):
            out.append((info["name"], info["codes"][0]))
    return out


def _links(value: Any) -> int:
    if isinstance(value, CID):
        return 1
    if isinstance(value, dict):
        return sum(_links(v) for v in value.values())
    if isinstance(value, list):
        return sum(_links(v) for v in value)
    return 0


@pytest.mark.parametrize(("name", "code"), _codec_modules())
def test_explorer_shows_a_block_of_every_codec(tmp_path: Path, name: str, code: int) -> None:
    module = WASM_SRC / name / f"{name}.wasm"
    vectors = builtin.decode((WASM_SRC / name / "vectors.json").read_bytes(), "dag-json")
    case = next(c for c in vectors["cases"] if "decode" in c and "expect" in c)
    with Runtime(tmp_path / "home", default_set=False) as runtime:
        runtime.add_local_module(module)
        data = bytes(case["decode"])
        cid = runtime.cid_for(data, code)
        runtime.store.put(cid, data)
        module_cid = runtime.resolve("codec", code).module

        async def go() -> tuple[int, str]:
            async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
                resp = await client.get(f"/explore/{cid}")
                return resp.status, await resp.text()

        status, page = asyncio.run(go())
    assert status == 200, page[:500]
    assert f"{name} (0x{code:x})" in page
    assert "sandboxed" in page and str(module_cid) in page
    anchors = re.findall(r'<a class="link" data-cid="([^"]+)"', page)
    assert len(anchors) == _links(case["expect"])
    for target in anchors:
        CID.parse(target)


HOSTILE = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)>"


def test_every_explorer_response_carries_nosniff_and_the_policy(tmp_path: Path) -> None:
    """The index, the /explore redirect, a page, an error page and the static files: each has
    ``nosniff`` and the CSP (the index and the static files had neither)."""
    from autocodec.serve._page_headers import CSP

    with Runtime(tmp_path / "home", default_set=False) as runtime:
        cid = runtime.put(builtin.encode({"x": HOSTILE, HOSTILE: 1}, "dag-json"), "dag-json")

        async def go() -> dict[str, tuple[int, str, str, str]]:
            out = {}
            async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
                for path in ("/explore/", "/explore", f"/explore/{cid}", "/explore/notacid",
                             "/explore-static/explorer.js", "/explore-static/explorer.css"):
                    resp = await client.get(path, allow_redirects=False)
                    out[path] = (resp.status, resp.headers.get("X-Content-Type-Options", ""),
                                 resp.headers.get("Content-Security-Policy", ""), await resp.text())
            return out

        answers = asyncio.run(go())
    for path, (status, sniff, csp, _) in answers.items():
        assert status < 500 and sniff == "nosniff" and csp == CSP, (path, status, sniff, csp)
    page = answers[f"/explore/{cid}"][3]
    assert HOSTILE not in page and "<script>document" not in page and "<img src=x" not in page
    assert html_unescape_count(page, HOSTILE) == 2  # shown, escaped, as the key and as the value


def html_unescape_count(page: str, text: str) -> int:
    import html

    return page.count(html.escape(text, quote=True))
