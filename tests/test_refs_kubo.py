"""``autocodec refs`` (and ``block get/stat`` of paths) next to Kubo v0.43.1's ``ipfs refs`` on the
same blocks: the same lines.

Kubo adds a tree with repeated content (so ``-u`` matters) and a HAMT-sharded folder, puts a
DAG-CBOR document linking into it several times, and stores the objects of a git repository
(git-raw, which Kubo decodes itself and this package through the git-raw Wasm module of the
default set). This package imports the same blocks. Every case runs ``ipfs refs ARGS`` and
``autocodec refs ARGS``: the same stdout, and both succeed or both fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec.cid import CID
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


class World:
    def __init__(self, kubo: KuboRepo, home: Path, cids: dict[str, str]) -> None:
        self.kubo, self.home, self.cids = kubo, home, cids

    def ours(self, *args: str, command: tuple[str, ...] = ("refs",)) -> subprocess.CompletedProcess[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
        return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(self.home), *command, *args],
                              capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from tests._explorer_world import _git_objects

    require_kubo()
    base = tmp_path_factory.mktemp("refs")
    tree = base / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    for path in ("a", "sub/b", "sub/deeper/c"):
        (tree / path).write_text("the same bytes")
    (tree / "big").write_bytes(bytes(range(256)) * 2000)  # two chunks
    (tree / "tab\tname").write_text("t")
    hamt = tree / "hamt"
    hamt.mkdir()
    for i in range(40):
        (hamt / f"{i:03d}-{'n' * 40}").write_text(str(i % 3))
    home = base / "home"
    with KuboRepo.create(base / "kubo") as kubo:
        kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")

        def put_car(cid: str) -> None:
            car = base / f"{cid}.car"
            car.write_bytes(kubo.ipfs("dag", "export", cid).stdout)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "car", "import", str(car)],
                           check=True, capture_output=True, timeout=120)

        cids = {"root": kubo.ipfs("add", "-r", "-Q", "--chunker=size-262144", tree).stdout.decode().strip()}
        cids["a"] = kubo.ipfs("resolve", f"/ipfs/{cids['root']}/a").stdout.decode().strip().rsplit("/", 1)[-1]
        doc = {"z": {"/": cids["root"]}, "a": [{"/": cids["a"]}, {"/": cids["root"]}], "m": {"k": {"/": cids["a"]}}}
        cids["cbor"] = kubo.ipfs("dag", "put", input=json.dumps(doc).encode()).stdout.decode().strip()
        put_car(cids["cbor"])
        git_objects, head = _git_objects(base)
        for _cid, data in git_objects:
            kubo.ipfs("block", "put", "--cid-codec", "git-raw", "--mhtype", "sha1", input=data)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "block", "put", "--codec", "git-raw",
                            "--hash", "sha1", "-"], input=data, check=True, capture_output=True, timeout=120)
        cids["git"] = str(CID.build(0x78, b"\x11\x14" + bytes.fromhex(head)))
        yield World(kubo, home, cids)


CASES = {
    "direct links": ["{root}"],
    "recursive": ["-r", "{root}"],
    "recursive, unique": ["-r", "-u", "{root}"],
    "edges": ["-e", "-r", "{root}"],
    "a format with every token": ["-r", "--format=<linkname> <src> <dst>", "{root}"],
    "a path by names": ["-r", "/ipfs/{root}/sub"],
    "a HAMT-sharded folder": ["-r", "{root}/hamt"],
    "a HAMT-sharded folder, unique": ["-r", "-u", "{root}/hamt"],
    "DAG-CBOR, recursive": ["-r", "{cbor}"],
    "DAG-CBOR, unique": ["-r", "-u", "{cbor}"],
    "DAG-CBOR, link names are empty": ["-r", "--format=[<linkname>]", "{cbor}"],
    "max depth 1": ["-r", "--max-depth=1", "{cbor}"],
    "max depth 2, unique": ["-r", "-u", "--max-depth=2", "{cbor}"],
    "max depth 0": ["-r", "--max-depth=0", "{root}"],
    "two roots": ["-r", "{root}", "{root}"],
    "two roots, unique across them": ["-r", "-u", "{root}", "{cbor}"],
    "a git commit, recursive": ["-r", "{git}"],
    "a git commit, unique edges": ["-r", "-u", "-e", "{git}"],
    "CIDv1 in base32": ["--cid-base=base32", "-r", "{root}"],
    "a base by its prefix letter": ["--cid-base=k", "-r", "{root}"],
    "an empty base": ["--cid-base=", "-r", "{root}"],
    "edges with a format (an error)": ["-e", "--format=x", "{root}"],
    "an empty format": ["-r", "--format=", "{root}"],
    "edges with an empty format (an error)": ["-e", "--format=", "{root}"],
    "a missing name (an error)": ["{root}/no-such-name"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_refs_print_what_kubo_prints(world: World, case: str) -> None:
    args = [arg.format(**world.cids) for arg in CASES[case]]
    theirs = world.kubo.ipfs("refs", *args, check=False)
    ours = world.ours(*args)
    assert (ours.returncode == 0) == (theirs.returncode == 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout, (theirs.stdout.decode()[:2000], ours.stdout.decode()[:2000])
    if ours.returncode:
        assert len(ours.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in ours.stderr


BLOCK_CASES = {
    "a CID": ["{root}"],
    "a path by names": ["{root}/sub/deeper"],
    "an /ipfs/ path": ["/ipfs/{root}/sub/b"],
    "a path into a HAMT-sharded folder": ["{root}/hamt/007-" + "n" * 40],
    "a DAG-CBOR path ending at a link": ["{cbor}/m/k"],
    "a DAG-CBOR path ending inside the block": ["{cbor}/m"],
    "a git path": ["{git}/tree"],
    "an identity CID": ["bafkqabdimvwgy3y"],
    "a missing name (an error)": ["{root}/no-such-name"],
    "not a path (an error)": ["hello/x"],
}


@pytest.mark.parametrize("action", ["get", "stat"])
@pytest.mark.parametrize("case", list(BLOCK_CASES))
def test_block_get_and_stat_read_paths_as_kubo(world: World, case: str, action: str) -> None:
    """``block get/stat`` take a path to a block as Kubo does; ``stat`` prints Kubo's two lines."""
    args = [arg.format(**world.cids) for arg in BLOCK_CASES[case]]
    theirs = world.kubo.ipfs("block", action, *args, check=False)
    ours = world.ours(*args, command=("block", action))
    assert (ours.returncode == 0) == (theirs.returncode == 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout, (theirs.stdout[:500], ours.stdout[:500])
    if ours.returncode:
        assert len(ours.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in ours.stderr


def test_refs_local_lists_the_stored_blocks_as_kubo(tmp_path: Path) -> None:
    """``refs local`` lists every stored block once, as a raw CIDv1 of its multihash, as Kubo's
    blockstore (keyed by multihash) does: the blocks Kubo gained by the same puts, in any order."""
    require_kubo()
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}

    def ours(*args: str, stdin: bytes | None = None) -> bytes:
        return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), *args], input=stdin,
                              capture_output=True, env=env, timeout=120, check=True).stdout

    ours("init", "--no-default-set")
    assert ours("refs", "local") == b""
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        before = set(kubo.ipfs("refs", "local").stdout.split())
        puts = [(("block", "put"), b"raw bytes\n"), (("block", "put", "--cid-codec", "dag-cbor"), b"\xa1aa\x01"),
                (("block", "put"), b"\xa1aa\x01"),  # the same multihash under two codecs: listed once
                (("block", "put", "--cid-codec", "git-raw", "--mhtype", "sha1"), b"blob 3\x00hi\n"),
                (("dag", "put"), b'{"a": [1, 2]}'), (("dag", "put", "--store-codec", "dag-pb"), b'{"Links": []}'),
                (("add", "-Q", "-r"), None)]
        tree = tmp_path / "tree"
        (tree / "sub").mkdir(parents=True)
        (tree / "sub" / "f").write_bytes(b"raw bytes\n")
        (tree / "g").write_bytes(bytes(300_000))
        for command, data in puts:
            args = (*command, str(tree)) if data is None else command
            kubo.ipfs(*args, input=data)
            ours(*args, stdin=data)
        theirs = set(kubo.ipfs("refs", "local").stdout.split()) - before
    mine = ours("refs", "local").split()
    assert len(mine) == len(set(mine)) and set(mine) == theirs and len(theirs) > 6


