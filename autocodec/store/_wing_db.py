"""A wing's own connections to the home's database, for wings that write outside ``BlockStore``
(the UCAN revocations, the IPVM gossip log) in transactions of their own.

Invariants:
- Every connection is ``connect_writable``'s (the store's page size, WAL and bounds), closed after
  use, except a read (``connect``) of a home that cannot be written, which gets the store's own
  read-only connection (as ``BlockStore`` opens it there); SQLite errors leave as ``StoreError``
  naming what was being done.
- The first connection of an instance refuses a home whose recorded version of the wing is newer
  than this code knows, writing nothing; later ones do not read the version again.
- ``write`` is one ``BEGIN IMMEDIATE`` transaction (it waits for another writer up to the busy
  timeout) with the wing's steps applied first; any error rolls all of it back and is the one raised.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from ._blockstore import _connect_read_only, _read_only, connect_writable, translate_sqlite_error
from ._schema import Migration, migrate, migrate_in


class WingDatabase:
    """Connections of one wing (``schema``: its registered migration) to the database at ``path``."""

    def __init__(self, path: Path, timeout_s: float, schema: Migration) -> None:
        self.path = path
        self._timeout_s = timeout_s
        self._schema = schema
        self._checked = False  # the home's version of the wing was found known here

    @contextmanager
    def connect(self, doing: str) -> Iterator[sqlite3.Connection]:
        """An autocommit connection for reads (read-only when the home cannot be written);
        ``doing`` names the work in errors."""
        with self._connect(doing, writable=False) as conn:
            yield conn

    @contextmanager
    def _connect(self, doing: str, *, writable: bool) -> Iterator[sqlite3.Connection]:
        try:
            if not writable and _read_only(self.path.parent, self.path):
                conn = _connect_read_only(self.path)
            else:
                conn = connect_writable(self.path, self._timeout_s)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, doing, self.path) from exc
        with closing(conn):
            try:  # translated before the close, which folds in and removes the -wal the error is told by
                if not self._checked:
                    migrate(conn, (self._schema,), read_only=True)
                    self._checked = True
                yield conn
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, doing, self.path) from exc

    @contextmanager
    def write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction, the wing's schema applied first; committed when the block ends."""
        with self._connect(doing, writable=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrate_in(conn, (self._schema,))
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):  # the original error is the one to report
                        conn.execute("ROLLBACK")
                raise
