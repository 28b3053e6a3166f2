"""git-raw against Kubo v0.43.1 on git objects the other git tests do not use.

The reference is Kubo itself (``block/put --cid-codec git-raw --mhtype sha1``, then ``dag/get``),
compared object by object with ``compare`` of tests/_git_kubo_compare.py (same documented extensions).
The objects:

- go-ipld-git's own test repository (``testdata.tar.gz`` of the version Kubo's build fetched into
  the Go module cache: the reference's fixtures, made by its make-test-repo.sh with git);
- this checkout's whole history (commits and tags of every ref; test_git_kubo.py reads the last
  100 commits only);
- objects made here with git (``commit-tree``, ``mktree``, ``tag``, ``hash-object --literally``)
  that the corpus of tests/_git_corpus.py lacks: a three-level tag chain, tags of a blob and of
  the empty tree, the empty tree itself, a commit with 20 parents, Shift-JIS and UTF-16
  ``encoding`` headers, ``gpgsig-sha256``, GitHub's web-flow signature shape (a blank
  continuation line after the armour), odd file modes (100664, 100600, 644, 0100644), gitlinks to
  missing commits, long and odd names, odd dates and time zones, identities with ``>`` or empty
  emails, tags of type blob and tag with and without messages, blobs of size 0 and of NULs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from autocodec.loader._adapters import Codec
from tests import _git_corpus
from tests._git_corpus import EMPTY_TREE, Git, _base_env, cat_objects
from tests._kubo import KuboRepo
from tests._git_kubo_compare import compare

from .conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary"),
]

IDENT = "Ada Lovelace <ada@example.org> 1700000000 +0100"


codec = _git_corpus.codec  # the git-raw module


def _go_ipld_git_testdata(tmp: Path) -> dict[str, tuple[str, bytes]]:
    gomodcache = os.environ.get("GOMODCACHE") or str(Path(os.environ.get("GOPATH", Path.home() / "go")) / "pkg" / "mod")
    found = sorted(glob.glob(f"{gomodcache}/github.com/ipfs/go-ipld-git@*/testdata.tar.gz"))
    if not found:
        return {}
    with tarfile.open(found[-1]) as tar:
        tar.extractall(tmp / "go-ipld-git", filter="data")
    return cat_objects(tmp / "go-ipld-git")


def _own_history() -> dict[str, tuple[str, bytes]]:
    """Every commit and annotated tag reachable from this checkout's refs."""
    listed = subprocess.run(["git", "-C", str(REPO), "rev-list", "--all"], capture_output=True, check=False)
    tags = subprocess.run(["git", "-C", str(REPO), "for-each-ref", "--format=%(objectname) %(objecttype)", "refs/tags"],
                          capture_output=True, check=False)
    if listed.returncode:
        return {}
    oids = listed.stdout.decode().split() + [line.split()[0] for line in tags.stdout.decode().splitlines()
                                             if line.endswith(" tag")]
    return cat_objects(REPO, sorted(set(oids)))


