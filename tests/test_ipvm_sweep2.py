"""IPVM sweep, second pass: fuel and the module memo, awaits, remote bodies, triggers, the CLI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from autocodec.errors import InvalidDocument, InvalidInput
from autocodec.ipvm import Executor, Invocation
from autocodec.registry import Runtime
from tests import _select_home
from tests._select_home import SELECT, SELECT_CID

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)


def _put(rt: Runtime, value: Any) -> Any:
    from autocodec.builtin import cid_for, encode

    data = encode(value, "dag-cbor")
    cid = cid_for(data, "dag-cbor")
    rt.store.put(cid, data)
    return cid


# --- fuel and the loaded-module memo ------------------------------------------------------------


@pytest.mark.parametrize("fuel", [1, 2, 3, 9])
def test_a_job_with_almost_no_fuel_gets_a_fuel_exhausted_receipt(rt: Runtime, fuel: int) -> None:
    # The module was loaded (its ABI check) under the job's own fuel: below ~5 that raised
    # FuelExhausted out of the executor, with no receipt.
    outcome = Executor(rt).run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"], fuel=fuel))
    assert outcome.receipt.error == ("FuelExhausted", "the module ran out of fuel")
    assert outcome.receipt.fuel == fuel  # the whole budget, as documented
    again = Executor(rt).run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"], fuel=fuel), no_cache=True)
    assert again.receipt_cid == outcome.receipt_cid  # deterministic


def test_the_job_fuel_counts_the_task_call_alone(rt: Runtime) -> None:
    # Loading under the host's budget changes nothing in what a receipt says (wasmtime checks fuel
    # at block boundaries: a budget a little short of what a call uses may still finish).
    executor = Executor(rt)
    used = executor.run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"])).receipt.fuel
    exact = executor.run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"], fuel=used))
    short = executor.run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"], fuel=used // 2))
    assert exact.receipt.value == 1 and exact.receipt.fuel == used
    assert short.receipt.error is not None and short.receipt.error[0] == "FuelExhausted"


def test_the_module_memo_is_one_load_per_module_whatever_the_fuel(rt: Runtime, monkeypatch: Any) -> None:
    # Keyed by fuel, every distinct fuel value loaded the module again.
    from autocodec.ipvm import _executor

    loads: list[tuple[Any, ...]] = []
    real = _executor.load_task
    monkeypatch.setattr(_executor, "load_task", lambda *a: loads.append(a) or real(*a))
    executor = Executor(rt)
    for fuel in (10**6, 10**6 + 1, 10**7, 10**8):
        assert executor.run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"], fuel=fuel)).receipt.value == 1
    assert len(loads) == 1


def test_a_full_module_memo_evicts_the_least_recently_used_entry_only(rt: Runtime, monkeypatch: Any) -> None:
    # A full memo was cleared whole: every module was loaded again after the 65th.
    from autocodec.ipvm import _executor

    loads: list[int] = []
    monkeypatch.setattr(_executor, "_MEMO_MODULES", 3)
    monkeypatch.setattr(_executor, "load_task", lambda rt, module, fuel, memory, verified=None: loads.append(memory) or object())
    executor = Executor(rt)

    def load(memory: int) -> Any:
        return executor._load(Invocation(SELECT_CID, "select", [], memory=memory))

    first = {m: load(m) for m in (1 << 16, 1 << 17, 1 << 18)}
    assert load(1 << 16) is first[1 << 16]  # used again: now the most recent
    load(1 << 19)  # the memo is full: only the least recently used (1 << 17) goes
    assert load(1 << 16) is first[1 << 16] and load(1 << 18) is first[1 << 18]
    assert loads == [1 << 16, 1 << 17, 1 << 18, 1 << 19]
    load(1 << 17)
    assert loads[-1] == 1 << 17


# --- awaits -----------------------------------------------------------------------------------


def test_awaiting_a_block_that_is_not_an_invocation_names_it(rt: Runtime) -> None:
    not_a_job = _put(rt, {"x": 1})
    target = Invocation(SELECT_CID, "select", [{"await/ok": not_a_job}, "a"])
    with pytest.raises(InvalidDocument) as err:
        Executor(rt).run(target)
    assert str(not_a_job) in err.value.message and str(target.cid) in err.value.message
    assert "await" in err.value.hint
    with pytest.raises(InvalidDocument, match=str(not_a_job)):
        Executor(rt).run(not_a_job)


# --- remote jobs: nothing from a refused request is stored ---------------------------------------


def _remote(rt: Runtime, limits: Any = None, policy: Any = ()) -> tuple[Any, Any, Any]:
    from autocodec.config import RemoteLimits
    from autocodec.ipvm._remote import COMMAND, RemoteExecutor
    from autocodec.ipvm._scheduler import Scheduler
    from autocodec.verify import SigningKey
    from autocodec.verify.ucan import delegate

    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(limits or RemoteLimits()), lambda cid: False)
    client = SigningKey.generate()
    root = delegate(executor.key, client.did, COMMAND, now=int(time.time()), policy=list(policy))
    return remote, client, root


def _body(remote: Any, client: Any, proofs: list[Any], task: Invocation, blocks: list[tuple[Any, bytes]],
          **kw: Any) -> bytes:
    from autocodec.ipvm._remote import COMMAND, encode_container, task_args
    from autocodec.verify.ucan import invoke

    token = invoke(client, remote.did, COMMAND, task_args(task), now=int(time.time()), proofs=proofs, **kw)
    return encode_container([token, *proofs], blocks)


def _junk(n: int) -> list[tuple[Any, bytes]]:
    from autocodec.builtin import cid_for

    return [(cid_for(data, "raw"), data) for data in (f"junk {i}".encode() for i in range(n))]


def _pipeline(awaited_func: str) -> tuple[Invocation, list[tuple[Any, bytes]]]:
    """A target awaiting a job that is not in the executor's store: both shipped with junk."""
    first = Invocation(SELECT_CID, awaited_func, [{"a": [1, 2]}, "a"])
    target = Invocation(SELECT_CID, "select", [{"await/ok": first.cid}, ""])
    return target, [first.block(), *_junk(3)]


