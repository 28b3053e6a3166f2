"""Random reads of random UnixFS trees: Kubo v0.43.1's ``ipfs cat|ls|get|refs|dag stat|block
stat`` and ours, on the same DAGs, print the same bytes and agree on success.

Each tree (odd names, names that are not UTF-8, hidden files and folders, empty files and
folders, symlinks, files near the chunker's boundaries, now and then a HAMT-sharded folder) is
added with one random option set (``random_options`` of ``test_add_random_kubo.py``: chunker,
raw leaves, CID version, trickle, inline, hash, UnixFS 1.5 mode and mtime...) to both Kubo
(``ipfs add -r --pin=false``) and our home (``autocodec add -r``, the same flags); the roots
must be equal (else the case is counted as an add difference, and its reads are skipped). Then
random command lines over random paths (the root, folders, files, symlinks, missing names,
paths through files, ``/ipfs/CID/...``, bare CIDs of entries) with random flags (``cat -o/-l``
in every spelling Go's parser reads and some it refuses; ``ls`` with ``--size``,
``--resolve-type``, ``-v``, ``-s``, ``-l``, ``-H``, ``-S``; ``get`` to a folder or as a TAR,
gzipped at a level; ``refs -r -u -e --max-depth --format``) run through both. Compared: the
exit status (zero or not), stdout byte for byte, and for ``get`` what was written (paths, types,
bytes, symlink targets, modes; archives member by member). A refusal here must be one line with
no traceback, holding Kubo's words where this package already says them (``KUBO_WORDS``).

Differences on purpose (docs/unixfs.md, docs/cli.md): ``get`` never writes setuid and setgid
bits (the written modes are compared without them); ``get``'s ``Saving`` line and ``refs
--format '<linkname>'`` leave out a name's control characters; ``ls --stream`` of a HAMT lists in a fixed order where Kubo's varies past two levels
(the lines compared as a set); ``ls -S`` keeps link order among equal sizes where Go's
unstable sort moves them (a file's chunks). These three are named in ``_documented``, case by case. Kubo's
words are not required for a name under a file (``KUBO_WORDS``); the other refusals' words are
tallied (``report``), not compared.

In the suite: ``TREES`` trees of seed 0. A longer run against a throw-away Kubo repo:

    .venv/bin/python -m tests.test_unixfs_read_random_kubo TREES SEED
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autocodec.cli._text import clean
from autocodec.loader import xorshift_bytes

from ._kubo import KUBO_BIN, KuboRepo, require_kubo
from ._unixfs_ref import kubo_flags
from .test_add_random_kubo import random_options, random_tree
from .test_get_kubo import _members, _walk

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

TREES = 6
COMMANDS_PER_TREE = 30

# Kubo refusals whose words this package already says (in its one line). Not for a name two
# segments under a file (``FILE/a/b``): Kubo says ``no link named "a" under FILE`` there (and
# ``func called on wrong kind`` for ``FILE/a``); ours says ``cannot look up 'a': FILE is not a
# directory`` (``refs``, ``dag stat``, ``block stat``: ``FILE is a UnixFS file; it has no 'a'
# below it``) for both.
KUBO_WORDS = ("no link named",)
_UNDER_A_FILE = ("is not a directory", "is a UnixFS file; it has no")

_NUMBERS = ["0", "1", "2", "5", "100", "1000", "262144", "262145", "-1", "-5", "+3", "010", "0x10", "0X1f", "0b101",
            "0o17", "1_000", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "99999999999999999999", "", " 3", "3.0", "1e3", "0x", "1__0", "_1", "٣", "-0"]
_BAD_NAMES = [b"missing", b"no-such-\xc3\xa9", b"", b".", b"..", b"sub/../x", b"a//b", b"\xff\xfe"]


def _odd_tree(root: Path, rng: random.Random, options: dict[str, Any]) -> None:
    """``random_tree`` plus names that are not UTF-8 and now and then a HAMT-sharded folder."""
    random_tree(root, rng, options)
    raw = os.fsencode(root)
    for name in rng.sample([b"caf\xe9", b"\xff\xfe-bad", b"mixed-\xc3\xa9-\xe9", b".\xe9hidden",
                                  b"v\x0btab", b"form\x0cfeed", b"two\xff-escapes\xff"], rng.randint(0, 3)):
        with open(raw + b"/" + name, "wb") as out:
            out.write(xorshift_bytes(rng.randrange(1 << 30), rng.choice([0, 7, 3000])))
    if rng.random() < 0.25:  # past the 256 KiB sharding threshold
        wide = raw + rng.choice([b"/wide", b"/wide-\xe9"])
        os.mkdir(wide)
        for i in range(rng.choice([2700, 2900])):
            with open(wide + f"/{i:05d}-{'n' * 55}".encode(), "wb") as out:
                out.write(b"" if i % 2 else b"x%d" % i)


@dataclass
class Tally:
    trees: int = 0
    add_refused: int = 0
    add_differs: list[Any] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    words: Counter[tuple[str, str]] = field(default_factory=Counter)
    differences: list[Any] = field(default_factory=list)


class Sides:
    def __init__(self, kubo: KuboRepo, home: Path) -> None:
        self.kubo, self.home = kubo, home
        self.env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}

    def both(self, args: list[Any], cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[bytes], ...]:
        theirs = subprocess.run([str(KUBO_BIN), *args], cwd=cwd, env=self.kubo.env(), capture_output=True,
                                timeout=300)
        ours = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(self.home), *args], cwd=cwd,
                              env=self.env, capture_output=True, timeout=300)
        return theirs, ours


def _entries(root: Path) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The tree's relative paths as bytes: (files, folders, symlinks)."""
    files, folders, links = [], [], []
    raw = os.fsencode(root)
    for top, dirs, names in os.walk(raw):
        rel = os.path.relpath(top, raw)
        pre = b"" if rel == b"." else rel + b"/"
        if len(dirs) + len(names) > 200:  # the wide folder: a sample
            names = names[:: max(1, len(names) // 20)]
        for name in dirs:
            (links if os.path.islink(os.path.join(top, name)) else folders).append(pre + name)
        for name in names:
            (links if os.path.islink(os.path.join(top, name)) else files).append(pre + name)
    return files, folders, links


def _path(rng: random.Random, root: str, cids: list[str], entries: tuple[list[bytes], ...]) -> str:
    files, folders, links = entries
    roll = rng.random()
    if roll < 0.08:
        return root if rng.random() < 0.5 else f"/ipfs/{root}"
    if roll < 0.18 and cids:
        return rng.choice(cids)
    pools = [p for p in (files, files, folders, links) if p]
    rel = rng.choice(rng.choice(pools)) if pools else b""
    roll = rng.random()
    if roll < 0.08:
        rel = rng.choice(_BAD_NAMES) if rng.random() < 0.5 else rel + b"/" + rng.choice(_BAD_NAMES)
    elif roll < 0.12:
        rel += b"/"
    elif roll < 0.15 and files:
        rel = rng.choice(files) + b"/inside"  # a path through a file
    text = rel.decode("utf-8", "surrogateescape")
    base = f"/ipfs/{root}" if rng.random() < 0.4 else root
    return f"{base}/{text}" if text else base


def _number(rng: random.Random) -> str:
    return rng.choice(_NUMBERS) if rng.random() < 0.6 else str(rng.randrange(-10, 1 << rng.choice([4, 12, 20, 24])))


def _option(rng: random.Random, short: str, long: str, value: str) -> list[str]:
    form = rng.randrange(4)
    return [[short, value], [f"{long}={value}"], [long, value], [f"{short}={value}"]][form]


def _cat(rng: random.Random, path: Any) -> list[str]:
    args = ["cat"]
    if rng.random() < 0.5:
        args += _option(rng, "-o", "--offset", _number(rng))
    if rng.random() < 0.5:
        args += _option(rng, "-l", "--length", _number(rng))
    return [*args, *path]


def _ls(rng: random.Random, path: Any) -> list[str]:
    args = ["ls"]
    for flag in rng.sample(["-v", "--headers", "--size=false", "--size=true", "--size", "--resolve-type=false",
                            "-s", "--stream", "-l", "--long", "-H", "-S", "--resolve-type"], rng.randint(0, 3)):
        args.append(flag)
    return [*args, *path]


def _refs(rng: random.Random, path: Any) -> list[str]:
    args = ["refs"]
    for flag in rng.sample(["-r", "-u", "-e", "--max-depth", "--format", "-r", "--unique"], rng.randint(0, 3)):
        if flag == "--max-depth":
            args.append(f"--max-depth={rng.choice(['0', '1', '2', '-1', '-3', '5', 'x', '01'])}")
        elif flag == "--format":
            args.append("--format=" + rng.choice(["<src> -> <dst> <linkname>", "<linkname>", "<dst>",
                                                  "[<linkname>]", "", "<src><src>", "x"]))
        else:
            args.append(flag)
    return [*args, *path]


def _get(rng: random.Random, path: str) -> list[str]:
    args = ["get"]
    if rng.random() < 0.3:
        args.append(rng.choice(["-a", "--archive"]))
    if rng.random() < 0.2:
        args.append(rng.choice(["-C", "--compress"]))
        if rng.random() < 0.6:
            args += _option(rng, "-l", "--compression-level", rng.choice(["1", "9", "0", "-1", "10", "011", "0x5", "5"]))
    if rng.random() < 0.3:
        args += ["-o", rng.choice(["out", "x.tar", "out/deeper", "é", "."])]
    return [*args, path]


def _documented(args: list[str], theirs: Any, ours: Any) -> str | None:
    """The documented difference a pair of stdouts shows, if any (docs/unixfs.md, docs/cli.md)."""
    if args[0] in ("get", "refs") and theirs.returncode == ours.returncode == 0:
        said = theirs.stdout.decode("utf-8", "surrogateescape")
        if ours.stdout == clean(said).encode("utf-8", "surrogateescape"):
            return f"{args[0]}: a name's control characters left out"
    if args[0] == "ls" and {"-s", "--stream"} & set(args) and theirs.returncode == ours.returncode == 0 \
            and sorted(theirs.stdout.split(b"\n")) == sorted(ours.stdout.split(b"\n")):
        return "ls --stream of a HAMT: Kubo's order past two levels varies"
    if args[0] == "ls" and {"-S", "--sort-size"} & set(args) and theirs.returncode == ours.returncode == 0 \
            and sorted(theirs.stdout.split(b"\n")) == sorted(ours.stdout.split(b"\n")):
        return "ls -S: the order of equal sizes (Go's unstable pdqsort)"
    return None


def _compare(sides: Sides, args: list[str], scratch: Path, tally: Tally) -> None:
    command = args[0] if args[0] not in ("dag", "block") else " ".join(args[:2])
    tally.commands[command] += 1
    cwd = None
    if command == "get":
        cwd = scratch / f"get-{sum(tally.commands.values())}"
        (cwd / "kubo").mkdir(parents=True)
        (cwd / "ours").mkdir()
        before = time.time_ns() - 2_000_000_000
        theirs = subprocess.run([str(KUBO_BIN), *args], cwd=cwd / "kubo", env=sides.kubo.env(), capture_output=True,
                                timeout=300)
        ours = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(sides.home), *args], cwd=cwd / "ours",
                              env=sides.env, capture_output=True, timeout=300)
    else:
        theirs, ours = sides.both(args)
    problems = []
    if (theirs.returncode == 0) != (ours.returncode == 0):
        problems.append("exit status")
    why = None
    if theirs.stdout != ours.stdout:
        why = _documented(args, theirs, ours)
        if not why:
            problems.append("stdout")
    if ours.returncode:
        err = ours.stderr.decode("utf-8", "replace")
        said = theirs.stderr.decode("utf-8", "replace").strip().removeprefix("Error: ").split("\n")[0]
        if "Traceback" in err or len(err.strip().splitlines()) != 1:
            problems.append("not one line")
        elif theirs.returncode and said not in err:
            if said.startswith(KUBO_WORDS) and not any(w in err for w in _UNDER_A_FILE):
                problems.append("words")
            tally.words[(said[:60], err.strip()[:100])] += 1
    if command == "get" and cwd is not None and not problems and theirs.returncode == 0:
        if "-a" in args or "--archive" in args or "-C" in args or "--compress" in args:
            got = [sorted(p for p in (cwd / side).rglob("*") if p.is_file()) for side in ("kubo", "ours")]
            names = [[p.relative_to(cwd / s) for p in g] for g, s in zip(got, ("kubo", "ours"))]
            if names[0] != names[1]:
                problems.append("written names")
            elif len(got[0]) == 1:
                data = [g[0].read_bytes() for g in got]
                if not any(n in ("-a", "--archive") for n in args):  # a gzipped file
                    if gzip.decompress(data[0]) != gzip.decompress(data[1]):
                        problems.append("gzip contents")
                elif _members(data[0], before) != _members(data[1], before):
                    problems.append("archive members")
        else:
            theirs_tree = _walk(cwd / "kubo", before)
            mine = _walk(cwd / "ours", before)
            expect = {p: (*w, m if m is None else m & 0o1777, t) for p, (*w, m, t) in theirs_tree.items()}
            if mine != expect:
                problems.append("written tree")
        shutil.rmtree(cwd)
    if problems:
        outcome = "differs: " + ", ".join(problems)
        at = next((i for i, (a, b) in enumerate(zip(theirs.stdout, ours.stdout)) if a != b),
                  min(len(theirs.stdout), len(ours.stdout)))
        tally.differences.append((args, problems, theirs.returncode, ours.returncode,
                                  theirs.stdout[max(0, at - 150):at + 150], ours.stdout[max(0, at - 150):at + 150],
                                  theirs.stderr[-300:], ours.stderr[-300:]))
    elif why:
        outcome = f"documented: {why}"
    else:
        outcome = "both refused" if theirs.returncode else "same"
    tally.outcomes[outcome] += 1


