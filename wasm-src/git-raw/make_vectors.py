#!/usr/bin/env python3
"""Regenerate ``fixtures/git/`` and ``wasm-src/git-raw/vectors.json`` from a real git repository.

The repository is the deterministic one of tests/test_mod_git.py (fixed names, dates and
environment, made with the real ``git`` binary), so the object ids are stable.  Expected
values are the module's own output, pinned as regression vectors; the tests check those
values against git's view independently.

Usage: ``python wasm-src/git-raw/make_vectors.py`` (from the repository root).
"""

from __future__ import annotations

import json
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from autocodec.builtin import encode  # noqa: E402
from autocodec.loader import Sandbox  # noqa: E402
from tests.test_mod_git import EMPTY_TREE, block_of, build_repo, link  # noqa: E402

KEEP = (
    "root_tree", "subtree", "blob_bin", "blob_empty", "octopus", "tag", "latin1", "gpgsig",
    "mergetag", "no_author", "extra_headers", "out_of_order", "no_message", "tag_no_tagger",
    "unsorted_tree", "dup_tree", "empty_tree", "gitlink_tree", "odd_ident", "tag_of_tree",
)
BAD_BLOCKS = (
    b"", b"blob 3\0ab", b"blob 03\0abc", b"blobby 0\0", b"tree 6\x00100644",
    zlib.compress(block_of("blob", b"hello\n")),
    block_of("tree", b"100644 a\0" + bytes(19)), block_of("tree", b"100644a\0" + bytes(20)),
    block_of("commit", f"tree {EMPTY_TREE[:-1]}\n\n".encode()),
    block_of("commit", f"tree {EMPTY_TREE}\nparent 1234\n\n".encode()),
    block_of("commit", b"author x <y> 1 +0000\n\n"),
    block_of("tag", b"type commit\ntag x\n\n"),
)
BAD_VALUES = (
    1, None, b"hello\n", {"a": {"mode": "100 644", "hash": link(EMPTY_TREE)}},
    {"a": {"mode": b"100644", "hash": link(EMPTY_TREE)}},
    {"tree": link(EMPTY_TREE), "author": {"name": "a\nb", "email": "e", "date": "1", "timezone": "+0000"}},
    {"tree": link(EMPTY_TREE), "other": ["x\ny"]},
)


def main() -> None:
    codec = Sandbox().load((HERE / "git-raw.wasm").read_bytes()).codec()
    fixtures = REPO / "fixtures" / "git"
    fixtures.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        repo, named = build_repo(Path(tmp) / "repo")
        index: dict[str, dict[str, str]] = {}
        cases: list[dict[str, object]] = []
        for name in KEEP:
            oid = named[name]
            kind, block = repo.block(oid)
            (fixtures / f"{oid}.obj").write_bytes(block)
            index[oid] = {"type": kind, "name": name}
            cases.append({"decode": block, "expect": codec.decode(block)})
    # Tree modes git refuses and Kubo 0.43.1 (go-ipld-git: the mode is what precedes the first
    # space) decodes and puts back to the same CID: kept as they are (measured).
    for mode in (b"99", b"100648", b"", b"1006$4", b"1\0x", b"1\n2", b"\xff9", b"1000040000"):
        block = block_of("tree", mode + b" a\0" + bytes(20))
        cases.append({"decode": block, "expect": codec.decode(block)})
    cases += [{"decode": b, "error": True} for b in BAD_BLOCKS]
    cases += [{"encode": v, "error": True} for v in BAD_VALUES]
    (fixtures / "objects.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    (HERE / "vectors.json").write_bytes(encode({"kind": "codec", "cases": cases}, "dag-json") + b"\n")


if __name__ == "__main__":
    main()
