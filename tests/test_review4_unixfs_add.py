"""``autocodec add`` beside Kubo v0.43.1's ``ipfs add``: corners the other differentials miss.

Each case runs ``ipfs add ARGS`` and ``autocodec add ARGS`` in one generated folder, with the
same stdin, and compares stdout byte for byte and whether each failed; a refusal here is one
line on stderr, never a traceback. ``--only-hash`` unless a case stores (Kubo's own
``--only-hash`` fails with UnixFS metadata, docs/unixfs.md). Cases found by measuring:

- ``-w --empty-dirs=false``: the wrapper is Kubo's top folder, so an added folder with nothing
  left in it is skipped like any folder below the top (autocodec linked and printed it);
- ``--hash`` is a go-multihash name in any letter case, nothing else (autocodec took a code
  number, ``--hash=18``, and spaces around a name);
- stdin named twice (``add - -``): Kubo adds it once, prints its line, then fails (autocodec
  added it once and succeeded);
- ``-r=true`` / ``--recursive=false``, Kubo's spellings of a bool option (a usage error here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocodec.builtin import decode
from autocodec.loader import xorshift_bytes
from autocodec.unixfs import _pb

from . import _kubo_pair
from ._kubo import KuboRepo
from ._kubo_pair import add_both, same_add

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small files, a folder with an empty and a hidden entry, empty folders, a folder whose
    entries an ``--ignore`` rule can take away, and a folder holding only an empty folder."""
    root = tmp_path_factory.mktemp("inputs") / "in"
    root.mkdir()
    for size in (0, 1, 5000):
        (root / f"f{size}").write_bytes(xorshift_bytes(size + 7, size))
    (root / "d" / "e").mkdir(parents=True)
    (root / "d" / "x").write_bytes(b"x")
    (root / "d" / ".h").write_bytes(b"h")
    (root / "hidden-only").mkdir()
    (root / "hidden-only" / ".h").write_bytes(b"h")
    (root / "emptydir").mkdir()
    (root / "nest" / "inner").mkdir(parents=True)
    (root / "g").mkdir()
    (root / "g" / "a.log").write_text("l")
    (root / "g" / "b").write_text("b")
    os.symlink("emptydir", root / "elink")
    os.symlink("f1", root / "lnk")
    os.symlink("nowhere", root / "dang")
    os.symlink("d", root / "dlnk")
    return root


EMPTY_UNDER_WRAP = [
    ["-w", "-r", "-E=false", "emptydir"], ["-w", "-r", "-E=false", "emptydir", "f1"],
    ["-w", "-r", "-E=false", "d", "emptydir"], ["-w", "-r", "-E=false", "-Q", "emptydir"],
    ["-w", "-r", "-E=false", "-q", "emptydir"], ["-w", "-r", "-E=false", "--silent", "emptydir"],
    ["-w", "-r", "-E=false", "emptydir", "emptydir"], ["-w", "-r", "-E=false", "hidden-only", "f0"],
    ["-w", "-r", "-E=false", "-H", "hidden-only"], ["-w", "-r", "-E=false", "--ignore=*", "g", "f1"],
    ["-w", "-r", "-E=false", "nest"], ["-w", "-r", "-E=false", "--dereference-args", "elink"],
    ["-w", "-r", "-E=false", "elink"], ["-w", "-r", "-E=false", "--stdin-name=s", "emptydir", "-"],
    # without -w the added folder is Kubo's top folder: kept, empty or not
    ["-r", "-E=false", "emptydir"], ["-r", "-E=false", "--ignore=*", "g"], ["-r", "-E=false", "nest"],
    ["-w", "-r", "emptydir"],
]


