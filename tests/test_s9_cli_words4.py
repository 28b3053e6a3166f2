"""The command line's last differences from Kubo 0.43.1's, closed, beside the real ``ipfs``.

Measured with the ``ipfs`` built in the checkout on an offline ``--profile test`` repo. go-ipfs-cmds
0.16.1 (``cli/parse.go``) reads the line once, left to right, and refuses at the word where it
stands an unknown option, an option that ends the line without its value, a malformed value and
an option given twice; only then is help shown or the arguments counted. So:

- the first of these on the line wins (``add --nope --mode=x f``: ``unknown option "nope"``;
  ``add --mode=x --nope f``: the mode's ``strconv.ParseUint`` words; ``add f --nope --chunker``:
  ``unknown option "nope"``). Ours read every value first and named unknown options last;
- a refusal wins over help (``add --help --nope f``, ``dag --help --nope``: ``unknown option``,
  ``add --help --mode=x f``: the mode's words; exit 1), ``help add --nope`` too (``help CMD`` is
  ``CMD --help``). Ours showed the help, exit 0;
- a word that names no action of a group is the group's argument, and the options after it are
  read as the group's: ``dag nope --x`` is ``unknown option "x"`` (ours said argparse's ``invalid
  choice: 'nope'``, which ``dag nope`` alone still says; Kubo's ``expected 0 argument(s)``);
- a short option's word is read whole, then letter by letter: ``-Qz``, ``-Q1``, ``-nQz``, ``-vv=x``
  and ``-1`` are ``unknown option "Qz"`` (...), ``"1"``. Ours said argparse's ``ignored explicit
  argument 'z'`` and read ``-1`` as an argument (``add -1``: ``lstat -1``);
- an option missing its value is named as typed: ``-s``, ``-Qs``, ``--mhtype`` (ours named the
  option's long name: ``chunker``, ``hash``);
- arguments too many are ``expected N argument(s), got M`` (N: the most the command takes; ours
  said argparse's ``unrecognized arguments: x``), also after ``--`` (``version -- --``);
- a missing argument is ``argument "NAME" is required`` (Kubo names its own argument, ``"cid"``;
  ours names its own, ``"CID"``; ours said ``the following arguments are required: CID``).

Rows that already agreed are kept as guards. Each usage error here keeps our shape:
``autocodec CMD: error: WORDS (see `autocodec CMD --help`)``, exit 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _cli, _kubo_pair
from ._cli import main_here, refusal_line
from ._kubo import KuboRepo

SAME = _kubo_pair.SAME
MODE_X = 'argument --mode: strconv.ParseUint: parsing "x": invalid syntax'


here = _cli.here  # a home and a.txt, the working directory of an in-process run


ROWS: list[tuple[list[str], str, str]] = [
    # (argv, our command's name, our words after "error: ")
    # a short option's word, read as go-ipfs-cmds reads it
    (["add", "-Qz", "a.txt"], "add", 'unknown option "Qz"'),
    (["add", "-Q1", "a.txt"], "add", 'unknown option "Q1"'),
    (["add", "-nQz", "a.txt"], "add", 'unknown option "nQz"'),
    (["-vv=x", "version"], "version", 'unknown option "vv"'),
    (["add", "-1", "a.txt"], "add", 'unknown option "1"'),
    (["cat", "-1"], "cat", 'unknown option "1"'),
    (["version", "-1"], "version", 'unknown option "1"'),
    # the first refusal on the line
    (["add", "--nope", "--mode=x", "a.txt"], "add", 'unknown option "nope"'),
    (["add", "--nope", "--cid-version=x", "a.txt"], "add", 'unknown option "nope"'),
    (["add", "a.txt", "--nope", "--chunker"], "add", 'unknown option "nope"'),
    (["version", "--nope", "--timeout=x"], "version", 'unknown option "nope"'),  # Kubo reads it after the walk
    (["version", "--timeout=x", "--nope"], "version", 'unknown option "nope"'),
    (["add", "--mode=x", "--nope", "a.txt"], "add", MODE_X),  # guard
    (["add", "-Q", "-Q", "a.txt", "--nope"], "add", 'multiple values for option "quieter": give it once'),
    (["add", "--pin=YES", "--nope", "a.txt"], "add",
     'argument --pin: strconv.ParseBool: parsing "yes": invalid syntax: give true or false'),
    (["add", "-q", "--quiet", "a.txt"], "add", 'multiple values for option "quiet": give it once'),
    (["--enc=json", "version", "--enc=text"], "version", 'multiple values for option "encoding": give it once'),
    (["--offline=x", "version"], "", 'argument --offline: strconv.ParseBool: parsing "x": invalid syntax: give true or false'),
    (["version", "x", "--nope"], "version", 'unknown option "nope"'),  # guard
    # a refusal wins over help
    (["add", "--help", "--nope", "a.txt"], "add", 'unknown option "nope"'),
    (["add", "-h", "--nope"], "add", 'unknown option "nope"'),
    (["--help", "--nope", "version"], "version", 'unknown option "nope"'),
    (["dag", "--help", "--nope"], "dag", 'unknown option "nope"'),
    (["version", "--help", "-1"], "version", 'unknown option "1"'),
    # ``help CMD ...`` is ``CMD ... --help``: its options are read first (ours showed the help, exit 0)
    (["help", "add", "--nope"], "add", 'unknown option "nope"'),
    (["help", "add", "-x"], "add", 'unknown option "x"'),
    (["help", "-x", "add"], "add", 'unknown option "x"'),
    (["help", "dag", "--nope"], "dag", 'unknown option "nope"'),
    (["help", "--nope"], "", 'unknown option "nope"'),
    # an unknown action is the group's argument: the options after it are the group's (ours: invalid choice)
    (["dag", "nope", "--x"], "dag", 'unknown option "x"'),
    (["dag", "nope", "-h", "--x"], "dag", 'unknown option "x"'),
    (["name", "nope", "--x"], "name", 'unknown option "x"'),
    (["key", "nope", "--quiet"], "key", 'unknown option "quiet"'),
    (["add", "--help", "--mode=x", "a.txt"], "add", MODE_X),
    (["add", "--mode=x", "--help", "a.txt"], "add", MODE_X),
    (["add", "--help", "--chunker"], "add", 'missing argument for option "chunker": give its value after --chunker'),
    # the option missing its value, named as typed
    (["add", "-s"], "add", 'missing argument for option "s": give its value after -s'),
    (["add", "a.txt", "-Qs"], "add", 'missing argument for option "Qs": give its value after -Qs'),
    (["block", "put", "a.txt", "--mhtype"], "block put",
     'missing argument for option "mhtype": give its value after --mhtype'),
    (["--nope"], "", 'unknown option "nope"'),
    # the arguments' count
    (["version", "x"], "version", "expected 0 argument(s), got 1"),
    (["version", "x", "y"], "version", "expected 0 argument(s), got 2"),
    (["version", "--", "--"], "version", "expected 0 argument(s), got 1"),
    (["version", "--", "--nope"], "version", "expected 0 argument(s), got 1"),
    (["get", "bafkqaaa", "x"], "get", "expected 1 argument(s), got 2"),
    (["key", "rename", "a", "b", "c"], "key rename", "expected 2 argument(s), got 3"),
    (["name", "inspect", "x", "x"], "name inspect", "expected 1 argument(s), got 2"),
    # ``--`` is no argument, but every word after it is (a second ``--`` too)
    (["version", "a", "--", "b"], "version", "expected 0 argument(s), got 2"),
    (["version", "a", "--", "--"], "version", "expected 0 argument(s), got 2"),
    (["version", "--enc", "json", "a", "--", "b"], "version", "expected 0 argument(s), got 2"),
    (["get", "--", "bafkqaaa", "--", "x"], "get", "expected 1 argument(s), got 3"),
    (["key", "rename", "--", "a", "b", "--"], "key rename", "expected 2 argument(s), got 3"),
    (["block", "rm"], "block rm", 'argument "CID" is required'),
    (["key", "gen"], "key gen", 'argument "name" is required'),
    (["key", "rename", "k1"], "key rename", 'argument "NEW_NAME" is required'),
]


@pytest.mark.parametrize(("argv", "command", "said"), ROWS, ids=[" ".join(a) for a, _, _ in ROWS])
def test_the_first_refusal_in_kubos_words(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                          command: str, said: str) -> None:
    status, out, err = main_here(capsys, *argv)
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err, usage=True)
    prog = f"autocodec {command}".strip()
    assert line == f"{prog}: error: {said} (see `{prog} --help`)", line


@pytest.mark.parametrize("argv", [["version", "--help", "x"], ["version", "x", "--help"], ["add", "--help", "-Q"],
                                  ["add", "--", "--help", "--nope"]])
def test_help_still_wins_over_the_arguments(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Help is shown before the arguments are counted or checked, as in Kubo (exit 0); after
    ``--`` a word is an argument, never help or an option."""
    status, out, err = main_here(capsys, *argv)
    if "--" in argv:  # ``--help`` and ``--nope`` are files: add looks for them
        assert status == 1 and not out and "unknown option" not in err and "lstat --help" in err, err
        return
    assert (status, err) == (0, "") and out.startswith(f"usage: autocodec {argv[0]}"), err