RESOLVE_CASES = {
    "a CID": ["/ipfs/{root}"],
    "a path by names": ["/ipfs/{root}/sub/deeper"],
    "a bare CID/path": ["{root}/sub/b"],
    "a path in a HAMT-sharded folder": ["/ipfs/{root}/hamt/007-" + "n" * 40],
    "a DAG-CBOR path ending inside the block": ["/ipfs/{cbor}/m"],
    "a DAG-CBOR path through links": ["/ipfs/{cbor}/m/k", ],
    "a CIDv1 root reaching a CIDv0": ["/ipfs/{cbor}/z/sub"],
    "in another base": ["--cid-base=base36", "/ipfs/{root}/sub"],
    "a git path": ["/ipfs/{git}/tree"],
    "a missing name (an error)": ["/ipfs/{root}/no-such-name"],
    "not a path (an error)": ["hello"],
}


@pytest.mark.parametrize("case", list(RESOLVE_CASES))
def test_resolve_of_a_path_is_kubos(world: World, case: str) -> None:
    """``resolve PATH`` prints what Kubo's ``ipfs resolve`` prints (``resolve KIND CODE`` is ours)."""
    args = [arg.format(**world.cids) for arg in RESOLVE_CASES[case]]
    theirs = world.kubo.ipfs("resolve", *args, check=False)
    ours = world.ours(*args, command=("resolve",))
    assert (ours.returncode == 0) == (theirs.returncode == 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout
    if ours.returncode:
        assert len(ours.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in ours.stderr