def _tree_case(sides: Sides, folder: Path, rng: random.Random, commands: int, tally: Tally) -> None:
    options = random_options(rng)
    options.pop("ignore", None)  # read paths are drawn from the files on disk
    root_dir = folder / "tree"
    _odd_tree(root_dir, rng, options)
    flags = kubo_flags(options)
    theirs = subprocess.run([str(KUBO_BIN), "add", "-r", "--pin=false", "--progress=false", *flags, str(root_dir)],
                            env=sides.kubo.env(), capture_output=True, timeout=600)
    ours = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(sides.home), "add", "-r", "-Q", *flags,
                           str(root_dir)], env=sides.env, capture_output=True, timeout=600)
    if theirs.returncode or ours.returncode:
        if bool(theirs.returncode) != bool(ours.returncode):
            tally.add_differs.append((options, theirs.stderr[-200:], ours.stderr[-200:]))
        else:
            tally.add_refused += 1
        return
    lines = theirs.stdout.decode("utf-8", "surrogateescape").splitlines()
    cids = [line.split(" ", 2)[1] for line in lines if line.startswith("added ")]
    root = cids[-1]
    if ours.stdout.decode().strip() != root:
        tally.add_differs.append((options, root, ours.stdout.decode().strip()))
        return
    tally.trees += 1
    entries = _entries(root_dir)
    for _ in range(commands):
        roll = rng.random()
        paths = [_path(rng, root, cids, entries) for _ in range(1 if rng.random() < 0.85 else rng.randint(2, 3))]
        if roll < 0.3:
            args = _cat(rng, paths)
        elif roll < 0.55:
            args = _ls(rng, paths)
        elif roll < 0.72:
            args = _get(rng, paths[0])
        elif roll < 0.87:
            args = _refs(rng, paths)
        elif roll < 0.94:
            args = ["dag", "stat", "--progress=false", *paths]
        else:
            args = ["block", "stat", paths[0]]
        _compare(sides, args, folder, tally)


