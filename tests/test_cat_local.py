"""``autocodec cat`` from the home's own store without the extension runtime (``cli/_cat_local``).

Real processes over real homes: the bytes, the errors in the middle of a file (after the bytes
before the bad block), bounded memory, and what the cat path no longer imports.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from autocodec.cid import CID

REPO = Path(__file__).resolve().parents[1]
CHUNK = 1024


def _run(home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, cwd=REPO, input=stdin,
                          capture_output=True, timeout=300)


def _add(home: Path, data: bytes, *options: str) -> str:
    done = _run(home, "add", "-Q", *options, stdin=data)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip()


def _leaves(home: Path, root: str) -> list[str]:
    done = _run(home, "refs", root)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().split()


def _rows(home: Path, sql: str, cid: str, *params: bytes) -> None:
    with sqlite3.connect(_db(home)) as db:
        db.execute(sql, (*params, bytes(CID.parse(cid).to_v1())))


def _db(home: Path) -> Path:
    from autocodec.home import Home

    return Home.resolve(home).db_path


def test_cat_of_stored_blocks_starts_no_extension_runtime(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = os.urandom(20 * CHUNK + 7)
    root = _add(home, data, f"--chunker=size-{CHUNK}")
    probe = ("import sys\nfrom autocodec.cli._app import main\nrc = main(['cat', sys.argv[1]])\n"
             "sys.stdout.flush()\nloaded = [m for m in ('wasmtime', 'autocodec.registry', 'autocodec.bao') "
             "if m in sys.modules]\nsys.stderr.write(repr(loaded))\nsys.exit(rc)\n")
    done = subprocess.run([sys.executable, "-c", probe, root], env={**os.environ, "AUTOCODEC_HOME": str(home)},
                          cwd=REPO, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == data
    assert done.stderr.decode() == "[]"


def test_a_damaged_block_in_the_middle_is_refused_after_the_bytes_before_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = os.urandom(8 * CHUNK)
    root = _add(home, data, f"--chunker=size-{CHUNK}")
    leaves = _leaves(home, root)
    assert len(leaves) == 8
    _rows(home, "UPDATE blocks SET data = ? WHERE cid = ?", leaves[3], b"not the block")
    done = _run(home, "cat", root)
    assert done.returncode != 0
    assert done.stdout == data[: 3 * CHUNK]
    err = done.stderr.decode()
    assert "corrupt" in err and leaves[3] in err and "Traceback" not in err


def test_a_missing_block_in_the_middle_is_not_found_after_the_bytes_before_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = os.urandom(8 * CHUNK)
    root = _add(home, data, f"--chunker=size-{CHUNK}")
    leaves = _leaves(home, root)
    _rows(home, "DELETE FROM blocks WHERE cid = ?", leaves[5])
    done = _run(home, "cat", root)
    assert done.returncode != 0
    assert done.stdout == data[: 5 * CHUNK]
    err = done.stderr.decode()
    assert leaves[5] in err and "Traceback" not in err


def test_cat_in_a_home_not_made_yet_is_one_line_and_makes_no_home(tmp_path: Path) -> None:
    home = tmp_path / "never-made"
    done = _run(home, "cat", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
    assert done.returncode == 1
    assert done.stderr.decode().count("\n") == 1 and "does not exist" in done.stderr.decode()
    assert not home.exists()


def test_cat_of_a_64_mib_file_holds_little_memory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = os.urandom(64 << 20)
    root = _add(home, data)
    out = tmp_path / "out"
    # a parent of its own, so the peak is the cat's alone (not the add's, also a child of this process)
    measure = ("import resource, subprocess, sys\n"
               "with open(sys.argv[1], 'wb') as sink:\n"
               "    rc = subprocess.run([sys.executable, '-m', 'autocodec', 'cat', sys.argv[2]], stdout=sink).returncode\n"
               "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", measure, str(out), root], capture_output=True,
                          env={**os.environ, "AUTOCODEC_HOME": str(home)}, cwd=REPO, timeout=300)
    rc, peak_kib = map(int, done.stdout.split())
    assert rc == 0, done.stderr
    assert out.read_bytes() == data
    assert peak_kib < 64 * 1024, f"cat held {peak_kib} KiB at its peak for a 64 MiB file"


def test_cat_views_are_the_same_bytes_without_copies(tmp_path: Path) -> None:
    from autocodec.store import BlockStore
    from autocodec.unixfs import AddOptions, add_bytes, cat, cat_views

    data = os.urandom(5 * CHUNK + 3)
    with BlockStore.open(tmp_path / "store") as store:
        for raw_leaves in (False, True):
            root = add_bytes(store, data, AddOptions(chunker=f"size-{CHUNK}", raw_leaves=raw_leaves))
            views = list(cat_views(store, root))
            assert all(type(piece) is memoryview for piece in views)
            assert b"".join(views) == data
            assert [len(piece) for piece in views] == [CHUNK] * 5 + [3]
            pieces = list(cat(store, root))  # the public cat still gives bytes
            assert all(type(piece) is bytes for piece in pieces) and b"".join(pieces) == data
