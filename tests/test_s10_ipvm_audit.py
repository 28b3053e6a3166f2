"""Adversarial audit of IPVM (s10): a hostile caller, peer or config against the executor.

UCAN authorization of pushed jobs (``RemoteExecutor.handle``: every chain that does not authorize
the job is refused with its typed error and stores nothing), forged and replayed receipts against
the cache, gossip pushes to a dead peer, and determinism across homes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog

from autocodec.config import GossipLimits
from autocodec.ipvm import Executor, Invocation, Receipt
from autocodec.ipvm._gossip import _PeerPusher
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    Expired,
    InvalidAudience,
    InvalidClaim,
    InvalidSignature,
    InvalidSubject,
    Revocations,
    Revoked,
    TooEarly,
    UcanError,
    UnavailableProof,
    delegate,
    invoke,
    revocation,
)
from autocodec.verify.ucan._token import Token
from tests import _cli
from tests._ipvm_home import DOC, ipvm_runtime
from tests._select_home import SELECT_CID


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


@pytest.fixture
def rt(home: Path) -> Any:
    with ipvm_runtime(home) as runtime:
        yield runtime


def _dead_url() -> str:
    """A loopback URL nobody listens at (connections refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- gossip ------------------------------------------------------------------------------------


def test_a_push_to_a_dead_peer_with_many_retries_is_given_up_not_the_thread() -> None:
    # Old code: 2 ** attempt as a float overflowed at the 1024th retry: the peer's push thread died
    # with a traceback and every push queued behind it waited for a restart.
    done: list[int] = []
    limits = GossipLimits(retries=1030, backoff_s=1e-6, max_backoff_s=1e-6, timeout_s=5.0)
    pusher = _PeerPusher(_dead_url(), limits, threading.Event(), lambda _url, seq: done.append(seq))
    pusher.offer(b"first", "r1", 1)
    pusher.offer(b"second", "r2", 2)
    with structlog.testing.capture_logs() as logs:
        pusher.start()
        deadline = time.monotonic() + 120
        while len(done) < 2 and pusher._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert done == [1, 2]
    assert pusher._thread.is_alive()
    assert [e["revocation"] for e in logs if e["event"] == "gossip.given_up"] == ["r1", "r2"]


def test_a_push_whose_retries_ran_out_says_so_in_the_log() -> None:
    # Old code: the last attempt's gossip.push_failed was the only trace; nothing said the push was
    # given up (docs/invocations.md, "Retries": the peer then learns only by pulling).
    done: list[int] = []
    pusher = _PeerPusher(_dead_url(), GossipLimits(retries=1, backoff_s=0.01), threading.Event(),
                         lambda _url, seq: done.append(seq))
    pusher.offer(b"c", "r", 5)
    with structlog.testing.capture_logs() as logs:
        pusher.start()
        deadline = time.monotonic() + 60
        while not done and time.monotonic() < deadline:
            time.sleep(0.02)
    given_up = [e for e in logs if e["event"] == "gossip.given_up"]
    assert done == [5] and len(given_up) == 1 and given_up[0]["attempts"] == 2
    assert "pull" in given_up[0]["detail"]


# --- UCAN authorization of a pushed job --------------------------------------------------------

NOW = int(time.time())
E, C, X = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()  # executor, client, other
TASK = Invocation(SELECT_CID, "select", [DOC, "a/1/b"], fuel=10**7)
ARGS = task_args(TASK)


def _job(proofs: list[Token], *, key: SigningKey = C, subject: str | None = None, audience: str | None = None,
         args: dict[str, Any] = ARGS, ship: list[Token] | None = None) -> bytes:
    token = invoke(key, subject or E.did, COMMAND, args, now=NOW, proofs=proofs, audience=audience)
    return encode_container([token, *(proofs if ship is None else ship)])


def _resigned_by_other(token: Token) -> Token:
    """``token``'s payload sealed again under the same tag but by ``X`` (its ``iss`` kept)."""
    from autocodec.verify.ucan._token import seal

    return seal(X, token.tag, token.payload)


def _root(**kw: Any) -> Token:
    return delegate(E, C.did, COMMAND, now=NOW, **kw)


def _tampered_signature() -> bytes:
    from autocodec.builtin import decode, encode

    root = _root()
    token = invoke(C, E.did, COMMAND, ARGS, now=NOW, proofs=[root])
    envelope = decode(token.data, "dag-cbor")
    sig = bytearray(envelope[0])
    sig[5] ^= 1
    forged = encode([bytes(sig), envelope[1]], "dag-cbor")
    return encode(({"ctn-v1": [forged, root.data]}), "dag-cbor")


A, B = SigningKey.generate(), SigningKey.generate()
ATTACKS: dict[str, tuple[Callable[[], bytes], int, type[UcanError]]] = {
    "invocation addressed to another audience": (lambda: _job([_root()], audience=X.did), 0, InvalidAudience),
    "delegation to someone else, invoked by the client": (
        lambda: _job([delegate(E, X.did, COMMAND, now=NOW)]), 0, InvalidAudience),
    "delegation expired": (lambda: _job([delegate(E, C.did, COMMAND, now=NOW - 7200, expires_in=3600)]), 0, Expired),
    "invocation expired": (lambda: _job([_root()]), 301, Expired),
    "delegation not valid yet": (lambda: _job([_root(not_before=NOW + 600)]), 0, TooEarly),
    "command not covered (/ucan/revoke)": (
        lambda: _job([delegate(E, C.did, "/ucan/revoke", now=NOW)]), 0, InvalidClaim),
    "command not covered (/wasm/ru, a prefix of the text)": (
        lambda: _job([delegate(E, C.did, "/wasm/ru", now=NOW)]), 0, InvalidClaim),
    "command not covered (/wasm/run/x, narrower)": (
        lambda: _job([delegate(E, C.did, "/wasm/run/x", now=NOW)]), 0, InvalidClaim),
    "broken link: the middle delegation's issuer never got the authority": (
        lambda: _job([delegate(E, A.did, COMMAND, now=NOW), delegate(B, C.did, COMMAND, now=NOW, subject=E.did)]),
        0, InvalidAudience),
    "proof CID that does not resolve (not shipped)": (lambda: _job([_root()], ship=[]), 0, UnavailableProof),
    "root issued by another principal about this executor": (
        lambda: _job([delegate(X, C.did, COMMAND, now=NOW, subject=E.did)]), 0, InvalidClaim),
    "powerline root by another principal (any subject)": (
        lambda: _job([delegate(X, C.did, COMMAND, now=NOW, subject=None)]), 0, InvalidClaim),
    "invocation about another subject": (lambda: _job([_root()], subject=X.did), 0, InvalidSubject),
    "delegation re-signed by someone else": (
        lambda: (lambda r: _job([r]))(_resigned_by_other(_root())), 0, InvalidSignature),
    "invocation signature flipped": (_tampered_signature, 0, InvalidSignature),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_job_its_chain_does_not_authorize_is_refused_and_stores_nothing(home: Path, attack: str) -> None:
    build, later, refusal = ATTACKS[attack]
    with ipvm_runtime(home) as rt:
        executor = Executor(rt, E)
        remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), Revocations(rt.home.db_path).is_revoked)
        before = set(rt.store.cids())
        with pytest.raises(UcanError) as refused:
            remote.handle(build(), now=NOW + later)
        assert set(rt.store.cids()) == before
    assert isinstance(refused.value, refusal), (type(refused.value).__name__, refused.value.message)


