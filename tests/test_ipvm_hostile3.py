"""IPVM and UCAN under hostile and careless use (third sweep): admission, revocation, receipts.

Real modules in real homes; the executor side is ``RemoteExecutor`` on a real ``Executor`` (the
HTTP route adds only the body reading that ``test_ipvm_sweep2`` covers) or a real ``autocodec
serve`` process where the wire matters.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from autocodec.config import RemoteLimits
from autocodec.errors import RateLimited
from autocodec.ipvm import Executor, Invocation
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import delegate, invoke
from tests.conftest import WASM_SRC
from tests import _select_home
from tests._select_home import SELECT, SELECT_CID

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)


def _send(remote: RemoteExecutor, invoker: SigningKey, chain: list[Any], task: Invocation, now: int) -> Any:
    token = invoke(invoker, remote.did, COMMAND, task_args(task), now=now, proofs=chain)
    return remote.handle(encode_container([token, *chain]), now=now)


# --- admission: a delegate cannot multiply its budget with fresh keys ---------------------------


def test_re_delegating_to_fresh_keys_does_not_multiply_a_delegates_budget(rt: Runtime) -> None:
    # The executor grants Alice a budget of 3e6 fuel a minute. Alice re-delegated /wasm/run to
    # fresh keys of her own and had each invoke: admission was per invocation issuer, so every
    # new key got a whole budget of its own (3 jobs of 2e6 fuel admitted, 6e6 in a minute). The
    # jobs are now charged to Alice, the principal the executor delegated to.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(RemoteLimits(fuel_per_minute=3 * 10**6)), lambda cid: False)
    alice = SigningKey.generate()
    root = delegate(executor.key, alice.did, COMMAND, now=now)
    answers = []
    for n in range(3):
        fresh = SigningKey.generate()
        chain = [root, delegate(alice, fresh.did, COMMAND, now=now, proof=root)]
        task = Invocation(SELECT_CID, "select", [{"a": n}, "a"], fuel=2 * 10**6)
        try:
            answers.append(_send(remote, fresh, chain, task, now)[2] is False)
        except RateLimited as exc:
            assert alice.did in exc.message and "charged to" in exc.message, exc.message
            answers.append("refused")
    assert answers == [True, "refused", "refused"]
    # another delegate of the executor keeps a budget of its own
    bob = SigningKey.generate()
    bob_root = delegate(executor.key, bob.did, COMMAND, now=now)
    assert _send(remote, bob, [bob_root], Invocation(SELECT_CID, "select", [{"b": 1}, "b"], fuel=2 * 10**6),
                 now)[0] is not None


# --- revocation: only an issuer of the delegation's real chain revokes it ------------------------


def test_a_proof_aligned_by_hand_does_not_make_its_signer_a_revoker(tmp_path: Path) -> None:
    # The executor delegated to bob, bob to carol. Mallory signs a delegation of her own *to bob*
    # (aud aligned with the next issuer, about mallory, or a powerline) and passes it as "the
    # proof above" carol's delegation: the chain check only compared aud with iss, so mallory
    # became a revoker and could cut carol off. The proofs must now be rooted at the subject.
    from autocodec.verify.ucan import InvalidClaim, Revocations, revocation

    executor, bob, carol, mallory = (SigningKey.generate() for _ in range(4))
    now = int(time.time())
    root = delegate(executor, bob.did, COMMAND, now=now)
    carols = delegate(bob, carol.did, COMMAND, now=now, proof=root)
    table = Revocations(tmp_path / "db.sqlite")
    for fake in (delegate(mallory, bob.did, COMMAND, now=now),                 # about mallory
                 delegate(mallory, bob.did, COMMAND, now=now, subject=None)):  # a powerline
        with pytest.raises(InvalidClaim, match="chain"):
            table.record(revocation(mallory, carols, now=now, proofs=(fake,)), carols, (fake,))
    assert not table.is_revoked(carols.cid)
    table.record(revocation(executor, carols, now=now, proofs=(root,)), carols, (root,))  # the subject: fine
    assert table.is_revoked(carols.cid)


# --- the memo cache: a result built on a revoked module's output is not served ------------------



def test_a_cached_pipeline_result_is_not_served_once_a_module_it_awaited_is_revoked(rt: Runtime) -> None:
    # B selects from the output of A (the bencode transcoder). After the transcoder was revoked
    # (found to transcode wrongly, say), running A is refused, yet B was still answered from the
    # cache: only B's own module was checked and "a cached node's awaits are not read", so the
    # revoked module's output kept flowing out as B's memoized result. Now every module the
    # cached receipt depends on must still be trusted, or the job is run (and refused) again.
    from autocodec.errors import NotTrusted

    from tests._ipvm_home import TRANSCODE, TRANSCODE_CID, cached_torrent_pipeline

    rt.store.put(TRANSCODE_CID, TRANSCODE)
    rt.trust.allow(str(TRANSCODE_CID))
    ex, first, target = cached_torrent_pipeline(rt)
    rt.trust.revoke(str(TRANSCODE_CID), "transcodes wrongly")
    rt.trust_changed()
    for executor in (ex, Executor(rt)):
        with pytest.raises(NotTrusted):
            executor.run(first)
        with pytest.raises(NotTrusted):
            executor.run(target)


# --- the CLI: a refusal's hint says what to do for *that* command -------------------------------


def test_refused_revocations_and_malformed_commands_hint_at_their_own_fix(tmp_path: Path) -> None:
    # `ucan revoke` by a key outside the chain hinted "invoke a command the chain grants" (the
    # validator's hint: nothing is invoked here), and `ucan delegate --cmd /Wasm/Run` hinted
    # "give a UCAN 1.0 token ... as a file of bytes or base64 text" (no token was given).
    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init")
    run_cli(home, "key", "gen", "boss")
    run_cli(home, "key", "gen", "me")
    me = SigningKey.generate().did
    token = tmp_path / "me.ucan"
    run_cli(home, "ucan", "delegate", "--key", "boss", "--to", me, "--cmd", COMMAND, "-o", str(token))
    revoke = run_cli(home, "ucan", "revoke", str(token), "--key", "me", check=False)
    assert revoke.returncode == 1
    err = revoke.stderr.decode()
    assert err.startswith("autocodec: InvalidClaim:") and err.count("\n") == 1, err
    assert "revoke with the key that issued the delegation" in err and "invoke a command" not in err, err
    bad = run_cli(home, "ucan", "delegate", "--key", "boss", "--to", me, "--cmd", "/Wasm/Run", "-o",
                  str(tmp_path / "x.ucan"), check=False)
    err = bad.stderr.decode()
    assert bad.returncode == 1 and err.count("\n") == 1, err
    assert "lower-case" in err and "base64" not in err, err


# --- a real `autocodec serve`: the wire, for a careless client ---------------------------------


@pytest.fixture
def serve(tmp_path: Path) -> Any:
    from tests._cli import run_cli
    from tests._serve_proc import ServeProcess

    home = tmp_path / "server"
    run_cli(home, "init")  # the default set ships ipld-select
    with ServeProcess(home, tmp_path) as srv:
        yield srv


def test_proofs_given_leaf_first_are_sent_as_a_chain(serve: Any, tmp_path: Path) -> None:
    # A re-delegate passing its delegations leaf first (`--proof bob.ucan --proof alice.ucan`) was
    # refused by the executor with "root delegation ... was issued by <alice>, not by its subject":
    # the client sent them in the order given. It now orders them into the chain (root first);
    # proofs that are not one chain are still sent as given and refused with the executor's reason.
    from tests._cli import run_cli

    client = tmp_path / "client"
    run_cli(client, "init", "--no-default-set")
    alice = run_cli(client, "key", "gen", "alice").stdout.decode().strip()
    bob = run_cli(client, "key", "gen", "bob").stdout.decode().strip()
    root, leaf = tmp_path / "alice.ucan", tmp_path / "bob.ucan"
    run_cli(serve.home, "ucan", "delegate", "--key", "executor", "--to", alice, "--cmd", COMMAND, "-o", str(root))
    run_cli(client, "ucan", "delegate", "--key", "alice", "--to", bob, "--cmd", COMMAND, "--proof", str(root),
            "-o", str(leaf))
    job = ["run", "--remote", serve.url, "--key", "bob", str(SELECT_CID), "select", "--arg", '{"a": [5]}',
           "--arg", '"a/0"']
    for order in ((leaf, root), (root, leaf)):
        proofs = [arg for path in order for arg in ("--proof", str(path))]
        out = run_cli(client, *job, *proofs).stdout.decode().splitlines()
        assert out[-1] == "5", out
    missing = run_cli(client, *job, "--proof", str(leaf), check=False)  # no root: the executor's reason
    err = missing.stderr.decode()
    assert missing.returncode == 1 and err.startswith("autocodec: InvalidClaim: ") and err.count("\n") == 1, err


def test_the_stream_page_query_takes_only_plain_integers(serve: Any) -> None:
    # /ipvm/stream?since=1_0 read since as 10, and since=%D9%A3 (an Arabic-Indic three) as 3,
    # with 200: Python's int() takes underscores, spaces and other scripts' digits. They are 400.
    import json
    import urllib.error
    import urllib.request

    def status(query: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{serve.url}/ipvm/stream?{query}", timeout=30) as resp:
                return resp.status, json.loads(resp.read())["next"]
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())["error"]

    for query in ("since=1_0", "since=%D9%A3", "since=%205", "limit=1_0", "since=+1", "since="):
        assert status(query) == (400, "InvalidInput"), query
    assert status("since=-1") == (400, "InvalidInput")  # out of range, as before
    assert status("since=7&limit=5") == (200, 7)


# --- triggers: a cron minute fires once per home, not once per process --------------------------


def test_two_runners_of_one_home_fire_a_cron_minute_once_between_them(home: Path) -> None:
    # Two `serve` processes of one home (or one restarted within the minute it fired in) each
    # kept the schedule's state in memory, so each fired every matching minute: two jobs, two
    # stream entries per minute. The last minute a trigger fired in is now in the home's
    # database, claimed in one write transaction.
    from autocodec.ipvm._stream import JobStream
    from autocodec.ipvm._triggers import Cron, Trigger, TriggerRunner

    trig = Trigger("tick", str(SELECT_CID), "select", ({"a": 1}, "a"), cron=Cron.parse("* * * * *"))
    now = [1_700_000_000.0]
    with Runtime(home, default_set=False) as rt_a, Runtime(home, default_set=False) as rt_b:
        for rt in (rt_a,):
            rt.store.put(SELECT_CID, SELECT)
            rt.trust.allow(str(SELECT_CID))
        runners = [TriggerRunner(Executor(rt), JobStream(rt.store), [trig], clock=lambda: now[0])
                   for rt in (rt_a, rt_b)]
        fired = [[runner.tick() for runner in runners]]
        now[0] += 60  # the next minute: one of them fires it, whichever ticks first
        fired.append([runner.tick() for runner in reversed(runners)])
        restarted = TriggerRunner(Executor(rt_a), JobStream(rt_a.store), [trig], clock=lambda: now[0] + 5)
        fired.append([restarted.tick()])  # a restart within the minute it fired in
        assert fired == [[1, 0], [1, 0], [0]]
        assert len(JobStream(rt_a.store).since(0)) == 2


def test_two_runners_of_one_home_fire_each_new_block_once_between_them(home: Path) -> None:
    # Two `serve` processes of one home each found every new block by their own mark and both
    # fired: two jobs, two stream entries per block and trigger. The number up to which each
    # trigger name took blocks is now in the home's database, taken in one write transaction.
    from autocodec.ipvm._stream import JobStream
    from autocodec.ipvm._triggers import Trigger, TriggerRunner

    def on(name: str, codec: int | None = None) -> Trigger:
        return Trigger(name, str(SELECT_CID), "count", ("",), on="block-stored", codec=codec)

    shared = [on("on-any"), on("on-cbor", 0x71)]
    with Runtime(home, default_set=False) as rt_a, Runtime(home, default_set=False) as rt_b:
        rt_a.store.put(SELECT_CID, SELECT)
        rt_a.trust.allow(str(SELECT_CID))
        a = TriggerRunner(Executor(rt_a), JobStream(rt_a.store), shared, max_events=2).start()
        b = TriggerRunner(Executor(rt_b), JobStream(rt_b.store), [*shared, on("only-b")]).start()
        a.stop(), b.stop()  # ticked by hand below
        rt_a.put(b"\x01", "raw")
        rt_a.put(b"\xa1\x61a\x01", "dag-cbor")
        rt_b.put(b"\xa1\x61b\x02", "dag-cbor")
        # a takes the first two blocks for its names; b the third for them, and all three for only-b
        assert [a.tick(), b.tick(), a.tick(), b.tick()] == [1 + 2, 1 + 1 + 3, 0, 0]
        restarted = TriggerRunner(Executor(rt_a), JobStream(rt_a.store), shared).start()
        restarted.stop()
        assert restarted.tick() == 0  # blocks stored before it started are not its own
        rt_b.put(b"\x02", "raw")
        assert [b.tick(), restarted.tick(), a.tick()] == [1 + 1, 0, 0]
        sources = [entry.source for entry in JobStream(rt_a.store).since(0)]
        assert sorted(sources) == sorted(["event:on-any"] * 4 + ["event:on-cbor"] * 2 + ["event:only-b"] * 4)


# --- policy selectors: only what the selector grammar writes ------------------------------------


def test_selector_indexes_and_names_are_plain_ascii() -> None:
    # Brackets were read with int(): .[1_0] selected index 10, .[ 1], .[+1] and .[\u0663] (an
    # Arabic-Indic three) index 1 or 3, and .caf\u00e9 a key: selectors other implementations refuse as
    # malformed, so one delegation meant different things to different validators. Keys outside
    # the name grammar are written .["key"].
    from autocodec.verify.ucan import InvalidToken
    from autocodec.verify.ucan._policy import check_policy, matches

    args = {"list": list(range(20)), "caf\u00e9": 1}
    for bad in (".list[1_0]", ".list[ 1]", ".list[+1]", ".list[\u0663]", ".list[1: 2]", ".caf\u00e9", ".\u0663"):
        with pytest.raises(InvalidToken):
            check_policy([["==", bad, 10]])
    assert matches([["==", ".list[-1]", 19], ["==", ".list[1:3]", [1, 2]], ["==", '.["caf\u00e9"]', 1],
                    ["==", ".list[:]", list(range(20))]], args)


# --- the job stream after a careless `block rm` ----------------------------------------------------


def test_a_removed_stream_entry_block_is_a_typed_error_not_a_500(serve: Any, tmp_path: Path) -> None:
    # `autocodec block rm` of a job-stream entry block made GET /ipvm/stream answer aiohttp's bare
    # "500 Internal Server Error" for every page holding it, and `receipt ls` fail naming only the
    # block. Both now name the entry and how to read past it, and the pages after it still read.
    import json
    import urllib.error
    import urllib.request

    from tests._cli import run_cli

    client = tmp_path / "client"
    run_cli(client, "init", "--no-default-set")
    me = run_cli(client, "key", "gen", "me").stdout.decode().strip()
    proof = tmp_path / "me.ucan"
    run_cli(serve.home, "ucan", "delegate", "--key", "executor", "--to", me, "--cmd", COMMAND, "-o", str(proof))
    for n in (1, 2):
        run_cli(client, "run", "--remote", serve.url, "--key", "me", "--proof", str(proof), str(SELECT_CID), "select",
                "--arg", f'{{"a": {n}}}', "--arg", '"a"')

    def page(query: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"{serve.url}/ipvm/stream?{query}", timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, doc = page("since=0")
    assert status == 200 and [e["seq"] for e in doc["entries"]] == [1, 2]
    run_cli(serve.home, "block", "rm", doc["entries"][0]["entry"])
    status, doc = page("since=0")
    assert status == 404 and doc["error"] == "BlockNotFound", doc
    assert "job stream entry 1" in doc["message"] and "after sequence number 1" in doc["hint"], doc
    status, doc = page("since=1")
    assert status == 200 and [e["seq"] for e in doc["entries"]] == [2]
    listed = run_cli(serve.home, "receipt", "ls", check=False)
    err = listed.stderr.decode()
    assert listed.returncode == 1 and err.count("\n") == 1 and "job stream entry 1" in err, err
    assert run_cli(serve.home, "receipt", "ls", "--since", "1").stdout.decode().startswith("2\t")


@pytest.mark.slow
def test_a_job_whose_awaited_module_is_revoked_while_it_runs_gets_no_receipt(rt: Runtime) -> None:
    # A pipeline: A (ipld-select) then B (a task spinning about a second on A's result). ipld-select
    # is revoked as soon as A's receipt exists, while B runs. B's own module stayed trusted, so B
    # signed and cached a receipt computed from the output of a module no longer trusted. Now
    # B is refused like a job whose own module is revoked while it runs.
    import threading

    from autocodec.errors import NotTrusted
    from autocodec.ipvm import ReceiptCache
    from autocodec.verify import TrustStore
    from tests._spin_task import spin_task

    spin = rt.put(spin_task(500_000_000), "raw")  # about 3e9 fuel: well within the 5 s call deadline
    rt.trust.allow(str(spin))
    ex = Executor(rt)
    first = Invocation(SELECT_CID, "select", [{"a": 1}, "a"])
    ex.submit(first)
    target = Invocation(spin, "spin", [{"await/ok": first.cid}], fuel=4_000_000_000)
    done = threading.Event()

    def revoke_once_a_ran() -> None:
        cache = ReceiptCache(rt.store)
        while not done.is_set() and cache.get(first.cid, {ex.key.did}) is None:
            done.wait(0.005)
        with TrustStore.open(rt.home) as other:  # another connection, as another process would
            other.revoke(str(SELECT_CID), "test")

    revoker = threading.Thread(target=revoke_once_a_ran)
    revoker.start()
    try:
        with pytest.raises(NotTrusted, match="awaits stopped being trusted"):
            ex.run(target)
    finally:
        done.set()
        revoker.join()
    assert ReceiptCache(rt.store).get(target.cid, {ex.key.did}) is None  # nothing signed or cached


# --- validation work: one budget for the whole request ---------------------------------------


@pytest.mark.slow
def test_the_policy_budget_covers_the_invoked_job_and_its_awaited_jobs_together(rt: Runtime) -> None:
    # docs/invocations.md: evaluating the chain's policies may apply at most 1,000,000 statements
    # "in all", and "the same budget covers every job a pipeline awaits". The executor gave the
    # awaited jobs a fresh budget of their own, so one request could take twice the work. An
    # `all` over 550,000 elements in the invoked job and as many in an awaited one is now over.
    from autocodec.ipvm._remote import shipped_blocks
    from autocodec.verify.ucan import MatchError

    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(RemoteLimits()), lambda cid: False)
    client = SigningKey.generate()
    policy = [["all", ".args[0]", ["==", ".", 1]]]
    root = delegate(executor.key, client.did, COMMAND, now=now, policy=policy)
    ones = [1] * 550_000
    first = Invocation(SELECT_CID, "count", [ones, ""])
    executor.submit(first)
    target = Invocation(SELECT_CID, "count", [ones, ""], fuel=10**6)
    _send(remote, client, [root], target, now)  # alone, within the budget
    piped = Invocation(SELECT_CID, "count", [{"await/ok": first.cid}, ""])
    token = invoke(client, remote.did, COMMAND, {**task_args(piped), "args": [ones, {"await/ok": first.cid}]},
                   now=now, proofs=[root])
    body = encode_container([token, root], shipped_blocks(rt.store, piped, executor.limits))
    with pytest.raises(MatchError, match="evaluation budget"):
        remote.handle(body, now=now)


@pytest.mark.parametrize("tick_between", [True, False], ids=["ticked-after-the-removal", "both-between-two-ticks"])
def test_a_block_stored_after_the_newest_was_removed_fires_its_event_trigger(home: Path, tick_between: bool) -> None:
    # A user stores a raw block by mistake (the dag-cbor trigger does not fire; the runner passes
    # it), removes it (`block rm`) and stores the DAG-CBOR block meant. When triggers found new
    # blocks by row id, SQLite gave the new row the removed one's id, which the runner had already
    # passed: the trigger never fired for it (a tick between moved the mark back; without one,
    # test_ipvm_leftovers' case, it was missed until the store's block sequence).
    from autocodec.ipvm._stream import JobStream
    from autocodec.ipvm._triggers import Trigger, TriggerRunner

    trig = Trigger("on-cbor", str(SELECT_CID), "count", ("",), on="block-stored", codec=0x71)
    with Runtime(home, default_set=False) as rt:
        rt.store.put(SELECT_CID, SELECT)
        rt.trust.allow(str(SELECT_CID))
        runner = TriggerRunner(Executor(rt), JobStream(rt.store), [trig])
        runner.start()
        runner.stop()  # ticked by hand below: no background thread racing the test
        wrong = rt.put(b"\xa1\x61a\x01", "raw")
        assert runner.tick() == 0  # not dag-cbor
        rt.store.delete(wrong)
        if tick_between:
            assert runner.tick() == 0
        meant = rt.put(b"\xa2\x61a\x01\x61b\x02", "dag-cbor")
        assert runner.tick() == 1
        assert runner.tick() == 0
        (entry,) = JobStream(rt.store).since(0)
        assert entry.source == "event:on-cbor" and Executor(rt).invocation(entry.ran).args[0] == {"ipvm/block": meant}


# --- receipt verify --rerun checks what the receipt says ran ------------------------------------


def test_rerun_refuses_a_receipt_naming_another_module_than_ran(rt: Runtime) -> None:
    # A receipt by another executor with the right result but meta.module "evil@6.6.6" passed
    # `receipt verify --rerun` ("same result"): only `out` was compared, so the receipt's claim
    # of which module produced it went unchecked. The module label is fixed by the module's CID.
    from autocodec.errors import IntegrityError
    from autocodec.ipvm import Receipt

    ex = Executor(rt)
    honest = ex.run(Invocation(SELECT_CID, "select", [{"a": 1}, "a"]))
    liar = SigningKey.generate()
    cid, data = Receipt(honest.invocation, honest.receipt.out, honest.receipt.fuel, "evil@6.6.6",
                        liar.did).sign(liar)
    rt.store.put(cid, data)
    with pytest.raises(IntegrityError, match="evil@6.6.6"):
        ex.verify(cid, rerun=True)
    other_fuel = Receipt(honest.invocation, honest.receipt.out, honest.receipt.fuel + 1, honest.receipt.module,
                         liar.did).sign(liar)
    rt.store.put(*other_fuel)
    assert ex.verify(other_fuel[0], rerun=True)[1] is not None  # fuel is not compared (wasmtime releases)


# --- token files as people make them ------------------------------------------------------------


def test_a_token_file_of_wrapped_base64_is_read(tmp_path: Path) -> None:
    # `base64 me.ucan > me.b64` (and openssl base64) wrap the text in lines of 76 (64) columns;
    # such a file was refused as "neither a DAG-CBOR token nor base64 of one", as was base64
    # saved by an editor with a UTF-8 byte-order mark.
    import base64
    import textwrap

    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "key", "gen", "boss")
    token = tmp_path / "me.ucan"
    run_cli(home, "ucan", "delegate", "--key", "boss", "--to", SigningKey.generate().did, "--cmd", COMMAND,
            "-o", str(token))
    want = run_cli(home, "ucan", "inspect", str(token)).stdout
    text = base64.b64encode(token.read_bytes()).decode()
    for name, content in (("wrapped.b64", "\n".join(textwrap.wrap(text, 76)) + "\n"),
                          ("crlf.b64", "\r\n".join(textwrap.wrap(text, 64)) + "\r\n"),
                          ("bom.b64", "\ufeff" + text)):
        (tmp_path / name).write_bytes(content.encode("utf-8"))
        assert run_cli(home, "ucan", "inspect", str(tmp_path / name)).stdout == want, name
    (tmp_path / "junk.b64").write_text(text[:40] + " !! " + text[40:])
    refused = run_cli(home, "ucan", "inspect", str(tmp_path / "junk.b64"), check=False)
    assert refused.returncode == 1 and refused.stderr.decode().startswith("autocodec: InvalidToken:")


# --- pipeline files: a job nothing awaits is a mistake, not a silent no-op ------------------------


def test_a_pipeline_job_the_result_does_not_await_is_refused(tmp_path: Path) -> None:
    # A pipeline file whose "info" job forgot its {"await/ok": "doc"}: `run --pipeline` ran only
    # the result's own DAG and printed its value (exit 0); "doc" was stored but never run and
    # nothing said so. It is now refused, naming the job, before anything is stored.
    import json

    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "trust", "add", str(SELECT_CID))
    run_cli(home, "block", "put", "--format", "raw", str(WASM_SRC / "ipld-select" / "ipld-select.wasm"))
    module = str(SELECT_CID)
    jobs = {"doc": {"module": module, "func": "select", "args": [{"a": {"b": 1}}, "a"]},
            "info": {"module": module, "func": "select", "args": [{"b": 2}, "b"]}}
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"jobs": jobs, "result": "info"}))
    refused = run_cli(home, "run", "--pipeline", str(path), check=False)
    err = refused.stderr.decode()
    assert refused.returncode == 1 and err.startswith("autocodec: InvalidDocument: pipeline job 'doc'"), err
    assert err.count("\n") == 1 and "never run" in err, err
    jobs["info"]["args"] = [{"await/ok": "doc"}, "b"]
    path.write_text(json.dumps({"jobs": jobs, "result": "info"}))
    assert run_cli(home, "run", "--pipeline", str(path)).stdout.decode().splitlines()[-1] == "1"
