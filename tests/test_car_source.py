"""A CAR file as a block source reads blocks from the file when asked: its memory is an index of
offsets (counted here), not the file; and every behaviour of the in-memory source it replaced."""

from __future__ import annotations

import hashlib
import os
import struct
import tracemalloc
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import cid_for
from autocodec.errors import BlockNotFound, HashMismatch, InvalidCar, SourceUnavailable
from autocodec.sources import CarSource, Fetcher
from tests._car_bytes import car_bytes

ROOT = cid_for(b"root", "raw")


def raw_block(data: bytes) -> tuple[CID, bytes]:
    return cid_for(data, "raw"), data


def carv2(v1: bytes) -> bytes:
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    data_offset = len(pragma) + 40 + 7  # seven bytes of padding before the payload
    header = struct.pack("<16sQQQ", bytes(16), data_offset, len(v1), 0)
    return pragma + header + bytes(7) + v1 + b"an index, not read"


def test_memory_is_an_index_of_offsets_not_the_file(tmp_path: Path) -> None:
    """20 000 blocks of 1 KiB: the source held the whole 20 MiB file (every block as bytes, in a
    dict); now its allocations peak at the index (about 22 bytes a section) plus one read buffer."""
    blocks = [raw_block(b"%05d" % i + bytes(1019)) for i in range(20_000)]
    path = tmp_path / "many.car"
    path.write_bytes(car_bytes([blocks[0][0]], blocks))
    size = path.stat().st_size
    source = CarSource(path)
    tracemalloc.start()
    try:
        assert source.get(blocks[12_345][0]) == blocks[12_345][1]
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024 < size // 10, f"peak {peak} bytes while indexing a {size}-byte CAR"
    index = source._index
    assert index is not None and index.count == len(blocks)
    assert index.nbytes <= 22 * index.count  # about 22 bytes per section, as documented
    for cid, data in blocks[::997]:
        assert source.get(cid) == data


def test_the_index_holds_one_slot_per_distinct_cid_and_the_last_duplicate_wins(tmp_path: Path) -> None:
    """As the dict it replaced: a CID twice is one entry, its last section answers (a hostile
    CAR of one CID repeated costs one slot, not a run of slots probed at every insert)."""
    cid = cid_for(b"right", "raw")
    sections = [(cid, b"first")] + [(cid, b"again %d" % i) for i in range(3000)] + [(cid, b"right")]
    path = tmp_path / "dups.car"
    path.write_bytes(car_bytes([cid], sections))
    source = CarSource(path)
    assert source.get(cid) == b"right"
    assert source._index is not None and source._index.count == 1
    assert source.all_blocks() == {cid: b"right"}
    assert Fetcher(None, [source]).get(cid) == b"right"


def test_colliding_hashes_are_told_apart_by_the_cid_in_the_file(tmp_path: Path) -> None:
    """The index's hash only narrows the search: two CIDs on one hash are both found."""
    from autocodec.sources._car import _OffsetIndex

    a, b = raw_block(b"a"), raw_block(b"b")
    path = tmp_path / "two.car"
    path.write_bytes(car_bytes([a[0]], [a, b]))
    source = CarSource(path)

    class Colliding(_OffsetIndex):
        def _hash(self, cid: CID) -> int:
            return 7

    source._index_type = Colliding
    assert source.get(a[0]) == a[1] and source.get(b[0]) == b[1]
    assert source._index is not None and source._index.count == 2
    with pytest.raises(BlockNotFound, match="is not in"):
        source.get(cid_for(b"c", "raw"))


def test_carv2_blocks_are_read_at_their_offsets_in_the_file(tmp_path: Path) -> None:
    blocks = [raw_block(f"v2 block {i}".encode()) for i in range(50)]
    path = tmp_path / "v2.car"
    path.write_bytes(carv2(car_bytes([blocks[0][0]], blocks)))
    source = CarSource(path)
    assert source.scan() == [blocks[0][0]] == source.roots
    for cid, data in blocks:
        assert source.get(cid) == data
    assert source.all_blocks() == dict(blocks)


def test_a_file_changed_after_it_was_indexed(tmp_path: Path) -> None:
    """Rewritten: indexed again; cut short or removed: typed, named, remembered."""
    one, two = raw_block(b"one"), raw_block(b"two")
    path = tmp_path / "moving.car"
    path.write_bytes(car_bytes([one[0]], [one]))
    source = CarSource(path)
    assert source.get(one[0]) == b"one"
    with pytest.raises(BlockNotFound):
        source.get(two[0])
    path.write_bytes(car_bytes([two[0]], [one, two]))
    os.utime(path, ns=(1, 1))  # another mtime, even on a coarse clock
    assert source.get(two[0]) == b"two" and source.roots == [two[0]]

    cut = CarSource(path)
    assert cut.get(one[0]) == b"one"
    with open(path, "r+b") as f:  # the same inode, cut inside the last section
        f.truncate(path.stat().st_size - 1)
    with pytest.raises(InvalidCar, match=f"{path}.*truncated"):
        cut.get(two[0])
    path.write_bytes(car_bytes([two[0]], [one, two]))
    with pytest.raises(InvalidCar):  # remembered, not parsed again
        cut.get(one[0])

    gone = CarSource(path)
    assert gone.get(one[0]) == b"one"
    path.unlink()
    with pytest.raises(SourceUnavailable, match="cannot read the CAR file .*moving.car: No such file"):
        gone.get(one[0])


def test_a_lying_section_is_still_a_mismatch_and_the_next_source_answers(tmp_path: Path) -> None:
    right = raw_block(b"the block")
    filler = [(CID.build(0x55, b"\x12\x20" + hashlib.sha256(b"%d" % i).digest()), b"%d" % i) for i in range(2000)]
    path = tmp_path / "liar.car"
    path.write_bytes(car_bytes([ROOT], filler + [(right[0], b"not the block")]))

    class Honest:
        name = "honest"

        def get(self, cid: CID) -> bytes:
            return right[1]

    with pytest.raises(HashMismatch, match=f"car:{path}"):
        Fetcher(None, [CarSource(path)]).get(right[0])
    assert Fetcher(None, [CarSource(path), Honest()]).get(right[0]) == right[1]
