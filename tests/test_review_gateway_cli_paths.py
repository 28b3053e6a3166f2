"""``cat`` and ``ls`` of a path through DAG-PB nodes that are not UnixFS folders, next to Kubo
v0.43.1's ``ipfs cat`` and ``ipfs ls`` on the same blocks (an offline repo; ``block put`` on both
sides).

Found by the differential review: Kubo's resolver reads a DAG-PB node as UnixFS only when its
``Data`` is a UnixFS message of a known type, and follows the links of any other by name (a
node with no ``Data``, with ``Data`` that is no UnixFS message, or of type metadata or symlink);
this package refused all of them (``has no UnixFS Data``, ``is not a directory``; a symlink
until the full review of the day's change, where ``dag`` paths already followed its links). A file (types 0 and
2) and an unknown type (6) are errors in both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autocodec import CID, builtin
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

NODES = {"no Data": None, "Data no UnixFS": b"\x01\x02\x03", "raw": b"\x08\x00", "file": b"\x08\x02",
         "metadata": b"\x08\x03", "symlink": b"\x08\x04\x12\x03abc", "type 6": b"\x08\x06"}


@dataclass
class World:
    kubo: KuboRepo
    home: Path
    cids: dict[str, str]

    def both(self, *args: str) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
        kubo = self.kubo.ipfs(*args, check=False)
        ours = subprocess.run([sys.executable, "-m", "autocodec", *args], capture_output=True,
                              env={**os.environ, "AUTOCODEC_HOME": str(self.home)})
        return kubo, ours


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from autocodec.registry import Runtime

    require_kubo()
    tmp = tmp_path_factory.mktemp("clipaths")
    kubo = KuboRepo.create(tmp / "kubo")
    leaf = CID.parse(kubo.ipfs("block", "put", "--cid-codec", "raw", input=b"hi\n").stdout.decode().strip())
    cids = {}
    with Runtime(tmp / "home", default_set=False) as held:
        held.store.put(leaf, b"hi\n")
        for name, data in NODES.items():
            node: dict[str, object] = {"Links": [{"Hash": leaf, "Name": "x", "Tsize": 3}]}
            if data is not None:
                node["Data"] = data
            block = builtin.encode(node, "dag-pb")
            cid = builtin.cid_for(block, "dag-pb")
            held.store.put(cid, block)
            assert kubo.ipfs("block", "put", "--cid-codec", "dag-pb", input=block).stdout.decode().strip() == str(cid)
            cids[name] = str(cid)
    yield World(kubo, tmp / "home", cids)


@pytest.mark.parametrize("command", ["cat", "ls"])
@pytest.mark.parametrize("node", list(NODES))
def test_a_path_through_a_node_that_is_no_folder_is_read_as_kubo_reads_it(world: World, node: str, command: str) -> None:
    kubo, ours = world.both(command, f"{world.cids[node]}/x")
    assert (ours.returncode == 0, ours.stdout) == (kubo.returncode == 0, kubo.stdout), (kubo.stderr, ours.stderr)
    kubo, ours = world.both(command, f"{world.cids[node]}/y")  # a name it does not hold: an error in both
    assert ours.returncode != 0 and kubo.returncode != 0


@pytest.mark.parametrize("node", list(NODES))
def test_ls_of_a_node_that_is_no_folder_is_kubos(world: World, node: str) -> None:
    """The node itself: Kubo lists the links of a file, a metadata node and a node of an unknown
    type (a UnixFS message it decodes, its type unread), and refuses one with no ``Data`` or
    ``Data`` that is no UnixFS message."""
    kubo, ours = world.both("ls", world.cids[node])
    assert (ours.returncode == 0, ours.stdout) == (kubo.returncode == 0, kubo.stdout), (kubo.stderr, ours.stderr)


@pytest.mark.parametrize("command", [("dag", "get"), ("dag", "resolve"), ("resolve",), ("refs",), ("get", "-o", "{out}")])
@pytest.mark.parametrize("node", list(NODES))
def test_dag_paths_through_a_node_that_is_no_folder_are_kubos(world: World, node: str, command: tuple[str, ...],
                                                               tmp_path: Path) -> None:
    """``dag get``, ``dag resolve``, ``resolve``, ``refs`` and ``get`` walk ``/ipfs/`` paths with
    the shared resolver (``autocodec.dag``): through a node of an unknown UnixFS type Kubo has no
    reification and refuses them all (they followed its link); through the others both agree."""
    args = [part.format(out=tmp_path / "out") for part in command]
    kubo, ours = world.both(*args, f"/ipfs/{world.cids[node]}/x")
    same_out = command[0] == "get" or ours.stdout == kubo.stdout
    assert (ours.returncode == 0, same_out) == (kubo.returncode == 0, True), (node, kubo.stderr, ours.stderr)
