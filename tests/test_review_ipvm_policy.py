"""Review of the UCAN 1.0 policy language and chain validation against ucan-wg/delegation.

Spec read (ucan-wg/delegation README, "Policy", the version with "Selecting on Bytes"):
- "Literal inequality (`!=`) is equivalent to `["not", ["==", selector, value]]`."
- "If a selector cannot be resolved (there is no value at that path), the associated
  statement MUST return false, and MUST NOT throw an exception."

Real tokens, real signatures, the real ``RemoteExecutor`` on a real ``Executor``; no mocks.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from autocodec.errors import AutocodecError
from autocodec.ipvm import Executor, Invocation
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    InvalidSubject,
    InvalidToken,
    MatchError,
    delegate,
    invoke,
    matches,
    seal,
    validate_invocation,
)
from tests import _select_home
from tests._select_home import SELECT_CID

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)


def _nest(depth: int, inner: Any = 1) -> Any:
    value = inner
    for _ in range(depth):
        value = [value]
    return value


# --- "!=" is "not ==" (the spec says so in as many words) -------------------------------------------

ARGS = {"a": [1, {"b": "x"}], "n": None, "m": {"k": 2}, "s": "text", "y": b"\x01\x02"}
SELECTORS = (".a", ".a[0]", ".a[9]", ".a[9]?", ".a[1].b", ".a[1].c", ".a[1].c?", ".missing", ".missing?",
             ".missing.deeper", ".n", ".n.x", ".m.k", ".m.z", ".s[0]", ".y[1]", ".y[7]")
VALUES = (None, 1, 2, "x", "nope", [1, {"b": "x"}], {"k": 2})


@pytest.mark.parametrize("selector", SELECTORS)
def test_not_equal_is_exactly_not_of_equal(selector: str) -> None:
    # "!=" returned false whenever its selector did not resolve, while ["not", ["==", ...]] of
    # the same path held: one spec statement, two meanings (and docs/invocations.md already said
    # "!=" holds on a missing path).
    for value in VALUES:
        ne = matches([["!=", selector, value]], ARGS)
        not_eq = matches([["not", ["==", selector, value]]], ARGS)
        assert ne is not_eq, (selector, value, ne, not_eq)


def test_not_equal_holds_on_a_missing_path_inside_a_quantifier() -> None:
    args = {"to": [{"email": "a@example.com"}, {"name": "no email"}]}
    assert matches([["all", ".to", ["!=", ".email", "evil@example.com"]]], args)
    assert not matches([["all", ".to", ["==", ".email", "a@example.com"]]], args)


def test_not_equal_through_a_real_chain(rt: Runtime) -> None:
    # The delegation forbids one function; a job naming another, and one whose selector names a
    # field the job does not have, both pass the policy (the spec's reading), a job naming the
    # forbidden function does not.
    now = int(time.time())
    executor = Executor(rt)
    alice = SigningKey.generate()
    root = delegate(executor.key, alice.did, COMMAND, now=now,
                    policy=[["!=", ".function", "forbidden"], ["!=", ".nothing", 1]])
    task = Invocation(SELECT_CID, "select", [{"a": 1}, "a"])
    token = invoke(alice, executor.key.did, COMMAND, task_args(task), now=now, proofs=[root])
    validate_invocation(token, [root], now, executor=executor.key.did)
    bad = invoke(alice, executor.key.did, COMMAND, dict(task_args(task), function="forbidden"), now=now,
                 proofs=[root])
    with pytest.raises(MatchError):
        validate_invocation(bad, [root], now, executor=executor.key.did)


# --- hostile nesting: typed errors, never RecursionError ----------------------------------------------


def test_a_deeply_nested_malformed_policy_is_invalid_token_not_a_recursion_error(rt: Runtime) -> None:
    # A delegation whose policy statement is a list nested 1000 deep (DAG-CBOR takes 1024) made the
    # malformed-policy message's str() raise RecursionError out of validate_invocation; the
    # executor's handler answered it as an internal error. Policies are parsed only once the chain
    # reaches the executor (tests/test_ucan_order.py), so the deep policy sits in a delegate's
    # re-delegation below the executor's own delegation; a chain of mallory's own is refused for its
    # subject before its policy is read.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    mallory = SigningKey.generate()
    root = delegate(executor.key, mallory.did, COMMAND, now=now)
    for policy in ([_nest(1000)], [["==", _nest(1000, "."), 1]], [["<", ".fuel", _nest(1000)]]):
        dlg = seal(mallory, DELEGATION_TAG, {"iss": mallory.did, "aud": mallory.did, "sub": remote.did,
                                             "cmd": "/", "pol": policy, "nonce": b"n", "exp": None})
        token = invoke(mallory, remote.did, COMMAND, task_args(Invocation(SELECT_CID, "select", [{}, "a"])),
                       now=now, proofs=[root, dlg])
        with pytest.raises(InvalidToken, match="malformed policy"):
            validate_invocation(token, [root, dlg], now, executor=remote.did)
        with pytest.raises(InvalidToken, match="malformed policy"):
            remote.handle(encode_container([token, root, dlg]), now=now)
        own = seal(mallory, DELEGATION_TAG, {"iss": mallory.did, "aud": mallory.did, "sub": mallory.did,
                                             "cmd": "/", "pol": policy, "nonce": b"n", "exp": None})
        token = invoke(mallory, remote.did, COMMAND, task_args(Invocation(SELECT_CID, "select", [{}, "a"])),
                       now=now, proofs=[own])
        with pytest.raises(InvalidSubject):
            remote.handle(encode_container([token, own]), now=now)


def test_deep_values_compare_without_recursion_error(rt: Runtime) -> None:
    # A delegate's own re-delegation may hold any value DAG-CBOR takes (1024 levels): ["==", ".a",
    # <600 nested lists>] against an argument nested as deep recursed once per level in equal()
    # and raised RecursionError, and a failing one's message did too.
    now = int(time.time())
    executor = Executor(rt)
    alice = SigningKey.generate()
    root = delegate(executor.key, alice.did, COMMAND, now=now)
    deep = delegate(alice, alice.did, COMMAND, now=now, proof=root,
                    policy=[["==", ".args[0].a", _nest(1000)]])
    same = Invocation(SELECT_CID, "select", [{"a": _nest(1000)}, "a"])
    other = Invocation(SELECT_CID, "select", [{"a": _nest(1000, 2)}, "a"])
    ok = invoke(alice, executor.key.did, COMMAND, task_args(same), now=now, proofs=[root, deep])
    validate_invocation(ok, [root, deep], now, executor=executor.key.did)
    refused = invoke(alice, executor.key.did, COMMAND, task_args(other), now=now, proofs=[root, deep])
    with pytest.raises(MatchError) as caught:
        validate_invocation(refused, [root, deep], now, executor=executor.key.did)
    assert len(caught.value.message) < 400
    assert matches([["!=", ".a", _nest(1000)]], {"a": _nest(1000, 2)})


# --- admission: refused requests from fresh keys cannot reset a delegate's fuel window ---------------


def test_fresh_keys_refused_at_the_revocation_route_do_not_reset_a_fuel_budget(rt: Runtime) -> None:
    # accept_revocation admits the revocation's issuer (0 fuel) before the revocation table
    # refuses it, so every fresh key of a delegate became a tracked issuer; past
    # max_issuers_tracked, half of the idle issuers were forgotten, the delegate among them,
    # with the fuel it had asked for in the last minute: its budget started again from zero.
    from autocodec.config import RemoteLimits
    from autocodec.errors import RateLimited
    from autocodec.verify.ucan import REVOKE_COMMAND, Revocations

    now = int(time.time())
    executor = Executor(rt)
    limits = RemoteLimits(fuel_per_minute=2 * 10**6, max_issuers_tracked=4)
    remote = RemoteExecutor(executor, Scheduler(limits), lambda cid: False,
                            revocations=Revocations(rt.home.db_path))
    alice = SigningKey.generate()
    root = delegate(executor.key, alice.did, COMMAND, now=now)

    def job(n: int) -> Any:
        task = Invocation(SELECT_CID, "select", [{"a": n}, "a"], fuel=2 * 10**6)
        token = invoke(alice, remote.did, COMMAND, task_args(task), now=now, proofs=[root])
        return remote.handle(encode_container([token, root]), now=now)

    job(1)  # the whole minute's budget
    with pytest.raises(RateLimited):
        job(2)
    for _ in range(12):
        fresh = SigningKey.generate()  # signs a revocation of alice's delegation it has no right to
        forged = invoke(fresh, remote.did, REVOKE_COMMAND, {"revoke": root.cid, "path": []}, now=now,
                        expires_in=None)
        with pytest.raises(AutocodecError, match="revoke|issuer"):  # refused by the revocation table
            remote.accept_revocation(encode_container([forged, root]), now=now)
    with pytest.raises(RateLimited):
        job(3)


def test_the_tracked_issuers_stay_bounded() -> None:
    # What the cap is for still holds: idle issuers with nothing charged are forgotten, and when
    # every idle one charged fuel this minute, half of them go (memory stays bounded).
    from autocodec.config import RemoteLimits

    scheduler = Scheduler(RemoteLimits(max_issuers_tracked=8))
    for n in range(1000):
        with scheduler.admit(f"did:key:zfresh{n}", 0):
            pass
    assert len(scheduler._issuers) <= 8
    for n in range(1000):
        with scheduler.admit(f"did:key:zspent{n}", 5):
            pass
    assert len(scheduler._issuers) <= 8


# --- like: linear-time, whatever the pattern ---------------------------------------------------------


def _glob_reference(pattern: str, text: str) -> bool:
    """The spec's glob as a regex (test oracle only): '*' any run, '\\*' a literal star."""
    import re

    parts, literal, i = [], "", 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            literal, i = literal + "*", i + 2
        elif pattern[i] == "*":
            parts.append(literal)
            literal, i = "", i + 1
        else:
            literal, i = literal + pattern[i], i + 1
    parts.append(literal)
    return re.fullmatch(".*".join(map(re.escape, parts)), text, re.DOTALL) is not None


