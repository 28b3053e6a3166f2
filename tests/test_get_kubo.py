"""``autocodec get`` next to Kubo v0.43.1's ``ipfs get`` on the same blocks: the same trees.

Kubo adds two trees, one with ``--preserve-mode --preserve-mtime`` (setuid and sticky bits,
old and recent times) and one without, each with nested and empty folders, a HAMT-sharded
folder, a chunked file, symlinks and a name that is not UTF-8; this package imports the CARs.
Each case runs ``ipfs get ARGS`` and ``autocodec get ARGS`` in two empty folders and compares
what they print and what they wrote: every path, its type, bytes, symlink target and mode, and
its modification time where the DAG carries one (otherwise both write the time of the call).
Archives (``-a``, ``-C``) are compared member by member after decompression. One difference on
purpose: Kubo writes setuid and setgid bits to disk, autocodec never does (the archives keep them).
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


def _tree(root: Path, dated: bool) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.txt").write_text("hello\n")
    (root / "sub" / "b").write_text("bee")
    (root / "sub" / "deeper" / "c").write_bytes(bytes(range(256)) * 3000)  # three chunks
    os.symlink("a.txt", root / "link")
    os.symlink("../a.txt", root / "sub" / "up")
    with open(os.fsencode(root) + b"/caf\xe9", "wb") as out:
        out.write(b"latin-1\n")
    hamt = root / "hamt"
    hamt.mkdir()
    for i in range(40):
        (hamt / f"{i:03d}-{'n' * 40}").write_text(str(i))
    if dated:
        os.chmod(root / "a.txt", 0o4755)
        os.chmod(root / "sub", 0o1777)
        os.chmod(root / "sub" / "b", 0o600)
        os.utime(root / "a.txt", ns=(1_600_000_000_123_456_789,) * 2)
        os.utime(root / "sub" / "b", (int(time.time()) - 86400,) * 2)
        os.utime(root / "link", ns=(1_500_000_000_000_000_000,) * 2, follow_symlinks=False)
    return root


class World:
    def __init__(self, kubo: KuboRepo, home: Path, base: Path, cids: dict[str, str]) -> None:
        self.kubo, self.home, self.base, self.cids = kubo, home, base, cids

    def both(self, args: list[str], case_dir: Path) -> tuple[tuple[int, bytes, Path], tuple[int, bytes, Path]]:
        theirs_dir, ours_dir = case_dir / "kubo", case_dir / "ours"
        theirs_dir.mkdir(parents=True)
        ours_dir.mkdir(parents=True)
        theirs = subprocess.run([str(KUBO_BIN), "get", *args], cwd=theirs_dir, env=self.kubo.env(),
                                capture_output=True, timeout=300)
        env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
        ours = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(self.home), "get", *args],
                              cwd=ours_dir, env=env, capture_output=True, timeout=300)
        return (theirs.returncode, theirs.stdout, theirs_dir), (ours.returncode, ours.stdout + ours.stderr, ours_dir)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_kubo()
    base = tmp_path_factory.mktemp("get")
    home = base / "home"
    with KuboRepo.create(base / "kubo") as kubo:
        kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
        cids = {
            "dated": kubo.ipfs("add", "-r", "-Q", "--preserve-mode", "--preserve-mtime", "--chunker=size-262144",
                               _tree(base / "dated", True)).stdout.decode().strip(),
            "plain": kubo.ipfs("add", "-r", "-Q", "--cid-version=1", _tree(base / "plain", False)).stdout.decode().strip(),
        }
        cids["cbor"] = kubo.ipfs("dag", "put", input=b'{"a": 1}').stdout.decode().strip()
        for name, cid in cids.items():
            car = base / f"{name}.car"
            car.write_bytes(kubo.ipfs("dag", "export", cid).stdout)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "car", "import", str(car)],
                           check=True, capture_output=True, timeout=120)
        yield World(kubo, home, base, cids)


def _walk(root: Path, before: int) -> dict[str, tuple[Any, ...]]:
    """Every path under ``root``: type, bytes or target, mode, and mtime when it is older than
    ``before`` (a time from the DAG; a later one is the time of the call, in both)."""
    out = {}
    for path in sorted(root.rglob("*")):
        st = os.lstat(path)
        rel = os.fsencode(path.relative_to(root)).decode("utf-8", "surrogateescape")
        if stat.S_ISLNK(st.st_mode):
            what: Any = ("link", os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            what = ("dir",)
        else:
            what = ("file", path.read_bytes())
        mode = None if stat.S_ISLNK(st.st_mode) else stat.S_IMODE(st.st_mode)
        out[rel] = (*what, mode, st.st_mtime_ns if st.st_mtime_ns < before else None)
    return out


def _members(data: bytes, before: int) -> list[tuple[Any, ...]]:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return [(m.name, m.type, m.mode, m.size, m.linkname, m.mtime if m.mtime * 1e9 < before else None,
                 archive.extractfile(m).read() if m.isfile() else None) for m in archive.getmembers()]  # type: ignore[union-attr]


CASES = {
    # (args, what to compare: "tree" or "archive" or "error", whether times are the DAG's)
    "a directory with its metadata": (["{dated}"], "tree", True),
    "a directory without metadata": (["{plain}"], "tree", False),
    "a path in it, by names": (["/ipfs/{dated}/sub"], "tree", True),
    "a file": (["{dated}/a.txt"], "tree", True),
    "a chunked file": (["{plain}/sub/deeper/c"], "tree", False),
    "a symlink": (["{dated}/link"], "tree", True),
    "a HAMT-sharded folder": (["{plain}/hamt"], "tree", False),
    "-o names the output": (["-o", "out/here", "{dated}/sub"], "tree", True),
    "a file into an existing folder": (["-o", ".", "{dated}/a.txt"], "tree", True),
    "an empty -o is no -o": (["-o", "", "{dated}/sub"], "tree", True),
    "an archive": (["-a", "{dated}"], "archive", True),
    "an archive, gzipped": (["-a", "-C", "{dated}/sub"], "archive", True),
    "an archive named by -o": (["-a", "-o", "x.tar", "{plain}/sub"], "archive", False),
    "a file, gzipped": (["-C", "-l", "9", "{plain}/sub/deeper/c"], "archive", False),
    # Kubo reads int options as Go's ParseInt(v, 0, 32): 0x9 is 9, 011 is octal 9, 012 is 10
    "a level in hex (Go syntax)": (["-C", "-l", "0x9", "{plain}/sub/deeper/c"], "archive", False),
    "a level in octal (Go syntax)": (["-a", "-C", "-l", "011", "{plain}/sub"], "archive", False),
    "a level of octal 10 (an error)": (["-C", "-l", "012", "{plain}/a.txt"], "error", False),
    "a directory gzipped without -a (an error)": (["-C", "{plain}"], "error", False),
    "a compression level out of range (an error)": (["-C", "-l", "12", "{plain}/a.txt"], "error", False),
    "a DAG-CBOR block (an error)": (["{cbor}"], "error", False),
    "a missing name (an error)": (["{plain}/no-such-name"], "error", False),
    # Kubo's -p/--progress is accepted (progress, if any, never reaches stdout)
    "-p is accepted": (["-p", "{plain}/sub"], "tree", False),
    "--progress=false is accepted": (["--progress=false", "-a", "{dated}/sub"], "archive", True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_get_writes_what_kubo_writes(world: World, tmp_path: Path, case: str) -> None:
    template, kind, _dated = CASES[case]
    args = [arg.format(**world.cids) for arg in template]
    before = time.time_ns() - 2_000_000_000  # what is newer was written at the time of the call
    (theirs_code, theirs_out, theirs_dir), (ours_code, ours_out, ours_dir) = world.both(args, tmp_path)
    assert (ours_code == 0) == (theirs_code == 0), (theirs_out, ours_out)
    if kind == "error":
        assert ours_code and len(ours_out.decode().strip().splitlines()) == 1 and b"Traceback" not in ours_out
        return
    assert ours_out == theirs_out  # "Saving file(s) to NAME" / "Saving archive to NAME.tar"
    if kind == "tree":
        theirs = _walk(theirs_dir, before)
        # one difference on purpose: setuid and setgid are never written here (docs/unixfs.md)
        assert _walk(ours_dir, before) == {path: (*what, mode if mode is None else mode & 0o1777, mtime)
                                           for path, (*what, mode, mtime) in theirs.items()}
    else:
        (theirs_file,), (ours_file,) = [sorted(p for p in d.rglob("*") if p.is_file()) for d in (theirs_dir, ours_dir)]
        assert ours_file.relative_to(ours_dir) == theirs_file.relative_to(theirs_dir)
        if ours_file.name.endswith(".tar") or ours_file.name.endswith(".tar.gz"):
            assert _members(ours_file.read_bytes(), before) == _members(theirs_file.read_bytes(), before)
        else:
            assert gzip.decompress(ours_file.read_bytes()) == gzip.decompress(theirs_file.read_bytes())
