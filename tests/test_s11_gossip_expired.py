"""A revocation relayed between executors is taken past its own ``exp``; a client's own post is not.

ucan-wg/revocation v1.0.0-rc.1: a revocation is irreversible and kept for the revoked delegation's
lifetime; its own ``exp`` bounds when it may be taken first. Before, a peer checked a pushed or
pulled revocation as a client's post (``Expired`` past its ``exp``) and gossip took that refusal as
final: a peer that was down, or pulled late, never honoured a revocation its sender had recorded
in time. Real ``autocodec serve`` processes on loopback; the unit rows use a real revocation table.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autocodec.ipvm._remote import encode_container, send_revocation
from autocodec.verify import KeyRing, SigningKey
from autocodec.verify.ucan import (
    REVOKE_COMMAND,
    Expired,
    Revocations,
    Token,
    delegate,
    invoke,
    parse_token,
    revoke_authority,
)
from tests._cli import run_cli
from tests._gossip_wait import revocation_log, wait_until
from tests._serve_proc import ServeProcess

JOB = ("ipld-select", "select", "--arg", '{"a": 5}', "--arg", '"a"')
DEADLINE_S = 60.0
"""A generous bound on a push or pull (retried every second at most here)."""
GOSSIP = "[limits.gossip]\nbackoff_s = 0.2\nmax_backoff_s = 1\nretries = 1000\npull_interval_s = 1\n"


def _logged(srv: ServeProcess) -> list[dict[str, Any]]:
    return revocation_log(srv)


def _wait(check: Callable[[], bool], what: str) -> None:
    wait_until(check, what, DEADLINE_S)


def _peers(home: Path, *urls: str) -> None:
    (home / "config.toml").write_text("[ipvm]\npeers = [" + ", ".join(json.dumps(u) for u in urls) + "]\n\n" + GOSSIP,
                                      encoding="utf-8")


@pytest.mark.slow
def test_a_revocation_past_its_exp_reaches_peers_started_late_but_not_from_a_client(tmp_path: Path) -> None:
    """A (peers: B) records a revocation with exp = now+2 while B and C (peers: A) are down; both
    start after that exp: B gets A's push, C pulls A's log, and each refuses the job. D (no peers)
    refuses the same revocation posted by a client, and a ``relayed`` other than 1. On the old
    code B and C refused it as ``Expired`` (push_refused, pull_refused) and never held it."""
    names = ("A", "B", "C", "D")
    homes = {name: tmp_path / name for name in names}
    client = tmp_path / "K"
    for home in (*homes.values(), client):
        run_cli(home, "init")
    run_cli(homes["A"], "key", "gen", "executor")
    for name in names[1:]:  # replicas: one executor key, so one chain works at each
        for suffix in (".pem", ".did"):
            shutil.copy(homes["A"] / "keys" / f"executor{suffix}", homes[name] / "keys" / f"executor{suffix}")
    did = {name: run_cli(client, "key", "gen", name).stdout.decode().strip() for name in ("b", "c")}
    top, below = tmp_path / "b.ucan", tmp_path / "c.ucan"
    run_cli(homes["A"], "ucan", "delegate", "--key", "executor", "--to", did["b"], "--cmd", "/wasm/run", "-o", str(top))
    run_cli(client, "ucan", "delegate", "--key", "b", "--to", did["c"], "--cmd", "/wasm/run", "--proof", str(top),
            "-o", str(below))
    top_token, below_token = parse_token(top.read_bytes()), parse_token(below.read_bytes())
    srv = {name: ServeProcess(homes[name], tmp_path) for name in names}
    _peers(homes["A"], srv["B"].url)
    _peers(homes["C"], srv["A"].url)

    def job(at: ServeProcess) -> tuple[int, str, str]:
        ran = run_cli(client, "run", "--remote", at.url, "--key", "c", "--proof", str(below), "--proof", str(top),
                      *JOB, check=False)
        return ran.returncode, ran.stdout.decode(), ran.stderr.decode()

    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:  # the executors log each push and pull
            mp.setenv("AUTOCODEC_LOG_LEVEL", "info")
            a = stack.enter_context(srv["A"])
            b_key = KeyRing(client / "keys").load("b")
            revoking = invoke(b_key, below_token.sub or b_key.did, REVOKE_COMMAND,
                              {"revoke": below_token.cid, "path": [top_token.cid]}, now=int(time.time()), expires_in=2)
            assert revoking.exp is not None
            assert send_revocation(a.url, revoking, below_token, [top_token])["new"] is True
            while time.time() <= revoking.exp + 1:  # B, C and D start after the revocation's exp
                time.sleep(0.2)
            d = stack.enter_context(srv["D"])
            with pytest.raises(Expired, match="expired at"):  # a client's own post keeps its time check
                send_revocation(d.url, revoking, below_token, [top_token])
            request = urllib.request.Request(d.url + "/ipvm/revoke?relayed=yes", method="POST",
                                             data=encode_container([revoking, below_token, top_token]),
                                             headers={"Content-Type": "application/vnd.ipld.dag-cbor"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 400
            assert _logged(d) == []
            code, out, err = job(d)
            assert code == 0 and out.splitlines()[-1] == "5", err
            b = stack.enter_context(srv["B"])
            c = stack.enter_context(srv["C"])
        _wait(lambda: len(_logged(b)) == 1, "B holds A's pushed revocation, past its exp")
        _wait(lambda: len(_logged(c)) == 1, "C holds the revocation pulled from A's log, past its exp")
        for peer in (b, c):
            code, _, err = job(peer)
            assert code == 1 and err.startswith("autocodec: Revoked: executor "), err
        assert _logged(b)[0]["container"] == _logged(c)[0]["container"] == _logged(a)[0]["container"]
        assert "gossip.pull_refused" not in c.log_path.read_text()
        assert "gossip.push_refused" not in a.log_path.read_text()


def _chain(now: int) -> tuple[dict[str, SigningKey], Token, Token]:
    """Keys and the chain alice -> bob -> carol (``ab``, ``bc``), issued at ``now``."""
    keys = {name: SigningKey.generate() for name in ("alice", "bob", "carol", "zelda")}
    ab = delegate(keys["alice"], keys["bob"].did, "/wasm/run", now=now)
    bc = delegate(keys["bob"], keys["carol"].did, "/wasm/run", now=now, proof=ab)
    return keys, ab, bc


def test_a_relayed_revocation_is_recorded_past_its_own_exp(tmp_path: Path) -> None:
    """Bob's revocation of ``bc`` expired 90 s ago: refused as a post, recorded when relayed (once)."""
    now = int(time.time())
    keys, ab, bc = _chain(now - 100)
    revoking = invoke(keys["bob"], keys["alice"].did, REVOKE_COMMAND, {"revoke": bc.cid, "path": [ab.cid]},
                      now=now - 100, expires_in=10)
    table = Revocations(tmp_path / "db.sqlite")
    with pytest.raises(Expired):
        table.record(revoking, bc, (ab,), now=now)
    assert table.record(revoking, bc, (ab,), now=now, relayed=True)
    assert table.revokers(bc.cid) == {keys["bob"].did}
    assert not table.record(revoking, bc, (ab,), now=now, relayed=True)  # a replay: not new


