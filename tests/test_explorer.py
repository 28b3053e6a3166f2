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
