"""``./dev demo``: the main job runs end to end on a fresh home and says what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.demo import DEMO_MARKER, fresh_home, main
from autocodec.errors import InvalidInput
from autocodec.home import Home
from autocodec.store import BlockStore

from .conftest import CODEC_FIXTURES, REPO


@pytest.mark.slow
def test_demo_runs_on_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    home.mkdir()
    (home / DEMO_MARKER).write_text("an earlier demo made this home")
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


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real home (or ``.``) named as the demo home is left as it is, with one line and exit 1."""
    real = tmp_path / "real-home"
    Home(real).init()
    (real / "config.toml").write_text("# mine\n")
    before = sorted(p.name for p in real.rglob("*"))
    assert main(["--home", str(real)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err and "left untouched" in err
    assert sorted(p.name for p in real.rglob("*")) == before
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    with pytest.raises(InvalidInput):
        fresh_home(a_file)
    assert a_file.read_text() == "keep"


def test_demo_remakes_only_a_marked_or_empty_home(tmp_path: Path) -> None:
    """An empty or missing folder becomes a marked home; a marked one is emptied and marked again."""
    for home in (tmp_path / "missing" / "home", tmp_path / "empty"):
        if home.name == "empty":
            home.mkdir()
        fresh_home(home)
        assert (home / DEMO_MARKER).is_file() and Home(home).keys_dir.is_dir()
        (home / "left-over").write_text("from the last run")
        fresh_home(home)
        assert not (home / "left-over").exists() and (home / DEMO_MARKER).is_file()
    old_demo = tmp_path / "old-demo"  # made before the marker existed: only the demo's own files
    for name in ("demo.car", "store.sqlite"):
        (old_demo / name).parent.mkdir(parents=True, exist_ok=True)
        (old_demo / name).write_text("")
    (old_demo / "second").mkdir()
    fresh_home(old_demo)
    assert sorted(p.name for p in old_demo.iterdir()) != ["demo.car", "second", "store.sqlite"]
    assert not (old_demo / "demo.car").exists()