@pytest.mark.parametrize("authority_lasts", [3600, 50])
def test_a_relayed_delegated_revocation_needs_its_authority_valid_now(tmp_path: Path, authority_lasts: int) -> None:
    """Zelda revokes ``bc`` on Bob's ``/ucan/revoke`` authority; her revocation expired 80 s ago and
    is relayed. With the authority still valid it is recorded as Bob's; with the authority expired
    50 s ago (valid when her revocation was) it is ``Expired``: a relay never lets an expired
    authority sign a revocation dated back into its lifetime."""
    now = int(time.time())
    keys, ab, bc = _chain(now - 100)
    authority = revoke_authority(keys["bob"], keys["zelda"].did, bc, now=now - 100, expires_in=authority_lasts)
    revoking = invoke(keys["zelda"], keys["bob"].did, REVOKE_COMMAND, {"revoke": bc.cid, "path": [ab.cid]},
                      now=now - 90, proofs=(authority,), expires_in=10)
    table = Revocations(tmp_path / "db.sqlite")
    with pytest.raises(Expired):  # as a post: past its own exp
        table.record(revoking, bc, (ab,), now=now, authority=(authority,))
    if authority_lasts == 50:
        with pytest.raises(Expired, match="delegated authority"):
            table.record(revoking, bc, (ab,), now=now, authority=(authority,), relayed=True)
        assert table.revokers(bc.cid) == frozenset()
    else:
        assert table.record(revoking, bc, (ab,), now=now, authority=(authority,), relayed=True)
        assert table.revokers(bc.cid) == {keys["bob"].did}
