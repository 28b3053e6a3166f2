"""Validating UCAN 1.0 invocations and delegations against their proof chains.

Specs: ucan-wg/invocation ("Validation"), ucan-wg/delegation (time bounds, principal
alignment, subject, powerline, policy). ``prf`` lists the chain from the root delegation
(issued by the subject) to the one whose audience is the invoker.

Invariants (checked in this order, so each failure has the fixture's error name, and so that
no policy is parsed or evaluated before every cheap, decisive check has passed: a chain signed by
keys the subject never delegated to costs its signatures and a few comparisons, not its policies):
1. the invocation's signature (``InvalidSignature``) and its own time bounds (``Expired``);
2. ``prf`` names at most ``MAX_CHAIN`` delegations, none twice (``InvalidClaim``: a chain never
   needs a delegation twice, and each entry costs a signature check, so this is checked before
   any); every ``prf`` CID is among the given proofs (``UnavailableProof``); no proofs at all is
   only allowed when the invoker is the subject (``InvalidClaim``);
3. each delegation's signature, then its time bounds at ``now`` (``Expired``, ``TooEarly``);
4. the root delegation names a subject (a powerline ``sub: null`` is only valid further down)
   and is issued by it (``InvalidClaim``); every non-null ``sub`` equals the invocation's
   (``InvalidSubject``);
5. each delegation's ``aud`` issues the next token, the last one's the invocation
   (``InvalidAudience``); the executor, when given, is the invocation's audience (or subject);
6. each delegation's command covers the invoked one segment-wise (``InvalidClaim``);
7. no delegation in the chain is revoked (``Revoked``): ``revoked`` voids a delegation in every
   chain; ``revokers`` gives who revoked it, and a revocation voids it only in a chain holding a
   delegation its revoker issued (ucan-wg/revocation v1.0.0-rc.1, "Store": the revocation's
   issuer must be among the chain's delegators; "Scope": a chain that does not rely on the
   revoker still grants the capability);
8. only then the policies: with an executor given, the delegations it did not issue hold at most
   ``MAX_DELEGATED_STATEMENTS`` statements together (``InvalidToken``, counted before any is
   parsed); each delegation's, root first, is parsed once (cached by CID; a malformed one is
   ``InvalidToken``), then each holds for the invocation's arguments (``MatchError``, also when
   the policies need more than one ``EvalBudget`` of work for them). ``Validated.policies`` keeps
   the parsed policies for a caller that checks more arguments against the chain.
A token with more than one fault gets the error of the first check it fails in this order.
Nothing here reads a clock: ``now`` is always passed in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ..._gotime import format_unix_time
from ..._inputs import as_cid, need_iterable, need_text
from ...cid import CID
from ...errors import InvalidInput
from ._errors import (
    Expired,
    InvalidAudience,
    InvalidClaim,
    InvalidSubject,
    InvalidToken,
    MatchError,
    Revoked,
    TooEarly,
    UnavailableProof,
)
from ._policy import CheckedPolicy, EvalBudget, brief, checked_policy, count_statements, failing_statement
from ._token import Token, need_time, need_token

MAX_CHAIN = 32
"""Most delegations one invocation's ``prf`` may name (a chain of delegates 32 deep)."""


@dataclass(frozen=True)
class Validated:
    """An invocation that validated, with its proof chain (root first) and each delegation's
    policy as parsed for the check. Invariant, by construction: ``policies[i]`` is ``chain[i]``'s
    policy, so the two have one length; ``policies`` is derived from ``chain`` here, never given
    (``InvalidToken`` when a delegation's policy is malformed, as ``checked_token_policy``)."""

    invocation: Token
    chain: tuple[Token, ...]
    policies: tuple[CheckedPolicy, ...] = field(init=False)

    def __post_init__(self) -> None:
        need_token(self.invocation, "Validated's invocation")
        need_iterable(self.chain, "Validated's chain", "delegation Tokens")
        chain = tuple(need_token(token, "each token of Validated's chain") for token in self.chain)
        for token in chain:
            if token.kind != "dlg":
                raise InvalidToken(f"{token.cid} in Validated's chain is not a delegation")
        object.__setattr__(self, "chain", chain)
        object.__setattr__(self, "policies", tuple(checked_token_policy(token) for token in chain))


