"""``Validated.policies`` is derived from its chain, never given: ``policies[i]`` is
``chain[i]``'s parsed policy by construction. It defaulted to ``()``, so a ``Validated`` made
with a chain and no policies existed, and ``RemoteExecutor._authorize_awaits`` raised a bare
``ValueError`` (``zip(..., strict=True)``) on it. Real tokens, a real executor."""

from __future__ import annotations

import time

import pytest

from autocodec.errors import InvalidInput
from autocodec.ipvm import Executor, Invocation
from autocodec.ipvm._remote import COMMAND, RemoteExecutor, task_args
from autocodec.ipvm._scheduler import Scheduler
from autocodec.registry import Runtime
from autocodec.verify import SigningKey
from autocodec.verify.ucan import InvalidToken, Validated, delegate, invoke, validate_invocation
from autocodec.verify.ucan._policy import EvalBudget
from autocodec.verify.ucan._validate import checked_token_policy
from tests import _select_home
from tests._select_home import SELECT_CID

rt = _select_home.rt  # a home that trusts the ipld-select module (tests/_select_home.py)


def _chain(now: int) -> tuple[SigningKey, SigningKey, list]:  # type: ignore[type-arg]
    alice, bob = SigningKey.generate(), SigningKey.generate()
    root = delegate(alice, bob.did, "/wasm", now=now, policy=[["==", ".function", "decode"]])
    sub = delegate(bob, bob.did, "/wasm/run", now=now, proof=root, policy=[["!=", ".fuel", 0]])
    return alice, bob, [root, sub]


def test_policies_are_the_chains_own() -> None:
    now = int(time.time())
    alice, bob, chain = _chain(now)
    token = invoke(bob, alice.did, "/wasm/run", {"function": "decode"}, now=now, proofs=chain)
    made = Validated(token, tuple(chain))
    assert made.policies == tuple(checked_token_policy(t) for t in chain)
    assert validate_invocation(token, chain, now) == made


def test_policies_cannot_be_given() -> None:
    now = int(time.time())
    alice, bob, chain = _chain(now)
    token = invoke(bob, alice.did, "/wasm/run", {"function": "decode"}, now=now, proofs=chain)
    with pytest.raises(TypeError):
        Validated(token, tuple(chain), ())  # type: ignore[call-arg]


def test_a_chain_of_other_things_is_refused_typed() -> None:
    now = int(time.time())
    alice, bob, chain = _chain(now)
    token = invoke(bob, alice.did, "/wasm/run", {"function": "decode"}, now=now, proofs=chain)
    with pytest.raises(InvalidToken, match="not a delegation"):
        Validated(token, (chain[0], token))
    with pytest.raises(InvalidInput):
        Validated(token, (chain[0], b"bytes"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Validated(token, "chain")  # type: ignore[arg-type]


@pytest.mark.slow  # a real executor in a home
def test_authorize_awaits_takes_any_validated(rt: Runtime) -> None:
    now = int(time.time())
    executor = Executor(rt)
    remote = RemoteExecutor(executor, Scheduler(rt.limits.remote), lambda cid: False)
    client = SigningKey.generate()
    root = delegate(executor.key, client.did, COMMAND, now=now, policy=[["!=", ".function", "forbidden"]])
    task = Invocation(SELECT_CID, "select", [{"a": 1}, "a"])
    token = invoke(client, executor.key.did, COMMAND, task_args(task), now=now, proofs=[root])
    # the default () made this a bare ValueError (zip strict): a Validated without its policies
    assert remote._authorize_awaits(Validated(token, (root,)), task, {}, EvalBudget()) == {}