def _made_here(root: Path) -> tuple[dict[str, tuple[str, bytes]], dict[str, str]]:
    env = _base_env(root)
    g = Git(root / "odd", env)
    named: dict[str, str] = {}
    g.write("a.txt", b"a\n")
    g.write("empty", b"")
    g.write("nuls", bytes(64))
    base = g.commit("base")
    blob = g.oid("rev-parse", "HEAD:a.txt")
    tree = g.oid("rev-parse", "HEAD^{tree}")
    named["empty_tree"] = g.oid("mktree", stdin=b"")
    assert named["empty_tree"] == EMPTY_TREE
    named["empty_tree_commit"] = g.oid("commit-tree", EMPTY_TREE, "-m", "nothing", stdin=None)
    parents = []
    for i in range(20):
        parents += ["-p", g.oid("commit-tree", tree, "-p", base, "-m", f"side {i}")]
    named["twenty_parents"] = g.oid("commit-tree", tree, *parents, "-m", "twenty parents")
    g("tag", "-a", "t1", "-m", "level one", base)
    g("tag", "-a", "t2", "-m", "level two", "t1")
    g("tag", "-a", "t3", "-m", "", "t2")
    named["tag3"] = g.oid("rev-parse", "t3")
    g("tag", "-a", "blobtag", "-m", "a blob", blob)
    g("tag", "-a", "emptytreetag", "-m", "the empty tree", EMPTY_TREE)
    for enc, text in (("SHIFT_JIS", "日本語のコミット\n\n本文\n"), ("EUC-JP", "日本\n")):
        msg = root / f"{enc}.txt"
        msg.write_bytes(text.encode(enc.lower().replace("_", "-")))
        g("-c", f"i18n.commitEncoding={enc}", "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", str(msg))
        named[f"encoding_{enc}"] = g.oid("rev-parse", "HEAD")
    t = f"tree {tree}\nparent {base}\n"
    sig = ("-----BEGIN PGP SIGNATURE-----\n \n wsFcBAABCAAQBQJp/htgCRC1aQ7uu5UhlAAAexsQADP28qLaa95+PNt2a7YzJyCB\n"
           " =x9E4\n -----END PGP SIGNATURE-----\n")
    commits = {
        "gpgsig_sha256": f"{t}author {IDENT}\ncommitter {IDENT}\ngpgsig-sha256 {sig}\nm\n",
        "both_sigs": f"{t}author {IDENT}\ncommitter {IDENT}\ngpgsig {sig}gpgsig-sha256 {sig}\nm\n",
        "web_flow": f"{t}author {IDENT}\ncommitter GitHub <noreply@github.com> 1778260832 +0300\ngpgsig {sig} \n\nm\n",
        "tz_odd": f"{t}author A <a@b> 1700000000 +1400\ncommitter C <c@d> 0 -0000\n\nm\n",
        "tz_short": f"{t}author A <a@b> 1700000000 +05\ncommitter C <c@d> 1700000000 +05300\n\nm\n",
        "date_zeros": f"{t}author A <a@b> 0001700000000 +0100\ncommitter C <c@d> 99999999999999999999 +0000\n\nm\n",
        "date_negative": f"{t}author A <a@b> -1 +0000\ncommitter {IDENT}\n\nm\n",
        "empty_email": f"{t}author A <> 1 +0000\ncommitter <> 1 +0000\n\nm\n",
        "gt_in_name": f"{t}author A > B <a@b> 1 +0000\ncommitter C <c <d> 1 +0000\n\nm\n",
        "spaces_email": f"{t}author A B C <a b c@d e> 1 +0000\ncommitter {IDENT}\n\nm\n",
        "message_newlines": f"{t}author {IDENT}\ncommitter {IDENT}\n\n\n\n",
        "message_no_newline": f"{t}author {IDENT}\ncommitter {IDENT}\n\nno newline at the end",
        "message_nul": f"{t}author {IDENT}\ncommitter {IDENT}\n\nnul \0 inside\n",
        "cr_in_header": f"{t}author A\r <a@b> 1 +0000\ncommitter {IDENT}\nx-cr a\rb\n\nm\n",
        "mergetag_of_tag": f"{t}author {IDENT}\ncommitter {IDENT}\nmergetag object {named['tag3']}\n type tag\n tag t4\n"
                           f" tagger {IDENT}\n \n tag of a tag, merged\n\nm\n",
        "parent_after_author": f"tree {tree}\nauthor {IDENT}\nparent {base}\ncommitter {IDENT}\n\nm\n",
        "encoding_first": f"encoding UTF-8\n{t}author {IDENT}\ncommitter {IDENT}\n\nm\n",
    }
    for name, body in commits.items():
        named[name] = g.literal("commit", body.encode())
    named["encoding_UTF-16"] = g.literal(  # git refuses to write it (a NUL byte in the message)
        "commit", f"{t}author {IDENT}\ncommitter {IDENT}\nencoding UTF-16\n\n".encode() + "wide\n".encode("utf-16"))
    tags = {
        "tag_type_blob": f"object {blob}\ntype blob\ntag b\ntagger {IDENT}\n\nblob tag\n",
        "tag_type_tag_nomsg": f"object {named['tag3']}\ntype tag\ntag c\ntagger {IDENT}\n",
        "tag_no_date": f"object {base}\ntype commit\ntag d\ntagger Ada <ada@example.org>\n\nm\n",
        "tag_blank_lines": f"object {base}\ntype commit\ntag e\ntagger {IDENT}\n\n\n\nm\n\n\n",
        "tag_no_newline": f"object {base}\ntype commit\ntag f\ntagger {IDENT}\n\nend",
        "tag_empty_name": f"object {base}\ntype commit\ntag \ntagger {IDENT}\n\nm\n",
    }
    for name, body in tags.items():
        named[name] = g.literal("tag", body.encode())
    h = bytes.fromhex(blob)
    missing = bytes.fromhex("deadbeef" * 5)
    trees = {
        "modes_old": b"100664 group\0" + h + b"100600 private\0" + h + b"644 short\0" + h,
        "mode_padded": b"0100644 padded\0" + h + b"040000 sub\0" + bytes.fromhex(tree),
        "gitlink_missing": b"100644 a\0" + h + b"160000 module\0" + missing,
        "names_odd": b"100644  lead\0" + h + b"100644 =\0" + h + b"100644 a\nb\0" + h + b"100644 " + b"n" * 255 + b"\0" + h,
        "names_nfd": "100644 cafe\u0301\0".encode() + h + "100644 caf\u00e9\0".encode() + h,
        "symlink_and_exec": b"100755 run\0" + h + b"120000 to\0" + h,
    }
    for name, body in trees.items():
        named[name] = g.literal("tree", body)
    named["blob_nuls"] = g.oid("rev-parse", "HEAD:nuls")
    named["blob_empty"] = g.oid("rev-parse", "HEAD:empty")
    return g.objects(), named