def test_a_walk_reads_no_value_twice() -> None:
    """``first_refusal`` is None for a line whose options are all known and have their values,
    whatever the values look like (a value is never read as an option)."""
    from autocodec.cli._app import build_parser, dash_values
    from autocodec.cli._walk import first_refusal

    for argv in (["add", "-s", "-x", "--", "-1"], ["add", "-Qs", "size-5", "a.txt"], ["add", "-ssize-5", "a.txt"],
                 ["cid", "format", "-f", "%s", "-v", "1", "X"], ["--home", "-h", "version"], ["-vv", "version"],
                 ["ls", "-v", "X"], ["add", "-r=yes"], ["cat", "--offset", "-5", "X"]):
        parser = build_parser(argv)
        words = dash_values(parser, list(argv))
        refused = first_refusal(parser, words)
        assert refused is None or refused.message is None, (argv, refused)


# --- beside the real ``ipfs``: the rows above, and a sweep of every command with a counterpart --------

KUBO_ROWS: list[tuple[list[str], str, str | None]] = [
    # (argv, the deciding part of Kubo's message, ours: SAME, or our words where they differ)
    *[(argv, said.removesuffix(": give it once"), SAME) for argv, _command, said in ROWS  # Kubo's words, not our hint
      if not said.startswith(("missing", "argument ")) and argv[0] != "--nope"],
    (["add", "--mode=x", "--nope", "a.txt"], 'strconv.ParseUint: parsing "x": invalid syntax', SAME),
    (["add", "--help", "--mode=x", "a.txt"], 'strconv.ParseUint: parsing "x": invalid syntax', SAME),
    (["add", "--pin=YES", "--nope", "a.txt"], 'strconv.ParseBool: parsing "yes": invalid syntax', SAME),
    (["--offline=x", "version"], 'strconv.ParseBool: parsing "x": invalid syntax', SAME),
    (["add", "-s"], 'missing argument for option "s"', SAME),
    (["add", "a.txt", "-Qs"], 'missing argument for option "Qs"', SAME),
    (["add", "--help", "--chunker"], 'missing argument for option "chunker"', SAME),
    (["block", "put", "a.txt", "--mhtype"], 'missing argument for option "mhtype"', SAME),
    (["--nope"], 'unknown option "nope"', SAME),
    (["block", "rm"], 'argument "cid" is required', 'argument "CID" is required'),
    (["key", "gen"], 'argument "name" is required', SAME),
    (["key", "rename", "k1"], 'argument "newName" is required', 'argument "NEW_NAME" is required'),
]

