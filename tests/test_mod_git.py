"""The git-raw Wasm codec (wasm-src/git-raw) against objects made by the real ``git`` binary.

A repository is built deterministically (fixed names, dates, environment) with subtrees,
executable files, symlinks, a non-UTF-8 file name, an octopus merge, an annotated tag, a
non-UTF-8 author with ``i18n.commitEncoding``; odd objects git accepts but does not write
itself (gpgsig and mergetag headers, no author, extra and out-of-order headers, no trailing
newline, unsorted trees, tags without tagger) are stored with ``git hash-object --literally``.
Every object is read back with ``git cat-file``, its block's sha1 checked against the oid,
decoded in the sandbox, compared with git's own view, and re-encoded to the identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.errors import AutocodecError, GuestError, InvalidBlock, SandboxError
from .conftest import FIXTURES, WASM_SRC

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")

GIT_RAW = 0x78
WASM = WASM_SRC / "git-raw" / "git-raw.wasm"
SIG = (
    "-----BEGIN PGP SIGNATURE-----\n"
    "\n"
    "iQEzBAABCAAdFiEEexampleexampleexampleexampleAAoJEexample\n"
    "=abcd\n"
    "-----END PGP SIGNATURE-----"
)
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
SUBMODULE = "deadbeef" * 5


def link(oid: str) -> CID:
    return CID.build(GIT_RAW, b"\x11\x14" + bytes.fromhex(oid))


def block_of(kind: str, body: bytes) -> bytes:
    return f"{kind} {len(body)}\0".encode() + body


# --- the repository ---------------------------------------------------------------------------


class Repo:
    """A throw-away git repository driven through the real binary, isolated from user config."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env: dict[bytes, bytes] = {
            b"PATH": os.environb.get(b"PATH", b"/usr/bin:/bin"),
            b"HOME": bytes(path),
            b"GIT_CONFIG_NOSYSTEM": b"1",
            b"GIT_CONFIG_GLOBAL": b"/dev/null",
            b"GIT_AUTHOR_NAME": b"Ada Lovelace",
            b"GIT_AUTHOR_EMAIL": b"ada@example.org",
            b"GIT_AUTHOR_DATE": b"1700000000 +0100",
            b"GIT_COMMITTER_NAME": b"Charles Babbage",
            b"GIT_COMMITTER_EMAIL": b"cb@example.org",
            b"GIT_COMMITTER_DATE": b"1700000100 -0530",
            b"LC_ALL": b"C",
        }
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str | bytes, stdin: bytes | None = None, env: dict[bytes, bytes] | None = None) -> bytes:
        run_env = {**self.env, **(env or {})}
        proc = subprocess.run(
            ["git", *args], cwd=self.path, input=stdin, capture_output=True, env=run_env, check=True
        )
        return proc.stdout

    def oid(self, *args: str, stdin: bytes | None = None) -> str:
        return self.git(*args, stdin=stdin).decode().strip()

    def write(self, rel: str | bytes, data: bytes, mode: int = 0o644) -> None:
        p = Path(os.fsdecode(bytes(self.path) + b"/" + (rel if isinstance(rel, bytes) else rel.encode())))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        p.chmod(mode)

    def commit(self, message: str, **env: bytes) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env={k.encode(): v for k, v in env.items()})
        return self.oid("rev-parse", "HEAD")

    def store(self, kind: str, body: bytes) -> str:
        """Write an object git would not make itself (checks skipped); returns its oid."""
        return self.oid("hash-object", "-t", kind, "--literally", "-w", "--stdin", stdin=body)

    def block(self, oid: str) -> tuple[str, bytes]:
        kind = self.oid("cat-file", "-t", oid)
        return kind, block_of(kind, self.git("cat-file", kind, oid))


