"""CAR files: round trips, the official fixtures.car, CARv2, and malformed input."""

from __future__ import annotations

import dataclasses
import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec import CID, DEFAULT_LIMITS
from autocodec.builtin import cid_for, decode, encode
from autocodec.cid import encode_varint
from autocodec.errors import AutocodecError, BlockNotFound, HashMismatch, InvalidCar, StoreCorrupt
from autocodec.store import BlockStore, CarReader, export_car, import_car
from tests._car_bytes import car_bytes

from .conftest import CODEC_FIXTURES

FIXTURES_CAR = CODEC_FIXTURES / "fixtures.car"
needs_fixtures = pytest.mark.skipif(not FIXTURES_CAR.exists(), reason="../shared/codec-fixtures is not present")


@pytest.fixture
def store(home: Path):
    with BlockStore.open(home) as s:
        yield s


def put_node(store: BlockStore, value: object) -> CID:
    data = encode(value, "dag-cbor")
    cid = cid_for(data, "dag-cbor")
    store.put(cid, data)
    return cid


def build_dag(store: BlockStore) -> tuple[CID, list[CID]]:
    """root -> (a -> leaf1, leaf2), (b -> leaf2, dag-pb -> leaf3); leaf2 is shared."""
    leaves = []
    for i in range(3):
        data = f"leaf {i}".encode()
        cid = cid_for(data, "raw")
        store.put(cid, data)
        leaves.append(cid)
    pb = encode({"Data": b"\x08\x01", "Links": [{"Hash": leaves[2], "Name": "l3", "Tsize": 6}]}, "dag-pb")
    pb_cid = cid_for(pb, "dag-pb")
    store.put(pb_cid, pb)
    a = put_node(store, {"name": "a", "kids": [leaves[0], leaves[1]]})
    b = put_node(store, {"name": "b", "kids": [leaves[1]], "pb": pb_cid})
    root = put_node(store, {"a": a, "b": b, "n": 1})
    return root, [root, a, leaves[0], leaves[1], b, pb_cid, leaves[2]]


def raw_block(data: bytes) -> tuple[CID, bytes]:
    return cid_for(data, "raw"), data


def test_export_walks_depth_first_once_each_and_round_trips(store: BlockStore, tmp_path: Path) -> None:
    root, order = build_dag(store)
    store.put(*raw_block(b"unrelated block"))
    out = io.BytesIO()
    result = export_car(store, root, out)
    assert result.blocks == 7 and result.missing == [] and result.bytes == len(out.getvalue())
    reader = CarReader(io.BytesIO(out.getvalue()))
    assert reader.version == 1 and reader.roots == [root]
    assert [cid for cid, _ in reader] == order

    with BlockStore.open(tmp_path / "other") as fresh:
        imported = import_car(fresh, io.BytesIO(out.getvalue()))
        assert imported.roots == [root] and imported.blocks == 7
        assert sorted(fresh) == sorted(order)
        for cid in order:
            assert fresh.get(cid) == store.get(cid)


def test_export_to_a_file_reports_its_own_error_when_the_clean_up_fails_too(store: BlockStore,
                                                                            tmp_path: Path) -> None:
    """``export_car_file``: the write's error is the one raised, even when removing the partial
    file fails as well (here it has become a folder, which unlink refuses even to root)."""
    from autocodec.store._links import builtin_links
    from autocodec.errors import InvalidInput, OutputError
    from autocodec.store import export_car_file

    root, _ = build_dag(store)
    target = tmp_path / "dag.car"
    (target / "taken").mkdir(parents=True)  # the rename onto a non-empty folder fails
    partial = tmp_path / "dag.car.part"

    def links(cid: CID, data: bytes) -> list[CID]:
        if partial.is_file():
            partial.unlink()
            (partial / "x").mkdir(parents=True)
        return list(builtin_links(cid, data))

    with pytest.raises(OutputError, match="cannot write .*dag.car"):  # was: IsADirectoryError from the clean-up
        export_car_file(store, root, target, links=links)
    missing = tmp_path / "nowhere" / "dag.car"
    with pytest.raises(InvalidInput, match="No such file") as caught:
        export_car_file(store, root, missing)
    assert "check that its folder exists" in caught.value.hint


def test_export_skips_missing_blocks_and_reports_them(store: BlockStore) -> None:
    root, order = build_dag(store)
    store.delete(order[3])  # the shared leaf
    result = export_car(store, root, io.BytesIO())
    assert result.blocks == 6 and result.missing == [order[3]]


def test_export_missing_root_is_block_not_found(store: BlockStore) -> None:
    out = io.BytesIO()
    with pytest.raises(BlockNotFound):
        export_car(store, cid_for(b"absent", "raw"), out)
    assert out.getvalue() == b""