@pytest.mark.parametrize("args", EMPTY_UNDER_WRAP, ids=" ".join)
def test_an_empty_folder_under_w_without_empty_dirs_is_kubos(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = add_both(kubo, inputs, args, stdin=b"data")
    same_add(theirs, ours)
    assert theirs.returncode == 0


def test_an_empty_folder_under_w_is_left_out_of_the_stored_wrapper_too(kubo: KuboRepo, inputs: Path) -> None:
    """Stored (with --mode: Kubo's --only-hash fails with metadata), so the DAG is Kubo's too."""
    theirs, ours = add_both(kubo, inputs, ["-w", "-r", "-E=false", "--mode=0755", "emptydir", "f1"], stored=True)
    same_add(theirs, ours)
    assert theirs.returncode == 0 and theirs.stdout.count(b"\n") == 2


HASH_SPELLINGS = ["--hash=0x12", "--hash=18", "--hash= sha2-256", "--hash=sha2-256 ", "--hash=SHA2-256",
                  "--hash=Blake3", "--hash=Identity", "--hash=nosuch", "--hash=", "--hash=MD5", "--hash=sha2_256"]


@pytest.mark.parametrize("option", HASH_SPELLINGS)
def test_hash_names_are_read_as_kubo_reads_them(kubo: KuboRepo, inputs: Path, option: str) -> None:
    theirs, ours = add_both(kubo, inputs, [option, "f1"])
    same_add(theirs, ours)
    if b"unrecognized hash function" in theirs.stderr:
        assert theirs.stderr.split(b": ", 1)[1].strip() in ours.stderr  # the same words and quoting


STDIN_TWICE = [["-", "-"], ["-w", "-", "-"], ["-", "-", "f1"], ["--stdin-name=zz", "f1", "-", "-"], ["-Q", "-", "-"],
               ["-q", "-", "f1", "-"], ["--silent", "-", "-"], ["-w", "--stdin-name=a/b", "-", "-"]]


@pytest.mark.parametrize("args", STDIN_TWICE, ids=" ".join)
def test_stdin_named_twice_is_added_once_then_refused_as_kubo(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = add_both(kubo, inputs, args, stdin=b"abc")
    same_add(theirs, ours)
    assert theirs.returncode and b"file already closed" in ours.stderr


@pytest.mark.parametrize("args", [["-r=true", "d"], ["-r=false", "d"], ["--recursive=true", "d"],
                                  ["--recursive=false", "f1"], ["-r=true", "-w", "d", "f1"], ["-rw", "d"]],
                         ids=" ".join)
def test_recursive_takes_kubos_bool_spellings(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    same_add(*add_both(kubo, inputs, args))


def _threshold_folder(root: Path, cid_bytes: int, over: int) -> Path:
    """Entries whose names and CIDs (of ``cid_bytes`` each: every file holds b"same") sum to
    Kubo's 256 KiB sharding estimate exactly, plus ``over`` bytes of name."""
    threshold = 262_144  # Import.UnixFSHAMTDirectorySizeThreshold's default, "links" estimation
    per = 60 + cid_bytes
    n = threshold // per - 1
    names = [f"{i:060d}" for i in range(n)] + ["y" * (threshold - n * per - cid_bytes + over)]
    root.mkdir(parents=True)
    for name in names:
        (root / name).write_bytes(b"same")
    return root


# tests/test_unixfs_kubo.py has the edge for CIDv0 links (34 bytes); here the other CID lengths
# Kubo's estimate counts: CIDv1 raw (36), sha2-512 (68), an inlined identity CID (8)
THRESHOLD_CASES = [("v1", 36, ["--cid-version=1"]), ("sha512", 68, ["--hash=sha2-512"]),
                   ("inline", 8, ["--inline", "--cid-version=1"])]


@pytest.mark.parametrize("label,cid_bytes,flags", THRESHOLD_CASES, ids=[c[0] for c in THRESHOLD_CASES])
def test_the_sharding_edge_for_other_cid_lengths_is_kubos(kubo: KuboRepo, tmp_path: Path, label: str,
                                                          cid_bytes: int, flags: list[str]) -> None:
    roots = []
    for over in (0, 1):
        folder = _threshold_folder(tmp_path / f"{label}-{over}", cid_bytes, over)
        theirs, ours = add_both(kubo, tmp_path, ["-r", "-Q", *flags, folder.name])
        same_add(theirs, ours)
        roots.append(theirs.stdout)
    kinds = []
    for over, root in enumerate(roots):  # stored so its root block can be read: plain at the edge, a shard past it
        kubo.ipfs("add", "-r", "-Q", *flags, tmp_path / f"{label}-{over}")
        block = kubo.ipfs("block", "get", root.decode().strip()).stdout
        kinds.append(_pb.decode(decode(block, "dag-pb")["Data"]).type)
    assert kinds == [_pb.DIRECTORY, _pb.HAMT_SHARD]


@pytest.fixture(scope="module")
def byte_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding names that are not UTF-8 (and one that is), and rules files with such bytes."""
    base = tmp_path_factory.mktemp("bytes")
    folder = base / "nb"
    folder.mkdir()
    for name in (b"bad\xff\xfename", b"ok\xc3\xa9", b"lone\xc3x"):
        (folder / os.fsdecode(name)).write_bytes(name)
    (base / "rules").write_bytes(b"bad\xff*\n")
    (base / "rules-ok").write_bytes(b"ok*\n")
    return base


# go-gitignore compiles each rule with Go's regexp, which refuses an expression that is not UTF-8
# (the rule is dropped) and reads each byte of a name that is not UTF-8 as U+FFFD (autocodec took
# such a rule and matched such a byte only by itself)
IGNORE_BYTES = [["--ignore-rules-path=rules"], ["--ignore-rules-path=rules-ok"], ["--ignore=" + os.fsdecode(b"bad\xff*")],
                ["--ignore=!" + os.fsdecode(b"bad\xff*"), "--ignore=*"], ["--ignore=bad\ufffd*"],
                ["--ignore=bad\ufffd\ufffdname"], ["--ignore=*\ufffd*"], ["--ignore=lone\ufffdx"], ["--ignore=bad*"]]


@pytest.mark.parametrize("flags", IGNORE_BYTES, ids=lambda f: ascii(" ".join(f)))
def test_ignore_rules_and_names_that_are_not_utf8_are_kubos(kubo: KuboRepo, byte_names: Path,
                                                             flags: list[str]) -> None:
    theirs, ours = add_both(kubo, byte_names, ["-r", *flags, "nb"])
    same_add(theirs, ours)
    assert theirs.returncode == 0


@pytest.fixture(scope="module")
def regexp_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("regexp")
    folder = base / "rx"
    folder.mkdir()
    for name in ("a.log", "b.log", "A.LOG", "1.log", "_.log", "x y", "x\ty", "é.log", "a$b", "a{b", "q]", "[x", "a-b",
                 "ab", "aab", "v", "nl\nname", "vt\vname"):
        (folder / name).write_bytes(b"x")
    return base


# a rule's regular-expression characters are Go's regexp syntax (go-gitignore compiles the rule
# with Go's regexp): autocodec read them as Python's re (POSIX classes, \z, $, \s, octal and
# \x{..} escapes, \Q..\E differed; \u0061, \N{..}, \Z, \C, a++ and counts over 1000 were taken
# where Go refuses the rule and Kubo drops it)
REGEXP_RULES = [r"[[:alpha:]].log", r"a{1}.log", r"\Qa.log\E", r"[a-].log", r"\x61.log", r"\x{61}.log", r"\141.log",
                r"\1.log", r"\8", r"a.log\z", r"\Aa.log", r"a.log\Z", r"\u0061.log", r"\N{LATIN SMALL LETTER A}.log",
                r"[[:^alpha:]].log", r"[^[:^alpha:]].log", r"\d.log", r"[\d].log", r"\w.log", r"\W.log", r"[\W].log",
                r"\C.log", r"\e", r"x\sy", r"x\Sy", r"vt\sname", r"vt[[:space:]]name", r"nl\nname", r"nl.name", r"a$b",
                r"a\$b", r"a{b", r"q]", r"[[]x", r"\[x", r"a-b", r"a+b", r"a++b", r"a{2}b", r"a{1001}b", r"(a|b).log",
                r"[[:word:]].log", r"[[:nope:]]", r"[z-a]", r"é.log", r"\é.log", r"[é].log", r"[[:punct:]].log",
                r"\b_.log", r"a.lo\g", r"[\S].log", r"[^\s]"]


@pytest.mark.parametrize("rule", REGEXP_RULES)
def test_ignore_rules_are_go_regexps_as_in_kubo(kubo: KuboRepo, regexp_names: Path, rule: str) -> None:
    theirs, ours = add_both(kubo, regexp_names, ["-r", f"--ignore={rule}", "rx"])
    same_add(theirs, ours)
    assert theirs.returncode == 0


def test_unicode_classes_in_ignore_rules_are_kubos(kubo: KuboRepo, regexp_names: Path) -> None:
    """Go takes ``\\pL``, and so does autocodec now (Go's own tables, ``autocodec/_gounicode``; the
    rule was dropped here, tests/test_s6_add_ignore_unicode.py has more)."""
    theirs, ours = add_both(kubo, regexp_names, ["-r", r"--ignore=\pL.log", "rx"])
    same_add(theirs, ours)
    assert b"rx/a.log" not in theirs.stdout and theirs.returncode == 0


# Kubo cleans each path (Go's filepath.Clean) before its lstat: 'lnk/' is the symlink lnk, 'd/x/'
# the file x, and messages name the cleaned path (autocodec's lstat of 'lnk/' failed: not a directory)
CLEANED = [["lnk/"], ["-r", "lnk/"], ["dang/"], ["-w", "lnk/", "dang/"], ["d/x/"], ["nonexist/"], ["x/../nonexist"],
           ["d/"], ["-r", "dlnk/"], ["-r", "dlnk/."], ["--dereference-args", "lnk/"], ["-w", "d/x/", "f1"]]


@pytest.mark.parametrize("args", CLEANED, ids=" ".join)
def test_paths_are_cleaned_as_kubo_cleans_them(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = add_both(kubo, inputs, args)
    same_add(theirs, ours)
    if theirs.returncode:  # the same words, naming the cleaned path
        assert theirs.stderr.split(b"\n")[0].removeprefix(b"Error: ") in ours.stderr


# under -w Kubo's adder cleans --stdin-name as Go's path.Clean does (a//b, a/./b and a/b/ are a/b,
# a/../b is b, //a is /a: autocodec printed a//b, refused a/./b); a name the wrapper already holds
# is refused before its lines are printed (autocodec printed both, then failed)
STDIN_NAMES_CLEANED = [["--stdin-name=a//b"], ["--stdin-name=a/./b"], ["--stdin-name=a/../b"], ["--stdin-name=/../a"],
                       ["--stdin-name=./a"], ["--stdin-name=a/b/"], ["--stdin-name=//a"], ["--stdin-name=a/b/../../c"],
                       ["--stdin-name=x/./"], ["--stdin-name=f1", "f1"], ["--stdin-name=f1/", "f1"],
                       ["--stdin-name=/f1", "f1"], ["--stdin-name=x/../f1", "f1"], ["--stdin-name=f1", "-Q", "f1"],
                       ["--stdin-name=f5000", "-r", "d", "f5000"]]


@pytest.mark.parametrize("stdin_first", [True, False], ids=["stdin-first", "stdin-last"])
@pytest.mark.parametrize("args", STDIN_NAMES_CLEANED, ids=" ".join)
def test_stdin_names_under_w_are_cleaned_as_kubo(kubo: KuboRepo, inputs: Path, args: list[str],
                                                 stdin_first: bool) -> None:
    """Beside a file of the same name, the one named first on the command line is added first
    (then the other is refused), as Kubo orders them."""
    theirs, ours = add_both(kubo, inputs, ["-w", "-", *args] if stdin_first else ["-w", *args, "-"], stdin=b"abc")
    same_add(theirs, ours)
