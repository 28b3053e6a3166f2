"""``add -r`` of many small files commits a batch of files at a time, and an entry (a CLI
``added`` line) is reported only once every block of it is committed: after an error the
blocks made so far are kept and reported, after a kill only what was reported is promised."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import autocodec.unixfs._add as add_module
from autocodec.cid import CID
from autocodec.errors import InvalidInput
from autocodec.store import BlockStore
from autocodec.unixfs import Added, Adder


class _CountingStore:
    """A real store, with its ``put_many`` calls counted (each is at least one commit)."""

    def __init__(self, store: BlockStore) -> None:
        self.store = store
        self.calls = 0

    def put_many(self, blocks: Any) -> int:
        self.calls += 1
        return self.store.put_many(blocks)


def _tree(root: Path, files: int) -> Path:
    for i in range(files):
        folder = root / f"d{i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.txt").write_bytes(f"small file {i}\n".encode() * 3)
    return root


def test_small_files_are_committed_a_batch_at_a_time_and_reported_after(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """300 one-block files: before, 300 put_many calls (one commit per file, each writing whole
    64 KiB pages); now one batch (no time bound here: 1,000 blocks or 8 MiB come first)."""
    monkeypatch.setattr(add_module, "BATCH_SECONDS", 1e9)
    tree = _tree(tmp_path / "tree", 300)
    home = tmp_path / "home"
    with BlockStore.open(home) as store, BlockStore.open(home) as other:
        counting = _CountingStore(store)
        reported: list[Added] = []

        def on_entry(entry: Added) -> None:
            assert other.has(entry.cid), entry  # committed: another connection sees it
            reported.append(entry)

        added = list(Adder(counting, limits=store.limits).add_path(tree, recursive=True, on_entry=on_entry))
        assert counting.calls == 1
        assert reported == added  # every entry, in the order added
        assert sum(not a.is_dir for a in added) == 300


def test_an_error_mid_tree_keeps_and_reports_what_went_before(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(add_module, "BATCH_SECONDS", 1e9)
    tree = _tree(tmp_path / "tree", 50)
    os.mkfifo(tree / "d00" / "zz-fifo")  # refused as Kubo refuses it, after d00's 50 files
    home = tmp_path / "home"
    reported: list[Added] = []
    with BlockStore.open(home) as store:
        with pytest.raises(InvalidInput, match="not a regular file"):
            list(Adder(store).add_path(tree, recursive=True, on_entry=reported.append))
    assert [a.path for a in reported] == [f"tree/d00/f{i:05d}.txt" for i in range(50)]
    with BlockStore.open(home) as store:
        assert all(store.has(a.cid) for a in reported)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_add_printed_only_committed_files(tmp_path: Path, sig: int) -> None:
    """A real ``autocodec add -r`` of 3,000 files stopped after its first lines: every file it
    printed is in the store, and the command never printed a file past what it committed."""
    tree = _tree(tmp_path / "tree", 3000)
    home = tmp_path / "home"
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "add", "-r", str(tree)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith(b"added "), first + proc.stderr.read() if proc.stderr else first
    proc.send_signal(sig)
    rest, _err = proc.communicate(timeout=120)
    lines = [first, *rest.splitlines(keepends=True)]
    printed = [CID.parse(line.split()[1].decode()) for line in lines if line.startswith(b"added ")]
    with BlockStore.open(home) as store:
        assert [c for c in printed if not store.has(c)] == []
        assert store.check() == []
