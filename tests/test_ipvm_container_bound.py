"""A UCAN container holds as many tokens as the largest legitimate request needs.

The largest is a delegated revocation (ucan-wg/revocation): the invocation, the revoked
delegation, its path witness and the ``/ucan/revoke`` chain it acts on, each of at most
``MAX_CHAIN`` (32) delegations: 66 tokens. The bound was 64, so such a revocation could not be sent.
"""

from __future__ import annotations

import time

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.ipvm._remote import MAX_CONTAINER_TOKENS, decode_container, encode_container
from autocodec.verify import SigningKey
from autocodec.verify.ucan import InvalidToken, delegate, invoke
from autocodec.verify.ucan._validate import MAX_CHAIN


def _container(delegations: int) -> bytes:
    now = int(time.time())
    alice, bob = SigningKey.generate(), SigningKey.generate()
    grant = delegate(alice, bob.did, "/wasm/run", now=now)
    job = invoke(bob, alice.did, "/wasm/run", {}, now=now, proofs=[grant])
    return encode_container([job] + [grant] * delegations)


def test_the_largest_delegated_revocation_fits_and_one_token_more_does_not() -> None:
    assert MAX_CONTAINER_TOKENS == 2 * MAX_CHAIN + 2 == 66
    limits = DEFAULT_LIMITS.remote
    invocation, delegations, _ = decode_container(_container(MAX_CONTAINER_TOKENS - 1), limits)
    assert invocation.kind == "inv" and len(delegations) == 65
    with pytest.raises(InvalidToken, match="at most 66"):
        decode_container(_container(MAX_CONTAINER_TOKENS), limits)
