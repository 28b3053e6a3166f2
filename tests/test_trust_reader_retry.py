"""A failed read on the trust state's read-only connection pauses that connection for
``limits.store.reader_retry_ms``, then it is opened again (``TrustDatabase._read_connection``).

It was dropped for good on any SQLite error: one failure (here the process out of file
descriptors when the connection opens, as a busy server can be) sent every later trust read of
a running server through the writer's connection (``BEGIN IMMEDIATE``), so each one then waited
for any other process's write, the very wait the read-only connection exists to avoid (WAL: a
reader never waits for a writer).
"""

from __future__ import annotations

import os
import resource
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autocodec.config import Limits, StoreLimits
from autocodec.errors import InvalidInput, StoreError
from autocodec.home import Home
from autocodec.verify import TrustStore

WAIT_MS = 150


@contextmanager
def _no_file_descriptors() -> Iterator[None]:
    """While the block runs, every ``open`` of this process fails with EMFILE (a real one: the
    soft limit lowered to the descriptors open, the gaps below it filled with /dev/null)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fillers: list[int] = []
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(int(n) for n in os.listdir("/proc/self/fd")) + 1, hard))
    try:
        while True:
            try:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        yield
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@contextmanager
def _write_held(db: Path) -> Iterator[None]:
    """Another process's write transaction on the home database, open while the block runs."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=5)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextmanager
def _opened(tmp_path: Path, retry_ms: int) -> Iterator[tuple[TrustStore, Path]]:
    """A trust store on a new home, whose writer waits ``WAIT_MS`` for a lock; and its database."""
    home = Home.resolve(str(tmp_path / "home"))
    store = TrustStore.open(home, limits=Limits(store=StoreLimits(busy_timeout_ms=WAIT_MS, reader_retry_ms=retry_ms)))
    try:
        yield store, home.db_path
    finally:
        store.close()


def test_the_read_only_connection_comes_back_after_a_failed_read(tmp_path: Path) -> None:
    with _opened(tmp_path, retry_ms=0) as (store, db):
        with _no_file_descriptors():
            before = store.epoch()  # the read-only connection cannot open: read through the writer's
        with _write_held(db):
            assert store.epoch() == before  # read-only again: no wait for the writer


def test_within_the_pause_reads_take_the_writers_connection(tmp_path: Path) -> None:
    with _opened(tmp_path, retry_ms=600_000) as (store, db):
        with _no_file_descriptors():
            before = store.epoch()
        assert store.epoch() == before
        with _write_held(db), pytest.raises(StoreError):
            store.epoch()  # the writer's connection waits for the other write, busy_timeout_ms


def test_a_store_that_read_once_reads_beside_a_writer(tmp_path: Path) -> None:
    with _opened(tmp_path, retry_ms=600_000) as (store, db):
        before = store.epoch()
        with _write_held(db):
            assert store.epoch() == before


def test_the_pause_is_checked_as_a_limit() -> None:
    assert StoreLimits(reader_retry_ms=0).reader_retry_ms == 0
    with pytest.raises(InvalidInput, match="reader_retry_ms"):
        StoreLimits(reader_retry_ms=-1)
