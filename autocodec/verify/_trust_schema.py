"""The trust store's tables: the ``trust`` and ``trust-indexes`` wings of the home database.

Invariants:
- Steps are append-only: a step once released is never edited; a change of the tables is a
  new step, which ``store`` runs on homes that lack it (a home ahead of this release is
  refused, not rewritten).
- Every step of both wings is registered before ``ensure_trust_schema`` runs any of them.
"""

from __future__ import annotations

from typing import Any

from ._sigmemo import SCHEMA as MIGRATION_4

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS trust_sets (
        set_id TEXT PRIMARY KEY, name TEXT NOT NULL, root_cid TEXT NOT NULL,
        root_version INTEGER NOT NULL, index_cid TEXT, pinned_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS trust_versions (
        set_id TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL, cid TEXT NOT NULL,
        expires INTEGER NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (set_id, role))""",
    """CREATE TABLE IF NOT EXISTS trust_entries (
        set_id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, role TEXT NOT NULL,
        manifest_cid TEXT NOT NULL, module_cid TEXT NOT NULL, publisher TEXT NOT NULL,
        PRIMARY KEY (set_id, kind, key))""",
    "CREATE INDEX IF NOT EXISTS trust_entries_manifest ON trust_entries (manifest_cid)",
    """CREATE TABLE IF NOT EXISTS trust_revoked (
        target TEXT PRIMARY KEY, what TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS trust_allow (
        id INTEGER PRIMARY KEY, did TEXT, module_cid TEXT, ranges TEXT NOT NULL, at INTEGER NOT NULL,
        CHECK ((did IS NULL) <> (module_cid IS NULL)))""",
)

MIGRATION_2 = (
    # One counter that every trust write bumps in its own transaction: what a runtime polls to
    # know that a generation is stale (this process or another), whatever else the database does.
    "CREATE TABLE IF NOT EXISTS trust_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO trust_epoch VALUES (1, 0)",
    # Delegations' versions move to their own namespace (a delegation named like a top role
    # can no longer reach that role's floor; issue 16, item 5).
    "UPDATE trust_versions SET role = 'delegation/' || role WHERE role NOT IN ('root', 'index') "
    "AND role NOT LIKE 'delegation/%'",
    "UPDATE trust_entries SET role = 'delegation/' || role WHERE role NOT IN ('root', 'index') "
    "AND role NOT LIKE 'delegation/%'",
)

MIGRATION_3 = (
    # Sets the user allowed to take over codes and names that earlier pinned sets serve.
    "CREATE TABLE IF NOT EXISTS trust_overrides (set_id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
)

INDEXES = (
    "CREATE INDEX IF NOT EXISTS trust_entries_kind_key ON trust_entries (kind, key)",
)
"""Wing ``trust-indexes`` step 1: the index ``resolve`` looks entries up by (``_RESOLVE``
filters on kind and key; the primary key leads with the set, so each resolve scanned every
entry). A wing of its own rather than trust step 5: it changes no table, and a home that got it
stays open to releases that know trust v4 (they refuse a newer trust schema)."""

INDEXES_2 = (
    "CREATE INDEX IF NOT EXISTS trust_entries_module ON trust_entries (module_cid)",
)
"""Wing ``trust-indexes`` step 2: the index ``decide_module`` looks entries up by (a block that
names its decoder by module CID; ``_DECIDE_MODULE`` filtered on ``module_cid`` and scanned every
entry: 50,000 entries, 5.9 ms a decision)."""


def ensure_trust_schema(blocks: Any) -> None:
    """Bring ``blocks``' database (an open ``BlockStore``) up to the trust tables this release knows."""
    from ..store import register_migration

    register_migration("trust", 1, SCHEMA)  # both steps known before any migration runs
    register_migration("trust", 2, MIGRATION_2)
    register_migration("trust", 3, MIGRATION_3)
    blocks.ensure_schema("trust", 4, MIGRATION_4)
    register_migration("trust-indexes", 1, INDEXES)
    blocks.ensure_schema("trust-indexes", 2, INDEXES_2)