def test_a_revoked_delegation_refuses_the_job_and_a_fresh_one_is_still_served(rt: Runtime) -> None:
    executor = Executor(rt, E)
    revocations = Revocations(rt.home.db_path)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), revocations.is_revoked)
    root = _root()
    first = remote.handle(_job([root]), now=NOW)
    revocations.record(revocation(E, root, now=NOW), root)
    with pytest.raises(Revoked):
        remote.handle(_job([root]), now=NOW)  # the cached receipt is not served to a revoked chain either
    assert remote.handle(_job([_root()]), now=NOW)[0] == first[0]  # memoized on the task, for a valid chain
    assert Receipt.verify_block(first[1]).issuer == E.did


# --- the result cache --------------------------------------------------------------------------


def test_a_cached_pipeline_result_whose_awaited_invocation_is_gone_is_not_served_after_a_revocation(
        rt: Runtime) -> None:
    # Old code: the check that every awaited job's module is still trusted passed over an awaited
    # invocation missing from the store, so after `block rm` of it the revoked transcoder's output
    # was still served as the target's memoized result (cached=True). Now it fails closed.
    from autocodec.errors import AutocodecError
    from tests._ipvm_home import TRANSCODE_CID, cached_torrent_pipeline

    ex, first, target = cached_torrent_pipeline(rt)
    rt.trust.revoke(str(TRANSCODE_CID), "transcodes wrongly")
    rt.trust_changed()
    rt.store.delete(first.cid)
    for executor in (ex, Executor(rt)):
        with pytest.raises(AutocodecError) as refused:
            executor.run(target)
        assert type(refused.value).__name__ in ("NotTrusted", "BlockNotFound"), refused.value


