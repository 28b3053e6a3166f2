"""A writer beside a reader that holds one snapshot the whole time (another process's long read,
in-process here: a second connection): the ``-wal`` cannot be started over until the reader
lets go, so the writer's forced checkpoint (``BlockStore._bound_wal``) waits in vain each time
it is tried. It must back off: tried again only once the log has doubled, not after every
``WAL_CHECKPOINT_BYTES`` more (measured: 32 MiB written at a 1 MiB step beside such a reader
took 52 s, 28 checkpoints waiting about 1.9 s each under the store's lock, against 0.13 s
with none)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.config import Limits, StoreLimits
from autocodec.store import BlockStore, _blockstore

_STEP = 1 << 20


def _blocks(count: int) -> Iterator[tuple[CID, bytes]]:
    for n in range(count):
        data = hashlib.sha256(f"r/{n}".encode()).digest() * 2048  # 64 KiB
        yield CID(bytes([1, 0x55]) + b"\x12\x20" + hashlib.sha256(data).digest()), data


@pytest.mark.slow
def test_checkpoint_waiting_in_vain_backs_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_blockstore, "WAL_CHECKPOINT_BYTES", _STEP)
    monkeypatch.setattr(_blockstore, "_WAL_RESET_WAIT_MS", 60)  # the count below is what matters, not the wait
    home = tmp_path / "home"
    BlockStore.open(home).close()
    reader = sqlite3.connect(home / "store.sqlite", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a snapshot held to the end
    tries: list[str] = []
    try:
        with BlockStore.open(home, limits=Limits(store=StoreLimits(batch_blocks=4))) as store:
            assert store._conn is not None
            store._conn.set_trace_callback(lambda sql: tries.append(sql) if "wal_checkpoint(TRUNCATE)" in sql else None)
            store.put_many(_blocks(512))  # 32 MiB in 128 commits: the -wal reaches about 64 MiB
            store._conn.set_trace_callback(None)
            assert len(store) == 512
    finally:
        reader.close()
    # one try per doubling from 4 MiB to ~64 MiB (4, 8, 16, 32): at most 5; one a MiB was ~60
    assert 1 <= len(tries) <= 5, len(tries)
