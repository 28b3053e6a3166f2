"""The gateway's origin-isolated features next to Kubo v0.43.1's, and the JSON routes' errors.

Kubo honours a site's ``_redirects`` file (specs.ipfs.tech, "Web Redirects File
Specification") only where the site has an origin of its own: the subdomain gateway
(``{cid}.ipfs.localhost``) and DNSLink hosts. The same sites live in a throw-away Kubo
(offline) and in an autocodec home; each case sends the same request to both, with the
``Host`` header set by hand, and compares the status, ``Location``, the body and the headers
this server writes as Kubo does (docs/gateway.md lists the differences). The fast tests at
the end check in-process what needs no Kubo.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


# --- in-process ---------------------------------------------------------------------------------

@dataclass
class App:
    """``autocodec serve``'s application over a home (``add`` puts a folder in its store)."""

    runtime: object

    def call(self, path: str, host: str = "127.0.0.1:8080", method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        from aiohttp.test_utils import TestClient, TestServer

        from autocodec.serve import make_app

        async def go() -> tuple[int, dict[str, str], bytes]:
            async with TestClient(TestServer(make_app(self.runtime, workers=2))) as client:  # type: ignore[arg-type]
                resp = await client.request(method, path, allow_redirects=False, headers={"Host": host})
                return resp.status, dict(resp.headers), await resp.read()

        return asyncio.run(go())

    def add(self, files: dict[str, str]) -> str:
        """A UnixFS folder of ``files`` (relative name: text), CIDv1; its root CID."""
        from autocodec.unixfs import AddOptions, add_path

        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            for name, text in files.items():
                (Path(tmp) / "site" / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / "site" / name).write_text(text, encoding="utf-8")
            return str(add_path(self.runtime.store, Path(tmp) / "site",  # type: ignore[attr-defined]
                                AddOptions(cid_version=1), recursive=True)[-1].cid)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    from autocodec.registry import Runtime

    with Runtime(tmp_path / "home", default_set=False) as runtime:
        yield App(runtime)


@pytest.mark.parametrize("path", ["/decode/bafkqaaa?format=yaml", "/resolve/nokind/raw",
                                  "/ipvm/stream?since=x", "/ipvm/stream?limit=1.5"])
def test_a_malformed_query_of_a_json_route_is_an_invalid_input_error(app: App, path: str) -> None:
    """Every JSON error body names an ``AutocodecError`` class (docs/gateway.md); these
    said ``BadRequest``, which is none."""
    from autocodec import errors

    status, headers, body = app.call(path)
    error = json.loads(body)
    assert status == 400 and headers["Content-Type"].startswith("application/json"), (path, status)
    assert set(error) == {"error", "message", "hint"} and error["error"] == "InvalidInput", error
    assert issubclass(getattr(errors, error["error"]), errors.AutocodecError)
    assert error["message"] and error["hint"], error
