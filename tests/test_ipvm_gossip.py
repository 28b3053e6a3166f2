"""UCAN revocations passed between executors (``ipvm._gossip``): real ``autocodec serve`` processes on loopback.

Four executors share one key (replicas: the same delegation chains work at each): A names B, C
and D as peers, B names A (a loop) and H, a hostile peer whose log serves a forged revocation; D
is down when the revocation is made at A. The client's keys live in a home of their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from autocodec.config import GossipLimits
from autocodec.errors import ConfigError, RateLimited
from autocodec.ipvm._gossip import Gossip, RevocationLog, _PeerPusher, load_peers, page_json
from autocodec.ipvm._remote import encode_container
from autocodec.verify import KeyRing
from autocodec.verify.ucan import REVOKE_COMMAND, invoke, parse_token
from tests._cli import run_cli
from tests._kubo import free_port
from tests._gossip_wait import revocation_log, wait_until
from tests._serve_proc import ServeProcess

pytestmark = pytest.mark.slow

JOB = ("ipld-select", "select", "--arg", '{"a": 5}', "--arg", '"a"')
DEADLINE_S = 120.0
"""A generous bound on how long a revocation may take to spread (pushes are retried after 0.2-1 s)."""


@dataclass
class Net:
    tmp: Path
    client: Path
    top: Path
    below: Path
    a: ServeProcess
    b: ServeProcess
    c: ServeProcess
    d: ServeProcess
    forged: str

    def job(self, srv: ServeProcess) -> subprocess.CompletedProcess[bytes]:
        """``c``'s job at ``srv`` with its chain (rooted at the executors' shared key)."""
        return run_cli(self.client, "run", "--remote", srv.url, "--key", "c", "--proof", str(self.below),
                       "--proof", str(self.top), *JOB, check=False)


def _logged(srv: ServeProcess) -> list[dict[str, Any]]:
    return revocation_log(srv)


def _wait(check: Callable[[], bool], what: str) -> None:
    wait_until(check, what, DEADLINE_S)


@contextlib.contextmanager
def _http_peer(answer: Callable[[str], dict[str, Any]]) -> Iterator[str]:
    """A real HTTP peer on loopback (its base URL): each GET is answered 200 with ``answer(path)``
    as JSON; each POST is read and answered 200 with no body."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = json.dumps(answer(self.path)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _since(path: str) -> int:
    return int(path.split("since=")[1].split("&")[0])


def _hostile(forged: bytes) -> contextlib.AbstractContextManager[str]:
    """A peer whose revocation log serves ``forged`` (and takes pushes without a word)."""
    return _http_peer(lambda path: page_json([(1, forged)], 0) if _since(path) == 0 else page_json([], 1))


def _config(home: Path, peers: list[str]) -> None:
    (home / "config.toml").write_text(
        "[ipvm]\npeers = [" + ", ".join(json.dumps(p) for p in peers) + "]\n\n"
        "[limits.gossip]\nbackoff_s = 0.2\nmax_backoff_s = 1\npull_interval_s = 1\n", encoding="utf-8")


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    tmp = tmp_path_factory.mktemp("gossip")
    homes = {name: tmp / name for name in ("A", "B", "C", "D", "K")}
    for home in homes.values():
        run_cli(home, "init")
    run_cli(homes["A"], "key", "gen", "executor")
    for name in ("B", "C", "D"):  # replicas: one executor key
        for suffix in (".pem", ".did"):
            shutil.copy(homes["A"] / "keys" / f"executor{suffix}", homes[name] / "keys" / f"executor{suffix}")
    did = {name: run_cli(homes["K"], "key", "gen", name).stdout.decode().strip() for name in ("b", "c", "s")}
    top, below = tmp / "b.ucan", tmp / "c.ucan"
    run_cli(homes["A"], "ucan", "delegate", "--key", "executor", "--to", did["b"], "--cmd", "/wasm/run", "-o", str(top))
    run_cli(homes["K"], "ucan", "delegate", "--key", "b", "--to", did["c"], "--cmd", "/wasm/run", "--proof", str(top),
            "-o", str(below))
    stranger = KeyRing(homes["K"] / "keys").load("s")
    below_token, top_token = parse_token(below.read_bytes()), parse_token(top.read_bytes())
    forged = invoke(stranger, top_token.sub, REVOKE_COMMAND, {"revoke": below_token.cid, "path": [top_token.cid]},
                    now=int(time.time()), expires_in=None)
    srv = {name: ServeProcess(homes[name], tmp) for name in ("A", "B", "C", "D")}
    with contextlib.ExitStack() as stack:
        hostile = stack.enter_context(_hostile(encode_container([forged, below_token, top_token])))
        _config(homes["A"], [srv["B"].url, srv["C"].url, srv["D"].url])
        _config(homes["B"], [srv["A"].url, hostile])
        stack.callback(srv["D"].__exit__)
        with pytest.MonkeyPatch.context() as mp:  # the executors log each push; the CLI runs stay quiet
            mp.setenv("AUTOCODEC_LOG_LEVEL", "info")
            for name in ("A", "B", "C"):
                stack.enter_context(srv[name])
        yield Net(tmp, homes["K"], top, below, srv["A"], srv["B"], srv["C"], srv["D"], str(forged.cid))