def test_a_request_refused_by_an_awaited_jobs_policy_stores_nothing(rt: Runtime) -> None:
    # The shipped blocks were stored as soon as the chain validated, before the awaited jobs were
    # held to its policy: a refused pipeline still filled the store.
    from autocodec.verify.ucan import MatchError

    remote, client, root = _remote(rt, policy=[["==", ".function", "select"]])
    target, blocks = _pipeline("count")
    before = len(rt.store)
    with pytest.raises(MatchError, match="awaited job"):
        remote.handle(_body(remote, client, [root], target, blocks))
    assert len(rt.store) == before


def test_an_awaited_invocation_not_shipped_is_never_fetched_before_admission(home: Path) -> None:
    # It was fetched from the executor's configured sources during the policy check, before the
    # issuer's budget was charged: a request could make the executor go out to the network.
    import http.server
    import threading

    hits: list[str] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Runtime(home, default_set=False, gateways=[f"http://127.0.0.1:{server.server_address[1]}"]) as rt:
            rt.store.put(SELECT_CID, SELECT)
            rt.trust.allow(str(SELECT_CID))
            remote, client, root = _remote(rt)
            target, blocks = _pipeline("select")
            before = len(rt.store)
            with pytest.raises(InvalidInput, match="neither shipped with the request nor is it stored here"):
                remote.handle(_body(remote, client, [root], target, blocks[1:]))  # the awaited one left out
            assert len(rt.store) == before
            out = remote.handle(_body(remote, client, [root], target, blocks))  # shipped: admitted and run
            assert out[0] is not None
    finally:
        server.shutdown()
    assert hits == []


def test_a_request_over_its_issuers_budget_stores_nothing(rt: Runtime) -> None:
    from autocodec.config import RemoteLimits
    from autocodec.errors import RateLimited

    remote, client, root = _remote(rt, RemoteLimits(fuel_per_minute=10**6))
    target, blocks = _pipeline("select")
    before = len(rt.store)
    with pytest.raises(RateLimited):
        remote.handle(_body(remote, client, [root], target, blocks))
    assert len(rt.store) == before


