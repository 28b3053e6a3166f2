"""A long pipeline holds only the results its pending jobs still need.

``Executor.run_all`` kept every job's outcome, receipt and result value included, until the
pipeline ended: a chain of N jobs each making a 512 KiB result peaked at about N x 512 KiB
(32 jobs: 17.2 MiB traced by tracemalloc). Now an outcome is released once the last job awaiting
it has started, and read back from the store (the signed receipt block) when asked for: the same
chain peaks near 2 MiB whatever its length, with the same receipts.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from autocodec.builtin import encode
from autocodec.ipvm import Executor, Receipt, load_pipeline
from autocodec.verify import SigningKey
from tests._ipvm_home import DOC, ipvm_runtime
from tests._select_home import SELECT_CID

SIZE = 512 * 1024
JOBS = 24


def test_a_long_chain_releases_each_result_once_no_later_job_needs_it(tmp_path: Path) -> None:
    key = SigningKey.from_seed(b"\x07" * 32)
    with ipvm_runtime(tmp_path / "home") as rt:
        ex = Executor(rt, key)
        block = rt.put(encode({"a": b"\x41" * SIZE}, "dag-cbor"), "dag-cbor")
        jobs = {"j0": {"module": SELECT_CID, "func": "select", "args": [{"ipvm/block": block}, ""]}}
        for i in range(1, JOBS):  # each job selects the whole of the previous one's result: SIZE bytes each
            jobs[f"j{i}"] = {"module": SELECT_CID, "func": "select", "args": [{"await/ok": f"j{i - 1}"}, ""]}
        pipeline = load_pipeline(ex, {"jobs": jobs, "result": f"j{JOBS - 1}"})
        tracemalloc.start()
        try:
            outcomes = ex.run_all(pipeline.target)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 8 * SIZE, f"peak {peak} bytes for {JOBS} jobs of {SIZE}"  # the old code: over JOBS * SIZE
        assert len(outcomes) == JOBS and all(o.held is None for c, o in outcomes.items() if c != pipeline.target)
        final = outcomes[pipeline.target]
        assert final.held is not None and final.receipt.value == {"a": b"\x41" * SIZE}
        for outcome in outcomes.values():  # a released outcome reads back the very receipt that was signed
            receipt = outcome.receipt
            assert receipt.ok and receipt.ran == outcome.invocation
            cid, signed = receipt.sign(key)
            assert cid == outcome.receipt_cid and rt.store.get(cid) == signed
            assert Receipt.verify_block(signed) == receipt
        again = ex.run_all(pipeline.target, no_cache=True)  # the same receipts, run again
        assert {c: o.receipt_cid for c, o in again.items()} == {c: o.receipt_cid for c, o in outcomes.items()}


def test_a_result_awaited_twice_is_handed_to_both_and_released_after(tmp_path: Path) -> None:
    """``doc`` is awaited by ``path`` and by ``end``, which starts only after ``path`` ended."""
    with ipvm_runtime(tmp_path / "home") as rt:
        ex = Executor(rt, SigningKey.from_seed(b"\x08" * 32))
        block = rt.put(encode(DOC, "dag-cbor"), "dag-cbor")
        jobs = {"doc": {"module": SELECT_CID, "func": "select", "args": [{"ipvm/block": block}, ""]},
                "path": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "doc"}, "p"]},
                "end": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "doc"}, {"await/ok": "path"}]}}
        pipeline = load_pipeline(ex, {"jobs": jobs, "result": "end"})
        outcomes = ex.run_all(pipeline.target)
        assert outcomes[pipeline.target].receipt.value == "x"
        doc = outcomes[pipeline.invocations["doc"]]
        assert doc.held is None and doc.receipt.value == DOC


def test_a_released_outcome_reads_its_receipt_once(tmp_path: Path) -> None:
    """A released outcome read and verified its receipt block from the store on every ask of
    ``receipt``; now the first ask keeps the ``Receipt``: later asks answer that same object,
    even once the block is gone from the store."""
    import pytest

    from autocodec.errors import BlockNotFound

    with ipvm_runtime(tmp_path / "home") as rt:
        ex = Executor(rt, SigningKey.from_seed(b"\x09" * 32))
        block = rt.put(encode(DOC, "dag-cbor"), "dag-cbor")
        jobs = {"doc": {"module": SELECT_CID, "func": "select", "args": [{"ipvm/block": block}, ""]},
                "end": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "doc"}, "p"]}}
        pipeline = load_pipeline(ex, {"jobs": jobs, "result": "end"})
        doc = ex.run_all(pipeline.target)[pipeline.invocations["doc"]]
        assert doc.held is None
        first = doc.receipt
        assert first.value == DOC and Receipt.verify_block(rt.store.get(doc.receipt_cid)) == first
        assert rt.store.delete(doc.receipt_cid)
        assert doc.receipt is first  # the store is not asked again
        with pytest.raises(BlockNotFound):  # as it would be: a fresh release of it finds no block
            _ = doc.released(rt.store).receipt