def test_export_uses_the_injected_link_finder(store: BlockStore) -> None:
    leaf = raw_block(b"linked by an extension codec")
    store.put(*leaf)
    opaque = b"\x00opaque format"
    opaque_cid = cid_for(opaque, 0x78)  # git-raw: not builtin, so not walked by default
    store.put(opaque_cid, opaque)
    assert export_car(store, opaque_cid, io.BytesIO()).blocks == 1
    calls: list[CID] = []

    def links(cid: CID, data: bytes) -> list[CID]:
        calls.append(cid)
        return [leaf[0]] if cid == opaque_cid else []

    assert export_car(store, opaque_cid, io.BytesIO(), links=links).blocks == 2
    assert calls == [opaque_cid, leaf[0]]


def test_export_stops_on_a_corrupt_block(store: BlockStore) -> None:
    import sqlite3

    root, order = build_dag(store)
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE blocks SET data = ? WHERE cid = ?", (b"leaf X", bytes(order[2])))
    conn.close()
    with pytest.raises(StoreCorrupt):
        export_car(store, root, io.BytesIO())


@needs_fixtures
def test_import_official_fixtures_car(store: BlockStore) -> None:
    seen: list[tuple[int, int | None]] = []
    result = import_car(store, FIXTURES_CAR, progress=lambda done, total, unit="bytes": seen.append((done, total)))
    size = FIXTURES_CAR.stat().st_size
    assert result.bytes == size and result.version == 1
    assert seen[-1] == (size, size)
    with FIXTURES_CAR.open("rb") as f:
        sections = list(CarReader(f))
    assert result.blocks == len(sections) == len(store) > 200
    for cid, data in sections:
        assert store.get(cid) == data
    # Every block file in the fixtures directory is named by its CID: it must be in the CAR.
    files = [p for p in (CODEC_FIXTURES / "fixtures").glob("*/*") if p.suffix in (".dag-cbor", ".dag-json", ".dag-pb")]
    assert len(files) > 100
    for path in files:
        assert store.get(CID.parse(path.stem)) == path.read_bytes(), path


@needs_fixtures
def test_fixtures_car_blocks_decode_and_links_are_walkable(store: BlockStore) -> None:
    import_car(store, FIXTURES_CAR)
    linked = 0
    for cid in store:
        if cid.codec in (0x70, 0x71, 0x0129):
            decode(store.get(cid), cid.codec)
            result = export_car(store, cid, io.BytesIO())
            linked += result.blocks > 1 or bool(result.missing)
    assert linked > 0


def test_carv2_payload_is_read(store: BlockStore) -> None:
    blocks = [raw_block(f"v2 block {i}".encode()) for i in range(3)]
    v1 = car_bytes([blocks[0][0]], blocks)
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    data_offset = len(pragma) + 40 + 5  # five bytes of padding before the payload
    header = struct.pack("<16sQQQ", bytes(16), data_offset, len(v1), 0)
    v2 = pragma + header + bytes(5) + v1 + b"index bytes are ignored"
    result = import_car(store, io.BytesIO(v2))
    assert result.version == 2 and result.blocks == 3 and result.roots == [blocks[0][0]]


def test_hash_mismatch_in_car_keeps_verified_prefix(store: BlockStore) -> None:
    good = [raw_block(f"good {i}".encode()) for i in range(3)]
    bad = (cid_for(b"claimed", "raw"), b"actual")
    data = car_bytes([good[0][0]], [*good, bad, raw_block(b"after")])
    with pytest.raises(HashMismatch):
        import_car(store, io.BytesIO(data))
    assert sorted(store) == sorted(c for c, _ in good)


def _header(value: object) -> bytes:
    raw = encode(value, "dag-cbor")
    return encode_varint(len(raw)) + raw


_ROOT = cid_for(b"root", "raw")
_GOOD_HEADER = _header({"version": 1, "roots": [_ROOT]})
_BLOCK = b"block"
_SECTION = bytes(cid_for(_BLOCK, "raw")) + _BLOCK


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty CAR"),
        (b"\x05\xa1", "truncated"),  # header shorter than its length
        (b"\xff" * 12, "varint"),  # over-long header varint
        (b"\x00", "zero-length header"),
        (encode_varint(2 << 20) + b"\xa0", "over the"),  # header over max_car_header_bytes
        (_header([1, 2]), "not a map"),
        (_header({"roots": []}), "not a map with a version"),
        (_header({"version": 3, "roots": []}), "unsupported CAR version"),
        (_header({"version": 2, "roots": []}), "starts with the 11-byte CARv2 pragma"),  # not a CARv2's pragma
        (_header({"version": 1, "roots": "nope"}), "roots must be a list"),
        (_header({"version": 1, "roots": [1]}), "roots must be a list"),
        (b"\x02\xa1\x61", "malformed CAR header"),  # DAG-CBOR map cut short
        (_GOOD_HEADER + b"\x00", "zero-length section"),
        (_GOOD_HEADER + encode_varint(len(_SECTION) + 3) + _SECTION, "truncated"),
        (_GOOD_HEADER + b"\x80", "truncated"),  # section varint cut off
        (_GOOD_HEADER + b"\x80\x00", "non-minimal"),
        (_GOOD_HEADER + b"\xff" * 10, "varint"),
        (_GOOD_HEADER + encode_varint(5 << 20), "over the"),  # section over the block limit
        (_GOOD_HEADER + b"\x04\x02\x55\x12\x00", "bad CID"),  # CID version 2
        (_GOOD_HEADER + b"\x06\x01\x55\x12\x20ab", "bad CID"),  # digest runs past the section
        (bytes.fromhex("0aa16776657273696f6e02") + b"\x00" * 10, "truncated"),  # CARv2 header cut
    ],
)
def test_malformed_cars_raise_invalid_car(data: bytes, fragment: str) -> None:
    with pytest.raises(InvalidCar) as info:
        reader = CarReader(io.BytesIO(data))
        list(reader)
    assert fragment in info.value.message
    assert "\n" not in info.value.one_line()


