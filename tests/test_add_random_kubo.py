"""Random ``ipfs add`` option sets over random trees: Kubo v0.43.1 and ``autocodec.unixfs.Adder``
give the same CID for every entry, or both refuse.

``test_unixfs_kubo.py`` names its cases one by one (boundaries, layouts, HAMT thresholds); this
draws them (and ``-w`` over the tree, or over it and a file): a chunker (``size-N`` of any N up to Kubo's 1 MiB limit, ``rabin`` in each of its
three spellings with any valid or invalid numbers, ``buzhash``), CID version, raw leaves,
trickle, hash function, inlining and its limit, hidden files, empty folders, link limits of
files and folders, HAMT fanouts, symlinks followed or kept, ``--ignore`` rules, UnixFS 1.5 mode
and mtime (kept from the files or given), each present or left out at random, over a tree of
odd names, empty files and folders, symlinks and files whose sizes sit near the chunker's own
boundaries (its size, multiples of the links per node, one byte either side); now and then a
folder past the HAMT threshold.

In the suite: ``CASES`` cases of seed 0. A longer run against a throw-away Kubo repo:

    .venv/bin/python -m tests.test_add_random_kubo CASES SEED
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from autocodec.errors import AutocodecError
from autocodec.loader import xorshift_bytes

from . import _kubo_pair
from ._kubo import KuboRepo
from ._unixfs_ref import ODD_NAMES, our_add
from .test_unixfs_kubo import kubo_add

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]
kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

CASES = 40
_HASHES = ["sha2-256", "sha2-256", "sha2-512", "blake2b-256", "blake3", "sha3-256", "keccak-256", "identity"]
_IGNORES = ["*.txt", "plain*", "!plain-1*", "/sub/", "**/deep", "?", "[a-f]*", "\\#*", ".*", "*/", "# a comment"]


def random_options(rng: random.Random) -> dict[str, Any]:
    """One option set as a user might give it: each option present with some chance, values
    mostly valid and sometimes at or past Kubo's limits."""
    options: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.3:
        options["chunker"] = f"size-{rng.choice([1, 2, 3, 7, 64, 100, 1000, 4096, 65536, 262144, 1048576, 1048577, 0])}"
        if rng.random() < 0.3:
            options["chunker"] = f"size-{rng.randrange(1, 1 << 20)}"
    elif roll < 0.5:
        lo = rng.choice([15, 16, 17, 32, 100, 1000])
        avg = lo + rng.choice([-1, 0, 1, 16, 500, 4000])
        hi = avg + rng.choice([-1, 0, 1, 64, 5000, 1 << 20])
        options["chunker"] = rng.choice([f"rabin-{lo}-{avg}-{hi}", f"rabin-{avg}", "rabin",
                                         f"rabin-{rng.choice([30, 48, 49, 700000, 699051])}"])
    elif roll < 0.6:
        options["chunker"] = "buzhash"
    if rng.random() < 0.4:
        options["cid_version"] = rng.choice([0, 1])
    if rng.random() < 0.4:
        options["raw_leaves"] = rng.random() < 0.5
    if rng.random() < 0.25:
        options["trickle"] = True
    if rng.random() < 0.3:
        options["hash"] = rng.choice(_HASHES)
    if rng.random() < 0.2:
        options["inline"] = True
        if rng.random() < 0.6:
            options["inline_limit"] = rng.choice([0, 1, 10, 32, 36, 100, 128])
    if rng.random() < 0.4:
        options["hidden"] = True
    if rng.random() < 0.2:
        options["empty_dirs"] = False
    if rng.random() < 0.15:
        options["max_file_links"] = rng.choice([2, 3, 10, 174, 175])
    if rng.random() < 0.15:
        options["max_directory_links"] = rng.choice([1, 2, 5, 20])
    if rng.random() < 0.15:
        options["max_hamt_fanout"] = rng.choice([8, 16, 64, 256, 1024])
    if rng.random() < 0.15:
        options["follow_symlinks"] = True
    if rng.random() < 0.15:
        options["ignore"] = tuple(rng.sample(_IGNORES, rng.randint(1, 3)))
    if rng.random() < 0.12:
        options[rng.choice(["preserve_mode", "preserve_mtime"])] = True
    if rng.random() < 0.06:
        options["mode"] = rng.choice([0o644, 0o755, 0o4755, 0o1777])
    if rng.random() < 0.06:
        options["mtime"] = (rng.choice([1, 1700000000, 4102444800, -1]), rng.choice([0, 1, 999999999]))  # 0: not given in Kubo
    return options


def _sizes(rng: random.Random, options: dict[str, Any]) -> list[int]:
    """File sizes near the boundaries the options make: the chunk size and its multiples by the
    links a node holds, one byte either side; all bounded so that one case stays small."""
    chunker = str(options.get("chunker", "size-262144"))
    size = int(chunker[5:]) if chunker.startswith("size-") and chunker[5:].isdigit() else 262144
    size = max(size, 1)
    links = int(options.get("max_file_links", 174))
    budget = 4_000 * size if size < 4096 else 3_000_000
    marks = [size, size * links, size * links * 2 + 1, size * (links + 1)]
    out = [rng.choice([0, 1, 2, 31, 100, 1000, 70_000])]
    for mark in marks:
        if mark + 1 <= budget:
            out.append(max(0, mark + rng.choice([-1, 0, 1])))
    return out


