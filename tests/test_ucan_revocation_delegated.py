"""Delegated revocation authority (ucan-wg/revocation v1.0.0-rc.1, "Delegating Revocation").

A revoker R delegates ``/ucan/revoke`` (a policy naming the revoked delegation) to Zelda, who is
on no chain of it; Zelda's revocation names that chain in its ``prf`` and is recorded as R's, so
it cuts exactly the chains R's own revocation would. Before, a revocation counted only for its own
issuer: Zelda was no revoker and ``Revocations.record`` / ``revocation`` took no authority.

The web: Alice (the subject) -> Bob -> Carol -> Dan, and Alice -> Eve -> Carol, so Dan reaches
Alice by ``ab, bc, cd`` and by ``ae, ec, cd``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocodec.verify import KeyRing, SigningKey
from autocodec.verify._canonical import decode_canonical
from autocodec.verify.ucan import (
    REVOKE_COMMAND,
    Expired,
    InvalidAudience,
    InvalidClaim,
    InvalidToken,
    MatchError,
    Revocations,
    Revoked,
    TooEarly,
    Token,
    delegate,
    invoke,
    parse_token,
    revocation,
    revoke_authority,
    revoker,
    validate_invocation,
)
from autocodec.verify.ucan._revocations import AUTHORITY_HINT, MAX_REVOCATION_BYTES
from tests._cli import run_cli
from tests._serve_proc import ServeProcess


@dataclass(frozen=True)
class Web:
    keys: dict[str, SigningKey]
    t: dict[str, Token]
    now: int
    table: Revocations

    def did(self, name: str) -> str:
        return self.keys[name].did

    def run(self, *chain: str) -> None:
        """Dan's job on Alice with the delegations named (root first), checked against the table."""
        proofs = [self.t[name] for name in chain]
        job = invoke(self.keys["dan"], self.did("alice"), "/wasm/run", {}, now=self.now, proofs=proofs)
        validate_invocation(job, proofs, self.now, revokers=self.table.revokers)

    def by_zelda(self, target: str, path: tuple[str, ...], authority: tuple[Token, ...], subject: str = "") -> Token:
        """Zelda's revocation of ``target`` acting on ``authority`` (about ``subject``, else the
        authority's root issuer), signed without the builder's checks."""
        args = {"revoke": self.t[target].cid, "path": [self.t[name].cid for name in path]}
        return invoke(self.keys["zelda"], subject or authority[0].iss, REVOKE_COMMAND, args, now=self.now,
                      proofs=authority, expires_in=None)

    def record(self, revoking: Token, target: str, path: tuple[str, ...], authority: tuple[Token, ...]) -> bool:
        return self.table.record(revoking, self.t[target], tuple(self.t[n] for n in path), owner=self.did("alice"),
                                 now=self.now, authority=authority)


@pytest.fixture
def web(tmp_path: Path) -> Web:
    now = int(time.time())
    keys = {name: SigningKey.generate() for name in ("alice", "bob", "carol", "dan", "eve", "zelda", "mallory")}
    t: dict[str, Token] = {}
    t["ab"] = delegate(keys["alice"], keys["bob"].did, "/wasm/run", now=now)
    t["ae"] = delegate(keys["alice"], keys["eve"].did, "/wasm/run", now=now)
    t["bc"] = delegate(keys["bob"], keys["carol"].did, "/wasm/run", now=now, proof=t["ab"])
    t["ec"] = delegate(keys["eve"], keys["carol"].did, "/wasm/run", now=now, proof=t["ae"])
    t["cd"] = delegate(keys["carol"], keys["dan"].did, "/wasm/run", now=now, proof=t["bc"])
    return Web(keys, t, now, Revocations(tmp_path / "db.sqlite"))


