"""An IPVM executor reads and verifies a task module once: a job under another memory cap (a new
sandbox engine), after a trust change (a new generation), or whose cap is below the module's
initial memory takes the bytes already verified, not the store's blocks again. Measured on the
old code with a 5 MiB task module (a UnixFS file DAG of 21 blocks, on this loaded 2-core VM):
each such load read the DAG again (``read_module``, 66-150 ms) and a job under a cap below the
module's memory read it twice (its failed load, then the receipt's check). The tests delete the
module's blocks after the first run: on the old code the next load raises ``BlockNotFound``."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.ipvm import Executor, Invocation
from autocodec.registry import Runtime
from autocodec.verify import module_blocks
from tests._big_module import with_padding

SELECT = (Path(__file__).resolve().parents[1] / "wasm-src" / "ipld-select" / "ipld-select.wasm").read_bytes()
MIB = 1 << 20


@pytest.fixture
def big(tmp_path: Path):
    built = module_blocks(with_padding(SELECT, 5 * MIB))
    assert len(built.blocks) == 21
    with Runtime(tmp_path / "home", default_set=False) as rt:
        rt.store.put_many(built.blocks)
        rt.trust.allow(str(built.cid))
        yield rt, built


def _drop_blocks(rt: Runtime, built) -> None:
    for cid, _data in built.blocks:
        rt.store.delete(cid)
    assert not rt.store.has(built.cid)


def test_another_memory_cap_and_a_trust_change_read_no_block_again(big) -> None:
    rt, built = big
    ex = Executor(rt)
    first = ex.run(Invocation(built.cid, "select", [{"a": 1}, "a"], memory=16 * MIB))
    assert first.receipt.ok and first.receipt.value == 1
    _drop_blocks(rt, built)
    other_cap = ex.run(Invocation(built.cid, "select", [{"a": 2}, "a"], memory=32 * MIB))
    assert other_cap.receipt.ok and other_cap.receipt.value == 2
    rt.trust.allow(str(module_blocks(SELECT).cid))  # a trust change: a new generation
    again = ex.run(Invocation(built.cid, "select", [{"a": 3}, "a"], memory=16 * MIB))
    assert again.receipt.ok and again.receipt.value == 3


def test_a_cap_below_the_modules_memory_is_receipted_from_the_bytes_read(big) -> None:
    rt, built = big
    ex = Executor(rt)
    assert ex.run(Invocation(built.cid, "select", [{"a": 1}, "a"], memory=16 * MIB)).receipt.ok
    _drop_blocks(rt, built)
    out = ex.run(Invocation(built.cid, "select", [{"a": 1}, "a"], memory=64 * 1024))
    assert out.receipt.error is not None and out.receipt.error[0] == "MemoryLimitExceeded", out.receipt.error


def test_trust_is_still_decided_on_every_load(big) -> None:
    from autocodec.errors import NotTrusted

    rt, built = big
    ex = Executor(rt)
    assert ex.run(Invocation(built.cid, "select", [{"a": 1}, "a"], memory=16 * MIB)).receipt.ok
    rt.trust.revoke(str(built.cid), "test")
    with pytest.raises(NotTrusted):
        ex.run(Invocation(built.cid, "select", [{"a": 2}, "a"], memory=32 * MIB))
