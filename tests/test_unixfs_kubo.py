"""UnixFS parity with Kubo v0.43.1's ``ipfs add``: the same CIDs for every file, directory and root.

Each case adds one generated input with one set of Kubo options, twice: ``ipfs add -r
--only-hash --enc=json`` on a throw-away offline Kubo repo (tests/_kubo.py), and
``autocodec.unixfs.Adder`` with the same options.  Every entry Kubo reports (each file,
symlink and directory, not just the root) must have the same CID; ``COMPARED`` counts the
cases and the entries compared (printed at the end of the module with ``-s``).

Chunker and hasher modules come from wasm-src (the modules the default set ships), so these
tests check the Wasm rabin/buzhash chunkers and the blake3/keccak hashers against Kubo too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autocodec.cid import CID
from autocodec.errors import InvalidInput
from autocodec.loader import xorshift_bytes
from autocodec.unixfs._layout import HAMT_THRESHOLD_BYTES

from ._cli import run_cli
from ._kubo import KUBO_BIN, KuboRepo, require_kubo
from ._unixfs_ref import kubo_flags, make_tree, our_add
from .conftest import WASM_SRC

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

COMPARED = {"cases": 0, "entries": 0}


# --- the two sides --------------------------------------------------------------------------

def kubo_add(kubo: KuboRepo, paths: list[Path], options: dict[str, Any], wrap: bool = False) -> dict[str, CID]:
    """Kubo's ``added CID NAME`` lines (names escaped by Kubo's ``EscNonPrint``).

    ``--only-hash``, except with ``--max-directory-links``: there Kubo v0.43.1's only-hash root
    of a folder sharded by link count differs from the root its real add stores (the same
    inputs, checked by hand), and the stored DAG is the reference; with ``--max-hamt-fanout``,
    where Kubo's only-hash root, when the added folder is itself sharded, has fanout 256 whatever
    was asked (its subfolders have the fanout asked; the stored root has it too); and with UnixFS
    1.5 metadata, where Kubo's ``--only-hash`` fails ("ipld: could not find" its own folder node)."""
    stored = {"max_directory_links", "max_hamt_fanout", "preserve_mode", "preserve_mtime", "mode", "mtime"}
    hash_only = ["--only-hash"] if not stored & set(options) else ["--pin=false"]
    args = ["add", "-r", *hash_only, "--progress=false", *kubo_flags(options)]
    if wrap:
        args.append("--wrap-with-directory")
    proc = kubo.ipfs(*args, *paths, timeout=600)
    out = {}
    for line in proc.stdout.decode("utf-8", "surrogateescape").split("\n"):  # names are bytes
        if line:
            word, cid, name = line.split(" ", 2)
            assert word == "added", line
            out[name] = CID.parse(cid)
    return out


def compare(kubo: KuboRepo, paths: list[Path], options: dict[str, Any], wrap: bool = False) -> int:
    """Both sides on the same input; every entry Kubo reports must match.  Returns the count."""
    theirs = kubo_add(kubo, paths, options, wrap)
    ours = our_add(paths, options, wrap)
    assert theirs, "Kubo reported nothing"
    wrong = {name: (str(cid), str(ours.get(name))) for name, cid in theirs.items() if ours.get(name) != cid}
    assert not wrong, f"{len(wrong)} of {len(theirs)} entries differ from Kubo (kubo, ours): {list(wrong.items())[:5]}"
    assert set(ours) == set(theirs), f"entries only here: {sorted(set(ours) - set(theirs))[:5]}"
    COMPARED["cases"] += 1
    COMPARED["entries"] += len(theirs)
    return len(theirs)


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    require_kubo()
    yield KuboRepo.create(tmp_path_factory.mktemp("kubo") / "repo")
    print(f"\nunixfs parity with Kubo: {COMPARED['cases']} cases, {COMPARED['entries']} entries compared")


# --- inputs -------------------------------------------------------------------------------------

FILE_SIZES = [0, 1, 12, 1000, 4096, 65_536, 262_143, 262_144, 262_145, 700_001, 1_600_000]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of files whose sizes sit on and around every chunk and layout boundary."""
    root = tmp_path_factory.mktemp("files") / "files"
    root.mkdir()
    for i, size in enumerate(FILE_SIZES):
        (root / f"f{i:02d}-{size}").write_bytes(xorshift_bytes(1000 + i, size))
    (root / "zeros-300000").write_bytes(bytes(300_000))  # content-defined chunkers cut by max
    (root / "text").write_bytes(b"hello world\n" * 20_000)
    return root


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A big-ish file: 174 x 256 KiB + 1 bytes needs a second balanced level (45.6 MB)."""
    path = tmp_path_factory.mktemp("big") / "big.bin"
    path.write_bytes(xorshift_bytes(77, 174 * 262_144 + 1))
    return path


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree") / "tree"
    make_tree(root, 2026, 3000)
    return root


def _fill_dir(root: Path, names: list[str], content: bytes = b"same") -> Path:
    root.mkdir(parents=True)
    for name in names:
        (root / name).write_bytes(content)
    return root


@pytest.fixture(scope="module")
def hamt_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Folders on both sides of Kubo's sharding threshold (estimated sum of name + CID bytes)."""
    base = tmp_path_factory.mktemp("hamt")
    per = 60 + 34  # 60-byte names, CIDv0 links of 34 bytes
    n = HAMT_THRESHOLD_BYTES // per
    names = [f"{i:060d}" for i in range(n)]
    rest = HAMT_THRESHOLD_BYTES - n * per - 34
    out = {
        "at-threshold": _fill_dir(base / "at", names + ["y" * rest]),  # exactly 256 KiB: plain
        "over-threshold": _fill_dir(base / "over", names + ["y" * (rest + 1)]),  # 1 byte over: sharded
        "big": _fill_dir(base / "big", [f"entry-{i:05d}-{'z' * (i % 40)}" for i in range(6000)]),
    }
    nested = base / "nested"
    _fill_dir(nested / "shard", [f"{i}-{'q' * 50}" for i in range(4000)])
    _fill_dir(nested / "plain", ["a", "b", ".c"])
    _fill_dir(nested / "deep" / "shard2", [f"n{i:07d}" * 3 for i in range(7000)], content=b"")
    (nested / "shard" / ".hidden").write_bytes(b"h")
    out["nested"] = nested
    return out


# --- cases --------------------------------------------------------------------------------------