def build_repo(path: Path) -> tuple[Repo, dict[str, str]]:
    """Make the repository; returns it and named oids of its interesting objects."""
    r = Repo(path)
    named: dict[str, str] = {}
    r.write("README.md", b"# demo\n")
    r.write("bin/run.sh", b"#!/bin/sh\necho run\n", 0o755)
    r.write("src/deep/er/file.txt", b"deep\n")
    r.write("foo.txt", b"f\n")
    r.write("foo-bar", b"fb\n")
    r.write("foo/inner", b"i\n")  # git order: foo-bar, foo.txt, foo/ ; map order differs
    r.write("data.bin", bytes(range(256)) * 3)
    r.write("empty", b"")
    os.symlink("README.md", path / "link")
    r.write(b"caf\xe9.txt", b"latin-1 name\n")  # not UTF-8: the tree becomes a list
    named["root_commit"] = r.commit("initial\n\nwith a body\n")
    named["root_tree"] = r.oid("rev-parse", "HEAD^{tree}")
    named["blob_bin"] = r.oid("rev-parse", "HEAD:data.bin")
    named["blob_empty"] = r.oid("rev-parse", "HEAD:empty")
    named["subtree"] = r.oid("rev-parse", "HEAD:src")

    for b in ("b1", "b2", "b3"):
        r.git("checkout", "-q", "-b", b, "main")
        r.write(f"{b}.txt", f"{b}\n".encode())
        r.commit(f"branch {b}")
    r.git("checkout", "-q", "main")
    r.write("main.txt", b"main\n")
    r.commit("on main")
    r.git("merge", "-q", "--no-edit", "b1", "b2", "b3")
    named["octopus"] = r.oid("rev-parse", "HEAD")

    r.git("tag", "-a", "v1.0", "-m", "release 1.0\n\nnotes")
    named["tag"] = r.oid("rev-parse", "v1.0")

    latin = "Ren\xe9e \xc5str\xf6m".encode("latin-1")
    msg = path / "msg.txt"
    msg.write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))
    r.write("latin.txt", b"x\n")
    r.git("add", "-A")
    r.git(
        "-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", str(msg),
        env={b"GIT_AUTHOR_NAME": latin},
    )
    named["latin1"] = r.oid("rev-parse", "HEAD")
    head = named["latin1"]
    tree = r.oid("rev-parse", "HEAD^{tree}")

    ident = "Ada Lovelace <ada@example.org> 1700000000 +0100"
    folded = SIG.replace("\n", "\n ")
    named["gpgsig"] = r.store(
        "commit",
        f"tree {tree}\nparent {head}\nauthor {ident}\ncommitter {ident}\ngpgsig {folded}\n\nsigned\n".encode(),
    )
    tag_body = r.git("cat-file", "tag", named["tag"])
    mergetag = tag_body.rstrip(b"\n").replace(b"\n", b"\n ")
    named["mergetag"] = r.store(
        "commit",
        f"tree {tree}\nparent {head}\nparent {named['octopus']}\nauthor {ident}\ncommitter {ident}\n".encode()
        + b"mergetag " + mergetag + b"\n\nMerge tag 'v1.0'\n",
    )
    named["no_author"] = r.store("commit", f"tree {tree}\ncommitter {ident}\n\nno author".encode())
    named["extra_headers"] = r.store(
        "commit",
        f"tree {tree}\nauthor {ident}\ncommitter {ident}\nencoding UTF-8\nHG:extra rebase_source:abc\n"
        f"HG:rename-source hg\n\nfrom hg\n".encode(),
    )
    named["out_of_order"] = r.store(
        "commit",
        f"tree {tree}\ncommitter {ident}\nauthor {ident}\ngpgsig {folded}\nencoding UTF-8\n\nodd\n".encode(),
    )
    named["odd_ident"] = r.store(
        "commit", f"tree {tree}\nauthor broken ident without email\ncommitter {ident}\n\nx\n".encode()
    )
    named["no_message"] = r.store("commit", f"tree {EMPTY_TREE}\nauthor {ident}\ncommitter {ident}\n".encode())
    named["tag_no_tagger"] = r.store(
        "tag", f"object {head}\ntype commit\ntag ancient\n\nno tagger here\n".encode()
    )
    named["tag_of_tree"] = r.store("tag", f"object {tree}\ntype tree\ntag t\ntagger {ident}\n\n".encode())
    blob = bytes.fromhex(named["blob_empty"])
    named["unsorted_tree"] = r.store(
        "tree", b"100644 b\0" + blob + b"100644 a\0" + blob + b"040000 old-style\0" + bytes.fromhex(tree)
    )
    named["dup_tree"] = r.store("tree", b"100644 a\0" + blob + b"40000 a\0" + bytes.fromhex(tree))
    named["empty_tree"] = r.store("tree", b"")
    named["gitlink_tree"] = r.oid(  # a submodule entry: a link to a commit of another repository
        "mktree", stdin=f"160000 commit {SUBMODULE}\tvendored\n100644 blob {named['blob_empty']}\tz\n".encode()
    )
    return r, named


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    return build_repo(tmp_path_factory.mktemp("gitrepo") / "repo")


