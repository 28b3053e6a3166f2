"""Two processes writing to one home at once (two imports, or an import beside a serve that
stores what it fetches): the ``-wal`` must stay bounded. SQLite's checkpoint after a commit
never waits and starts the log over only when no other connection reads it at that instant,
which with two writers is almost never: the log grew to the size of all both wrote (measured
with the CLI: 738-818 MB of -wal for two 400 MB ``car import`` at once, 18 MB for one)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autocodec.store import BlockStore

_WRITER = r"""
import hashlib, sys
from autocodec.config import Limits, StoreLimits
from autocodec.store import BlockStore, _blockstore
from autocodec.cid import CID
_blockstore.WAL_CHECKPOINT_BYTES = 1 << 20  # a 1 MiB step, so a small test shows the growth
seed, count = sys.argv[2], int(sys.argv[3])
def blocks():
    for n in range(count):
        data = hashlib.sha256(f"{seed}/{n}".encode()).digest() * 2048  # 64 KiB
        yield CID(bytes([1, 0x55]) + b"\x12\x20" + hashlib.sha256(data).digest()), data
store = BlockStore.open(sys.argv[1], limits=Limits(store=StoreLimits(batch_blocks=4)))
store.put_many(blocks())
store.close()
"""

_STEP = 1 << 20


@pytest.mark.slow
def test_two_writer_processes_keep_the_wal_bounded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    BlockStore.open(home).close()
    wal = home / "store.sqlite-wal"
    sizes: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.005):
            try:
                sizes.append(wal.stat().st_size)
            except FileNotFoundError:
                pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    count = 1024  # 64 MiB a writer: 64 steps each
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(home), seed, str(count)], env=env,
                              stderr=subprocess.PIPE) for seed in ("a", "b")]
    try:
        for proc in procs:
            assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        done.set()
        watcher.join()
    with BlockStore.open(home) as store:
        assert len(store) == 2 * count and store.check() == []
    # SQLite alone: 170-189 MB (all both wrote, in 64 KiB pages); bounded: about 5 MB (the reset at 4 steps)
    assert max(sizes) < 16 * _STEP, max(sizes)
