"""IPVM sweep: edges of remote admission, the job stream and the executor API (real homes, in process)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from autocodec.config import RemoteLimits
from autocodec.errors import RateLimited
from autocodec.ipvm import Executor, Invocation
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, shipped_blocks, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey, module_cid
from autocodec.verify.ucan import delegate, invoke
from tests.conftest import WASM_SRC

SELECT = (WASM_SRC / "ipld-select" / "ipld-select.wasm").read_bytes()
SELECT_CID = module_cid(SELECT)


@pytest.fixture
def rt(home: Path) -> Any:
    with Runtime(home, default_set=False) as runtime:
        runtime.store.put(SELECT_CID, SELECT)
        runtime.trust.allow(str(SELECT_CID))
        yield runtime


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
