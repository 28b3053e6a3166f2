"""Crash safety: a writer process SIGKILLed mid-import leaves a readable store, no partial block."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autocodec.builtin import cid_for
from autocodec.home import Home
from autocodec.store import BlockStore, CarReader, CarWriter, import_car

BLOCKS = 40_000

WRITER = textwrap.dedent(
    """
    import dataclasses, sys
    from autocodec import DEFAULT_LIMITS
    from autocodec.store import BlockStore, import_car

    limits = dataclasses.replace(DEFAULT_LIMITS, store=dataclasses.replace(DEFAULT_LIMITS.store, batch_blocks=200))

    def progress(done, total, unit="bytes"):
        print(done, flush=True)

    with BlockStore.open(sys.argv[1], limits=limits) as store:
        import_car(store, sys.argv[2], progress=progress)
    print("finished", flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_mid_import_leaves_every_stored_block_intact(tmp_path: Path) -> None:
    car = tmp_path / "big.car"
    blocks = {}
    with car.open("wb") as out:
        writer = CarWriter(out, [])
        for i in range(BLOCKS):
            data = i.to_bytes(4, "big") * 256  # 1 KiB, distinct
            cid = cid_for(data, "raw")
            blocks[cid] = data
            writer.write(cid, data)
    home = tmp_path / "home"

    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), str(car)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the import is under way: some batches are committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert first.strip().isdigit(), (first, proc.stderr.read() if proc.stderr else "")
    assert proc.returncode == -signal.SIGKILL

    with BlockStore.open(Home(home)) as store:
        stored = list(store)
        assert 0 < len(stored) < BLOCKS, "the kill must land mid-import"
        assert store.check() == []
        for cid in stored:
            assert store.get(cid) == blocks[cid]
        with store.transaction() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The interrupted import resumes: importing again completes the store.
        result = import_car(store, car)
        assert result.blocks == BLOCKS and len(store) == BLOCKS

    with car.open("rb") as f:
        assert sum(1 for _ in CarReader(f)) == BLOCKS


CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys
    from autocodec.builtin import cid_for
    from autocodec.store import BlockStore

    tag, count = sys.argv[2], int(sys.argv[3])
    with BlockStore.open(sys.argv[1]) as store:
        for i in range(count):
            data = f"{tag}-{i}".encode() * 50
            store.put(cid_for(data, "raw"), data)
            if i % 50 == 0:
                store.put_many((cid_for(d, "raw"), d) for d in (f"{tag}-batch-{i}-{j}".encode() for j in range(20)))
    """
)


@pytest.mark.slow
def test_concurrent_writer_processes_all_succeed_on_a_fresh_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    procs = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, str(home), tag, "400"], stderr=subprocess.PIPE)
        for tag in ("a", "b", "c")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with BlockStore.open(home) as store:
        assert len(store) == 3 * (400 + 8 * 20)
        assert store.check() == []