def run(kubo: KuboRepo, home: Path, folder: Path, trees: int, seed: int,
        commands: int = COMMANDS_PER_TREE) -> Tally:
    from autocodec.registry import Runtime

    Runtime(home).close()
    sides = Sides(kubo, home)
    rng = random.Random(seed)
    tally = Tally()
    for i in range(trees):
        case = folder / f"tree-{i}"
        case.mkdir()
        _tree_case(sides, case, rng, commands, tally)
        shutil.rmtree(case, ignore_errors=True)
    return tally


def report(tally: Tally) -> str:
    lines = [f"trees {tally.trees}, add refused by both {tally.add_refused}, add differences {len(tally.add_differs)}",
             f"commands {dict(tally.commands)}", f"outcomes {dict(tally.outcomes)}"]
    lines += [f"  add differs: {d!r}" for d in tally.add_differs]
    lines += [f"  words: {n} x {pair!r}" for pair, n in tally.words.most_common()]
    lines += [f"  DIFF {d!r}" for d in tally.differences]
    return "\n".join(lines)


def test_random_reads_of_random_trees_equal_kubo(tmp_path: Path) -> None:
    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    tally = run(kubo, tmp_path / "home", tmp_path, TREES, 0)
    print(report(tally))
    assert not tally.differences and not tally.add_differs, report(tally)
    assert sum(tally.commands.values()) >= TREES * COMMANDS_PER_TREE // 2, report(tally)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Sides:
    from autocodec.registry import Runtime

    require_kubo()
    base = tmp_path_factory.mktemp("read-pair")
    Runtime(base / "home").close()
    return Sides(KuboRepo.create(base / "kubo"), base / "home")


