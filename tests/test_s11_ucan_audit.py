"""Adversarial audit of UCAN 1.0 validation (session 11): attacks by someone holding one key of a
chain, beyond what the working group's fixtures (../shared/ucan) cover.

Specs: ucan-wg/spec (envelope, time bounds), ucan-wg/delegation (principal alignment, powerline,
commands, policy), ucan-wg/invocation (prf order, validation), ucan-wg/revocation. Every test but
``test_a_proof_mapping_cannot_lend_one_tokens_cid_to_another`` pins behaviour that already held
(the attack was refused before this audit); that one failed on 492e27c (the substituted chain
validated).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from autocodec.errors import InvalidInput
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    INVOCATION_TAG,
    Expired,
    InvalidAudience,
    InvalidClaim,
    InvalidSignature,
    InvalidSubject,
    InvalidToken,
    Token,
    TooEarly,
    check_revocation,
    glob_match,
    matches,
    parse_token,
    revocation,
    seal,
    validate_invocation,
)
from autocodec.verify._canonical import encode
from autocodec.verify.ucan._token import VARSIG_ED25519_DAG_CBOR
from autocodec.verify.ucan._validate import MAX_CHAIN

NOW = 1_700_000_000
A, B, C, M = (SigningKey.from_seed(bytes([n]) * 32) for n in range(1, 5))


def dlg(key: SigningKey, aud: str, cmd: str = "/", sub: str | None = "", **fields: Any) -> Token:
    """A delegation sealed as given (no builder checks): ``sub`` "" is the issuer itself."""
    payload = {"iss": key.did, "aud": aud, "sub": key.did if sub == "" else sub, "cmd": cmd, "pol": [],
               "nonce": os.urandom(12), "exp": None, **fields}
    return seal(key, DELEGATION_TAG, payload)


def inv(key: SigningKey, sub: str, cmd: str, prf: list[Token], args: dict[str, Any] | None = None,
        **fields: Any) -> Token:
    payload = {"iss": key.did, "sub": sub, "cmd": cmd, "args": args or {}, "prf": [t.cid for t in prf],
               "nonce": os.urandom(12), "exp": None, **fields}
    return seal(key, INVOCATION_TAG, payload)


# --- proofs given as a mapping: the defect this audit fixed -----------------------------------------


def test_a_proof_mapping_cannot_lend_one_tokens_cid_to_another() -> None:
    # prf names the revoked delegation; a mapping keyed by that CID held another, unrevoked one, and
    # the chain validated with it (the revocation was checked for the substitute's CID).
    revoked, substitute = dlg(A, B.did), dlg(A, B.did)
    job = inv(B, A.did, "/x", [revoked])
    with pytest.raises(InvalidInput, match="whose CID is not that key"):
        validate_invocation(job, {revoked.cid: substitute}, NOW, revoked=lambda cid: cid == revoked.cid)
    # honest mappings (keyed by CID or its text) still work
    validate_invocation(job, {revoked.cid: revoked}, NOW)
    validate_invocation(job, {str(revoked.cid): revoked}, NOW)  # type: ignore[dict-item]


# --- time bounds ------------------------------------------------------------------------------------


def test_time_bounds_are_inclusive_and_one_second_past_is_refused() -> None:
    root = dlg(A, B.did)
    validate_invocation(inv(B, A.did, "/x", [root], exp=NOW), [root], NOW)  # valid until exp, inclusive
    with pytest.raises(Expired):
        validate_invocation(inv(B, A.did, "/x", [root], exp=NOW - 1), [root], NOW)
    starts = dlg(A, B.did, nbf=NOW)
    validate_invocation(inv(B, A.did, "/x", [starts]), [starts], NOW)  # valid from nbf, inclusive
    with pytest.raises(TooEarly):
        validate_invocation(inv(B, A.did, "/x", [starts]), [starts], NOW - 1)


@pytest.mark.parametrize("at", [0, 1, 2])
def test_the_tightest_bound_of_any_link_wins(at: int) -> None:
    # one link of A->B->C expired a second ago: whichever it is, the chain is expired; then one
    # link starting a second from now: too early
    for bound, error in (({"exp": NOW - 1}, Expired), ({"nbf": NOW + 1}, TooEarly)):
        links = [{}, {}, {}]
        links[at] = bound
        ab = dlg(A, B.did, **links[0])
        bc = dlg(B, C.did, sub=A.did, **links[1])
        job = inv(C, A.did, "/x", [ab, bc], **links[2])
        with pytest.raises(error):
            validate_invocation(job, [ab, bc], NOW)


@pytest.mark.parametrize("exp", [2**53, -(2**53), 2**63, 2**64 - 1, 1.5, True])
def test_times_outside_53_bits_or_not_integers_are_refused(exp: Any) -> None:
    with pytest.raises(InvalidToken):
        dlg(A, B.did, exp=exp)


def test_a_bignum_or_float_time_in_the_bytes_is_refused() -> None:
    good = dlg(A, B.did, exp=5)
    exp = b"cexp\x05"
    assert good.data.count(exp) == 1
    for other in (b"cexp\xc2\x41\x05", b"cexp\xfb\x40\x14\x00\x00\x00\x00\x00\x00", b"cexp\x1a\x00\x00\x00\x05"):
        with pytest.raises(InvalidToken):  # big-int tag 2, a float 5.0, a non-minimal 5
            parse_token(good.data.replace(exp, other))


# --- chains -----------------------------------------------------------------------------------------


def test_principal_misalignment_anywhere_is_refused() -> None:
    ab, bc = dlg(A, B.did), dlg(B, C.did, sub=A.did)
    with pytest.raises(InvalidAudience):  # M invokes on C's delegation
        validate_invocation(inv(M, A.did, "/x", [ab, bc]), [ab, bc], NOW)
    mc = dlg(M, C.did, sub=A.did)  # M is not A->B's audience
    with pytest.raises(InvalidAudience):
        validate_invocation(inv(C, A.did, "/x", [ab, mc]), [ab, mc], NOW)
    about_m = dlg(B, C.did, sub=M.did)
    with pytest.raises(InvalidSubject):
        validate_invocation(inv(C, A.did, "/x", [ab, about_m]), [ab, about_m], NOW)
    self_root = dlg(M, B.did, sub=A.did)  # a root about A not issued by A
    with pytest.raises(InvalidClaim):
        validate_invocation(inv(B, A.did, "/x", [self_root]), [self_root], NOW)
    with pytest.raises(InvalidAudience):  # the executor is not the invocation's audience
        validate_invocation(inv(B, A.did, "/x", [ab]), [ab], NOW, executor=M.did)


def test_duplicate_reordered_cyclic_and_overlong_chains_are_refused() -> None:
    ab, bc = dlg(A, B.did), dlg(B, C.did, sub=A.did)
    with pytest.raises(InvalidClaim, match="more than once"):
        validate_invocation(inv(C, A.did, "/x", [ab, ab, bc]), [ab, bc], NOW)
    with pytest.raises((InvalidClaim, InvalidAudience)):
        validate_invocation(inv(C, A.did, "/x", [bc, ab]), [ab, bc], NOW)
    ba = dlg(B, A.did, sub=A.did)  # a cycle A->B->A->B of distinct tokens: each link aligned
    ab2 = dlg(A, B.did)
    validate_invocation(inv(B, A.did, "/x", [ab, ba, ab2]), [ab, ba, ab2], NOW)  # grants no more than ab
    links = [ab, *([ba, ab2] * MAX_CHAIN)][:MAX_CHAIN + 1]
    with pytest.raises(InvalidClaim, match=f"at most {MAX_CHAIN}"):  # refused before any signature
        validate_invocation(inv(B, A.did, "/x", links), [], NOW)


def test_a_powerline_widens_nothing() -> None:
    with pytest.raises(InvalidClaim, match="powerline"):  # sub null cannot start a chain
        line = dlg(A, B.did, sub=None)
        validate_invocation(inv(B, A.did, "/x", [line]), [line], NOW)
    ab, bc_any = dlg(A, B.did, cmd="/crud"), dlg(B, C.did, sub=None)
    validate_invocation(inv(C, A.did, "/crud/read", [ab, bc_any]), [ab, bc_any], NOW)
    with pytest.raises(InvalidClaim):  # the powerline below cannot widen /crud to /
        validate_invocation(inv(C, A.did, "/wasm/run", [ab, bc_any]), [ab, bc_any], NOW)
    mroot = dlg(M, B.did)  # B's powerline does not make M's grant reach A
    with pytest.raises(InvalidSubject):
        validate_invocation(inv(C, A.did, "/x", [mroot, bc_any]), [mroot, bc_any], NOW)


@pytest.mark.parametrize(("granted", "invoked", "ok"), [
    ("/", "/crudx", True), ("/crud", "/crud", True), ("/crud", "/crud/read", True),
    ("/crud", "/crudx", False), ("/crud", "/cru", False), ("/crud/read", "/crud", False),
])
def test_commands_attenuate_on_segment_boundaries(granted: str, invoked: str, ok: bool) -> None:
    root = dlg(A, B.did, cmd=granted)
    job = inv(B, A.did, invoked, [root])
    if ok:
        validate_invocation(job, [root], NOW)
    else:
        with pytest.raises(InvalidClaim):
            validate_invocation(job, [root], NOW)


@pytest.mark.parametrize("cmd", ["/crud/", "crud", "//crud", "/CRUD", ""])
def test_malformed_commands_are_refused(cmd: str) -> None:
    with pytest.raises(InvalidToken):
        dlg(A, B.did, cmd=cmd)


def test_a_child_cannot_widen_its_parents_policy() -> None:
    ab = dlg(A, B.did, pol=[["==", ".n", 1]])
    bc = dlg(B, C.did, sub=A.did, pol=[])
    validate_invocation(inv(C, A.did, "/x", [ab, bc], {"n": 1}), [ab, bc], NOW)
    with pytest.raises(Exception, match="violate delegation"):
        validate_invocation(inv(C, A.did, "/x", [ab, bc], {"n": 2}), [ab, bc], NOW)


# --- envelopes ----------------------------------------------------------------------------------------


def _sign_raw(key: SigningKey, inner: bytes) -> bytes:
    signature = key.sign(inner)
    return bytes([0x82, 0x58, len(signature)]) + signature + inner


def test_non_canonical_envelopes_are_refused_even_when_signed() -> None:
    good = dlg(A, B.did)
    inner = good.signed_bytes()
    assert parse_token(_sign_raw(A, inner)).cid == good.cid
    payload_at = inner.index(b"\xa7caud")  # the payload map (7 fields) and its first key
    duplicate = inner[:payload_at] + b"\xa8" + inner[payload_at + 1:].replace(b"cexp\xf6", b"cexp\xf6cexp\xf6", 1)
    for bad in (
        inner + b"\x00",                                                      # trailing bytes
        inner[:payload_at] + b"\xbf" + inner[payload_at + 1:] + b"\xff",       # an indefinite-length map
        duplicate,                                                            # a duplicate key
    ):
        with pytest.raises(InvalidToken):
            parse_token(_sign_raw(A, bad))


def test_a_header_or_key_type_other_than_ed25519_is_refused() -> None:
    good = dlg(A, B.did)
    secp = bytes([0x34, 0x01, 0xE7, 0x01, 0x1B, 0x71])
    inner = good.signed_bytes().replace(b"H" + VARSIG_ED25519_DAG_CBOR, b"F" + secp, 1)
    with pytest.raises(InvalidToken, match="varsig header"):
        parse_token(_sign_raw(A, inner))
    secp_did = "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"
    inner_map = {"h": VARSIG_ED25519_DAG_CBOR, DELEGATION_TAG: {**good.payload, "iss": secp_did, "sub": secp_did}}
    as_secp = parse_token(_sign_raw(A, encode(inner_map)))
    with pytest.raises(InvalidSignature, match="not an Ed25519 did:key"):
        as_secp.check_signature()


@pytest.mark.parametrize("did", ["did:key:z6Mk", "did:key:f00ed", "did:key:z6Mk0OIl", "did:key:",
                                 "did:key:z111111111111", "DID:key:z6Mk", "did:key:z6Mk#frag"])
def test_malformed_principals_are_refused(did: str) -> None:
    with pytest.raises(InvalidToken):
        dlg(A, did)


def test_a_signature_with_s_plus_l_does_not_verify() -> None:
    # Ed25519 malleability: S + L verifies under a lax check and would give the same payload a
    # second CID (one a revocation by CID would not name)
    order = 2**252 + 27742317777372353535851937790883648493
    good = dlg(A, B.did)
    s = int.from_bytes(good.signature[32:], "little") + order
    forged = parse_token(good.data.replace(good.signature, good.signature[:32] + s.to_bytes(32, "little")))
    assert forged.cid != good.cid
    with pytest.raises(InvalidSignature):
        forged.check_signature()


# --- policy language ------------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "args", "holds"), [
    ([["==", ".a", 1]], {"a": 1.0}, True),             # an integer equals a float of its value
    ([["==", ".a", 2**53 + 1]], {"a": float(2**53)}, False),  # but exactly, not after rounding
    ([["==", ".a", True]], {"a": 1}, False),           # booleans equal only booleans
    ([["==", ".a", b"x"]], {"a": "x"}, False),         # bytes are not text
    ([["==", ".a", None]], {}, False),                 # a missing path is not null
    ([["==", ".a?", None]], {}, True),                 # an optional one is
    ([["==", ".a[-1]", 3]], {"a": [1, 2, 3]}, True),
    ([["==", ".a[-4]", 1]], {"a": [1, 2, 3]}, False),
    ([["==", '.["a.b"]', 1]], {"a.b": 1, "a": {"b": 2}}, True),
    ([["<", ".a", 2]], {"a": "1"}, False),             # ordering compares numbers only
    ([["like", ".a", "a\\*"]], {"a": "a*"}, True),     # an escaped star is literal
    ([["like", ".a", "a\\*"]], {"a": "ab"}, False),
    ([["like", ".a", "*"]], {"a": 1}, False),          # like matches text only
    ([["all", ".a", ["==", ".", 1]]], {"a": "11"}, False),  # quantifiers take lists and maps only
])
def test_policy_operators_on_every_kind(policy: list[Any], args: dict[str, Any], holds: bool) -> None:
    assert matches(policy, args) is holds


def test_glob_patterns_made_to_backtrack_answer_correctly() -> None:
    # runs are found in order with str.find: no backtracking (timed with `autocodec bench`, not here)
    text = "a" * 200_000
    assert not glob_match("*a" * 50_000 + "*b", text)
    assert glob_match("*a" * 50_000 + "*", text)
    assert not glob_match("*" + "a" * 99 + "b*", text)
    assert glob_match("a*a", "aa") and not glob_match("a*a", "a")


def test_deeply_nested_policies_are_refused_before_evaluation() -> None:
    statement: Any = ["==", ".a", 1]
    for _ in range(40):
        statement = ["not", statement]
    with pytest.raises(InvalidToken, match="nests deeper"):
        matches([statement], {"a": 1})


# --- revocation -------------------------------------------------------------------------------------


def test_a_revocation_by_someone_outside_the_chain_is_refused() -> None:
    ab, bc = dlg(A, B.did), dlg(B, C.did, sub=A.did)
    with pytest.raises(InvalidClaim):  # the builder refuses it...
        revocation(M, bc, now=NOW, proofs=[ab])
    forged = inv(M, A.did, "/ucan/revoke", [], {"revoke": bc.cid, "path": [ab.cid]})
    with pytest.raises(InvalidClaim, match="may not revoke"):  # ...and so does the check
        check_revocation(forged, bc, (ab,), now=NOW)
    below = inv(C, A.did, "/ucan/revoke", [], {"revoke": ab.cid, "path": []})  # a delegate below
    with pytest.raises(InvalidClaim):
        check_revocation(below, ab, (), now=NOW)