def test_a_request_without_a_valid_chain_stores_nothing(rt: Runtime) -> None:
    from autocodec.verify import SigningKey
    from autocodec.verify.ucan import UcanError, delegate

    remote, client, root = _remote(rt)
    stranger = SigningKey.generate()
    forged = delegate(stranger, client.did, "/wasm/run", now=int(time.time()), subject=remote.did)
    target, blocks = _pipeline("select")
    before = len(rt.store)
    for proofs in ([forged], []):
        with pytest.raises(UcanError):
            remote.handle(_body(remote, client, proofs, target, blocks))
    assert len(rt.store) == before


def test_an_admitted_job_stores_only_the_shipped_blocks_it_needs(rt: Runtime) -> None:
    from autocodec.builtin import cid_for

    remote, client, root = _remote(rt)
    target, blocks = _pipeline("select")
    cid, block, cached = remote.handle(_body(remote, client, [root], target, blocks))
    assert cid == cid_for(block, "dag-cbor") and not cached
    assert rt.store.has(blocks[0][0])  # the awaited invocation
    assert not any(rt.store.has(junk) for junk, _ in blocks[1:])


# --- triggers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entry, match", [
    ({"cron": 5}, "cron schedule is text"),
    ({"cron": None}, "cron schedule is text"),
    ({"cron": "+5 * * * *"}, "malformed"),
    ({"cron": "\u0663 * * * *"}, "malformed"),  # an Arabic-Indic 3: int() took it
    ({"cron": "*/+2 * * * *"}, "malformed"),
    ({"cron": "* * * * *", "name": ["x"]}, "name must be a non-empty string"),
    ({"cron": "* * * * *", "name": ""}, "name must be a non-empty string"),
])
def test_malformed_trigger_entries_are_config_errors(entry: dict[str, Any], match: str) -> None:
    # cron = 5 was an AttributeError ('int' object has no attribute 'split'); '+5' and '٣' were
    # taken as minutes 5 and 3; a list as a name became its text.
    from autocodec.errors import ConfigError
    from autocodec.ipvm._triggers import load_triggers

    with pytest.raises(ConfigError, match=match):
        load_triggers({"ipvm": {"triggers": [{"module": "m", "function": "f", **entry}]}})


def test_an_ipvm_entry_that_is_not_a_table_is_a_config_error() -> None:
    from autocodec.errors import ConfigError
    from autocodec.ipvm._triggers import load_triggers

    with pytest.raises(ConfigError, match="ipvm must be a table"):
        load_triggers({"ipvm": 5})


@pytest.mark.parametrize("poll_s", [0, 0.0, -1, float("nan"), float("inf"), 1e300, 61, True, "1"])
def test_a_trigger_poll_interval_out_of_range_is_invalid_input(rt: Runtime, poll_s: Any) -> None:
    # 0, negative and NaN spun the trigger thread (Event.wait returns at once); 1e300 killed it
    # with an OverflowError outside the loop's guard.
    from autocodec.errors import InvalidInput
    from autocodec.ipvm._stream import JobStream
    from autocodec.ipvm._triggers import TriggerRunner

    with pytest.raises(InvalidInput, match="poll_s"):
        TriggerRunner(Executor(rt), JobStream(rt.store), [], poll_s=poll_s)
    with pytest.raises(InvalidInput, match="max_events"):
        TriggerRunner(Executor(rt), JobStream(rt.store), [], max_events=0)


def _cron_runner(rt: Runtime, function: str, clock: Any) -> Any:
    from autocodec.ipvm._stream import JobStream
    from autocodec.ipvm._triggers import Cron, Trigger, TriggerRunner

    trig = Trigger("t", str(SELECT_CID), function, ({"a": 1}, "a"), cron=Cron.parse("* * * * *"))
    return TriggerRunner(Executor(rt), JobStream(rt.store), [trig], clock=clock)


