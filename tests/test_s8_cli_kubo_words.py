"""Command-line loose ends beside Kubo 0.43.1's ``ipfs`` (built in the checkout, offline ``--profile test`` repo).

Measured:

- ``add -vs -x f``: Kubo says ``unknown option "vs"`` (go-ipfs-cmds 0.16.1 ``parseShortOpts``: ``v`` is
  no option of ``add``). Ours read ``-vs`` as a cluster taking ``-x`` (``-v`` is the program's
  verbose flag) and refused a word nobody typed, ``-vs-x``; now the words are refused as typed
  (and, since test_s9_cli_words3, in Kubo's words).
- ``add --chunker=<10,000 x>``: Kubo repeats the value whole (``Error: unrecognized chunker option:
  xxx...``, one line of 10,037 bytes); ours too, so it stays.
- The program's ``--timeout`` is read by the walk that places the global options (``read_globals``),
  never a command's own ``--timeout`` after that command (``bao cat``: seconds).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _kubo_pair
from ._cli import main_here
from ._kubo import KuboRepo

LONG = "x" * 10_000

ROWS: list[tuple[list[str], str, str]] = [
    # (argv, the deciding part of Kubo's message, ours)
    (["add", "-Q", "-vs", "-x", "a.txt"], 'unknown option "vs"', 'unknown option "vs" ('),
    (["add", "-vs", "-x", "a.txt"], 'unknown option "vs"', 'unknown option "vs" ('),
    (["add", "-Q", f"--chunker={LONG}", "a.txt"], f"unrecognized chunker option: {LONG}\n",
     f"unrecognized chunker option: {LONG} ("),
]
"""Every row fails in both programs (the same exit status, ours one line)."""

kubo, both = _kubo_pair.kubo, _kubo_pair.both  # a fresh offline repo; a.txt in a folder and a home


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "kubo_says", "we_say"), ROWS, ids=[" ".join(r[0])[:40] for r in ROWS])
def test_words_beside_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str], kubo_says: str,
                           we_say: str) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_words(argv, theirs, ours, kubo_says, we_say)


# --- our command line alone ----------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize(("argv", "words"), [
    (["add", "-vs", "-x", "f"], "vs"), (["add", "-vs", "size-1", "f"], "vs"),
    (["cat", "-vo", "-5", "bafkqaaa"], "vo"),  # -5 reads as an argument, as any negative number
])
def test_a_global_letter_makes_no_cluster(home: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                          words: str) -> None:
    status, _out, err = main_here(capsys, *argv)
    assert status == 1 and err.count("\n") == 1, err
    assert f'unknown option "{words}" (' in err, err  # Kubo's words (test_s9_cli_words3)


@pytest.mark.parametrize(("argv", "timeouts"), [
    (["--timeout", "1s", "version"], ["1s"]),
    (["version", "--timeout=2s"], ["2s"]),
    (["dag", "--timeout", "x", "stat", "bafkqaaa"], ["x"]),
    (["--timeout=1s", "dag", "stat", "--timeout", "-x", "bafkqaaa"], ["1s", "-x"]),
    (["bao", "cat", "X", "--timeout", "5"], []),  # bao cat's own (seconds)
    (["--timeout", "3s", "bao", "cat", "X", "--timeout", "-1"], ["3s"]),
    (["bao", "--timeout", "1m", "cat", "X"], ["1m"]),  # before the command: the program's
    (["version", "--timeout"], []),  # its value missing: argparse says so
    (["version", "--", "--timeout", "x"], []),  # an argument after --
    (["--timeout=x", "--help"], ["x"]), (["dag", "--timeout", "x"], ["x"]),
])
def test_read_globals_reports_the_programs_timeouts(argv: list[str], timeouts: list[str]) -> None:
    from autocodec.cli._argv import dash_values, kubo_spellings, place_globals, place_help, read_globals
    from autocodec.cli._commands import build_parser

    parser = build_parser(argv)
    words = place_help(parser, kubo_spellings(dash_values(parser, argv)))
    placed = read_globals(parser, words)
    assert placed.timeouts == timeouts
    assert placed.words == place_globals(parser, words)


def test_two_program_timeouts_are_refused_before_stdin_is_read(home: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ``--timeout``s are refused before stdin is read (as Kubo: ``multiple values for option``).
    The stdin read's deadline itself: tests/test_review4_cli_stdin.py, test_cli_kubo_globals2.py."""
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"bafkqaaa\n")))
    status, out, err = main_here(capsys, "--timeout", "1s", "cat", "--timeout", "2s")
    assert status == 1 and not out and 'multiple values for option "timeout"' in err, err
