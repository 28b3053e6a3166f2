"""``dag import``, ``dag stat``, ``dag export`` and ``verify_cid`` beside Kubo 0.43.1 (s10).

Found: ``verify_cid`` returned for an identity CID before any size check, so an identity CID of
over 128 bytes (boxo verifcid's ``DefaultMaxIdentityDigestSize``; Kubo: "digest too large:
identity digest got 129 bytes, maximum 128") passed a gateway CAR's check until the store's put
refused it. Now ``DigestTooLong`` there too, in the store's words (one constant, one function).

Found: the DAG walk (``dag stat``, ``dag export``, ``Runtime.walk``) took a CIDv0 and its CIDv1
for one block. Kubo 0.43.1 keys its walk by the whole CID: a root linking one dag-pb block as
[v0, v1, v0] is 3 blocks to its ``dag stat`` (2 here) and 3 sections in its ``dag export``, as
the store's ``export_car`` writes since d048ae7. Kubo's gateway CAR (``?format=car``) writes that
block once (measured: 2 sections), so the gateway walks with ``once_per_block``.

Found: ``dag import`` stored blocks whose bytes do not decode under their codec. Kubo 0.43.1's
``ipfs dag import`` decodes each block and stops at the first that does not decode: exit 1,
``Error: import failed at block "CID": <its decoder's words>``, with and without
``--pin-roots=false`` (measured for dag-cbor, dag-pb, dag-json, json, cbor). Ours now refuses
such a block of a builtin codec the same way (one line, exit 1), keeping the blocks before it,
as for any refused block (Kubo keeps whole batches of them, none of 129, 130 of 300, measured).
A codec with no builtin decoder stays importable (a pinned module may decode it later), where
Kubo says "could not choose a decoder" (docs/cli.md).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from autocodec.builtin import MAX_IDENTITY_DIGEST, cid_for, encode, verify_cid
from autocodec.cid import CID, encode_varint
from autocodec.dag import export_car, stat, walk
from autocodec.errors import DigestTooLong
from autocodec.registry import Runtime
from autocodec.serve._car import CarParams, entity_blocks
from autocodec.store import CarReader, CarWriter
from autocodec.store import export_car as store_export_car
from tests import _kubo_pair
from tests._kubo_pair import Ours
from tests import _cli
from tests._cli import main_here
from tests._car_bytes import car_bytes
from tests._kubo import KuboRepo

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)
here = _cli.here  # a home and a working folder for an in-process run


def _identity(size: int) -> tuple[CID, bytes]:
    data = os.urandom(size)
    return CID(b"\x01\x55\x00" + encode_varint(size) + data), data


@pytest.mark.parametrize("size", [0, 128, 129, 1024])
def test_verify_cid_refuses_an_identity_cid_over_128_bytes(size: int) -> None:
    """Fails on the old ``verify_cid`` for 129 and 1024 (both returned)."""
    assert MAX_IDENTITY_DIGEST == 128
    cid, data = _identity(size)
    if size <= 128:
        verify_cid(cid, data)
        return
    with pytest.raises(DigestTooLong, match=f"identity CID holds at most 128 bytes .*this one {size}"):
        verify_cid(cid, data)


def _both_forms_car() -> tuple[CID, CID, CID, bytes]:
    """A CAR of a DAG-CBOR root linking one dag-pb block as [v0, v1, v0]: (root, v0, v1, CAR)."""
    leaf = encode({"Data": os.urandom(16), "Links": []}, "dag-pb")
    v1 = cid_for(leaf, "dag-pb")
    v0 = CID(v1.multihash)
    block = encode({"l": [v0, v1, v0]}, "dag-cbor")
    root = cid_for(block, "dag-cbor")
    return root, v0, v1, car_bytes([root], [(root, block), (v1, leaf)])


def test_the_walk_takes_a_cidv0_and_its_cidv1_as_two_blocks(home: Path) -> None:
    """Fails on the old walk: [root, v0] walked, stat 2 blocks, export 2 sections."""
    root, v0, v1, car = _both_forms_car()
    with Runtime(home) as rt:
        rt.store.put_many(CarReader(io.BytesIO(car)))
        assert [c for c, _ in walk(rt, root)] == [root, v0, v1]
        assert [c for c, _ in walk(rt, root, once_per_block=True)] == [root, v0]
        summary = stat(rt, [root])
        size = len(rt.get(root)) + 2 * len(rt.get(v1))
        assert (summary.roots[0].blocks, summary.roots[0].size) == (3, size)
        assert (summary.unique_blocks, summary.total_size) == (3, size)
        both = stat(rt, [root, v0, v1])  # the second set (several roots) keys CIDs the same way
        assert [r.blocks for r in both.roots] == [3, 1, 1]
        assert both.unique_blocks == 3
        out = io.BytesIO()
        assert export_car(rt, root, out).blocks == 3
        assert [c for c, _ in CarReader(io.BytesIO(out.getvalue()))] == [root, v0, v1]
        same = io.BytesIO()
        store_export_car(rt.store, root, same)
        assert same.getvalue() == out.getvalue()  # dag export and car export agree
        gateway = entity_blocks(rt, root, rt.get(root), CarParams())  # dups=n, as Kubo's: once
        assert [c for c, _ in gateway] == [root, v0]


@pytest.mark.slow
def test_dag_stat_and_export_of_both_cid_forms_beside_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """``dag stat`` and ``dag export`` of the [v0, v1, v0] DAG: the same output as Kubo 0.43.1's."""
    root, _, _, car = _both_forms_car()
    path = tmp_path / "both.car"
    path.write_bytes(car)
    kubo.ipfs("dag", "import", "--pin-roots=false", str(path))
    ours.out("dag", "import", "--pin-roots=false", str(path))
    figures = kubo.ipfs("dag", "stat", "--progress=false", str(root)).stdout
    assert b"Unique Blocks: 3\n" in figures, figures
    assert ours.out("dag", "stat", "--progress=false", str(root)) == figures
    sections = kubo.ipfs("dag", "export", str(root)).stdout
    assert len(list(CarReader(io.BytesIO(sections)))) == 3
    assert ours.out("dag", "export", str(root)) == sections


