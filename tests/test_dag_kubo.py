"""``autocodec dag`` next to Kubo v0.43.1's ``ipfs dag`` on the same blocks: byte-equal outputs.

The reference is the real Kubo binary (``tests/_kubo.py``), run offline on a throw-away repo:
- git: a small repository built with dulwich (commit -> tree -> dir -> file, a parent commit),
  decoded by the git-raw module of this source tree (``--module``), moved into Kubo with
  ``dag import``; ``dag get``/``dag resolve`` on paths across commit, tree and blob links.
- DAG-CBOR: the same DAG-JSON documents put by both (equal CIDs), then paths across links,
  ``dag resolve`` in the input's base (base36 too), ``dag stat`` (text and JSON) and
  ``dag export`` bytes.
- DAG-PB/UnixFS: a directory tree and a HAMT-sharded directory added by Kubo, exported by
  Kubo and imported here; names under ``/ipfs/``, ``Links/0/Hash`` under ``/ipld/``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from autocodec.cid import CID
from tests import _kubo_pair
from tests._kubo import KuboRepo
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow


REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


def kubo_out(kubo: KuboRepo, *args: str, stdin: bytes | None = None) -> bytes:
    return kubo.ipfs(*args, input=stdin).stdout


def _git_objects() -> tuple[list[bytes], str]:
    """Whole git objects (header + body) of a two-commit repository, and the head commit id."""
    from dulwich.objects import Blob, Commit, Tree

    main = Blob.from_string(b'print("hi")\n')
    util = Blob.from_string(b"lib\n")
    readme = Blob.from_string(b"# readme\n")
    readme2 = Blob.from_string(b"# readme, second version\n")
    lib = Tree()
    lib.add(b"util.txt", 0o100644, util.id)
    src = Tree()
    src.add(b"main.py", 0o100644, main.id)
    src.add(b"lib", 0o040000, lib.id)
    objects: list = [main, util, readme, readme2, lib, src]
    parent = None
    for text in (readme, readme2):
        root = Tree()
        root.add(b"README.md", 0o100644, text.id)
        root.add(b"src", 0o040000, src.id)
        commit = Commit()
        commit.tree = root.id
        commit.parents = [parent.id] if parent else []
        commit.author = commit.committer = b"Ada Lovelace <ada@example.org>"
        commit.author_time = commit.commit_time = 1700000000
        commit.author_timezone = commit.commit_timezone = 3600
        commit.message = b"second\n" if parent else b"first\n"
        objects += [root, commit]
        parent = commit
    assert parent is not None
    whole = [o.type_name + b" " + str(len(o.as_raw_string())).encode() + b"\0" + o.as_raw_string() for o in objects]
    return whole, parent.id.decode()


def _git_cid(sha1_hex: str) -> str:
    return str(CID(b"\x01\x78\x11\x14" + bytes.fromhex(sha1_hex)))


@pytest.fixture(scope="module")
def git_head(kubo: KuboRepo, ours: Ours, tmp_path_factory: pytest.TempPathFactory) -> str:
    objects, head = _git_objects()
    for whole in objects:
        ours.out("block", "put", "--codec", "git-raw", "--hash", "sha1", "--module", str(GIT_RAW), stdin=whole)
    cid = _git_cid(head)
    car = tmp_path_factory.mktemp("git") / "git.car"
    car.write_bytes(ours.out("dag", "export", cid, "--module", str(GIT_RAW)))
    kubo.ipfs("dag", "import", "--pin-roots=false", car)
    return cid


GIT_PATHS = [
    "", "/tree", "/tree/src", "/tree/src/hash", "/tree/src/hash/main.py", "/tree/src/hash/main.py/hash",
    "/tree/src/hash/lib/hash/util.txt/hash", "/tree/README.md/hash", "/parents/0", "/parents/0/tree/README.md/hash",
    "/parents/0/parents", "/author", "/author/name", "/committer/timezone", "/message",
]


@pytest.mark.parametrize("path", GIT_PATHS)
def test_git_paths_get_and_resolve_like_kubo(kubo: KuboRepo, ours: Ours, git_head: str, path: str) -> None:
    ref = git_head + path
    module = ("--module", str(GIT_RAW))
    assert ours.out("dag", "get", ref, *module) == kubo_out(kubo, "dag", "get", ref)
    assert ours.out("dag", "resolve", ref, *module) == kubo_out(kubo, "dag", "resolve", ref)
    assert ours.out("dag", "get", "--output-codec", "dag-cbor", ref, *module) == \
        kubo_out(kubo, "dag", "get", "--output-codec", "dag-cbor", ref)


def test_git_dag_stat_and_export_blocks_like_kubo(kubo: KuboRepo, ours: Ours, git_head: str) -> None:
    import io

    from autocodec.store import CarReader

    module = ("--module", str(GIT_RAW))
    assert ours.out("dag", "stat", "--progress=false", git_head, *module) == \
        kubo_out(kubo, "dag", "stat", "--progress=false", git_head)
    cars = [ours.out("dag", "export", git_head, *module), kubo_out(kubo, "dag", "export", git_head)]
    mine, theirs = (list(CarReader(io.BytesIO(car))) for car in cars)
    assert sorted(mine) == sorted(theirs) and mine[:2] == theirs[:2]  # same blocks, same root and header


def test_git_dag_export_bytes_like_kubo(kubo: KuboRepo, ours: Ours, git_head: str) -> None:
    assert ours.out("dag", "export", git_head, "--module", str(GIT_RAW)) == kubo_out(kubo, "dag", "export", git_head)


def test_git_missing_path_fails_in_both(kubo: KuboRepo, ours: Ours, git_head: str) -> None:
    for ref in (f"{git_head}/tree/nope", f"{git_head}/parents/1", f"{git_head}/message/deeper"):
        assert kubo.ipfs("dag", "get", ref, check=False).returncode != 0
        code, out, err = ours.run("dag", "get", ref, "--module", str(GIT_RAW))
        assert code == 1 and out == b"" and b"PathNotFound" in err and err.count(b"\n") == 1


DOCS = [
    b'{"leaf": true, "list": [1, -2, 3.5, "x", null], "bytes": {"/": {"bytes": "AAEC"}}}',
]


@pytest.fixture(scope="module")
def cbor_root(kubo: KuboRepo, ours: Ours) -> tuple[str, str]:
    leaf = kubo_out(kubo, "dag", "put", stdin=DOCS[0]).decode().strip()
    assert ours.out("dag", "put", stdin=DOCS[0]).decode().strip() == leaf
    mid_doc = json.dumps({"name": "mid", "leaf": {"/": leaf}, "deep": {"a": [{"b": {"/": leaf}}]}}).encode()
    mid = kubo_out(kubo, "dag", "put", stdin=mid_doc).decode().strip()
    assert ours.out("dag", "put", stdin=mid_doc).decode().strip() == mid
    root_doc = json.dumps({"mid": {"/": mid}, "again": [{"/": leaf}, {"/": mid}], "n": 7}).encode()
    root = kubo_out(kubo, "dag", "put", stdin=root_doc).decode().strip()
    assert ours.out("dag", "put", stdin=root_doc).decode().strip() == root
    return root, leaf


CBOR_PATHS = ["", "/mid", "/mid/name", "/mid/leaf", "/mid/leaf/list", "/mid/leaf/list/3", "/mid/deep/a/0/b/bytes",
              "/again", "/again/1/deep/a", "/n"]


def test_dag_resolve_spells_what_it_reaches_as_kubo(kubo: KuboRepo, ours: Ours) -> None:
    """A CIDv1 root lends its base to the CID printed and upgrades a CIDv0 it reaches; a CIDv0
    root keeps a CIDv0 as ``Qm...`` and prints a CIDv1 in base32 (Kubo's ``CidEncoderFromPath``)."""
    leaf = kubo_out(kubo, "block", "put", stdin=b"leaf\n").decode().strip()
    assert ours.out("block", "put", stdin=b"leaf\n").decode().strip() == leaf
    pb_doc = json.dumps({"Links": [{"Hash": {"/": leaf}, "Name": "x"}]}).encode()
    put = ("dag", "put", "--input-codec", "dag-json", "--store-codec", "dag-pb")
    pb = kubo_out(kubo, *put, stdin=pb_doc).decode().strip()
    assert ours.out(*put, stdin=pb_doc).decode().strip() == pb
    pb_v0 = str(CID.build(0x70, CID.parse(pb).multihash, version=0))
    doc = json.dumps({"pb": {"/": pb_v0}, "list": [{"/": pb_v0}]}).encode()
    root = kubo_out(kubo, "dag", "put", stdin=doc).decode().strip()
    assert ours.out("dag", "put", stdin=doc).decode().strip() == root
    for ref in (f"{root}/pb", f"/ipfs/{root}/list/0", CID.parse(root).encode("base36") + "/pb",
                CID.parse(root).encode("base16") + "/pb/x", f"{pb_v0}/x", pb_v0, f"/ipfs/{pb_v0}"):
        assert ours.out("dag", "resolve", ref) == kubo_out(kubo, "dag", "resolve", ref), ref


@pytest.mark.parametrize("path", CBOR_PATHS)
def test_dag_cbor_paths_like_kubo(kubo: KuboRepo, ours: Ours, cbor_root: tuple[str, str], path: str) -> None:
    root, _ = cbor_root
    for ref in (root + path, f"/ipfs/{root}{path}", CID.parse(root).encode("base36") + path):
        assert ours.out("dag", "get", ref) == kubo_out(kubo, "dag", "get", ref), ref
        assert ours.out("dag", "resolve", ref) == kubo_out(kubo, "dag", "resolve", ref), ref
    for codec in ("dag-cbor", "json"):
        args = ("dag", "get", "--output-codec", codec, root + path)
        if kubo.ipfs(*args, check=False).returncode == 0:
            assert ours.out(*args) == kubo_out(kubo, *args)


def test_dag_cbor_stat_export_and_cid_base_like_kubo(kubo: KuboRepo, ours: Ours, cbor_root: tuple[str, str]) -> None:
    root, leaf = cbor_root
    assert ours.out("dag", "export", root) == kubo_out(kubo, "dag", "export", root)
    for args in (("dag", "stat", "--progress=false", root), ("dag", "stat", "--progress=false", root, leaf),
                 ("dag", "stat", "--progress=false", "--enc", "json", root, leaf),
                 ("dag", "stat", "--progress=false", "--enc=", root)):  # empty: Kubo's text
        assert ours.out(*args) == kubo_out(kubo, *args), args
    for base in ("base36", "base58btc", "base16", "base64url", "k", "f", ""):  # a prefix letter; empty is none
        args = ("dag", "resolve", "--cid-base", base, f"{root}/mid/name")
        assert ours.out(*args) == kubo_out(kubo, *args)
        put = ("dag", "put", "--cid-base", base)
        assert ours.out(*put, stdin=DOCS[0]) == kubo_out(kubo, *put, stdin=DOCS[0])


@pytest.fixture(scope="module")
def unixfs(kubo: KuboRepo, ours: Ours, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    tree = tmp_path_factory.mktemp("tree")
    (tree / "docs" / "deep").mkdir(parents=True)
    (tree / "docs" / "readme.md").write_bytes(b"read me\n")
    (tree / "docs" / "deep" / "x.bin").write_bytes(bytes(range(256)) * 5000)  # a chunked file
    (tree / "top.txt").write_bytes(b"top\n")
    plain = kubo_out(kubo, "add", "-Q", "-r", str(tree)).decode().strip()
    sharded_dir = tmp_path_factory.mktemp("sharded")
    for i in range(40):
        (sharded_dir / f"f{i}.txt").write_bytes(f"{i}\n".encode())
    kubo.ipfs("config", "Import.UnixFSHAMTDirectorySizeThreshold", "1B")
    sharded = kubo_out(kubo, "add", "-Q", "-r", str(sharded_dir)).decode().strip()
    for root in (plain, sharded):
        car = tmp_path_factory.mktemp("car") / "x.car"
        car.write_bytes(kubo_out(kubo, "dag", "export", root))
        args = ("dag", "import", "--stats", str(car))
        assert ours.out(*args) == kubo_out(kubo, *args)  # "Pinned root\tCID\tsuccess", "Imported N blocks (B bytes)"
    return plain, sharded


UNIXFS_PATHS = ["", "/docs", "/docs/readme.md", "/docs/deep/x.bin", "/top.txt"]


@pytest.mark.parametrize("path", UNIXFS_PATHS)
def test_unixfs_names_like_kubo(kubo: KuboRepo, ours: Ours, unixfs: tuple[str, str], path: str) -> None:
    plain, _ = unixfs
    for ref in (plain + path, f"/ipfs/{plain}{path}"):
        assert ours.out("dag", "get", ref) == kubo_out(kubo, "dag", "get", ref), ref
        assert ours.out("dag", "resolve", ref) == kubo_out(kubo, "dag", "resolve", ref), ref


def test_hamt_names_ipld_pathing_and_export_like_kubo(kubo: KuboRepo, ours: Ours, unixfs: tuple[str, str]) -> None:
    plain, sharded = unixfs
    for ref in (f"{sharded}/f7.txt", f"{sharded}/f39.txt", f"/ipld/{plain}/Links/0/Hash", f"/ipld/{plain}/Links/1/Name",
                f"/ipld/{sharded}/Links/0/Hash", f"/ipld/{plain}/Data"):
        assert ours.out("dag", "get", ref) == kubo_out(kubo, "dag", "get", ref), ref
        assert ours.out("dag", "resolve", ref) == kubo_out(kubo, "dag", "resolve", ref), ref
    for ref in (f"{plain}/Links", f"{plain}/nope", f"{plain}/top.txt/x", f"{sharded}/f99.txt"):
        assert kubo.ipfs("dag", "get", ref, check=False).returncode != 0
        assert ours.run("dag", "get", ref)[0] == 1, ref
    for root in (plain, sharded):
        assert ours.out("dag", "export", root) == kubo_out(kubo, "dag", "export", root)
        assert ours.out("dag", "stat", "--progress=false", root) == kubo_out(kubo, "dag", "stat", "--progress=false", root)


def test_dag_put_sorts_dag_pb_links_like_kubo(kubo: KuboRepo, ours: Ours) -> None:
    """Links given out of order are stored sorted by name bytes, stably (the DAG-PB spec's
    encoded order), as Kubo's ``dag put`` stores them: the same CID."""
    leaf = kubo_out(kubo, "dag", "put", stdin=b'{"b": 2}').decode().strip()
    links = [{"Hash": {"/": leaf}, "Name": name, "Tsize": size}
             for name, size in (("b", 1), ("a", 2), ("", 3), ("b", 4), ("\u00e9", 5), ("a", 6))]
    doc = json.dumps({"Data": {"/": {"bytes": "eA"}}, "Links": links}).encode()
    args = ("dag", "put", "--store-codec", "dag-pb")
    node = kubo_out(kubo, *args, stdin=doc).decode().strip()
    assert ours.out(*args, stdin=doc).decode().strip() == node
    assert ours.out("dag", "get", node) == kubo_out(kubo, "dag", "get", node)


def test_plain_dag_pb_nodes_path_by_link_name_like_kubo(kubo: KuboRepo, ours: Ours) -> None:
    leaf = kubo_out(kubo, "dag", "put", stdin=b'{"a": 1}').decode().strip()
    links = [{"Hash": {"/": leaf}, "Name": "first", "Tsize": 9}, {"Hash": {"/": leaf}, "Name": "first", "Tsize": 1}]
    doc = json.dumps({"Links": links}).encode()  # no Data: not UnixFS; go-unixfsnode paths it by link name
    args = ("dag", "put", "--store-codec", "dag-pb")
    node = kubo_out(kubo, *args, stdin=doc).decode().strip()
    assert ours.out(*args, stdin=doc).decode().strip() == node
    ours.out("dag", "put", stdin=b'{"a": 1}')
    for ref in (f"{node}/first", f"{node}/first/a", f"/ipld/{node}/Links/1/Tsize", f"/ipld/{node}/Links/0/Hash/a"):
        assert ours.out("dag", "get", ref) == kubo_out(kubo, "dag", "get", ref), ref
        assert ours.out("dag", "resolve", ref) == kubo_out(kubo, "dag", "resolve", ref), ref
    for ref in (f"{node}/Links", f"{node}/second", f"/ipld/{node}/first"):
        assert kubo.ipfs("dag", "get", ref, check=False).returncode != 0
        assert ours.run("dag", "get", ref)[0] == 1, ref


def test_resolve_ending_at_a_link_does_not_need_its_block_like_kubo(kubo: KuboRepo, ours: Ours) -> None:
    """``dag resolve`` names the block a path ends at without reading it (boxo's
    ``ResolveToLastNode``): a path whose last segment is a link to a block neither side holds,
    or a bare CID of one, resolves in Kubo and here; a path through that block fails in both."""
    from autocodec import builtin

    missing = str(builtin.cid_for(b"a block nobody holds", "raw"))
    missing_pb = str(builtin.cid_for(b"\x0a\x02\x08\x02", "dag-pb"))  # a UnixFS file node, not held
    doc = json.dumps({"a": {"/": missing}, "b": [{"/": missing}], "c": {"d": {"/": missing}}}).encode()
    root = kubo_out(kubo, "dag", "put", stdin=doc).decode().strip()
    assert ours.out("dag", "put", stdin=doc).decode().strip() == root
    unixfs_dir = base64.b64encode(b"\x08\x01").decode().rstrip("=")
    pb = json.dumps({"Data": {"/": {"bytes": unixfs_dir}},
                     "Links": [{"Hash": {"/": missing_pb}, "Name": "gone.txt", "Tsize": 4}]}).encode()
    args = ("dag", "put", "--store-codec", "dag-pb")
    directory = kubo_out(kubo, *args, stdin=pb).decode().strip()
    assert ours.out(*args, stdin=pb).decode().strip() == directory
    for ref in (f"{root}/a", f"/ipfs/{root}/b/0", f"/ipld/{root}/c/d", missing, f"/ipfs/{missing}",
                f"{directory}/gone.txt", f"/ipld/{directory}/Links/0/Hash", f"{root}/c"):
        assert ours.out("dag", "resolve", ref) == kubo_out(kubo, "--offline", "dag", "resolve", ref), ref
    for ref in (f"{root}/a/x", f"{directory}/gone.txt/y", f"{missing}/z"):
        assert kubo.ipfs("--offline", "dag", "resolve", ref, check=False).returncode != 0, ref
        code, _, err = ours.run("dag", "resolve", ref)
        assert code == 1 and b"BlockNotFound" in err and b"Traceback" not in err, ref
    for ref in (f"{root}/a", missing):  # dag get needs the block, in both
        assert kubo.ipfs("--offline", "dag", "get", ref, check=False).returncode != 0, ref
        assert ours.run("dag", "get", ref)[0] == 1, ref


def _car_header_cases() -> dict[str, bytes]:
    """CARv1 headers as loose writers make them (go-car reads a header as a ``CarHeader``
    struct: keys in any order, stray tags, no roots; no other field, an integer version)."""
    from autocodec import builtin

    root = bytes(builtin.cid_for(b"hello car", "raw"))
    roots = b"\x65roots\x81\xd8\x2a" + bytes([0x58, len(root) + 1]) + b"\x00" + root
    return {
        "canonical": b"\xa2" + roots + b"\x67version\x01",
        "keys out of order": b"\xa2\x67version\x01" + roots,
        "a tag on the version": b"\xa2" + roots + b"\x67version\xc1\x01",
        "a tag on the roots": b"\xa2" + roots.replace(b"\x81", b"\xc1\x81", 1) + b"\x67version\x01",
        "no roots": b"\xa1\x67version\x01",
        "null roots": b"\xa2\x65roots\xf6\x67version\x01",
        "empty roots": b"\xa2\x65roots\x80\x67version\x01",
        "a float version": b"\xa2" + roots + b"\x67version\xfb\x3f\xf0" + bytes(6),
        "a bool version": b"\xa2" + roots + b"\x67version\xf5",
        "a null version": b"\xa2\x67version\xf6" + roots,
        "another field": b"\xa3\x61x\x01" + roots + b"\x67version\x01",
        "roots that are not links": b"\xa2\x65roots\x81\x01\x67version\x01",
        "a list": b"\x82\x01\x80",
    }


@pytest.mark.parametrize("case", list(_car_header_cases()))
def test_car_headers_import_like_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path, case: str) -> None:
    """``dag import`` of a CAR whose header was written loosely: both import it or both refuse."""
    from autocodec import builtin
    from autocodec.cid import encode_varint

    header, data = _car_header_cases()[case], b"hello car"
    section = bytes(builtin.cid_for(data, "raw")) + data
    car = tmp_path / "loose.car"
    car.write_bytes(encode_varint(len(header)) + header + encode_varint(len(section)) + section)
    theirs = kubo.ipfs("dag", "import", "--pin-roots=false", car, check=False)
    code, _out, err = ours.run("car", "import", str(car))
    assert (code == 0) == (theirs.returncode == 0), (theirs.stderr, err)
    if code:
        assert len(err.decode().strip().splitlines()) == 1 and b"Traceback" not in err, err


FILE_ARGS = [["d2.json", "d1.json"], ["d1.json", "d1.json"], ["d1.json", "./d1.json", "d2.json"],
             ["d2.json", "-", "d1.json"], ["d1.json", "sub/d1.json"], ["sub/d1.json", "./sub/d1.json"]]


@pytest.mark.parametrize("files", FILE_ARGS, ids=" ".join)
@pytest.mark.parametrize("command", [("dag", "put"), ("block", "put"), ("add", "-Q", "--only-hash")], ids=" ".join)
def test_file_arguments_are_read_as_kubo_reads_them(kubo: KuboRepo, ours: Ours, tmp_path: Path,
                                                    command: tuple[str, ...], files: list[str]) -> None:
    """Kubo's command line keys file arguments by base name: stdin first, then name order; a
    name again from the same folder is read once, from another folder refused."""
    import sys

    from tests._kubo import KUBO_BIN

    (tmp_path / "sub").mkdir()
    for path, doc in (("d1.json", b'{"x": 1}'), ("d2.json", b'{"x": 2}'), ("sub/d1.json", b'{"x": 3}')):
        (tmp_path / path).write_bytes(doc)
    stdin = b'{"x": 4}'
    theirs = subprocess.run([str(KUBO_BIN), *command, *files], cwd=tmp_path, env=kubo.env(), input=stdin,
                            capture_output=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    mine = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(ours.home), *command, *files],
                          cwd=tmp_path, env=env, input=stdin, capture_output=True, timeout=120)
    assert (mine.returncode == 0) == (theirs.returncode == 0), (theirs.stderr[-300:], mine.stderr)
    assert mine.stdout == theirs.stdout
    if mine.returncode:
        assert mine.stderr.count(b"\n") == 1 and b"repeated under different folders" in mine.stderr


