"""The home database's write-ahead log stays bounded, and the database is made the store's way
whichever wing opens a fresh home first (``connect_writable``)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from autocodec.builtin import cid_for
from autocodec.cid import CID
from autocodec.config import DEFAULT_LIMITS
from autocodec.home import Home
from autocodec.store import BlockStore
from autocodec.store._blockstore import NEW_STORE_PAGE_BYTES, WAL_CHECKPOINT_BYTES
from autocodec.verify import SigningKey
from autocodec.verify.ucan import Revocations, delegate, revocation


def _pragma(db: Path, name: str) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return str(conn.execute(f"PRAGMA {name}").fetchone()[0])


def test_a_long_lived_stores_wal_stays_under_its_bound(tmp_path: Path) -> None:
    """64 MiB through one open store: with SQLite's default checkpoint (1,000 pages = 64 MiB of
    64 KiB pages) the -wal grew to about 64 MiB and stayed so while the store was open."""
    home = Home(tmp_path / "home")
    wal = Path(str(home.db_path) + "-wal")
    bound = WAL_CHECKPOINT_BYTES + DEFAULT_LIMITS.store.batch_bytes + (1 << 20)  # a checkpoint follows a commit
    seen: list[int] = []

    def blocks() -> Iterator[tuple[CID, bytes]]:
        for i in range(256):  # 64 MiB of 256 KiB blocks
            if i % 8 == 0 and wal.exists():
                seen.append(wal.stat().st_size)
            data = os.urandom(256 * 1024)
            yield cid_for(data, "raw"), data

    with BlockStore.open(home) as store:
        assert store.put_many(blocks()) == 256
        seen.append(wal.stat().st_size)
        assert max(seen) <= bound, (max(seen), bound)
        assert len(store) == 256


def test_a_revocation_on_a_fresh_home_makes_the_stores_database(tmp_path: Path) -> None:
    """``ucan revoke`` before any block: Revocations opened the file with plain sqlite3.connect,
    so the home's database had SQLite's 4 KiB pages and no WAL for good."""
    home = Home(tmp_path / "home")
    home.root.mkdir(mode=0o700)
    owner, bob = SigningKey.generate(), SigningKey.generate()
    now = int(time.time())
    grant = delegate(owner, bob.did, "/wasm/run", now=now)
    assert Revocations(home.db_path).record(revocation(owner, grant, now=now), grant, now=now)
    assert int(_pragma(home.db_path, "page_size")) == NEW_STORE_PAGE_BYTES
    assert _pragma(home.db_path, "journal_mode") == "wal"
    with BlockStore.open(home) as store:  # the store then opens it and works beside the table
        data = b"after the revocation"
        store.put(cid_for(data, "raw"), data)
        assert store.get(cid_for(data, "raw")) == data
    assert Revocations(home.db_path).is_revoked(grant.cid)


def test_a_read_of_revocations_on_a_fresh_home_makes_the_stores_database(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.root.mkdir(mode=0o700)
    assert Revocations(home.db_path).list() == []
    assert int(_pragma(home.db_path, "page_size")) == NEW_STORE_PAGE_BYTES
