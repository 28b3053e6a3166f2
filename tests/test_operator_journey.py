"""An operator's journey with ``autocodec serve`` as a public gateway: logs shipped as JSON,
Prometheus scraping ``/metrics``, systemd stopping and reloading it.

Real server processes (``tests/_serve_proc.py``) where the process is what is judged (its log, its
signals); the in-process app where only the ``/metrics`` text is. Found by this journey: no
request was logged or counted (an operator could see neither traffic, nor status, nor latency),
``/metrics`` printed counters with six digits (``1.23457e+06``: a counter past a million stopped
moving for ``rate()``), label values were not escaped, and the connection guard's refusals,
evictions and timeouts were in the log only.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from autocodec.registry import Runtime
from autocodec.serve import make_app
from tests._cli import run_cli
from tests._serve_proc import ServeProcess

# One sample line of the Prometheus text format: name, optional {labels}, a number.
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? '
                     r'(-?[0-9][0-9.e+-]*|[+-]Inf|NaN)$')


def _home_with_a_file(tmp_path: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    run_cli(home, "init")
    page = tmp_path / "hello.txt"
    page.write_bytes(b"hello operator\n")
    cid = run_cli(home, "add", "-Q", str(page)).stdout.decode().strip()
    return home, cid


def _get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _samples(text: str) -> dict[str, float]:
    """``/metrics`` as ``{'name{labels}': value}``; every line must be a comment or a sample."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("# "):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        found[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return found


def test_each_request_is_one_json_log_line_with_status_and_duration(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With JSON logs at info level, every request is one ``serve.request`` line: method, the path
    sent (no query), status (a 304 and a 400 too) and duration; then SIGHUP reloads (no exit, no
    traceback) and SIGTERM exits 0. The old code logged no request at all."""
    home, cid = _home_with_a_file(tmp_path)
    monkeypatch.setenv("AUTOCODEC_LOG", "json")
    monkeypatch.setenv("AUTOCODEC_LOG_LEVEL", "info")
    server = ServeProcess(home, tmp_path)
    with server:
        assert _get(f"{server.url}/ipfs/{cid}?secret=1")[0] == 200
        assert _get(f"{server.url}/ipfs/{cid}", "HEAD", {"If-None-Match": f'"{cid}"'})[0] == 304
        assert _get(f"{server.url}/ipfs/not-a-cid")[0] == 400
        assert server.process is not None
        server.process.send_signal(signal.SIGHUP)
        assert _get(f"{server.url}/healthz")[0] == 200  # still serving after the reload signal
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
    text = server.log_path.read_text()
    assert "Traceback" not in text, text[-3000:]
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "serve.request"]
    seen = {(r["method"], r["path"], r["status"], r["route"]) for r in requests}
    assert {("GET", f"/ipfs/{cid}", 200, "ipfs"), ("HEAD", f"/ipfs/{cid}", 304, "ipfs"),
            ("GET", "/ipfs/not-a-cid", 400, "ipfs"), ("GET", "/healthz", 200, "healthz")} <= seen, requests
    assert all(isinstance(r["duration_ms"], float) and r["duration_ms"] >= 0 for r in requests), requests
    assert "secret" not in text


def test_metrics_count_requests_by_route_and_status(tmp_path: Path) -> None:
    """``/metrics`` is Prometheus text whose request counters move with traffic: by route and
    status, with the seconds spent, and the connection guard's state (the old code had no
    request counter: a 404 storm or a slow gateway could not be seen or alerted on)."""
    home, cid = _home_with_a_file(tmp_path)
    with ServeProcess(home, tmp_path) as server:
        for _ in range(3):
            assert _get(f"{server.url}/ipfs/{cid}")[0] == 200
        assert _get(f"{server.url}/ipfs/{cid}/missing")[0] in (404, 500)
        assert _get(f"{server.url}/no/such/route")[0] == 404
        status, body = _get(f"{server.url}/metrics")
    assert status == 200
    samples = _samples(body.decode())
    assert samples['autocodec_requests_total{route="ipfs",status="200"}'] == 3
    assert samples['autocodec_requests_total{route="other",status="404"}'] == 1
    assert sum(v for k, v in samples.items() if k.startswith("autocodec_requests_total")) >= 6
    assert samples['autocodec_request_seconds_total{route="ipfs"}'] > 0
    assert samples["autocodec_connections_open"] >= 1  # the scrape's own
    for name in ("refused", "evicted", "timed_out"):
        assert samples[f"autocodec_connections_{name}_total"] == 0


def test_a_client_that_goes_away_is_counted_as_cut_off(tmp_path: Path) -> None:
    """A CAR whose client resets the connection mid-body is counted with status 499, not 200."""
    home = tmp_path / "home"
    run_cli(home, "init")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 40_000)  # ~10 MB: far more than the socket buffers
    cid = run_cli(home, "add", "-Q", "--raw-leaves", str(big)).stdout.decode().strip()
    with ServeProcess(home, tmp_path) as server:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sendall(f"GET /ipfs/{cid}?format=car HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert client.recv(4096).startswith(b"HTTP/1.1 200 ")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.close()  # a reset: the body is still streaming
        for _ in range(200):  # the server sees the reset at its next write
            samples = _samples(_get(f"{server.url}/metrics")[1].decode())
            if samples.get('autocodec_requests_total{route="ipfs",status="499"}'):
                break
            socket.create_connection(("127.0.0.1", server.port)).close()
        assert samples.get('autocodec_requests_total{route="ipfs",status="499"}') == 1, samples
        assert not samples.get('autocodec_requests_total{route="ipfs",status="200"}'), samples


def _metrics_text(runtime: Runtime) -> str:
    async def go() -> str:
        async with TestClient(TestServer(make_app(runtime, workers=1))) as client:
            resp = await client.get("/metrics")
            assert resp.status == 200
            return await resp.text()

    return asyncio.run(go())


def test_metrics_show_counters_in_full_and_escape_label_values(tmp_path: Path) -> None:
    """A counter past a million is written in full (the old ``:g`` wrote ``1.23457e+06``, so it
    stopped moving for ``rate()``), fractions keep their digits, and a label value holding a
    quote, a backslash or a newline is escaped as the text format asks (it broke the scrape)."""
    with Runtime(tmp_path / "home", default_set=False) as runtime:
        runtime.metrics.inc("big_total", 1_234_567)
        runtime.metrics.inc("seconds_total", 1_234_567.125)
        runtime.metrics.inc("odd_total", route='a"b\\c\nd')
        text = _metrics_text(runtime)
    samples: dict[str, Any] = _samples(text)
    assert samples["autocodec_big_total"] == 1_234_567
    assert samples["autocodec_seconds_total"] == 1_234_567.125
    assert 'autocodec_odd_total{route="a\\"b\\\\c\\nd"} 1' in text.splitlines()