def command_covers(delegated: str, invoked: str) -> bool:
    """True when ``delegated`` is ``/`` or a segment-wise prefix of ``invoked`` (``InvalidInput``
    unless both are text)."""
    need_text(delegated, "command_covers's delegated command")
    need_text(invoked, "command_covers's invoked command")
    return delegated == "/" or invoked == delegated or invoked.startswith(delegated + "/")


def check_time(token: Token, now: int) -> None:
    """Raise ``Expired`` or ``TooEarly`` unless ``now`` is inside the token's time bounds."""
    if token.exp is not None and now > token.exp:
        raise Expired(f"{token.what} expired at {format_unix_time(token.exp)} (exp {token.exp}; validated at "
                      f"{format_unix_time(now)})")
    if token.nbf is not None and now < token.nbf:
        raise TooEarly(f"{token.what} is not valid before {format_unix_time(token.nbf)} (nbf {token.nbf}; "
                       f"validated at {format_unix_time(now)})")


def validate_delegation(token: Token, now: int) -> None:
    """A delegation on its own: a delegation token, signed by its issuer, in its time bounds, with a well-formed policy."""
    token = need_token(token, "validate_delegation")
    now = need_time(now, "validate_delegation's now")
    if token.kind != "dlg":
        raise InvalidToken(f"{token.cid} is not a delegation")
    token.check_signature()
    check_time(token, now)
    check_token_policy(token)


def check_token_policy(token: Token) -> None:
    """``check_policy`` of a delegation's ``pol``; a malformed one is ``InvalidToken`` naming the
    delegation, with a hint for its receiver (who cannot rewrite it) rather than its author."""
    checked_token_policy(token)


MAX_DELEGATED_STATEMENTS = 4096
"""Most policy statements (nested ones included) that the delegations of one chain not issued by
the executor may hold together, when ``validate_invocation`` is given the executor: what a
delegate can make it parse per request (about 20 ms; a 1 MiB policy of 70,000 statements took
0.33 s). The executor's own delegations are not counted: their policies are its own."""

POLICY_CACHE_STATEMENTS = 200_000
"""Statements the parsed-policy cache holds at most (all entries together; about 40 MB): a
policy is parsed once per process, not once per request. A larger one is not cached."""

_policy_cache: OrderedDict[CID, tuple[int, CheckedPolicy]] = OrderedDict()
_policy_cache_size = 0
_policy_cache_lock = threading.Lock()


def checked_token_policy(token: Token) -> CheckedPolicy:
    """A delegation's ``pol`` parsed for evaluation (``InvalidToken`` as ``check_token_policy``);
    remembered by the delegation's CID (its bytes, so its policy, never change), least recently
    used forgotten first, up to ``POLICY_CACHE_STATEMENTS`` statements; empty policies are not
    remembered (a stub's is empty and must not stand for its delegation's)."""
    global _policy_cache_size
    with _policy_cache_lock:
        hit = _policy_cache.get(token.cid)
        if hit is not None:
            _policy_cache.move_to_end(token.cid)
            return hit[1]
    try:
        policy = checked_policy(token.payload["pol"])
    except InvalidToken as exc:
        raise InvalidToken(f"delegation {token.cid} has a malformed policy: {exc.message}",
                           hint="ask the delegator for a delegation whose policy is well formed") from None
    size = count_statements(token.payload["pol"], POLICY_CACHE_STATEMENTS)
    # An empty policy is never cached: ``_envelope.stub`` tokens carry a real CID with an empty
    # policy, which must never answer for the real delegation's (and an empty one costs nothing).
    if 0 < size <= POLICY_CACHE_STATEMENTS:
        with _policy_cache_lock:
            if token.cid not in _policy_cache:
                _policy_cache[token.cid] = (size, policy)
                _policy_cache_size += size
            while _policy_cache_size > POLICY_CACHE_STATEMENTS:
                _, (gone, _) = _policy_cache.popitem(last=False)
                _policy_cache_size -= gone
    return policy


