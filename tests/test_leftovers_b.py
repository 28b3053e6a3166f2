"""Leftovers (b): the /ipvm/ routes' error bodies, and an old home on a read-only mount."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from autocodec import errors
from autocodec.registry import Runtime

# --- /ipvm/ error bodies are every route's (serve/_app.error_body, counted like them) ---------------


def _ipvm_answers(rt: Runtime) -> list[tuple[int, Any]]:
    from aiohttp.test_utils import TestClient, TestServer

    from autocodec.serve import make_app

    app = make_app(rt, workers=1)

    async def go() -> list[tuple[int, Any]]:
        async with TestClient(TestServer(app)) as http:
            wrong = await http.post("/ipvm/invoke", data=b"{}", headers={"Content-Type": "application/json"})
            junk = await http.post("/ipvm/invoke", data=b"\xff\x00",
                                   headers={"Content-Type": "application/vnd.ipld.dag-cbor"})
            far = await http.get("/ipvm/stream?since=-5")
            return [(r.status, await r.json()) for r in (wrong, junk, far)]

    return asyncio.run(go())


def test_ipvm_error_bodies_are_error_body_and_counted_as_every_routes(home: Path) -> None:
    # The /ipvm/ routes built their bodies by hand, and their errors were not in errors_total.
    from autocodec.serve._app import error_body

    with Runtime(home, default_set=False) as rt:
        answers = _ipvm_answers(rt)
        counted = {dict(labels).get("error"): n for (name, labels), n in rt.metrics.snapshot().items()
                   if name == "errors_total" and dict(labels).get("route") == "ipvm"}
    (s415, wrong), (s400, junk), (s_stream, far) = answers
    assert (s415, s400) == (415, 400) and s_stream in (400, 422), answers
    shape = error_body(errors.InvalidInput("m", hint="h"))
    for doc in (wrong, junk, far):
        assert set(doc) == set(shape) and all(isinstance(doc[k], str) and doc[k] for k in shape), doc
    assert wrong == error_body(errors.InvalidInput(wrong["message"], hint=wrong["hint"]))
    assert (wrong["error"], junk["error"]) == ("InvalidInput", "InvalidToken")
    assert counted.get("InvalidInput", 0) >= 1 and counted.get("InvalidToken") == 1, counted