def test_zeldas_revocation_on_alices_authority_cuts_dans_chain(web: Web) -> None:
    az = revoke_authority(web.keys["alice"], web.did("zelda"), web.t["cd"], now=web.now)
    assert az.cmd == REVOKE_COMMAND and az.sub == web.did("alice")
    web.run("ab", "bc", "cd")  # works before
    revoking = revocation(web.keys["zelda"], web.t["cd"], now=web.now, proofs=(web.t["ab"], web.t["bc"]),
                          authority=(az,))
    assert revoking.iss == web.did("zelda") and revoking.sub == web.did("alice")
    assert revoker(revoking, (az,), now=web.now) == web.did("alice")
    assert web.record(revoking, "cd", ("ab", "bc"), (az,))
    assert web.table.revokers(web.t["cd"].cid) == {web.did("alice")}  # recorded as Alice's revocation
    with pytest.raises(Revoked, match="revoked by " + web.did("alice")):
        web.run("ab", "bc", "cd")
    with pytest.raises(Revoked):  # Alice roots every chain: her revocation cuts both
        web.run("ae", "ec", "cd")
    assert not web.record(revoking, "cd", ("ab", "bc"), (az,))  # a replay: not new
    with sqlite3.connect(web.table._db_path) as conn:  # the evidence: the invocation and its authority
        invocation, authority = conn.execute("SELECT invocation, authority FROM ucan_revocations").fetchone()
    conn.close()
    assert invocation == revoking.data
    assert decode_canonical(authority, max_bytes=MAX_REVOCATION_BYTES, what="evidence") == [az.data]


def test_bobs_delegated_revocation_cuts_only_the_chains_through_bob(web: Web) -> None:
    bz = revoke_authority(web.keys["bob"], web.did("zelda"), web.t["cd"], now=web.now)
    assert bz.sub == web.did("bob")  # Bob's authority to revoke: about Bob, rooted at Bob
    revoking = revocation(web.keys["zelda"], web.t["cd"], now=web.now, proofs=(web.t["ab"], web.t["bc"]),
                          authority=(bz,))
    assert web.record(revoking, "cd", ("ab", "bc"), (bz,))
    assert web.table.revokers(web.t["cd"].cid) == {web.did("bob")}
    with pytest.raises(Revoked, match="revoked by " + web.did("bob")):
        web.run("ab", "bc", "cd")
    web.run("ae", "ec", "cd")  # Bob issued nothing on this chain


def test_a_re_delegated_revoke_authority_acts_for_its_root(web: Web) -> None:
    ay = revoke_authority(web.keys["alice"], web.keys["eve"].did, web.t["cd"], now=web.now)
    yz = revoke_authority(web.keys["eve"], web.did("zelda"), web.t["cd"], now=web.now, proof=ay)
    assert yz.sub == web.did("alice")
    assert web.record(web.by_zelda("cd", ("ab", "bc"), (ay, yz)), "cd", ("ab", "bc"), (ay, yz))
    assert web.table.revokers(web.t["cd"].cid) == {web.did("alice")}


def test_a_policy_naming_another_delegation_is_refused(web: Web) -> None:
    az = revoke_authority(web.keys["alice"], web.did("zelda"), web.t["cd"], now=web.now)
    revoking = revocation(web.keys["zelda"], web.t["bc"], now=web.now, proofs=(web.t["ab"],), authority=(az,))
    with pytest.raises(MatchError, match="delegated authority") as caught:
        web.record(revoking, "bc", ("ab",), (az,))
    assert caught.value.hint == AUTHORITY_HINT
    assert not web.table.is_revoked(web.t["bc"].cid)
    web.run("ab", "bc", "cd")


def test_mallory_not_on_the_chain_cannot_delegate_revocation(web: Web) -> None:
    mz = revoke_authority(web.keys["mallory"], web.did("zelda"), web.t["cd"], now=web.now)
    with pytest.raises(InvalidClaim, match="issued neither"):  # the builder says so before signing
        revocation(web.keys["zelda"], web.t["cd"], now=web.now, proofs=(web.t["ab"], web.t["bc"]), authority=(mz,))
    with pytest.raises(InvalidClaim, match=f"{web.did('mallory')} issued neither") as caught:
        web.record(web.by_zelda("cd", ("ab", "bc"), (mz,)), "cd", ("ab", "bc"), (mz,))
    assert caught.value.hint == AUTHORITY_HINT
    # nor by claiming Alice as the subject of a delegation Mallory signed
    forged = delegate(web.keys["mallory"], web.did("zelda"), REVOKE_COMMAND, now=web.now, subject=web.did("alice"),
                      policy=[["==", ".revoke", web.t["cd"].cid]])
    with pytest.raises(InvalidClaim, match="not by its subject"):
        web.record(web.by_zelda("cd", ("ab", "bc"), (forged,), web.did("alice")), "cd", ("ab", "bc"), (forged,))
    assert not web.table.is_revoked(web.t["cd"].cid)
    web.run("ab", "bc", "cd")


