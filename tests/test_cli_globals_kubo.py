"""Where a command line may place its options, beside Kubo 0.43.1, run side by side offline:
Kubo takes its global options (``--enc``, ``--cid-base``, ``-D``, ``--repo-dir``...) before, inside
or after the command (``ipfs --enc=json key list``, ``ipfs key --enc=json list``), and refuses a
command's own option before that command (``ipfs -Q add``, ``ipfs dag --output-codec=x get``);
ours refused the first kind before the command (``unrecognized arguments``). The rule is in
docs/cli.md ("Global options")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli
from tests import _homes, _kubo_pair
from tests._kubo import KuboRepo

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)
home = _homes.module_home  # initialised, no default set, per module (tests/_homes.py)


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("globals") / "hi.txt"
    path.write_bytes(b"hi\n")
    return path


TAKEN_ANYWHERE = [
    ["--enc=json", "key", "list"],
    ["key", "--enc=json", "list"],
    ["key", "list", "--enc=json"],
    ["--enc", "json", "version"],
    ["version", "--enc", "json"],
    ["--cid-base=base32", "block", "stat", "bafkqaaa"],
    ["block", "--cid-base=base32", "stat", "bafkqaaa"],
    ["--enc=json", "block", "stat", "bafkqaaa"],
    ["cid", "--enc=json", "format", "bafkqaaa"],
    ["--enc=json", "cid", "format", "-v", "1", "bafkqaaa"],  # format's own -v after it
]


@pytest.mark.parametrize("args", TAKEN_ANYWHERE, ids=" ".join)
def test_a_global_option_is_taken_anywhere_as_kubo(kubo: KuboRepo, home: Path, args: list[str]) -> None:
    theirs = kubo.ipfs(*args, check=False)
    ours = run_cli(home, *args, check=False)
    assert (ours.returncode, theirs.returncode) == (0, 0), (ours.stderr, theirs.stderr)
    assert ours.stdout and theirs.stdout and not ours.stderr


def test_the_same_output_wherever_the_global_option_is(home: Path) -> None:
    before = run_cli(home, "--enc=json", "--cid-base=base32", "block", "stat", "bafkqaaa").stdout
    inside = run_cli(home, "block", "--enc=json", "stat", "--cid-base=base32", "bafkqaaa").stdout
    after = run_cli(home, "block", "stat", "bafkqaaa", "--cid-base", "base32", "--enc", "json").stdout
    assert before == inside == after and before.startswith(b'{"Key":"b'), before


def test_our_own_global_options_are_taken_anywhere(home: Path, tmp_path: Path) -> None:
    """``--home``, ``-v``, ``--log-json``: as Kubo's ``--repo-dir`` and ``-D`` (``ipfs version -D``)."""
    other = tmp_path / "other"
    run_cli(home, "init", "--no-default-set", "--home", str(other))  # after the command: this home is made
    assert (other / "store.sqlite").exists()
    assert run_cli(home, "version", "-v", "--log-json").stdout == run_cli(home, "version").stdout
    assert run_cli(home, "pin", "--home", str(other), "ls").returncode == 0


REFUSED_BEFORE_THE_COMMAND = [
    ["-Q", "add", "{file}"],
    ["--only-hash", "add", "{file}"],
    ["-r", "refs", "bafkqaaa"],
    ["dag", "--output-codec=dag-json", "get", "bafkqaaa"],
    ["version", "--version"],  # --version is the program's alone, as Kubo's
]


@pytest.mark.parametrize("args", REFUSED_BEFORE_THE_COMMAND, ids=" ".join)
def test_a_commands_own_option_before_it_is_refused_as_kubo(kubo: KuboRepo, home: Path, text_file: Path,
                                                              args: list[str]) -> None:
    args = [a.format(file=text_file) for a in args]
    theirs = kubo.ipfs(*args, check=False)
    ours = run_cli(home, *args, check=False)
    assert (ours.returncode, theirs.returncode) == (1, 1), (ours.stderr, theirs.stderr)
    refusal_line(ours.returncode, ours.stdout, ours.stderr.decode(), usage=True)


def test_a_global_option_without_its_value_is_a_usage_error(home: Path) -> None:
    for args in (["version", "--home"], ["dag", "get", "--enc"], ["--cid-base"]):
        ours = run_cli(home, *args, check=False)
        refusal_line(ours.returncode, ours.stdout, ours.stderr.decode(), usage=True)


def test_after_a_double_dash_nothing_moves(home: Path) -> None:
    """``add -- --home``: a file named ``--home``, as Kubo reads every word after ``--``."""
    ours = run_cli(home, "add", "--", "--home", check=False)
    assert "--home: no such file" in refusal_line(ours.returncode, ours.stdout, ours.stderr.decode())
