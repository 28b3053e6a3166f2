"""The trust store's connection to the home database: reads, write transactions, the epoch.

Invariants:
- Reads see committed state only, through a read-only connection of this object's own (WAL: a
  read never waits for a writer); without one (no file, a forked child, closed) they go to
  the block store, as they do for ``limits.store.reader_retry_ms`` after a read on it failed
  (then it is opened again: one failure does not send every later read to the writer's lock).
- Inside ``snapshot()`` every read of the thread sees one committed state (one read
  transaction on a read-only connection of its own, from a small pool, fixed as it begins): a
  write committed meanwhile, by any process, is seen by the next snapshot, never half by this
  one. A read that fails inside it raises ``StoreError``; it is never made again outside the
  snapshot, which could pair two states. No lock is held across a snapshot, so writers and
  other threads' reads never wait for it.
- Every write is one ``_write`` transaction that also advances ``trust_epoch``: two equal
  ``epoch()`` readings mean no trust change was committed in between, by any process.
- After ``close`` no read-only connection is opened again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._forks import watch
from ..config import Limits
from ..errors import StoreError
from ..log import get_logger


def _log() -> Any:
    """The verify logger, bound at call time so `log.configure` always applies."""
    return get_logger("verify")


class TrustDatabase:
    """The trust tables of one open ``BlockStore`` (``blocks``), read and written."""

    def __init__(self, blocks: Any, limits: Limits, *, owns_blocks: bool = False) -> None:
        self.blocks = blocks
        self.limits = limits
        self._owns_blocks = owns_blocks
        self._writes = 0
        self._reader: sqlite3.Connection | None = None
        self._no_reader = False  # for good: no file, closed, a forked child
        self._reader_retry_at = 0.0  # time.monotonic() before which a failed reader is not reopened
        self._reader_lock = threading.Lock()
        self._inherited: sqlite3.Connection | None = None  # the parent's reader, in a forked child
        self._idle: list[sqlite3.Connection] = []  # snapshot connections not in use (at most 4 kept)
        self._inherited_idle: list[sqlite3.Connection] = []  # the parent's, in a forked child
        self._local = threading.local()  # .snap: this thread's snapshot connection, if in one
        watch(self)

    def _after_fork_in_child(self) -> None:
        """In a forked child: the parent's read connection is set aside, never used nor closed
        here; reads go to the block store, which refuses in a child (``StoreError``)."""
        self._inherited, self._reader = self._reader, None
        self._inherited_idle, self._idle = self._idle, []
        self._local = threading.local()
        self._no_reader = True
        self._reader_lock = threading.Lock()

    def close(self) -> None:
        """Close the database, unless the caller passed in a ``BlockStore`` it still owns. Reads
        after this go to the block store (``StoreError`` once it is closed); none reopens the
        read-only connection, which nothing would close again."""
        with self._reader_lock:
            self._no_reader = True
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            for conn in self._idle:
                conn.close()
            self._idle = []
        if self._owns_blocks:
            self.blocks.close()

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction of the trust state: it advances the trust epoch in the same
        transaction, and counts the change in ``writes`` once it has committed."""
        with self.blocks.transaction() as conn:
            yield conn
            conn.execute("UPDATE trust_epoch SET n = n + 1 WHERE id = 1")
        self._writes += 1

    @property
    def writes(self) -> int:
        """Trust changes committed through this object (in-process; no database read)."""
        return self._writes

    def epoch(self) -> int:
        """A counter that grows with every committed change of the trust state, from any process.

        Two equal readings mean no pin, update, unpin, revocation or allow-list change was
        committed in between; this is what invalidates a runtime's generation. 0 on a read-only
        home made before the counter (``blocks.behind``): nothing here can change it.
        """
        if "trust" in getattr(self.blocks, "behind", {}):
            return 0
        rows = self._rows("SELECT n FROM trust_epoch WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    def _connect_reader(self) -> sqlite3.Connection | None:
        """A new read-only connection to the database in autocommit mode (None if it has no file)."""
        try:
            uri = Path(self.blocks.path).absolute().as_uri() + "?mode=ro"
            return sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None,
                                   timeout=self.limits.store.busy_timeout_ms / 1000)
        except sqlite3.Error:
            self._reader_failed()
            return None
        except (AttributeError, TypeError, ValueError):  # no file to open (an in-memory store)
            self._no_reader = True
            return None

    def _reader_failed(self) -> None:
        """No read-only connection is opened for ``limits.store.reader_retry_ms`` from now."""
        self._reader_retry_at = time.monotonic() + self.limits.store.reader_retry_ms / 1000

    def _reader_paused(self) -> bool:
        return self._no_reader or time.monotonic() < self._reader_retry_at

    def _read_connection(self) -> sqlite3.Connection | None:
        """A read-only connection of this object's own: None if the database has no file, or for
        ``limits.store.reader_retry_ms`` after a read on it failed."""
        if self._reader is None and not self._reader_paused():
            self._reader = self._connect_reader()
        return self._reader

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every ``_rows`` of this thread inside reads one committed state: one read transaction
        on a pooled read-only connection, its state fixed here by a first read (SQLite fixes it
        at the first read after ``BEGIN``). Nested snapshots join the outer one. Without a
        read-only connection that can read (no file, a forked child, closed, a read-only folder
        without the WAL files) the reads are not pinned to one state; they go where ``_rows``
        sends them outside a snapshot. A read that fails once the state is fixed raises
        ``StoreError`` (see ``_rows``)."""
        if getattr(self._local, "snap", None) is not None:
            yield
            return
        with self._reader_lock:
            conn = None if self._reader_paused() else (self._idle.pop() if self._idle else self._connect_reader())
        if conn is not None:
            try:
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fixes the state read
            except sqlite3.Error:
                conn.close()
                conn = None
                with self._reader_lock:
                    self._reader_failed()
        if conn is None:
            yield
            return
        self._local.snap = conn
        try:
            yield
        finally:
            self._local.snap = None
            try:
                conn.execute("ROLLBACK")  # a read transaction: nothing to commit
                with self._reader_lock:
                    keep = not self._no_reader and len(self._idle) < 4
                    if keep:
                        self._idle.append(conn)
            except sqlite3.Error:
                keep = False
            if not keep:
                conn.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of one read of committed trust state.

        Reads go through a read-only connection: in WAL mode a read takes no write lock and
        never waits for a writer (another process importing blocks holds the write lock for a
        while), so polling and resolving cost a request nothing. Every write of this object
        is committed before it reads again, so it reads its own writes. Inside ``snapshot`` the
        read joins the thread's snapshot; if it fails there it raises ``StoreError`` rather than
        read again outside, where a commit made since the snapshot began would be seen beside
        the state read before it (a missing table of a home left behind, ``blocks.behind``, is
        the block store's to report: it is missing in every state).
        """
        snap: sqlite3.Connection | None = getattr(self._local, "snap", None)
        if snap is not None:
            try:
                return list(snap.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                if not (getattr(self.blocks, "behind", None) and "no such" in str(exc)):
                    raise StoreError(f"a read of the trust state failed part way through ({exc}); it was not "
                                     "finished from another committed state",
                                     hint="try again: nothing was decided or changed; if it keeps failing, check "
                                          "the home's database") from None
        with self._reader_lock:
            conn = self._read_connection()
            if conn is not None:
                try:
                    return list(conn.execute(sql, params).fetchall())
                except sqlite3.Error:  # e.g. a read-only folder without the WAL files: read as a writer
                    conn.close()
                    self._reader = None  # reopened after a pause: a busy lock passes, a bad folder costs one try
                    self._reader_failed()
        with self.blocks.transaction() as conn2:
            rows: list[Any] = conn2.execute(sql, params).fetchall()
        return rows
