"""The command line's remaining refusals and ``--timeout`` cases, beside Kubo 0.43.1's ``ipfs``.

Measured with the ``ipfs`` built in the checkout on an offline ``--profile test`` repo:

- ``add --chunker -x`` is ``unrecognized chunker option: -x`` (ours said ``unknown chunker '-x'``);
- ``pin ls -t x`` is ``invalid type 'x', must be one of {direct, indirect, recursive, all}``
  (ours: argparse's ``invalid choice``);
- ``version --timeout`` (nothing after it) is ``missing argument for option "timeout"`` (ours:
  ``unrecognized arguments: --timeout``);
- ``add -Qs=x`` is ``unknown option "Qs"``: go-ipfs-cmds 0.16.1 reads the letters before ``=`` as
  one option's name (ours gave ``-s`` the value ``=x``);
- ``--timeout=-1s version`` (or ``=1ns``) prints the version, exit 0: go-ipfs-cmds 0.16.1
  (``cli/run.go``) makes the command's context with ``context.WithTimeout``, already done for a
  duration of zero or less, and ``version``, ``cid bases|codecs|hashes|inspect`` never look at it.
  Commands that do look at it stop: ``cat``, ``add``, ``ls``, ``cid format`` with ``Error: timed
  out``; ``block get|stat``, ``dag get``, ``refs``, ``pin ls`` at random, succeeding or failing with
  whatever was cancelled first (``could not resolve name``, ``cannot access config, repo not open``:
  5 runs of ``block get --timeout=-0s CID`` gave 1 success and 4 such failures). Ours stops all of
  these with its one ``Timeout`` line, every time (docs/cli.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.cli._commands import TIMELESS

from . import _kubo_pair
from ._cli import main_here
from ._kubo import KuboRepo


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


# --- our parser alone --------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "said"), [
    (["add", "-Qs=x", "f"], 'unknown option "Qs" (a value after = is one option\'s: write -Q -s=x)'),
    (["add", "-Qw=1", "f"], 'unknown option "Qw"'),
    (["add", "-Qs=", "f"], 'unknown option "Qs"'),
    (["pin", "ls", "-t", "x"], "invalid type 'x', must be one of {direct, indirect, recursive, all}"),
    (["pin", "ls", "--type=-x"], "invalid type '-x', must be one of"),
    (["version", "--timeout"], 'missing argument for option "timeout": give its value after --timeout'),
    (["cat", "bafkqaaa", "--timeout"], 'missing argument for option "timeout"'),
    (["add", "f", "--home"], 'missing argument for option "home": give its value after --home'),
    (["version", "--api"], 'missing argument for option "api"'),
])
def test_refused_in_kubos_words(home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    status, _out, err = main_here(capsys, *argv)
    assert status == 1 and err.count("\n") == 1 and "Traceback" not in err, (status, err)
    assert said in err, err


@pytest.mark.parametrize(("argv", "value"), [
    (["add", "-s=x", "f"], "x"), (["add", "-Qs", "-x=y", "f"], "-x=y"), (["add", "-Qsx", "f"], "x"),
    (["add", "--chunker=-Q=s", "f"], "-Q=s"),
])
def test_a_value_after_one_letter_is_still_that_options(argv: list[str], value: str) -> None:
    """Only letters before ``=`` make the refused cluster: ``-s=x``, a dash value joined by
    ``dash_values`` (``-Qs-x=y``) and ``-Qsx`` give ``-s`` its value, as Kubo."""
    from autocodec.cli._argv import dash_values, kubo_spellings, place_globals, place_help
    from autocodec.cli._commands import build_parser

    parser = build_parser(argv)
    args, extras = parser.parse_known_args(place_globals(parser, place_help(parser, kubo_spellings(
        dash_values(parser, argv)))))
    assert not extras and args.chunker == value and args.paths == ["f"]


def test_a_word_after_two_dashes_is_an_argument(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``add -- -Qs=x`` names a file (Kubo: ``lstat -Qs=x: no such file or directory``)."""
    status, _out, err = main_here(capsys, "add", "--", "-Qs=x")
    assert status == 1 and "-Qs=x" in err and "unknown option" not in err, err


