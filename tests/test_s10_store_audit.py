"""Audit of the block store, CAR reading and the sources against Kubo 0.43.1 (s10).

Found: a CAR that ends right after a section's length varint (no byte of the section follows,
in the file or inside a CARv2's data size) is imported by Kubo's ``ipfs dag import`` as whole,
with the blocks before it: go-car's ``LdRead`` reads the length, then ``io.ReadFull`` of the
section reads nothing and returns ``io.EOF``, which its block reader takes as the end. We said
"truncated CAR". A section cut after one or more of its bytes, a varint cut inside itself and a
zero length stay refused by both.

Found: a CAR holding an identity CID of more than 128 bytes (boxo verifcid's
``DefaultMaxIdentityDigestSize``) is refused by Kubo ("digest too large: identity digest got 129
bytes, maximum 128"); the store took it (and ``put`` did too): now ``DigestTooLong``.

Found: a DAG linking one block under its CIDv0 and its CIDv1 is exported by Kubo's ``ipfs dag
export`` with a section under each CID (go-car's traversal keeps a set of CIDs); the store's
``export_car`` (``car export``, ``autocodec.export_car``) wrote it once, under the first.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
from pathlib import Path

import pytest

from autocodec.builtin import cid_for, encode
from autocodec.cid import encode_varint
from autocodec.cid import CID
from autocodec.errors import DigestTooLong, InvalidCar
from autocodec.store import BlockStore, CarReader, export_car, import_car
from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

PRAGMA = bytes.fromhex("0aa16776657273696f6e02")


def _blocks(count: int) -> list[tuple[bytes, bytes]]:
    """Raw blocks no earlier run stored (a random salt)."""
    salt = os.urandom(6).hex()
    return [(bytes(cid_for(d, "raw")), d) for d in (f"{salt} block {i}".encode() for i in range(count))]


def _car(blocks: list[tuple[bytes, bytes]]) -> bytes:
    root = blocks[0][0]
    body = b"\xa2\x65roots\x81\xd8\x2a\x58" + bytes([len(root) + 1]) + b"\x00" + root + b"\x67version\x01"
    return encode_varint(len(body)) + body + b"".join(encode_varint(len(c) + len(d)) + c + d for c, d in blocks)


def _v2(payload: bytes, size: int) -> bytes:
    return PRAGMA + struct.pack("<16sQQQ", bytes(16), 51, size, 0) + payload


def _cases() -> dict[str, tuple[bytes, int | None]]:
    """name: (CAR bytes, blocks Kubo imports, None when it refuses the CAR)."""
    two = _blocks(2)
    whole = _car(two)
    length = encode_varint(len(two[1][0]) + len(two[1][1]))
    return {
        "v1 ends after a length": (whole + length, 2),
        "v1 ends after a one-byte length": (whole + b"\x05", 2),
        "v2 data size ends after a length": (_v2(whole + length + b"garbage", len(whole) + len(length)), 2),
        "v1 ends one byte into a section": (whole + length + two[1][0][:1], None),
        "v1 ends inside a length": (whole + b"\x80", None),
        "v1 ends with a zero length": (whole + b"\x00", None),
        "v2 data size ends one byte into a section": (_v2(whole + length + b"x", len(whole) + len(length) + 1), None),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_a_car_ending_right_after_a_section_length_is_whole_as_in_go_car(name: str) -> None:
    """Fails on the old reader for the three rows Kubo imports ("truncated CAR: section ...")."""
    data, kept = _cases()[name]
    if kept is None:
        with pytest.raises(InvalidCar):
            list(CarReader(io.BytesIO(data)))
        return
    assert len(list(CarReader(io.BytesIO(data)))) == kept


def test_import_of_a_car_ending_after_a_length_stores_every_block(home: Path, tmp_path: Path) -> None:
    data, kept = _cases()["v1 ends after a length"]
    path = tmp_path / "a.car"
    path.write_bytes(data)
    with BlockStore.open(home) as store:
        result = import_car(store, path)
        assert (result.blocks, result.bytes) == (kept, len(data))
        assert all(store.has(cid) for cid, _ in CarReader(io.BytesIO(data)))


@pytest.mark.slow
def test_cars_cut_at_and_after_a_section_length_beside_kubo(tmp_path: Path, home: Path) -> None:
    """The same CARs through ``ipfs dag import`` (Kubo 0.43.1): the same verdict and block count."""
    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    with BlockStore.open(home) as store:
        for name, (data, kept) in _cases().items():
            path = tmp_path / "case.car"
            path.write_bytes(data)
            theirs = subprocess.run([str(KUBO_BIN), "dag", "import", "--pin-roots=false", "--stats", str(path)],
                                    env=repo.env(), capture_output=True, timeout=120)
            assert (theirs.returncode == 0) == (kept is not None), (name, theirs.stderr)
            if kept is not None:
                assert f"Imported {kept} blocks".encode() in theirs.stdout, (name, theirs.stdout)
                assert import_car(store, path).blocks == kept, name
            else:
                with pytest.raises(InvalidCar):
                    import_car(store, path)


def _identity(size: int) -> tuple[bytes, bytes]:
    data = os.urandom(size)
    return b"\x01\x55\x00" + encode_varint(size) + data, data


def _identity_car(size: int) -> bytes:
    """A CAR of one ordinary block, then an identity CID's section of ``size`` bytes."""
    first = _blocks(1)
    return _car(first + [_identity(size)])