def test_like_agrees_with_the_reference_on_random_patterns() -> None:
    import random

    rng = random.Random(7)
    for _ in range(4000):
        pattern = "".join(rng.choice(["a", "b", "*", "\\*", "\\", "ab"]) for _ in range(rng.randrange(0, 7)))
        text = "".join(rng.choice("ab*\\") for _ in range(rng.randrange(0, 9)))
        assert matches([["like", ".", pattern]], text) is _glob_reference(pattern, text), (pattern, text)


def test_like_is_linear_in_the_text_and_the_pattern() -> None:
    # The glob backtracked to its last '*' and rescanned the pattern from each later position:
    # "*" + "a"*1000 + "b" against 100,000 "a"s took 15 s, and a delegate can re-delegate to
    # itself any pattern (up to 1 MiB) and send any text: minutes of CPU per `like`, unbounded by
    # the statement budget. Segments between stars are now found with str.find.
    for pattern, text in (("*" + "a" * 2000 + "b", "a" * 200_000), ("*a" * 2000 + "*b", "a" * 200_000),
                          ("a*" + "ab" * 3000 + "*c", "a" + "ab" * 100_000)):
        started = time.monotonic()
        assert not matches([["like", ".", pattern]], text)
        assert time.monotonic() - started < 5.0, (pattern[:20], len(text))