def test_a_forged_revocation_from_a_hostile_peer_is_refused(net: Net) -> None:
    """B pulls H's log at start: the forged revocation is checked as any post and refused; nothing is kept."""
    _wait(lambda: "gossip.pull_refused" in net.b.log_path.read_text(), "B refuses H's forged revocation")
    line = next(ln for ln in net.b.log_path.read_text().splitlines() if "gossip.pull_refused" in ln)
    assert "InvalidClaim" in line and "issued neither" in line
    assert _logged(net.b) == [] and _logged(net.a) == []
    assert net.job(net.b).stdout.decode().splitlines()[-1] == "5"


def test_a_revocation_at_one_executor_reaches_its_peers_and_the_loop_ends(net: Net) -> None:
    below = parse_token(net.below.read_bytes())
    assert net.job(net.c).stdout.decode().splitlines()[-1] == "5"
    sent = run_cli(net.client, "ucan", "revoke", str(net.below), "--key", "b", "--proof", str(net.top),
                   "--to", net.a.url).stdout.decode()
    assert sent.startswith(f"revoked {below.cid} at {net.a.url}")
    for srv in (net.b, net.c):
        _wait(lambda srv=srv: len(_logged(srv)) == 1, f"{srv.url} holds the revocation")  # type: ignore[misc]
        refused = net.job(srv)
        err = refused.stderr.decode()
        assert refused.returncode == 1 and err.startswith("autocodec: Revoked: executor "), err
    # B passed it back to A, which held it already ("new": false) and passed it no further
    _wait(lambda: any("gossip.pushed" in ln and net.a.url in ln and "new=False" in ln
                      for ln in net.b.log_path.read_text().splitlines()), "B's push to A is answered")
    assert len(_logged(net.a)) == 1 and len(_logged(net.b)) == 1
    a_log = net.a.log_path.read_text()
    assert a_log.count("gossip.pushed") == 2, a_log  # to B and C; D is down (retried)
    assert "gossip.push_failed" in a_log and net.d.url in a_log


def test_a_peer_down_at_the_revocation_gets_it_once_up(net: Net) -> None:
    with net.d:
        _wait(lambda: len(_logged(net.d)) == 1, "D, started after the revocation, holds it")
        refused = net.job(net.d)
        assert refused.returncode == 1 and refused.stderr.decode().startswith("autocodec: Revoked: executor ")


