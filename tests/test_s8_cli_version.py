"""``autocodec --version`` prints the program's version, as docs/cli.md says and as ``ipfs
--version`` prints Kubo's (``ipfs version 0.43.1``): the bare-group rule (a command group named
without an action prints its help) once took ``--version`` for a group with no command and
printed the whole help instead (exit 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec import __version__

from ._cli import run_cli


@pytest.mark.parametrize("words", [["--version"], ["--home", "HOME", "--version"], ["--version", "dag"],
                                   ["--offline", "--version"]])
def test_version_prints_the_version(tmp_path: Path, words: list[str]) -> None:
    argv = [str(tmp_path / "h") if w == "HOME" else w for w in words]
    proc = run_cli(tmp_path / "h", *argv)
    assert proc.stdout.decode() == f"autocodec {__version__}\n", proc.stdout[:200]
    assert proc.stderr == b""
