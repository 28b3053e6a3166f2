"""UCAN validation does its cheap, decisive checks before it parses or evaluates any policy.

Found in review: each delegation's policy was parsed (``check_policy``) in the signature loop,
before the chain was tied to the subject and the executor, so anyone could make an executor parse
about 1 MiB of policy per token on every request (about 0.25 s for 770 kB, 1.7 s for a 3.6 MB
container of four) with delegations signed by fresh keys it never trusted. Now signatures, time
bounds, subject/issuer/audience alignment up to the executor, commands and revocations come
first; a policy is parsed once per request, and only for a chain that reached the executor.

Real keys, real tokens, the real ``RemoteExecutor`` on a real ``Executor``. The parse counter wraps
the policy checker every path uses (``_policy._checked``): instrumentation, not a stand-in.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from autocodec.ipvm import Executor, Invocation
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, shipped_blocks, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    REVOKE_COMMAND,
    InvalidAudience,
    InvalidClaim,
    InvalidSubject,
    InvalidToken,
    MatchError,
    Revocations,
    Revoked,
    UcanError,
    delegate,
    invoke,
    seal,
    validate_invocation,
)
from tests import _select_home, _ucan_parses
from tests._select_home import SELECT_CID
from tests._ucan_parses import job

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)
parses = _ucan_parses.parses  # counts the policies parsed (tests/_ucan_parses.py)

MALFORMED = [["no-such-operator", ".a", 1]]
"""A policy that raises ``InvalidToken`` the moment it is parsed."""


def _dlg(key: SigningKey, aud: str, sub: str | None, policy: Any, cmd: str = "/") -> Any:
    return seal(key, DELEGATION_TAG, {"iss": key.did, "aud": aud, "sub": sub, "cmd": cmd, "pol": policy,
                                      "nonce": b"n", "exp": None})


def test_forged_chains_are_refused_for_the_chain_before_any_policy_is_parsed(rt: Runtime, parses: list[int]) -> None:
    # Each chain below carries a policy that would raise InvalidToken if parsed. Before, every one
    # was refused as "malformed policy" (the policy parsed first); now each gets its chain's error
    # and no policy is read.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    mallory, alice = SigningKey.generate(), SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now)
    cases: list[tuple[str, type[UcanError], list[Any], SigningKey, str | None]] = []
    own = _dlg(mallory, mallory.did, mallory.did, MALFORMED)
    cases.append(("about mallory", InvalidSubject, [own], mallory, None))
    claimed = _dlg(mallory, mallory.did, remote.did, MALFORMED)
    cases.append(("root not issued by its subject", InvalidClaim, [claimed], mallory, None))
    spliced = _dlg(mallory, mallory.did, remote.did, MALFORMED)  # below alice's grant, but not from alice
    cases.append(("audience gap", InvalidAudience, [granted, spliced], mallory, None))
    to_other = _dlg(alice, alice.did, remote.did, MALFORMED)
    cases.append(("for another executor", InvalidAudience, [granted, to_other], alice, mallory.did))
    narrow = _dlg(alice, alice.did, remote.did, MALFORMED, cmd="/wasm/other")
    cases.append(("command not covered", InvalidClaim, [granted, narrow], alice, None))
    del parses[:]  # delegate() checked the grant's policy when it was issued
    for name, error, chain, signer, audience in cases:
        token = invoke(signer, remote.did, COMMAND, job(), now=now, proofs=chain, audience=audience)
        with pytest.raises(error) as caught:
            remote.handle(encode_container([token, *chain]), now=now)
        assert "policy" not in caught.value.message, (name, caught.value.message)
        with pytest.raises(error):
            validate_invocation(token, chain, now, executor=remote.did)
    assert parses == [], f"{len(parses)} policies parsed for chains that never reach the executor"


def test_a_revoked_delegation_is_refused_before_its_policy_is_parsed(rt: Runtime, parses: list[int]) -> None:
    now = int(time.time())
    executor = Executor(rt)
    alice = SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now)
    sub = _dlg(alice, alice.did, executor.key.did, MALFORMED)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: cid == sub.cid)
    token = invoke(alice, remote.did, COMMAND, job(), now=now, proofs=[granted, sub])
    del parses[:]  # delegate() checked the grant's policy when it was issued
    with pytest.raises(Revoked):
        remote.handle(encode_container([token, granted, sub]), now=now)
    # and through the executor's revocation table (scoped: alice revokes her own re-delegation)
    table = Revocations(rt.home.db_path)
    from autocodec.verify.ucan import revocation

    table.record(revocation(alice, sub, now=now, proofs=[granted]), sub, (granted,), owner=remote.did, now=now)
    del parses[:]
    scoped = RemoteExecutor(executor, Scheduler(rt.limits.remote), None, revocations=table)
    with pytest.raises(Revoked):
        scoped.handle(encode_container([token, granted, sub]), now=now)
    assert parses == []


def test_a_chain_that_reaches_the_executor_still_has_its_policies_checked(rt: Runtime) -> None:
    # The errors of single faults are those of before: a malformed policy is InvalidToken, a
    # violated one MatchError; and all policies are parsed before any is evaluated, so a malformed
    # one below a violated one is still InvalidToken.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice = SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now, policy=[["==", ".args[0].a", 1]])
    ok = invoke(alice, remote.did, COMMAND, job(1), now=now, proofs=[granted])
    assert remote.handle(encode_container([ok, granted]), now=now)[1]
    violating = invoke(alice, remote.did, COMMAND, job(2), now=now, proofs=[granted])
    with pytest.raises(MatchError):
        remote.handle(encode_container([violating, granted]), now=now)
    sub = _dlg(alice, alice.did, remote.did, MALFORMED)
    both = invoke(alice, remote.did, COMMAND, job(2), now=now, proofs=[granted, sub])
    with pytest.raises(InvalidToken, match="malformed policy"):
        remote.handle(encode_container([both, granted, sub]), now=now)


def test_each_policy_is_parsed_once_per_request(rt: Runtime, parses: list[int]) -> None:
    # A pipeline's request parsed each delegation's policy three times (the malformed check, the
    # evaluation, the awaited jobs' check); validate_invocation's parse now serves them all.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice = SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now, policy=[["==", ".function", "select"]])
    again = delegate(alice, alice.did, COMMAND, now=now, proof=granted, policy=[["!=", ".fuel", 0]])
    first = Invocation(SELECT_CID, "select", [{"a": 1}, "a"])
    executor.submit(first)
    target = Invocation(SELECT_CID, "select", [{"await/ok": first.cid}, ""])
    token = invoke(alice, remote.did, COMMAND, task_args(target), now=now, proofs=[granted, again])
    blocks = shipped_blocks(executor.runtime.store, target, executor.limits)
    del parses[:]
    remote.handle(encode_container([token, granted, again], blocks), now=now)
    assert len(parses) == 2


def test_an_oversized_revocation_authority_is_refused_before_its_policy_is_parsed(rt: Runtime,
                                                                                   parses: list[int]) -> None:
    # The revocation route validated the /ucan/revoke chain a revocation acts on (policies and
    # all) before its size cap: a chain of mallory's own, rooted at herself, holding a large policy,
    # was parsed on every request and only then refused.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False,
                            revocations=Revocations(rt.home.db_path))
    alice, mallory, helper = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    victim = delegate(executor.key, alice.did, COMMAND, now=now)
    large = [["!=", f".k{i}", i] for i in range(3000)]  # about 40 kB, well formed
    authority = _dlg(mallory, helper.did, mallory.did, large, cmd=REVOKE_COMMAND)
    forged = invoke(helper, mallory.did, REVOKE_COMMAND, {"revoke": victim.cid, "path": []}, now=now,
                    proofs=[authority])
    del parses[:]  # delegate() checked the victim's policy when it was issued
    with pytest.raises(InvalidToken, match="bytes with its authority"):
        remote.accept_revocation(encode_container([forged, victim, authority]), now=now)
    assert parses == []