def test_a_revoke_authority_out_of_its_time_bounds_is_refused(web: Web) -> None:
    old = revoke_authority(web.keys["alice"], web.did("zelda"), web.t["cd"], now=web.now - 4000, expires_in=3600)
    with pytest.raises(Expired, match="delegated authority"):
        web.record(web.by_zelda("cd", ("ab", "bc"), (old,)), "cd", ("ab", "bc"), (old,))
    early = delegate(web.keys["alice"], web.did("zelda"), REVOKE_COMMAND, now=web.now, not_before=web.now + 600,
                     policy=[["==", ".revoke", web.t["cd"].cid]])
    with pytest.raises(TooEarly, match="delegated authority"):
        web.record(web.by_zelda("cd", ("ab", "bc"), (early,)), "cd", ("ab", "bc"), (early,))
    assert not web.table.is_revoked(web.t["cd"].cid)


def test_a_broken_or_missing_revoke_chain_is_refused(web: Web) -> None:
    to_eve = revoke_authority(web.keys["alice"], web.keys["eve"].did, web.t["cd"], now=web.now)
    with pytest.raises(InvalidAudience, match="delegated authority"):  # to Eve, invoked by Zelda
        web.record(web.by_zelda("cd", ("ab", "bc"), (to_eve,)), "cd", ("ab", "bc"), (to_eve,))
    az = revoke_authority(web.keys["alice"], web.did("zelda"), web.t["cd"], now=web.now)
    from autocodec.verify.ucan import UnavailableProof

    with pytest.raises(UnavailableProof, match="delegated authority"):  # prf names it, not given
        web.record(web.by_zelda("cd", ("ab", "bc"), (az,)), "cd", ("ab", "bc"), ())
    everything = delegate(web.keys["alice"], web.did("zelda"), "/", now=web.now)
    with pytest.raises(InvalidClaim, match="only by name"):  # a powerline does not carry the power to revoke
        web.record(web.by_zelda("cd", ("ab", "bc"), (everything,)), "cd", ("ab", "bc"), (everything,))
    assert not web.table.is_revoked(web.t["cd"].cid)


def test_a_revoke_chain_over_the_bounds_is_refused(web: Web) -> None:
    keys = [web.keys["alice"], *(SigningKey.generate() for _ in range(32)), web.keys["zelda"]]
    chain = [revoke_authority(keys[0], keys[1].did, web.t["cd"], now=web.now)]
    for issuer, audience in zip(keys[1:-1], keys[2:]):
        chain.append(revoke_authority(issuer, audience.did, web.t["cd"], now=web.now, proof=chain[-1]))
    assert len(chain) == 33
    long = web.by_zelda("cd", ("ab", "bc"), tuple(chain))
    with pytest.raises(InvalidClaim, match="names 33 proofs; a chain has at most 32"):
        web.record(long, "cd", ("ab", "bc"), tuple(chain))
    fat = delegate(web.keys["alice"], web.did("zelda"), REVOKE_COMMAND, now=web.now,
                   policy=[["==", ".revoke", web.t["cd"].cid]], meta={"pad": "x" * MAX_REVOCATION_BYTES})
    with pytest.raises(InvalidToken, match="with its authority, over 16384"):
        web.record(web.by_zelda("cd", ("ab", "bc"), (fat,)), "cd", ("ab", "bc"), (fat,))
    assert not web.table.is_revoked(web.t["cd"].cid)


# --- through a real serve process: the route and the CLI carry the authority ---------------------

JOB = ("ipld-select", "select", "--arg", '{"a": 5}', "--arg", '"a"')


