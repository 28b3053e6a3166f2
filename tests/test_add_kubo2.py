"""``autocodec add`` beside Kubo v0.43.1's ``ipfs add``: outputs and refusals of the options
users type together (``--silent`` with ``-q``/``-Q``/``-w``, no path at all, paths that fail
before anything is added, ``--mode``/``--mtime`` under ``-w``, out-of-range numbers).

Each case runs both commands in one small generated folder with the same arguments and stdin
and compares stdout byte for byte and the exit status (``tests/test_unixfs_kubo.py`` compares
the DAGs of many more inputs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.loader import xorshift_bytes

from . import _kubo_pair
from ._kubo import KuboRepo
from ._kubo_pair import add_both, same_add

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files of 0, 1 and 262,145 bytes, a folder with an empty subfolder and a symlink, and a
    folder beside them."""
    root = tmp_path_factory.mktemp("inputs")
    for size in (0, 1, 262_145):
        (root / f"f{size}").write_bytes(xorshift_bytes(size + 3, size))
    (root / "d" / "empty").mkdir(parents=True)
    (root / "d" / "sub").mkdir()
    (root / "d" / "sub" / "a").write_bytes(b"a" * 1000)
    (root / "d" / "b").write_bytes(b"b")
    os.symlink("b", root / "d" / "ln")
    (root / "zdir").mkdir()
    return root


# Kubo's --silent is its adder's option: the files' lines go, the folders' stay (with -w, the
# wrapper's too); -Q prints the last CID printed, an empty line when there was none (autocodec
# printed nothing at all with --silent, -Q included)
SILENT = [["--silent", "-r", "d"], ["--silent", "-Q", "-r", "d"], ["--silent", "-Q", "f1"], ["--silent", "f1", "f0"],
          ["--silent", "-w", "f1"], ["--silent", "-q", "-r", "-w", "d", "f1"], ["--silent", "-r", "d", "f1", "-Q"],
          ["--silent", "-"], ["--silent", "-Q", "-"], ["--silent", "-w", "--stdin-name=a/b", "-"]]