FILE_OPTIONS = [
    {},
    {"cid_version": 1},
    {"raw_leaves": True},
    {"cid_version": 1, "raw_leaves": False},
    {"cid_version": 0, "raw_leaves": True, "chunker": "size-1000"},
    {"chunker": "size-1024"},
    {"chunker": "size-2096896"},
    {"chunker": "size-5000", "max_file_links": 3},
    {"trickle": True},
    {"trickle": True, "chunker": "size-500"},
    {"trickle": True, "chunker": "size-100", "raw_leaves": True},
    {"trickle": True, "cid_version": 1},
    {"trickle": True, "chunker": "size-700", "max_file_links": 5},
    {"chunker": "buzhash"},
    {"chunker": "buzhash", "cid_version": 1},
    {"chunker": "rabin"},
    {"chunker": "rabin", "raw_leaves": True},
    {"chunker": "rabin-4096"},
    {"chunker": "rabin-min:1000-avg:8192-max:20000", "trickle": True},
    {"hash": "blake2b-256"},
    {"hash": "blake2b-256", "raw_leaves": False},
    {"hash": "sha2-512"},
    {"hash": "sha3-256", "cid_version": 1, "chunker": "size-4096"},
    {"hash": "blake3"},
    {"hash": "blake3", "trickle": True, "chunker": "rabin-2048"},
    {"hash": "keccak-256"},
    {"hash": "blake2s-256"},
    {"hash": "blake2b-160", "trickle": True},
    {"hash": "sha1"},
    {"hash": "dbl-sha2-256"},
    {"hash": "shake-256"},
    {"hash": "sha3-224", "cid_version": 1, "raw_leaves": False},
    # Kubo's --inline: blocks of at most --inline-limit bytes (32) get identity CIDv1s (leaves,
    # file nodes and folders alike; autocodec had no such option)
    {"inline": True},
    {"inline": True, "inline_limit": 128, "chunker": "size-50"},
    {"inline": True, "inline_limit": 100, "cid_version": 1, "chunker": "size-40", "trickle": True},
    {"inline": True, "inline_limit": -1},
    {"inline_limit": 128},
]


