"""``publish --to-node`` and ``set publish --to-node`` with a module of the 8 MiB cap (a UnixFS file
DAG of 33 blocks), against a real Kubo 0.43.1 daemon of its own (``ipfs repo gc`` would reach the
session's shared node): what the node keeps after ``ipfs repo gc`` must be everything a fresh home
needs. Measured on the old code: ``publish --to-node`` pinned the manifest alone, so the node's
gc removed every block of the module and its vectors; ``set publish --to-node`` pinned the
vectors recursively, whose links name unpublished blocks, and Kubo's gc then aborted ("garbage
collection aborted: could not retrieve some links"), removing nothing on the whole node. A fresh
home then pins and uses the set through the node's RPC API and through its gateway alone: the
"modules of 4 to 8 MiB run only as local files" of docs/bounds.md is over (module DAGs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec.verify import Manifest, module_blocks, open_envelope
from tests._cli import run_cli
from tests._kubo import KuboRepo, require_kubo
from tests._big_module import GIT_BLOB, GIT_RAW, with_padding

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


def _held(node: KuboRepo, cid: str) -> bool:
    return node.ipfs("block", "stat", "--offline", cid, check=False).returncode == 0


def _gc(node: KuboRepo) -> None:
    """``ipfs repo gc``, which must finish and remove an unpinned block put just before."""
    stray = node.ipfs("block", "put", input=b"not pinned by anyone").stdout.decode().strip()
    done = node.ipfs("repo", "gc", check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not _held(node, stray)


def test_a_module_dag_put_on_a_node_survives_its_gc_and_serves_a_fresh_home(tmp_path: Path) -> None:
    require_kubo()
    node = KuboRepo.create(tmp_path / "kubo").start()
    try:
        addr = node.api_multiaddr
        publisher = tmp_path / "publisher"
        module = tmp_path / "big.wasm"
        module.write_bytes(with_padding(GIT_RAW.read_bytes(), 8 << 20))
        built = module_blocks(module.read_bytes())
        assert len(built.blocks) == 33 and module.stat().st_size <= 8 << 20
        run_cli(publisher, "key", "gen", "ann")
        manifest = run_cli(publisher, "publish", str(module), "--key", "ann", "--vectors", str(GIT_RAW.parent),
                           "--to-node", addr).stdout.decode().strip()
        envelope = open_envelope(node.ipfs("block", "get", manifest).stdout, "manifest", max_bytes=1 << 20,
                             max_signatures=8)
        vectors = Manifest.from_value(envelope.document, max_module_bytes=8 << 20).vectors
        _gc(node)
        for cid, _data in built.blocks:
            assert _held(node, str(cid)), f"module block {cid} removed by the node's gc"
        assert _held(node, manifest) and _held(node, str(vectors))

        run_cli(publisher, "set", "init", "big", "--key", "ann")
        run_cli(publisher, "set", "add", "big", manifest)
        index = run_cli(publisher, "set", "publish", "big", "--to-node", addr).stdout.decode().strip()
        _gc(node)
        recursive = node.ipfs("pin", "ls", "--type=recursive", "-q").stdout.decode().split()
        assert index in recursive and str(built.cid) in recursive and manifest in recursive
        assert str(vectors) in node.ipfs("pin", "ls", "--type=direct", "-q").stdout.decode().split()

        # fresh homes, each fetching only from that node: its RPC API, then its gateway
        blob = node.ipfs("block", "put", "--cid-codec", "git-raw", "--mhtype", "sha1", input=GIT_BLOB).stdout.decode()
        for option, where in (("--node", addr), ("--gateway", node.gateway_url)):
            user = tmp_path / f"user{option}"
            run_cli(user, "init", "--no-default-set")
            pinned = run_cli(user, "pin", "add", index, option, where, check=False)
            assert pinned.returncode == 0, pinned.stderr.decode()
            decoded = json.loads(run_cli(user, "decode", blob.strip(), option, where).stdout)
            assert decoded == {"/": {"bytes": "YmxvYiA2AGhlbGxvCg"}}
    finally:
        node.stop()
