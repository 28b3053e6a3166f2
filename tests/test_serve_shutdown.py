"""``autocodec serve`` and ``Runtime.close`` stop promptly and cleanly whatever is in flight.

The bound is ``ServeLimits.shutdown_s`` (docs/gateway.md, "Stopping"): on SIGTERM or SIGINT the
server stops accepting, ends what is in flight (a refresh's fetch is cancelled: its socket is shut
from the stopping thread), closes the home and exits with status 0 and no traceback. The old code
joined a refresh stuck on a silent node for up to 30 s (helper 54 measured 27.8 s with a real
Kubo node lacking a block); the assertions below allow 10 s, far above the bound and far below that.

Real processes and sockets: the silent peer is a loopback listener that accepts and never
answers; the set is the home's default set, recorded as followed by IPNS name from that peer.
"""

from __future__ import annotations

import random
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import CID
from tests._cli import run_cli
from tests._serve_proc import ServeProcess
from tests._stalled import SilentPeer

PROMPT_S = 10.0  # generous: the bound is ServeLimits.shutdown_s (5 s); the old code took ~30 s


@pytest.fixture
def silent() -> Iterator[SilentPeer]:
    peer = SilentPeer()
    yield peer
    peer.close()


def ipns_name() -> str:
    """A valid IPNS name (an Ed25519 libp2p key, identity multihash) no node will ever answer for."""
    return str(CID.build(0x72, b"\x00\x24\x08\x01\x12\x20" + bytes(range(32))))


def follow_from(home: Path, node: str) -> None:
    """Record the home's pinned set as followed by IPNS name from ``node`` (as ``pin add /ipns/NAME
    --node`` records it), so every refresh asks ``node`` first."""
    with sqlite3.connect(home / "store.sqlite") as db:
        changed = db.execute("UPDATE registry_pins SET location_kind = 'ipns', location = ?, node = ?",
                             (f"/ipns/{ipns_name()}", node)).rowcount
    assert changed == 1


def _stop(proc: subprocess.Popen[bytes], sig: signal.Signals) -> float:
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.monotonic() - started


@pytest.mark.parametrize(("sig", "wake"), [(signal.SIGTERM, "interval"), (signal.SIGINT, "interval"),
                                           (signal.SIGTERM, "SIGHUP")], ids=["SIGTERM", "SIGINT", "SIGHUP-then-SIGTERM"])
def test_serve_stops_promptly_while_a_refresh_waits_on_a_silent_node(silent: SilentPeer, tmp_path: Path,
                                                                     sig: signal.Signals, wake: str) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    follow_from(home, f"http://127.0.0.1:{silent.port}")
    server = ServeProcess(home, tmp_path, "--refresh-interval", "0.2" if wake == "interval" else "3600")
    with server:
        assert server.process is not None
        if wake == "SIGHUP":  # the refresh a user asks for now
            time.sleep(0.5)  # nothing asked the node yet: the first round waits for the interval or a wake
            server.process.send_signal(signal.SIGHUP)
        assert silent.accepted.wait(30), "the refresh never asked the node"
        time.sleep(0.5)  # the refresh is now waiting on the silent node's answer
        took = _stop(server.process, sig)
        code = server.process.returncode
    log = server.log_path.read_text()
    print(f"\n{sig.name}: serve exited {code} after {took:.1f} s")
    assert took < PROMPT_S, f"serve took {took:.1f} s to stop\n{log[-2000:]}"
    assert code == 0, log[-2000:]
    assert "Traceback" not in log, log[-3000:]
    _check_home(home)


def _check_home(home: Path) -> None:
    """Nothing left locked or half-written: the database checks out and a writer gets in at once."""
    with sqlite3.connect(home / "store.sqlite", timeout=0) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.execute("BEGIN IMMEDIATE")
        db.rollback()


def test_serve_stops_promptly_while_a_request_waits_on_a_silent_node(silent: SilentPeer, tmp_path: Path) -> None:
    """A decode fetching a block the store lacks from ``--node`` (silent): its fetch is cancelled,
    so the request thread ends and serve exits (the old code waited out the fetch's 30 s deadline)."""
    home = tmp_path / "home"
    run_cli(home, "init")
    absent = CID.build(0x71, b"\x12\x20" + bytes(32))
    server = ServeProcess(home, tmp_path, "--node", f"http://127.0.0.1:{silent.port}")
    answers: list[bytes] = []
    with server:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(f"GET /decode/{absent} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert silent.accepted.wait(30), "the decode never asked the node"
        time.sleep(0.5)
        assert server.process is not None
        reader = threading.Thread(target=lambda: answers.append(client.recv(65536)), daemon=True)
        reader.start()
        took = _stop(server.process, signal.SIGTERM)
        code = server.process.returncode
        reader.join(5)
        client.close()
    log = server.log_path.read_text()
    print(f"\nSIGTERM with a request waiting on a silent node: exit {code} after {took:.1f} s; "
          f"the client got {answers[0][:12] if answers else b'nothing'!r}")
    assert took < PROMPT_S, f"serve took {took:.1f} s to stop\n{log[-2000:]}"
    assert code == 0 and "Traceback" not in log, log[-3000:]
    assert answers and answers[0].startswith(b"HTTP/1.1 503 "), answers  # said, not a cut connection
    _check_home(home)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["car", "bao"])
