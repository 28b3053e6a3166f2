"""Versioned schema of the home database, shared by every wing that keeps state in it.

Invariants:
- The ``meta`` table records, per wing, the highest schema version applied
  (``key = "schema:<wing>"``). A wing's migrations run once each, in version order, each in
  its own transaction together with the update of its version, so a crash leaves either the
  old or the new version, never half of one.
- Wings register migrations at import time with ``register_migration``; a statement must be
  idempotent (``CREATE TABLE IF NOT EXISTS ...``) so that two processes racing to migrate a
  fresh database both succeed.
- A database whose recorded version for a wing is newer than the newest this code knows is
  refused with ``StoreError`` (an older autocodec must not write a newer layout).
- ``migrate_in`` runs the same steps inside a write transaction the caller holds, for wings that
  write through connections of their own (``connect_writable``) in one transaction with their rows.
- A database that cannot be written (``read_only``) is never migrated: ``migrate`` returns the
  wings left behind, ``{wing: (recorded, newest)}``, and their old tables are read as they are.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from ..errors import StoreError

META_DDL = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of a wing's schema: ``statements`` take it from ``version - 1`` to ``version``."""

    wing: str
    version: int
    statements: tuple[str, ...]


_lock = threading.Lock()
_registry: dict[str, dict[int, Migration]] = {}


def register_migration(wing: str, version: int, statements: Iterable[str]) -> Migration:
    """Declare that ``wing``'s schema version ``version`` is reached by running ``statements``.

    Registering the same (wing, version) twice with the same statements is a no-op; with
    different statements it is a programming error (``ValueError``).
    """
    if not wing or ":" in wing:
        raise ValueError(f"bad wing name {wing!r}")
    if version < 1:
        raise ValueError("schema versions start at 1")
    migration = Migration(wing, version, tuple(statements))
    with _lock:
        steps = _registry.setdefault(wing, {})
        known = steps.get(version)
        if known is not None and known != migration:
            raise ValueError(f"conflicting migration {wing} v{version}")
        steps[version] = migration
    return migration


def registered() -> dict[str, list[Migration]]:
    """A snapshot of every registered migration, per wing, in version order."""
    with _lock:
        return {wing: [steps[v] for v in sorted(steps)] for wing, steps in _registry.items()}


def schema_version(conn: sqlite3.Connection, wing: str) -> int:
    """The version recorded for ``wing`` (0: none yet). A record that is no version number (neither
    an INTEGER >= 0 nor text of 1 to 18 digits: the database damaged or altered by hand) is a ``StoreError``:
    nothing says which steps ran."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"schema:{wing}",)).fetchone()
    if row is None:
        return 0
    value = row[0]
    if type(value) is int and value >= 0:
        return value
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)  # 18 digits: below 2^63, as any version recorded (an INTEGER); int() takes <= 4300
    shown = repr(value[:40] if isinstance(value, (str, bytes)) else value)
    raise StoreError(f"the database's schema record of {wing} is damaged: {shown} is no version number",
                     hint="the home's store.sqlite was altered outside autocodec: restore it from a backup, or move "
                          "it aside (a new store is made) and import your blocks again")


def migrate(conn: sqlite3.Connection, migrations: Iterable[Migration] | None = None, *,
            read_only: bool = False) -> dict[str, tuple[int, int]]:
    """Bring ``conn``'s database up to date with ``migrations`` (default: all registered); the
    wings left behind (``{wing: (recorded, newest)}``: none unless ``read_only``, where no step runs).

    ``conn`` must be in autocommit mode (``isolation_level=None``); each step runs in a
    ``BEGIN IMMEDIATE`` transaction so concurrent openers serialise on the write lock.
    """
    behind: dict[str, tuple[int, int]] = {}
    if read_only and not _has_meta(conn):
        return {m.wing: (0, m.version) for steps in _per_wing(migrations).values() for m in steps[-1:]}
    if not read_only:
        conn.execute(META_DDL)
    for wing, steps in _per_wing(migrations).items():
        newest = steps[-1].version if steps else 0
        current = schema_version(conn, wing)
        _refuse_newer(wing, current, newest)
        if read_only:
            if current < newest:
                behind[wing] = (current, newest)
            continue
        _run_steps(conn, wing, steps, current)
    return behind


def migrate_in(conn: sqlite3.Connection, migrations: Iterable[Migration]) -> None:
    """Inside the caller's write transaction on ``conn`` (``BEGIN IMMEDIATE``, held): refuse a
    database newer than ``migrations`` know (``StoreError``, as ``migrate``), run the steps past
    each wing's recorded version and record it. They commit or roll back with the caller's
    transaction. For wings written through connections of their own, on their hot path: a database
    already up to date costs one read of ``meta``."""
    for wing, steps in _per_wing(migrations).items():
        try:
            current = schema_version(conn, wing)
        except sqlite3.OperationalError as exc:
            if not str(exc).startswith("no such table: meta"):
                raise
            conn.execute(META_DDL)
            current = 0
        _refuse_newer(wing, current, steps[-1].version)
        for step in steps:
            if step.version > current:
                _apply(conn, step)


def _refuse_newer(wing: str, current: int, newest: int) -> None:
    if current > newest:
        raise StoreError(
            f"the database has {wing} schema v{current}, newer than v{newest} known here",
            hint="upgrade autocodec, or use another home folder",
        )


def _apply(conn: sqlite3.Connection, step: Migration) -> None:
    """Run ``step``'s statements and record its version (inside the caller's transaction)."""
    for statement in step.statements:
        conn.execute(statement)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"schema:{step.wing}", str(step.version)))


def _has_meta(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is not None


def _per_wing(migrations: Iterable[Migration] | None) -> dict[str, list[Migration]]:
    """``migrations`` (default: all registered) per wing, in version order."""
    if migrations is None:
        return registered()
    per_wing: dict[str, list[Migration]] = {}
    for m in sorted(migrations, key=lambda m: (m.wing, m.version)):
        per_wing.setdefault(m.wing, []).append(m)
    return per_wing


def _run_steps(conn: sqlite3.Connection, wing: str, steps: list[Migration], current: int) -> None:
    """Run ``wing``'s steps past ``current``, each in its own write transaction."""
    for step in steps:
        if step.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if schema_version(conn, wing) < step.version:
                _apply(conn, step)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite rolled back itself after an I/O error or a full disk
                with suppress(sqlite3.Error):  # the original error is the one to report
                    conn.execute("ROLLBACK")
            raise
