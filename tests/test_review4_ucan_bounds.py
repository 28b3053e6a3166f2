"""Review 4: the work an executor does for a request before (and after) any signature is good.

Found in review: ``POST /ipvm/invoke`` decoded every token of a container (DAG-CBOR decode and a
canonical re-encode, 20-100 ms per MiB) before checking that anything in it came from someone
the executor ever delegated to, so an unauthenticated caller made it decode up to 4 MiB per
request (343 ms measured for a 3.9 MiB container of attacker-signed tokens); and a trusted
delegate could make it parse about 1 MiB of policy per token per request (0.7-0.9 s for 69,000
statements), admission counting fuel, not parse work.

Now only tokens vouched for from the executor are decoded (``_envelope.parse_vouched``), an
unvouched chain is refused from its heads with the error ``validate_invocation`` gives, the
policies of delegations the executor did not issue hold at most 4096 statements per chain, and
parsed policies are remembered by delegation CID.

The decode counter wraps the canonical decoder every token goes through
(``_token.decode_canonical``): instrumentation of the real code, not a stand-in.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest

from autocodec.ipvm import Executor
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, encode_container, vouched_container
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    INVOCATION_TAG,
    InvalidAudience,
    InvalidClaim,
    InvalidSignature,
    InvalidSubject,
    InvalidToken,
    UcanError,
    _token,
    _validate,
    delegate,
    invoke,
    parse_token,
    seal,
    validate_invocation,
)
from autocodec.verify.ucan._envelope import HeadBudget, peek, stub
from autocodec.verify.ucan._validate import MAX_DELEGATED_STATEMENTS

from tests import _select_home, _ucan_parses
from tests._select_home import SELECT_CID
from tests._ucan_parses import job

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)
parses = _ucan_parses.parses  # counts the policies parsed (tests/_ucan_parses.py)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the tokens decoded from here on."""
    seen: list[int] = []
    real = _token.decode_canonical

    def counting(data: bytes, **kw: Any) -> Any:
        seen.append(len(data))
        return real(data, **kw)

    monkeypatch.setattr(_token, "decode_canonical", counting)
    return seen


def _dlg(key: SigningKey, aud: str, sub: str | None, policy: Any, cmd: str = "/") -> Any:
    return seal(key, DELEGATION_TAG, {"iss": key.did, "aud": aud, "sub": sub, "cmd": cmd, "pol": policy,
                                      "nonce": os.urandom(8), "exp": None})


def test_a_container_nobody_vouches_for_is_refused_without_decoding_a_token(rt: Runtime, decodes: list[int]) -> None:
    # 3 attacker-signed delegations of ~300 kB of policy and an invocation of ~300 kB of args: before,
    # all four were decoded (1.2 MB) before the chain was found not to reach the executor.
    now = int(time.time())
    remote = RemoteExecutor(Executor(rt), Scheduler(rt.limits.remote), lambda cid: False)
    mallory = SigningKey.generate()
    filler = [i % 23 for i in range(300_000)]
    chain = [_dlg(mallory, mallory.did, remote.did, [["==", ".x", filler]]) for _ in range(3)]
    token = seal(mallory, INVOCATION_TAG, {"iss": mallory.did, "sub": remote.did, "cmd": COMMAND,
                                           "args": {"x": filler}, "prf": [t.cid for t in chain],
                                           "nonce": b"n", "exp": None})
    del decodes[:]
    with pytest.raises(InvalidClaim):
        remote.handle(encode_container([token, *chain]), now=now)
    assert decodes == [], f"{len(decodes)} tokens ({sum(decodes)} bytes) decoded for a chain nobody vouches for"


def test_unvouched_chains_get_the_error_validation_gives_them(rt: Runtime, decodes: list[int]) -> None:
    # The heads say which check a chain fails: the same UCAN error name as decoding it all did.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    mallory, alice = SigningKey.generate(), SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now)
    cases: list[tuple[type[UcanError], list[Any], SigningKey, str | None]] = [
        (InvalidSubject, [_dlg(mallory, mallory.did, mallory.did, [])], mallory, None),
        (InvalidClaim, [_dlg(mallory, mallory.did, remote.did, [])], mallory, None),
        (InvalidAudience, [granted, _dlg(mallory, mallory.did, remote.did, [])], mallory, None),
        (InvalidClaim, [], mallory, None),  # no proofs, not the subject
    ]
    expired = invoke(mallory, remote.did, COMMAND, job(), now=now - 1000, expires_in=10)
    for error, chain, signer, audience in cases:
        token = invoke(signer, remote.did, COMMAND, job(), now=now, proofs=chain, audience=audience)
        with pytest.raises(error):
            validate_invocation(token, chain, now, executor=remote.did)
        del decodes[:]
        with pytest.raises(error):
            remote.handle(encode_container([token, *chain]), now=now)
        assert len(decodes) <= 1, decodes  # at most the executor's own grant
    from autocodec.verify.ucan import Expired

    with pytest.raises(Expired):
        remote.handle(encode_container([expired]), now=now)