@pytest.mark.parametrize("timeout", ["-1s", "0s", "1ns", "-0s"])
def test_a_command_that_waits_on_nothing_ignores_the_deadline(home: Path, capsys: pytest.CaptureFixture[str],
                                                               timeout: str) -> None:
    for argv in (["version"], ["cid", "bases"], ["cid", "inspect", "bafkqaaa"]):
        status, out, err = main_here(capsys, f"--timeout={timeout}", *argv)
        assert status in (0, None) and out and not err, (argv, status, err)


def test_timeless_names_real_commands() -> None:
    from autocodec.cli._commands import build_parser, command_name

    for name in TIMELESS:
        words = name.split() + (["bafkqaaa"] if name == "cid inspect" else [])
        args, extras = build_parser(words).parse_known_args(words)
        assert not extras and command_name(args) == name


@pytest.mark.parametrize("timeout", ["-1s", "0s", "-0s"])
def test_a_deadline_already_past_stops_any_other_command(home: Path, capsys: pytest.CaptureFixture[str],
                                                         timeout: str) -> None:
    """Kubo's outcome is a race for ``block get`` (see the module's text); ours is one line, always."""
    status, out, err = main_here(capsys, "block", "get", "--timeout", timeout, "bafkqaaa")
    assert status == 1 and not out and "Timeout: timed out" in err and err.count("\n") == 1, err


# --- beside the real ``ipfs`` --------------------------------------------------------------------

SAME = _kubo_pair.SAME
"""Our message holds Kubo's deciding words (``ROWS``)."""

ROWS: list[tuple[list[str], str | None, str | None]] = [
    # (argv, the deciding part of Kubo's message (None: it succeeds), ours (SAME: Kubo's))
    (["add", "-Q", "--chunker", "-x", "a.txt"], "unrecognized chunker option: -x", SAME),
    (["add", "-Q", "--chunker=-y", "a.txt"], "unrecognized chunker option: -y", SAME),
    (["pin", "ls", "-t", "x"], "invalid type 'x', must be one of {direct, indirect, recursive, all}", SAME),
    (["pin", "ls", "-t", "-x"], "invalid type '-x', must be one of {direct, indirect, recursive, all}", SAME),
    (["pin", "ls", "--type=Direct"], "invalid type 'Direct'", SAME),
    (["version", "--timeout"], 'missing argument for option "timeout"', SAME),
    (["cat", "CID", "--timeout"], 'missing argument for option "timeout"', SAME),
    (["add", "-Q", "a.txt", "--timeout"], 'missing argument for option "timeout"', SAME),
    (["--timeout"], 'missing argument for option "timeout"', SAME),
    (["version", "--api"], 'missing argument for option "api"', SAME),
    (["add", "-Qs=x", "a.txt"], 'unknown option "Qs"', SAME),
    (["add", "-Qs=size-10", "a.txt"], 'unknown option "Qs"', SAME),
    (["add", "-Qw=x", "a.txt"], 'unknown option "Qw"', SAME),
    (["add", "-Q", "-s=x", "a.txt"], "chunker option: x", "no builtin chunker for x"),  # ours: modules too
    (["--timeout=-1s", "version"], None, None),
    (["--timeout=1ns", "version"], None, None),
    (["version", "--timeout", "-0s"], None, None),
    (["--timeout=-1s", "cid", "bases"], None, None),
    (["--timeout=-1s", "cid", "codecs"], None, None),
    (["--timeout=-1s", "cid", "hashes"], None, None),
    (["--timeout=-1s", "cid", "inspect", "CID"], None, None),
    (["--timeout=-1s", "cat", "CID"], "Error: timed out", "Timeout: timed out"),
    (["--timeout=-1s", "add", "-Q", "a.txt"], "Error: timed out", "Timeout: timed out"),
    (["--timeout=-1s", "cid", "format", "CID"], "Error: timed out", "Timeout: timed out"),
    (["cat", "-o", "-x", "CID"], 'strconv.ParseInt: parsing "-x": invalid syntax', SAME),
]
"""``version``'s text is each program's own; the other successes are compared byte for byte."""


kubo, both = _kubo_pair.kubo, _kubo_pair.both  # a fresh offline repo; a.txt in a folder and a home


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "kubo_says", "we_say"), ROWS, ids=[" ".join(row[0]) for row in ROWS])
def test_words_as_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str],
                       kubo_says: str | None, we_say: str | None) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_words(argv, theirs, ours, kubo_says, we_say)