RM_CASES = [["{x}", "{missing}", "{y}"], ["-q", "{x}", "{y}"], ["-f", "{missing}", "{x}"], ["-f", "-q", "{missing}"],
            ["{x}", "{x}", "{missing}"], ["{x}", "not-a-cid", "{y}"], ["{folder}/t"], ["/ipfs/{folder}/t", "{x}"]]


@pytest.mark.parametrize("case", RM_CASES, ids=" ".join)
def test_block_rm_removes_what_kubo_removes(kubo: KuboRepo, ours: Ours, case: list[str]) -> None:
    """``block rm`` goes through its arguments in turn as Kubo's does: the same stdout
    (``removed CID`` lines, none with ``-q``), the same blocks left, failing at the end when
    a block was missing (``-f``: not an error). One difference on purpose (docs/cli.md): an
    argument that is no CID or path removes nothing here; Kubo stops at it, having removed
    the blocks before it."""
    def fresh() -> dict[str, str]:
        cids = {}
        for name in ("x", "y"):
            data = f"block rm {name}\n".encode()
            cids[name] = kubo_out(kubo, "block", "put", stdin=data).decode().strip()
            assert ours.out("block", "put", stdin=data).decode().strip() == cids[name]
        add = ("add", "-Q", "--pin=false", "-w", "--stdin-name", "t")
        cids["folder"] = kubo_out(kubo, *add, stdin=b"in a folder\n").decode().strip()
        car = kubo_out(kubo, "dag", "export", cids["folder"])
        ours.out("dag", "import", "--pin-roots=false", "-", stdin=car)
        cids["missing"] = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
        return cids

    cids = fresh()
    args = [arg.format(**cids) for arg in case]
    theirs = kubo.ipfs("block", "rm", *args, check=False)
    code, out, err = ours.run("block", "rm", *args)
    assert (code == 0) == (theirs.returncode == 0), (theirs.stderr, err)
    assert b"Traceback" not in err
    for name in ("x", "y"):
        kept = kubo.ipfs("block", "stat", "--offline", cids[name], check=False).returncode == 0
        if "not-a-cid" in args:
            assert theirs.stdout.count(b"removed") == 1 and kept == (name == "y")  # Kubo removed x only
            assert out == b"" and ours.run("block", "stat", cids[name])[0] == 0, "nothing removed"
            continue
        assert out == theirs.stdout
        assert (ours.run("block", "stat", cids[name])[0] == 0) == kept, name