def random_tree(root: Path, rng: random.Random, options: dict[str, Any]) -> None:
    """A tree of odd names (some hidden), folders to depth 4 (some empty), symlinks (to files,
    folders, nowhere and upward) and files of the sizes ``_sizes`` picks, with some of
    each mode's bits."""
    root.mkdir(parents=True)
    folders = [root]
    sizes = _sizes(rng, options)
    for n in range(rng.randint(1, 40)):
        parent = rng.choice(folders)
        name = rng.choice(ODD_NAMES + ["sub", "deep", "plain", "x.txt", "#hash"])
        name = ("." if rng.random() < 0.1 else "") + (name if rng.random() < 0.3 else f"{name}-{n}")
        path = parent / name
        if path.exists() or path.is_symlink():
            continue
        kind = rng.random()
        if kind < 0.2 and len(path.relative_to(root).parts) < 4:
            path.mkdir()
            folders.append(path)
        elif kind < 0.27:
            path.symlink_to(rng.choice(["plain-1", "nowhere", "..", "sub", "x.txt"]))
        else:
            size = rng.choice(sizes) if rng.random() < 0.5 else rng.choice([0, 5, 300, 5000])
            data = bytes(size) if rng.random() < 0.1 else xorshift_bytes(rng.randrange(1 << 30), size)
            path.write_bytes(data)
            path.chmod(rng.choice([0o644, 0o600, 0o755, 0o444]))
            if rng.random() < 0.3:
                stamp = rng.choice([0, 1, 1_000_000_000, 1_700_000_000]) + rng.random()
                os.utime(path, (stamp, stamp))


def _case(kubo: KuboRepo, folder: Path, rng: random.Random) -> str:
    """One case: ``same`` (the count of entries), ``both refused``, or an AssertionError."""
    options = random_options(rng)
    root = folder / "tree"
    random_tree(root, rng, options)
    if rng.random() < 0.04:  # a folder past the HAMT threshold (256 KiB of names and links)
        wide = root / "wide"
        wide.mkdir()
        for i in range(rng.choice([2700, 2800, 3200])):
            (wide / f"{i:05d}-{'n' * 55}").write_bytes(b"" if i % 2 else b"x")
    paths = [root]
    wrap = rng.random() < 0.15
    if wrap and rng.random() < 0.5:
        extra = folder / rng.choice(["file", "été", ".hidden"])
        extra.write_bytes(xorshift_bytes(rng.randrange(1 << 30), rng.choice([0, 10, 300_000])))
        paths.append(extra)
    try:
        theirs: dict[str, Any] | None = kubo_add(kubo, paths, options, wrap)
        kubo_error = ""
    except RuntimeError as exc:
        theirs, kubo_error = None, str(exc)[-300:]
    try:
        ours: dict[str, Any] | None = our_add(paths, options, wrap)
        our_error = ""
    except AutocodecError as exc:
        ours, our_error = None, str(exc)
    if theirs is not None and ours is None and _chunker_refused_at_a_file(kubo, folder, options, our_error):
        return "both refused"  # docs/unixfs.md: Kubo reads --chunker at the first file it chunks
    if theirs is None or ours is None:
        assert theirs is None and ours is None, (options, "Kubo: " + (kubo_error or "added"),
                                                 "ours: " + (our_error or "added"))
        return "both refused"
    wrong = {name: (str(cid), str(ours.get(name))) for name, cid in theirs.items() if ours.get(name) != cid}
    assert not wrong and set(ours) == set(theirs), (options, wrap, list(wrong.items())[:4],
                                                     sorted(set(ours) ^ set(theirs))[:4])
    return "same"


def _chunker_refused_at_a_file(kubo: KuboRepo, folder: Path, options: dict[str, Any], our_error: str) -> bool:
    """Whether Kubo refuses, in our words, the same options over one file: a tree with no file
    to chunk adds there under a chunker it refuses (a documented difference)."""
    if "chunker" not in options:
        return False
    probe = folder / "probe"
    probe.write_bytes(b"p")
    try:
        kubo_add(kubo, [probe], options)
    except RuntimeError as exc:
        return our_error.split(" (")[0] in str(exc)
    return False


def run(kubo: KuboRepo, folder: Path, cases: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    tally = {"same": 0, "both refused": 0}
    for i in range(cases):
        case_folder = folder / f"case-{i}"
        case_folder.mkdir()
        tally[_case(kubo, case_folder, rng)] += 1
    return tally


def test_random_options_over_random_trees_equal_kubo(kubo: KuboRepo, tmp_path: Path) -> None:
    tally = run(kubo, tmp_path, CASES, 0)
    assert tally["same"] >= CASES // 2, tally  # the generator mostly makes options Kubo takes


if __name__ == "__main__":
    count, seed_arg = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="add-random-") as scratch:
        repo = KuboRepo.create(Path(scratch) / "kubo")
        print(run(repo, Path(scratch), count, seed_arg))
