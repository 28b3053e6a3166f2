"""UCAN revocations delivered to the executor (``POST /ipvm/revoke``, ``ucan revoke --to URL``).

Node A serves (a real ``autocodec serve`` process on loopback); node B is a client home with keys
``b`` (A delegated ``/wasm/run`` to it), ``c`` (B re-delegated to it) and ``s`` (a stranger). Before
this route a revocation counted only in the home that recorded it: B revoking B->C on its own node
left A serving C (tests/test_ipvm_journey.py). The rules are ucan-wg/revocation's: an issuer of the
revoked delegation, or of one above it on the path witness, may revoke it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocodec.ipvm._remote import encode_container
from autocodec.verify import KeyRing, SigningKey
from autocodec.verify.ucan import REVOKE_COMMAND, Revocations, delegate, invoke, parse_token, revocation
from tests._cli import run_cli
from tests._serve_proc import ServeProcess

pytestmark = pytest.mark.slow

JOB = ("ipld-select", "select", "--arg", '{"a": 5}', "--arg", '"a"')


@dataclass(frozen=True)
class Nodes:
    a: Path
    b: Path
    url: str
    tmp: Path
    top: Path
    """A's delegation to ``b``."""
    below: Path
    """``b``'s re-delegation to ``c``."""

    def job(self) -> list[str]:
        """``c``'s job on A with its chain."""
        return ["run", "--remote", self.url, "--key", "c", "--proof", str(self.below), "--proof", str(self.top), *JOB]

    def key(self, name: str) -> Any:
        return KeyRing(self.b / "keys").load(name)

    def token(self, path: Path) -> Any:
        return parse_token(path.read_bytes())


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    tmp = tmp_path_factory.mktemp("revoke")
    a, b = tmp / "A", tmp / "B"
    run_cli(a, "init")
    run_cli(b, "init")
    did = {name: run_cli(b, "key", "gen", name).stdout.decode().strip() for name in ("b", "c", "s")}
    top, below = tmp / "b.ucan", tmp / "c.ucan"
    with ServeProcess(a, tmp) as srv:
        run_cli(a, "ucan", "delegate", "--key", "executor", "--to", did["b"], "--cmd", "/wasm/run", "-o", str(top))
        run_cli(b, "ucan", "delegate", "--key", "b", "--to", did["c"], "--cmd", "/wasm/run", "--proof", str(top),
                "-o", str(below))
        yield Nodes(a, b, srv.url, tmp, top, below)


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url + "/ipvm/revoke", data=body,
                                     headers={"Content-Type": "application/vnd.ipld.dag-cbor"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _revoked_at_a(nodes: Nodes) -> str:
    return run_cli(nodes.a, "ucan", "revoked").stdout.decode()


def _by_hand(key: SigningKey, target: Any, path: list[Any]) -> Any:
    """A ``/ucan/revoke`` invocation signed by ``key`` without the builder's issuer check."""
    args = {"revoke": target.cid, "path": [p.cid for p in path]}
    return invoke(key, target.sub, REVOKE_COMMAND, args, now=int(time.time()), expires_in=None)


def test_strangers_and_delegates_below_cannot_revoke_and_nothing_is_stored(nodes: Nodes) -> None:
    """Runs before B's revocation (module order): the chain still works afterwards."""
    top, below = nodes.token(nodes.top), nodes.token(nodes.below)
    stranger, c = nodes.key("s"), nodes.key("c")
    # a stranger with the real path: not an issuer on it
    status, doc = _post(nodes.url, encode_container([_by_hand(stranger, below, [top]), below, top]))
    assert (status, doc["error"]) == (403, "InvalidClaim") and "issued neither" in doc["message"] and doc["hint"]
    # a stranger with a path of its own making: not rooted at this executor
    own = delegate(stranger, nodes.key("b").did, "/wasm/run", now=int(time.time()))
    fake = _by_hand(stranger, below, [own])
    status, doc = _post(nodes.url, encode_container([fake, below, own]))
    assert (status, doc["error"]) == (403, "InvalidSubject") and doc["hint"]
    # c, below A->B, revoking A->B: neither its own nor above it
    status, doc = _post(nodes.url, encode_container([_by_hand(c, top, []), top]))
    assert (status, doc["error"]) == (403, "InvalidClaim")
    # the CLI refuses it before sending, in one line
    proc = run_cli(nodes.b, "ucan", "revoke", str(nodes.top), "--key", "c", "--to", nodes.url, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1 and err.startswith("autocodec: InvalidClaim: ")
    assert str(top.cid) not in _revoked_at_a(nodes) and str(below.cid) not in _revoked_at_a(nodes)
    assert run_cli(nodes.b, *nodes.job()).stdout.decode().splitlines()[-1] == "5"


def test_malformed_and_oversized_bodies_are_refused_with_typed_bodies(nodes: Nodes) -> None:
    top, below, b = nodes.token(nodes.top), nodes.token(nodes.below), nodes.key("b")
    status, doc = _post(nodes.url, b"\xa1\x61x\x01")  # DAG-CBOR, but not a container
    assert (status, doc["error"]) == (400, "InvalidToken") and doc["hint"]
    status, doc = _post(nodes.url, b"not cbor at all")
    assert (status, doc["error"]) == (400, "InvalidToken")
    padded = invoke(b, top.sub, REVOKE_COMMAND, {"revoke": below.cid, "path": [top.cid], "why": "x" * 20_000},
                    now=int(time.time()), expires_in=None)  # a revocation padded past what a row keeps
    status, doc = _post(nodes.url, encode_container([padded, below, top]))
    assert (status, doc["error"]) == (400, "InvalidToken") and "over" in doc["message"]
    status, doc = _post(nodes.url, encode_container([_by_hand(b, below, [top]), top]))  # revoked one not shipped
    assert (status, doc["error"]) == (403, "UnavailableProof")
    status, doc = _post(nodes.url, b"\x00" * (4 * 1024 * 1024 + 1))  # over limits.remote.max_request_bytes
    assert (status, doc["error"]) == (413, "InvalidInput")
    assert str(below.cid) not in _revoked_at_a(nodes)


def test_a_redelegators_revocation_delivered_to_the_executor_cuts_the_chain(nodes: Nodes) -> None:
    """B revokes B->C at A over HTTP; C's next job on A is refused ``Revoked``; replays are harmless."""
    below = nodes.token(nodes.below)
    assert run_cli(nodes.b, *nodes.job()).stdout.decode().splitlines()[-1] == "5"
    out = nodes.tmp / "revocation.ucan"
    sent = run_cli(nodes.b, "ucan", "revoke", str(nodes.below), "--key", "b", "--proof", str(nodes.top),
                   "--to", nodes.url, "-o", str(out)).stdout.decode()
    assert sent.startswith(f"revoked {below.cid} at {nodes.url} (revocation ")
    assert str(below.cid) in _revoked_at_a(nodes)
    refused = run_cli(nodes.b, *nodes.job(), check=False)
    err = refused.stderr.decode()
    assert refused.returncode == 1 and err.count("\n") == 1 and err.startswith("autocodec: Revoked: executor ")
    status, doc = _post(nodes.url, encode_container([parse_token(out.read_bytes()), below, nodes.token(nodes.top)]))
    assert status == 200 and doc == {"revoked": str(below.cid), "revocation": str(parse_token(out.read_bytes()).cid),
                                     "new": False}
    again = run_cli(nodes.b, "ucan", "revoke", str(nodes.below), "--key", "b", "--proof", str(nodes.top),
                    "--to", nodes.url).stdout.decode()
    assert again.startswith(f"already revoked {below.cid} at {nodes.url}")
    assert _revoked_at_a(nodes).count(str(below.cid)) == 1


def test_the_executors_owner_revokes_without_a_path(nodes: Nodes) -> None:
    b = nodes.key("b")
    owner = KeyRing(nodes.a / "keys").load("executor")
    grant = delegate(owner, b.did, "/wasm/run", now=int(time.time()))
    own = nodes.tmp / "own.ucan"
    own.write_bytes(grant.data)
    out = run_cli(nodes.a, "ucan", "revoke", str(own), "--key", "executor", "--to", nodes.url).stdout.decode()
    assert out.startswith(f"revoked {grant.cid} at {nodes.url}")


def test_the_store_evicts_expired_delegations_and_is_bounded(tmp_path: Path) -> None:
    owner, bob, carol = (SigningKey.generate() for _ in range(3))
    now = int(time.time())
    root = delegate(owner, bob.did, "/wasm/run", now=now - 4000, expires_in=3600)  # expired 400 s ago
    table = Revocations(tmp_path / "db.sqlite", max_rows=2)
    assert table.record(revocation(owner, root, now=now), root, now=now)
    assert not table.record(revocation(owner, root, now=now), root, now=now)  # a replay: not new
    grants = [delegate(owner, bob.did, "/wasm/run", now=now) for _ in range(3)]
    subs = [delegate(bob, carol.did, "/wasm/run", now=now, proof=g) for g in grants]
    assert table.record(revocation(bob, subs[0], now=now, proofs=(grants[0],)), subs[0], (grants[0],))
    assert table.record(revocation(bob, subs[1], now=now, proofs=(grants[1],)), subs[1], (grants[1],))
    assert not table.is_revoked(root.cid)  # evicted: 300 s after it expired, it validates nowhere
    from autocodec.errors import RateLimited

    with pytest.raises(RateLimited):
        table.record(revocation(bob, subs[2], now=now, proofs=(grants[2],)), subs[2], (grants[2],))
    assert not table.is_revoked(subs[2].cid)
    table.record(revocation(bob, subs[2], now=now, proofs=(grants[2],)), subs[2], (grants[2],), owner=bob.did)
    assert table.is_revoked(subs[2].cid)  # the owner's revocation is always kept