SWEEP: list[tuple[list[str], list[str], str]] = [
    # (the command's words, its arguments, an option that takes a value)
    (["add"], ["a.txt"], "--chunker"), (["cat"], ["CID"], "--offset"), (["get"], ["CID"], "--output"),
    (["ls"], ["CID"], "--cid-base"), (["refs"], ["CID"], "--format"), (["block", "put"], ["a.txt"], "--mhtype"),
    (["block", "get"], ["CID"], "--cid-base"), (["block", "stat"], ["CID"], "--cid-base"),
    (["block", "rm"], ["CID"], "--cid-base"), (["cid", "format"], ["CID"], "-f"), (["cid", "base32"], ["CID"], "--enc"),
    (["cid", "bases"], [], "--enc"), (["cid", "codecs"], [], "--enc"), (["cid", "hashes"], [], "--enc"),
    (["dag", "get"], ["CID"], "--output-codec"), (["dag", "put"], ["a.txt"], "--store-codec"),
    (["dag", "resolve"], ["CID"], "--cid-base"), (["dag", "import"], ["a.txt"], "--cid-base"),
    (["dag", "export"], ["CID"], "--cid-base"), (["dag", "stat"], ["CID"], "--enc"), (["key", "gen"], ["k1"], "--type"),
    (["key", "list"], [], "--enc"), (["key", "rm"], ["k1"], "--enc"), (["key", "rename"], ["k1", "k2"], "--enc"),
    (["key", "export"], ["k1"], "--output"), (["key", "import"], ["k1", "f"], "--format"),
    (["name", "inspect"], [], "--enc"), (["name", "resolve"], ["k"], "--enc"), (["name", "publish"], ["CID"], "--key"),
    (["pin", "add"], ["CID"], "--enc"), (["pin", "ls"], [], "--type"), (["pin", "rm"], ["CID"], "--enc"),
    (["pin", "verify"], [], "--enc"), (["version"], [], "--enc"),
]
"""Every command of ours with a Kubo 0.43.1 counterpart: help beside an unknown option, an option
that ends the line without its value, and (for a command with a bound) an argument too many."""