def _carv2(data_offset: int, data_size: int, index_offset: int) -> bytes:
    payload = _GOOD_HEADER + encode_varint(len(_SECTION)) + _SECTION
    head = struct.pack("<16sQQQ", bytes(16), data_offset, data_size, index_offset)
    return bytes.fromhex("0aa16776657273696f6e02") + head + payload


@pytest.mark.parametrize(
    ("offset", "size", "index", "field"),
    [
        (1 << 63, 40, 0, "data offset"),
        (51, (1 << 64) - 1, 0, "data size"),
        (51, 40, (1 << 64) - 1, "index offset"),
    ],
)
def test_carv2_header_fields_past_any_file_are_refused_as_by_go_car(offset: int, size: int, index: int,
                                                                     field: str) -> None:
    """Kubo v0.43.1 refuses these ("invalid data payload size: 18446744073709551615", "invalid index
    offset: ..."); a data size or index offset this large was read as 'to the end' and imported."""
    with pytest.raises(InvalidCar) as info:
        list(CarReader(io.BytesIO(_carv2(offset, size, index))))
    assert f"{field} {offset if field == 'data offset' else size if field == 'data size' else index}" in info.value.message


def test_carv2_with_a_lying_but_possible_data_size_reads_to_the_end() -> None:
    """A data size past the file's end (4 GiB claimed) reads the payload to its end, as Kubo does."""
    blocks = list(CarReader(io.BytesIO(_carv2(51, (4 << 30) + 5, 0))))
    assert [d for _, d in blocks] == [_BLOCK]


def test_limits_are_configurable() -> None:
    def limits(**kw: int):  # type: ignore[no-untyped-def]
        return dataclasses.replace(DEFAULT_LIMITS, store=dataclasses.replace(DEFAULT_LIMITS.store, **kw))

    two_roots = car_bytes([_ROOT, cid_for(b"other", "raw")], [])
    assert len(CarReader(io.BytesIO(two_roots)).roots) == 2
    with pytest.raises(InvalidCar, match="2 roots, over the limit of 1"):
        CarReader(io.BytesIO(two_roots), limits=limits(max_car_roots=1))
    with pytest.raises(InvalidCar, match="over the 64-byte limit"):
        CarReader(io.BytesIO(two_roots), limits=limits(max_car_header_bytes=64))


def test_import_of_a_missing_file_is_typed(store: BlockStore, tmp_path: Path) -> None:
    with pytest.raises(AutocodecError, match="cannot open"):
        import_car(store, tmp_path / "absent.car")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.binary(max_size=200), cut=st.integers(min_value=0, max_value=400))
def test_arbitrary_bytes_never_escape_as_untyped_errors(tail: bytes, cut: int) -> None:
    valid = car_bytes([_ROOT], [raw_block(b"x" * 20), raw_block(b"y")])
    for data in (valid[:cut] + tail, tail, _GOOD_HEADER + tail):
        try:
            for _cid, _block in CarReader(io.BytesIO(data)):
                pass
        except AutocodecError:
            pass


@settings(max_examples=500, deadline=None)
@given(section=st.one_of(st.binary(max_size=60), st.builds(lambda c, t: bytes(c) + t,
       st.sampled_from([_ROOT, cid_for(b"x", "dag-cbor", "sha2-512"), cid_for(b"y", "raw", "identity")]),
       st.binary(max_size=8))))
def test_section_cids_are_exactly_the_valid_cids(section: bytes) -> None:
    from autocodec.store._car import _split_section

    try:
        cid, rest = _split_section(section, 0)
    except InvalidCar:
        return
    assert CID(bytes(cid)) == cid  # the fast path accepts only what full validation accepts
    assert bytes(cid) + rest == section
