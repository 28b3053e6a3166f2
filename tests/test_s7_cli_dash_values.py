"""An option's value that starts with a dash, taken as Kubo 0.43.1 takes it (``_argv.dash_values``).

go-ipfs-cmds 0.16.1 (``cli/parse.go``: ``parseLongOpt``, ``parseShortOpts``) gives an option that
takes a value the next word whatever it is: ``ipfs --timeout -p=0 version`` is ``Error: time:
invalid duration "-p=0"``, ``ipfs add --chunker --help f`` is ``unrecognized chunker option:
--help``, ``ipfs cid format -f -%s CID`` prints ``-bafk...``; ``-s-x``, ``-s=-x`` and ``-Qs -x``
too; only an option that ends the line lacks one (``missing argument for option "chunker"``).
argparse said ``expected one argument`` for each (or showed the help, or took ``--`` for the end of
the options). The fast tests read our parser alone; the table runs the real ``ipfs`` beside ours.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from autocodec.cli._app import main
from autocodec.cli._argv import dash_values, kubo_spellings, place_globals, place_help
from autocodec.cli._commands import build_parser

from . import _kubo_pair
from ._kubo import KuboRepo


def _parsed(*argv: str) -> argparse.Namespace:
    """The namespace ``main`` would run for ``argv`` (the same rewriting, then argparse)."""
    parser = build_parser(list(argv))
    words = place_globals(parser, place_help(parser, kubo_spellings(dash_values(parser, list(argv)))))
    args, extras = parser.parse_known_args(words)
    assert not extras, extras
    return args


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one line ``main`` writes when it refuses ``argv`` (exit 1, never a traceback)."""
    try:
        status: object = main(list(argv))
    except SystemExit as ended:
        status = ended.code
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "Traceback" not in err, (status, err)
    return err


# --- our parser alone --------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "words"), [
    (["--timeout", "-p=0", "version"], ["--timeout=-p=0", "version"]),
    (["add", "--chunker", "-x", "f"], ["add", "--chunker=-x", "f"]),
    (["add", "-s", "--", "f"], ["add", "-s=--", "f"]),
    (["add", "-Qs", "-x", "f"], ["add", "-Qs-x", "f"]),
    (["add", "-Qs", "size-10", "f"], ["add", "-Qs", "size-10", "f"]),  # not a dash: as it was
    (["dag", "--timeout", "-x", "stat", "X"], ["dag", "--timeout=-x", "stat", "X"]),  # a global, anywhere
    (["--encoding", "-x", "version"], ["--encoding=-x", "version"]),  # Kubo's name of --enc
    (["cid", "format", "-v", "-1", "X"], ["cid", "format", "-v=-1", "X"]),  # the command's own -v wins
    (["-v", "-v", "version"], ["-v", "-v", "version"]),  # an on/off option takes no value
    (["add", "--", "--chunker", "-x"], ["add", "--", "--chunker", "-x"]),  # after --: arguments
    (["add", "f", "--chunker"], ["add", "f", "--chunker"]),  # no value: argparse says so
])
def test_a_dash_value_is_joined_to_its_option(argv: list[str], words: list[str]) -> None:
    assert dash_values(build_parser(argv), argv) == words


@pytest.mark.parametrize(("argv", "chunker"), [
    (["add", "--chunker", "-x", "f"], "-x"), (["add", "-s", "-x", "f"], "-x"), (["add", "-s-x", "f"], "-x"),
    (["add", "-s=-x", "f"], "-x"), (["add", "-Qs", "-x", "f"], "-x"), (["add", "--chunker", "-", "f"], "-"),
    (["add", "--chunker", "--", "f"], "--"), (["add", "--chunker=--", "f"], "--"), (["add", "-Qs", "--", "f"], "--"),
    (["add", "--chunker", "--help", "f"], "--help"), (["add", "-s", "-h", "f"], "-h"),
    (["add", "--chunker", "--pin=0", "f"], "--pin=0"), (["add", "--chunker", "--no-pin", "f"], "--no-pin"),
    (["add", "--chunker", "-x=y", "f"], "-x=y"),
])
def test_the_next_word_is_the_value_whatever_it_is(argv: list[str], chunker: str) -> None:
    args = _parsed(*argv)
    assert args.chunker == chunker and args.paths == ["f"] and args.pin is True