@pytest.mark.parametrize("options", [{"hash": "identity"}, {"hash": "identity", "raw_leaves": False},
                                     {"hash": "identity", "trickle": True}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_identity_cids_equal_kubo(kubo: KuboRepo, tmp_path: Path, options: dict[str, Any]) -> None:
    """Identity multihashes inline the block: Kubo accepts blocks up to 128 bytes.  (Kubo also
    hashes a temporary MFS folder naming the file by its CID with identity, so it refuses
    files whose identity CID is over ~40 bytes; autocodec does not build that folder and
    accepts any block up to 128 bytes: not compared.)"""
    for size in (0, 1, 5):
        path = tmp_path / f"tiny-{size}"
        path.write_bytes(xorshift_bytes(size, size))
        assert compare(kubo, [path], options) == 1


# boxo reads chunker numbers with Go's strconv.Atoi: a leading "+" and any number of leading
# zeros are fine (autocodec refused "size-+5", "rabin-+4096" and sizes of over 10 digits)
ATOI_CHUNKERS = ["size-+5", "size-00000000000000000001000", "size-+2096896", "rabin-+4096", "rabin-0004096",
                 "rabin-min:+16-avg:+32-max:+64", "rabin-+16-+32-+64", "rabin-+0"]
NOT_CHUNKERS = ["size-+0", "size-++5", "size-5+", "size-\u0663", "size- 5", "size-9223372036854775808",
                "size-9223372036854775807", "rabin-++16-32-64", "rabin-+-16-32-64", "rabin--32-64"]


# Kubo's int options are go-ipfs-cmds' strconv.ParseInt(v, 0, 32): 0x, 0o, 0b, a leading 0 for
# octal, "_" between digits; autocodec read them as Python's int (010 was 10, 0x10 refused)
INT_OPTIONS = ["--max-file-links=010", "--max-file-links=0x10", "--max-file-links=0b11", "--max-file-links=1_0",
               "--max-file-links=0x_1F", "--cid-version=0x1", "--cid-version=01", "--max-hamt-fanout=0400",
               "--inline-limit=0x10", "--max-directory-links=0b1", "--max-file-links=1__0", "--max-file-links=_1",
               "--max-file-links=0_x1", "--max-file-links=4294967297"]


@pytest.mark.parametrize("option", INT_OPTIONS)
def test_cli_int_options_read_as_kubo_reads_them(kubo: KuboRepo, home: Path, tmp_path: Path, option: str) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "f").write_bytes(xorshift_bytes(41, 30_000))
    flags = ["-r", "--inline", "--chunker=size-1000", option]
    # Kubo's stored add: its --only-hash root differs for a folder sharded by link count (kubo_add)
    theirs = kubo.ipfs("add", "--pin=false", *flags, tmp_path / "d", check=False)
    ours = run_cli(home, "add", "-n", *flags, str(tmp_path / "d"), check=False)
    assert (ours.returncode == 0) == (theirs.returncode == 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout and b"Traceback" not in ours.stderr


@pytest.mark.parametrize("chunker", ATOI_CHUNKERS)
def test_chunker_numbers_read_as_go_reads_them(kubo: KuboRepo, tmp_path: Path, chunker: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(xorshift_bytes(31, 30_000))
    assert compare(kubo, [path], {"chunker": chunker}) == 1


@pytest.mark.parametrize("chunker", NOT_CHUNKERS)
def test_chunker_strings_kubo_refuses_are_refused(kubo: KuboRepo, tmp_path: Path, chunker: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    assert kubo.ipfs("add", "-Q", "--only-hash", f"--chunker={chunker}", path, check=False).returncode
    with pytest.raises(InvalidInput):
        our_add([path], {"chunker": chunker})


@pytest.mark.parametrize("hash_name", ["md5", "blake2b-128", "shake-128", "sha2-384", "murmur3-x64-64"])
def test_hashes_kubo_refuses_are_refused(kubo: KuboRepo, files: Path, hash_name: str) -> None:
    from autocodec.errors import AutocodecError

    proc = kubo.ipfs("add", "-Q", "--only-hash", f"--hash={hash_name}", files / "text", check=False)
    assert proc.returncode != 0
    with pytest.raises(AutocodecError, match="insecure|unknown"):
        our_add([files / "text"], {"hash": hash_name})


@pytest.mark.parametrize("options", FILE_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_files_equal_kubo(kubo: KuboRepo, files: Path, options: dict[str, Any]) -> None:
    assert compare(kubo, [files], options) == len(os.listdir(files)) + 1


SMALL_SIZES = [0, 1, 2, 173, 174, 175, 348, 349, 174 * 174, 174 * 174 + 1]


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sizes on the 174-links boundaries of every layout level, for 1-byte chunks."""
    root = tmp_path_factory.mktemp("small") / "small"
    root.mkdir()
    for i, size in enumerate(SMALL_SIZES):
        (root / f"s{i:02d}-{size}").write_bytes(xorshift_bytes(2000 + i, size))
    return root


@pytest.mark.parametrize("options", [{"chunker": "size-1"}, {"chunker": "size-1", "raw_leaves": True},
                                     {"chunker": "size-1", "trickle": True},
                                     {"chunker": "size-2", "trickle": True, "cid_version": 1},
                                     {"chunker": "rabin-16-64-128"}, {"chunker": "rabin-16-17-18", "trickle": True},
                                     {"chunker": "rabin-30"}, {"chunker": "rabin-0", "cid_version": 1}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_layout_boundaries_equal_kubo(kubo: KuboRepo, small_files: Path, options: dict[str, Any]) -> None:
    assert compare(kubo, [small_files], options) == len(SMALL_SIZES) + 1


BIG_OPTIONS = [{}, {"cid_version": 1}, {"trickle": True}, {"chunker": "rabin"}, {"chunker": "buzhash"},
               {"hash": "blake3"}]


@pytest.mark.parametrize("options", BIG_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_big_file_equals_kubo(kubo: KuboRepo, big: Path, options: dict[str, Any]) -> None:
    assert compare(kubo, [big], options) == 1


TREE_OPTIONS = [
    {},
    {"hidden": True},
    {"empty_dirs": False},
    {"hidden": True, "empty_dirs": False},
    {"cid_version": 1},
    {"raw_leaves": True},
    {"trickle": True, "hidden": True},
    {"hash": "blake2b-256"},
    {"chunker": "rabin-4096", "cid_version": 1},
    {"inline": True, "hidden": True},
    {"inline": True, "inline_limit": 128, "hash": "blake3", "raw_leaves": False},
]


@pytest.mark.parametrize("options", TREE_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_tree_equals_kubo(kubo: KuboRepo, tree: Path, options: dict[str, Any]) -> None:
    assert compare(kubo, [tree], options) > 1000


@pytest.mark.parametrize("options", [{}, {"hidden": True, "cid_version": 1}])
def test_wrapped_equals_kubo(kubo: KuboRepo, tree: Path, files: Path, options: dict[str, Any]) -> None:
    compare(kubo, [tree, files], options, wrap=True)
    compare(kubo, [files / "text"], options, wrap=True)


HAMT_CASES = [(case, options) for case in ("at-threshold", "over-threshold")
              for options in ({}, {"cid_version": 1}, {"raw_leaves": True}, {"hash": "blake2b-256"})]
HAMT_CASES += [("big", {}), ("big", {"cid_version": 1, "trickle": True}), ("nested", {}),
               ("nested", {"max_directory_links": 2}), ("at-threshold", {"max_directory_links": 2788}),
               ("at-threshold", {"max_directory_links": 2789}),
               ("nested", {"hidden": True, "raw_leaves": True}), ("nested", {"hash": "blake3", "empty_dirs": False})]
# Kubo's --max-hamt-fanout (a power of 2 from 8 to 1024): slots named by 1 to 3 hex digits,
# log2(fanout) hash bits per level (autocodec wrote fanout 256 whatever was asked)
HAMT_CASES += [("nested", {"max_hamt_fanout": 8}), ("nested", {"max_hamt_fanout": 16, "cid_version": 1}),
               ("nested", {"max_hamt_fanout": 64}), ("over-threshold", {"max_hamt_fanout": 128}),
               ("big", {"max_hamt_fanout": 512}), ("nested", {"max_hamt_fanout": 1024, "hash": "blake2b-256"}),
               ("nested", {"max_hamt_fanout": 32, "max_directory_links": 2}),
               ("nested", {"inline": True, "inline_limit": 128, "max_hamt_fanout": 8})]


@pytest.mark.parametrize("case,options", HAMT_CASES, ids=lambda v: v if isinstance(v, str) else
                         ",".join(f"{k}={x}" for k, x in v.items()) or "default")
def test_hamt_sharding_equals_kubo(kubo: KuboRepo, hamt_dirs: dict[str, Path], case: str,
                                   options: dict[str, Any]) -> None:
    compare(kubo, [hamt_dirs[case]], options)


def test_threshold_sides_are_what_kubo_makes(kubo: KuboRepo, hamt_dirs: dict[str, Path]) -> None:
    """At exactly 256 KiB Kubo keeps a plain directory; one byte more and it shards."""
    from autocodec.builtin import decode
    from autocodec.unixfs import _pb

    kinds = {}
    for case in ("at-threshold", "over-threshold"):
        root = hamt_dirs[case]
        cid = kubo_add(kubo, [root], {})[root.name]
        kubo.ipfs("add", "-r", "-Q", hamt_dirs[case])  # store it so its root block can be read back
        block = kubo.ipfs("block", "get", str(cid)).stdout
        kinds[case] = _pb.decode(decode(block, "dag-pb")["Data"]).type
    assert kinds == {"at-threshold": _pb.DIRECTORY, "over-threshold": _pb.HAMT_SHARD}


# --- the command line -------------------------------------------------------------------------

CLI_FLAGS = [
    [],
    ["--inline", "--inline-limit=100", "-w", "--chunker=size-60"],
    ["-H", "--cid-version=1"],
    ["--trickle", "--chunker=rabin-4096", "--raw-leaves"],
    ["--hash=blake3", "-E=false", "--chunker=buzhash"],
    ["-w", "--hidden=true", "--empty-dirs=false", "--raw-leaves=false", "--cid-version=1"],
    ["-q", "-t"],
    ["-Q", "-w", "--chunker=size-1000"],
    ["-w", "--cid-base=base36"],  # a CIDv0 prints as CIDv1 in any base but base58btc
    ["--cid-base=z", "--cid-version=1"],  # a prefix letter names its base
    ["--cid-base=", "-q"],  # empty: Kubo's default spelling
]


@pytest.mark.parametrize("flags", CLI_FLAGS, ids=lambda f: " ".join(f) or "default")
def test_cli_prints_what_kubo_prints(kubo: KuboRepo, home: Path, tree: Path, files: Path, flags: list[str]) -> None:
    """``autocodec add`` with Kubo's flags prints Kubo's lines, byte for byte and in Kubo's order."""
    paths = [tree, files] if "-w" in flags else [tree]
    theirs = kubo.ipfs("add", "-r", "--only-hash", "--progress=false", *flags, *paths, timeout=600).stdout
    module = WASM_SRC / "chunker-rabin" / "chunker-rabin.wasm"  # not in the shipped set before it is rebuilt
    ours = run_cli(home, "add", "-r", "--only-hash", "--module", str(module), *flags, *map(str, paths),
                   timeout=600).stdout
    assert ours.splitlines() == theirs.splitlines()
    COMPARED["cases"] += 1
    COMPARED["entries"] += len(theirs.splitlines())


@pytest.mark.parametrize("flags", [[], ["-w", "-H"], ["--max-hamt-fanout=16"], ["--max-hamt-fanout=1024", "-w"]],
                         ids=lambda f: " ".join(f) or "default")
def test_cli_order_under_sharded_directories(kubo: KuboRepo, home: Path, hamt_dirs: dict[str, Path],
                                              flags: list[str]) -> None:
    """Directories under a HAMT shard are reported in the shard's order, as Kubo does."""
    big = hamt_dirs["big"].parent / "big-with-dirs"
    if not big.exists():
        for i in range(3000):
            (big / f"sub-{i:04d}-{'w' * 60}").mkdir(parents=True)
        (big / "sub-0001-" / "x").mkdir(parents=True)
    paths = [hamt_dirs["nested"], big]
    # a sharded added folder: Kubo's --only-hash gives it fanout 256 whatever was asked (see kubo_add)
    hash_only = "--pin=false" if any(f.startswith("--max-hamt-fanout") for f in flags) else "--only-hash"
    theirs = kubo.ipfs("add", "-r", hash_only, "--progress=false", *flags, *paths, timeout=600).stdout
    ours = run_cli(home, "add", "-r", "--only-hash", *flags, *map(str, paths), timeout=600).stdout
    assert ours.splitlines() == theirs.splitlines()
    COMPARED["cases"] += 1
    COMPARED["entries"] += len(theirs.splitlines())


def test_cli_refuses_an_inline_limit_over_128_as_kubo(kubo: KuboRepo, home: Path, files: Path) -> None:
    args = ["add", "-r", "--only-hash", "--inline", "--inline-limit=129"]
    theirs = kubo.ipfs(*args, files, check=False)
    ours = run_cli(home, *args, str(files), check=False)
    assert theirs.returncode and ours.returncode and b"129" in theirs.stderr and b"128" in theirs.stderr
    assert b"InvalidInput" in ours.stderr and b"129" in ours.stderr and len(ours.stderr.splitlines()) == 1
    same = ["add", "-r", "--only-hash", "--inline-limit=129"]  # without --inline the limit is not checked
    assert run_cli(home, *same, str(files)).stdout == kubo.ipfs(*same, files).stdout


def test_kubo_reads_the_inlined_dag_autocodec_stored(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    """The other direction: ``autocodec add --inline`` stores the DAG, ``car export`` writes it
    (identity blocks need no block: Kubo leaves them out of its CARs too), Kubo imports it and
    lists, reads and writes out what autocodec does, and what was added."""
    tree = tmp_path / "in"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / "small").write_bytes(b"tiny\n")
    (tree / "big").write_bytes(xorshift_bytes(5, 3000))
    (tree / "sub" / "x").write_bytes(b"x")
    (tree / "link").symlink_to("small")
    flags = ["--inline", "--inline-limit=64", "--chunker=size-1000"]
    root = run_cli(home, "add", "-r", "-Q", *flags, str(tree)).stdout.decode().strip()
    assert root == kubo.ipfs("add", "-r", "-Q", "--only-hash", *flags, tree).stdout.decode().strip()
    run_cli(home, "car", "export", "-o", str(tmp_path / "ours.car"), root)
    kubo.ipfs("dag", "import", "--pin-roots=false", tmp_path / "ours.car")
    listing = kubo.ipfs("ls", root).stdout
    assert listing == run_cli(home, "ls", root).stdout and listing.count(b"bafyaa") == 3  # link, small, sub
    assert kubo.ipfs("cat", f"{root}/big").stdout == (tree / "big").read_bytes()
    assert kubo.ipfs("cat", f"{root}/sub/x").stdout == b"x"
    kubo.ipfs("get", "-o", tmp_path / "out", root)
    assert (tmp_path / "out" / "small").read_bytes() == b"tiny\n" and os.readlink(tmp_path / "out" / "link") == "small"
    assert (tmp_path / "out" / "sub" / "deeper").is_dir()


@pytest.mark.parametrize("fanout", ["0", "4", "12", "2048", "-8"])
def test_cli_refuses_the_hamt_fanouts_kubo_refuses(kubo: KuboRepo, home: Path, files: Path, fanout: str) -> None:
    theirs = kubo.ipfs("add", "-r", "--only-hash", f"--max-hamt-fanout={fanout}", files, check=False)
    ours = run_cli(home, "add", "-r", "--only-hash", f"--max-hamt-fanout={fanout}", str(files), check=False)
    assert theirs.returncode and ours.returncode, (theirs.stdout, ours.stdout)
    assert f"power of 2, between 8 and 1024 (got {fanout})".encode() in theirs.stderr
    assert f"power of 2, between 8 and 1024 (got {fanout})".encode() in ours.stderr
    assert len(ours.stderr.splitlines()) == 1 and b"Traceback" not in ours.stderr


def test_cli_names_dot_trailing_slash_and_stdin_as_kubo(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    """``.`` is named after the current folder, ``d/`` after ``d``, stdin after its own CID."""
    (tmp_path / "dd" / "sub").mkdir(parents=True)
    (tmp_path / "dd" / "sub" / "f").write_bytes(b"f")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    for cwd, args in ((tmp_path / "dd", ["."]), (tmp_path, ["dd/"]), (tmp_path / "dd", ["-w", ".", "sub/"])):
        theirs = subprocess.run([str(KUBO_BIN), "add", "-r", "--only-hash", *args], cwd=cwd, env=kubo.env(),
                                capture_output=True, check=True).stdout
        ours = subprocess.run([sys.executable, "-m", "autocodec", "add", "-r", "--only-hash", *args], cwd=cwd,
                              env=env, capture_output=True, check=True).stdout
        assert ours == theirs, args
    data = xorshift_bytes(5, 300_000)
    theirs = kubo.ipfs("add", "--only-hash", input=data).stdout
    assert run_cli(home, "add", "--only-hash", "-", stdin=data).stdout == theirs
    theirs = kubo.ipfs("add", "--only-hash", "--cid-base=base16", input=data).stdout  # named by its CIDv0 still
    assert run_cli(home, "add", "--only-hash", "--cid-base=base16", "-", stdin=data).stdout == theirs
    COMPARED["cases"] += 4
    COMPARED["entries"] += 4 * 3


@pytest.mark.parametrize("flags", [["--trickle", "--chunker=rabin-4096"], ["--cid-version=1", "--chunker=buzhash"],
                                   ["--raw-leaves", "--chunker=size-1000", "--hash=blake2b-256"]],
                         ids=lambda f: " ".join(f))
def test_cat_reads_what_kubo_stored(kubo: KuboRepo, home: Path, files: Path, hamt_dirs: dict[str, Path],
                                    flags: list[str]) -> None:
    """``autocodec cat`` streams the DAGs Kubo built (exported as a CAR, imported here) byte for byte,
    through plain and HAMT-sharded folders."""
    root = kubo.ipfs("add", "-r", "-Q", "--pin=false", *flags, files, hamt_dirs["nested"], "-w").stdout.decode().strip()
    car = home.parent / "kubo.car"
    car.write_bytes(kubo.ipfs("dag", "export", root, timeout=600).stdout)
    run_cli(home, "car", "import", str(car))
    names = ["files/f10-1600000", "files/text", "files/f00-0", "nested/shard/17-" + "q" * 50, "nested/deep/shard2/"
             + "n0006999" * 3]
    for name in names:
        expected = kubo.ipfs("cat", f"{root}/{name}").stdout
        assert run_cli(home, "cat", f"{root}/{name}").stdout == expected, name
    COMPARED["cases"] += 1
    COMPARED["entries"] += len(names)


def test_cat_of_a_symlink_writes_its_target_as_kubo(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    """``ipfs cat`` of a symlink writes its target (boxo reads a symlink as a file of those
    bytes), with ``-o``/``-l`` on them; autocodec refused it ("a symlink, not a file")."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "rel").symlink_to("some/target/path")
    (tmp_path / "s" / "abs").symlink_to("/etc/héllo")
    root = kubo.ipfs("add", "-r", "-Q", "--pin=false", tmp_path / "s").stdout.decode().strip()
    (tmp_path / "s.car").write_bytes(kubo.ipfs("dag", "export", root).stdout)
    run_cli(home, "car", "import", str(tmp_path / "s.car"))
    for name in ("rel", "abs"):
        for args in ([], ["-o", "1"], ["-o", "1", "-l", "2"], ["-o", "16"], ["-o", "40"], ["-l", "0"]):
            theirs = kubo.ipfs("cat", *args, f"{root}/{name}").stdout
            assert run_cli(home, "cat", *args, f"{root}/{name}").stdout == theirs, (name, args)
    assert kubo.ipfs("cat", f"{root}/rel").stdout == b"some/target/path"


def test_cat_offsets_are_read_in_go_syntax_as_kubo(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    """``ipfs cat -o/-l`` are int64 options read by ``strconv.ParseInt(v, 0, 64)``: ``010`` is
    octal 8, ``0x3``, ``0b11``, ``0o7``, ``1_0`` and ``+2`` are numbers, ``" 3"`` and 2^63 are
    not. autocodec read them with Python's ``int(text, 0)`` (``010`` refused)."""
    (tmp_path / "f").write_bytes(b"0123456789abcdef")
    cid = kubo.ipfs("add", "-Q", "--pin=false", tmp_path / "f").stdout.decode().strip()
    assert run_cli(home, "add", "-Q", str(tmp_path / "f")).stdout.decode().strip() == cid
    for value in ("010", "0x3", "0b11", "0o7", "1_0", "+2", "9223372036854775807"):
        for args in (["-o", value, "-l", "3"], ["-l", value]):
            theirs = kubo.ipfs("cat", *args, cid)
            assert run_cli(home, "cat", *args, cid).stdout == theirs.stdout, args
    for value in (" 3", "9223372036854775808", "-1", "1__0", "3.0", "٣"):
        assert kubo.ipfs("cat", "-o", value, cid, check=False).returncode != 0, value
        assert run_cli(home, "cat", "-o", value, cid, check=False).returncode != 0, value


def test_cat_of_several_paths_is_kubos(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    """``cat A B C`` writes the files one after another, ``-o/-l`` counting across them; a missing
    name or a folder among them is an error before any byte is written, as in Kubo."""
    tree = tmp_path / "several"
    (tree / "sub").mkdir(parents=True)
    (tree / "a").write_bytes(b"first file\n")
    (tree / "sub" / "b").write_bytes(bytes(range(256)) * 1200)  # two chunks
    (tree / "c").write_bytes(b"")
    root = kubo.ipfs("add", "-r", "-Q", "--pin=false", "--chunker=size-262144", tree).stdout.decode().strip()
    assert run_cli(home, "add", "-r", "-Q", str(tree)).stdout.decode().strip() == root
    a, b, c = f"{root}/a", f"/ipfs/{root}/sub/b", f"{root}/c"
    for args in ([a, b, c, a], ["-o", "5", "-l", "300000", a, b, a], ["-o", "307210", b, c, a], ["-l", "0", a, a],
                 ["-o", "9999999", a, b], [a, "-o", "3", b, "-l", "20", c]):  # options among the paths too
        assert run_cli(home, "cat", *args).stdout == kubo.ipfs("cat", *args).stdout, args
    for args in ([a, f"{root}/nope"], [a, f"{root}/sub"], [a, root]):
        theirs = kubo.ipfs("cat", *args, check=False)
        ours = run_cli(home, "cat", *args, check=False)
        assert theirs.returncode != 0 and theirs.stdout == b"", args
        assert ours.returncode != 0 and ours.stdout == b"" and ours.stderr.count(b"\n") == 1, args


def test_a_missing_name_is_said_in_kubos_words(kubo: KuboRepo, home: Path, hamt_dirs: dict[str, Path],
                                               tmp_path: Path) -> None:
    """``cat``, ``ls`` and ``get`` of a name a folder (plain or HAMT-sharded) lacks: Kubo's
    ``no link named "x" under CID``; ours said ``no entry 'x' in the (sharded) directory CID``
    (``get`` already said Kubo's)."""
    plain = tmp_path / "plain"
    (plain / "sub").mkdir(parents=True)
    (plain / "sub" / "f").write_bytes(b"f\n")
    roots = [kubo.ipfs("add", "-r", "-Q", "--pin=false", "--cid-version=1", plain).stdout.decode().strip()]
    assert run_cli(home, "add", "-r", "-Q", "--cid-version=1", str(plain)).stdout.decode().strip() == roots[0]
    sharded = next(iter(hamt_dirs.values()))
    roots.append(kubo.ipfs("add", "-r", "-Q", "--pin=false", sharded).stdout.decode().strip())
    assert run_cli(home, "add", "-r", "-Q", str(sharded)).stdout.decode().strip() == roots[1]
    for path in (f"{roots[0]}/nope", f"/ipfs/{roots[0]}/sub/n\"o", f"{roots[1]}/missing-\u00e9"):
        for command in (["cat"], ["ls"], ["get", "-o", str(tmp_path / "out")]):
            theirs = kubo.ipfs(*command, path, check=False).stderr.decode().strip()
            ours = run_cli(home, *command, path, check=False).stderr.decode().strip()
            assert theirs.startswith("Error: no link named "), theirs
            said = theirs.removeprefix("Error: ")
            assert ours.startswith(f"autocodec: PathNotFound: {said} ("), (command, ours, said)


# --- names that are not UTF-8 -------------------------------------------------------------------

def _bytes_names_tree(base: Path) -> Path:
    """File names are bytes on Linux; these are not all UTF-8 (Latin-1, a lone continuation
    byte, an encoded surrogate), in a plain folder, a subfolder and a HAMT-sharded folder."""
    root = base / "names"
    raw = os.fsencode(root)
    os.makedirs(raw)
    for name in (b"\xff\xfe-bad.txt", b"caf\xe9", b"ok.txt", b"\xed\xa0\x80-cesu", b"mixed-\xc3\xa9-\xe9"):
        with open(raw + b"/" + name, "wb") as out:
            out.write(name + b"\n")
    os.makedirs(raw + b"/\xc3(-dir")
    with open(raw + b"/\xc3(-dir/inner\x80", "wb") as out:
        out.write(b"inner\n")
    shard = raw + b"/shard-\xfe"
    os.makedirs(shard)
    for i in range(3000):  # over the sharding threshold: each name's raw bytes pick its slot
        with open(shard + f"/entry-{i:05d}-".encode() + bytes([0x80 + i % 64]) + b"x" * 60, "wb") as out:
            out.write(b"%d\n" % i)
    return root


@pytest.fixture(scope="module")
def bytes_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bytes_names_tree(tmp_path_factory.mktemp("bytes-names"))


@pytest.mark.parametrize("options", [{}, {"cid_version": 1}, {"cid_version": 1, "raw_leaves": False}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_names_that_are_not_utf8_equal_kubo(kubo: KuboRepo, bytes_names: Path, options: dict[str, Any]) -> None:
    """Kubo stores such a name's bytes as they are; so does ``add`` here: the same CIDs."""
    assert compare(kubo, [bytes_names], options) > 3000


def test_names_that_are_not_utf8_read_like_kubo(bytes_names: Path, tmp_path: Path) -> None:
    """The tree Kubo adds reads here as in Kubo: ``dag get`` text (each such byte ``\\ufffd``),
    ``cat`` by the raw name, and the gateway, where the name is percent-encoded byte for byte."""
    import urllib.error
    import urllib.request

    from ._serve_proc import ServeProcess

    def get(url: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    require_kubo()
    home = tmp_path / "home"
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        root = kubo.ipfs("add", "-r", "-Q", "--cid-version=1", bytes_names, timeout=600).stdout.decode().strip()
        ours = run_cli(home, "add", "-r", "-Q", "--cid-version=1", str(bytes_names), timeout=600).stdout.decode().strip()
        assert ours == root
        paths = [b"", b"/\xff\xfe-bad.txt", b"/caf\xe9", b"/\xc3(-dir", b"/\xc3(-dir/inner\x80",
                 b"/shard-\xfe/entry-00007-\x87" + b"x" * 60, b"/shard-\xfe/entry-02999-\xb7" + b"x" * 60]
        for sub in paths:
            arg = os.fsdecode(root.encode() + sub)
            assert run_cli(home, "dag", "get", arg).stdout == kubo.ipfs("dag", "get", arg).stdout, sub
        for sub in paths[1:3] + paths[4:]:
            arg = os.fsdecode(root.encode() + sub)
            assert run_cli(home, "cat", arg).stdout == kubo.ipfs("cat", arg).stdout, sub
        kubo.start()
        with ServeProcess(home, tmp_path) as serve:
            for sub in paths[1:] + [b"/\xff\xfe-missing"]:
                url = f"/ipfs/{root}{urllib.parse.quote(sub)}"
                theirs, mine = get(kubo.gateway_url + url), get(serve.url + url)
                assert mine[0] == theirs[0], (sub, theirs, mine)
                if theirs[0] == 200 and sub != b"/\xc3(-dir":
                    assert mine[1] == theirs[1], sub
            status, page = get(f"{serve.url}/ipfs/{root}/")
            assert status == 200
            assert b'href="/ipfs/' + root.encode() + b'/%FF%FE-bad.txt"' in page
            assert "\ufffd\ufffd-bad.txt".encode() in page
            status, page = get(f"{serve.url}/explore/{root}")
            assert status == 200 and b"%FF%FE-bad.txt" in page


# --- UnixFS 1.5 metadata (--preserve-mode, --preserve-mtime, --mode, --mtime) -------------------

@pytest.fixture(scope="module")
def dated_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files of one and many chunks, a symlink, nested, empty and HAMT-sharded folders, with
    modes (setuid, sticky, none at all) and times (nanoseconds, before the epoch, recent)."""
    root = tmp_path_factory.mktemp("dated") / "dated"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "one").write_bytes(b"one chunk")
    (root / "big").write_bytes(xorshift_bytes(5, 700_000))
    (root / "sub" / "deeper" / "c").write_bytes(b"c")
    (root / "nothing").write_bytes(b"")
    os.symlink("one", root / "link")
    hamt = root / "hamt"
    hamt.mkdir()
    for i in range(3000):
        (hamt / f"{i:05d}-{'h' * 60}").write_bytes(b"%d" % (i % 7))
    os.chmod(root / "one", 0o4750)
    os.chmod(root / "sub", 0o1777)
    os.chmod(root / "nothing", 0o000)
    for path, ns in ((root / "one", 1_600_000_000_250_000_000), (root / "big", -86_400_000_000_000),
                     (root / "sub" / "deeper" / "c", 1_700_000_000_000_000_001), (root / "empty", 1_500_000_000_000_000_000),
                     (root / "sub" / "deeper", 1_400_000_000_999_999_999), (hamt, 1_300_000_000_000_000_000)):
        os.utime(path, ns=(ns, ns))
    os.utime(root / "link", ns=(1_200_000_000_000_000_000,) * 2, follow_symlinks=False)
    return root


META_OPTIONS = [
    {"preserve_mode": True, "preserve_mtime": True},
    {"preserve_mtime": True, "cid_version": 1},
    {"preserve_mode": True, "trickle": True},
    {"mode": 0o700, "mtime": (1234567890, 0)},
    {"mode": 0o4755, "mtime": (1234567890, 500)},
    {"mtime": (-5, 7), "preserve_mode": True, "cid_version": 1, "hash": "blake3"},
]


@pytest.mark.parametrize("options", META_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_unixfs_metadata_equals_kubo(kubo: KuboRepo, dated_tree: Path, options: dict[str, Any]) -> None:
    """Kubo's add with UnixFS 1.5 metadata: raw leaves off, mode and mtime in each file's root
    (a one-chunk file's leaf), in each folder (a HAMT's root shard), mtime only in symlinks."""
    assert compare(kubo, [dated_tree], options) > 3000


def test_a_mode_of_special_bits_only_gives_kubos_stored_root(kubo: KuboRepo, dated_tree: Path) -> None:
    """``--mode=0o1000`` (only a bit Go's FileMode does not hold as sticky): folders store mode 0.
    The DAG equals the one Kubo stores (the same root), but Kubo's printed line for the HAMT
    folder names another CID than the one its parent links (a node without the mode, which the
    stored DAG does not use); this package prints the linked one."""
    theirs = kubo_add(kubo, [dated_tree], {"mode": 0o1000})
    ours = our_add([dated_tree], {"mode": 0o1000})
    differ = {name for name in theirs if theirs[name] != ours.get(name)}
    assert differ == {"dated/hamt"}
    root = kubo.ipfs("dag", "get", str(theirs["dated"])).stdout
    assert str(ours["dated/hamt"]).encode() in root and str(theirs["dated/hamt"]).encode() not in root


def test_unixfs_metadata_refuses_raw_leaves(kubo: KuboRepo, files: Path) -> None:
    """``--raw-leaves`` with metadata is refused by both, as Kubo refuses it."""
    theirs = kubo.ipfs("add", "-r", "--only-hash", "--raw-leaves=true", "--preserve-mtime", files, check=False)
    with pytest.raises(Exception, match="raw-leaves can't be used with UnixFS metadata"):
        our_add([files], {"raw_leaves": True, "preserve_mtime": True})
    assert theirs.returncode != 0 and b"raw-leaves can't be used" in theirs.stderr


@pytest.mark.parametrize("flags", [["--preserve-mode", "--preserve-mtime", "-w"],
                                   ["--mode=0644", "--mtime=1700000000", "--mtime-nsecs=5", "--cid-version=1"],
                                   ["--preserve-mtime", "--trickle", "-Q"]],
                         ids=lambda f: " ".join(f))
def test_cli_metadata_flags_print_what_kubo_prints(kubo: KuboRepo, home: Path, dated_tree: Path,
                                                   flags: list[str]) -> None:
    """``autocodec add`` with Kubo's metadata flags prints Kubo's lines (both store the blocks:
    Kubo's ``--only-hash`` fails with metadata)."""
    theirs = kubo.ipfs("add", "-r", "--pin=false", "--progress=false", *flags, dated_tree, timeout=600).stdout
    ours = run_cli(home, "add", "-r", *flags, str(dated_tree), timeout=600).stdout
    assert ours.splitlines() == theirs.splitlines()


def test_cli_metadata_flag_errors_like_kubo(kubo: KuboRepo, home: Path, files: Path) -> None:
    for flags in (["--mtime-nsecs=5"], ["--raw-leaves", "--preserve-mode"], ["--mode=12x"]):
        theirs = kubo.ipfs("add", "-r", "--pin=false", *flags, files, check=False)
        ours = run_cli(home, "add", "-r", *flags, str(files), check=False)
        assert theirs.returncode != 0 and ours.returncode != 0, flags
        assert len(ours.stderr.decode().strip().splitlines()) == 1, ours.stderr


# --- --ignore, --ignore-rules-path, --dereference-*, --stdin-name (each checked on Kubo) -----

def _options_tree(base: Path) -> Path:
    """Files at two depths, an empty folder, a folder only ignored files fill, symlinks to a
    file, to a folder, to nothing and in a loop, and a rules file beside the tree."""
    root = base / "t"
    for folder in ("d/sub", "e", "build"):
        (root / folder).mkdir(parents=True)
    for name, text in (("a.txt", "a"), ("b.log", "b"), ("d/c.txt", "c"), ("d/sub/x.log", "x"), ("build/y", "y"),
                       (".hid", "h")):
        (root / name).write_text(text + "\n")
    os.symlink("a.txt", root / "link")
    os.symlink("d", root / "dlink")
    links = base / "s"
    links.mkdir()
    os.symlink("../t", links / "tl")
    os.symlink("../t/a.txt", links / "al")
    os.symlink("nowhere", links / "dang")
    os.symlink("loop2", links / "loop1")
    os.symlink("loop1", links / "loop2")
    loop = base / "loop" / "w"
    loop.mkdir(parents=True)
    (loop / "z").write_text("z")
    os.symlink("..", loop / "back")
    (base / "rules").write_text("*.log\n!x.log\n# a comment\n\n  build  \n")
    return base


OPTION_CASES = [
    # --ignore: rules match each entry's base name, the last matching rule decides
    ["-r", "--ignore=*.log", "t"], ["-r", "--ignore=*.log", "--ignore=!x.log", "t"],
    ["-r", "--ignore=!x.log", "--ignore=*.log", "t"], ["-r", "--ignore=/a.txt", "t"], ["-r", "--ignore=/t/a.txt", "t"],
    ["-r", "--ignore=d/", "t"], ["-r", "--ignore=d", "t"], ["-r", "--ignore=**/x.log", "t"],
    ["-r", "--ignore=build/**", "t"], ["-r", "--ignore=d/*.txt", "t"], ["-r", "--ignore=[ab].*", "t"],
    ["-r", "--ignore=a?txt", "t"], ["-r", "--ignore=*", "t"], ["-r", "--ignore=(", "t"], ["-r", "--ignore=link", "t"],
    ["-r", "--ignore= a.txt ", "t"], ["-r", "--ignore=#a.txt", "t"], ["-r", "--ignore=t", "t"],
    ["-r", "-H", "--ignore=.hid", "t"], ["-r", "-E=false", "--ignore=*.log", "t"], ["--ignore=a.txt", "t/a.txt"],
    ["-r", "-w", "--ignore=link", "t", "t/a.txt"],
    # --ignore-rules-path: its lines first, then --ignore; a missing file or a folder is an error
    ["-r", "--ignore-rules-path=rules", "t"], ["-r", "--ignore-rules-path=rules", "--ignore=x.log", "t"],
    ["-r", "--ignore-rules-path=", "t"], ["-r", "--ignore-rules-path=no-such-file", "t"],
    ["-r", "--ignore-rules-path=t", "t"], ["--ignore-rules-path=no-such-file", "t/a.txt"],
    # --dereference-args / --dereference-symlinks: the target's name; dangling or looping is an error
    ["s/al"], ["--dereference-args", "s/al"], ["--dereference-symlinks", "s/al"], ["-r", "s/tl"],
    ["--dereference-args", "s/tl"], ["-r", "--dereference-args", "s/tl"], ["-r", "--dereference-args=false", "s/tl"],
    ["-r", "--ignore=dangle", "--dereference-symlinks", "t"], ["--dereference-args", "s/dang"],
    ["--dereference-symlinks", "s/dang"], ["--dereference-args", "s/loop1"], ["-r", "--dereference-symlinks", "loop"],
    ["-r", "--dereference-symlinks", "s"],
    # a failure inside a folder: the lines of what was added before it (-Q: the last CID known)
    ["-r", "--dereference-symlinks", "t"], ["-r", "-q", "--dereference-symlinks", "t"],
    ["-r", "-Q", "--dereference-symlinks", "t"], ["-r", "-w", "--dereference-symlinks", "s/al", "t"],
    # options among the file arguments, as Kubo's command line takes them
    ["-", "-r", "t"], ["t/a.txt", "--cid-version=1", "-w", "s/al"],
    # --pin / --pin-name are accepted (Kubo pins; the store keeps every block)
    ["-r", "--pin=false", "t"], ["--pin-name=mine", "t/a.txt"], ["--pin-name=", "t/a.txt"],
]


@pytest.fixture(scope="module")
def options_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _options_tree(tmp_path_factory.mktemp("options"))


def _both_add(kubo: KuboRepo, home: Path, cwd: Path, args: list[str],
              stdin: bytes = b"") -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    theirs = subprocess.run([str(KUBO_BIN), "add", "--only-hash", *args], cwd=cwd, env=kubo.env(), input=stdin,
                            capture_output=True, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", "--only-hash", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, timeout=120)
    return theirs, ours


@pytest.mark.parametrize("args", OPTION_CASES, ids=" ".join)
def test_add_ignore_and_dereference_options_are_kubos(kubo: KuboRepo, home: Path, options_tree: Path,
                                                        args: list[str]) -> None:
    """Same lines and exit status as Kubo; on an error, the lines of the entries added before it
    (both stream them: files as added, folders after their entries; ``-Q`` the last one)."""
    theirs, ours = _both_add(kubo, home, options_tree, args)
    assert ours.returncode == theirs.returncode, (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout
    if theirs.returncode:
        assert len(ours.stderr.splitlines()) == 1 and b"Traceback" not in ours.stderr, ours.stderr
        return
    COMPARED["cases"] += 1
    COMPARED["entries"] += theirs.stdout.count(b"\n")


STDIN_NAMES = ["", "foo", "a/b", "x/", "/x", "a.txt", "t", "zz"]


@pytest.mark.parametrize("name", STDIN_NAMES)
@pytest.mark.parametrize("wrap", [False, True], ids=["plain", "-w"])
def test_add_stdin_name_is_kubos(kubo: KuboRepo, home: Path, options_tree: Path, name: str, wrap: bool) -> None:
    """Stdin is printed (and wrapped) under ``--stdin-name`` (else its CID) and takes that name's
    place among the files; ``a/b`` under ``-w`` is folder ``a`` holding ``b``; a name another
    argument has is an error under ``-w``, as in Kubo."""
    for files in ([], ["t/a.txt"], ["t"]):
        args = ["-r", *(["-w"] if wrap else []), f"--stdin-name={name}", "-", *files]
        theirs, ours = _both_add(kubo, home, options_tree, args, stdin=b"hi\n")
        assert ours.returncode == theirs.returncode, (args, theirs.stderr, ours.stderr)
        if not theirs.returncode:
            assert ours.stdout == theirs.stdout, args


@pytest.mark.parametrize("name", [".", ".."])
def test_add_stdin_named_dot_is_refused_under_w(kubo: KuboRepo, home: Path, options_tree: Path, name: str) -> None:
    """One difference on purpose (docs/cli.md): Kubo wraps stdin under an entry named ``.`` or
    ``..``, which no path can reach; autocodec refuses it in one line. Without -w both print it."""
    theirs, ours = _both_add(kubo, home, options_tree, ["-w", f"--stdin-name={name}", "-"], stdin=b"hi\n")
    assert theirs.returncode == 0 and ours.returncode == 1
    assert b"names no entry inside the wrapping folder" in ours.stderr and len(ours.stderr.splitlines()) == 1
    theirs, ours = _both_add(kubo, home, options_tree, [f"--stdin-name={name}", "-"], stdin=b"hi\n")
    assert ours.stdout == theirs.stdout and ours.returncode == 0


def test_cat_takes_kubos_progress_flag(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(xorshift_bytes(9, 70_000))
    cid = kubo.ipfs("add", "-Q", tmp_path / "f").stdout.decode().strip()
    assert run_cli(home, "add", "-Q", str(tmp_path / "f")).stdout.decode().strip() == cid
    for flags in (["-p"], ["--progress"], ["--progress=false"], ["-p", "-o", "5"]):
        theirs = kubo.ipfs("cat", *flags, cid)
        ours = run_cli(home, "cat", *flags, cid)
        assert ours.stdout == theirs.stdout and ours.returncode == theirs.returncode == 0, flags


def test_add_pin_name_is_refused_where_kubo_pins_nothing(kubo: KuboRepo, home: Path, options_tree: Path) -> None:
    """``--pin-name`` (even empty) with ``--pin=false`` or ``--only-hash`` is Kubo's usage error;
    with pinning on, Kubo adds as usual (here: the store keeps every block)."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    for args in (["--pin-name=x"], ["--pin-name=x", "--pin=false"], ["--pin-name=", "--pin=true"], ["--pin=false"]):
        for hash_only in ([], ["-n"]):
            argv = ["add", *hash_only, *args, "t/a.txt"]
            theirs = subprocess.run([str(KUBO_BIN), *argv], cwd=options_tree, env=kubo.env(), capture_output=True)
            ours = subprocess.run([sys.executable, "-m", "autocodec", *argv], cwd=options_tree, env=env,
                                  capture_output=True)
            assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), (argv, ours.stderr)