def test_blocks_over_2_mib_need_allow_big_block_as_in_kubo(kubo: KuboRepo, ours: Ours) -> None:
    """``block put`` and ``dag put`` refuse a block over 2 MiB unless ``--allow-big-block``, as
    Kubo does (peers do not exchange bigger blocks); ``--pin`` takes Kubo's ``=false``."""
    import random

    noise = random.Random(7).randbytes(2 * 1024 * 1024 + 1)
    doc = json.dumps({"b": {"/": {"bytes": base64.b64encode(noise).decode().rstrip("=")}}}).encode()  # 2 MiB + 7
    cases = [(("block", "put"), noise[:-1]), (("block", "put"), noise), (("dag", "put"), doc)]
    for command, data in cases:
        for flags in ((), ("--allow-big-block",), ("--allow-big-block=false", "--pin=false")):
            theirs = kubo.ipfs(*command, *flags, input=data, check=False)
            code, out, err = ours.run(*command, *flags, stdin=data)
            assert (code, out) == (theirs.returncode, theirs.stdout), (command, flags, err)
            assert code == 0 or (b"over the 2 MiB" in err and err.count(b"\n") == 1), err
            assert code == (0 if "--allow-big-block" in flags or len(data) <= 2 * 1024 * 1024 else 1)


def test_dag_import_refuses_blocks_over_2_mib_as_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """``dag import`` of a CAR holding a block over 2 MiB fails (status 1) unless
    ``--allow-big-block``, as Kubo's; ``--local-only`` imports without pinning roots (Kubo: implies
    ``--pin-roots=false``), ``dag export --local-only`` writes the same CAR."""
    import random

    big = random.Random(11).randbytes(2 * 1024 * 1024 + 1)
    cid = kubo.ipfs("block", "put", "--allow-big-block", input=big).stdout.decode().strip()
    car = tmp_path / "big.car"
    car.write_bytes(kubo.ipfs("dag", "export", cid).stdout)
    fresh = KuboRepo.create(tmp_path / "fresh")  # a repo without the block: import must store it
    for flags in ((), ("--allow-big-block=false",), ("--allow-big-block",), ("--local-only", "--allow-big-block"),
                  ("--local-only",)):
        theirs = fresh.ipfs("dag", "import", *flags, car, check=False)
        code, out, err = ours.run("dag", "import", *flags, str(car))
        assert (code, out) == (theirs.returncode, theirs.stdout), (flags, err)
        assert code == 0 or (f"import failed at block {cid}".encode() in err and err.count(b"\n") == 1), err
    theirs = kubo.ipfs("dag", "export", "--local-only", cid)
    code, out, err = ours.run("dag", "export", "--local-only", cid)
    assert (code, out) == (0, theirs.stdout), err


