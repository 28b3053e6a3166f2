"""Exit statuses beside Kubo 0.43.1, run side by side offline: a command line that is not
understood exits 1 in both (ours was 2, argparse's), with one line on our stderr; a command group
given alone prints its help on stdout and exits 0 in both (ours was a usage error). The table
of situations is in docs/cli.md ("Exit status")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests import _homes, _kubo_pair
from tests._kubo import KuboRepo

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)
home = _homes.module_home  # initialised, no default set, per module (tests/_homes.py)


USAGE_ERRORS = [
    ["dag", "get", "--bogus", "bafkqaaa"],  # an unknown option
    ["cid", "format", "--bogus", "bafkqaaa"],
    ["--bogus", "version"],  # an unknown global option
    ["add", "--cid-version=abc", "-"],  # a value of the wrong kind
    ["refs", "--max-depth", "x", "bafkqaaa"],
    ["dag", "bogus"],  # an unknown action
    ["bogus"],  # an unknown command
    ["version", "extra"],  # an argument too many
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_a_usage_error_exits_as_kubo_in_one_line(kubo: KuboRepo, home: Path, args: list[str]) -> None:
    theirs = kubo.ipfs(*args, input=b"", check=False)
    ours = run_cli(home, *args, check=False, stdin=b"")
    assert (ours.returncode, theirs.returncode) == (1, 1), (ours.stderr, theirs.stderr)
    err = ours.stderr.decode()
    assert not ours.stdout and err.count("\n") == 1 and ": error: " in err and "--help`)" in err, err


@pytest.mark.parametrize("args", [[], ["dag"], ["cid"]], ids=lambda a: " ".join(a) or "nothing")
def test_a_command_group_alone_prints_its_help_as_kubo(kubo: KuboRepo, home: Path, args: list[str]) -> None:
    theirs = kubo.ipfs(*args, check=False)
    ours = run_cli(home, *args, check=False)
    assert (ours.returncode, theirs.returncode) == (0, 0), (ours.stderr, theirs.stderr)
    assert ours.stderr == b"" and ours.stdout.decode().startswith(" ".join(["usage: autocodec", *args]))


def test_a_help_that_cannot_be_written_is_an_error(home: Path) -> None:
    """``autocodec dag > /dev/full``: the help is lost, so not exit 0 (Kubo exits 0 here)."""
    with open("/dev/full", "wb") as full:
        ours = _run_to(home, ["dag"], full)
    assert ours.returncode == 1 and ours.stderr.decode().startswith("autocodec: OutputError: "), ours.stderr
    assert ours.stderr.count(b"\n") == 1


def _run_to(home: Path, args: list[str], stdout: object) -> subprocess.CompletedProcess[bytes]:
    """``python -m autocodec ARGS`` with standard output sent to ``stdout`` (a file object)."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=120, check=False)