def test_a_peer_url_that_is_not_http_is_refused_at_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    (home / "config.toml").write_text('[ipvm]\npeers = ["ftp://10.0.0.2"]\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "autocodec", "serve", "--port", str(free_port())],
                          env={**os.environ, "AUTOCODEC_HOME": str(home)}, capture_output=True,
                          timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode != 0 and "ConfigError" in err and "ipvm.peers[0]" in err and "Traceback" not in err, err


def test_load_peers_checks_each_url_and_the_count() -> None:
    limits = GossipLimits(max_peers=2)
    assert load_peers({"ipvm": {"peers": ["http://a:1/", "https://b"]}}, limits) == ("http://a:1", "https://b")
    assert load_peers({}, limits) == ()
    for bad in (["ftp://a"], ["a:1"], [5], ["http://a", "http://a/"], ["http://a", "http://b", "http://c"],
                ["http://a?x=1"], ["http://a:99999"], "http://a"):
        with pytest.raises(ConfigError) as info:
            load_peers({"ipvm": {"peers": bad}}, limits)
        assert info.value.hint


def test_a_full_push_queue_drops_the_oldest() -> None:
    pusher = _PeerPusher("http://127.0.0.1:9", GossipLimits(queue=2), threading.Event())  # never started
    for i in range(3):
        pusher.offer(b"c%d" % i, f"r{i}")
    assert [p.revocation for p in pusher._pending] == ["r1", "r2"]
    none = _PeerPusher("http://127.0.0.1:9", GossipLimits(queue=0), threading.Event())
    none.offer(b"c", "r")
    assert not none._pending


def test_the_log_route_refuses_bad_queries(net: Net) -> None:
    import urllib.error

    for query in ("since=-1", "limit=0", "limit=101", "since=x", "since=1_0", "limit=%D9%A3",
                  f"since={2**63}"):  # past SQLite's INTEGER: was a 500 (OverflowError)
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{net.a.url}/ipvm/revocations?{query}", timeout=30)
        doc = json.loads(info.value.read())
        assert info.value.code == 400 and doc["error"] == "InvalidInput" and doc["hint"], query


def _refusing(refused: list[bytes]) -> Callable[[bytes, Any], tuple[dict[str, Any], bytes]]:
    """An ``accept`` that refuses every container (as the executor's checks refuse one that is none)."""
    def accept(container: bytes, also: Any) -> tuple[dict[str, Any], bytes]:
        refused.append(container)
        raise ConfigError("refused")

    return accept


def test_a_peer_whose_log_never_ends_cannot_hold_a_pull_round(tmp_path: Path) -> None:
    """A peer answering every page with one more entry: a round stops after ``max_log`` entries read."""
    asked: list[str] = []

    def endless(path: str) -> dict[str, Any]:
        asked.append(path)
        return page_json([(_since(path) + 1, b"not a container")], _since(path))

    refused: list[bytes] = []
    with _http_peer(endless) as url:
        gossip = Gossip((url,), GossipLimits(max_log=7, page=1),
                        RevocationLog(tmp_path / "store.sqlite", busy_timeout_ms=1000, max_rows=7),
                        _refusing(refused), max_page_bytes=1 << 20)
        assert gossip.pull(url) == 0
    assert len(asked) == 7 and len(refused) == 7


def test_a_peer_whose_next_page_does_not_move_past_its_entries_is_refused(tmp_path: Path) -> None:
    """A page whose ``next`` stays behind the entries it sent would be asked for again and again:
    refused at the first page (the round ends, nothing taken)."""
    asked: list[str] = []

    def stuck(path: str) -> dict[str, Any]:
        asked.append(path)
        return {"revocations": page_json([(5, b"x")], 0)["revocations"], "next": 0}

    taken: list[bytes] = []
    with _http_peer(stuck) as url:
        gossip = Gossip((url,), GossipLimits(max_log=50, page=1),
                        RevocationLog(tmp_path / "store.sqlite", busy_timeout_ms=1000, max_rows=50),
                        _refusing(taken), max_page_bytes=1 << 20)
        assert gossip.pull(url) == 0
    assert len(asked) == 1 and not taken


def _replicas(tmp: Path, *names: str) -> tuple[dict[str, Path], Path, Path, Path]:
    """Homes ``names`` sharing one executor key, a client home ``K`` with keys b and c, and the chain
    executor -> b -> c: ``(homes, K, top, below)``."""
    homes = {name: tmp / name for name in names}
    client = tmp / "K"
    for home in (*homes.values(), client):
        run_cli(home, "init")
    first = homes[names[0]]
    run_cli(first, "key", "gen", "executor")
    for home in list(homes.values())[1:]:
        for suffix in (".pem", ".did"):
            shutil.copy(first / "keys" / f"executor{suffix}", home / "keys" / f"executor{suffix}")
    did = {name: run_cli(client, "key", "gen", name).stdout.decode().strip() for name in ("b", "c")}
    top, below = tmp / "b.ucan", tmp / "c.ucan"
    run_cli(first, "ucan", "delegate", "--key", "executor", "--to", did["b"], "--cmd", "/wasm/run", "-o", str(top))
    run_cli(client, "ucan", "delegate", "--key", "b", "--to", did["c"], "--cmd", "/wasm/run", "--proof", str(top),
            "-o", str(below))
    return homes, client, top, below


def test_a_push_undelivered_when_the_executor_is_killed_is_delivered_after_restart(tmp_path: Path) -> None:
    """X's push to P (down) is retrying when X gets SIGKILL; P pulls from nobody, so only the push
    can bring it the revocation: X, restarted, sends it from what its home kept."""
    homes, client, top, below = _replicas(tmp_path, "X", "P")
    p = ServeProcess(homes["P"], tmp_path)
    x = ServeProcess(homes["X"], tmp_path)
    (homes["X"] / "config.toml").write_text(
        f'[ipvm]\npeers = ["{p.url}"]\n\n[limits.gossip]\nbackoff_s = 0.2\nmax_backoff_s = 1\nretries = 1000\n',
        encoding="utf-8")
    with contextlib.ExitStack() as stack:
        stack.callback(p.__exit__)
        stack.callback(x.__exit__)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("AUTOCODEC_LOG_LEVEL", "info")
            x.__enter__()
            run_cli(client, "ucan", "revoke", str(below), "--key", "b", "--proof", str(top), "--to", x.url)
            _wait(lambda: "gossip.push_failed" in x.log_path.read_text(), "X tries to push to P (down)")
            assert x.process is not None
            x.process.kill()  # SIGKILL: no cleanup runs
            x.process.wait(timeout=30)
            x.process = None
            p.__enter__()
            time.sleep(2)
            assert _logged(p) == []  # P has no peers to pull from: nothing came yet
            x.__enter__()
        _wait(lambda: len(_logged(p)) == 1, "P gets X's push after X's restart")
        _wait(lambda: "gossip.pushed" in x.log_path.read_text(), "X logs the push")
        assert _logged(p)[0]["container"] == _logged(x)[0]["container"]


def test_a_restarted_executor_reads_a_peers_log_on_from_its_cursor(tmp_path: Path) -> None:
    """H (a real HTTP peer) serves a log of 5 entries and counts what it serves: X, killed and
    restarted, asks from its kept cursor and is served none again; once H's log id changes (its
    home made anew), X reads it from 0."""
    entries = [(seq, b"not a container %d" % seq) for seq in range(1, 6)]
    asked: list[int] = []
    served: list[int] = []
    log_id = ["first"]

    def log_page(path: str) -> dict[str, Any]:
        since = _since(path)
        page = [(seq, c) for seq, c in entries if seq > since][:2]
        asked.append(since)
        served.extend(seq for seq, _ in page)
        return {**page_json(page, since), "log": log_id[0]}

    home = tmp_path / "X"
    run_cli(home, "init")
    with _http_peer(log_page) as url, ServeProcess(home, tmp_path) as x:
        (home / "config.toml").write_text(f'[ipvm]\npeers = ["{url}"]\n\n[limits.gossip]\npull_interval_s = 1\n',
                                          encoding="utf-8")
        assert x.process is not None
        x.process.kill()  # started before the config named H; restarted with it
        x.process.wait(timeout=30)
        x.process = None
        x.__enter__()
        _wait(lambda: sorted(served) == [1, 2, 3, 4, 5] and asked[-1] == 5, "X reads H's whole log")
        x.process.kill()
        x.process.wait(timeout=30)
        x.process = None
        asked.clear()
        served.clear()
        x.__enter__()
        _wait(lambda: len(asked) >= 2, "X, restarted, pulls H twice")
        assert served == [] and set(asked) == {5}, (asked, served)
        log_id[0] = "second"
        _wait(lambda: sorted(served) == [1, 2, 3, 4, 5], "X reads H's new log from 0")
        assert 0 in asked


def test_a_log_that_cannot_be_written_undoes_the_record(tmp_path: Path) -> None:
    """X's database refuses every log entry (a trigger: the write fails as a full disk would): the
    revocation is not kept either, and the client is told; once the log takes entries, it is both."""
    import sqlite3

    homes, client, top, below = _replicas(tmp_path, "X")
    revoked = str(parse_token(below.read_bytes()).cid)
    with ServeProcess(homes["X"], tmp_path) as x:
        db = next(homes["X"].glob("*.sqlite"))
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("CREATE TABLE ipvm_revocation_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "container BLOB NOT NULL)")
            conn.execute("CREATE TRIGGER no_log BEFORE INSERT ON ipvm_revocation_log "
                         "BEGIN SELECT RAISE(ABORT, 'the log cannot be written'); END")
            conn.commit()
        sent = run_cli(client, "ucan", "revoke", str(below), "--key", "b", "--proof", str(top), "--to", x.url,
                       check=False)
        assert sent.returncode != 0 and "StoreError" in sent.stderr.decode(), sent.stderr.decode()
        assert revoked not in run_cli(homes["X"], "ucan", "revoked").stdout.decode()
        assert _logged(x) == []
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("DROP TRIGGER no_log")
            conn.commit()
        run_cli(client, "ucan", "revoke", str(below), "--key", "b", "--proof", str(top), "--to", x.url)
        assert revoked in run_cli(homes["X"], "ucan", "revoked").stdout.decode()
        assert len(_logged(x)) == 1


def test_a_page_whose_entries_go_back_is_refused(tmp_path: Path) -> None:
    """Entries out of ``seq`` order would let a kept cursor skip one: the page is refused, nothing taken."""
    taken: list[bytes] = []
    with _http_peer(lambda path: {**page_json([(3, b"x"), (2, b"y")], 0), "next": 3}) as url:
        gossip = Gossip((url,), GossipLimits(), RevocationLog(tmp_path / "store.sqlite", busy_timeout_ms=1000,
                                                              max_rows=50),
                        _refusing(taken), max_page_bytes=1 << 20)
        assert gossip.pull(url) == 0
    assert not taken and gossip.log.cursor(url) == (None, 0)


def test_kept_pushes_and_cursors_stay_within_the_queue_and_the_named_peers(tmp_path: Path) -> None:
    revlog = RevocationLog(tmp_path / "store.sqlite", busy_timeout_ms=1000, max_rows=3, queue=2)
    assert revlog.page(0, 10) == (None, []) and revlog.pending("a") == [] and revlog.cursor("a") == (None, 0)
    seqs = [revlog.append(b"c%d" % i, ("a", "b")) for i in range(4)]
    log_id, entries = revlog.page(0, 10)
    assert log_id and [s for s, _ in entries] == seqs[1:]  # max_rows: the oldest removed
    assert revlog.pending("a") == [(seqs[2], b"c2"), (seqs[3], b"c3")]  # queue: the newest two a peer
    revlog.delivered("a", seqs[2])
    assert revlog.pending("a") == [(seqs[3], b"c3")]
    revlog.set_cursor("b", "other", 7)
    revlog.set_cursor("a", "log", 9)
    revlog.keep_peers(("a",))
    assert revlog.pending("b") == [] and revlog.cursor("b") == (None, 0) and revlog.cursor("a") == ("log", 9)


def test_a_pulled_revocation_refused_for_now_is_read_again_next_round(tmp_path: Path) -> None:
    """``RateLimited`` (the issuer's slots busy, the revocation table full until some expire) says
    "retry later": the kept cursor stays before the entry, so the next round takes it. It was
    passed as a final refusal, and with the cursor kept in the home it was never read again."""
    asked: list[int] = []

    def log_of_one(path: str) -> dict[str, Any]:
        asked.append(_since(path))
        return page_json([(1, b"c1")] if _since(path) == 0 else [], _since(path), "peer-log")

    calls: list[bytes] = []

    def busy_once(container: bytes, also: Any) -> tuple[dict[str, Any], bytes]:
        calls.append(container)
        if len(calls) == 1:
            raise RateLimited("did:key:z6Mk... has 4 jobs running and 64 waiting (limits 4 and 64)")
        return {"revoked": "d", "revocation": "r", "new": True}, container

    with _http_peer(log_of_one) as url:
        gossip = Gossip((url,), GossipLimits(), RevocationLog(tmp_path / "store.sqlite", busy_timeout_ms=1000,
                                                              max_rows=50),
                        busy_once, max_page_bytes=1 << 20)
        assert gossip.pull(url) == 0
        assert gossip.log.cursor(url)[1] == 0
        assert gossip.pull(url) == 1
    assert calls == [b"c1", b"c1"] and asked[-1] == 1 and gossip.log.cursor(url) == ("peer-log", 1)


def test_a_page_whose_next_is_past_any_seq_is_refused(tmp_path: Path) -> None:
    """A ``next`` past SQLite's INTEGER cannot be kept as a cursor: the page is refused, as one out
    of shape. It was taken, then keeping the cursor raised ``OverflowError`` out of ``pull``, and
    every round took the page again."""
    taken: list[bytes] = []
    with _http_peer(lambda path: {**page_json([(1, b"x")], 0), "next": 2**63}) as url:
        gossip = Gossip((url,), GossipLimits(), RevocationLog(tmp_path / "store.sqlite", busy_timeout_ms=1000,
                                                              max_rows=50),
                        _refusing(taken), max_page_bytes=1 << 20)
        assert gossip.pull(url) == 0
    assert not taken and gossip.log.cursor(url) == (None, 0)
