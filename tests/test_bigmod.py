"""Modules over 1 MiB as UnixFS file DAGs (``autocodec/verify/_moduledag.py``), with the real
store, sandbox and (where named) the real Kubo: their CIDs, the sets that carry them, and the
hostile DAGs refused after bounded work. Two peered nodes: tests/test_bigmod_nodes.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import AutocodecError, BlockNeeded, HashMismatch, ModuleRejected
from autocodec.store import BlockStore
from autocodec.unixfs import _pb
from autocodec.verify import MODULE_BLOCK_BYTES, Manifest, fetch_module, module_blocks, module_cid
from tests._cli import run_cli
from tests._big_module import GIT_RAW, big_module, with_padding
from tests._counted_store import Counted, raw_leaf

GIT_BLOB = b"blob 6\x00hello\n"
PUBLISHER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _manifest(module: CID, size: int) -> Manifest:
    return Manifest(kind="codec", name="x", codes=(0x78,), module=module, size=size, version="1.0.0",
                    publisher=PUBLISHER, issued=0)


def _node(store: BlockStore, kind: int, links: list[tuple[CID, int]], filesize: int | None, data: bytes = b"") -> CID:
    """A dag-pb UnixFS node of ``kind`` linking ``links`` (CID, file bytes), put in ``store``."""
    meta = _pb.UnixfsData(kind, data, filesize, tuple(size for _cid, size in links))
    block = builtin.encode({"Data": _pb.encode(meta), "Links": [{"Hash": c, "Name": "", "Tsize": s} for c, s in links]},
                           "dag-pb")
    cid = builtin.cid_for(block, "dag-pb")
    store.put(cid, block)
    return cid


@pytest.fixture
def store(tmp_path: Path):
    with BlockStore.open(tmp_path / "blocks.db") as opened:
        yield opened


# --- CIDs ---------------------------------------------------------------------------------------


def test_a_module_over_1_mib_has_the_cid_ipfs_add_gives(ipfs_node, tmp_path: Path) -> None:
    module = big_module(tmp_path)
    added = ipfs_node.ipfs("add", "--cid-version=1", "--quiet", "--only-hash", str(module)).stdout.decode().strip()
    assert str(module_cid(module.read_bytes())) == added
    inspected = json.loads(run_cli(tmp_path / "h", "module", "inspect", str(module), "--json").stdout)
    assert inspected["cid"] == added
    at_line = with_padding(GIT_RAW.read_bytes(), MODULE_BLOCK_BYTES)
    assert len(at_line) <= MODULE_BLOCK_BYTES and module_cid(at_line).codec == 0x55  # still one raw block


def test_the_default_sets_modules_keep_their_raw_cids() -> None:
    """Every shipped module is at most 1 MiB: one raw block, its CID (and so every manifest and
    the default set) unchanged."""
    from autocodec.store import CarReader
    from autocodec.verify import open_envelope

    with (Path(builtin.__file__).parents[1] / "registry" / "default-set.car").open("rb") as car:
        blocks = dict(CarReader(car))
    modules = 0
    for data in blocks.values():
        try:
            env = open_envelope(data, "manifest", max_bytes=1 << 20, max_signatures=16)
        except AutocodecError:
            continue
        m = Manifest.from_value(env.document, max_module_bytes=8 << 20)
        assert m.module.codec == 0x55 and module_cid(blocks[m.module]) == m.module
        modules += 1
    assert modules > 0


# --- reading a module DAG -----------------------------------------------------------------------


def test_a_module_dag_is_read_block_by_block(store: BlockStore, tmp_path: Path) -> None:
    wasm = big_module(tmp_path).read_bytes()
    built = module_blocks(wasm)
    store.put_many(built.blocks)
    get = Counted(store)
    assert fetch_module(_manifest(built.cid, len(wasm)), get) == wasm
    assert get.reads == len(built.blocks) == 1 + -(-len(wasm) // (256 << 10))


def test_one_leaf_linked_many_times_is_refused_after_bounded_reads(store: BlockStore) -> None:
    leaf = raw_leaf(store, b"\0")
    mid = _node(store, _pb.FILE, [(leaf, 1)] * 1000, 1000)
    size = 5000 * 1000
    root = _node(store, _pb.FILE, [(mid, 1000)] * 5000, size)  # 5 million links to one byte: a 5 MB "file"
    get = Counted(store)
    budget = 64 + size // (16 << 10)
    with pytest.raises(ModuleRejected, match=f"module {root}: its DAG has more than {budget} blocks"):
        fetch_module(_manifest(root, size), get)
    assert get.reads <= budget


def test_a_deep_chain_is_refused(store: BlockStore) -> None:
    child = raw_leaf(store, b"x" * 100)
    for _ in range(20):
        child = _node(store, _pb.FILE, [(child, 100)], 100)
    with pytest.raises(ModuleRejected, match="deeper than 8 levels"):
        fetch_module(_manifest(child, 100), store.get)


@pytest.mark.parametrize("kind", [_pb.DIRECTORY, _pb.HAMT_SHARD, _pb.SYMLINK, _pb.RAW])
def test_only_file_nodes_and_raw_leaves(store: BlockStore, kind: int) -> None:
    leaf = raw_leaf(store, b"y" * 10)
    odd = _node(store, kind, [(leaf, 10)] if kind != _pb.SYMLINK else [], 10 if kind != _pb.SYMLINK else None,
                data=b"target" if kind == _pb.SYMLINK else b"")
    with pytest.raises(ModuleRejected, match=f"block {odd} is a UnixFS {_pb.TYPE_NAMES[kind]}, not a file node"):
        fetch_module(_manifest(odd, 10), store.get)  # as the root
    inner = _node(store, _pb.FILE, [(leaf, 10), (odd, 10)], 20)
    with pytest.raises(ModuleRejected, match=f"block {odd} is a UnixFS"):
        fetch_module(_manifest(inner, 20), store.get)  # inside


def test_sizes_that_disagree_are_refused_before_the_children(store: BlockStore) -> None:
    leaf = raw_leaf(store, b"z" * 10)
    root = _node(store, _pb.FILE, [(leaf, 10)], 10)
    with pytest.raises(ModuleRejected, match=f"its root {root} declares 10 bytes, its manifest says 11"):
        fetch_module(_manifest(root, 11), store.get)
    lying = _node(store, _pb.FILE, [(leaf, 10)], 12)  # filesize over its blocksizes
    with pytest.raises(ModuleRejected, match="holds 10 bytes .* but its filesize says 12"):
        fetch_module(_manifest(lying, 12), store.get)
    claims = _node(store, _pb.FILE, [(leaf, 11)], 11)  # the leaf is not what its parent says
    with pytest.raises(ModuleRejected, match=f"raw leaf {leaf} has 10 bytes, its parent says 11"):
        fetch_module(_manifest(claims, 11), store.get)
    huge = _node(store, _pb.FILE, [(leaf, 9 << 20)], 9 << 20)
    get = Counted(store)
    with pytest.raises(AutocodecError, match="over the|declares"):
        fetch_module(_manifest(huge, 10), get)
    assert get.reads == 1  # the root only


def test_another_layout_of_the_same_bytes_is_not_the_module(store: BlockStore) -> None:
    """A DAG of the right bytes laid out otherwise (two leaves here) names other bytes than
    the module's CID: one CID, one set of bytes."""
    wasm = GIT_RAW.read_bytes()
    half = len(wasm) // 2
    root = _node(store, _pb.FILE, [(raw_leaf(store, wasm[:half]), half), (raw_leaf(store, wasm[half:]), len(wasm) - half)],
                 len(wasm))
    with pytest.raises(HashMismatch, match=f"not the UnixFS file {root}"):
        fetch_module(_manifest(root, len(wasm)), store.get)