def _check_delegated_statements(chain: list[Token], executor: str) -> None:
    """``InvalidToken`` when the delegations of ``chain`` that ``executor`` did not issue hold more
    than ``MAX_DELEGATED_STATEMENTS`` policy statements together (counted, not parsed)."""
    left = MAX_DELEGATED_STATEMENTS
    for token in chain:
        if token.iss != executor:
            left -= count_statements(token.payload["pol"], left)
            if left < 0:
                raise InvalidToken(f"the delegations of this chain that its executor did not issue hold more than "
                                   f"{MAX_DELEGATED_STATEMENTS} policy statements together (delegation {token.cid} "
                                   "passes the bound)",
                                   hint=f"ask the delegators for shorter policies: at most {MAX_DELEGATED_STATEMENTS} "
                                        "statements in all the delegations below the executor's own")


def _proofs_by_cid(proofs: Any) -> dict[CID, Token]:
    """``proofs`` (Tokens, or a mapping of their CIDs to them) by CID; else ``InvalidInput``. A
    mapping's key must be its token's own CID: the chain validated is always the one the
    invocation's ``prf`` names (a key naming another token would lend that token's CID, so its
    revocation would be checked for a delegation never validated)."""
    if isinstance(proofs, Mapping):
        by_cid: dict[CID, Token] = {}
        for key, token in proofs.items():
            token = need_token(token, "each of validate_invocation's proofs")
            cid = as_cid(key, "each key of validate_invocation's proofs")
            if cid != token.cid:
                raise InvalidInput(f"validate_invocation's proofs map {cid} to {token.what}, whose CID is not that "
                                   "key", hint="key each proof by its own CID (Token.cid), or give the tokens as a list")
            by_cid[cid] = token
        return by_cid
    need_iterable(proofs, "validate_invocation's proofs", "UCAN Tokens")
    return {token.cid: token for token in (need_token(p, "each of validate_invocation's proofs") for p in proofs)}