def test_a_value_of_two_dashes_does_not_end_the_options() -> None:
    """``--chunker --`` is the value ``--`` (Kubo's), so ``--pin=0`` after it is still an option,
    read by the on/off ``=VALUE`` mechanism (``Parser._parse_optional``)."""
    args = _parsed("add", "--chunker", "--", "--pin=0", "--no-raw-leaves", "f")
    assert (args.chunker, args.pin, args.raw_leaves, args.paths) == ("--", False, False, ["f"])


def test_on_off_spellings_still_read_around_a_dash_value() -> None:
    args = _parsed("add", "--no-pin", "-s", "-x", "-w=T", "--raw-leaves=0", "f")
    assert (args.pin, args.chunker, args.wrap_with_directory, args.raw_leaves) == (False, "-x", True, False)
    args = _parsed("cid", "format", "-f", "-%s", "-b", "base36", "X")
    assert (args.format, args.base, args.cids) == ("-%s", "base36", ["X"])


@pytest.mark.parametrize(("argv", "said"), [
    (["--timeout", "-p=0", "version"], 'invalid duration "-p=0"'),
    (["--timeout", "--help", "version"], 'invalid duration "--help"'),
    (["version", "--timeout", "--"], 'invalid duration "--"'),
    (["--enc", "-x", "version"], "invalid encoding: -x"),
    (["dag", "stat", "-p=0", "--timeout", "-x", "bafkqaaa"], 'invalid duration "-x"'),
    (["add", "--cid-version", "-x", "f"], 'strconv.ParseInt: parsing "-x": invalid syntax'),
    (["cat", "-o", "-5", "bafkqaaa"], "cannot specify negative offset"),
    (["pin", "ls", "-t", "-x"], "'-x'"),
    (["add", "f", "--chunker"], 'missing argument for option "chunker": give its value after --chunker'),
    (["add", "f", "-Qs"], 'missing argument for option "Qs"'),  # named as typed, as Kubo
    (["cid", "format", "X", "-f"], 'missing argument for option "f": give its value after -f'),
])
def test_the_value_is_checked_as_any_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    err = _refused(capsys, *argv)
    assert said in err and "expected one argument" not in err, err


def test_a_bad_on_off_value_after_a_dash_value_is_still_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    assert 'argument --pin: strconv.ParseBool: parsing "yes"' in _refused(capsys, "add", "-s", "-x", "--pin=yes", "f")
    assert "--no-pin" in _refused(capsys, "add", "-s", "-x", "--no-pin=true", "f")


# --- beside the real ``ipfs`` --------------------------------------------------------------------

SAME = _kubo_pair.SAME
"""Our message says what Kubo's says in the same words (``ROWS``)."""

