"""Ctrl-C and SIGTERM end the command killed by that signal, after it has cleaned up and said so
in one line: the Unix convention (and Python's own on an uncaught KeyboardInterrupt), so that a
calling shell sees the signal and a ``for f in ...; do autocodec add $f; done`` loop stops at
Ctrl-C. Before, the command exited 130 or 143, which a shell loop takes for a failure and goes
on. Kubo 0.43.1 exits 1 (``Error: canceled``) here: docs/cli.md, "Exit status", says why ours
differs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._cli import run_cli


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("signals") / "home"
    run_cli(home, "init", "--no-default-set")
    return home


def _busy_add(home: Path) -> subprocess.Popen[bytes]:
    """``add -Q`` from a pipe that has sent a megabyte and then nothing: busy until stopped."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "add", "-Q"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(os.urandom(1_000_000))
    proc.stdin.flush()
    time.sleep(0.5)  # let it read and store what it was given (killed earlier, it must end the same way)
    return proc


@pytest.mark.parametrize(("sig", "said"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_busy_command_dies_by_the_signal_after_one_line(home: Path, sig: signal.Signals, said: str) -> None:
    proc = _busy_add(home)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err.decode()) == (-sig, b"", f"autocodec: {said}\n")  # was: exit 130 / 143
    assert run_cli(home, "block", "check").returncode == 0  # the store stayed whole


def test_a_shell_loop_stops_at_ctrl_c(home: Path, tmp_path: Path) -> None:
    """The shell running the loop is told the command died by SIGINT, and stops there (bash, as
    a non-interactive shell, waits for its child and then acts on the child's death by SIGINT)."""
    marker = tmp_path / "went-on"
    script = f'for f in 1 2; do "{sys.executable}" -m autocodec add -Q; echo $? >> "{marker}"; done'
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    shell = subprocess.Popen(["bash", "-c", script], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
    assert shell.stdin is not None
    shell.stdin.write(b"x" * 100_000)
    shell.stdin.flush()
    time.sleep(1.0)  # the first add is reading
    os.killpg(shell.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole foreground group
    shell.communicate(timeout=60)
    assert shell.returncode == -signal.SIGINT
    assert not marker.exists()  # was: "130" then a second add