def _same(sides: Sides, *args: str) -> subprocess.CompletedProcess[bytes]:
    theirs, ours = sides.both(list(args))
    assert (theirs.returncode, theirs.stdout) == (ours.returncode, ours.stdout), (args, theirs.stderr, ours.stderr)
    return ours


def test_cat_of_length_zero_reads_no_path_as_kubo(pair: Sides, tmp_path: Path) -> None:
    """Found by the generator (seed 1): ``cat --length=-0 FILE DIR`` exits 0 in Kubo 0.43.1 with
    nothing written: its ``cat`` returns before resolving any path when the length is 0, so a
    folder or a missing block among the paths is no error. Here it was refused ("is a directory,
    not a file"). Text that is no CID path stays refused here (docs/cli.md)."""
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "f").write_bytes(b"0123456789")
    root = pair.kubo.ipfs("add", "-r", "-Q", "--pin=false", tmp_path / "t").stdout.decode().strip()
    _same(pair, "add", "-r", "-Q", str(tmp_path / "t"))
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    for args in (["--length=-0", f"{root}/f", f"{root}/sub"], ["-l", "0", root], ["-l", "0x0", "-o", "5", missing],
                 ["-l", "00", f"/ipfs/{root}/nope"]):
        assert _same(pair, "cat", *args).stdout == b"", args
    # documented (docs/cli.md): text that is no CID path is refused here whatever the length
    theirs, ours = pair.both(["cat", "-l", "0", "not-a-cid"])
    assert (theirs.returncode, theirs.stdout, ours.returncode, ours.stdout) == (0, b"", 1, b"")
    assert ours.stderr.startswith(b"autocodec: InvalidCID: ") and ours.stderr.count(b"\n") == 1
    for args in (["-l", "0", "-o", "-1", root], ["-l", "-0x1", root], ["-l", "1", f"{root}/sub"]):
        assert _same(pair, "cat", *args).returncode == 1, args


