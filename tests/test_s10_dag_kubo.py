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
from tests._kubo import KuboRepo

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)


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
    out = io.BytesIO()
    writer = CarWriter(out, [root])
    writer.write(root, block)
    writer.write(v1, leaf)
    return root, v0, v1, out.getvalue()


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
