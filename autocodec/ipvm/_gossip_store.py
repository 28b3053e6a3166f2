"""What revocation gossip keeps in the home's SQLite database, so a killed executor loses none of it.

Three tables beside ``ucan_revocations`` (one database, so recording a revocation and logging it
are one transaction: ``append_in`` runs inside ``Revocations.record``'s):

- ``ipvm_revocation_log``: the revocations this home took, in order, for peers to pull. ``seq``
  only grows (AUTOINCREMENT: a removed number is never reused), so a puller's cursor never skips
  an entry still held; at most ``max_rows`` entries (the oldest removed first). Its one-row
  companion ``ipvm_revocation_log_id`` names this log (random, made with the first entry): a
  puller whose cursor came from another log of the same URL (a home rebuilt) starts again at 0.
- ``ipvm_gossip_pushes``: ``(peer, seq)`` for each push not yet delivered, written with the log
  entry it sends (the container is the log's); removed when the push is answered, refused or
  given up, or its log entry is removed. At most ``queue`` rows a peer (the oldest removed first).
- ``ipvm_gossip_cursors``: how far this executor read each peer's log (the log's id and ``seq``),
  written only after the entries it passes were recorded (a kill between the two replays them:
  a replay is harmless). Rows of peers config.toml no longer names are removed at a start
  that names peers (``keep_peers``), so both peer tables stay within ``max_peers`` peers (a start
  naming none leaves the earlier rows, unread: they were within the bound already).

The four tables are the ``ipvm-gossip`` wing of the home's versioned schema (``store/_schema.py``;
v1 is ``_DDL``): every write runs the wing's steps inside its transaction, and a home whose recorded
version is newer than this code knows is refused (``StoreError``) by every write and by an
instance's first read. Tables made before the scheme (the same DDL, bare) become v1 as they are.

Reads of a home where nothing was logged yet write nothing; every SQLite error is a ``StoreError``.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from typing import Any

_DDL = (
    "CREATE TABLE IF NOT EXISTS ipvm_revocation_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, container BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ipvm_revocation_log_id (id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ipvm_gossip_pushes (peer TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (peer, seq))",
    "CREATE TABLE IF NOT EXISTS ipvm_gossip_cursors (peer TEXT PRIMARY KEY, log TEXT, seq INTEGER NOT NULL)",
)
WING = "ipvm-gossip"
"""The tables' wing in the home's versioned schema (v1: ``_DDL``; never edit it, add a step)."""


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """The rows of one read; none when a table it reads was never made (nothing written yet)."""
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if str(exc).startswith("no such table"):
            return []
        raise


class RevocationLog:
    """The gossip tables of one home database (see the module)."""

    def __init__(self, db_path: Path, *, busy_timeout_ms: int, max_rows: int, queue: int = 0) -> None:
        self._max_rows = max_rows
        self._queue = queue
        from ..store import WingDatabase, register_migration

        self._schema = register_migration(WING, 1, _DDL)
        self._db = WingDatabase(db_path, busy_timeout_ms / 1000, self._schema)

    def append_in(self, conn: sqlite3.Connection, container: bytes, peers: tuple[str, ...]) -> int:
        """Inside the caller's transaction on this database: log ``container`` and queue a push of it
        to each of ``peers``; its ``seq``."""
        from ..store import migrate_in

        migrate_in(conn, (self._schema,))
        conn.execute("INSERT INTO ipvm_revocation_log_id (id) SELECT ? WHERE NOT EXISTS "
                     "(SELECT 1 FROM ipvm_revocation_log_id)", (secrets.token_hex(16),))
        seq = int(conn.execute("INSERT INTO ipvm_revocation_log (container) VALUES (?)", (container,)).lastrowid or 0)
        conn.execute("DELETE FROM ipvm_revocation_log WHERE seq <= ?", (seq - self._max_rows,))
        conn.execute("DELETE FROM ipvm_gossip_pushes WHERE seq <= ?", (seq - self._max_rows,))
        if self._queue:
            for peer in peers:
                conn.execute("INSERT OR IGNORE INTO ipvm_gossip_pushes (peer, seq) VALUES (?, ?)", (peer, seq))
                conn.execute("DELETE FROM ipvm_gossip_pushes WHERE peer = ? AND seq NOT IN (SELECT seq FROM "
                             "ipvm_gossip_pushes WHERE peer = ? ORDER BY seq DESC LIMIT ?)",
                             (peer, peer, self._queue))
        return seq

    def append(self, container: bytes, peers: tuple[str, ...] = ()) -> int:
        """``append_in`` in a transaction of its own."""
        with self._db.write("log the revocation for peers") as conn:
            return self.append_in(conn, container, peers)

    def page(self, seq: int, limit: int) -> tuple[str | None, list[tuple[int, bytes]]]:
        """This log's id (None before its first entry) and at most ``limit`` entries after ``seq``, oldest
        first, read in one transaction (entries never come with the id of the log before them)."""
        with self._db.connect("read the revocation log") as conn:
            conn.execute("BEGIN")  # one snapshot for both reads (closing the connection ends it)
            ids = _rows(conn, "SELECT id FROM ipvm_revocation_log_id")
            rows = _rows(conn, "SELECT seq, container FROM ipvm_revocation_log WHERE seq > ? ORDER BY seq LIMIT ?",
                         (seq, limit))
        return (str(ids[0][0]) if ids else None), [(int(s), bytes(c)) for s, c in rows]

    def since(self, seq: int, limit: int) -> list[tuple[int, bytes]]:
        """At most ``limit`` entries after ``seq``, oldest first."""
        return self.page(seq, limit)[1]

    def pending(self, peer: str) -> list[tuple[int, bytes]]:
        """The pushes to ``peer`` not yet delivered, oldest first: ``(seq, container)``."""
        with self._db.connect("read the pushes not yet delivered") as conn:
            rows = _rows(conn, "SELECT p.seq, l.container FROM ipvm_gossip_pushes p JOIN ipvm_revocation_log l "
                               "ON l.seq = p.seq WHERE p.peer = ? ORDER BY p.seq LIMIT ?", (peer, max(self._queue, 0)))
        return [(int(s), bytes(c)) for s, c in rows]

    def delivered(self, peer: str, seq: int) -> None:
        """The push of ``seq`` to ``peer`` is done with (answered, refused or given up)."""
        with self._db.write("forget a delivered push") as conn:
            conn.execute("DELETE FROM ipvm_gossip_pushes WHERE peer = ? AND seq = ?", (peer, seq))

    def cursor(self, peer: str) -> tuple[str | None, int]:
        """The id of ``peer``'s log and the ``seq`` read up to (``(None, 0)``: never read)."""
        with self._db.connect("read a peer's log cursor") as conn:
            rows = _rows(conn, "SELECT log, seq FROM ipvm_gossip_cursors WHERE peer = ?", (peer,))
        if not rows:
            return None, 0
        log_id, seq = rows[0]
        return (None if log_id is None else str(log_id)), int(seq)

    def set_cursor(self, peer: str, log_id: str | None, seq: int) -> None:
        """Keep how far ``peer``'s log was read; call only once the entries up to ``seq`` are recorded."""
        with self._db.write("keep a peer's log cursor") as conn:
            conn.execute("INSERT INTO ipvm_gossip_cursors (peer, log, seq) VALUES (?, ?, ?) ON CONFLICT (peer) "
                         "DO UPDATE SET log = excluded.log, seq = excluded.seq", (peer, log_id, seq))

    def keep_peers(self, peers: tuple[str, ...]) -> None:
        """Forget the cursors and pushes of every peer not in ``peers``, and pushes over ``queue`` a peer."""
        with self._db.write("forget peers no longer named") as conn:
            marks = ", ".join("?" * len(peers))
            for table in ("ipvm_gossip_pushes", "ipvm_gossip_cursors"):
                conn.execute(f"DELETE FROM {table} WHERE peer NOT IN ({marks})", peers)  # noqa: S608 - marks only
            conn.execute("DELETE FROM ipvm_gossip_pushes WHERE seq NOT IN (SELECT seq FROM ipvm_revocation_log)")
            for peer in peers:
                conn.execute("DELETE FROM ipvm_gossip_pushes WHERE peer = ? AND seq NOT IN (SELECT seq FROM "
                             "ipvm_gossip_pushes WHERE peer = ? ORDER BY seq DESC LIMIT ?)", (peer, peer, self._queue))
