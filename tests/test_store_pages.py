"""The store's page size: new homes get ``NEW_STORE_PAGE_BYTES``; homes made with SQLite's
default 4 KiB pages (every home before it) keep them and keep working."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from autocodec.builtin import cid_for
from autocodec.cid import CID
from autocodec.home import Home
from autocodec.store import BlockStore
from autocodec.store._blockstore import NEW_STORE_PAGE_BYTES
from autocodec.store._schema import migrate


def raw(data: bytes) -> tuple[CID, bytes]:
    return cid_for(data, "raw"), data


def _page_size(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])


def _old_home(root: Path) -> Home:
    """A home as the code before the change made it: WAL, SQLite's default 4 KiB pages, one block."""
    home = Home(root)
    root.mkdir(parents=True)
    with closing(sqlite3.connect(home.db_path, isolation_level=None)) as conn:
        conn.execute("PRAGMA page_size=4096")
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        migrate(conn)
    with BlockStore.open(home) as store:
        store.put(*raw(b"from before"))
    return home


def test_a_new_home_has_large_pages(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with BlockStore.open(home) as store:
        block = raw(os.urandom(256 << 10))
        store.put(*block)
        assert store.get(block[0]) == block[1]
    assert NEW_STORE_PAGE_BYTES == 65_536
    assert _page_size(home.db_path) == NEW_STORE_PAGE_BYTES


def test_an_existing_home_keeps_its_4k_pages_and_works(tmp_path: Path) -> None:
    home = _old_home(tmp_path / "home")
    old = raw(b"from before")
    big = [raw(os.urandom(256 << 10)) for _ in range(40)]
    small = [raw(os.urandom(n)) for n in range(1, 200)]
    with BlockStore.open(home) as store:
        assert store.get(old[0]) == old[1]
        assert store.put_many(big + small) == len(big) + len(small)
        assert all(store.get(c) == d for c, d in big + small)
    assert _page_size(home.db_path) == 4096  # SQLite cannot change it on a WAL database: it stays
    with BlockStore.open(home) as store:  # and opens again with everything there
        assert store.check() == [] and len(store) == 1 + len(big) + len(small)
        assert store.delete(big[0][0]) and not store.has(big[0][0])
    with closing(sqlite3.connect(home.db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_empty_store_file_gets_large_pages(tmp_path: Path) -> None:
    """An empty file (made by a process that stopped before writing) is a new store."""
    home = Home(tmp_path / "home")
    home.root.mkdir()
    home.db_path.write_bytes(b"")
    with BlockStore.open(home) as store:
        store.put(*raw(b"x"))
    assert _page_size(home.db_path) == NEW_STORE_PAGE_BYTES