# --- the evaluation budget counts the work a statement does, not only the statement --------------------


def test_slices_spend_the_budget_by_what_they_copy() -> None:
    # Each statement spent one step of the 1,000,000, but ".a[0:]" copies the whole list: 5,000
    # such statements over a 240,000-element argument took 2.5 s for 5,000 steps, so the budget's
    # "about a second of CPU" was about ten minutes for a chain of 1 MiB delegations.
    from autocodec.verify.ucan import EvalBudget, failing_statement

    args = {"a": list(range(20)) * 12_000}
    policy = [["!=", ".a[0:]", 1]] * 5_000
    with pytest.raises(MatchError, match="budget"):
        failing_statement(policy, args, EvalBudget())
    assert matches([["==", ".a[0:2]", [0, 1]], ["==", ".a[-1:]", [19]]], args)  # small slices: as before


def test_equality_spends_the_budget_by_the_values_it_compares() -> None:
    # ["all", ".xs", ["==", ".", L]] with 100 copies of a 2,000-element L compared 200,000 pairs
    # for 101 steps: 30 such statements took 2 s and left 99.7 % of the budget.
    from autocodec.verify.ucan import EvalBudget, failing_statement

    big = list(range(2_000))
    args = {"xs": [big] * 100}
    with pytest.raises(MatchError, match="budget"):
        failing_statement([["all", ".xs", ["==", ".", big]]] * 30, args, EvalBudget())
    assert matches([["all", ".xs", ["==", ".", big]]], args)  # one such statement is within the budget


def test_like_spends_the_budget_by_the_text_it_scans() -> None:
    # A like is linear now, but still one step for a scan of a 900,000-character argument: 2,000
    # ["not", ["like", ".s", "*ba*bq*"]] took 3.3 s for 4,000 steps (a 4 MiB container holds
    # 100,000 of them).
    from autocodec.verify.ucan import EvalBudget, failing_statement

    args = {"s": "ab" * 450_000, "to": ["x@example.com"] * 1_000}
    with pytest.raises(MatchError, match="budget"):
        failing_statement([["not", ["like", ".s", "*ba*bq*"]]] * 2_000, args, EvalBudget())
    assert matches([["all", ".to", ["like", ".", "*@example.com"]]] * 100, args)  # short texts: as before


