"""IPVM sweep: edges of remote admission, the job stream and the executor API (real homes, in process)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from autocodec.config import RemoteLimits
from autocodec.errors import RateLimited
from autocodec.ipvm import Executor, Invocation
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, shipped_blocks, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import delegate, invoke
from tests import _select_home
from tests._select_home import SELECT_CID

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)


def _remote(rt: Runtime, limits: RemoteLimits) -> tuple[RemoteExecutor, SigningKey, Any]:
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(limits), lambda cid: False)
    client = SigningKey.generate()
    root = delegate(executor.key, client.did, COMMAND, now=int(time.time()))
    return remote, client, root


def _send(remote: RemoteExecutor, client: SigningKey, root: Any, task: Invocation) -> tuple[Any, bytes, bool]:
    now = int(time.time())
    token = invoke(client, remote.did, COMMAND, task_args(task), now=now, proofs=[root])
    blocks = shipped_blocks(remote.executor.runtime.store, task, remote.executor.limits)
    return remote.handle(encode_container([token, root], blocks), now=now)


# --- remote admission ------------------------------------------------------------------------


def test_the_fuel_of_awaited_jobs_counts_against_the_issuers_budget(rt: Runtime) -> None:
    # A pipeline's target asking for 10**6 fuel while the jobs it awaits ask for 10**8 each must be
    # charged for all of them: otherwise the per-minute fuel budget bounds only the last job.
    remote, client, root = _remote(rt, RemoteLimits(fuel_per_minute=10**8 + 10**6))
    first = Invocation(SELECT_CID, "select", [{"a": 1}, "a"], fuel=10**8)
    Executor(rt).submit(first)
    target = Invocation(SELECT_CID, "select", [{"await/ok": first.cid}, ""], fuel=10**6)
    with pytest.raises(RateLimited, match="fuel"):
        second = Invocation(SELECT_CID, "select", [{"a": 2}, "a"], fuel=10**8)
        Executor(rt).submit(second)
        _send(remote, client, root, Invocation(SELECT_CID, "select",
                                               [{"await/ok": first.cid}, {"await/ok": second.cid}], fuel=10**6))
    assert _send(remote, client, root, target)[0] is not None  # within the budget: 10**8 + 10**6


# --- the job stream ---------------------------------------------------------------------------


def _stream_of_two(rt: Runtime) -> Any:
    from autocodec.ipvm._stream import JobStream

    outcome = Executor(rt).run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"]))
    stream = JobStream(rt.store)
    for _ in range(2):
        stream.append(outcome.receipt_cid, outcome.invocation, source="remote")
    return stream


@pytest.mark.parametrize("since, limit", [
    (2**64, 10), (2**63, 10), (-1, 10), (True, 10), ("1", 10), (1.5, 10),
    (0, 0), (0, -5), (0, False), (0, 2.0),
])
def test_job_stream_pages_out_of_range_are_invalid_input(rt: Runtime, since: Any, limit: Any) -> None:
    # 2**64 was SQLite's OverflowError (a 500 on /ipvm/stream), "1" a ValueError, and a limit of 0
    # or below returned one entry anyway.
    from autocodec.errors import InvalidInput

    stream = _stream_of_two(rt)
    with pytest.raises(InvalidInput, match="job stream"):
        stream.since(since, limit)


def test_job_stream_pages_at_the_edges(rt: Runtime) -> None:
    stream = _stream_of_two(rt)
    assert [e.seq for e in stream.since(0, 1)] == [1]
    assert [e.seq for e in stream.since(1, 10_000_000)] == [2]  # over MAX_LIMIT: at most MAX_LIMIT
    assert stream.since(2) == [] and stream.since(2**63 - 1) == []


def test_the_stream_route_answers_an_out_of_range_page_with_400(rt: Runtime) -> None:
    # since=2**64 reached SQLite and came back as a 500; limit=0 returned an entry.
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from autocodec.serve import make_app

    _stream_of_two(rt)

    async def go() -> list[tuple[int, Any]]:
        async with TestClient(TestServer(make_app(rt, workers=1))) as client:
            out = []
            for query in (f"since={2**64}", "since=-1", "limit=0", "since=1&limit=1"):
                resp = await client.get(f"/ipvm/stream?{query}")
                out.append((resp.status, await resp.json()))
            return out

    (big, neg, zero, ok) = asyncio.run(go())
    assert [big[0], neg[0], zero[0]] == [400, 400, 400]
    assert big[1]["error"] == "InvalidInput" and "job stream" in big[1]["message"] and big[1]["hint"]
    assert ok[0] == 200 and [e["seq"] for e in ok[1]["entries"]] == [2] and ok[1]["next"] == 2


# --- the Python API ---------------------------------------------------------------------------


def test_executor_flags_and_targets_of_the_wrong_type_are_invalid_input(rt: Runtime) -> None:
    # rerun="no" re-ran the job (a truthy text), no_cache="yes" was taken, and run_all on CID
    # text was an AttributeError from deep inside.
    from autocodec.errors import InvalidInput

    executor = Executor(rt)
    outcome = executor.run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"]))
    with pytest.raises(InvalidInput, match="rerun is True or False"):
        executor.verify(outcome.receipt_cid, rerun="no")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no_cache is True or False"):
        executor.run(outcome.invocation, no_cache="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no_cache is True or False"):
        executor.run_all(outcome.invocation, no_cache=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="target"):
        executor.run_all(3)  # type: ignore[arg-type]
    assert executor.run_all(str(outcome.invocation))[outcome.invocation].cached  # CID text is a CID
    assert executor.verify(str(outcome.receipt_cid))[0].value == 1