FORMATS = [["--format=v0"], ["-f", "v0"], ["--format=v0", "--mhlen=32"], ["--format=v0", "--mhlen=20"],
           ["--format=v0", "--mhtype=sha2-512"], ["--format=v0", "--cid-base=base32"], ["--format=protobuf"],
           ["--format=0x70"], ["--format=v1"], ["--format=bogus"], ["--format="], ["--format=v0", "--cid-codec=raw"],
           ["--format=v0", "--cid-codec=dag-pb"], ["--format=raw"], ["--format=cbor"], ["--format=dag-json"]]


@pytest.mark.parametrize("flags", FORMATS, ids=" ".join)
def test_block_put_format_is_kubos(kubo: KuboRepo, ours: Ours, flags: list[str]) -> None:
    """``block put --format`` (Kubo's deprecated option): ``v0`` a CIDv0 of the whole sha2-256
    digest, ``protobuf``/``cbor`` or a codec name, refused beside a --cid-codec other than raw."""
    data = {"--format=cbor": b"\xa1aa\x01", "--format=dag-json": b'{"a":1}'}.get(flags[0], b"\x0a\x02\x08\x01")
    theirs = kubo.ipfs("block", "put", *flags, input=data, check=False)
    code, out, err = ours.run("block", "put", *flags, stdin=data)
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    assert code == 0 or err.count(b"\n") == 1