def validate_invocation(
    invocation: Token,
    proofs: Iterable[Token] | Mapping[CID, Token],
    now: int,
    *,
    executor: str | None = None,
    revoked: Callable[[CID], bool] | None = None,
    budget: EvalBudget | None = None,
    revokers: Callable[[CID], Collection[str]] | None = None,
) -> Validated:
    """Validate ``invocation`` with the delegations in ``proofs``; raises a ``UcanError`` subclass.
    ``revoked(cid)`` refuses a delegation in any chain; ``revokers(cid)`` (e.g.
    ``Revocations.revokers``) names who revoked it, refused only where one of them issued a
    delegation of this chain.
    ``budget`` bounds the policy evaluation (a fresh ``EvalBudget`` when not given); a caller that
    checks more against the same chain (the jobs a pipeline awaits) passes one to share."""
    invocation = need_token(invocation, "validate_invocation")
    now = need_time(now, "validate_invocation's now")
    by_cid = _proofs_by_cid(proofs)
    if executor is not None:
        need_text(executor, "validate_invocation's executor")
    if revoked is not None and not callable(revoked):
        raise InvalidInput(f"validate_invocation's revoked needs a function (CID -> bool), not {type(revoked).__name__}")
    if revokers is not None and not callable(revokers):
        raise InvalidInput("validate_invocation's revokers needs a function (CID -> DIDs), not "
                           f"{type(revokers).__name__}")
    if budget is None:
        budget = EvalBudget()  # one budget for the whole chain
    elif not isinstance(budget, EvalBudget):
        raise InvalidInput(f"validate_invocation's budget needs an EvalBudget, not {type(budget).__name__}")
    if invocation.kind != "inv":
        raise InvalidToken(f"{invocation.cid} is not an invocation")
    invocation.check_signature()
    check_time(invocation, now)
    prf: list[CID] = list(invocation.payload["prf"])
    if len(prf) > MAX_CHAIN:
        raise InvalidClaim(f"invocation {invocation.cid} names {len(prf)} proofs; a chain has at most {MAX_CHAIN}")
    if len(set(prf)) != len(prf):
        twice = next(cid for cid in prf if prf.count(cid) > 1)
        raise InvalidClaim(f"invocation {invocation.cid} names delegation {twice} more than once in prf "
                           f"(a chain never needs a delegation twice)")
    chain: list[Token] = []
    for cid in prf:
        token = by_cid.get(cid)
        if token is None:
            raise UnavailableProof(f"proof {cid} named by invocation {invocation.cid} was not given")
        if token.kind != "dlg":
            raise InvalidClaim(f"proof {cid} is not a delegation")
        chain.append(token)
    subject = invocation.sub
    if not chain and invocation.iss != subject:
        raise InvalidClaim(f"invocation {invocation.cid} has no proofs, and its issuer {invocation.iss} "
                           f"is not its subject {subject}")
    for token in chain:
        token.check_signature()
        check_time(token, now)
    if chain:
        root = chain[0]
        if root.sub is None:
            raise InvalidClaim(f"root delegation {root.cid} has no subject (a powerline cannot start a chain)")
        for token in chain:
            if token.sub is not None and token.sub != subject:
                raise InvalidSubject(f"delegation {token.cid} is about {token.sub}, the invocation about {subject}")
        if root.iss != root.sub:
            raise InvalidClaim(f"root delegation {root.cid} was issued by {root.iss}, not by its subject {root.sub}")
        for before, after in pairwise(chain):
            if before.aud != after.iss:
                raise InvalidAudience(f"delegation {before.cid} is to {before.aud}, "
                                      f"but the next one {after.cid} was issued by {after.iss}")
        if chain[-1].aud != invocation.iss:
            raise InvalidAudience(f"delegation {chain[-1].cid} is to {chain[-1].aud}, "
                                  f"but the invocation was issued by {invocation.iss}")
    if executor is not None:
        audience = invocation.aud or subject
        if audience != executor:
            raise InvalidAudience(f"invocation {invocation.cid} is for {audience}, not this executor {executor}")
    for token in chain:
        if not command_covers(token.cmd, invocation.cmd):
            raise InvalidClaim(f"delegation {token.cid} grants {token.cmd}, not {invocation.cmd}")
    if revoked is not None:
        for token in chain:
            if revoked(token.cid):
                raise Revoked(f"delegation {token.cid} in the chain was revoked")
    if revokers is not None:
        _check_scoped_revocations(chain, revokers)
    # The chain reaches the subject (and the executor): only now is any policy worth its work.
    if executor is not None:
        _check_delegated_statements(chain, executor)
    validated = Validated(invocation, tuple(chain))  # each policy parsed, once
    for token, policy in zip(validated.chain, validated.policies, strict=True):
        failed = failing_statement(policy, invocation.payload["args"], budget)
        if failed is not None:
            raise MatchError(f"invocation arguments violate delegation {token.cid}'s policy statement "
                             f"{brief(failed)}")
    return validated


def _check_scoped_revocations(chain: list[Token], revokers: Callable[[CID], Collection[str]]) -> None:
    """``Revoked`` when a delegation of ``chain`` was revoked by one of the chain's delegators (the
    issuers of its delegations); a revocation by anyone else leaves this chain valid."""
    delegators = {token.iss for token in chain}
    for token in chain:
        by = delegators.intersection(revokers(token.cid))
        if by:
            raise Revoked(f"delegation {token.cid} in the chain was revoked by {min(by)}, an issuer on this chain")

