"""HAMT-sharded folders of every fanout Kubo v0.43.1 writes, read here as Kubo reads them.

Kubo shards with fanout 256 by default, but ``Import.UnixFSHAMTDirectoryMaxFanout`` and
``ipfs add --max-hamt-fanout`` take any power of two from 8 to 1024; a shard of fanout F names
its links by len(hex(F-1)) digits (1 for 8 and 16, 3 for 512 and 1024) and takes log2(F) bits
of the name's hash per level. boxo reads each shard with its own fanout. Here ``ls``, ``cat``
and ``get`` refused every fanout but 256 (found by the UnixFS sweep against Kubo). Each case:
Kubo adds one tree with ``--max-hamt-fanout=F`` (sharding threshold 1 KiB), exports it as a CAR,
autocodec imports it; then ``ls`` prints what ``ipfs ls`` prints, every entry resolves and reads
back, and ``get`` writes the tree ``ipfs get`` writes. Fanouts boxo refuses (4: not a multiple
of 8; 2048: over its maximum width) are refused by both.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autocodec.builtin import decode
from autocodec.cid import CID
from autocodec.errors import InvalidBlock, NotFound
from autocodec.store import BlockStore
from autocodec.unixfs import _pb, cat, resolve
from autocodec.unixfs._hamt import slot_path
from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

FANOUTS = (8, 16, 32, 64, 128, 256, 512, 1024)
ENTRIES = 300  # enough for sub-shards at every fanout (at 1024, ~40 slots hold two names)


def _tree(root: Path) -> Path:
    wide = root / "wide"
    (wide / "inner").mkdir(parents=True)
    for i in range(ENTRIES):
        (wide / f"entry-{i:03d}").write_text(f"{i}\n")
    (wide / "inner" / "deep").write_text("deep\n")
    os.symlink("entry-000", wide / "link")
    return root


class World:
    def __init__(self, kubo: KuboRepo, home: Path, tree: Path, cids: dict[int, str]) -> None:
        self.kubo, self.home, self.tree, self.cids = kubo, home, tree, cids

    def ours(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
        return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(self.home), *args],
                              capture_output=True, env=env, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_kubo()
    base = tmp_path_factory.mktemp("fanout")
    home = base / "home"
    tree = _tree(base / "tree")
    with KuboRepo.create(base / "kubo") as kubo:
        kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
        cids = {}
        for fanout in FANOUTS:
            cids[fanout] = kubo.ipfs("add", "-r", "-Q", f"--max-hamt-fanout={fanout}", tree).stdout.decode().strip()
            car = base / f"{fanout}.car"
            car.write_bytes(kubo.ipfs("dag", "export", cids[fanout]).stdout)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "car", "import", str(car)],
                           check=True, capture_output=True, timeout=120)
        yield World(kubo, home, tree, cids)


def _shard(store: BlockStore, cid: CID) -> tuple[_pb.UnixfsData, list[dict[str, Any]]]:
    node = decode(store.get(cid), "dag-pb")
    return _pb.decode(node["Data"]), node["Links"]


@pytest.mark.parametrize("fanout", FANOUTS)
def test_kubo_wrote_that_fanout_with_sub_shards(world: World, fanout: int) -> None:
    """The inputs are what the cases say: a root shard of that fanout, links named by its
    digits, and at least one sub-shard (so a lookup takes the hash bits of two levels)."""
    with BlockStore.open(world.home) as store:
        meta, links = _shard(store, resolve(store, f"{world.cids[fanout]}/wide"))
    digits = len(f"{fanout - 1:X}")
    assert (meta.type, meta.fanout, meta.hash_type) == (_pb.HAMT_SHARD, fanout, 0x22)
    assert any(len(link["Name"]) == digits for link in links)
    assert all(len(link["Name"]) >= digits for link in links)


@pytest.mark.parametrize("fanout", FANOUTS)
def test_ls_prints_what_kubo_prints(world: World, fanout: int) -> None:
    for args in ([f"{world.cids[fanout]}/wide"], ["-v", "--size=false", f"/ipfs/{world.cids[fanout]}/wide"]):
        theirs = world.kubo.ipfs("ls", *args)
        ours = world.ours("ls", *args)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout
    assert len(ours.stdout.splitlines()) == ENTRIES + 2 + 1  # entries, inner/, link, the header


@pytest.mark.parametrize("fanout", FANOUTS)
def test_every_entry_resolves_and_reads_back(world: World, fanout: int) -> None:
    root = world.cids[fanout]
    with BlockStore.open(world.home) as store:
        for i in range(ENTRIES):
            assert b"".join(cat(store, resolve(store, f"{root}/wide/entry-{i:03d}"))) == f"{i}\n".encode()
        assert b"".join(cat(store, resolve(store, f"{root}/wide/inner/deep"))) == b"deep\n"
        with pytest.raises(NotFound):
            resolve(store, f"{root}/wide/entry-{ENTRIES}")
    some = f"{root}/wide/entry-{fanout % ENTRIES:03d}"
    assert world.ours("cat", some).stdout == world.kubo.ipfs("cat", some).stdout


def _walk(root: Path) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for path in sorted(root.rglob("*")):
        st = os.lstat(path)
        rel = str(path.relative_to(root))
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            out[rel] = ("dir", stat.S_IMODE(st.st_mode))
        else:
            out[rel] = ("file", path.read_bytes(), stat.S_IMODE(st.st_mode))
    return out


@pytest.mark.parametrize("fanout", [8, 1024])
def test_get_writes_what_kubo_writes(world: World, tmp_path: Path, fanout: int) -> None:
    theirs_dir, ours_dir = tmp_path / "kubo", tmp_path / "ours"
    theirs_dir.mkdir()
    ours_dir.mkdir()
    args = [f"{world.cids[fanout]}/wide"]
    theirs = subprocess.run([str(KUBO_BIN), "get", *args], cwd=theirs_dir, env=world.kubo.env(),
                            capture_output=True, timeout=120)
    ours = world.ours("get", *args, cwd=ours_dir)
    assert theirs.returncode == 0 and ours.returncode == 0, (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout
    written = _walk(ours_dir)
    assert written == _walk(theirs_dir) and len(written) == ENTRIES + 3 + 1


def _lone_shard(kubo: KuboRepo, fanout: int, name: str, leaf: str) -> str:
    """A root shard of ``fanout`` holding ``name`` in the slot its hash picks (put by Kubo)."""
    bits = fanout.bit_length() - 1
    slot = int.from_bytes(slot_path(name), "big") >> (64 - bits)
    digits = len(f"{fanout - 1:X}")
    bitfield = (1 << slot).to_bytes(max(1, (fanout + 7) // 8), "big")
    data = _pb.encode(_pb.UnixfsData(_pb.HAMT_SHARD, bitfield, hash_type=0x22, fanout=fanout))
    node = {"Data": {"/": {"bytes": base64.b64encode(data).decode().rstrip("=")}},
            "Links": [{"Hash": {"/": leaf}, "Name": f"{slot:0{digits}X}{name}", "Tsize": 8}]}
    return kubo.ipfs("dag", "put", "--store-codec=dag-pb", "--input-codec=dag-json",
                     input=json.dumps(node).encode()).stdout.decode().strip()


@pytest.mark.parametrize("fanout,readable", [(4, False), (8, True), (1024, True), (2048, False)])
def test_fanouts_boxo_refuses_are_refused(world: World, tmp_path: Path, fanout: int, readable: bool) -> None:
    """A hand-made shard of one entry: readable by both at 8 and 1024, refused by both at 4 (a
    bitfield must be whole bytes) and 2048 (over boxo's maximum width)."""
    leaf = world.kubo.ipfs("add", "-Q", "--cid-version=1", world.tree / "wide" / "entry-007").stdout.decode().strip()
    root = _lone_shard(world.kubo, fanout, "x", leaf)
    car = tmp_path / "lone.car"
    car.write_bytes(world.kubo.ipfs("dag", "export", root).stdout)
    world.ours("car", "import", str(car))
    theirs = [world.kubo.ipfs(*args, check=False) for args in (["ls", root], ["cat", f"{root}/x"])]
    ours = [world.ours(*args) for args in (["ls", root], ["cat", f"{root}/x"])]
    assert [p.returncode == 0 for p in theirs] == [readable] * 2, [p.stderr for p in theirs]
    assert [p.returncode == 0 for p in ours] == [readable] * 2, [p.stderr for p in ours]
    assert [p.stdout for p in ours] == [p.stdout for p in theirs]
    with BlockStore.open(world.home) as store:
        if readable:
            assert resolve(store, f"{root}/x") == CID.parse(leaf)
        else:
            with pytest.raises(InvalidBlock, match="fanout"):
                resolve(store, f"{root}/x")
