"""``unixfs._dir.iter_entries_by_level`` (``ls --stream`` of a HAMT, in Kubo's order) reads a
sub-shard when its turn comes, as its docstring says, not when its parent is read.

Found by the full review of the day's change: the walk fetched and decoded every sub-shard of a
shard as soon as the shard's own entries were out, so the first entry of the first sub-shard
came only after all of its siblings were read (memory: a whole level of shard nodes instead of
their CIDs). Kubo's order of the entries themselves is compared in
``tests/test_review_gateway_ls_stream.py``.
"""

from __future__ import annotations

from pathlib import Path

from autocodec.cid import CID
from autocodec.store import BlockStore
from autocodec.unixfs import AddOptions, add_path
from autocodec.unixfs._dir import iter_entries, iter_entries_by_level


class Counting:
    """Reads from a block store, counted."""

    def __init__(self, store: BlockStore) -> None:
        self.store = store
        self.reads = 0

    def get(self, cid: CID) -> bytes:
        self.reads += 1
        data: bytes = self.store.get(cid)
        return data


def _hamt(tmp_path: Path, store: BlockStore) -> CID:
    """A 300-entry folder sharded at fanout 16: two levels of shards below the root."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"entry-{i:04d}.txt").write_bytes(b"%d\n" % i)
    return add_path(store, folder, AddOptions(shard_threshold=1024, max_hamt_fanout=16), recursive=True)[-1].cid


def test_a_sub_shard_is_read_when_the_walk_reaches_it(tmp_path: Path) -> None:
    with BlockStore.open(tmp_path / "home") as blocks:
        root = _hamt(tmp_path, blocks)
        _walk_and_count(Counting(blocks), root)


def _walk_and_count(store: Counting, root: CID) -> None:
    data = store.get(root)
    walk = iter_entries_by_level(store, root, data)
    store.reads = 0
    listed = [next(walk)]
    own = store.reads  # the root's own entries come first and read nothing more
    while store.reads == own:
        listed.append(next(walk))
    assert store.reads == own + 1, "the first sub-shard's first entry came after its siblings were read"
    rest = list(walk)
    assert sorted(listed + rest) == sorted(iter_entries(store, root, data))
    assert len(listed + rest) == 300