def test_go_ipld_git_testdata_agrees_with_kubo(codec: Codec, kubo_node: KuboRepo, tmp_path: Path) -> None:
    objects = _go_ipld_git_testdata(tmp_path)
    if not objects:
        pytest.skip("go-ipld-git is not in the Go module cache (Kubo not built from source here)")
    tally = compare(objects, codec, kubo_node)
    print("\ngit-raw vs Kubo, go-ipld-git testdata:", dict(sorted(tally.items())))
    assert tally["agree with kubo"] == len(objects) >= 20


def test_whole_history_agrees_with_kubo(codec: Codec, kubo_node: KuboRepo) -> None:
    objects = _own_history()
    if not objects:
        pytest.skip("not a git checkout")
    tally = compare(objects, codec, kubo_node)
    print("\ngit-raw vs Kubo, this checkout's commits and tags:", dict(sorted(tally.items())))
    assert tally["decoded"] == len(objects)


def test_odd_objects_made_here_agree_with_kubo(codec: Codec, kubo_node: KuboRepo, tmp_path: Path) -> None:
    objects, named = _made_here(tmp_path)
    assert set(named.values()) <= set(objects)
    tally = compare(objects, codec, kubo_node)
    print("\ngit-raw vs Kubo, odd objects made here:", dict(sorted(tally.items())))
    assert tally["decoded"] == len(objects) > 50


def test_other_repositories_agree_with_kubo(codec: Codec, kubo_node: KuboRepo) -> None:
    """Every object of the repositories named in ``AUTOCODEC_TEST_GIT_REPOS`` (paths joined by
    ``os.pathsep``): real repositories of the machine, when someone names them."""
    paths = [Path(p) for p in os.environ.get("AUTOCODEC_TEST_GIT_REPOS", "").split(os.pathsep) if p]
    if not paths:
        pytest.skip("AUTOCODEC_TEST_GIT_REPOS names no repository")
    objects: dict[str, tuple[str, bytes]] = {}
    for path in paths:
        objects.update(cat_objects(path))
    tally = compare(objects, codec, kubo_node)
    print("\ngit-raw vs Kubo, other repositories:", dict(sorted(tally.items())))
    assert tally["decoded"] == len(objects)
