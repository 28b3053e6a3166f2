"""Issuing UCAN 1.0 delegations and invocations with a home's Ed25519 keys.

Invariants:
- Every token is sealed by ``_token.seal``: canonical DAG-CBOR, Ed25519 varsig, signature
  checked once after signing.
- A re-delegation (``proof`` given) keeps the proof's subject and command scope: it is issued
  only by the proof's audience and only for a command the proof covers; its expiry is never
  later than the proof's (delegation narrows time bounds).
- Audiences and subjects are DIDs (``_did.check_did``) and a policy is a list of statements:
  anything else is refused before signing, never coerced.
- Nonces are 16 random bytes; ``exp`` is required by the spec (``None`` means "never").
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..._inputs import as_cid, need_iterable, need_text
from ...cid import CID
from ...errors import InvalidInput
from .._keyring import SigningKey
from ._did import check_did
from ._errors import InvalidClaim, InvalidToken
from ._policy import POLICY_HINT, check_policy
from ._token import MAX_TIME, DELEGATION_TAG, INVOCATION_TAG, Token, check_command, need_key, need_time, need_token, seal
from ._validate import command_covers

REVOKE_COMMAND = "/ucan/revoke"
REVOKER_HINT = ("revoke with the key that issued the delegation, or one that issued a delegation above it, "
                "giving the delegations above it as proofs, root first")
"""What a refused revocation hints: who may revoke, and with which proofs (ucan-wg/revocation)."""


def delegate(
    key: SigningKey,
    audience: str,
    command: str,
    *,
    now: int,
    policy: Sequence[Any] = (),
    expires_in: int | None = 3600,
    not_before: int | None = None,
    subject: str | None = "",
    proof: Token | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Token:
    """A delegation of ``command`` to ``audience``; ``subject`` "" means the issuer itself (a root)."""
    need_key(key, "delegate")
    now = need_time(now, "delegate's now")
    check_command(need_text(command, "delegate's command"), kind="delegation")
    if not_before is not None:
        not_before = need_time(not_before, "delegate's not_before")
    if proof is not None:
        proof = need_token(proof, "delegate's proof")
    if meta is not None and not isinstance(meta, Mapping):
        raise InvalidInput(f"delegate's meta needs a mapping (a dict), not {type(meta).__name__}")
    check_did(audience, "audience")
    if not isinstance(policy, (list, tuple)):  # never turn a map or a string into a list of its keys
        raise InvalidToken(f"the policy is a {type(policy).__name__}, not a list of statements",
                           hint=POLICY_HINT)
    check_policy(list(policy))
    _check_lifetime(expires_in)
    exp = None if expires_in is None else now + int(expires_in)
    if proof is not None:
        if proof.aud != key.did:
            raise InvalidClaim(f"proof {proof.cid} is to {proof.aud}, not to this key {key.did}")
        if not command_covers(proof.cmd, command):
            raise InvalidClaim(f"proof {proof.cid} grants {proof.cmd}, which does not cover {command}")
        subject = proof.sub
        if proof.exp is not None:
            exp = proof.exp if exp is None else min(exp, proof.exp)
    elif subject == "":
        subject = key.did
    if subject is not None:
        check_did(subject, "subject")
    if exp is not None and exp >= MAX_TIME:
        raise InvalidInput(f"a delegation expiring at {exp} ends after the latest time a UCAN can hold (2^53-1, "
                           "Unix time)", hint="give a shorter lifetime, or none (no expiry)")
    if not_before is not None and exp is not None and not_before >= exp:
        raise InvalidInput(f"a delegation valid from {not_before} but expiring at {exp} is never valid",
                           hint="give a not_before before the expiry (the proof's, if it ends first)")
    payload: dict[str, Any] = {
        "iss": key.did, "aud": audience, "sub": subject, "cmd": command, "pol": list(policy),
        "nonce": os.urandom(16), "exp": exp,
    }
    if not_before is not None:
        payload["nbf"] = not_before
    if meta:
        payload["meta"] = dict(meta)
    return seal(key, DELEGATION_TAG, payload)


def invoke(
    key: SigningKey,
    subject: str,
    command: str,
    args: Mapping[str, Any],
    *,
    now: int,
    proofs: Sequence[Token] = (),
    audience: str | None = None,
    expires_in: int | None = 300,
    cause: CID | None = None,
) -> Token:
    """An invocation of ``command`` on ``subject``; ``proofs`` root first (as ``prf`` orders them)."""
    need_key(key, "invoke")
    now = need_time(now, "invoke's now")
    check_command(need_text(command, "invoke's command"), kind="invocation")
    if not isinstance(args, Mapping):
        raise InvalidInput(f"invoke's args needs a mapping (a dict), not {type(args).__name__}")
    need_iterable(proofs, "invoke's proofs", "UCAN Tokens")
    proofs = [need_token(proof, "each of invoke's proofs") for proof in proofs]
    if cause is not None:
        cause = as_cid(cause, "invoke's cause")
    _check_lifetime(expires_in)
    check_did(subject, "subject")
    if audience is not None:
        check_did(audience, "audience")
    payload: dict[str, Any] = {
        "iss": key.did, "sub": subject, "cmd": command, "args": dict(args),
        "prf": [p.cid for p in proofs], "nonce": os.urandom(16),
        "exp": None if expires_in is None else now + int(expires_in), "iat": now,
    }
    if audience is not None:
        payload["aud"] = audience
    if cause is not None:
        payload["cause"] = cause
    return seal(key, INVOCATION_TAG, payload)


def _check_lifetime(expires_in: int | None) -> None:
    """A token must be valid for a while: a lifetime of 0 or less makes it expired when issued."""
    if expires_in is not None and (isinstance(expires_in, bool) or not isinstance(expires_in, int)
                                   or expires_in <= 0):
        raise InvalidInput(f"a token lifetime of {expires_in!r} seconds would make it expired when issued",
                           hint="give a positive number of seconds (or no expiry)")


def revocation(key: SigningKey, delegation: Token, *, now: int, proofs: Sequence[Token] = (),
               authority: Sequence[Token] = ()) -> Token:
    """The ``/ucan/revoke`` invocation (ucan-wg/revocation) by which ``key`` revokes ``delegation``:
    ``args`` are ``{"revoke": delegation's CID, "path": [the proofs' CIDs, root first]}`` (the
    spec's delegation path witness).

    The revoker must be the delegation's issuer or an issuer above it in ``proofs``: ``key`` itself,
    or, when ``authority`` is given (a chain of ``/ucan/revoke`` delegations to ``key``, root first:
    "Delegating Revocation"), that chain's root issuer R. Then ``prf`` names the chain and the
    subject is R (whose authority is used); else the subject is the delegation's.
    """
    need_key(key, "revocation")
    delegation = need_token(delegation, "revocation's delegation")
    need_iterable(proofs, "revocation's proofs", "UCAN Tokens")
    proofs = [need_token(proof, "each of revocation's proofs") for proof in proofs]
    need_iterable(authority, "revocation's authority", "UCAN Tokens")
    authority = [need_token(token, "each of revocation's authority") for token in authority]
    revoker = authority[0].iss if authority else key.did
    issuers = {delegation.iss, *(p.iss for p in proofs)}
    if revoker not in issuers:
        raise InvalidClaim(f"{revoker} issued neither delegation {delegation.cid} nor any of its proofs",
                           hint=REVOKER_HINT)
    subject = revoker if authority else delegation.sub or key.did
    args = {"revoke": delegation.cid, "path": [proof.cid for proof in proofs]}
    return invoke(key, subject, REVOKE_COMMAND, args, now=now, proofs=authority, expires_in=None)


def revoke_authority(key: SigningKey, audience: str, delegation: Token, *, now: int,
                     expires_in: int | None = 3600, proof: Token | None = None) -> Token:
    """A delegation to ``audience`` of ``key``'s authority to revoke ``delegation`` and nothing else
    (ucan-wg/revocation, "Delegating Revocation"): command ``/ucan/revoke``, policy
    ``[["==", ".revoke", CID]]``, about ``key`` itself, or re-delegating ``proof`` (about its subject)."""
    delegation = need_token(delegation, "revoke_authority's delegation")
    return delegate(key, audience, REVOKE_COMMAND, now=now, policy=[["==", ".revoke", delegation.cid]],
                    expires_in=expires_in, proof=proof)