def test_a_forged_signature_on_a_token_claiming_the_executor_is_refused_before_decoding(rt: Runtime,
                                                                                      decodes: list[int]) -> None:
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice = SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now)
    data = bytearray(granted.data)
    data[5] ^= 1  # inside the signature
    forged = parse_token(bytes(data))  # parse_token does not check signatures
    token = invoke(alice, remote.did, COMMAND, job(), now=now, proofs=[forged])
    del decodes[:]
    with pytest.raises(InvalidSignature, match=str(forged.cid)):
        remote.handle(encode_container([token, forged]), now=now)
    assert decodes == []
    with pytest.raises(InvalidSignature, match=str(forged.cid)):  # the library's answer, from decoded tokens
        validate_invocation(token, [forged], now, executor=remote.did)


def test_a_vouched_chain_still_runs(rt: Runtime) -> None:
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice, bob = SigningKey.generate(), SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now)
    again = delegate(alice, bob.did, COMMAND, now=now, proof=granted)
    token = invoke(bob, remote.did, COMMAND, job(), now=now, proofs=[granted, again])
    _cid, _block, cached = remote.handle(encode_container([token, granted, again]), now=now)
    assert cached in (True, False)


def test_peek_reads_the_fields_parse_token_reads_and_refuses_garbage_only_as_invalid_token() -> None:
    key = SigningKey.generate()
    now = int(time.time())
    root = delegate(key, key.did, "/a/b", now=now, policy=[["==", ".x", 1]], not_before=now - 5)
    token = invoke(key, key.did, "/a/b", {"revoke": root.cid, "path": [root.cid], "n": [1, "a", None]}, now=now,
                   proofs=[root])
    for tok in (root, token):
        envelope = peek(tok.data)
        assert envelope.complete and envelope.cid == tok.cid and envelope.signature_holds()
        made = stub(envelope)
        assert made is not None and made.signed_bytes() == tok.signed_bytes()
        for name in ("iss", "aud", "sub", "cmd", "exp", "nbf", "prf", "nonce"):
            assert envelope.fields.get(name) == tok.payload.get(name), name
    assert peek(token.data).fields["args"] == token.payload["args"]
    rng = random.Random(4)
    for _ in range(3000):
        data = bytearray(token.data)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = data[:rng.randrange(len(data) + 1)] if rng.random() < 0.3 else data
        try:
            peek(bytes(data), HeadBudget(500))
        except InvalidToken:
            pass


def test_signed_bytes_are_the_canonical_encoding_sliced() -> None:
    from autocodec.verify._canonical import encode

    key = SigningKey.generate()
    for size in (0, 10, 300, 70_000):
        tok = invoke(key, key.did, "/x", {"b": b"\x01" * size}, now=1_700_000_000)
        assert tok.signed_bytes() == encode({"h": tok.header, tok.tag: dict(tok.payload)})
        assert parse_token(tok.data).signed_bytes() == tok.signed_bytes()


def test_delegate_policies_are_bounded_per_chain_and_the_executors_own_are_not() -> None:
    now = 1_700_000_000
    executor, alice = SigningKey.generate(), SigningKey.generate()
    grant = delegate(executor, alice.did, COMMAND, now=now, expires_in=None)
    big = [["!=", f".k{i}", i] for i in range(MAX_DELEGATED_STATEMENTS + 1)]
    mine = delegate(alice, alice.did, COMMAND, now=now, policy=big, proof=grant, expires_in=None)
    token = invoke(alice, executor.did, COMMAND, {"function": "f"}, now=now, proofs=[grant, mine])
    with pytest.raises(InvalidToken, match="4096 policy statements"):
        validate_invocation(token, [grant, mine], now, executor=executor.did)
    validate_invocation(token, [grant, mine], now)  # a library caller validating its own chain: no bound
    fits = delegate(alice, alice.did, COMMAND, now=now, policy=big[:-1], proof=grant, expires_in=None)
    token = invoke(alice, executor.did, COMMAND, {"function": "f"}, now=now, proofs=[grant, fits])
    validate_invocation(token, [grant, fits], now, executor=executor.did)
    own = delegate(executor, alice.did, COMMAND, now=now, policy=big * 3, expires_in=None)
    token = invoke(alice, executor.did, COMMAND, {"function": "f"}, now=now, proofs=[own])
    validate_invocation(token, [own], now, executor=executor.did)