@dataclass(frozen=True)
class Nodes:
    a: Path
    b: Path
    url: str
    tmp: Path


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    tmp = tmp_path_factory.mktemp("delegated")
    a, b = tmp / "A", tmp / "B"
    run_cli(a, "init")
    run_cli(b, "init")
    with ServeProcess(a, tmp) as srv:
        yield Nodes(a, b, srv.url, tmp)


def _chain(nodes: Nodes, tag: str) -> tuple[dict[str, str], Path, Path]:
    """Keys ``b``, ``c``, ``z`` (fresh, named by ``tag``) in B; the executor's grant to b and b's to c."""
    did = {n: run_cli(nodes.b, "key", "gen", f"{n}{tag}").stdout.decode().strip() for n in ("b", "c", "z")}
    top, below = nodes.tmp / f"b{tag}.ucan", nodes.tmp / f"c{tag}.ucan"
    run_cli(nodes.a, "ucan", "delegate", "--key", "executor", "--to", did["b"], "--cmd", "/wasm/run", "-o", str(top))
    run_cli(nodes.b, "ucan", "delegate", "--key", f"b{tag}", "--to", did["c"], "--cmd", "/wasm/run", "--proof",
            str(top), "-o", str(below))
    return did, top, below


def _job(nodes: Nodes, tag: str, top: Path, below: Path) -> Any:
    return run_cli(nodes.b, "run", "--remote", nodes.url, "--key", f"c{tag}", "--proof", str(below), "--proof",
                   str(top), *JOB, check=False)


def _authority(nodes: Nodes, issuer: str, home: Path, to: str, target: Path, tag: str) -> Path:
    out = nodes.tmp / f"revoke-authority-{tag}.ucan"
    link = '{"/": "%s"}' % parse_token(target.read_bytes()).cid
    run_cli(home, "ucan", "delegate", "--key", issuer, "--to", to, "--cmd", REVOKE_COMMAND,
            "--policy", f'[["==", ".revoke", {link}]]', "-o", str(out))
    return out


@pytest.mark.slow
def test_a_delegated_revocation_reaches_the_executor(nodes: Nodes) -> None:
    did, top, below = _chain(nodes, "1")
    assert _job(nodes, "1", top, below).returncode == 0
    bz = _authority(nodes, "b1", nodes.b, did["z"], below, "1")
    out = run_cli(nodes.b, "ucan", "revoke", str(below), "--key", "z1", "--proof", str(top), "--authority", str(bz),
                  "--to", nodes.url).stdout.decode()
    assert out.startswith(f"revoked {parse_token(below.read_bytes()).cid} at {nodes.url}")
    refused = _job(nodes, "1", top, below)
    assert refused.returncode == 1 and refused.stderr.decode().startswith("autocodec: Revoked: ")
    b_did = KeyRing(nodes.b / "keys").load("b1").did
    listed = run_cli(nodes.a, "ucan", "revoked").stdout.decode()
    assert f"{parse_token(below.read_bytes()).cid}\t{b_did}\t" in listed  # recorded as b's revocation


@pytest.mark.slow
def test_a_delegated_revocation_for_another_delegation_is_refused_by_the_executor(nodes: Nodes) -> None:
    did, top, below = _chain(nodes, "2")
    bz = _authority(nodes, "b2", nodes.b, did["z"], top, "2")  # names the executor's grant, not b->c
    proc = run_cli(nodes.b, "ucan", "revoke", str(below), "--key", "z2", "--proof", str(top), "--authority",
                   str(bz), "--to", nodes.url, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith("autocodec: MatchError: ") and err.count("\n") == 1
    assert _job(nodes, "2", top, below).returncode == 0


def test_a_revoked_revoke_authority_grants_nothing(web: Web) -> None:
    az = revoke_authority(web.keys["alice"], web.did("zelda"), web.t["cd"], now=web.now)
    assert web.table.record(revocation(web.keys["alice"], az, now=web.now), az, now=web.now)  # Alice takes it back
    with pytest.raises(Revoked, match="delegated authority"):
        web.record(web.by_zelda("cd", ("ab", "bc"), (az,)), "cd", ("ab", "bc"), (az,))
    assert not web.table.is_revoked(web.t["cd"].cid)
