"""``verify.dag_cids`` (the walk behind pins, ``pin verify``/``block rm`` guards, ``set export`` and
``--to-node``) bounded as ``read_module`` is for the module's declared size: hostile module DAGs
in a real store are refused with ``ModuleRejected`` after a bounded number of reads. On the old
code the walk's only bounds were 576 distinct blocks and 8 levels, whatever the manifest's size:
every test here but the first passed the hostile DAG without a word (and 490 distinct nodes of
20,000 links each took minutes of CPU: docs/trust.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import ModuleRejected
from autocodec.store import BlockStore
from autocodec.unixfs import _pb
from autocodec.verify import dag_cids, module_blocks
from tests._counted_store import Counted, raw_leaf
from tests._big_module import GIT_RAW, with_padding

MIB = 1 << 20


@pytest.fixture
def store(tmp_path: Path):
    with BlockStore.open(tmp_path / "blocks.db") as opened:
        yield opened

def _node(store: BlockStore, links: list[CID], filesize: int | None, kind: int = _pb.FILE, data: bytes = b"") -> CID:
    meta = _pb.UnixfsData(kind, data, filesize, tuple(1 for _ in links) if kind == _pb.FILE else ())
    block = builtin.encode({"Data": _pb.encode(meta), "Links": [{"Hash": c, "Name": "", "Tsize": 1} for c in links]},
                           "dag-pb")
    cid = builtin.cid_for(block, "dag-pb")
    store.put(cid, block)
    return cid


def test_a_module_dag_as_published_is_walked_whole(store: BlockStore) -> None:
    wasm = with_padding(GIT_RAW.read_bytes(), 5 * MIB)
    built = module_blocks(wasm)
    store.put_many(built.blocks)
    walked = list(dag_cids(built.cid, store.get, size=len(wasm)))
    assert walked[0] == built.cid and set(walked) == {cid for cid, _ in built.blocks} and len(walked) == 21


def test_one_leaf_linked_thousands_of_times_is_refused_before_following(store: BlockStore) -> None:
    leaf = raw_leaf(store, b"x")
    root = _node(store, [leaf] * 5_000, 5_000)
    get = Counted(store)
    with pytest.raises(ModuleRejected, match=f"module {root}: its DAG links more than 576 blocks"):
        list(dag_cids(root, get))
    assert get.reads == 1


def test_the_bound_is_the_manifests_size_not_the_largest_module(store: BlockStore) -> None:
    leaves = [raw_leaf(store, b"leaf %d" % i) for i in range(300)]
    root = _node(store, leaves, 300 * 7)
    assert len(list(dag_cids(root, store.get))) == 301  # within the 8 MiB bounds: 576 links
    with pytest.raises(ModuleRejected, match="links more than 160 blocks"):  # 64 + 1.5 MiB / 16 KiB
        list(dag_cids(root, store.get, size=3 * MIB // 2))


@pytest.mark.parametrize("kind", [_pb.DIRECTORY, _pb.RAW])
def test_only_unixfs_file_nodes(store: BlockStore, kind: int) -> None:
    leaf = raw_leaf(store, b"x")
    root = _node(store, [leaf], None, kind=kind)
    with pytest.raises(ModuleRejected, match=f"block {root} is a UnixFS .*not a file node"):
        list(dag_cids(root, store.get))


def test_dag_pb_bytes_are_bounded(store: BlockStore) -> None:
    """A file node's bytes count against ``overhead`` (64 KiB + size/16): 576 KiB for an 8 MiB
    module, 192 KiB for a 2 MiB one."""
    root = _node(store, [], 300 * 1024, data=b"\x00" * (300 * 1024))
    assert list(dag_cids(root, store.get)) == [root]
    with pytest.raises(ModuleRejected, match=f"its dag-pb nodes pass 196608 bytes \\(at {root}\\)"):
        list(dag_cids(root, store.get, size=2 * MIB))


def test_each_refusal_names_the_bound_it_met(store: BlockStore) -> None:
    """Under a module cap over 31 MiB the nodes' byte budget passes the 2 MiB block line: a walk
    over the budget names the budget (it named the 2 MiB line), a node over the line the line."""
    from autocodec.config import TrustLimits

    limits = TrustLimits(max_module_bytes=64 * MIB)  # budget: 64 KiB + 4 MiB = 4,259,840 bytes
    parts = [_node(store, [], 1_500_000, data=bytes([i]) * 1_500_000) for i in range(3)]
    root = _node(store, parts, 4_500_000)
    with pytest.raises(ModuleRejected, match=f"its dag-pb nodes pass 4259840 bytes \\(at {parts[2]}\\)"):
        list(dag_cids(root, store.get, limits=limits))
    big = _node(store, [], 2_200_000, data=b"\x01" * 2_200_000)
    with pytest.raises(ModuleRejected, match=f"its dag-pb node {big} is over 2097152 bytes"):
        list(dag_cids(big, store.get, limits=limits))


def test_a_codec_outside_module_dags_is_refused(store: BlockStore) -> None:
    cbor = builtin.encode({"a": 1}, "dag-cbor")
    child = builtin.cid_for(cbor, "dag-cbor")
    store.put(child, cbor)
    root = _node(store, [child], 1)
    with pytest.raises(ModuleRejected, match="neither raw nor dag-pb"):
        list(dag_cids(root, store.get))
