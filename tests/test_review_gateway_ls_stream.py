"""``autocodec ls --stream`` of HAMT-sharded folders next to Kubo v0.43.1's ``ipfs ls --stream``
on the same blocks (the folders added by Kubo, exported and imported here).

Found by the differential review: Kubo streams a HAMT's entries as boxo's ``parallelShardWalk``
meets them (the root shard's own entries in link order, then each sub-shard's, level by level),
where this package streamed them depth first (a sub-shard's entries where its link stands, the
order of Kubo's TAR). Without ``--stream`` both sort by name; that stays compared in
``tests/test_ls_kubo.py``. The folders here have two and three shard levels (fanout 256 with
1 KiB as the sharding threshold, and fanout 16); in the three-level one Kubo's order depends on
its goroutines (it differs from run to run), so only the lines and the root's entries first are
compared there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@dataclass
class World:
    kubo: KuboRepo
    home: Path
    cids: dict[str, str]

    def both(self, *args: str) -> tuple[bytes, bytes]:
        kubo = self.kubo.ipfs(*args).stdout
        ours = subprocess.run([sys.executable, "-m", "autocodec", *args], capture_output=True, check=True,
                              env={**os.environ, "AUTOCODEC_HOME": str(self.home)}).stdout
        return kubo, ours


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from autocodec.registry import Runtime
    from tests._kubo_pair import copy_dags

    require_kubo()
    tmp = tmp_path_factory.mktemp("lsstream")
    kubo = KuboRepo.create(tmp / "kubo")
    kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
    folder = tmp / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"entry-{i:04d}.txt").write_bytes(b"%d\n" % i)
    cids = {"two": kubo.ipfs("add", "-Q", "-r", "--cid-version=1", folder).stdout.decode().strip(),
            "three": kubo.ipfs("add", "-Q", "-r", "--cid-version=1", "--max-hamt-fanout=16", folder).stdout.decode().strip()}
    with Runtime(tmp / "home", default_set=False) as held:
        copy_dags(kubo, held.store, cids.values(), tmp)
    yield World(kubo, tmp / "home", cids)


@pytest.mark.parametrize("args", [("--stream",), ("--stream", "--size=false"), ("--stream", "-v"),
                                  ("--stream", "--enc=json")])
def test_a_two_level_hamt_streams_in_kubos_order(world: World, args: tuple[str, ...]) -> None:
    kubo, ours = world.both("ls", *args, world.cids["two"])
    assert kubo.count(b"entry-") == 300
    assert ours == kubo


def test_a_three_level_hamt_streams_the_same_entries_root_first(world: World) -> None:
    """Past two levels Kubo walks shards in parallel: its order varies from run to run (three runs
    of ``ipfs ls --stream`` on this folder gave three orders), so only the lines and the root
    shard's own entries first are compared."""
    kubo, ours = world.both("ls", "--stream", world.cids["three"])
    kubo_lines, our_lines = kubo.splitlines(), ours.splitlines()
    assert sorted(our_lines) == sorted(kubo_lines) and len(kubo_lines) == 300
    root = json.loads(world.kubo.ipfs("dag", "get", world.cids["three"]).stdout)["Links"]
    first = [link["Name"][1:].encode() for link in root if len(link["Name"]) > 1]  # fanout 16: one hex digit
    assert [line.split()[-1] for line in our_lines[:len(first)]] == first
