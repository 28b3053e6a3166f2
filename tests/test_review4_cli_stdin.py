"""Round-4 CLI follow-ups, measured against Kubo 0.43.1's ``ipfs``: a missing argument read from
stdin shares the command's one ``--timeout`` deadline, the rest of the command line is refused
before stdin is read, and ``get`` prints its ``Saving file(s)`` line before an output it refuses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import _kubo_pair, _stalled
from tests._cli import run_cli

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)
stalled = _stalled.stalled  # a gateway that takes connections and never answers: its URL

pytestmark = pytest.mark.slow


def _late_stdin(argv: list[str], line: bytes, delay: float, env: dict[str, str]) -> tuple[int, str, float]:
    """``argv`` run with ``line`` written to its stdin after ``delay`` seconds: its status,
    stderr and how long it ran."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    time.sleep(delay)
    try:
        proc.stdin.write(line)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait(timeout=60)
    took = time.monotonic() - start
    assert proc.stdout is not None
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, err.decode(), took


def test_stdin_and_the_command_share_one_timeout(tmp_path: Path, stalled: str) -> None:
    """Kubo 0.43.1 counts ``--timeout`` once, from the start: ``(sleep 2; echo CID) | ipfs
    --timeout 3s cat`` of a block nobody has ended at 3.16 s (an online node with no peers). Ours
    gave the stdin read and the command a deadline each: 5.28 s for the same line against a
    gateway that never answers; now the command has what stdin left of it."""
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    cid = "QmYjRkphTtVJ92rAAfSwZWsJEn4PXV5HwYmaL6bCVULtu8"  # 100 random bytes: nobody has the block
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    argv = [sys.executable, "-m", "autocodec", "--timeout", "5s", "cat", "--gateway", stalled]
    status, err, took = _late_stdin(argv, f"{cid}\n".encode(), 4, env)
    assert status == 1 and err.startswith("autocodec: Timeout: timed out") and len(err.splitlines()) == 1, err
    # two deadlines take at least stdin's 4 s and the command's whole 5 s; one leaves 3.7 s for
    # start-up and exit on a loaded machine
    assert took < 8.7, f"{took:.2f} s: stdin's 4 s and the command's whole 5 s (9 s), not one 5 s deadline"


@pytest.mark.parametrize("args", [["cat", "--bogus"], ["--bogus", "cat"], ["cat", "-o", "abc"],
                                  ["dag", "get", "--nope"], ["block", "stat", "--zzz"]], ids=" ".join)
def test_a_bad_command_line_is_refused_before_stdin_is_read(kubo: Any, tmp_path: Path, args: list[str]) -> None:
    """Kubo 0.43.1 refuses an unknown option or a bad value at once with stdin a pipe that is
    still open (``(sleep 3; echo CID) | ipfs cat --bogus``: 0.12 s); ours read stdin to its end
    first (3.09 s), and with a writer that never closes it, waited for ever."""
    from tests._kubo import KUBO_BIN

    home = tmp_path / "home"
    for argv, env in (([str(KUBO_BIN), *args], kubo.env()),
                      ([sys.executable, "-m", "autocodec", *args], {**os.environ, "AUTOCODEC_HOME": str(home)})):
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            proc.wait(timeout=20)  # stdin stays open (not closed, as communicate would): only the refusal ends it
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail(f"{argv[0]} {' '.join(args)} waited on stdin instead of refusing the command line")
        _out, err = proc.communicate()
        assert proc.returncode == 1 and len(err.splitlines()) == 1 and b"Traceback" not in err, err


def test_get_prints_its_line_before_refusing_the_output(kubo: Any, tmp_path: Path) -> None:
    """``ipfs get -o FILE DIR`` (a folder onto an existing file) prints ``Saving file(s) to
    FILE`` and then fails (``Error: mkdir FILE: not a directory``), exit 1; ours printed
    nothing on stdout before its error. The file is left as it was by both."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_bytes(b"a\n")
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    dir_cid = run_cli(home, "add", "-Q", "-r", str(tmp_path / "d")).stdout.decode().strip()
    assert kubo.ipfs("add", "-Q", "-r", tmp_path / "d").stdout.decode().strip() == dir_cid
    target = tmp_path / "exists.txt"
    target.write_bytes(b"old\n")
    theirs = kubo.ipfs("get", "-o", target, dir_cid, check=False)
    ours = run_cli(home, "get", "-o", str(target), dir_cid, check=False)
    assert theirs.returncode == ours.returncode == 1, (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout == f"Saving file(s) to {target}\n".encode()
    err = ours.stderr.decode()
    assert len(err.splitlines()) == 1 and err.startswith("autocodec: InvalidInput: cannot write a directory"), err
    assert target.read_bytes() == b"old\n"
