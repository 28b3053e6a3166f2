"""IPVM: invocations, signed receipts, memoization, pipelines, trust (real modules, real homes).

Every test runs the committed task modules (wasm-src/ipld-select, wasm-src/bencode-to-dagcbor)
in the real sandbox, through a real home (SQLite store, trust store, key ring). Modules are
made trusted by allow-listing their CIDs in a home created without the default set, so the
tests do not depend on what the shipped set lists (one test checks that separately).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from autocodec.builtin import decode, encode
from autocodec.cid import CID
from autocodec.config import DEFAULT_LIMITS, IpvmLimits, Limits
from autocodec.errors import (
    BlockNotFound,
    IntegrityError,
    InvalidDocument,
    InvalidInput,
    NotTrusted,
    SignatureError,
)
from autocodec.ipvm import Executor, Invocation, Receipt, ReceiptCache, load_pipeline
from autocodec.ipvm._receipt import TAG
from autocodec.loader import Sandbox
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from tests._ipvm_home import DOC, TRANSCODE_CID, ipvm_runtime
from tests._select_home import SELECT, SELECT_CID
from tests.conftest import WASM_SRC

SELECT_VERSION = json.loads((WASM_SRC / "ipld-select" / "module.json").read_text())["version"]
TORRENT = b"d8:announce14:http://tracker4:infod6:lengthi1024e4:name8:file.bin12:piece lengthi256eee"


@pytest.fixture
def rt(home: Path) -> Any:
    with ipvm_runtime(home) as runtime:
        yield runtime


def _select(*args: Any, **kw: Any) -> Invocation:
    return Invocation(SELECT_CID, "select", list(args), **kw)


# --- invocations -----------------------------------------------------------------------------


def test_invocation_block_round_trips_and_is_nonce_free() -> None:
    inv = _select(DOC, "a/1/b", fuel=10_000_000)
    cid, data = inv.block()
    again = Invocation.decode(data)
    assert again == inv and again.cid == cid
    assert _select(DOC, "a/1/b", fuel=10_000_000).cid == cid  # identical jobs, identical CIDs
    assert _select(DOC, "a/1/b", fuel=10_000_001).cid != cid  # limits are part of the identity
    value = decode(data, "dag-cbor")
    assert value["rsc"] == SELECT_CID and value["op"] == "wasm/run" and value["nnc"] == ""
    assert value["input"] == {"func": "select", "args": [DOC, "a/1/b"]}


@pytest.mark.parametrize("change", [
    {"nnc": "1"}, {"op": "wasm/other"}, {"extra": 1}, {"rsc": "not a link"},
    {"meta": {"fuel": 0, "memory": 1 << 20}}, {"meta": {"fuel": 1, "memory": 1}},
    {"meta": {"fuel": 1, "memory": (1 << 20) + 65536}}, {"meta": {"fuel": 1, "memory": 1 << 40}},
    {"meta": {"fuel": DEFAULT_LIMITS.ipvm.max_fuel + 1, "memory": 1 << 20}},
    {"input": {"func": "", "args": []}}, {"input": {"func": "f", "args": {}}},
    {"input": {"func": "f", "args": [{"await/ok": "not a link"}]}},
    {"input": {"func": "f", "args": [{"await/ok": SELECT_CID}]}},  # a raw block is not an invocation
    {"iss": "me"},
])
def test_malformed_invocations_are_refused(change: dict[str, Any]) -> None:
    value = {**_select(1, "").to_value(), **change}
    with pytest.raises(InvalidDocument):
        Invocation.from_value(value)


# --- running, receipts, the cache ----------------------------------------------------------------


def test_run_signs_a_receipt_with_the_executor_key(rt: Runtime) -> None:
    ex = Executor(rt)
    out = ex.run(_select(DOC, "a/1/b"))
    assert not out.cached and out.receipt.ok and out.receipt.value == "x"
    assert out.receipt.fuel > 0 and out.receipt.module == f"ipld-select@{SELECT_VERSION}"
    assert out.receipt.issuer == ex.key.did == Executor(rt).key.did  # one executor key per home
    block = rt.store.get(out.receipt_cid)
    assert Receipt.verify_block(block) == out.receipt
    assert Invocation.decode(rt.store.get(out.invocation)) == _select(DOC, "a/1/b")  # the job is a block too
    assert out.receipt.fuel == Sandbox().load(SELECT).task().call_with_stats("select", [DOC, "a/1/b"])[1]


def test_second_run_comes_from_the_cache_without_executing(rt: Runtime) -> None:
    ex = Executor(rt)
    first = ex.run(_select(DOC, "p"))
    rt.store.delete(SELECT_CID)  # the module is gone: only a cache hit can answer now
    second = ex.run(_select(DOC, "p"))
    assert second.cached and second.receipt_cid == first.receipt_cid and second.receipt == first.receipt
    with pytest.raises(BlockNotFound):  # executing needs the (allow-listed) module's bytes
        Executor(rt).run(_select(DOC, "p"), no_cache=True)


def test_no_cache_executes_again_and_gives_the_same_receipt(rt: Runtime) -> None:
    ex = Executor(rt)
    first = ex.run(_select(DOC, ""))
    again = ex.run(_select(DOC, ""), no_cache=True)
    assert not again.cached and again.receipt_cid == first.receipt_cid


def test_guest_error_is_an_error_receipt_and_memoized(rt: Runtime) -> None:
    ex = Executor(rt)
    out = ex.run(_select(DOC, "a/7"))
    assert not out.receipt.ok and out.receipt.error is not None
    kind, message = out.receipt.error
    assert kind == "GuestError" and "index 7 out of range" in message
    assert ex.run(_select(DOC, "a/7")).cached


def test_a_task_over_its_fuel_gets_an_error_receipt(rt: Runtime) -> None:
    ex = Executor(rt)
    big = {"a": list(range(20_000))}
    out = ex.run(_select(big, "a/19999", fuel=50_000))
    assert out.receipt.error is not None and out.receipt.error[0] == "FuelExhausted"
    assert out.receipt.fuel == 50_000
    assert Receipt.verify_block(rt.store.get(out.receipt_cid)).error == out.receipt.error
    assert ex.run(_select(big, "a/19999", fuel=50_000_000)).receipt.value == 19_999


def test_an_input_over_the_memory_cap_gets_an_error_receipt(rt: Runtime) -> None:
    out = Executor(rt).run(_select(b"\x00" * (2 << 20), "", memory=1 << 20))
    assert out.receipt.error is not None and out.receipt.error[0] in ("GuestError", "MemoryLimitExceeded")


def test_an_untrusted_module_is_refused(home: Path) -> None:
    with ipvm_runtime(home, allow=False) as rt:
        with pytest.raises(NotTrusted) as info:
            Executor(rt).run(_select(DOC, ""))
        assert str(SELECT_CID) in info.value.message and f"trust add {SELECT_CID}" in info.value.hint
        missing = CID.parse("bafkreie3a54yr47mgvryjnqyfkwqbheuae2jwq6cnoc7zm4ewytot445ga")
        with pytest.raises(NotTrusted):
            Executor(rt).run(Invocation(missing, "select", []))
        rt.trust.allow(str(SELECT_CID))
        assert Executor(rt).run(_select(DOC, "")).receipt.value == DOC


def test_a_task_module_over_1_mib_runs_from_its_unixfs_dag(home: Path) -> None:
    """A task module over 1 MiB is a UnixFS file DAG (verify.module_blocks): allow-listed by its
    root CID, its blocks in the store, it runs (the executor read only the root before)."""
    from autocodec.verify import MODULE_BLOCK_BYTES, module_blocks
    from tests._big_module import with_padding

    big = module_blocks(with_padding(SELECT, MODULE_BLOCK_BYTES + 300_000))
    assert big.cid.codec == 0x70 and len(big.blocks) > 2
    with ipvm_runtime(home, allow=False) as rt:
        for cid, block in big.blocks:
            rt.store.put(cid, block)
        rt.trust.allow(str(big.cid))
        out = Executor(rt).run(Invocation(big.cid, "select", [DOC, "a"]))
        assert out.receipt.value == DOC["a"] and out.receipt.module.startswith("ipld-select@")


def test_a_revoked_module_neither_runs_nor_serves_cached_results(rt: Runtime) -> None:
    ex = Executor(rt)
    assert ex.run(_select(DOC, "a")).receipt.ok
    rt.trust.revoke(str(SELECT_CID), "test")
    rt.trust_changed()  # in-process change: tell the runtime (another process is seen via data_version)
    for no_cache in (False, True):
        with pytest.raises(NotTrusted):
            ex.run(_select(DOC, "a"), no_cache=no_cache)


def test_unknown_function_is_an_error_not_a_receipt(rt: Runtime) -> None:
    with pytest.raises(InvalidInput, match="no function"):
        Executor(rt).run(Invocation(SELECT_CID, "nope", []))


def test_block_arguments_are_fetched_and_transcoded_like_the_codec(rt: Runtime) -> None:
    block = rt.put(TORRENT, 0x63, "sha2-256")
    ex = Executor(rt)
    out = ex.run(Invocation(TRANSCODE_CID, "transcode", [{"ipvm/block": block}]))
    codec = Sandbox().load((WASM_SRC / "bencode" / "bencode.wasm").read_bytes()).codec()
    assert out.receipt.value == codec.decode(TORRENT)
    raw = ex.run(Invocation(TRANSCODE_CID, "to_dagcbor", [{"ipvm/block": block}])).receipt.value
    assert raw == encode(codec.decode(TORRENT), "dag-cbor")


def test_literal_escape_passes_a_map_that_looks_like_a_form(rt: Runtime) -> None:
    value = {"await/ok": "not a promise"}
    out = Executor(rt).run(_select({"ipvm/value": value}, "await/ok"))
    assert out.receipt.error is not None  # paths have no escaping: "await" then "ok", and there is no "await"
    out = Executor(rt).run(Invocation(SELECT_CID, "keys", [{"ipvm/value": value}, ""]))
    assert out.receipt.value == ["await/ok"]


# --- verification ---------------------------------------------------------------------------------


def test_verify_rerun_passes(rt: Runtime) -> None:
    ex = Executor(rt)
    out = ex.run(_select(DOC, "a"))
    receipt, rerun = ex.verify(out.receipt_cid, rerun=True)
    assert receipt == out.receipt and rerun is not None and not rerun.cached
    assert rerun.receipt_cid == out.receipt_cid


def _store_block(rt: Runtime, data: bytes) -> CID:
    return rt.put(data, "dag-cbor")


def test_tampered_receipts_fail_verification(rt: Runtime) -> None:
    ex = Executor(rt)
    out = ex.run(_select(DOC, "a/1/b"))
    block = rt.store.get(out.receipt_cid)
    value = decode(block, "dag-cbor")

    changed = {**value, TAG: {**value[TAG], "out": {"ok": "y"}}}  # the result changed, re-encoded
    with pytest.raises(SignatureError):
        ex.verify(_store_block(rt, encode(changed, "dag-cbor")))

    flipped = bytearray(block)  # one byte of the payload ("ipld-select" -> "ipld-selecu")
    at = bytes(flipped).index(b"ipld-select@") + 10
    flipped[at] ^= 0x01
    with pytest.raises(SignatureError):
        ex.verify(_store_block(rt, bytes(flipped)))

    sig = bytearray(value["sig"])
    sig[0] ^= 0x80
    with pytest.raises(SignatureError):
        ex.verify(_store_block(rt, encode({**value, "sig": bytes(sig)}, "dag-cbor")))

    other = SigningKey.from_seed(b"\x07" * 32)  # signed by someone else, but claiming our DID
    forged = dataclasses.replace(out.receipt, issuer=other.did)
    _, data = forged.sign(other)
    payload = decode(data, "dag-cbor")
    payload[TAG]["iss"] = ex.key.did
    with pytest.raises(SignatureError):
        ex.verify(_store_block(rt, encode(payload, "dag-cbor")))


def test_a_validly_signed_false_result_fails_rerun(rt: Runtime) -> None:
    ex = Executor(rt)
    out = ex.run(_select(DOC, "a/1/b"))
    liar = SigningKey.from_seed(b"\x09" * 32)
    cid, data = Receipt(out.invocation, Receipt.ok_out("not x"), 1, "ipld-select@1.0.0", liar.did).sign(liar)
    rt.store.put(cid, data)
    assert ex.verify(cid)[0].issuer == liar.did  # the signature is fine: it is a claim
    with pytest.raises(IntegrityError, match="different result"):
        ex.verify(cid, rerun=True)


def test_receipts_by_other_executors_are_not_used_from_the_cache(rt: Runtime) -> None:
    ex = Executor(rt)
    out = ex.run(_select(DOC, "a"))
    liar = SigningKey.from_seed(b"\x0a" * 32)
    cid, data = Receipt(out.invocation, Receipt.ok_out("lie"), 1, "ipld-select@1.0.0", liar.did).sign(liar)
    ReceiptCache(rt.store).put(cid, data, Receipt.verify_block(data))
    assert ex.run(_select(DOC, "a")).receipt.value == DOC["a"]
    assert Executor(rt, trusted_executors=(liar.did,)).cache.get(out.invocation, {liar.did}) is not None


# --- pipelines ---------------------------------------------------------------------------------------


def _pipeline(block: CID) -> dict[str, Any]:
    return {"jobs": {
        "doc": {"module": TRANSCODE_CID, "func": "to_dagcbor", "args": [{"ipvm/block": block}]},
        "info": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "doc"}, "info"]},
        "name": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "info"}, "name"],
                 "fuel": 10_000_000},
    }, "result": "name"}


def test_a_pipeline_of_three_gives_the_same_final_cid_every_run(tmp_path: Path) -> None:
    key = SigningKey.from_seed(b"\x05" * 32)
    finals = []
    for run in range(2):
        with ipvm_runtime(tmp_path / f"home{run}") as rt:
            ex = Executor(rt, key)
            block = rt.put(TORRENT, 0x63)
            pipeline = load_pipeline(ex, _pipeline(block))
            outcomes = ex.run_all(pipeline.target)
            assert len(outcomes) == 3 and not any(o.cached for o in outcomes.values())
            final = outcomes[pipeline.target]
            assert final.receipt.value == b"file.bin"
            again = ex.run_all(pipeline.target)
            assert again[pipeline.target].cached and len(again) == 1  # cached target: awaits not even read
            rerun = ex.run_all(pipeline.target, no_cache=True)[pipeline.target]
            assert rerun.receipt_cid == final.receipt_cid
            finals.append((pipeline.target, final.receipt_cid))
    assert finals[0] == finals[1]


def test_independent_jobs_fan_in(rt: Runtime) -> None:
    ex = Executor(rt)
    doc = ex.submit(_select(DOC, ""))
    path = ex.submit(_select(DOC, "p"))
    both = ex.run(Invocation(SELECT_CID, "select", [{"await/ok": doc}, {"await/ok": path}]))
    assert both.receipt.value == "x"


def test_a_failed_await_makes_an_await_failed_receipt(rt: Runtime) -> None:
    ex = Executor(rt)
    bad = ex.submit(_select(DOC, "missing"))
    out = ex.run(_select({"await/ok": bad}, ""))
    assert out.receipt.error is not None and out.receipt.error[0] == "AwaitFailed"
    assert str(bad) in out.receipt.error[1] and "GuestError" in out.receipt.error[1]


def test_pipeline_file_cycles_and_unknown_names_are_refused(rt: Runtime) -> None:
    ex = Executor(rt)
    cyclic = {"jobs": {
        "a": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "b"}, ""]},
        "b": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "a"}, ""]},
    }, "result": "a"}
    with pytest.raises(InvalidDocument, match="cycle"):
        load_pipeline(ex, cyclic)
    unknown = {"jobs": {"a": {"module": SELECT_CID, "func": "select", "args": [{"await/ok": "zz"}, ""]}},
               "result": "a"}
    with pytest.raises(InvalidDocument, match="unknown job"):
        load_pipeline(ex, unknown)
    with pytest.raises(InvalidDocument):
        load_pipeline(ex, {"jobs": {}, "result": "a"})


def test_depth_and_size_caps(home: Path) -> None:
    limits = Limits(ipvm=IpvmLimits(max_depth=2, max_jobs=3))
    with ipvm_runtime(home, limits=limits) as rt:
        ex = Executor(rt)
        cid = ex.submit(_select(DOC, ""))
        for _ in range(3):
            cid = ex.submit(_select({"await/ok": cid}, ""))
        with pytest.raises(InvalidDocument, match="deeper|more than"):
            ex.run(cid)


# --- sharing the cache --------------------------------------------------------------------------------


def test_receipt_index_is_rebuilt_from_copied_blocks(tmp_path: Path) -> None:
    key = SigningKey.from_seed(b"\x03" * 32)
    with ipvm_runtime(tmp_path / "a") as a:
        out = Executor(a, key).run(_select(DOC, "a/0"))
        blocks = [(cid, a.store.get(cid)) for cid in a.store.cids() if cid.codec == 0x71]
    with Runtime(tmp_path / "b", default_set=False) as b:  # the module is trusted here but its bytes are absent
        b.trust.allow(str(SELECT_CID))
        b.store.put_many(blocks)
        assert ReceiptCache(b.store).rebuild() >= 1
        hit = Executor(b, key).run(out.invocation)
        assert hit.cached and hit.receipt_cid == out.receipt_cid


def test_default_set_ships_the_task_modules(home: Path) -> None:
    with Runtime(home) as rt:  # a fresh home pins the default set
        ex = Executor(rt)
        from autocodec.ipvm import resolve_module

        assert resolve_module(rt, "ipld-select") == SELECT_CID
        assert resolve_module(rt, "bencode-to-dagcbor") == TRANSCODE_CID
        assert ex.run(Invocation(resolve_module(rt, "ipld-select"), "count", [DOC, "a"])).receipt.value == 2


def test_concurrent_runs_share_one_executor_safely(rt: Runtime) -> None:
    import concurrent.futures

    ex = Executor(rt)
    jobs = [_select({"n": i % 5, "pad": list(range(i % 5))}, "n") for i in range(40)]  # 5 distinct, each 8 times
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(ex.run, jobs))
    assert [o.receipt.value for o in outcomes] == [i % 5 for i in range(40)]
    by_job: dict[CID, set[CID]] = {}
    for o in outcomes:
        by_job.setdefault(o.invocation, set()).add(o.receipt_cid)
    assert len(by_job) == 5 and all(len(receipts) == 1 for receipts in by_job.values())
    assert all(ex.run(job).cached for job in jobs[:5])


def test_a_revocation_by_another_process_reaches_a_running_executor(rt: Runtime, home: Path) -> None:
    import time

    from autocodec.cli._app import main

    ex = Executor(rt)
    assert ex.run(_select(DOC, "p")).receipt.ok  # module decided and loaded (memoized)
    assert main(["--home", str(home), "trust", "revoke", str(SELECT_CID)]) == 0  # its own connection
    time.sleep(0.1)  # > registry TRUST_POLL_S
    with pytest.raises(NotTrusted):
        ex.run(_select(DOC, "a"))


def test_every_single_byte_change_of_a_receipt_fails_verification(rt: Runtime) -> None:
    out = Executor(rt).run(_select(DOC, "a/1"))
    block = rt.store.get(out.receipt_cid)
    for at in range(len(block)):
        for flip in (0x01, 0x80):
            changed = bytearray(block)
            changed[at] ^= flip
            with pytest.raises((InvalidDocument, SignatureError)):
                Receipt.verify_block(bytes(changed))
    for cut in range(len(block)):
        with pytest.raises((InvalidDocument, SignatureError)):
            Receipt.verify_block(block[:cut])


@pytest.mark.parametrize("value", [
    None, 1, "x", b"", [], {}, {"ran": 1}, {TAG: {}, "sig": b""}, {TAG: None, "sig": b"\x00" * 64},
])
def test_receipt_shapes_are_checked(value: Any) -> None:
    with pytest.raises((InvalidDocument, SignatureError)):
        Receipt.verify_block(encode(value, "dag-cbor"))


def test_remote_replays_are_answered_from_the_cache_and_hostile_jobs_refused(rt: Runtime) -> None:
    # In process with the real parts (executor key, SQLite home, revocation table, scheduler).
    import time

    from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, task_args
    from autocodec.ipvm._scheduler import Scheduler
    from autocodec.verify.ucan import (
        Expired,
        InvalidSubject,
        MatchError,
        Revocations,
        Revoked,
        delegate,
        invoke,
        revocation,
    )

    executor = Executor(rt)
    revocations = Revocations(rt.home.db_path)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), revocations.is_revoked)
    client = SigningKey.generate()
    now = int(time.time())
    root = delegate(executor.key, client.did, COMMAND, now=now,
                    policy=[["==", ".function", "select"], ["<=", ".fuel", 10**8]])

    def send(args: dict[str, Any], *, subject: str = executor.key.did, at: int = now) -> tuple[Any, bytes, bool]:
        token = invoke(client, subject, COMMAND, args, now=now, proofs=[root], audience=subject)
        return remote.handle(encode_container([token, root]), now=at)

    task = _select(DOC, "a/1/b", fuel=10**7)
    token = invoke(client, executor.key.did, COMMAND, task_args(task), now=now, proofs=[root])
    container = encode_container([token, root])
    first, block, cached = remote.handle(container, now=now)
    assert not cached and Receipt.verify_block(block).value == "x"
    assert remote.handle(container, now=now) == (first, block, True)  # a replay: same receipt, not run again
    assert send(task_args(task))[0] == first  # another nonce, the same task: memoized on the task
    with pytest.raises(MatchError):
        send({**task_args(task), "function": "count"})
    with pytest.raises(MatchError):  # no fuel: the policy's "<=" does not hold on a missing field
        send({k: v for k, v in task_args(task).items() if k != "fuel"})
    with pytest.raises(InvalidSubject):
        send(task_args(task), subject=client.did)
    with pytest.raises(Expired):
        remote.handle(container, now=now + 301)
    revocations.record(revocation(executor.key, root, now=now), root)
    with pytest.raises(Revoked):
        remote.handle(container, now=now)