def test_dag_export_local_only_leaves_out_what_is_missing_as_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """``dag export --local-only`` of a DAG missing a folder block writes Kubo's CAR: the rest
    of the DAG, nothing under the missing block; without it, both fail."""
    tree = tmp_path / "partial"
    (tree / "s" / "t").mkdir(parents=True)
    for path, text in (("a", "a"), ("s/b", "b"), ("s/t/c", "c"), ("z", "z")):
        (tree / path).write_text(text + " partial\n")
    root = kubo_out(kubo, "add", "-Q", "-r", "--pin=false", str(tree)).decode().strip()
    ours.out("dag", "import", "--pin-roots=false", "-", stdin=kubo_out(kubo, "dag", "export", root))
    folder = kubo_out(kubo, "resolve", f"/ipfs/{root}/s").decode().strip().rsplit("/", 1)[-1]
    kubo.ipfs("block", "rm", folder)
    ours.out("block", "rm", folder)
    assert ours.out("dag", "export", "--local-only", root) == kubo_out(kubo, "dag", "export", "--local-only", root)
    assert kubo.ipfs("dag", "export", root, check=False).returncode != 0
    code, _, err = ours.run("dag", "export", root)
    assert code != 0 and b"BlockNotFound" in err
    kubo.ipfs("block", "rm", root)
    ours.out("block", "rm", root)
    assert kubo.ipfs("dag", "export", "--local-only", root, check=False).returncode != 0  # the root must be held
    assert ours.run("dag", "export", "--local-only", root)[0] != 0


