"""Review of the UCAN audit (d46cfdb) and the two revocation gaps it left (session 11).

1. ``validate_invocation``'s proofs as a mapping: each key must be its token's own CID. The token's
   CID is CIDv1 dag-cbor sha2-256 of its exact bytes (``parse_token`` refused any non-canonical
   form, so the bytes as given are the bytes re-encoded), as go-ucan's ``CIDFromBytes`` over the
   sealed bytes; ``prf`` is looked up by exact CID, as go-ucan's container reader does. So a key
   in another multibase is the same CID, and a key naming the same bytes another way (raw codec,
   sha2-512, CIDv0) names no token here: refused, as the same CID in ``prf`` is ``UnavailableProof``.
   No caller in autocodec/ passes a mapping. Pins only: no defect found.
2a. A revocation on its own authority was taken outside its own ``exp``/``nbf`` (a delegated one
   was not: ``validate_invocation`` checks it, and ``RemoteExecutor.accept_revocation`` checks
   every revocation's). ucan-wg/invocation: an invocation is checked for its time bounds; a
   revocation is one. Once recorded it is honoured for the delegation's lifetime
   (ucan-wg/revocation: irreversible, a monotonically-growing set, evicted only after the
   delegation expires), whatever its own ``exp`` says. ``test_an_expired_*``,
   ``test_a_revocation_not_yet_valid_*`` and ``test_a_recorded_*`` (its replay past ``exp`` was
   taken) fail on 363359f.
2b. A principal whose own root about itself is the path witness (M->A about M) above A's powerline
   (``sub`` null) may revoke it (ucan-wg/revocation "Scope": any issuer in a chain holding it), but
   only the chains through M are void; ``autocodec ucan validate DELEGATION`` said ``Revoked`` for
   every chain. ``test_ucan_validate_says_where_*`` fails on 363359f.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from autocodec.cid import CID
from autocodec.errors import InvalidInput
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    INVOCATION_TAG,
    REVOKE_COMMAND,
    Expired,
    Revocations,
    Revoked,
    Token,
    TooEarly,
    UnavailableProof,
    check_revocation,
    revocation,
    revoked_in_every_chain,
    seal,
    validate_invocation,
)
from tests import _cli
from tests._cli import main_here

here = _cli.here  # a home and a.txt, the working directory of an in-process run

NOW = 1_700_000_000
S, A, B, C, M = (SigningKey.from_seed(bytes([n]) * 32) for n in range(11, 16))


def dlg(key: SigningKey, aud: str, sub: str | None = "", **fields: Any) -> Token:
    """A delegation of ``/`` (``sub`` "": about its issuer)."""
    payload = {"iss": key.did, "aud": aud, "sub": key.did if sub == "" else sub, "cmd": "/", "pol": [],
               "nonce": os.urandom(12), "exp": None, **fields}
    return seal(key, DELEGATION_TAG, payload)


def inv(key: SigningKey, sub: str, cmd: str, prf: list[Any], args: dict[str, Any] | None = None,
        **fields: Any) -> Token:
    payload = {"iss": key.did, "sub": sub, "cmd": cmd, "args": args or {}, "prf": [getattr(t, "cid", t) for t in prf],
               "nonce": os.urandom(12), "exp": None, **fields}
    return seal(key, INVOCATION_TAG, payload)


def revoke(key: SigningKey, target: Token, path: tuple[Token, ...] = (), **fields: Any) -> Token:
    """``key``'s own ``/ucan/revoke`` of ``target``, sealed as given (``exp``, ``nbf``: its own bounds)."""
    return inv(key, target.sub or key.did, REVOKE_COMMAND, [],
               {"revoke": target.cid, "path": [p.cid for p in path]}, **fields)


# --- 1. proofs as a mapping: the key is the token's own CID, exactly --------------------------------


def test_a_proof_mapping_key_may_be_the_cid_in_any_base() -> None:
    root = dlg(S, B.did)
    job = inv(B, S.did, "/x", [root])
    for key in (root.cid, str(root.cid), root.cid.encode("base58btc"), root.cid.encode("base36"),
                root.cid.encode("base16"), " " + str(root.cid) + "\n"):
        assert validate_invocation(job, {key: root}, NOW).chain == (root,)  # type: ignore[dict-item]


def test_a_key_naming_the_same_bytes_another_way_is_not_the_tokens_cid() -> None:
    # the canonical CID (go-ucan's CIDFromBytes: CIDv1, dag-cbor, sha2-256 of the sealed bytes)
    root = dlg(S, B.did)
    digest = hashlib.sha256(root.data).digest()
    assert root.cid == CID.build(0x71, bytes([0x12, 32]) + digest)
    raw = CID.build(0x55, bytes([0x12, 32]) + digest)                      # bafkrei...: raw codec
    sha512 = CID.build(0x71, bytes([0x13, 64]) + hashlib.sha512(root.data).digest())
    v0 = CID.build(0x70, bytes([0x12, 32]) + digest, version=0)            # Qm...: dag-pb only
    for other in (raw, sha512, v0):
        with pytest.raises(InvalidInput, match="whose CID is not that key"):
            validate_invocation(inv(B, S.did, "/x", [other]), {other: root}, NOW)
        # the list form finds no token by that CID either: prf is matched exactly, as go-ucan's reader
        with pytest.raises(UnavailableProof):
            validate_invocation(inv(B, S.did, "/x", [other]), [root], NOW)