def test_cat_reads_no_path_after_the_length_is_reached_as_kubo(pair: Sides, tmp_path: Path) -> None:
    """Found by the generator (seed 4): ``cat -l 1 DIR/FILE DIR DIR`` writes FILE's first byte
    and exits 0 in Kubo 0.43.1, whose ``cat`` stops resolving paths once ``-l`` bytes are
    counted; here every path was checked first (``DIR`` "is a directory, not a file"). A path
    before that point is still checked (a file the offset passes too), as Kubo checks it."""
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "f").write_bytes(b"0123456789")
    (tmp_path / "t" / "e").write_bytes(b"")
    (tmp_path / "t" / "l").symlink_to("target")
    root = pair.kubo.ipfs("add", "-r", "-Q", "--pin=false", tmp_path / "t").stdout.decode().strip()
    _same(pair, "add", "-r", "-Q", str(tmp_path / "t"))
    f, e, sub, link = (f"{root}/{name}" for name in ("f", "e", "sub", "l"))
    for args, code in ((["-l", "1", f, sub, sub], 0), (["-l", "10", f, f"{root}/nope"], 0),
                       (["-l", "11", f, sub], 1), (["-o", "10", "-l", "1", f, sub], 1),
                       (["-o", "11", "-l", "1", f, sub], 1), (["-o", "9", "-l", "1", f, sub], 0),
                       (["-l", "16", f, link, sub], 0), (["-l", "1", e, sub], 1), (["-o", "3", "-l", "7", link, f, sub], 0),
                       (["-o", "1", "-l", "1", e, f, sub], 0)):
        assert _same(pair, "cat", *args).returncode == code, args