def test_another_fuel_or_memory_cap_or_a_nonce_never_hits_the_cache(rt: Runtime) -> None:
    from autocodec.builtin import encode
    from autocodec.errors import InvalidDocument

    ex = Executor(rt)
    assert not ex.run(TASK).cached and ex.run(TASK).cached
    for other in (Invocation(SELECT_CID, "select", [DOC, "a/1/b"], fuel=10**7 + 1),
                  Invocation(SELECT_CID, "select", [DOC, "a/1/b"], fuel=10**7, memory=1 << 25)):
        assert other.cid != TASK.cid and not ex.run(other).cached  # limits are part of the job's identity
    with pytest.raises(InvalidDocument, match="nnc"):  # a nonce cannot make a job look new, nor the same
        Invocation.decode(encode({**TASK.to_value(), "nnc": "again"}, "dag-cbor"))


# --- determinism -------------------------------------------------------------------------------


def test_one_invocation_gets_the_same_receipt_payload_in_homes_configured_otherwise(tmp_path: Path) -> None:
    # Everything but iss and sig: result or error (kind and message), fuel and module label, for
    # homes whose host fuel and deadline differ (they bound the host's work, never a job's outcome).
    import dataclasses

    from autocodec.config import DEFAULT_LIMITS

    jobs = [TASK, Invocation(SELECT_CID, "select", [DOC, "a/1/b"], fuel=50),
            Invocation(SELECT_CID, "select", [DOC, "zz/9"]),
            Invocation(SELECT_CID, "select", [DOC, "a/1/b"], memory=65536)]
    seen = []
    for i, (fuel, deadline_ms) in enumerate(((2_000_000_000, 5_000), (10**12, 60_000))):
        sandbox = dataclasses.replace(DEFAULT_LIMITS.sandbox, fuel=fuel, deadline_ms=deadline_ms)
        with ipvm_runtime(tmp_path / str(i), limits=dataclasses.replace(DEFAULT_LIMITS, sandbox=sandbox)) as rt:
            ex = Executor(rt)
            seen.append([{k: v for k, v in ex.run(job).receipt.payload().items() if k != "iss"} for job in jobs])
    assert seen[0] == seen[1]
    assert [p["out"].get("error", {}).get("kind") for p in seen[0]] == [None, "FuelExhausted", "GuestError",
                                                                       "MemoryLimitExceeded"]


def test_an_await_chain_deeper_than_pythons_recursion_limit_is_read_when_max_depth_allows_it(
        tmp_path: Path) -> None:
    # Old code: the pipeline was read by recursion, so a chain of 1100 awaits under max_depth 5000
    # (the config takes any depth) was a RecursionError traceback, not a run nor a typed refusal.
    import dataclasses
    import sys

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import InvalidDocument

    depth = sys.getrecursionlimit() + 100
    ipvm = dataclasses.replace(DEFAULT_LIMITS.ipvm, max_depth=5000, max_jobs=5000)
    with ipvm_runtime(tmp_path, limits=dataclasses.replace(DEFAULT_LIMITS, ipvm=ipvm)) as rt:
        ex = Executor(rt)
        chain = [ex.submit(Invocation(SELECT_CID, "select", [DOC, ""]))]
        for _ in range(depth):
            chain.append(ex.submit(Invocation(SELECT_CID, "select", [{"await/ok": chain[-1]}, ""])))
        jobs, deps, cached = ex._collect(chain[-1], no_cache=True)  # what run_all reads before running
        assert set(jobs) == set(chain) and not cached and deps[chain[-1]] == [chain[-2]]
        shallow = Executor(rt)
        shallow.limits = dataclasses.replace(ipvm, max_depth=depth - 1)
        with pytest.raises(InvalidDocument, match="deeper than"):
            shallow._collect(chain[-1], no_cache=True)


def test_a_pipeline_file_deeper_than_pythons_recursion_limit_loads_when_max_depth_allows_it(
        tmp_path: Path) -> None:
    # Old code: load_pipeline made the jobs by recursion from the first name in order; a file whose
    # first name is the end of a chain of 1100 awaits was a RecursionError traceback.
    import dataclasses
    import sys

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import InvalidDocument
    from autocodec.ipvm import load_pipeline

    depth = sys.getrecursionlimit() + 100
    job = {"module": str(SELECT_CID), "func": "select"}
    doc: dict[str, Any] = {"jobs": {f"j{depth:05d}": {**job, "args": [DOC, ""]}}, "result": "j00000"}
    for i in range(depth):
        doc["jobs"][f"j{i:05d}"] = {**job, "args": [{"await/ok": f"j{i + 1:05d}"}, ""]}
    ipvm = dataclasses.replace(DEFAULT_LIMITS.ipvm, max_depth=5000, max_jobs=5000)
    with ipvm_runtime(tmp_path, limits=dataclasses.replace(DEFAULT_LIMITS, ipvm=ipvm)) as rt:
        ex = Executor(rt)
        pipeline = load_pipeline(ex, doc)
        assert len(pipeline.invocations) == depth + 1
        assert ex.invocation(pipeline.target).awaits == [pipeline.invocations["j00001"]]
        ex.limits = dataclasses.replace(ipvm, max_depth=depth - 2)
        with pytest.raises(InvalidDocument, match="deeper than"):
            load_pipeline(ex, doc)