def test_a_policy_is_parsed_once_per_delegation_not_once_per_request(parses: list[int]) -> None:
    now = 1_700_000_000
    executor, alice = SigningKey.generate(), SigningKey.generate()
    grant = delegate(executor, alice.did, COMMAND, now=now, policy=[["==", ".function", "f"]], expires_in=None)
    del parses[:]
    for n in range(5):
        token = invoke(alice, executor.did, COMMAND, {"function": "f", "n": n}, now=now, proofs=[grant])
        validate_invocation(token, [grant], now, executor=executor.did)
    assert len(parses) == 1, parses
    assert _validate._policy_cache_size <= _validate.POLICY_CACHE_STATEMENTS


def test_vouched_container_explains_with_the_callers_checks() -> None:
    # The explain callback runs on heads-only tokens: policies are never among them.
    now = 1_700_000_000
    executor, mallory = SigningKey.generate(), SigningKey.generate()
    pol = [["==", ".x", 1]]
    root = _dlg(mallory, mallory.did, executor.did, pol)
    token = invoke(mallory, executor.did, COMMAND, {"function": "f"}, now=now, proofs=[root])
    seen: list[Any] = []

    def explain(inv: Any, dlgs: list[Any]) -> None:
        seen.append([d.payload["pol"] for d in dlgs])

    from autocodec.config import DEFAULT_LIMITS

    with pytest.raises(InvalidClaim, match="do not lead from this executor"):
        vouched_container(encode_container([token, root]), DEFAULT_LIMITS.remote, executor.did, explain,
                          command=COMMAND)
    assert seen == [[[]]]
    assert parse_token(root.data).payload["pol"] == pol


def test_a_bad_proof_signature_keeps_validations_order(rt: Runtime) -> None:
    # The executor's own expired invocation naming a delegation with a forged signature: the
    # library says Expired (the invocation's time comes before proofs' signatures), and so does the route.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice = SigningKey.generate()
    data = bytearray(delegate(alice, executor.key.did, COMMAND, now=now, subject=executor.key.did).data)
    data[5] ^= 1
    forged = parse_token(bytes(data))
    token = invoke(executor.key, remote.did, COMMAND, job(), now=now - 100, proofs=[forged], expires_in=10)
    from autocodec.verify.ucan import Expired

    with pytest.raises(Expired):
        validate_invocation(token, [forged], now, executor=remote.did)
    with pytest.raises(Expired):
        remote.handle(encode_container([token, forged]), now=now)


def test_a_stub_never_lends_its_empty_policy_to_the_real_delegation() -> None:
    # Stubs carry the real CID and an empty policy; validating a chain of stubs (the revocation
    # route does, for a /ucan/revoke authority chain) must not leave that empty policy in the
    # parsed-policy cache for the real delegation to pick up.
    now = 1_700_000_000
    owner, alice = SigningKey.generate(), SigningKey.generate()
    root = delegate(owner, alice.did, "/x", now=now, policy=[["==", ".n", 1]], expires_in=None)
    token = invoke(alice, owner.did, "/x", {"n": 2}, now=now, proofs=[root], expires_in=None)
    fake = stub(peek(root.data))
    assert fake is not None and fake.cid == root.cid and fake.payload["pol"] == []
    validate_invocation(token, [fake], now)  # the stub's empty policy holds
    from autocodec.verify.ucan import MatchError

    with pytest.raises(MatchError):
        validate_invocation(token, [root], now)


def test_large_arguments_do_not_hide_the_chain_behind_them(rt: Runtime) -> None:
    # The invocation comes first in the container and its arguments hold more heads than the
    # request's budget: the delegation after it must still be read far enough to be vouched for
    # (each token reads its first FLOOR_HEADS heads whatever is left), so the job is not refused.
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    alice = SigningKey.generate()
    granted = delegate(executor.key, alice.did, COMMAND, now=now)
    from autocodec.ipvm import Invocation
    from autocodec.ipvm._remote import task_args

    task = Invocation(SELECT_CID, "count", [[1] * 40_000, ""])
    token = invoke(alice, remote.did, COMMAND, task_args(task), now=now, proofs=[granted])
    remote.handle(encode_container([token, granted]), now=now)
