"""A page of store.sqlite overwritten on disk (a bad sector, a torn copy): the block whose data it
held cannot be read by SQLite at all ("database disk image is malformed"). ``check`` must name
that block and go on to the others, as it does for a row whose bytes fail their checksum;
it used to stop at the damaged page with a store-wide StoreError naming no block."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.errors import StoreError
from autocodec.store import BlockStore
from autocodec.store._blockstore import NEW_STORE_PAGE_BYTES

_BLOCK = 256 * 1024  # four 64 KiB pages: the data lives on overflow pages of its own


def _block(i: int) -> bytes:
    """256 KiB no other block shares a 64-byte run with (a counter-mode SHA-256 stream)."""
    return b"".join(hashlib.sha256(b"%d/%d" % (i, n)).digest() for n in range(_BLOCK // 32))


def _damage_page_holding(path: Path, marker: bytes) -> int:
    """Overwrite the whole page of ``path`` holding ``marker`` with 0xa5; its number."""
    raw = path.read_bytes()
    at = raw.find(marker)
    assert at > 0 and raw.find(marker, at + 1) == -1
    page = at // NEW_STORE_PAGE_BYTES
    with open(path, "r+b") as f:
        f.seek(page * NEW_STORE_PAGE_BYTES)
        f.write(b"\xa5" * NEW_STORE_PAGE_BYTES)
    return page


def _blocks(home: Path, count: int) -> list:  # noqa: ANN401
    store = BlockStore.open(home)
    cids = []
    for i in range(count):
        data = _block(i)
        hash_name = "sha2-256" if i % 2 == 0 else "sha2-512"  # with and without a stored checksum
        cid = builtin.cid_for(data, "raw", hash_name)
        store.put(cid, data)
        cids.append(cid)
    store.close()  # the last connection folds the WAL into store.sqlite
    assert not (home / "store.sqlite-wal").exists()
    return cids


def test_check_names_the_block_on_a_damaged_overflow_page_and_reads_the_others(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cids = _blocks(home, 6)
    victim = 3
    _damage_page_holding(home / "store.sqlite", _block(victim)[100_000:100_064])  # past its leaf's share

    store = BlockStore.open(home)
    try:
        assert store.check() == [cids[victim]]
        for i, cid in enumerate(cids):
            if i != victim:
                assert store.get(cid) == _block(i)
        with pytest.raises(StoreError, match=str(cids[victim])):
            store.get(cids[victim])
    finally:
        store.close()


def test_a_damaged_table_leaf_page_is_listed_row_by_row(tmp_path: Path) -> None:
    """The page holding the start of a row (where ``check`` reads each block's size) damaged:
    every block on it is listed, every other block reads back intact. Each row keeps about 8 KiB
    of its 256 KiB on its leaf, so 20 blocks fill about three leaves."""
    home = tmp_path / "home"
    cids = _blocks(home, 20)
    _damage_page_holding(home / "store.sqlite", _block(2)[:64])

    store = BlockStore.open(home)
    try:
        bad = store.check()
        assert cids[2] in bad and set(bad) < set(cids)
        for i, cid in enumerate(cids):
            if cid in bad:
                with pytest.raises(StoreError):
                    store.get(cid)
            else:
                assert store.get(cid) == _block(i)
    finally:
        store.close()


def test_check_of_an_empty_store_and_of_one_past_a_page_of_keys(tmp_path: Path) -> None:
    """No rows: nothing listed (e722b8d dropped the guard for an empty page of keys: IndexError,
    fixed in c4af81e); a damaged-page-free store of exactly a page of keys: nothing listed."""
    from autocodec.store import _blockstore

    with BlockStore.open(tmp_path / "empty") as store:
        assert store.check() == []
    with BlockStore.open(tmp_path / "full") as store:
        for i in range(_blockstore._PAGE):
            data = b"%d" % i
            store.put(builtin.cid_for(data, "raw", "sha2-256"), data)
        assert store.check() == []