def test_ls_stream_writes_the_paths_listed_before_one_that_fails_as_kubo(pair: Sides, tmp_path: Path) -> None:
    """Found by the generator (seed 4): ``ls -s DIR MISSING DIR2`` writes DIR's entries, then
    fails, in Kubo 0.43.1 (each entry is emitted as it is listed); here nothing was written
    (every path was resolved first). Without ``--stream`` both write nothing."""
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "sub" / "x").write_bytes(b"x")
    (tmp_path / "t" / "f").write_bytes(b"f")
    root = pair.kubo.ipfs("add", "-r", "-Q", "--pin=false", tmp_path / "t").stdout.decode().strip()
    _same(pair, "add", "-r", "-Q", str(tmp_path / "t"))
    for flags in (["-s"], ["--stream", "-v"], ["-s", "--resolve-type=false"], []):
        for paths in ([root, f"{root}/nope", f"{root}/sub"], [f"/ipfs/{root}/sub", root, f"{root}/f/x"]):
            ours = _same(pair, "ls", *flags, *paths)
            assert ours.returncode == 1 and (bool(ours.stdout) == bool(flags)), (flags, paths)


def test_ls_of_names_holding_byte_0xff_is_aligned_as_kubo(pair: Sides, tmp_path: Path) -> None:
    """Found by the generator (seed 2): ``ls DIR FILE`` where DIR holds ``\\xff\\xfe-bad``. Go's
    tabwriter takes the byte 0xff for its ``Escape``: Kubo's table after it, up to a later 0xff,
    is written as it is (the file's chunks as ``CID<tab>100<tab>``); here every line was aligned.
    Also names with a vertical tab (a cell end) and a form feed (a line end, written as a newline)."""
    raw = os.fsencode(tmp_path / "t")
    os.makedirs(raw + b"/sub")
    for name in (b"\xff\xfe-bad", b"a\xffb\xffc", b"x\xff\tclosed\xff-later", b"tab\there", b"v\x0btab", b"form\x0cfeed",
                 b"new\nline", b"z-plain"):
        with open(raw + b"/" + name, "wb") as out:
            out.write(name * 3)
    with open(raw + b"/sub/\xff", "wb") as out:
        out.write(b"x")
    (tmp_path / "chunked").write_bytes(bytes(range(256)) * 5)
    root = pair.kubo.ipfs("add", "-r", "-Q", "--pin=false", tmp_path / "t").stdout.decode().strip()
    chunked = pair.kubo.ipfs("add", "-Q", "--pin=false", "--chunker=size-100", tmp_path / "chunked").stdout.decode()
    _same(pair, "add", "-r", "-Q", str(tmp_path / "t"))
    _same(pair, "add", "-Q", "--chunker=size-100", str(tmp_path / "chunked"))
    for flags in ([], ["-v"], ["--stream"], ["-s", "-v"], ["--size=false"], ["-l"], ["--resolve-type=false", "-v"]):
        for paths in ([root], [root, chunked.strip()], [chunked.strip(), f"{root}/sub", root], [f"{root}/sub", root]):
            assert _same(pair, "ls", *flags, *paths).returncode == 0, (flags, paths)