def test_the_trust_check_of_a_pipelines_awaited_jobs_reads_each_invocation_once(
        rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # Old code: every job re-read (decoded) every invocation it awaits, transitively, to check their
    # modules are still trusted: ~N^2/2 decodes for a DAG of N jobs (a 4 MiB pushed request of 249
    # jobs spent 2.4 s CPU there, 0.3 s elsewhere). Now each invocation is decoded once.
    width, layers = 4, 8
    ex = Executor(rt)
    layer = [ex.submit(Invocation(SELECT_CID, "select", [DOC, "a/1/b", i], fuel=10**6)) for i in range(width)]
    for _ in range(layers - 1):
        layer = [ex.submit(Invocation(SELECT_CID, "select", [*({"await/ok": c} for c in layer), i], fuel=10**6))
                 for i in range(width)]
    top = ex.submit(Invocation(SELECT_CID, "select", [{"await/ok": c} for c in layer], fuel=10**6))
    real = Invocation.decode.__func__  # type: ignore[attr-defined]
    decoded: list[int] = []

    def counted(cls: type[Invocation], data: bytes, limits: Any = None) -> Invocation:
        decoded.append(len(data))
        return real(cls, data, limits)  # type: ignore[no-any-return]

    monkeypatch.setattr(Invocation, "decode", classmethod(counted))
    outcomes = ex.run_all(top)
    jobs = width * layers + 1
    assert len(outcomes) == jobs and not outcomes[top].cached
    assert len(decoded) <= jobs, len(decoded)  # read once to run; the trust checks reuse what was read


# --- triggers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("schedule", "minutes"), [
    ("*/9223372036854775808 * * * *", {0}),  # a step past any range: the first minute alone, as cron reads it
    ("0-59/99999999999999999999999 * * * *", {0}),
    ("59 * * * *", {59}),
])
def test_cron_steps_far_past_the_range_fire_once_an_hour(schedule: str, minutes: set[int]) -> None:
    from autocodec.ipvm._triggers import Cron

    assert Cron.parse(schedule).fields[0] == minutes


@pytest.mark.parametrize("schedule", ["*/0 * * * *", "*/-1 * * * *", "-5 * * * *", "1e3 * * * *",
                                      "9" * 5000 + " * * * *", "*/" + "9" * 5000 + " * * * *",
                                      "0 0 * * 1-" + "7" * 3000])
def test_absurd_cron_intervals_are_one_line_config_errors(schedule: str) -> None:
    # Old code: a field of thousands of digits was quoted whole in the refusal (a 5000-character
    # "one-line" message); now a field is quoted to 40 characters, as the schedule is to 60.
    from autocodec.errors import ConfigError
    from autocodec.ipvm._triggers import Cron

    with pytest.raises(ConfigError) as refused:
        Cron.parse(schedule)
    assert len(refused.value.message) < 200 and "\n" not in refused.value.message


def test_a_pushed_job_is_answered_with_the_executors_own_receipt_not_a_trusted_peers(rt: Runtime) -> None:
    # Old code: an executor trusting another one's receipts (trusted_executors) answered a pushed
    # job with that executor's cached receipt, which the client refuses (signed by someone else
    # than the executor it addressed): the job could never be served from there.
    from autocodec.ipvm import ReceiptCache

    peer = SigningKey.generate()
    receipt = Receipt(TASK.cid, Receipt.ok_out("x"), 1, "ipld-select@1.0.1", peer.did)
    ReceiptCache(rt.store).put(*receipt.sign(peer), receipt)
    executor = Executor(rt, E, trusted_executors=(peer.did,))
    assert executor.run(TASK).receipt.issuer == peer.did  # the peer's, from the cache, for local use
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), None)
    _cid, block, cached = remote.handle(_job([_root()]), now=NOW)
    answered = Receipt.verify_block(block)
    assert answered.issuer == E.did and answered.ran == TASK.cid and answered.value == "x" and not cached
