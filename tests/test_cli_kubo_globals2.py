"""The rest of Kubo 0.43.1's global command line, beside Kubo run offline: ``--encoding`` (its
long name of ``--enc``), ``--timeout`` (a Go duration bounding the whole command: ``Error: timed
out``, exit 1), and help asked anywhere (``ipfs --help version``, ``ipfs dag --help get``,
``ipfs help version``) shows the help of the command every command word names. The rules are in
docs/cli.md ("Global options")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec import __version__
from tests._cli import refusal_line, run_cli
from tests import _homes, _kubo_pair
from tests._kubo import KUBO_BIN, KuboRepo

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)
home = _homes.module_home  # initialised, no default set, per module (tests/_homes.py)


@pytest.mark.parametrize("args", [["--encoding=json", "version"], ["version", "--encoding", "json"],
                                  ["--encoding=json", "block", "stat", "bafkqaaa"]], ids=" ".join)
def test_encoding_is_enc(kubo: KuboRepo, home: Path, args: list[str]) -> None:
    theirs = kubo.ipfs(*args)
    ours = run_cli(home, *args)  # was: unrecognized arguments
    assert theirs.stdout.startswith(b"{") and ours.stdout.startswith(b"{")
    assert ours.stdout == run_cli(home, *[a.replace("--encoding", "--enc") for a in args]).stdout


HELP_FORMS = [
    (["--help", "version"], ["version", "--help"]),
    (["-h", "version"], ["version", "--help"]),
    (["dag", "--help", "get"], ["dag", "get", "--help"]),
    (["-h", "dag", "get"], ["dag", "get", "--help"]),
    (["help", "version"], ["version", "--help"]),
    (["help", "dag", "get"], ["dag", "get", "--help"]),
    (["help"], ["--help"]),
]


@pytest.mark.parametrize(("asked", "same_as"), HELP_FORMS, ids=[" ".join(a) for a, _ in HELP_FORMS])
def test_help_anywhere_is_the_named_commands(kubo: KuboRepo, home: Path, asked: list[str],
                                             same_as: list[str]) -> None:
    theirs = kubo.ipfs(*asked)
    assert theirs.stdout.startswith(kubo.ipfs(*same_as).stdout.split(b"\n\n")[0])  # Kubo: that command's USAGE
    ours = run_cli(home, *asked)
    assert ours.stdout == run_cli(home, *same_as).stdout  # was: the top-level help for --help version


@pytest.mark.parametrize("asked", [["--help", "bogus"], ["help", "bogus"]], ids=" ".join)
def test_help_of_an_unknown_command_is_refused(kubo: KuboRepo, home: Path, asked: list[str]) -> None:
    assert kubo.ipfs(*asked, check=False).returncode == 1
    proc = run_cli(home, *asked, check=False)
    assert "invalid choice: 'bogus'" in refusal_line(proc.returncode, proc.stdout, proc.stderr.decode(), usage=True)


@pytest.mark.parametrize("asked", [["dag", "--help", "bogus"], ["dag", "bogus", "--help"], ["help", "dag", "bogus"]],
                         ids=" ".join)
def test_help_of_an_unknown_action_is_its_groups(kubo: KuboRepo, home: Path, asked: list[str]) -> None:
    assert kubo.ipfs(*asked).stdout == kubo.ipfs("dag", "--help").stdout
    assert run_cli(home, *asked).stdout == run_cli(home, "dag", "--help").stdout


def _wait_reading(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    read, write = os.pipe()
    try:
        proc = subprocess.run(argv, env=env, stdin=read, capture_output=True, timeout=60)
    finally:
        os.close(read)
        os.close(write)
    return proc


def test_timeout_stops_a_waiting_command_as_kubo(kubo: KuboRepo, home: Path) -> None:
    """Kubo reads on until its standard input ends and then says it timed out (measured: ``sleep
    6 | ipfs --timeout=1s add -Q`` ends after 6 s); ours stops at the deadline, in the read."""
    theirs = subprocess.run(["bash", "-c", f'sleep 5 | "{KUBO_BIN}" --timeout=1s add -Q'], env=kubo.env(),
                            capture_output=True, timeout=60)
    assert (theirs.returncode, theirs.stderr) == (1, b"Error: timed out\n")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    ours = _wait_reading([sys.executable, "-m", "autocodec", "--timeout=1s", "add", "-Q"], env)  # was: refused
    line = refusal_line(ours.returncode, ours.stdout, ours.stderr.decode())
    assert line.startswith("autocodec: Timeout: timed out"), line
    assert run_cli(home, "block", "check").returncode == 0


@pytest.mark.parametrize("value", ["abc", "5", "", "1h5", "-5", "5x", "1e3s", ".s", "99999999999h", "1\u00e9",
                                   '1"s', "2562048h", "1.h", "-9223372036854775808ns", "9223372036854775808ns"])
def test_a_timeout_is_read_with_go_words_as_kubo(kubo: KuboRepo, home: Path, value: str) -> None:
    """Go's ``time.ParseDuration`` and its three refusals, word for word (``missing unit``,
    ``unknown unit "x"``, ``invalid duration``; non-ASCII quoted as bytes), where ours once said
    ``invalid duration`` for all. A value Go takes (``1.h``, the most negative duration) runs
    ``version`` for both (it waits on nothing)."""
    theirs = kubo.ipfs(f"--timeout={value}", "version", check=False)
    ours = run_cli(home, "version", f"--timeout={value}", check=False)
    said = theirs.stderr.decode("utf-8", "replace").removeprefix("Error: ").strip()
    if said.startswith("time: "):
        line = refusal_line(ours.returncode, ours.stdout, ours.stderr.decode(), usage=True)
        assert theirs.returncode == 1 and f"--timeout: {said} (" in line, (said, line)
    else:
        assert (theirs.returncode, ours.returncode, ours.stdout) == (0, 0, f"autocodec version {__version__}\n".encode()), (theirs, ours)


def test_timeout_that_does_not_fire_changes_nothing(home: Path) -> None:
    assert run_cli(home, "--timeout=1h", "block", "stat", "bafkqaaa").stdout == \
        run_cli(home, "block", "stat", "bafkqaaa").stdout


def test_serve_refuses_timeout(home: Path) -> None:
    proc = run_cli(home, "serve", "--timeout=1s", check=False)
    assert "does not apply to `autocodec serve`" in refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())


def test_timeout_removes_a_half_written_output(tmp_path: Path) -> None:
    """Expiry unwinds as Ctrl-C does: ``bao decode`` of a stream that stalls part-way leaves no
    output file, only the one line."""
    home = tmp_path / "home"
    run_cli(home, "init")  # bao comes from the shipped set
    content = tmp_path / "content.bin"
    content.write_bytes(os.urandom(2_000_000))
    encoding = tmp_path / "content.bao"
    run_cli(home, "bao", "encode", str(content), str(encoding))
    digest = run_cli(home, "bao", "hash", str(content)).stdout.decode().strip()
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "--timeout=3s", "bao", "decode", digest, "-",
                             str(work / "out.bin")], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(encoding.read_bytes()[:1_500_000])  # the rest never comes; the pipe stays open
    proc.stdin.flush()
    err = proc.stderr.read()  # until the command ends (its stderr closes)
    proc.wait(timeout=60)
    proc.stdin.close()
    assert proc.returncode == 1 and err.decode().startswith("autocodec: Timeout: timed out"), err
    assert os.listdir(work) == []