def test_serve_stops_promptly_while_a_slow_reader_streams(tmp_path: Path, kind: str) -> None:
    """A CAR of a large file, or a verified (Bao) blob, to a client that stopped reading: the
    response is cut off within the bound (the client sees no clean end) and serve exits (the old
    code waited for the whole-request deadline, ``request_timeout_s``: 59 s measured for each)."""
    home = tmp_path / "home"
    run_cli(home, "init")  # the shipped default set provides verifier bao
    big = tmp_path / "big.bin"
    big.write_bytes(random.Random(7).randbytes(16 << 20))
    if kind == "car":
        cid = run_cli(home, "add", "--quieter", str(big)).stdout.decode().split()[-1]
        path = f"/ipfs/{cid}?format=car"
    else:
        path = "/ipfs/" + run_cli(home, "bao", "add", str(big)).stdout.decode().strip()
    server = ServeProcess(home, tmp_path)
    with server:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(("127.0.0.1", server.port))
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert client.recv(12) == b"HTTP/1.1 200"
        time.sleep(1.0)  # the server is now blocked on the full socket
        assert server.process is not None
        took = _stop(server.process, signal.SIGTERM)
        code = server.process.returncode
        received = 0
        client.settimeout(10)
        try:
            while chunk := client.recv(1 << 20):
                received += len(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        client.close()
    log = server.log_path.read_text()
    print(f"\nSIGTERM with a {kind} stream to a slow reader: exit {code} after {took:.1f} s ({received} bytes after)")
    assert took < PROMPT_S, f"serve took {took:.1f} s to stop\n{log[-2000:]}"
    assert code == 0 and "Traceback" not in log, log[-3000:]
    assert received < 16 << 20  # cut off, not finished
    _check_home(home)


def test_runtime_close_ends_a_refresh_waiting_on_a_silent_node(silent: SilentPeer, tmp_path: Path) -> None:
    """``Runtime.close`` in a library while the background refresh waits on a silent node: the
    fetch is cancelled, the refresher ends, the home is closed (the old code joined it for 30 s,
    then closed the databases while it could still be running)."""
    from autocodec.errors import StoreError
    from autocodec.registry import Runtime

    home = tmp_path / "home"
    Runtime(home).close()
    follow_from(home, f"http://127.0.0.1:{silent.port}")
    runtime = Runtime(home)
    refresher = runtime.start_refresh(0.1)
    assert silent.accepted.wait(30), "the refresh never asked the node"
    time.sleep(0.3)
    started = time.monotonic()
    runtime.close()
    took = time.monotonic() - started
    print(f"\nRuntime.close with a refresh in flight: {took:.1f} s")
    assert took < PROMPT_S
    assert not refresher._thread.is_alive()
    with pytest.raises(StoreError):
        runtime.store.has(CID.build(0x55, b"\x12\x20" + bytes(32)))
    _check_home(home)


def test_a_cancelled_fetch_ends_at_once_and_says_why(silent: SilentPeer) -> None:
    """The mechanism under the above: a fetch waiting on a silent peer inside ``cancellable`` ends
    with ``FetchCancelled`` when another thread cancels (not ``FetchTimeout`` after the read timeout),
    retries included; a fetch started after the cancel fails at once, without connecting."""
    from autocodec.config import FetchLimits
    from autocodec.errors import FetchCancelled
    from autocodec.sources import Cancel, NodeSource, cancellable

    source = NodeSource(f"http://127.0.0.1:{silent.port}", limits=FetchLimits(timeout_s=20, deadline_s=60))
    cancel = Cancel("the test stopped it")
    threading.Timer(0.5, cancel.cancel).start()
    started = time.monotonic()
    with cancellable(cancel), pytest.raises(FetchCancelled, match="the test stopped it"):
        source.get(CID.build(0x55, b"\x12\x20" + bytes(32)))
    assert time.monotonic() - started < PROMPT_S
    connections = len(silent._held)
    with cancellable(cancel), pytest.raises(FetchCancelled):
        source.get(CID.build(0x55, b"\x12\x20" + bytes(32)))
    time.sleep(0.2)
    assert len(silent._held) == connections
