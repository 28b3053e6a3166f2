"""The gateway app in process: the ``runtime`` fixture (an empty home without the default set) and
``call``, one request to ``make_app`` over aiohttp's test client (redirects not followed) as
(status, headers, body). ``GIT_RAW`` is the built git-raw module a test may add to the home.
Test modules import ``runtime`` to use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from autocodec.registry import Runtime
from autocodec.serve import make_app
from tests.conftest import REPO

GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(tmp_path / "home", default_set=False) as rt:
        yield rt


def call(runtime: Runtime, path: str, headers: dict[str, str] | None = None,
         method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    async def go() -> tuple[int, dict[str, str], bytes]:
        async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
            resp = await client.request(method, path, headers=headers or {}, allow_redirects=False)
            return resp.status, dict(resp.headers), await resp.read()

    return asyncio.run(go())