def test_get_compress_of_a_symlink_gzips_its_target_as_kubo(pair: Sides, tmp_path: Path) -> None:
    """Found by the generator (seed 3): ``get -C -o out ROOT/link`` of a symlink. Kubo 0.43.1
    gzips the target's bytes (boxo's ``files.ToFile`` takes a symlink for a file of its target)
    and says ``Saving archive to out.gz``; here it was refused ("file is not regular")."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "link").symlink_to("../some/where")
    (tmp_path / "t" / "sub").mkdir()
    root = pair.kubo.ipfs("add", "-r", "-Q", "--pin=false", tmp_path / "t").stdout.decode().strip()
    _same(pair, "add", "-r", "-Q", str(tmp_path / "t"))
    for n, args in enumerate((["-C", "-o", "out", f"{root}/link"], ["--compress", "-l", "9", f"/ipfs/{root}/link"],
                              ["-C", f"{root}/sub"])):
        case = tmp_path / f"case-{n}"
        (case / "kubo").mkdir(parents=True)
        (case / "ours").mkdir()
        theirs, ours = (subprocess.run(cmd, cwd=case / side, env=env, capture_output=True, timeout=120)
                        for cmd, side, env in (([str(KUBO_BIN), "get", *args], "kubo", pair.kubo.env()),
                                               ([sys.executable, "-m", "autocodec", "--home", str(pair.home), "get",
                                                 *args], "ours", pair.env)))
        assert (theirs.returncode, theirs.stdout) == (ours.returncode, ours.stdout), (args, theirs.stderr, ours.stderr)
        written = [sorted(p.name for p in (case / side).iterdir()) for side in ("kubo", "ours")]
        assert written[0] == written[1], args
        for name in written[0]:
            assert gzip.decompress((case / "ours" / name).read_bytes()) == \
                gzip.decompress((case / "kubo" / name).read_bytes()) == b"../some/where", args


def test_ls_stream_of_a_hamt_of_sub_shards_only_lists_as_kubo(pair: Sides, tmp_path: Path) -> None:
    """Found by the generator (seed 4): ``ls --stream`` of a folder of 2,900 names, sharded with
    fanout 256, was refused here ("has 129 shards for 0 entries so far: not a UnixFS HAMT"): the
    level-by-level walk counted each sub-shard when it queued it, so a root holding only
    sub-shards (every slot had two names or more) passed the bound before reading any of them.
    Kubo lists it. (Kubo walks the third level and below in parallel, so the lines are compared
    as a set there.)"""
    wide = tmp_path / "wide"
    wide.mkdir()
    for i in range(2900):
        (wide / f"{i:05d}-{'n' * 55}").write_bytes(b"" if i % 2 else b"x%d" % i)
    root = pair.kubo.ipfs("add", "-r", "-Q", "--pin=false", wide).stdout.decode().strip()
    _same(pair, "add", "-r", "-Q", str(wide))
    theirs, ours = pair.both(["ls", "--stream", "--size=false", root])
    assert (theirs.returncode, ours.returncode) == (0, 0), ours.stderr
    assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines())
    assert len(ours.stdout.splitlines()) == 2900


def test_the_level_walk_of_a_hamt_of_empty_shards_stays_bounded() -> None:
    """With sub-shards counted when read, the bound still holds: a "HAMT" of shards linking 256
    times to one empty shard is refused after at most 2 x 64 + 1 reads (as the depth-first walk)."""
    from autocodec.errors import InvalidBlock
    from autocodec.unixfs import _pb
    from autocodec.unixfs._dir import iter_entries_by_level

    from .test_get_hostile_kubo import Dag

    dag = Dag()
    shard = _pb.UnixfsData(_pb.HAMT_SHARD, b"\xff" * 32, hash_type=0x22, fanout=256)
    level = dag.node(shard)
    for _ in range(3):
        level = dag.node(shard, [(f"{i:02X}", level) for i in range(256)])
    reads = []

    class Counting:
        def get(self, cid: Any) -> bytes:
            reads.append(cid)
            return dag[cid]

    with pytest.raises(InvalidBlock, match="not a UnixFS HAMT"):
        list(iter_entries_by_level(Counting(), level, dag[level]))
    assert len(reads) <= 2 * 64 + 1


if __name__ == "__main__":
    count, seed_arg = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="read-random-") as scratch:
        repo = KuboRepo.create(Path(scratch) / "kubo")
        print(report(run(repo, Path(scratch) / "home", Path(scratch), count, seed_arg)))
