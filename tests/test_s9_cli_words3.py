"""The last refusals whose words were ours, now Kubo 0.43.1's, beside the real ``ipfs``.

Measured with the ``ipfs`` built in the checkout on an offline ``--profile test`` repo:

- ``add --mode`` and ``--mtime-nsecs`` are go-ipfs-cmds ``uint`` options, read with
  ``strconv.ParseUint(v, 0, 32)`` (``--mode 777`` is decimal 777, ``0777`` octal; ``-1`` has a
  sign, so ``invalid syntax``); ``--mtime`` is ``int64`` (``ParseInt(v, 0, 64)``: ``-1`` is a
  time). A bad one is ``Error: strconv.ParseUint: parsing "x": invalid syntax`` (``value out of
  range`` past the bits), and the first bad option on the line is the one named. Ours said
  ``--mode: '-x' is not a number`` / ``--mtime-nsecs: -1 is out of range (...)`` after the whole
  line was read (``--mode y --cid-version x`` named the cid version).
- boxo's ``size-N``: two parts or ``incorrect chunker string format (expected size-{size})``
  (``size``, ``size-1-2``, ``size--1``), then ``strconv.Atoi: parsing "x": invalid syntax``
  (``size-``, ``size-0x10``, ``value out of range`` for 20 digits), ``chunker size must be greater
  than 0`` (``size-0``, ``size-+0``), ``chunker parameters may not exceed the maximum chunk size
  of 2096896``. Ours said ``chunker 'size-x': expected size-N`` and ``chunk size 0 is outside
  1..2096896``.
- rabin: ``rabin min must be greater than 16`` for 15 (16 and 17 are taken: boxo's words are
  off by one, its check is not), ``incorrect format: rabin-min must be smaller than rabin-avg``,
  ``...: rabin-avg must be smaller than rabin-max``, the chunk-size limit as for ``size-N`` (also
  ``rabin-AVG`` with 1.5 x AVG over it), ``incorrect format (expected 'rabin' 'rabin-[avg]' or
  'rabin-[min]-[avg]-[max]'`` (boxo's unclosed parenthesis). Ours said ``rabin min must be at
  least 16``, ``need MIN < AVG < MAX``, ``MAX is over the chunk size limit``.
- an unknown option, long or short, on any command, before or after the command word, with or
  without ``=VALUE``: ``Error: unknown option "nope"`` (the word without ``--``/``-`` and the
  value, Go-quoted: ``---nope`` is ``"-nope"``, ``-zy`` is ``"zy"``, ``--a"b`` is ``"a\\"b"``),
  also when an extra argument comes first (``version x --nope``: options are read first) or the
  program's ``--timeout`` ends the line without its value after it (``version --nope --timeout``:
  the first refusal on the line; ours said ``missing argument for option "timeout"``). Ours
  said argparse's ``unrecognized arguments: --nope``. After ``--`` a word is an argument in both
  (``version -- --nope``: ``expected 0 argument(s), got 1``, since tests/test_s9_cli_words4.py).

Each row's shape is ours: a usage error is ``autocodec CMD: error: [argument OPT: ]WORDS (see
`autocodec CMD --help`)``, a chunker's ``autocodec: InvalidInput: WORDS (HINT)``; exit 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _cli, _kubo_pair
from ._cli import main_here, refusal_line
from ._kubo import KuboRepo

BIG = "99999999999999999999"  # past 64 bits
SAME = _kubo_pair.SAME


here = _cli.here  # a home and a.txt, the working directory of an in-process run


# --- add --mode / --mtime / --mtime-nsecs ---------------------------------------------------------

META: list[tuple[list[str], str]] = [
    # (argv, the words after "argument OPT: ")
    (["--mode", "x"], 'strconv.ParseUint: parsing "x": invalid syntax'),
    (["--mode", "-x"], 'strconv.ParseUint: parsing "-x": invalid syntax'),
    (["--mode", "-1"], 'strconv.ParseUint: parsing "-1": invalid syntax'),
    (["--mode", "08"], 'strconv.ParseUint: parsing "08": invalid syntax'),  # octal
    (["--mode", ""], 'strconv.ParseUint: parsing "": invalid syntax'),
    (["--mode", "4294967296"], 'strconv.ParseUint: parsing "4294967296": value out of range'),
    (["--mode", BIG], f'strconv.ParseUint: parsing "{BIG}": value out of range'),
    (["--mtime", "x"], 'strconv.ParseInt: parsing "x": invalid syntax'),
    (["--mtime", "-x"], 'strconv.ParseInt: parsing "-x": invalid syntax'),
    (["--mtime", "08"], 'strconv.ParseInt: parsing "08": invalid syntax'),
    (["--mtime", "9223372036854775808"], 'strconv.ParseInt: parsing "9223372036854775808": value out of range'),
    (["--mtime", "-9223372036854775809"], 'strconv.ParseInt: parsing "-9223372036854775809": value out of range'),
    (["--mtime", "5", "--mtime-nsecs", "x"], 'strconv.ParseUint: parsing "x": invalid syntax'),
    (["--mtime", "5", "--mtime-nsecs", "-1"], 'strconv.ParseUint: parsing "-1": invalid syntax'),
    (["--mtime", "5", "--mtime-nsecs", "4294967296"], 'strconv.ParseUint: parsing "4294967296": value out of range'),
    (["--mtime-nsecs", "x"], 'strconv.ParseUint: parsing "x": invalid syntax'),  # before "requires mtime"
    # the first bad option on the line is the one named
    (["--mtime", "x", "--mode", "y"], 'strconv.ParseInt: parsing "x": invalid syntax'),
    (["--mode", "y", "--mtime", "x"], 'strconv.ParseUint: parsing "y": invalid syntax'),
    (["--mode", "y", "--cid-version", "x"], 'strconv.ParseUint: parsing "y": invalid syntax'),
]


@pytest.mark.parametrize(("options", "said"), META, ids=[" ".join(o) for o, _ in META])
def test_metadata_options_are_refused_in_gos_words(here: Path, capsys: pytest.CaptureFixture[str],
                                                   options: list[str], said: str) -> None:
    status, out, err = main_here(capsys, "add", "-Q", "-n", *options, "a.txt")
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err, usage=True)
    assert f": {said} (see `autocodec add --help`)" in line, line


@pytest.mark.parametrize(("options", "cid"), [
    (["--mode", "0x1ff"], "QmeuXtMEtHEiSoyWHCPnuya5rGVYhsNeSK7Lp64aTAop7B"),  # as Kubo's, measured
    (["--mode", "0777"], "QmeuXtMEtHEiSoyWHCPnuya5rGVYhsNeSK7Lp64aTAop7B"),
    (["--mode", "4294967295"], "QmYtUgok8GkkKKFP6ECDUbJdq73SeXFaBr4NhdDbrjuhs4"),
    (["--mtime", "-1"], "QmaijMQ9uLFgbeQCsw8XqJoCEnn7hgUGL8HW1jW4fpBgT2"),
    (["--mtime", "5", "--mtime-nsecs", "999999999"], "QmZa6F6qwMP7nSiY6Szn8sYvuP8NwRRQqJ9iMn6tpzvgFT"),
])
def test_what_kubo_reads_is_read(here: Path, capsys: pytest.CaptureFixture[str], options: list[str],
                                 cid: str) -> None:
    status, out, err = main_here(capsys, "add", "-Q", "-n", *options, "a.txt")
    assert (status, out) == (0, cid + "\n"), err


# --- the chunker's words ----------------------------------------------------------------------------

CHUNKERS: list[tuple[str, str]] = [
    ("size", "incorrect chunker string format (expected size-{size})"),
    ("size-1-2", "incorrect chunker string format (expected size-{size})"),
    ("size--1", "incorrect chunker string format (expected size-{size})"),
    ("size-x", 'strconv.Atoi: parsing "x": invalid syntax'),
    ("size-", 'strconv.Atoi: parsing "": invalid syntax'),
    ("size-0x10", 'strconv.Atoi: parsing "0x10": invalid syntax'),
    (f"size-{BIG}", f'strconv.Atoi: parsing "{BIG}": value out of range'),
    ("size-0", "chunker size must be greater than 0"),
    ("size-+0", "chunker size must be greater than 0"),
    ("size-2096897", "chunker parameters may not exceed the maximum chunk size of 2096896"),
    ("rabin-15-32-64", "rabin min must be greater than 16"),
    ("rabin-min:15-32-64", "rabin min must be greater than 16"),
    ("rabin-16-16-64", "incorrect format: rabin-min must be smaller than rabin-avg"),
    ("rabin-17-16-2096897", "incorrect format: rabin-min must be smaller than rabin-avg"),  # before MAX's limit
    ("rabin-16-64-64", "incorrect format: rabin-avg must be smaller than rabin-max"),
    ("rabin-16-99999999-1", "incorrect format: rabin-avg must be smaller than rabin-max"),
    ("rabin-16-16-x", 'strconv.Atoi: parsing "x": invalid syntax'),  # all three read before the order
    ("rabin-16-32-2096897", "chunker parameters may not exceed the maximum chunk size of 2096896"),
    ("rabin-1397932", "chunker parameters may not exceed the maximum chunk size of 2096896"),  # 1.5 x AVG
    ("rabin-1-2", "incorrect format (expected 'rabin' 'rabin-[avg]' or 'rabin-[min]-[avg]-[max]'"),
    ("rabin--16-32-64", "incorrect format (expected 'rabin' 'rabin-[avg]' or 'rabin-[min]-[avg]-[max]'"),
]


@pytest.mark.parametrize(("chunker", "said"), CHUNKERS, ids=[c for c, _ in CHUNKERS])
def test_chunker_refusals_are_boxos(here: Path, capsys: pytest.CaptureFixture[str], chunker: str,
                                    said: str) -> None:
    status, out, err = main_here(capsys, "add", "-Q", "-n", "--chunker", chunker, "a.txt")
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err)
    assert line.startswith(f"autocodec: InvalidInput: {said} (") and "use e.g. " in line, line


@pytest.mark.parametrize("chunker", ["rabin-16-32-64", "rabin-17-32-64", "size-2096896", "size-+5", "rabin-15"])
def test_chunkers_at_the_bounds_are_taken(chunker: str) -> None:
    from autocodec.unixfs._chunk import parse_chunker

    assert parse_chunker(chunker).text == chunker


def test_a_lower_configured_limit_is_the_one_named() -> None:
    from dataclasses import replace

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import InvalidInput
    from autocodec.unixfs._chunk import parse_chunker

    limits = replace(DEFAULT_LIMITS, unixfs=replace(DEFAULT_LIMITS.unixfs, max_chunk_bytes=1000))
    with pytest.raises(InvalidInput) as caught:
        parse_chunker("size-1001", limits)
    assert caught.value.message == "chunker parameters may not exceed the maximum chunk size of 1000"


# --- unknown options -------------------------------------------------------------------------------

UNKNOWN: list[tuple[list[str], str, str]] = [
    # (argv, our command's name, the NAME Kubo quotes)
    (["add", "--nope", "a.txt"], "add", '"nope"'),
    (["add", "-z", "a.txt"], "add", '"z"'),
    (["add", "-Q", "--nope=1", "a.txt"], "add", '"nope"'),
    (["add", "-Q", "a.txt", "--nope"], "add", '"nope"'),
    (["add", "a.txt", "-z", "--nope"], "add", '"z"'),  # the first one
    (["add", "-zy", "a.txt"], "add", '"zy"'),  # a cluster is named whole
    (["add", "---nope", "a.txt"], "add", '"-nope"'),
    (["add", "--=x", "a.txt"], "add", '""'),
    (["add", '--a"b', "a.txt"], "add", '"a\\"b"'),  # Go's %q
    (["add", "-vs", "-x", "a.txt"], "add", '"vs"'),  # -v is the program's, no letter of a cluster
    (["--quiet", "add", "a.txt"], "add", '"quiet"'),  # add's own option before add
    (["cat", "--nope", "bafkqaaa"], "cat", '"nope"'),
    (["cat", "-z", "bafkqaaa"], "cat", '"z"'),
    (["block", "get", "-z", "bafkqaaa"], "block get", '"z"'),
    (["dag", "--nope", "get", "bafkqaaa"], "dag get", '"nope"'),
    (["pin", "-r", "ls"], "pin ls", '"r"'),
    (["version", "--nope"], "version", '"nope"'),
    (["version", "x", "--nope"], "version", '"nope"'),  # options are read before arguments are counted
    (["version", "--nope", "--", "--nope"], "version", '"nope"'),
    (["-z", "version"], "version", '"z"'),
    (["--offl", "version"], "version", '"offl"'),  # no long option by a prefix of its name
    (["version", "--nope", "--timeout"], "version", '"nope"'),  # before a value missing at the end
    (["version", "-z", "--timeout"], "version", '"z"'),
]


@pytest.mark.parametrize(("argv", "command", "name"), UNKNOWN, ids=[" ".join(a) for a, _, _ in UNKNOWN])
def test_an_unknown_option_is_named_as_kubo_names_it(here: Path, capsys: pytest.CaptureFixture[str],
                                                     argv: list[str], command: str, name: str) -> None:
    status, out, err = main_here(capsys, *argv)
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err, usage=True)
    assert line == f"autocodec {command}: error: unknown option {name} (see `autocodec {command} --help`)", line


@pytest.mark.parametrize("argv", [["version", "--", "--nope"], ["version", "x"], ["version", "-", "x"]])
def test_an_argument_is_no_unknown_option(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """After ``--`` a word is an argument; an extra argument is Kubo's ``expected 0 argument(s),
    got N`` (tests/test_s9_cli_words4.py)."""
    status, out, err = main_here(capsys, *argv)
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err, usage=True)
    assert "expected 0 argument(s), got " in line and "unknown option" not in line, line


# --- beside the real ``ipfs`` ----------------------------------------------------------------------

KUBO_ROWS: list[tuple[list[str], str | None, str | None]] = [
    # (argv, the deciding part of Kubo's message, ours: SAME, or our words where they still differ)
    *[(["add", "-Q", *options, "a.txt"], f"Error: {said}\n", f"{said} (see") for options, said in META],
    *[(["add", "-Q", "--chunker", chunker, "a.txt"], f"Error: {said}\n", f"InvalidInput: {said} (")
      for chunker, said in CHUNKERS],
    (["add", "-Q", "--chunker", "rabin-16-32-64", "a.txt"], None, None),
    (["add", "-Q", "--chunker", "rabin-17-32-64", "a.txt"], None, None),
    (["add", "-Q", "--mode", "0x1ff", "a.txt"], None, None),
    *[(argv, f"Error: unknown option {name}\n", f"unknown option {name} (see") for argv, _command, name in UNKNOWN],
    (["add", "-Q", "--", "--nope"], "lstat --nope: no such file or directory", SAME),
    (["version", "--", "--nope"], "expected 0 argument(s), got 1", SAME),
]

kubo, both = _kubo_pair.kubo, _kubo_pair.both  # a fresh offline repo; a.txt in a folder and a home


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "kubo_says", "we_say"), KUBO_ROWS, ids=[" ".join(r[0])[:60] for r in KUBO_ROWS])
def test_words_beside_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str], kubo_says: str | None,
                           we_say: str | None) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_words(argv, theirs, ours, kubo_says, we_say)
