"""``./dev demo``: the main job runs end to end on a fresh home and says what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.home import Home
from autocodec.store import BlockStore

from .conftest import CODEC_FIXTURES, REPO


@pytest.mark.slow
def test_demo_runs_on_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    home.mkdir()
    (home / "stale-file").write_text("the demo starts from an empty home")
    run = subprocess.run([sys.executable, "-m", "autocodec.demo", "--home", str(home)], capture_output=True,
                         text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    out = run.stdout
    assert "identical: True" in out and "refused:" in out and "== done" in out
    assert not (home / "stale-file").exists()
    if (CODEC_FIXTURES / "fixtures.car").exists():
        assert "verified and stored 273 blocks" in out
    with BlockStore.open(Home(home)) as store:
        assert len(store) >= 3 and store.check() == []
    # the command the demo suggests last runs as printed (no `autocodec` on PATH needed)
    explore = next(line for line in out.splitlines() if "explore:" in line).split("explore:", 1)[1].split()
    env_var, command = explore[0], explore[1:]
    name, _, value = env_var.partition("=")
    assert name == "AUTOCODEC_HOME" and Path(value) == home.resolve()
    shown = subprocess.run(command, capture_output=True, env={**os.environ, name: value}, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(b"{") or shown.stdout.startswith(b'"')