@pytest.mark.slow
def test_car_export_writes_an_identity_cids_section_as_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """``car export`` (``store.export_car``) left out the section of an identity CID the DAG links,
    which Kubo 0.43.1's ``dag export`` (and ours) write: found in the store review."""
    identity, _ = _identity(2)
    block = encode({"a": identity}, "dag-cbor")
    root = cid_for(block, "dag-cbor")
    path = tmp_path / "root.car"
    with path.open("wb") as f:
        CarWriter(f, [root]).write(root, block)
    kubo.ipfs("dag", "import", "--pin-roots=false", str(path))
    ours.out("dag", "import", "--pin-roots=false", str(path))
    sections = kubo.ipfs("dag", "export", str(root)).stdout
    assert [c for c, _ in CarReader(io.BytesIO(sections))] == [root, identity]
    assert ours.out("dag", "export", str(root)) == sections
    ours.out("car", "export", str(root), "-o", str(tmp_path / "ours.car"))
    assert (tmp_path / "ours.car").read_bytes() == sections


BAD = {  # a builtin codec: bytes that do not decode under it (Kubo refuses each, measured)
    "dag-cbor": b"\xa1\x61",
    "dag-pb": b"\xff\xff\xff",
    "dag-json": b"{not json",
    "json": b"{not json",
    "cbor": b"\xa1\x61",
}


def _car_with(codec: str | int, data: bytes) -> tuple[list[CID], bytes]:
    """A CAR of two good DAG-CBOR blocks, the block ``data`` under ``codec``, one more good one."""
    blocks = []
    for i in range(3):
        good = encode({"i": i, "salt": os.urandom(8)}, "dag-cbor")
        blocks.append((cid_for(good, "dag-cbor"), good))
    blocks.insert(2, (cid_for(data, codec), data))
    return [cid for cid, _ in blocks], car_bytes([blocks[0][0]], blocks)


@pytest.mark.parametrize("pin", ["--pin-roots=true", "--pin-roots=false"])
@pytest.mark.parametrize("codec", list(BAD))
def test_dag_import_refuses_a_block_that_does_not_decode(codec: str, pin: str, here: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Fails on the old import (exit 0, every block stored): now one line, exit 1, the blocks
    before the bad one kept, it and those after not."""
    cids, car = _car_with(codec, BAD[codec])
    (here / "bad.car").write_bytes(car)
    status, out, err = main_here(capsys, "dag", "import", pin, "bad.car")
    assert status == 1, (out, err)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert f'import failed at block "{cids[2]}": {codec}: ' in err, err
    with Runtime(here / "home") as rt:
        assert [rt.store.has(cid) for cid in cids] == [True, True, False, False]


def test_dag_import_keeps_a_codec_without_a_builtin_decoder(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A codec we have no decoder for is stored undecoded (a pinned module may decode it later)."""
    cids, car = _car_with(0x300001, b"\xff anything")
    (here / "other.car").write_bytes(car)
    status, out, err = main_here(capsys, "dag", "import", "--pin-roots=false", "other.car")
    assert status == 0, err
    with Runtime(here / "home") as rt:
        assert all(rt.store.has(cid) for cid in cids)


@pytest.mark.slow
def test_dag_import_of_blocks_that_do_not_decode_beside_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """Each builtin codec's bad block: both exit 1 with ``import failed at block "CID": ``; a
    codec neither decodes: Kubo refuses it, ours imports it (the written-down difference)."""
    for codec, data in [*BAD.items(), (0x300001, b"\xff anything")]:
        cids, car = _car_with(codec, data)
        path = tmp_path / "bad.car"
        path.write_bytes(car)
        for pin in ("--pin-roots=true", "--pin-roots=false"):
            theirs = kubo.ipfs("dag", "import", pin, str(path), check=False)
            words = f'import failed at block "{cids[2]}": '
            assert theirs.returncode == 1 and theirs.stderr.decode().startswith(f"Error: {words}"), theirs.stderr
            code, _, err = ours.run("dag", "import", pin, str(path))
            if codec == 0x300001:
                assert b"could not choose a decoder" in theirs.stderr
                assert code == 0, err
                continue
            assert code == 1 and err.count(b"\n") == 1 and words.encode() in err, err
