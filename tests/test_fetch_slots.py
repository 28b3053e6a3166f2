"""Fetch admission (issue 16 item 2): slow peers can hold at most ``FetchLimits.max_concurrent``
of a process's fetches; one more is ``FetchBusy`` at once, and local blocks are still answered,
in the library and in a running ``autocodec serve`` (503 for the refused fetches)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.config import FetchLimits
from autocodec.errors import FetchBusy, FetchTimeout
from autocodec.sources import Fetcher, GatewaySource
from tests._cli import run_cli
from tests._http_peers import Peer, trickle

pytestmark = pytest.mark.slow  # loopback servers

SLOW = FetchLimits(timeout_s=10.0, retries=0, deadline_s=4.0)


def _cid(data: bytes) -> CID:
    return CID.build(0x55, b"\x12\x20" + hashlib.sha256(data).digest())


def test_fetch_slots_refuse_at_once_and_never_hold_local_answers() -> None:
    with Peer(trickle(1.0)) as peer:
        fetcher = Fetcher(None, [GatewaySource(peer.url, limits=SLOW)], max_concurrent=2)
        outcomes: list[BaseException] = []

        def slow(i: int) -> None:
            try:
                fetcher.get(_cid(b"absent %d" % i))
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                outcomes.append(exc)

        threads = [threading.Thread(target=slow, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 3
        while len(peer.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(peer.requests) == 2
        with pytest.raises(FetchBusy, match="network fetch slots are busy"):
            fetcher.get(_cid(b"a third one"))
        for t in threads:
            t.join(10)
    assert len(outcomes) == 2 and all(isinstance(e, FetchTimeout) for e in outcomes)
    with Peer(trickle(1.0)) as peer:  # the slots are free again: a new fetch is attempted, not refused
        fetcher.sources = [GatewaySource(peer.url, limits=SLOW)]
        with pytest.raises(FetchTimeout):
            fetcher.get(_cid(b"after"))


def test_serve_answers_local_blocks_while_slow_fetches_hold_their_slots(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    local = run_cli(home, "encode", "--codec", "dag-cbor", stdin=b'{"here": true}').stdout.decode().split()[-1]
    with Peer(trickle(1.0)) as peer:
        (home / "config.toml").write_text(f'[sources]\ngateways = ["{peer.url}"]\n')
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        log = (tmp_path / "serve.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "autocodec", "serve", "--port", str(port), "--workers", "8"],
                                  env={**os.environ, "AUTOCODEC_HOME": str(home)}, stdout=subprocess.DEVNULL,
                                  stderr=log)
        statuses: list[int] = []

        def get(url: str, timeout: float = 60) -> int:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    resp.read()
                    return int(resp.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if get(f"{base}/healthz", timeout=1) == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            absent = [_cid(b"absent %d" % i) for i in range(8)]
            threads = [threading.Thread(target=lambda c=c: statuses.append(get(f"{base}/decode/{c}"))) for c in absent]
            for t in threads:
                t.start()
            while len(peer.requests) < FetchLimits().max_concurrent and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            started = time.monotonic()
            assert get(f"{base}/decode/{local}", timeout=10) == 200
            assert time.monotonic() - started < 10
            for t in threads:
                t.join(90)
        finally:
            server.terminate()
            server.wait(20)
            log.close()
    assert len(statuses) == 8 and 503 in statuses, statuses
    assert statuses.count(503) >= 8 - FetchLimits().max_concurrent