def test_a_trigger_whose_job_keeps_failing_appends_one_error_receipt_per_minute(rt: Runtime) -> None:
    from autocodec.ipvm._stream import JobStream

    now = [1_700_000_000.0]
    runner = _cron_runner(rt, "keys", lambda: now[0])  # keys of 1: a GuestError every time
    fired = []
    for step in range(6):
        now[0] = 1_700_000_000.0 + step * 30  # two ticks a minute
        fired.append(runner.tick())
    assert fired == [1, 0, 1, 0, 1, 0]
    entries = JobStream(rt.store).since(0)
    receipts = {e.receipt for e in entries}
    assert len(entries) == 3 and len(receipts) == 1  # memoized: the same error receipt
    assert Executor(rt).verify(next(iter(receipts)))[0].error[0] == "GuestError"


def test_a_restarted_runner_does_not_fire_its_minute_again(rt: Runtime) -> None:
    # The last minute a trigger fired in is kept in the home's database (it was in memory, and a
    # restart fired the minute again: a second stream entry); test_ipvm_hostile3 has two runners.
    from autocodec.ipvm._stream import JobStream

    first = _cron_runner(rt, "select", lambda: 1_700_000_000.0)
    again = _cron_runner(rt, "select", lambda: 1_700_000_010.0)
    assert first.tick() == 1 and first.tick() == 0 and again.tick() == 0
    assert len(JobStream(rt.store).since(0)) == 1


def test_a_trigger_tick_after_the_runtime_closed_is_a_store_error(home: Path) -> None:
    from autocodec.errors import AutocodecError

    with Runtime(home, default_set=False) as rt:
        rt.store.put(SELECT_CID, SELECT)
        rt.trust.allow(str(SELECT_CID))
        runner = _cron_runner(rt, "select", lambda: 1_700_000_000.0)
    with pytest.raises(AutocodecError):
        runner.tick()


def test_a_started_trigger_loop_ends_once_its_runtime_closed(home: Path) -> None:
    """A runner nobody stopped logged ``triggers.tick_failed`` on every poll after its runtime
    closed, forever; it now says so once and its thread ends."""
    import structlog

    with structlog.testing.capture_logs() as logs:
        with Runtime(home, default_set=False) as rt:
            rt.store.put(SELECT_CID, SELECT)
            rt.trust.allow(str(SELECT_CID))
            runner = _cron_runner(rt, "select", lambda: 1_700_000_000.0)
            runner.poll_s = 0.01
            runner.start()
            thread = runner._thread
            assert thread is not None
        thread.join(timeout=10)
    assert not thread.is_alive()  # was: alive, failing every 10 ms
    events = [entry["event"] for entry in logs]
    assert events.count("triggers.tick_failed") == 0 and events.count("triggers.stopped") <= 1, events
    runner.stop()


# --- hostile remote bodies (the route, in process) -------------------------------------------------


