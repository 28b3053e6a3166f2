"""Review fixes of the command line. A command's own option that takes a value, given last, is
that option with its value missing, never the program's option of the same name: ``cid format CID -v`` ran the command with verbose
logging (exit 0) where Kubo 0.43.1 says ``Error: missing argument for option "v"`` (exit 1,
measured with the checkout's ``ipfs`` on an offline ``--profile test`` repo). ``cid format``'s
``-v`` (the CID version) is the only own option that shares a name with a program option.
A ``--timeout`` that is no duration is refused before any help is printed, as Kubo refuses it;
a command without arguments runs with a trailing ``--``, as Kubo runs it.
"""

from __future__ import annotations

import pytest

from autocodec.cli._argv import TOP_GLOBALS, _one_value_options
from autocodec.cli._commands import _leaf_parsers, build_parser

from ._cli import main_here


@pytest.mark.parametrize("argv", [
    ["cid", "format", "bafkqaaa", "-v"],
    ["cid", "format", "-v"],
    ["cid", "format", "-f", "%s", "bafkqaaa", "-v"],
])
def test_own_value_option_last_is_its_missing_value(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out, err = main_here(capsys, *argv)
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert 'missing argument for option "v"' in err


def test_own_value_option_with_its_value_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = main_here(capsys, "cid", "format", "-v", "1", "bafkqaaa")
    assert (status, out) == (0, "bafkqaaa\n")


def test_the_program_option_is_still_taken_after_other_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = main_here(capsys, "cid", "base32", "bafkqaaa", "-v")
    assert (status, out) == (0, "bafkqaaa\n")


def test_every_colliding_own_option_is_known() -> None:
    """The rows above cover every command option that shares a program option's name but not
    its kind (a value against a flag); a new one needs its row."""
    found = {(name, opt) for name, p in _leaf_parsers(build_parser(None)).items()
             for opt, takes in _one_value_options(p).items() if opt in TOP_GLOBALS and TOP_GLOBALS[opt] != takes}
    assert found == {("cid format", "-v")}


@pytest.mark.parametrize("argv", [
    ["--timeout=x"], ["--timeout", "version"], ["--timeout=x", "dag"], ["dag", "--timeout", "x"],
    ["--timeout=x", "--help"], ["dag", "--help", "--timeout=x"],
])
def test_a_bad_timeout_is_refused_where_help_would_print(capsys: pytest.CaptureFixture[str],
                                                          argv: list[str]) -> None:
    """Kubo 0.43.1 checks ``--timeout`` before printing any help: ``ipfs --timeout version``,
    ``ipfs dag --timeout x``, ``ipfs --timeout=x --help`` are ``Error: time: invalid duration``,
    exit 1 (measured); ours printed the help and exited 0."""
    status, out, err = main_here(capsys, *argv)
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "invalid duration" in err


@pytest.mark.parametrize("argv", [["--timeout=1s"], ["--timeout", "1s", "dag"], ["dag", "--timeout=-1s"]])
def test_a_good_timeout_still_shows_the_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out, _ = main_here(capsys, *argv)
    assert status == 0
    assert out.startswith("usage: autocodec")


@pytest.mark.parametrize("argv", [["version", "--"], ["cid", "bases", "--"], ["cid", "hashes", "--numeric", "--"]])
def test_a_trailing_end_of_options_runs_a_command_without_arguments(capsys: pytest.CaptureFixture[str],
                                                                    argv: list[str]) -> None:
    """``ipfs version --`` and ``ipfs cid bases --`` run, exit 0 (Kubo 0.43.1, measured); ours
    said ``unrecognized arguments: --``. A word after the ``--`` is still refused."""
    status, out, err = main_here(capsys, *argv)
    assert (status, err) == (0, "")
    assert out


@pytest.mark.parametrize(("argv", "said"), [(["version", "--", "x"], "expected 0 argument(s), got 1"),
                                            (["version", "--", "--"], "expected 0 argument(s), got 1")])
def test_an_argument_after_the_end_of_options_is_still_refused(capsys: pytest.CaptureFixture[str],
                                                               argv: list[str], said: str) -> None:
    status, out, err = main_here(capsys, *argv)
    assert (status, out) == (1, "")
    assert said in err and err.count("\n") == 1


def test_an_in_process_verbose_run_leaves_logging_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    """``main_here`` puts logging back: a ``-v`` run (7037356's case) leaves no verbose pipeline."""
    import structlog

    from autocodec import log

    before = structlog.get_config(), log._configured
    status, out, _ = main_here(capsys, "cid", "base32", "bafkqaaa", "-v")
    assert (status, out) == (0, "bafkqaaa\n")
    assert (structlog.get_config(), log._configured) == before
