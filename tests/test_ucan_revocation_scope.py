"""A delivered UCAN revocation voids its delegation only in the chains that pass through the revoker.

ucan-wg/revocation v1.0.0-rc.1, "Store": a revocation counts against an invocation when its issuer
is among the issuers of the invocation's proofs; "Scope": a chain that does not rely on the revoker
still grants the capability. Before this, a revocation voided the delegation in every chain.

Node A serves (a real ``autocodec serve`` process); node B holds the keys. A delegated ``/wasm/run``
to ``b`` and to ``d``; both re-delegated to ``c``; ``c`` delegated to ``e`` once (``c->e``), so
``e`` reaches A by two chains, ``A->b->c->e`` and ``A->d->c->e``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocodec.verify import SigningKey
from autocodec.verify.ucan import Revocations, Revoked, delegate, invoke, parse_token, revocation, validate_invocation
from tests._cli import run_cli
from tests._serve_proc import ServeProcess

JOB = ("ipld-select", "select", "--arg", '{"a": 5}', "--arg", '"a"')


@dataclass(frozen=True)
class Web:
    a: Path
    b: Path
    url: str
    ucans: dict[str, Path]
    """``Ab``, ``Ad`` (A's grants), ``bc``, ``dc`` (the re-delegations to ``c``), ``ce``."""

    def job(self, *chain: str) -> Any:
        """``e``'s job on A with the proofs named (root first)."""
        proofs = [arg for name in chain for arg in ("--proof", str(self.ucans[name]))]
        return run_cli(self.b, "run", "--remote", self.url, "--key", "e", *proofs, *JOB, check=False)

    def revoke(self, key: str, target: str, *path: str) -> str:
        proofs = [arg for name in path for arg in ("--proof", str(self.ucans[name]))]
        return run_cli(self.b, "ucan", "revoke", str(self.ucans[target]), "--key", key, *proofs,
                       "--to", self.url).stdout.decode()


def _ok(proc: Any) -> bool:
    return proc.returncode == 0 and proc.stdout.decode().splitlines()[-1] == "5"


def _revoked(proc: Any) -> bool:
    err = proc.stderr.decode()
    return proc.returncode == 1 and err.count("\n") == 1 and err.startswith("autocodec: Revoked: ")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    tmp = tmp_path_factory.mktemp("scope")
    a, b = tmp / "A", tmp / "B"
    run_cli(a, "init")
    run_cli(b, "init")
    did = {name: run_cli(b, "key", "gen", name).stdout.decode().strip() for name in ("b", "c", "d", "e")}
    ucans = {name: tmp / f"{name}.ucan" for name in ("Ab", "Ad", "bc", "dc", "ce")}
    with ServeProcess(a, tmp) as srv:
        for name in ("b", "d"):
            run_cli(a, "ucan", "delegate", "--key", "executor", "--to", did[name], "--cmd", "/wasm/run",
                    "-o", str(ucans[f"A{name}"]))
            run_cli(b, "ucan", "delegate", "--key", name, "--to", did["c"], "--cmd", "/wasm/run",
                    "--proof", str(ucans[f"A{name}"]), "-o", str(ucans[f"{name}c"]))
        run_cli(b, "ucan", "delegate", "--key", "c", "--to", did["e"], "--cmd", "/wasm/run",
                "--proof", str(ucans["bc"]), "-o", str(ucans["ce"]))  # the delegation c received
        yield Web(a, b, srv.url, ucans)


@pytest.mark.slow
def test_a_revocation_voids_only_the_chains_through_its_revoker(web: Web) -> None:
    """In module order: b's revocation of c->e, then c's own (the spec's Bob and Carol)."""
    via_b, via_d = ("Ab", "bc", "ce"), ("Ad", "dc", "ce")
    assert _ok(web.job(*via_b)) and _ok(web.job(*via_d))
    # b, above c->e on one path, revokes it: the chain through b is cut, the one through d is not
    ce = parse_token(web.ucans["ce"].read_bytes())
    assert web.revoke("b", "ce", "Ab", "bc").startswith(f"revoked {ce.cid} at {web.url}")
    assert _revoked(web.job(*via_b))
    assert _ok(web.job(*via_d))  # the old code refused this too: the revocation voided c->e everywhere
    # the same revocation again is a replay; c's own revocation is new and is in every chain holding c->e
    assert web.revoke("b", "ce", "Ab", "bc").startswith(f"already revoked {ce.cid}")
    assert web.revoke("c", "ce", "Ad", "dc").startswith(f"revoked {ce.cid} at {web.url}")
    assert _revoked(web.job(*via_b)) and _revoked(web.job(*via_d))
    listed = run_cli(web.a, "ucan", "revoked").stdout.decode()
    assert listed.count(str(ce.cid)) == 2  # one revocation per revoker


@pytest.mark.slow
def test_the_owners_revocation_is_in_every_chain_rooted_at_it(web: Web) -> None:
    """A issued the root of every chain A accepts, so its revocation of b->c reaches every job using it."""
    bc = parse_token(web.ucans["bc"].read_bytes())
    out = run_cli(web.a, "ucan", "revoke", str(web.ucans["bc"]), "--key", "executor", "--proof",
                  str(web.ucans["Ab"]), "--to", web.url)
    assert out.stdout.decode().startswith(f"revoked {bc.cid} at {web.url}")
    assert _revoked(web.job("Ab", "bc", "ce"))


def _diamond() -> tuple[SigningKey, dict[str, Any], dict[str, SigningKey], int]:
    """In process: the same web of delegations, tokens by name."""
    now = int(time.time())
    keys = {name: SigningKey.generate() for name in ("A", "b", "c", "d", "e")}
    t: dict[str, Any] = {}
    for name in ("b", "d"):
        t[f"A{name}"] = delegate(keys["A"], keys[name].did, "/wasm/run", now=now)
        t[f"{name}c"] = delegate(keys[name], keys["c"].did, "/wasm/run", now=now, proof=t[f"A{name}"])
    t["ce"] = delegate(keys["c"], keys["e"].did, "/wasm/run", now=now, proof=t["bc"])
    return keys["A"], t, keys, now


def test_validate_invocation_scopes_revokers_to_the_chain(tmp_path: Path) -> None:
    owner, t, keys, now = _diamond()
    table = Revocations(tmp_path / "db.sqlite")
    assert table.record(revocation(keys["b"], t["ce"], now=now, proofs=(t["Ab"], t["bc"])), t["ce"], (t["Ab"], t["bc"]))
    assert table.revokers(t["ce"].cid) == {keys["b"].did} and table.is_revoked(t["ce"].cid)

    def run(*chain: str) -> None:
        proofs = [t[name] for name in chain]
        job = invoke(keys["e"], owner.did, "/wasm/run", {}, now=now, proofs=proofs)
        validate_invocation(job, proofs, now, revokers=table.revokers)

    with pytest.raises(Revoked, match="revoked by "):
        run("Ab", "bc", "ce")
    run("Ad", "dc", "ce")  # b issued nothing on this chain
    # another issuer's revocation of the same delegation is a new row, not a replay
    assert table.record(revocation(keys["c"], t["ce"], now=now, proofs=(t["Ad"], t["dc"])), t["ce"],
                        (t["Ad"], t["dc"]))
    with pytest.raises(Revoked):
        run("Ad", "dc", "ce")


def test_a_table_from_before_scoping_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    owner, t, keys, now = _diamond()
    db = tmp_path / "db.sqlite"
    with sqlite3.connect(db) as conn:  # the table as the previous version made it: one row per delegation
        conn.execute("CREATE TABLE ucan_revocations (delegation TEXT PRIMARY KEY, revoker TEXT NOT NULL, "
                     "invocation BLOB NOT NULL, at INTEGER NOT NULL, exp INTEGER)")
        old = revocation(keys["b"], t["ce"], now=now, proofs=(t["Ab"], t["bc"]))
        conn.execute("INSERT INTO ucan_revocations VALUES (?, ?, ?, ?, ?)",
                     (str(t["ce"].cid), keys["b"].did, old.data, now, None))
    conn.close()
    table = Revocations(db)
    assert table.revokers(t["ce"].cid) == {keys["b"].did}  # read before any upgrade
    assert table.record(revocation(keys["c"], t["ce"], now=now, proofs=(t["Ad"], t["dc"])), t["ce"],
                        (t["Ad"], t["dc"]))
    assert table.revokers(t["ce"].cid) == {keys["b"].did, keys["c"].did}
    assert not table.record(old, t["ce"], (t["Ab"], t["bc"]))  # still a replay after the upgrade


def test_revokers_must_be_a_function() -> None:
    owner, t, keys, now = _diamond()
    job = invoke(keys["e"], owner.did, "/wasm/run", {}, now=now, proofs=[t["Ab"], t["bc"], t["ce"]])
    from autocodec.errors import InvalidInput

    with pytest.raises(InvalidInput, match="revokers needs a function"):
        validate_invocation(job, [t["Ab"], t["bc"], t["ce"]], now, revokers={"did:key:x"})  # type: ignore[arg-type]