def _car_cids(car: bytes) -> list[str]:
    import io

    from autocodec.store import CarReader

    return [str(cid) for cid, _ in CarReader(io.BytesIO(car))]


@pytest.mark.parametrize("codec", ["dag-cbor", "dag-json"])
def test_a_block_that_is_one_link_exports_its_child_where_kubos_export_stops(
        kubo: KuboRepo, ours: Ours, tmp_path: Path, codec: str) -> None:
    """A block whose whole value is a link (``{"/": CID}`` at its top, found by a random
    export differential): Kubo 0.43.1's ``dag export`` writes the block alone (its selector walk
    explores maps and lists, not a link at a block's top), while its ``dag stat`` counts the
    child, its ``refs -r`` lists it and its ``pin add`` needs it. Its CAR then fails its own
    ``dag import`` ("pinning root ... block was not found locally"). Here every walk follows
    the link: the CAR holds what ``dag stat`` counts, and a fresh Kubo imports and pins it.
    Kept so a Kubo that changes this is noticed (docs/cli.md, docs/gateway.md)."""
    child = kubo_out(kubo, "block", "put", "--cid-codec", "raw", stdin=f"one link, {codec}".encode()).decode().strip()
    assert ours.out("block", "put", "--cid-codec", "raw", stdin=f"one link, {codec}".encode()).decode().strip() == child
    doc = json.dumps({"/": child}).encode()
    args = ("dag", "put", "--input-codec", "dag-json", "--store-codec", codec)
    root = kubo_out(kubo, *args, stdin=doc).decode().strip()
    assert ours.out(*args, stdin=doc).decode().strip() == root
    theirs, mine = kubo_out(kubo, "dag", "export", root), ours.out("dag", "export", root)
    assert _car_cids(theirs) == [root] and _car_cids(mine) == [root, child]
    assert mine.startswith(theirs)  # the same header and root section, then the child's
    stat = ("dag", "stat", "--progress=false", "--enc=json", root)
    assert json.loads(kubo_out(kubo, *stat))["UniqueBlocks"] == json.loads(ours.out(*stat))["UniqueBlocks"] == 2
    assert kubo_out(kubo, "refs", "-r", root).split() == ours.out("refs", "-r", root).split() == [child.encode()]
    fresh = [KuboRepo.create(tmp_path / name) for name in ("theirs", "mine")]
    refused = fresh[0].ipfs("dag", "import", "-", input=theirs, check=False)
    assert refused.returncode != 0 and b"not found" in refused.stderr
    fresh[1].ipfs("dag", "import", "-", input=mine)
    assert root.encode() in fresh[1].ipfs("pin", "ls", "--type=recursive").stdout