@pytest.mark.parametrize("size", [128, 129, 1024])
def test_an_identity_cid_over_128_bytes_is_refused_as_kubo_refuses_it(home: Path, tmp_path: Path, size: int) -> None:
    """Fails on the old store for 129 and 1024 (both were taken)."""
    cid, data = _identity(size)
    path = tmp_path / "id.car"
    path.write_bytes(_identity_car(size))
    with BlockStore.open(home) as store:
        if size <= 128:
            store.put(CID(cid), data)
            assert import_car(store, path).blocks == 2
            return
        with pytest.raises(DigestTooLong, match="identity CID holds at most 128 bytes"):
            store.put(CID(cid), data)
        with pytest.raises(DigestTooLong):
            store.put_many([(CID(cid), data)])
        with pytest.raises(DigestTooLong):
            import_car(store, path)
        first = next(iter(CarReader(io.BytesIO(path.read_bytes()))))[0]
        assert store.has(first)  # the verified block before it is kept, as for any bad block


@pytest.mark.slow
def test_identity_cids_at_and_over_128_bytes_beside_kubo(tmp_path: Path, home: Path) -> None:
    """``ipfs dag import`` (Kubo 0.43.1) takes 128 bytes and refuses 129 ("digest too large"); so do we."""
    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    with BlockStore.open(home) as store:
        for size in (128, 129):
            path = tmp_path / "id.car"
            path.write_bytes(_identity_car(size))
            theirs = subprocess.run([str(KUBO_BIN), "dag", "import", "--pin-roots=false", str(path)],
                                    env=repo.env(), capture_output=True, timeout=120)
            if size == 128:
                assert theirs.returncode == 0, theirs.stderr
                assert import_car(store, path).blocks == 2
            else:
                assert b"digest too large" in theirs.stderr, theirs.stderr
                with pytest.raises(DigestTooLong):
                    import_car(store, path)


def _both_forms(store: BlockStore) -> tuple[CID, list[CID]]:
    """A DAG-CBOR root linking one dag-pb block as CIDv0, CIDv1, then CIDv0 again: (root, links)."""
    leaf = encode({"Data": os.urandom(16), "Links": []}, "dag-pb")
    v1 = cid_for(leaf, "dag-pb")
    v0 = CID(v1.multihash)
    store.put(v1, leaf)
    links = [v0, v1, v0]
    root = encode({"l": links}, "dag-cbor")
    store.put(cid_for(root, "dag-cbor"), root)
    return cid_for(root, "dag-cbor"), links


def test_a_block_linked_as_cidv0_and_cidv1_is_exported_under_each(home: Path) -> None:
    """Fails on the old export (two sections: the CIDv1 form was taken for the CIDv0 already written)."""
    with BlockStore.open(home) as store:
        root, (v0, v1, _) = _both_forms(store)
        out = io.BytesIO()
        result = export_car(store, root, out)
    sections = [cid for cid, _ in CarReader(io.BytesIO(out.getvalue()))]
    assert sections == [root, v0, v1]
    assert result.blocks == 3


@pytest.mark.slow
def test_export_of_a_block_under_both_cid_versions_is_kubos_bytes(tmp_path: Path, home: Path) -> None:
    """``ipfs dag export`` of the same DAG (Kubo 0.43.1) gives the same bytes."""
    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    with BlockStore.open(home) as store:
        root, _ = _both_forms(store)
        ours = io.BytesIO()
        export_car(store, root, ours)
    path = tmp_path / "dag.car"
    path.write_bytes(ours.getvalue())
    put = subprocess.run([str(KUBO_BIN), "dag", "import", "--pin-roots=false", str(path)], env=repo.env(),
                         capture_output=True, timeout=120)
    assert put.returncode == 0, put.stderr
    theirs = subprocess.run([str(KUBO_BIN), "dag", "export", str(root)], env=repo.env(), capture_output=True,
                            timeout=120)
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == ours.getvalue()
