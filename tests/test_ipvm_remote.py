"""UCAN 1.0 remote invocations between two homes over loopback, per-issuer limits, and triggers.

The server is a real ``autocodec serve`` process on a free loopback port; the client is the CLI
in another home. Delegations are issued by the server's executor key (the subject of the chain).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from autocodec.config import RemoteLimits
from autocodec.errors import ConfigError, RateLimited
from autocodec.ipvm._scheduler import Scheduler
from autocodec.ipvm._triggers import Cron, load_triggers
from autocodec.verify import module_cid
from tests._cli import run_cli
from tests.conftest import WASM_SRC

SELECT = str(module_cid((WASM_SRC / "ipld-select" / "ipld-select.wasm").read_bytes()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


class Server:
    def __init__(self, home: Path, log: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "AUTOCODEC_HOME": str(home)}
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "autocodec", "serve", "--port", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self._log_file)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, log.read_text()
            try:
                self.did = _get_json(f"{self.url}/ipvm/executor")["did"]
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"serve did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log_file.close()


@pytest.fixture
def server(tmp_path: Path) -> Any:
    home = tmp_path / "server"
    run_cli(home, "init")
    (home / "config.toml").write_text(
        '[[ipvm.triggers]]\nname = "tick"\ncron = "* * * * *"\n'
        f'module = "{SELECT}"\nfunction = "count"\nargs = [\'[1, 2, 3]\', \'""\']\n\n'
        '[[ipvm.triggers]]\nname = "on-cbor"\non = "block-stored"\ncodec = "dag-cbor"\n'
        'module = "ipld-select"\nfunction = "keys"\nargs = [\'""\']\n')
    srv = Server(home, tmp_path / "serve.log")
    try:
        yield srv
    finally:
        srv.stop()


def _delegate(srv: Server, to: str, out: Path, *extra: str) -> Path:
    run_cli(srv.home, "ucan", "delegate", "--key", "executor", "--to", to, "--cmd", "/wasm/run",
            "-o", str(out), *extra)
    return out


@pytest.mark.slow
def test_remote_invocation_end_to_end(server: Server, tmp_path: Path) -> None:
    client = tmp_path / "client"
    run_cli(client, "init", "--no-default-set")
    did = run_cli(client, "key", "gen", "me").stdout.decode().strip()
    proof = _delegate(server, did, tmp_path / "me.ucan", "--policy", '[["==", ".function", "select"]]')
    job = ["run", "--remote", server.url, "--key", "me", "--proof", str(proof), SELECT, "select",
           "--arg", '{"a": [1, {"b": "x"}]}', "--arg", '"a/1/b"']
    out = run_cli(client, *job).stdout.decode().splitlines()
    assert out[0].startswith("invocation bafyrei") and out[1].startswith("receipt bafyrei") and out[2] == '"x"'
    receipt = out[1].split()[1]
    shown = run_cli(client, "receipt", "show", receipt).stdout.decode().splitlines()
    assert shown[-1] == f"signature ok: {server.did}"
    again = run_cli(client, *job).stdout.decode().splitlines()
    assert again[1] == f"receipt {receipt}  cached (not executed again)"  # memo: the same task runs once

    def refused(args: list[str], name: str) -> None:
        proc = run_cli(client, *args, check=False)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.startswith(f"autocodec: {name}: ") and err.count("\n") == 1, err

    no_proof = ["run", "--remote", server.url, "--key", "me", SELECT, "select", "--arg", "[1]", "--arg", '"0"']
    refused(no_proof, "InvalidClaim")  # sent without delegations: the executor refuses it
    stranger = run_cli(client, "key", "gen", "stranger").stdout.decode().strip()
    assert stranger
    refused(["run", "--remote", server.url, "--key", "stranger", "--proof", str(proof), SELECT, "select",
             "--arg", "[1]", "--arg", '"0"'], "InvalidAudience")
    refused([*job[:8], "keys", "--arg", "{}", "--arg", '""'], "MatchError")
    short = _delegate(server, did, tmp_path / "short.ucan", "--expires", "1")
    time.sleep(2.1)
    refused(["run", "--remote", server.url, "--key", "me", "--proof", str(short), SELECT, "select",
             "--arg", "[7]", "--arg", '"0"'], "Expired")
    revoked = _delegate(server, did, tmp_path / "revoked.ucan")
    ok = ["run", "--remote", server.url, "--key", "me", "--proof", str(revoked), SELECT, "select",
          "--arg", "[8]", "--arg", '"0"']
    assert run_cli(client, *ok).stdout.decode().splitlines()[2] == "8"
    run_cli(server.home, "ucan", "revoke", str(revoked), "--key", "executor")  # another process
    refused([*ok[:-1], '"0"'], "Revoked")


@pytest.mark.slow
def test_remote_pipeline_runs_every_job_there_within_the_policy(server: Server, tmp_path: Path) -> None:
    client = tmp_path / "client"
    run_cli(client, "init", "--no-default-set")
    did = run_cli(client, "key", "gen", "me").stdout.decode().strip()
    proof = _delegate(server, did, tmp_path / "me.ucan", "--policy", '[["==", ".function", "select"]]')
    pipeline = tmp_path / "p.json"
    pipeline.write_text(json.dumps({"jobs": {
        "inner": {"module": SELECT, "func": "select", "args": [{"a": {"b": [5, 6]}}, "a"]},
        "outer": {"module": SELECT, "func": "select", "args": [{"await/ok": "inner"}, "b/1"]}},
        "result": "outer"}))
    out = run_cli(client, "run", "--remote", server.url, "--key", "me", "--proof", str(proof),
                  "--pipeline", str(pipeline)).stdout.decode().splitlines()
    assert out[1].startswith("receipt bafyrei") and out[2] == "6"
    # A job the delegation's policy refuses cannot ride along as an awaited job.
    pipeline.write_text(json.dumps({"jobs": {
        "inner": {"module": SELECT, "func": "keys", "args": [{"a": 1}, ""]},
        "outer": {"module": SELECT, "func": "select", "args": [{"await/ok": "inner"}, "0"]}},
        "result": "outer"}))
    proc = run_cli(client, "run", "--remote", server.url, "--key", "me", "--proof", str(proof),
                   "--pipeline", str(pipeline), check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith("autocodec: MatchError: ") and "awaited job" in err, err


@pytest.mark.slow
def test_limits_per_issuer_hold_under_a_burst(server: Server, tmp_path: Path) -> None:
    """One issuer's burst of maximal-fuel jobs is refused (429) past its budget; another's still run."""
    homes = {}
    for name in ("greedy", "modest"):
        home = tmp_path / name
        run_cli(home, "init", "--no-default-set")
        did = run_cli(home, "key", "gen", name).stdout.decode().strip()
        homes[name] = (home, _delegate(server, did, tmp_path / f"{name}.ucan"))
    results: list[tuple[int, str]] = []

    def burst(i: int) -> None:
        home, proof = homes["greedy"]
        proc = run_cli(home, "run", "--remote", server.url, "--key", "greedy", "--proof", str(proof), SELECT,
                       "count", "--arg", json.dumps({"a": list(range(i + 1))}), "--arg", '"a"',
                       "--fuel", "20000000000", check=False)
        results.append((proc.returncode, proc.stderr.decode()))

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    limited = [err for code, err in results if code == 1 and err.startswith("autocodec: RateLimited: ")]
    assert len(results) == 6 and len(limited) >= 3, results  # 50e9 fuel a minute: at most 2 of 20e9 each
    home, proof = homes["modest"]
    out = run_cli(home, "run", "--remote", server.url, "--key", "modest", "--proof", str(proof), SELECT, "count",
                  "--arg", "[1, 2]", "--arg", '""').stdout.decode().splitlines()
    assert out[2] == "2"


@pytest.mark.slow
def test_cron_and_block_stored_triggers_fill_the_job_stream(server: Server) -> None:
    def entries() -> list[dict[str, Any]]:
        return list(_get_json(f"{server.url}/ipvm/stream?since=0")["entries"])

    deadline = time.monotonic() + 30
    while not any(e["source"] == "cron:tick" for e in entries()) and time.monotonic() < deadline:
        time.sleep(0.2)
    cid = run_cli(server.home, "encode", "--codec", "dag-cbor", stdin=b'{"zeta": 1, "alpha": 2}').stdout.decode()
    block = cid.strip().split()[-1]
    assert block.startswith("bafyrei")
    while not any(e["source"] == "event:on-cbor" for e in entries()) and time.monotonic() < deadline + 30:
        time.sleep(0.2)
    got = entries()
    sources = [e["source"] for e in got]
    assert "cron:tick" in sources and "event:on-cbor" in sources, (sources, server.log.read_text()[-2000:])
    assert [e["seq"] for e in got] == list(range(1, len(got) + 1))
    event = next(e for e in got if e["source"] == "event:on-cbor")
    shown = run_cli(server.home, "receipt", "show", event["receipt"]).stdout.decode()
    assert "\"ok\":[\"zeta\",\"alpha\"]" in shown.replace(" ", ""), shown  # canonical order: shorter first
    listed = run_cli(server.home, "receipt", "ls").stdout.decode()
    assert event["receipt"] in listed and "cron:tick" in listed


def test_scheduler_refuses_over_budget_and_frees_slots() -> None:
    sched = Scheduler(RemoteLimits(concurrent=1, queue=0, fuel_per_minute=100, wait_s=0.1))
    with sched.admit("a", 10):
        with pytest.raises(RateLimited), sched.admit("a", 10):
            pass
        with sched.admit("b", 10):  # another issuer is not affected
            pass
    with sched.admit("a", 10):
        pass
    with pytest.raises(RateLimited), sched.admit("a", 90):  # 10 + 10 + 90 > 100 within the minute
        pass


@pytest.mark.parametrize(("expr", "t", "want"), [
    ("* * * * *", 0, True), ("0 3 * * *", 3 * 3600, True), ("0 3 * * *", 3 * 3600 + 60, False),
    ("*/15 * * * *", 45 * 60, True), ("*/15 * * * *", 44 * 60, False), ("0 0 1 1 4", 0, True),
])
def test_cron(expr: str, t: int, want: bool) -> None:
    assert Cron.parse(expr).matches(t) is want


@pytest.mark.parametrize(("expr", "t", "want"), [
    # POSIX crontab: day of month and weekday both restricted -> either matches (1970-01-05 was a Monday)
    ("0 0 1 * 1", 4 * 86400, True), ("0 0 1 * 1", 0, True), ("0 0 2 * 1", 2 * 86400, False),
    ("0 0 * * 1", 4 * 86400, True), ("0 0 5 * *", 4 * 86400, True), ("0 0 5 * *", 5 * 86400, False),
    ("0 0 31 2 1", 4 * 86400, False), ("0 0 31 2 1", 32 * 86400, True),  # Mondays of February
    # weekday 7 is Sunday, as 0 (Vixie cron, cronie; 1970-01-04 was a Sunday): was refused as out of range
    ("0 0 * * 7", 3 * 86400, True), ("0 0 * * 7", 4 * 86400, False), ("0 0 * * 5-7", 3 * 86400, True),
    ("0 0 * * 5-7", 4 * 86400, False), ("0 0 * * 5-7", 2 * 86400, True), ("0 0 * * */7", 3 * 86400, True),
    # a field that starts with * is unrestricted (Vixie cron, cronie): both must match (1970-01-01 a Thursday)
    ("0 0 2 * */2", 86400, False), ("0 0 1 * */2", 2 * 86400, False), ("0 0 3 * */2", 2 * 86400, True),
    ("0 0 */2 * 1", 4 * 86400, True), ("0 0 */2 * 1", 11 * 86400, False),
])
def test_cron_day_and_weekday_combine_as_in_posix(expr: str, t: int, want: bool) -> None:
    assert Cron.parse(expr).matches(t) is want


@pytest.mark.parametrize("expr", ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 2-4/2 *", "60 * * * *", "* * * * 8",
                                  "*/0 * * * *", "1,,2 * * * *", "* * *", "a * * * *", "5-3 * * * *"])
def test_cron_schedules_that_never_fire_or_are_malformed_are_refused(expr: str) -> None:
    with pytest.raises(ConfigError):
        Cron.parse(expr)


def test_trigger_names_are_unique() -> None:
    # Two triggers named alike shared the "fired this minute" state: the second never fired.
    doc = {"ipvm": {"triggers": [{"name": "t", "cron": "* * * * *", "module": "m", "function": "f"},
                                 {"name": "t", "cron": "*/2 * * * *", "module": "m", "function": "g"}]}}
    with pytest.raises(ConfigError, match="used by another trigger"):
        load_triggers(doc)
    doc["ipvm"]["triggers"][1]["name"] = "u"
    assert [t.name for t in load_triggers(doc)] == ["t", "u"]


def test_one_issuer_never_holds_every_job_thread() -> None:
    """serve runs admissions on a pool of ``job_threads`` threads; a job waiting for its
    issuer's slot holds one. With 4 threads, an issuer with 2 jobs running and 2 waiting held
    them all, and another issuer's job waited for theirs to end."""
    from concurrent.futures import ThreadPoolExecutor

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.ipvm._scheduler import job_threads

    limits = DEFAULT_LIMITS.remote
    sched = Scheduler(limits)
    release = threading.Event()
    pool = ThreadPoolExecutor(max_workers=job_threads(limits, 4))

    def greedy() -> None:
        with sched.admit("did:key:greedy", 1):
            release.wait(60)

    try:
        held = [pool.submit(greedy) for _ in range(limits.concurrent + limits.queue)]
        def modest_job() -> str:
            with sched.admit("did:key:modest", 1):
                return "ran"

        modest = pool.submit(modest_job)
        assert modest.result(timeout=30) == "ran"  # a bound on waiting, not a timing assertion
        assert not any(f.done() for f in held)  # the greedy issuer's jobs are all still held
    finally:
        release.set()
        pool.shutdown(wait=True)
