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


# --- an old home on a read-only mount: reads work, what needs the upgrade says so ----------------


def test_an_old_home_on_a_read_only_mount_reads_and_says_it_needs_an_upgrade(
        tmp_path: Path, capsys: Any) -> None:
    # Every command that opened a Runtime failed: the trust wing's migration (v1 -> v4) was run on
    # the read-only database ('cannot migrate the trust schema: ... attempt to write a readonly
    # database', hinting that commands that only read work). Now the wing is left as it is.
    from autocodec.cli._app import main
    from autocodec.store import BlockStore
    from tests._old_homes import make_old_home, old_home_facts
    from tests._read_only_mount import read_only_mount

    facts = old_home_facts("54004c6")  # trust schema v1: no trust_epoch, no trust_overrides
    home = make_old_home("54004c6", tmp_path)
    before = sorted((p.name, p.stat().st_size) for p in home.rglob("*"))
    with read_only_mount(home):
        assert main(["--home", str(home), "block", "get", facts["raw"]]) == 0
        assert main(["--home", str(home), "cat", f"{facts['dir']}/a.txt"]) == 0
        assert main(["--home", str(home), "dag", "get", facts["dir"]]) == 0
        out, err = capsys.readouterr()
        assert "hello autocodec" in out and err == "", err
        with BlockStore.open(home) as store:
            assert store.read_only and store.behind["trust"] == (1, 4), store.behind
            try:
                store.read_row("SELECT set_id FROM trust_overrides")
            except errors.StoreError as exc:
                refused = exc
            else:  # pragma: no cover - the table is missing on this home
                raise AssertionError("read a table the old home does not have")
    assert "needs an upgrade that its read-only mount prevents" in refused.message, refused.message
    assert "no such table" not in refused.message and "\n" not in refused.message and refused.hint
    assert sorted((p.name, p.stat().st_size) for p in home.rglob("*")) == before