@pytest.mark.parametrize("args", SILENT, ids=" ".join)
def test_silent_prints_what_kubo_prints(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    same_add(*add_both(kubo, inputs, args, stdin=b"hi\n"))


# Kubo's command line checks every path before anything is added (a missing one is Go's
# 'lstat NAME: no such file or directory', a folder without -r is refused); autocodec added and
# printed the files named before it
BEFORE_ADDING = [["f1", "nonexist"], ["f1", "sub/nonexist", "-Q"], ["f1", "zdir"], ["-w", "f0", "zdir", "-Q"]]


def test_a_refused_option_writes_nothing_to_stdout(kubo: KuboRepo, inputs: Path) -> None:
    """One difference on purpose: Kubo's -Q writes an empty line when it refuses an option
    after reading the paths; a refusal here is one line on stderr and nothing on stdout."""
    theirs, ours = add_both(kubo, inputs, ["-Q", "--hash=md5", "f1"])
    assert theirs.returncode and ours.returncode and theirs.stdout == b"\n" and ours.stdout == b""


@pytest.mark.parametrize("args", BEFORE_ADDING, ids=" ".join)
def test_what_fails_before_adding_prints_what_kubo_prints(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = add_both(kubo, inputs, args)
    same_add(theirs, ours)
    assert theirs.returncode and ours.returncode


def test_a_missing_path_is_refused_in_kubos_words(kubo: KuboRepo, inputs: Path) -> None:
    theirs, ours = add_both(kubo, inputs, ["f1", "nonexist"])
    assert b"lstat nonexist: no such file or directory" in theirs.stderr
    assert b"lstat nonexist: no such file or directory" in ours.stderr
    theirs, ours = add_both(kubo, inputs, ["zdir"])
    assert b"'zdir' is a directory, use the '-r' flag to specify directories" in theirs.stderr
    assert b"'zdir' is a directory, use the '-r' flag to specify directories" in ours.stderr


# no path at all is stdin, as in Kubo (autocodec: a usage error)
@pytest.mark.parametrize("args", [[], ["-w"], ["--stdin-name=x"], ["-w", "--stdin-name=x/y", "-Q"], ["-r"]],
                         ids=lambda a: " ".join(a) or "none")
def test_no_path_adds_stdin_as_kubo(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = add_both(kubo, inputs, args, stdin=xorshift_bytes(8, 300_000))
    same_add(theirs, ours)
    assert theirs.returncode == 0 and theirs.stdout


# Kubo's -w wrapper is its adder's top folder: it takes --mode and --mtime (autocodec stored
# none there); and a given --mode/--mtime wins over --preserve-mode/--preserve-mtime (autocodec
# stored each entry's own)
METADATA = [["--mtime=100", "-r", "-w", "d", "f1"], ["--mode=0644", "-w", "f1", "f0"],
            ["--mode=0o4755", "--mtime=7", "--mtime-nsecs=9", "-w", "f1"], ["--mode=0o1000", "-w", "f1"],
            ["--mode=0644", "-w", "-"], ["--mode=0644", "--mtime=5", "-w", "--stdin-name=a/b", "-"],
            ["--mtime=100", "--preserve-mtime", "-r", "d"], ["--mode=0600", "--preserve-mode", "-r", "d"],
            ["--mode=0644", "--preserve-mode", "-w", "f1"], ["--mtime=100", "--preserve-mtime", "-w", "f1"],
            ["--mode=0600", "--preserve-mode", "--preserve-mtime", "--mtime=3", "-r", "-w", "d", "f1"]]


@pytest.mark.parametrize("args", METADATA, ids=" ".join)
def test_given_mode_and_mtime_are_stored_where_kubo_stores_them(kubo: KuboRepo, inputs: Path,
                                                                 args: list[str]) -> None:
    os.utime(inputs / "d" / "b", (1_600_000_000, 1_600_000_000))
    theirs, ours = add_both(kubo, inputs, args, stdin=b"hi\n", stored=True)
    same_add(theirs, ours)
    assert theirs.returncode == 0


# Kubo's numbers: a negative --cid-version is the default and one over 1 is 'unknown CID
# version: N' (both were usage errors); --max-file-links of 0 or less is the default 174, and 1
# lays out a one-chunk file or a trickle DAG (all were refused); --mtime-nsecs over 999999999
# is refused (it was stored)
NUMBERS = [["--cid-version=2", "f1"], ["--cid-version=0x2", "f1"], ["--cid-version=-1", "f1", "f262145"],
           ["--cid-version=-1", "--hash=sha2-512", "f1"], ["--max-file-links=0", "f262145"],
           ["--max-file-links=-1", "--trickle", "--chunker=size-1000", "f262145"],
           ["--max-file-links=1", "--chunker=size-1000", "f1"],
           ["--max-file-links=1", "--trickle", "--chunker=size-10000", "f262145"]]


@pytest.mark.parametrize("args", NUMBERS, ids=" ".join)
def test_numbers_are_read_as_kubo_reads_them(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    same_add(*add_both(kubo, inputs, args))


def test_cid_version_and_mtime_nsecs_are_refused_in_kubos_words(kubo: KuboRepo, inputs: Path) -> None:
    for args, words in ((["--cid-version=2", "f1"], b"unknown CID version: 2"),
                        (["--mtime=5", "--mtime-nsecs=1000000000", "f1"],
                         b"mtime nanoseconds must be in range [1, 999999999]")):
        theirs, ours = add_both(kubo, inputs, args, stored=True)
        assert theirs.returncode and ours.returncode and words in theirs.stderr and words in ours.stderr


def test_one_link_per_balanced_node_refuses_a_file_of_two_chunks(inputs: Path) -> None:
    """A difference on purpose: Kubo's balanced layout never ends there (it loops, adding
    nothing); here it is refused at the second chunk, in one line."""
    home = inputs.parent / "home"
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", "-n", "--max-file-links=1", "--chunker=size-100",
                           str(inputs / "f262145")], env={**os.environ, "AUTOCODEC_HOME": str(home)},
                          capture_output=True, timeout=60)
    assert ours.returncode == 1 and not ours.stdout and b"more than one chunk" in ours.stderr
    assert len(ours.stderr.splitlines()) == 1


# after `--` every word is a path, as in Kubo (autocodec: Python 3.11's intermixed parsing read
# `-dash` after `--` as an unknown option, a usage error)
@pytest.mark.parametrize("args", [["--", "-dash"], ["-Q", "--", "-dash", "f1"], ["-w", "--", "f1", "-dash"]],
                         ids=" ".join)
def test_words_after_a_double_dash_are_paths_as_in_kubo(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    (inputs / "-dash").write_bytes(b"a file whose name starts with a dash\n")
    same_add(*add_both(kubo, inputs, args))