@pytest.fixture(scope="module")
def codec():
    from autocodec.loader import Sandbox

    return Sandbox().load(WASM.read_bytes()).codec()


def all_blocks(r: Repo, named: dict[str, str]) -> dict[str, tuple[str, bytes]]:
    listed = r.git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").decode().split()
    return {oid: r.block(oid) for oid in sorted(set(listed) | set(named.values()))}


# --- every object: sha1, decode, git's view, exact round trip --------------------------------------


def test_every_object_round_trips(repo, codec) -> None:
    r, named = repo
    blocks = all_blocks(r, named)
    kinds = {kind for kind, _ in blocks.values()}
    assert kinds == {"blob", "tree", "commit", "tag"}
    for oid, (kind, block) in blocks.items():
        assert hashlib.sha1(block).hexdigest() == oid
        value = codec.decode(block)
        assert codec.encode(value) == block, (kind, oid)
        assert set(codec.links(block)) == set(expected_links(value)), oid


def expected_links(value) -> list[CID]:
    out: list[CID] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, CID):
            out.append(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


def test_blobs_are_their_content(repo, codec) -> None:
    r, named = repo
    for name in ("blob_bin", "blob_empty"):
        kind, block = r.block(named[name])
        assert codec.decode(block) == r.git("cat-file", "blob", named[name])
        assert codec.links(block) == []


def ls_tree(r: Repo, oid: str) -> list[tuple[int, str, bytes]]:
    out = []
    for rec in r.git("ls-tree", "-z", oid).split(b"\0"):
        if rec:
            meta, name = rec.split(b"\t", 1)
            mode, _kind, entry = meta.split(b" ")
            out.append((int(mode, 8), entry.decode(), name))
    return out


def test_trees_match_ls_tree(repo, codec) -> None:
    r, named = repo
    sub = codec.decode(r.block(named["subtree"])[1])
    assert sub == {"deep": {"mode": "40000", "hash": link(r.oid("rev-parse", f"{named['root_commit']}:src/deep"))}}
    # The root tree has a non-UTF-8 name, so it is a list in git's stored order.
    root = codec.decode(r.block(named["root_tree"])[1])
    assert isinstance(root, list)
    expected = ls_tree(r, named["root_tree"])
    assert [(int(e["mode"], 8), e["hash"], e["name"] if isinstance(e["name"], bytes) else e["name"].encode())
            for e in root] == [(m, link(h), n) for m, h, n in expected]
    modes = {e["name"]: e["mode"] for e in root}
    assert modes["bin"] == "40000" and modes["link"] == "120000" and modes["README.md"] == "100644"
    assert modes[b"caf\xe9.txt"] == "100644"
    bin_tree = codec.decode(r.block(r.oid("rev-parse", f"{named['root_commit']}:bin"))[1])
    assert bin_tree["run.sh"]["mode"] == "100755"


def test_tree_map_form_uses_git_order_on_encode(repo, codec) -> None:
    r, named = repo
    tree = r.oid("rev-parse", "main^{tree}")
    kind, block = r.block(tree)
    value = codec.decode(block)
    # main's tree still holds the latin-1 name; rebuild it without that entry as a map
    entries = {e["name"]: {"mode": e["mode"], "hash": e["hash"]} for e in value if isinstance(e["name"], str)}
    made = codec.encode(entries)
    oid = r.store("tree", made[made.index(b"\0") + 1 :])
    assert hashlib.sha1(made).hexdigest() == oid
    names = [n for _, _, n in ls_tree(r, oid)]
    assert names.index(b"foo-bar") < names.index(b"foo.txt") < names.index(b"foo")
    # git's own sort (mktree) of the same entries, fed in reverse, gives the same object
    listing = r.git("ls-tree", "-z", oid).split(b"\0")[:-1]
    assert r.oid("mktree", "-z", stdin=b"\0".join(reversed(listing)) + b"\0") == oid


def test_submodule_entries_are_links(repo, codec) -> None:
    r, named = repo
    block = r.block(named["gitlink_tree"])[1]
    assert codec.decode(block) == {
        "vendored": {"mode": "160000", "hash": link(SUBMODULE)},
        "z": {"mode": "100644", "hash": link(named["blob_empty"])},
    }
    # links come in the decoded value's order (DAG-CBOR map keys: shorter first)
    assert codec.links(block) == [link(named["blob_empty"]), link(SUBMODULE)]


def test_odd_trees_are_lists_in_stored_order(repo, codec) -> None:
    r, named = repo
    unsorted = codec.decode(r.block(named["unsorted_tree"])[1])
    assert [e["name"] for e in unsorted] == ["b", "a", "old-style"]
    assert unsorted[2]["mode"] == "040000"
    dup = codec.decode(r.block(named["dup_tree"])[1])
    assert [(e["name"], e["mode"]) for e in dup] == [("a", "100644"), ("a", "40000")]
    assert codec.decode(r.block(named["empty_tree"])[1]) == {}


def git_fields(r: Repo, oid: str, fmt: str) -> list[bytes]:
    return r.git("log", "-1", "--encoding=none", f"--format={fmt}", oid).rstrip(b"\n").split(b"\x1f")


def test_commits_match_git_log(repo, codec) -> None:
    r, named = repo
    for name in ("root_commit", "octopus", "latin1", "gpgsig", "mergetag"):
        oid = named[name]
        value = codec.decode(r.block(oid)[1])
        tree, parents, an, ae, at, cn, ce, ct, body = git_fields(
            r, oid, "%T\x1f%P\x1f%an\x1f%ae\x1f%at\x1f%cn\x1f%ce\x1f%ct\x1f%B"
        )
        enc = value.get("encoding", "UTF-8")

        def as_bytes(s: str | bytes) -> bytes:  # as git log shows it: re-encoded to UTF-8
            return s.decode(enc).encode() if isinstance(s, bytes) else s.encode()

        assert value["tree"] == link(tree.decode())
        assert value["parents"] == [link(p) for p in parents.decode().split()]
        assert as_bytes(value["author"]["name"]) == an and as_bytes(value["author"]["email"]) == ae
        assert value["author"]["date"].encode() == at
        assert as_bytes(value["committer"]["name"]) == cn and value["committer"]["date"].encode() == ct
        assert as_bytes(value["message"]).rstrip(b"\n") == body.rstrip(b"\n")
    assert len(codec.decode(r.block(named["octopus"])[1])["parents"]) == 4


def test_non_utf8_commit_is_faithful(repo, codec) -> None:
    r, named = repo
    value = codec.decode(r.block(named["latin1"])[1])
    assert value["encoding"] == "ISO-8859-1"
    assert value["author"]["name"] == "Ren\xe9e \xc5str\xf6m".encode("latin-1")
    assert value["message"] == "caf\xe9 cr\xe8me\n".encode("latin-1")
    assert value["committer"] == {
        "name": "Charles Babbage", "email": "cb@example.org", "date": "1700000100", "timezone": "-0530"
    }


def test_signature_and_mergetag(repo, codec) -> None:
    r, named = repo
    signed = codec.decode(r.block(named["gpgsig"])[1])
    assert signed["signature"] == SIG and signed["other"] == [] and signed["mergetag"] == []
    merged = codec.decode(r.block(named["mergetag"])[1])
    tag = codec.decode(r.block(named["tag"])[1])
    assert merged["mergetag"] == [tag]  # the embedded tag decodes like the tag object itself
    assert link(named["tag"]) not in codec.links(r.block(named["mergetag"])[1])
    assert tag["object"] in codec.links(r.block(named["mergetag"])[1])


def test_tags_match_git(repo, codec) -> None:
    r, named = repo
    tag = codec.decode(r.block(named["tag"])[1])
    assert tag["object"] == link(r.oid("rev-parse", "v1.0^{}"))
    assert tag["type"] == "commit" and tag["tag"] == "v1.0"
    assert tag["tagger"]["name"] == "Charles Babbage" and tag["message"] == "release 1.0\n\nnotes\n"
    assert codec.links(r.block(named["tag"])[1]) == [tag["object"]]
    old = codec.decode(r.block(named["tag_no_tagger"])[1])
    assert "tagger" not in old and old["message"] == "no tagger here\n"
    assert codec.decode(r.block(named["tag_of_tree"])[1])["message"] == ""


def test_odd_commits_keep_headers_verbatim(repo, codec) -> None:
    r, named = repo
    no_author = codec.decode(r.block(named["no_author"])[1])
    assert "author" not in no_author and no_author["message"] == "no author"
    extra = codec.decode(r.block(named["extra_headers"])[1])
    assert extra["encoding"] == "UTF-8"
    assert extra["other"] == ["HG:extra rebase_source:abc", "HG:rename-source hg"]
    odd = codec.decode(r.block(named["out_of_order"])[1])
    assert "author" not in odd and odd["committer"]["name"] == "Ada Lovelace"
    assert odd["other"][0].startswith("author ") and odd["other"][1].startswith("gpgsig -----BEGIN")
    assert odd["other"][2] == "encoding UTF-8"
    ident = codec.decode(r.block(named["odd_ident"])[1])
    # once a header goes verbatim, so do all after it (that keeps their order)
    assert ident["other"][0] == "author broken ident without email" and "committer" not in ident
    assert ident["other"][1].startswith("committer Ada")
    assert "message" not in codec.decode(r.block(named["no_message"])[1])


def test_encode_builds_objects_git_accepts(repo, codec) -> None:
    r, named = repo
    person = {"name": "Zoë", "email": "z@example.org", "date": "1700000200", "timezone": "+0000"}
    value = {
        "tree": link(EMPTY_TREE), "parents": [link(named["octopus"])], "author": person, "committer": person,
        "message": "made by the codec\n", "mergetag": [], "other": [],
    }
    block = codec.encode(value)
    # without --literally, git checks the object before writing it
    oid = r.oid("hash-object", "-t", "commit", "-w", "--stdin", stdin=block[block.index(b"\0") + 1 :])
    assert hashlib.sha1(block).hexdigest() == oid
    assert git_fields(r, oid, "%an\x1f%P") == ["Zoë".encode(), named["octopus"].encode()]
    assert codec.decode(block) == value
    assert codec.encode(b"hello\n") == b"blob 6\0hello\n"
    assert codec.encode(b"hello\n") == block_of("blob", r.git("cat-file", "blob", r.store("blob", b"hello\n")))


@pytest.mark.parametrize(
    "value",
    [
        1, "text", None, [1], [{"name": "a", "mode": "100644"}],
        {"a": {"mode": "100644", "hash": "not a link"}},
        {"a": {"mode": "100689", "hash": link(EMPTY_TREE)}},
        {"a": {"mode": "", "hash": link(EMPTY_TREE)}},
        {"a\0b": {"mode": "100644", "hash": link(EMPTY_TREE)}},
        {"a": {"mode": "100644", "hash": link(EMPTY_TREE), "extra": 1}},
        {"a": {"mode": "100644", "hash": CID.build(0x71, b"\x12\x20" + bytes(32))}},
        {"tree": link(EMPTY_TREE), "parents": [link(EMPTY_TREE)], "bogus": 1},
        {"tree": link(EMPTY_TREE), "author": {"name": "a<b", "email": "e", "date": "1", "timezone": "+0000"}},
        {"tree": link(EMPTY_TREE), "author": {"name": "a", "email": "e", "date": "x", "timezone": "+0000"}},
        {"tree": link(EMPTY_TREE), "author": {"name": "a", "email": "e", "date": "1", "timezone": "0000"}},
        {"tree": link(EMPTY_TREE), "encoding": "a\nb"},
        {"tree": link(EMPTY_TREE), "other": ["x\ny"]},
        {"tree": link(EMPTY_TREE), "other": [""]},
        {"tree": link(EMPTY_TREE), "mergetag": [{"object": link(EMPTY_TREE), "type": "t", "tag": "x",
                                               "message": "no newline"}]},
        {"object": link(EMPTY_TREE), "type": "tree"},
        {"object": link(EMPTY_TREE), "type": "tree", "tag": 5},
    ],
)
def test_encode_rejects_values_git_cannot_hold(codec, value) -> None:
    with pytest.raises(GuestError):
        codec.encode(value)


@pytest.mark.parametrize(
    ("block", "why"),
    [
        (b"", "no space"),
        (b"blob", "no space"),
        (b"blob 3", "no NUL"),
        (b"blob 3\0ab", "size mismatch"),
        (b"blob 03\0abc", "leading zero"),
        (b"blob -1\0", "not decimal"),
        (b"blobby 0\0", "unknown object type"),
        (b"tree 6\x00100644", "no space after the mode"),
        (block_of("tree", b"100644 a"), "no NUL"),
        (block_of("tree", b"100644 a\0" + bytes(19)), "hash shorter"),
        (block_of("tree", b"100648 a\0" + bytes(20)), "bad mode"),
        (block_of("tree", b" a\0" + bytes(20)), "bad mode"),
        (block_of("tree", b"10064400 a\0" + bytes(20)), "bad mode"),
        (block_of("commit", b""), "first header must be 'tree"),
        (block_of("commit", b"tree " + b"G" * 40 + b"\n\n"), "first header must be 'tree"),
        (block_of("commit", f"tree {EMPTY_TREE.upper()}\n\n".encode()), "first header must be 'tree"),
        (block_of("commit", f"tree {EMPTY_TREE}\nparent 1234\n\n".encode()), "bad parent"),
        (block_of("commit", f"tree {EMPTY_TREE}\nauthor x".encode()), "unterminated header"),
        (block_of("commit", f"tree {EMPTY_TREE}\ngpgsig a\n b".encode()), "unterminated header continuation"),
        (block_of("tag", b"type commit\ntag x\n\n"), "first header must be 'object"),
        (block_of("tag", f"object {EMPTY_TREE}\ntag x\ntype commit\n\n".encode()), "second header"),
    ],
)
def test_malformed_objects_are_invalid(codec, block: bytes, why: str) -> None:
    with pytest.raises(GuestError, match=why):
        codec.decode(block)
    with pytest.raises(GuestError):
        codec.links(block)


def mutations(blocks: list[bytes], rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        b = bytearray(rng.choice(blocks))
        op = rng.randrange(6)
        if op == 0 and b:
            del b[rng.randrange(len(b)) :]
        elif op == 1 and b:
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 2:
            b[rng.randrange(len(b) + 1) : rng.randrange(len(b) + 1)] = rng.randbytes(rng.randint(1, 8))
        elif op == 3:  # a header claiming another size
            nul = b.find(b"\0")
            kind = bytes(b[: b.find(b" ")]) if b" " in b else b"blob"
            size = rng.choice([0, 1, len(b), 2**31, 2**32 + 5, 10**18])
            b = bytearray(kind + b" %d\0" % size + b[nul + 1 :])
        elif op == 4:  # another object's body under this type
            other = rng.choice(blocks)
            body = other[other.index(b"\0") + 1 :]
            kind = rng.choice([b"tree", b"commit", b"tag", b"blob"])
            b = bytearray(kind + b" %d\0" % len(body) + body)
        else:
            b = bytearray(rng.randbytes(rng.randint(0, 64)))
        out.append(bytes(b))
    return out


def test_fuzz_mutated_objects(repo, codec) -> None:
    r, named = repo
    blocks = [b for _, b in all_blocks(r, named).values()]
    rng = random.Random(0x61C0DEC)
    inputs = mutations(blocks, rng, 3000)
    results = codec.decode_many(inputs)
    assert len(results) == len(inputs)
    decoded = 0
    for data, res in zip(inputs, results):
        if isinstance(res, AutocodecError):
            assert isinstance(res, (InvalidBlock, SandboxError)), res
            continue
        decoded += 1
        assert codec.encode(res) == data  # whatever decodes must round trip exactly
    assert 0 < decoded < len(inputs)


def mutate_value(rng: random.Random, value):
    """A structurally plausible but possibly wrong data model value."""
    junk = [None, 1, -1, 1.5, True, "x", b"\xff", [], {}, link(EMPTY_TREE), "a\nb", "1<2>", ""]
    if isinstance(value, dict) and value:
        v = dict(value)
        key = rng.choice(sorted(v))
        op = rng.randrange(3)
        if op == 0:
            del v[key]
        elif op == 1:
            v[key] = rng.choice(junk)
        else:
            v[key] = mutate_value(rng, v[key])
        return v
    if isinstance(value, list) and value:
        v = list(value)
        i = rng.randrange(len(v))
        v[i] = mutate_value(rng, v[i]) if rng.random() < 0.5 else rng.choice(junk)
        return v
    return rng.choice(junk)


def test_fuzz_encode_mutated_values(repo, codec) -> None:
    r, named = repo
    values = [codec.decode(b) for _, b in all_blocks(r, named).values()]
    rng = random.Random(0xE9C0DE)
    encoded = refused = 0
    for _ in range(1500):
        value = mutate_value(rng, rng.choice(values))
        try:
            block = codec.encode(value)
        except GuestError:
            refused += 1
            continue
        encoded += 1
        # whatever encodes is a well-formed object that decodes and re-encodes identically
        assert codec.encode(codec.decode(block)) == block
    assert encoded > 100 and refused > 100


def test_this_projects_own_history(codec) -> None:
    """Real objects from real development: the repository this test suite lives in."""
    root = Path(__file__).resolve().parents[1]
    listing = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--objects", "--all", "--max-count=60"],
        capture_output=True, check=False,
    )
    oids = [line.split()[0] for line in listing.stdout.decode().splitlines() if line][:600]
    if listing.returncode or not oids:
        pytest.skip("not a git checkout")
    batch = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"], input="\n".join(oids).encode() + b"\n",
        capture_output=True, check=True,
    ).stdout
    blocks, pos = [], 0
    while pos < len(batch):
        eol = batch.index(b"\n", pos)
        oid, kind, size = batch[pos:eol].decode().split()
        body = batch[eol + 1 : eol + 1 + int(size)]
        pos = eol + 2 + int(size)
        blocks.append((oid, block_of(kind, body)))
    decoded = codec.decode_many([b for _, b in blocks])
    for (oid, block), value in zip(blocks, decoded):
        assert hashlib.sha1(block).hexdigest() == oid
        assert codec.encode(value) == block