def test_hostile_invoke_bodies_get_their_status_and_error_shape_and_store_nothing(rt: Runtime) -> None:
    # A body declared JSON or text was read as DAG-CBOR anyway ("not enough bytes left in buffer");
    # it is now 415. Container errors hinted "give a UCAN 1.0 token ... as a file of bytes or base64
    # text" (the CLI's hint for one token); they now say what a container is.
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from autocodec.builtin import encode
    from autocodec.ipvm._remote import COMMAND
    from autocodec.serve import make_app
    from autocodec.serve._ipvm import REMOTE
    from autocodec.verify import SigningKey
    from autocodec.verify.ucan import delegate

    app = make_app(rt, workers=1)
    remote = app[REMOTE]
    client = SigningKey.generate()
    now = int(time.time())
    root = delegate(remote.executor.key, client.did, COMMAND, now=now)
    task = Invocation(SELECT_CID, "select", [{"a": 1}, "a"])
    good = _body(remote, client, [root], task, [])
    dag_cbor = "application/vnd.ipld.dag-cbor"
    cases = [
        (good, "application/json", 415, "InvalidInput"),
        (good, "text/plain; charset=utf-8", 415, "InvalidInput"),
        (b"", dag_cbor, 400, "InvalidToken"),
        (b"\xff\x00garbage", dag_cbor, 400, "InvalidToken"),
        (encode({"ctn-v1": 5}, "dag-cbor"), dag_cbor, 400, "InvalidToken"),
        (encode({"ctn-v1": [], "x": 1}, "dag-cbor"), dag_cbor, 400, "InvalidToken"),
        (b"\x81" * 100_000 + b"\x00", dag_cbor, 400, "InvalidToken"),
        (_body(remote, client, [delegate(remote.executor.key, client.did, COMMAND, now=now - 7200, expires_in=60)],
               task, _junk(2)), dag_cbor, 403, "Expired"),
        (_body(remote, client, [delegate(remote.executor.key, SigningKey.generate().did, COMMAND, now=now)],
               task, _junk(2)), dag_cbor, 403, "InvalidAudience"),
        (b"\x00" * (rt.limits.remote.max_request_bytes + 1), dag_cbor, 413, "InvalidInput"),
    ]

    async def go() -> list[tuple[int, Any]]:
        async with TestClient(TestServer(app)) as http:
            out = []
            for data, ctype, _, _ in cases:
                resp = await http.post("/ipvm/invoke", data=data, headers={"Content-Type": ctype})
                out.append((resp.status, await resp.json()))
            for _ in range(2):  # a replay: validated again, answered from the memo cache
                resp = await http.post("/ipvm/invoke", data=good, headers={"Content-Type": dag_cbor})
                out.append((resp.status, resp.headers["X-Ipvm-Cached"]))
            return out

    before = len(rt.store)
    answers = asyncio.run(go())
    for (status, doc), (_, _, want_status, want_error) in zip(answers, cases):
        assert (status, doc["error"]) == (want_status, want_error), doc
        assert doc["message"] and doc["hint"] and "file of bytes" not in doc["hint"]
    assert answers[len(cases):] == [(200, "0"), (200, "1")]
    assert len(rt.store) == before + 3  # the job, its receipt and its stream entry: nothing of the refused ones


# --- the CLI: wrong values are one line and a non-zero exit ----------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from autocodec.cli._app import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_receipt_show_and_verify_name_a_block_that_is_no_receipt(rt: Runtime, capsys: Any) -> None:
    # verify (with or without --rerun) said 'a receipt block is a map of ...' naming no block, and
    # show printed an empty line for a block that is not DAG-CBOR.
    not_a_receipt = str(_put(rt, {"x": 1}))
    for argv in (["receipt", "verify", not_a_receipt], ["receipt", "verify", not_a_receipt, "--rerun"],
                 ["receipt", "show", not_a_receipt], ["receipt", "verify", "bafkqaaa"],
                 ["receipt", "show", "bafkqaaa"]):
        status, out, err = _cli(capsys, *argv)
        assert status != 0 and "Traceback" not in err
        # a raw block is refused by its CID's codec, before it is read (07eafd2)
        kind = "InvalidInput" if argv[2] == "bafkqaaa" else "InvalidDocument"
        assert len(err.strip().splitlines()) == 1 and argv[2] in err and kind in err, err
        assert out == ('{"x":1}\n' if argv[1:] == ["show", not_a_receipt] else "")


@pytest.mark.parametrize("executor", ["notadid", "", "did:web:example.com", "did:key:zzz"])
def test_run_refuses_an_executor_that_is_not_a_did_key(rt: Runtime, capsys: Any, executor: str) -> None:
    # --executor notadid was accepted silently: a typo trusted, matching no receipt.
    status, out, err = _cli(capsys, "run", str(SELECT_CID), "select", "--arg", '{"a": 1}', "--arg", '"a"',
                            "--executor", executor)
    assert status != 0 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "InvalidInput" in err and "trusted executor" in err, err
    with pytest.raises(InvalidInput, match="trusted executor"):  # from the API too
        Executor(rt, trusted_executors=(executor,))
