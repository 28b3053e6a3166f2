"""The bulk API (issue 19): work spread over forked processes gives exactly the serial results,
in order, errors rebuilt as the same typed errors; small jobs stay in-process."""

from __future__ import annotations

import os
import signal

import pytest

from autocodec import bulk
from autocodec.errors import GuestError, SandboxError
from autocodec.loader import Sandbox
from autocodec.bench._data import git_objects, module_bytes, repeat_to


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def test_decode_many_over_processes_equals_serial(sandbox: Sandbox) -> None:
    codec = sandbox.load(module_bytes("git-raw")).codec()
    blocks = [raw for _, raw in repeat_to(git_objects(), 300)]
    blocks.insert(7, b"not a git object")
    serial = codec.decode_many(blocks)
    spread = bulk.decode_many(codec, blocks, workers=2)
    assert len(spread) == len(serial)
    assert isinstance(spread[7], GuestError) and spread[7].code == serial[7].code
    assert spread[7].message == serial[7].message
    assert [x for i, x in enumerate(spread) if i != 7] == [x for i, x in enumerate(serial) if i != 7]


def test_links_and_digests_over_processes_equal_serial(sandbox: Sandbox) -> None:
    codec = sandbox.load(module_bytes("git-raw")).codec()
    blocks = [raw for _, raw in git_objects()]
    assert bulk.links_many(codec, blocks, workers=2) == [codec.links(b) for b in blocks]
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    inputs = [bytes([i]) * i for i in range(200)]
    assert bulk.digest_many(hasher, inputs, workers=2) == [hasher.digest(d) for d in inputs]


def test_small_jobs_stay_in_process() -> None:
    assert bulk.workers_for(10, 1000) == 1
    assert bulk.workers_for(bulk.MIN_ITEMS, 0) == max(1, min(bulk.cores(), bulk.MIN_ITEMS))
    pids: list[int] = []

    def record(chunk: list[bytes]) -> list[int]:
        pids.append(os.getpid())
        return [len(b) for b in chunk]

    assert bulk.run_bulk(record, [b"a", b"bb"]) == [1, 2]
    assert pids == [os.getpid()]


def test_a_dying_worker_is_a_sandbox_error() -> None:
    def die(chunk: list[bytes]) -> list[int]:
        os.kill(os.getpid(), signal.SIGKILL)
        return []

    with pytest.raises(SandboxError, match="worker process died"):
        bulk.run_bulk(die, [b"a", b"b", b"c", b"d"], workers=2)