MOST = {"get": 1, "block get": 1, "block stat": 1, "cid bases": 0, "cid codecs": 0, "cid hashes": 0, "dag get": 1,
        "dag resolve": 1, "dag export": 1, "key gen": 1, "key list": 0, "key rename": 2, "key export": 1,
        "key import": 2, "name inspect": 1, "name resolve": 1, "pin verify": 0, "version": 0}
"""The most arguments each takes, where Kubo and ours agree on it (``name publish``: ours asks for
``--key`` first, docs/cli.md)."""

for _words, _args, _option in SWEEP:
    _name = " ".join(_words)
    KUBO_ROWS.append(([*_words, "--help", "--nope", *_args], 'unknown option "nope"', SAME))
    KUBO_ROWS.append(([*_words, *_args, _option], f'missing argument for option "{_option.lstrip("-")}"', SAME))
    if _name in MOST:
        _extra = ["x"] * (MOST[_name] + 1 - len(_args))
        KUBO_ROWS.append(([*_words, *_args, *_extra], f"expected {MOST[_name]} argument(s), got {MOST[_name] + 1}",
                          SAME))

kubo, both = _kubo_pair.kubo, _kubo_pair.both  # a fresh offline repo; a.txt in a folder and a home


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "kubo_says", "we_say"), KUBO_ROWS, ids=[" ".join(r[0])[:60] for r in KUBO_ROWS])
def test_words_beside_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str], kubo_says: str,
                           we_say: str | None) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_words(argv, theirs, ours, kubo_says, we_say)


@pytest.mark.parametrize(("argv", "hint"), [
    (["get", "bafkqaaa", "-oa=b"], "write -o a=b"),  # -o takes a value: the rest of the word is it
    (["add", "-Qs=x", "a.txt"], "write -Q -s=x"),
    (["add", "-Qn=1", "a.txt"], "write -Q -n=1"),
])
def test_a_clusters_hint_splits_it_as_its_options_read(here: Path, capsys: pytest.CaptureFixture[str],
                                                       argv: list[str], hint: str) -> None:
    """A cluster before ``=`` is Kubo's unknown option; the hint after it spells the letters as
    separate options, a letter that takes a value taking the rest of the word (it said
    ``write -o -a=b`` for ``-oa=b``, which is ``-o`` given the value ``-a=b``)."""
    status, _out, err = main_here(capsys, *argv)
    assert status == 1 and f'unknown option "{argv[-2 if argv[0] == "add" else -1][1:].partition("=")[0]}"' in err, err
    assert f"(a value after = is one option's: {hint})" in err, err
