"""The command line where a demanding user finds its edges (review of autocodec/cli/): a home
path that names a file, and Ctrl-C arriving while the command line is being read. Each case
checks the one line a refusal prints, its exit status and that no traceback is shown."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli

CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # `hello world\n`, as `ipfs add` writes it

FILE_HOME_COMMANDS = [
    ("cat", CID),
    ("block", "stat", CID),
    ("ls", CID),
    ("refs", "local"),
    ("block", "ls"),
    ("pin", "ls"),
    ("key", "list"),
    ("key", "show", "k"),
    ("resolve", "codec", "0x71"),
    ("receipt", "ls"),
]


@pytest.mark.parametrize("args", FILE_HOME_COMMANDS, ids=" ".join)
def test_a_home_that_is_a_file_is_named_as_one(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A home path naming a file: every reading command says so and asks for a folder. Before,
    `cat` said the home "is not an autocodec home, so it holds no blocks" and to create it with
    `autocodec init` (which then refuses: a file), and `key list` said the file "does not exist"."""
    home = tmp_path / "home"
    home.write_bytes(b"not a folder")
    proc = run_cli(home, *args, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line == f"autocodec: StoreError: the home {home} is a file, not a folder " \
                   "(point --home or $AUTOCODEC_HOME at a folder)", line
    assert home.read_bytes() == b"not a folder"


def test_a_missing_home_still_says_it_does_not_exist(tmp_path: Path) -> None:
    home = tmp_path / "absent"
    proc = run_cli(home, "cat", CID, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith(f"autocodec: BlockNotFound: {home} does not exist, so it holds no blocks"), line
    assert not home.exists()


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]  # type: ignore[no-any-return]
    raise AssertionError(f"no command {name}")


@pytest.mark.parametrize("command", ["add", "cat", "dag"])
def test_ctrl_c_while_the_command_line_is_read_is_an_interrupt(monkeypatch: pytest.MonkeyPatch,
                                                                command: str) -> None:
    """Ctrl-C that lands while a command's options are read (Python 3.11's intermixed parsing
    formats the usage first) unwinds as a KeyboardInterrupt, which `main` reports as
    `autocodec: interrupted`. Before, argparse's clean-up raised AttributeError ('save_nargs')
    in its place: a traceback (seen sending SIGINT 0.15 s after `autocodec add` started). The
    Ctrl-C is delivered at that point by making the usage's formatting raise it."""
    from autocodec.cli._app import build_parser

    words = {"add": ["add", "x"], "cat": ["cat", CID], "dag": ["dag", "get", CID]}[command]
    parser = build_parser(words)
    inner = _subparser(parser, command)
    if command == "dag":
        inner = _subparser(inner, "get")

    def ctrl_c() -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(inner, "format_usage", ctrl_c)
    monkeypatch.setattr(inner, "usage", None)
    with pytest.raises(KeyboardInterrupt):
        parser.parse_known_args(words)