def test_batched_decode_equals_single(repo, codec) -> None:
    r, named = repo
    blocks = [b for _, b in all_blocks(r, named).values()]
    assert codec.decode_many(blocks) == [codec.decode(b) for b in blocks]


# --- committed fixtures and vectors -------------------------------------------------------------


def test_committed_fixtures_are_real_objects(codec) -> None:
    index = json.loads((FIXTURES / "git" / "objects.json").read_text())
    assert len(index) >= 8
    for oid, meta in index.items():
        block = (FIXTURES / "git" / f"{oid}.obj").read_bytes()
        assert hashlib.sha1(block).hexdigest() == oid
        assert block.startswith(meta["type"].encode() + b" ")
        assert codec.encode(codec.decode(block)) == block


def test_vectors_pass_in_the_sandbox() -> None:
    from autocodec.loader import Sandbox, run_vectors

    loaded = Sandbox().load(WASM.read_bytes())
    info = loaded.info
    assert (info.kind, info.name, list(info.codes)) == ("codec", "git-raw", [0x78])
    assert {"ac_decode", "ac_encode", "ac_links", "ac_decode_batch"} <= set(info.exports)
    report = run_vectors(loaded, (WASM_SRC / "git-raw" / "vectors.json").read_bytes())
    assert report.total >= 10 and report.failures == [] and report.passed == report.total