# --- sets, pins, the store ----------------------------------------------------------------------


def test_a_set_with_a_module_dag_is_exported_pinned_kept_and_used(tmp_path: Path) -> None:
    module = big_module(tmp_path / "mod")
    built = module_blocks(module.read_bytes())
    publisher, user = tmp_path / "publisher", tmp_path / "user"
    run_cli(publisher, "key", "gen", "ann")
    manifest = run_cli(publisher, "publish", str(module), "--key", "ann", "--vectors",
                       str(GIT_RAW.parent)).stdout.decode().strip()
    run_cli(publisher, "set", "init", "big", "--key", "ann")
    run_cli(publisher, "set", "add", "big", manifest)
    run_cli(publisher, "set", "publish", "big")
    bundle = tmp_path / "big.car"
    run_cli(publisher, "set", "export", "big", "-o", str(bundle))

    run_cli(user, "init", "--no-default-set")
    run_cli(user, "pin", "add", str(bundle))
    blob = run_cli(user, "block", "put", "--codec", "git-raw", "--mhtype", "sha1", stdin=GIT_BLOB).stdout.decode().strip()
    assert json.loads(run_cli(user, "decode", blob).stdout) == {"/": {"bytes": "YmxvYiA2AGhlbGxvCg"}}
    indirect = run_cli(user, "pin", "ls", "--type=indirect").stdout.decode()
    for cid, _data in built.blocks:
        assert str(cid) in indirect, cid
    leaf = str(built.blocks[0][0])
    refused = run_cli(user, "block", "rm", leaf, check=False)
    assert refused.returncode == 1 and b"BlockNeeded" in refused.stderr, refused.stderr
    assert run_cli(user, "pin", "verify", check=False).returncode == 0


def test_needed_lists_every_block_of_a_module_dag(tmp_path: Path) -> None:
    from autocodec.registry import Runtime, add_manifest, init_set, pin_add, publish_module, publish_set
    from autocodec.verify import KeyRing

    module = big_module(tmp_path / "mod")
    with Runtime(tmp_path / "h", default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("ann")
        published = publish_module(rt, module, key, vectors=GIT_RAW.parent)
        assert published.module_cid.codec == 0x70 and len(published.module_blocks) == 21
        assert published.module_blocks[-1] == published.module_cid
        init_set(rt, "big", [key], ["ann"])
        add_manifest(rt, "big", published.manifest_cid)
        index = publish_set(rt, "big", [key])
        pin_add(rt, str(index))
        needed = rt.pins.needed()
        assert set(published.module_blocks) <= set(needed)
        with pytest.raises(BlockNeeded, match="block of module git-raw"):
            rt.pins.guard_removal([published.module_blocks[3]])
        assert rt.pins.missing() == []