def test_long_selectors_are_parsed_once_per_policy() -> None:
    # Selectors were parsed through an LRU cache of 1,024: a 1 MiB delegation with 1,100 distinct
    # 900-character selectors inside an `all` missed it on every application, 100 us each:
    # 5.7 s for 50 elements and 55,000 steps (the whole budget: about 100 s).
    from autocodec.verify.ucan import EvalBudget, failing_statement

    selectors = [".k" + str(i).zfill(4) + "x" * 890 + "?" for i in range(1_100)]
    policy = [["all", ".xs", ["and", [["==", sel, None] for sel in selectors]]]]
    started = time.monotonic()
    assert failing_statement(policy, {"xs": [{}] * 50}, EvalBudget()) is None
    assert time.monotonic() - started < 1.5


def test_a_pipelines_awaited_jobs_do_not_check_the_chains_policies_again_each(rt: Runtime) -> None:
    # Every awaited job re-checked (and re-parsed) each delegation's whole policy before its
    # evaluation, outside the budget: a 770 kB policy ['or', [a statement that holds, 60,000
    # others]] costs 0.18 s to check and 2 steps to evaluate, so a request awaiting 256 jobs (the
    # max_jobs default) under a few such delegations kept the executor busy for minutes. The
    # policies are now checked once per request. Here 40 awaited jobs, the last one refused.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice = SigningKey.generate()
    inner = [["==", ".f" + str(i), 1] for i in range(60_000)]
    root = delegate(executor.key, alice.did, COMMAND, now=now,
                    policy=[["or", [["==", ".function", "select"], *inner]]])
    jobs = [Invocation(SELECT_CID, "count" if n == 0 else "select", [{"a": n}, "a"]) for n in range(40)]
    task = Invocation(SELECT_CID, "select", [{"await/ok": job.cid} for job in jobs])
    token = invoke(alice, remote.did, COMMAND, task_args(task), now=now, proofs=[root])
    body = encode_container([token, root], [job.block() for job in jobs])
    started = time.monotonic()
    with pytest.raises(MatchError, match="awaited job"):
        remote.handle(body, now=now)
    assert time.monotonic() - started < 3.0


# --- receipts and the cache: what held (regression guards) ------------------------------------------


def test_the_cache_never_serves_a_receipt_for_another_invocation_or_a_forged_one(rt: Runtime) -> None:
    # Index rows pointing invocation A at (1) this executor's genuine receipt for B, (2) a receipt
    # for A signed by an untrusted key, (3) a copy of A's receipt with another `out` under the
    # executor's DID (its signature no longer verifies): a run of A answers A's own result.
    from autocodec.errors import SignatureError
    from autocodec.ipvm import Receipt

    executor = Executor(rt)
    a = Invocation(SELECT_CID, "select", [{"k": "A"}, "k"])
    b = Invocation(SELECT_CID, "select", [{"k": "B"}, "k"])
    out_b = executor.run(b)
    mallory = SigningKey.generate()
    foreign_cid, foreign = Receipt(a.cid, Receipt.ok_out("forged"), 1, "x@1", mallory.did).sign(mallory)
    forged_cid, forged = Receipt(a.cid, Receipt.ok_out("forged"), 1, "x@1", executor.key.did).sign(executor.key)
    forged_payload = forged.replace(b"forged", b"FORGED")
    from autocodec.builtin import cid_for

    tampered_cid = cid_for(forged_payload, "dag-cbor")
    with pytest.raises(SignatureError):
        Receipt.verify_block(forged_payload)
    rt.store.put(foreign_cid, foreign)
    rt.store.put(tampered_cid, forged_payload)
    for receipt_cid, issuer in ((out_b.receipt_cid, executor.key.did), (foreign_cid, mallory.did),
                                (tampered_cid, executor.key.did)):
        with rt.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO ipvm_receipts (invocation, executor, receipt) VALUES (?, ?, ?)",
                         (str(a.cid), issuer, str(receipt_cid)))
        outcome = executor.run(a)
        assert outcome.receipt.ran == a.cid and outcome.receipt.value == "A"
        assert outcome.receipt.issuer == executor.key.did


def test_a_quantifier_over_a_map_reads_only_the_values_it_visits() -> None:
    # `any` over a map copied all its values into a list before visiting the first: 2,000
    # ["any", ".m", ...] over a 100,000-key map that hold at the first value took 1.3 s for
    # 4,000 steps (a 4 MiB container holds 200,000 of them).
    from autocodec.verify.ucan import EvalBudget, failing_statement

    args = {"m": {f"k{i}": 1 for i in range(100_000)}}
    started = time.monotonic()
    assert failing_statement([["any", ".m", ["==", ".", 1]]] * 2_000, args, EvalBudget()) is None
    assert time.monotonic() - started < 0.5
    assert matches([["all", ".m", ["==", ".", 1]], ["not", ["any", ".m", ["==", ".", 2]]]], args)
