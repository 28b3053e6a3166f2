"""A home for the explorer tests: a pinned extension set and real data of several codecs.

- The set "explorer" is published here with a fresh key from the modules in wasm-src
  (git-raw, eth-block, eth-tx-trie, eth-tx, keccak-256), exported and pinned, so the
  explorer's provenance (module, version, publisher DID, set) is that of a real pinned set.
- A git repository made with git (a commit whose tree holds a folder and files); every
  object is stored as a git-raw block (sha1 CIDs: git's own object ids).
- Ethereum mainnet block 14764013 (fixtures/eth, real data): the header and every node of its
  transaction trie, keccak-256 CIDs equal to the chain's hashes.
- A UnixFS folder added with ``autocodec.unixfs``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocodec import CID

REPO = Path(__file__).resolve().parents[1]
WASM_SRC = REPO / "wasm-src"
MODULES = ("git-raw", "eth-block", "eth-tx-trie", "eth-tx", "keccak-256")


@dataclass
class ExplorerWorld:
    home: Path
    publisher_did: str
    commit: CID
    tree: CID
    blob_name: str
    blob: CID
    eth_header: CID
    tx_root: CID
    folder: CID
    transactions: list[bytes] = field(default_factory=list, repr=False)


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env).stdout


def _git_objects(tmp: Path) -> tuple[list[tuple[CID, bytes]], str]:
    repo = tmp / "repo"
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
           "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "docs").mkdir()
    (repo / "README.md").write_text("# explorer test\n")
    (repo / "docs" / "guide.txt").write_text("a guide\n")
    _git(repo, "add", ".", env=env)
    _git(repo, "commit", "-qm", "first commit", env=env)
    head = _git(repo, "rev-parse", "HEAD").decode().strip()
    out = []
    for oid in {o for o in _git(repo, "rev-list", "--objects", "--all").decode().split() if len(o) == 40}:
        kind = _git(repo, "cat-file", "-t", oid).decode().strip()
        body = _git(repo, "cat-file", kind, oid)
        out.append((CID.build(0x78, b"\x11\x14" + bytes.fromhex(oid)), f"{kind} {len(body)}\0".encode() + body))
    return out, head


def _eth_corpus() -> Any:
    spec = importlib.util.spec_from_file_location("eth_corpus_explorer", REPO / "fixtures" / "eth" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def build(tmp: Path) -> ExplorerWorld:
    from autocodec.registry import Runtime, add_manifest, export_set, init_set, pin_add, publish_module, publish_set
    from autocodec.unixfs import add_path
    from autocodec.verify import KeyRing

    bundle = tmp / "explorer-set.car"
    with Runtime(tmp / "publisher", default_set=False) as publisher:
        key = KeyRing(publisher.home.keys_dir).generate("explorer")
        init_set(publisher, "explorer", [key], ["explorer"])
        for name in MODULES:
            published = publish_module(publisher, WASM_SRC / name / f"{name}.wasm", key)
            add_manifest(publisher, "explorer", published.manifest_cid)
        publish_set(publisher, "explorer", [key])
        export_set(publisher, "explorer", bundle)
        did = key.did

    home = tmp / "home"
    objects, head = _git_objects(tmp)
    corpus = _eth_corpus()
    block = corpus.load(14764013)
    folder = tmp / "folder"
    (folder / "inner").mkdir(parents=True)
    (folder / "hello.txt").write_text("hello from the explorer\n")
    (folder / "inner" / "data.json").write_text('{"a": 1}\n')
    with Runtime(home, default_set=False) as runtime:
        pin_add(runtime, str(bundle))
        for cid, data in objects:
            runtime.store.put(cid, data)
        header = runtime.put(block.header, "eth-block", "keccak-256")
        assert header.digest == block.hash
        for node in block.tx_trie.nodes.values():
            runtime.put(node, "eth-tx-trie", "keccak-256")
        tx_root = CID.build(0x92, bytes([0x1B, 32]) + block.tx_trie.root)
        root = add_path(runtime.store, folder, recursive=True)[-1].cid
        commit = CID.build(0x78, b"\x11\x14" + bytes.fromhex(head))
        commit_node = runtime.decode(commit)
        tree = commit_node["tree"]
        tree_node = runtime.decode(tree)
        blob_name = "README.md"
        blob = _tree_entry(tree_node, blob_name)
    return ExplorerWorld(home, did, commit, tree, blob_name, blob, header, tx_root, root,
                         list(block.transactions))


def _tree_entry(tree: Any, name: str) -> CID:
    """The CID of ``name`` in a decoded git tree (go-ipld-git: a map name -> {mode, hash})."""
    entry = tree[name]
    found: CID = entry["hash"]
    return found