ROWS: list[tuple[list[str], str | None, str | None]] = [
    # (argv, the deciding part of Kubo's message (None: it succeeds, stdout compared), ours (SAME: Kubo's))
    (["--timeout", "-p=0", "version"], 'invalid duration "-p=0"', SAME),
    (["--timeout", "--help", "version"], 'invalid duration "--help"', SAME),
    (["--timeout", "--", "version"], 'invalid duration "--"', SAME),
    (["version", "--timeout", "-x"], 'invalid duration "-x"', SAME),
    (["dag", "--timeout", "-x", "stat", "CID"], 'invalid duration "-x"', SAME),
    (["dag", "stat", "-p=0", "--timeout", "-x", "CID"], 'invalid duration "-x"', SAME),
    (["add", "-Q", "--chunker", "-x", "a.txt"], "unrecognized chunker option: -x", SAME),
    (["add", "-Q", "--chunker", "-", "a.txt"], "unrecognized chunker option: -\n", "unrecognized chunker option: - ("),
    (["add", "-Q", "--chunker", "--", "a.txt"], "unrecognized chunker option: --\n", "unrecognized chunker option: -- ("),
    (["add", "-Q", "--chunker=--", "a.txt"], "unrecognized chunker option: --\n", "unrecognized chunker option: -- ("),
    (["add", "-Q", "--chunker", "--help", "a.txt"], "unrecognized chunker option: --help", SAME),
    (["add", "-Q", "--chunker", "--pin=0", "a.txt"], "unrecognized chunker option: --pin=0", SAME),
    (["add", "-Q", "--chunker", "--no-pin", "a.txt"], "unrecognized chunker option: --no-pin", SAME),
    (["add", "-Q", "-s", "-x", "a.txt"], "unrecognized chunker option: -x", SAME),
    (["add", "-Q", "-s-x", "a.txt"], "unrecognized chunker option: -x", SAME),
    (["add", "-Q", "-s=-x", "a.txt"], "unrecognized chunker option: -x", SAME),
    (["add", "-Qs", "-x", "a.txt"], "unrecognized chunker option: -x", SAME),
    (["add", "-Qs", "--", "a.txt"], "unrecognized chunker option: --\n", "unrecognized chunker option: -- ("),
    (["add", "-Q", "--hash", "-x", "a.txt"], 'unrecognized hash function: "-x"', SAME),
    (["add", "-Q", "--cid-version", "-1", "a.txt"], None, None),
    (["add", "-Q", "--cid-version", "-x", "a.txt"], 'strconv.ParseInt: parsing "-x": invalid syntax', SAME),
    (["add", "-Q", "--cid-base", "-x", "a.txt"], "unsupported multibase encoding: -x", "unsupported multibase '-x'"),
    (["add", "-Q", "--mode", "-x", "a.txt"], 'strconv.ParseUint: parsing "-x": invalid syntax', SAME),
    (["add", "-Q", "--mtime", "-5", "a.txt"], None, None),
    (["cat", "--offset", "-5", "CID"], "cannot specify negative offset", SAME),
    (["cat", "-o", "-x", "CID"], 'strconv.ParseInt: parsing "-x": invalid syntax', SAME),
    (["cat", "-l", "-1", "CID"], "cannot specify negative length", SAME),
    (["--enc", "-x", "version"], "invalid encoding: -x", SAME),
    (["--encoding", "-x", "version"], "invalid encoding: -x", SAME),
    (["version", "--enc", "-x"], "invalid encoding: -x", SAME),
    (["dag", "stat", "--enc", "-x", "CID"], "invalid encoding: -x", SAME),
    (["cid", "format", "-f", "-%s", "CID"], None, None),
    (["cid", "format", "-f", "--%s", "-b", "base36", "CID"], None, None),
    (["cid", "format", "-f=-%P", "CID"], None, None),
    (["cid", "format", "-f", "--", "CID"], 'invalid format string: "--"', SAME),
    (["cid", "format", "-b", "-x", "CID"], "unsupported multibase encoding: -x", SAME),
    (["cid", "format", "--mc", "-x", "CID"], 'unknown multicodec: "-x"', "unknown multicodec: '-x'"),
    (["dag", "get", "--output-codec", "-x", "CID"], 'unknown multicodec: "-x"', SAME),
    (["dag", "put", "--store-codec", "-x", "a.txt"], 'unknown multicodec: "-x"', SAME),
    (["block", "put", "--cid-codec", "-x", "a.txt"], 'unknown multicodec: "-x"', SAME),
    (["block", "put", "--mhtype", "-x", "a.txt"], "unrecognized multihash function: -x", SAME),
    (["block", "put", "--mhlen", "-5", "a.txt"], None, None),
    (["pin", "ls", "-t", "-x"], "invalid type '-x'", SAME),
    (["key", "gen", "--type", "-x", "k9"], "unrecognized key type: -x", SAME),
    (["--api", "-x", "cat", "CID"], 'multiaddr "-x"', "not a node address: '-x'"),
    (["add", "-Q", "a.txt", "--chunker"], 'missing argument for option "chunker"', SAME),
    (["cid", "format", "CID", "-f"], 'missing argument for option "f"', SAME),
    (["add", "-Q", "--", "--chunker", "-x"], "lstat --chunker: no such file or directory", SAME),
]


kubo, both = _kubo_pair.kubo, _kubo_pair.both  # a fresh offline repo; a.txt in a folder and a home


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "kubo_says", "we_say"), ROWS, ids=[" ".join(row[0]) for row in ROWS])
def test_dash_values_as_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str],
                             kubo_says: str | None, we_say: str | None) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_words(argv, theirs, ours, kubo_says, we_say)
    assert b"expected one argument" not in ours.stderr, ours.stderr
