"""The embedded block store: verification in, corruption detection out, limits, schema, threads."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path

import pytest

from autocodec import CID, DEFAULT_LIMITS
from autocodec.builtin import cid_for, encode
from autocodec.cid import encode_varint
from autocodec.errors import (
    BlockNotFound,
    HashMismatch,
    InvalidBlock,
    StorageFull,
    StoreCorrupt,
    StoreError,
    UnknownHash,
)
from autocodec.home import Home
from autocodec.store import BlockStore, register_migration, schema_version


@pytest.fixture
def store(home: Path):
    with BlockStore.open(Home(home)) as s:
        yield s


def raw(data: bytes, hash: str = "sha2-256") -> tuple[CID, bytes]:
    return cid_for(data, "raw", hash), data


def corrupt_row(db: Path, cid: CID) -> None:
    """Flip one byte of a stored block directly in SQLite, as a bad disk would."""
    conn = sqlite3.connect(db)
    with conn:
        (data,) = conn.execute("SELECT data FROM blocks WHERE cid = ?", (bytes(cid.to_v1()),)).fetchone()
        flipped = bytes([data[0] ^ 0x01]) + bytes(data[1:])
        conn.execute("UPDATE blocks SET data = ? WHERE cid = ?", (flipped, bytes(cid.to_v1())))
    conn.close()


def test_put_get_has_stat_delete(store: BlockStore) -> None:
    cid, data = raw(b"hello world")
    assert not store.has(cid)
    with pytest.raises(BlockNotFound):
        store.get(cid)
    store.put(cid, data)
    store.put(cid, data)  # idempotent
    assert store.has(cid) and cid in store
    assert store.get(cid) == data
    stat = store.stat(cid)
    assert (stat.size, stat.codec, stat.inline) == (len(data), 0x55, False)
    assert list(store) == [cid] and len(store) == 1
    assert store.delete(cid) is True
    assert store.delete(cid) is False
    assert not store.has(cid) and len(store) == 0
    with pytest.raises(BlockNotFound):
        store.stat(cid)


def test_blocks_persist_across_opens(home: Path) -> None:
    cid, data = raw(b"persistent")
    with BlockStore.open(home) as s:
        s.put(cid, data)
    with BlockStore.open(home) as s:
        assert s.get(cid) == data
    assert Home(home).db_path.exists()


def test_cidv0_and_v1_find_the_same_block(store: BlockStore) -> None:
    data = encode({"Links": []}, "dag-pb")
    v1 = cid_for(data, "dag-pb")
    v0 = CID.build(0x70, v1.multihash, version=0)
    store.put(v0, data)
    assert store.get(v1) == data and store.has(v0) and store.get(v0) == data
    assert list(store) == [v1]


def test_hash_mismatch_is_refused_and_nothing_stored(store: BlockStore) -> None:
    cid, _ = raw(b"the real bytes")
    with pytest.raises(HashMismatch):
        store.put(cid, b"other bytes")
    assert not store.has(cid) and len(store) == 0


def test_unknown_hash_raises_unknown_hash(store: BlockStore) -> None:
    fake = CID.build(0x55, encode_varint(0x1B) + encode_varint(32) + bytes(32))  # keccak-256: not builtin
    with pytest.raises(UnknownHash) as info:
        store.put(fake, b"x")
    assert info.value.code == 0x1B
    assert len(store) == 0


def test_injected_verifier_is_used(home: Path) -> None:
    seen: list[CID] = []

    def verify(cid: CID, data: bytes) -> None:
        seen.append(cid)
        if data == b"evil":
            raise HashMismatch("refused by the injected verifier")

    cid, data = raw(b"fine")
    with BlockStore.open(home, verify=verify) as s:
        s.put(cid, data)
        with pytest.raises(HashMismatch):
            s.put(cid_for(b"x", "raw"), b"evil")
    assert seen[0] == cid and len(seen) == 2


def test_oversized_block_is_refused(home: Path) -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, decode=dataclasses.replace(DEFAULT_LIMITS.decode, max_block_bytes=100))
    with BlockStore.open(home, limits=limits) as s:
        s.put(*raw(b"a" * 100))
        with pytest.raises(InvalidBlock):
            s.put(*raw(b"a" * 101))
        assert len(s) == 1


def test_identity_cids_are_answered_inline_and_never_stored(store: BlockStore) -> None:
    cid, data = raw(b"tiny", hash="identity")
    store.put(cid, data)
    assert len(store) == 0
    assert store.get(cid) == data and store.has(cid)
    assert store.stat(cid).inline and store.stat(cid).size == 4
    with pytest.raises(HashMismatch):
        store.put(cid, b"tinx")


@pytest.mark.parametrize("hash", ["sha2-256", "sha2-512", "blake2b-256", "sha3-256"])
def test_corruption_is_detected_on_get(store: BlockStore, hash: str) -> None:
    cid, data = raw(b"some block bytes " * 10, hash)
    other, other_data = raw(b"an untouched neighbour", hash)
    store.put(cid, data)
    store.put(other, other_data)
    corrupt_row(store.path, cid)
    with pytest.raises(StoreCorrupt):
        store.get(cid)
    assert store.get(other) == other_data
    assert store.check() == [cid]
    assert store.delete(cid)
    store.put(cid, data)  # repaired by putting it again
    assert store.get(cid) == data and store.check() == []


def test_corrupt_cid_column_is_detected(store: BlockStore) -> None:
    cid, data = raw(b"block")
    store.put(cid, data)
    bad = bytes(cid)[:-1] + bytes([bytes(cid)[-1] ^ 1])
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE blocks SET cid = ?", (bad,))
    conn.close()
    assert store.check() == [CID(bad)]


def test_put_many_batches_and_keeps_verified_prefix(home: Path) -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, store=dataclasses.replace(DEFAULT_LIMITS.store, batch_blocks=3))
    good = [raw(f"block {i}".encode()) for i in range(7)]
    with BlockStore.open(home, limits=limits) as s:
        assert s.put_many(good) == 7
        assert sorted(s) == sorted(c for c, _ in good)
    more = [raw(f"more {i}".encode()) for i in range(5)]
    bad = (more[4][0], b"not the bytes")
    with BlockStore.open(home, limits=limits) as s:
        with pytest.raises(HashMismatch):
            s.put_many([*more[:4], bad, raw(b"never reached")])
        assert all(s.has(c) for c, _ in more[:4])
        assert not s.has(more[4][0]) and not s.has(raw(b"never reached")[0])
        assert len(s) == 11


def test_storage_full_is_typed_and_leaves_no_partial_batch(store: BlockStore) -> None:
    small = raw(b"fits")
    store.put(*small)
    with store.transaction() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    batch = [raw(bytes([i]) * 20_000) for i in range(10)]
    with pytest.raises(StorageFull) as info:
        store.put_many(batch)
    assert "full" in info.value.message
    assert not any(store.has(c) for c, _ in batch)  # one transaction: all or nothing
    assert store.get(small[0]) == small[1]


def test_transaction_commits_rolls_back_and_nests(store: BlockStore) -> None:
    store.ensure_schema("testwing", 1, ["CREATE TABLE IF NOT EXISTS testwing_pins (cid BLOB PRIMARY KEY)"])
    a, b = raw(b"a"), raw(b"b")
    with store.transaction() as conn:
        store.put(*a)
        conn.execute("INSERT INTO testwing_pins VALUES (?)", (bytes(a[0]),))
    with pytest.raises(RuntimeError), store.transaction() as conn:
        store.put(*b)
        conn.execute("INSERT INTO testwing_pins VALUES (?)", (bytes(b[0]),))
        raise RuntimeError("abort")
    assert store.has(a[0]) and not store.has(b[0])
    with store.transaction() as conn:
        with pytest.raises(ZeroDivisionError), store.transaction():
            store.put(*b)
            raise ZeroDivisionError
        rows = conn.execute("SELECT count(*) FROM testwing_pins").fetchone()[0]
    assert rows == 1 and not store.has(b[0])


def test_migrations_apply_once_in_order_and_newer_schema_is_refused(home: Path) -> None:
    register_migration("testmig", 1, ["CREATE TABLE IF NOT EXISTS testmig_a (x INTEGER)"])
    register_migration("testmig", 2, ["ALTER TABLE testmig_a ADD COLUMN y INTEGER"])
    with BlockStore.open(home) as s, s.transaction() as conn:
        assert schema_version(conn, "testmig") == 2
        assert schema_version(conn, "store") == 1
        conn.execute("INSERT INTO testmig_a (x, y) VALUES (1, 2)")
    with BlockStore.open(home) as s:  # re-open: ALTER TABLE must not run twice
        pass
    conn = sqlite3.connect(Home(home).db_path)
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema:store'")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        BlockStore.open(home)
    with pytest.raises(ValueError):
        register_migration("testmig", 1, ["CREATE TABLE something_else (z)"])


def test_not_a_database_is_a_store_error(home: Path) -> None:
    home.mkdir(parents=True)
    Home(home).db_path.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(StoreError) as info:
        BlockStore.open(home)
    assert "damaged" in info.value.message


def test_closed_store_raises_store_error(home: Path) -> None:
    s = BlockStore.open(home)
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.get(raw(b"x")[0])


def test_unwritable_home_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StoreError):
        BlockStore.open(blocker / "home")


def test_wal_mode(store: BlockStore) -> None:
    with store.transaction() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_share_one_store(store: BlockStore) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                cid, data = raw(f"{n}-{i}".encode())
                store.put(cid, data)
                assert store.get(cid) == data
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(store) == 200


def test_two_connections_see_each_others_writes(home: Path) -> None:
    with BlockStore.open(home) as a, BlockStore.open(home) as b:
        cid, data = raw(b"shared")
        a.put(cid, data)
        assert b.get(cid) == data
        assert b.delete(cid) and not a.has(cid)


def test_write_lock_timeout_is_typed_and_the_store_recovers(home: Path) -> None:
    """A write that cannot get the lock within busy_timeout_ms fails typed; later writes work."""
    limits = dataclasses.replace(DEFAULT_LIMITS, store=dataclasses.replace(DEFAULT_LIMITS.store, busy_timeout_ms=50))
    with BlockStore.open(home, limits=limits) as s:
        s.put(*raw(b"before"))
        reader = sqlite3.connect(Home(home).db_path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM blocks").fetchone()  # a read snapshot
        other = sqlite3.connect(Home(home).db_path, isolation_level=None, timeout=0.05)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StoreError, match="locked"):
            s.put(*raw(b"blocked"))
        other.execute("ROLLBACK")
        reader.execute("ROLLBACK")
        other.close()
        reader.close()
        s.put(*raw(b"after"))
        assert s.has(raw(b"after")[0]) and not s.has(raw(b"blocked")[0])