# --- 2a. a revocation's own time bounds -------------------------------------------------------------


def test_an_expired_revocation_on_its_own_authority_is_refused(tmp_path: Path) -> None:
    ab = dlg(A, B.did)
    late = revoke(A, ab, exp=NOW - 1)
    with pytest.raises(Expired):
        check_revocation(late, ab, now=NOW)
    table = Revocations(tmp_path / "db.sqlite")
    with pytest.raises(Expired):
        table.record(late, ab, now=NOW)
    assert not table.is_revoked(ab.cid)
    check_revocation(revoke(A, ab, exp=NOW), ab, now=NOW)  # exp is inclusive, as any token's


def test_a_revocation_not_yet_valid_is_refused(tmp_path: Path) -> None:
    ab = dlg(A, B.did)
    early = revoke(A, ab, nbf=NOW + 1)
    with pytest.raises(TooEarly):
        check_revocation(early, ab, now=NOW)
    table = Revocations(tmp_path / "db.sqlite")
    with pytest.raises(TooEarly):
        table.record(early, ab, now=NOW)
    assert not table.is_revoked(ab.cid)
    assert table.record(early, ab, now=NOW + 1)


def test_a_recorded_revocation_outlives_its_own_exp(tmp_path: Path) -> None:
    # taken inside its bounds, it is kept until its delegation expires: its own exp passing, a
    # replay of it refused as expired, or another revocation's eviction sweep undo nothing
    ab = dlg(A, B.did, exp=NOW + 10_000)
    table = Revocations(tmp_path / "db.sqlite")
    short = revoke(A, ab, exp=NOW + 10)
    assert table.record(short, ab, now=NOW)
    later = NOW + 1000
    with pytest.raises(Expired):
        table.record(short, ab, now=later)
    other = dlg(A, C.did)
    assert table.record(revoke(A, other), other, now=later)  # a write that evicts expired delegations' rows
    assert table.revokers(ab.cid) == {A.did}
    with pytest.raises(Revoked):
        validate_invocation(inv(B, A.did, "/x", [ab]), [ab], later, revokers=table.revokers)


def test_the_builders_revocation_never_expires() -> None:
    ab = dlg(A, B.did)
    made = revocation(A, ab, now=NOW)
    assert made.exp is None and made.nbf is None
    check_revocation(made, ab, now=2**53 - 1)


# --- 2b. where a revocation by someone upstream voids a delegation ----------------------------------


def test_a_self_rooted_revoker_above_a_powerline_voids_only_its_own_chains(tmp_path: Path) -> None:
    line = dlg(A, B.did, sub=None)            # A's powerline to B
    ma, sa = dlg(M, A.did), dlg(S, A.did)      # M's root about M to A, S's root about S to A
    table = Revocations(tmp_path / "db.sqlite")
    assert table.record(revoke(M, line, (ma,)), line, (ma,), now=NOW)  # M is in the chain M->A->B: it may
    assert table.revokers(line.cid) == {M.did} and not revoked_in_every_chain(line, {M.did})
    validate_invocation(inv(B, S.did, "/x", [sa, line]), [sa, line], NOW, revokers=table.revokers)
    with pytest.raises(Revoked):
        validate_invocation(inv(B, M.did, "/x", [ma, line]), [ma, line], NOW, revokers=table.revokers)
    assert revoked_in_every_chain(line, {M.did, A.did})  # its issuer's revocation is every chain's


def test_an_upstream_revoker_voids_a_delegation_only_through_itself() -> None:
    cb = dlg(C, B.did, sub=S.did)  # below S->A->C, whose A revoked it
    assert not revoked_in_every_chain(cb, {A.did})   # C may hold S's authority by another way
    assert revoked_in_every_chain(cb, {C.did})       # its issuer: every chain holds cb itself
    assert revoked_in_every_chain(cb, {S.did})       # its subject: every chain is rooted at S
    sc = dlg(S, C.did)
    job = inv(B, S.did, "/x", [sc, cb])
    validate_invocation(job, [sc, cb], NOW, revokers=lambda cid: {A.did} if cid == cb.cid else set())


def _write(path: Path, token: Token) -> str:
    path.write_bytes(token.data)
    return str(path)


def test_ucan_validate_says_where_a_delegation_is_revoked(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.home import Home

    line, ma = dlg(A, B.did, sub=None), dlg(M, A.did)
    table = Revocations(Home.resolve().init().db_path)
    table.record(revoke(M, line, (ma,)), line, (ma,), now=NOW)
    name = _write(here / "line.ucan", line)
    status, out, err = main_here(capsys, "ucan", "validate", name, "--at", str(NOW))
    assert (status, err) == (0, "")
    assert out == f"valid delegation {line.cid} (revoked only in the chains through {M.did})\n"
    table.record(revoke(A, line), line, now=NOW)  # now its issuer's: every chain
    status, out, err = main_here(capsys, "ucan", "validate", name, "--at", str(NOW))
    assert status == 1 and not out
    assert err.startswith(f"autocodec: Revoked: delegation {line.cid} was revoked by its issuer {A.did}")
    assert err.count("\n") == 1
    fresh = dlg(A, C.did)
    status, out, _ = main_here(capsys, "ucan", "validate", _write(here / "fresh.ucan", fresh), "--at", str(NOW))
    assert (status, out) == (0, f"valid delegation {fresh.cid}\n")
