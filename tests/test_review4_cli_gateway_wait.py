"""``cat`` of a BLAKE3 CID from ``--gateway`` (the Bao path, issue 23) waits for a silent gateway
as every fetch does, ``[limits.fetch] timeout_s``, and no longer than ``--timeout``; before, it
waited a fixed 60 s (61.3 s measured against a gateway that takes the connection and never answers)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import _stalled
from tests._cli import refusal_line, run_cli

stalled = _stalled.stalled  # a gateway that takes connections and never answers: its URL

pytestmark = pytest.mark.slow

BLAKE3_CID = "bafkr4ieojr6bxgo37viopkkrqx7k2xxbish2sbfc7xlxr2xv6ln72yu2te"  # raw, BLAKE3 of b"hello\n"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    with (home / "config.toml").open("a") as config:
        config.write("\n[limits.fetch]\ntimeout_s = 2.0\n")
    return home


def test_a_silent_gateway_is_given_up_after_the_homes_fetch_timeout(home: Path, stalled: str) -> None:
    start = time.monotonic()
    proc = run_cli(home, "cat", BLAKE3_CID, "--gateway", stalled, check=False, timeout=40)
    took = time.monotonic() - start
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line == (f"autocodec: FetchTimeout: {stalled} did not answer for {BLAKE3_CID} within 2 s "
                    "(try another gateway, or raise timeout_s under [limits.fetch] in config.toml)"), line
    assert took < 30, f"{took:.1f} s for a 2 s fetch timeout"


def test_timeout_bounds_it_too(home: Path, stalled: str) -> None:
    (home / "config.toml").write_text((home / "config.toml").read_text().replace("timeout_s = 2.0", "timeout_s = 50.0"))
    start = time.monotonic()
    proc = run_cli(home, "--timeout", "1s", "cat", BLAKE3_CID, "--gateway", stalled, check=False, timeout=40)
    took = time.monotonic() - start
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith("autocodec: Timeout: timed out: the command ran longer than --timeout 1s"), line
    assert took < 30, took
