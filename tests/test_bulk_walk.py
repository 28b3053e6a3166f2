"""DAG walks with links found ahead in the bulk workers (``autocodec.dag._ahead``): the same
CAR bytes, the same blocks counted, the same missing blocks and the same error for a corrupt
block as the serial walk; small DAGs stay serial. The DAG here is small, so the walks that are
about the bulk path start jobs from 64 blocks (the default waits for 512)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

import autocodec
from autocodec.bench._threads import git_tree_blocks
from autocodec.cid import CID
from autocodec.dag import export_car, stat
from autocodec.dag._ahead import LinksAhead
from autocodec.errors import StoreCorrupt
from autocodec.store import export_car as store_export_car
from autocodec.dag import runtime_links

from ._cli import run_cli


def git_dag(rt: autocodec.Runtime, dirs: int, files: int, nodes: int = 100) -> tuple[CID, list[CID]]:
    """A git tree of ``dirs`` subtrees of ``files`` blobs each, plus a dag-cbor node and a
    dag-pb node linking the tree (builtin codecs next to the git-raw extension)."""
    tree, blocks = git_tree_blocks(dirs, files, repeat=4)
    rt.store.put_many(blocks)
    # builtin codecs too, enough of them to go through the workers: 100 dag-cbor and 100
    # dag-pb nodes, each linking a blob of the tree
    cbor = [rt.put(autocodec.encode({"blob": blocks[i][0], "i": i}, "dag-cbor"), "dag-cbor") for i in range(nodes)]
    pb = [rt.put(autocodec.encode({"Links": [{"Hash": blocks[i][0], "Name": "b", "Tsize": 9}]}, "dag-pb"), "dag-pb")
          for i in range(nodes)]
    node = rt.put(autocodec.encode({"tree": tree, "n": 1, "cbor": cbor, "pb": pb}, "dag-cbor"), "dag-cbor")
    top = rt.put(autocodec.encode({"Links": [{"Hash": node, "Name": "a", "Tsize": 1}]}, "dag-pb"), "dag-pb")
    return top, [cid for cid, _ in blocks]


@pytest.fixture(scope="module")
def dag(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CID, list[CID]]:
    home = tmp_path_factory.mktemp("walk") / "home"
    with autocodec.Runtime(home) as rt:
        root, blocks = git_dag(rt, 8, 96)
    return home, root, blocks


def _export(rt: autocodec.Runtime, root: CID, ahead: LinksAhead | None) -> bytes:
    out = io.BytesIO()
    export_car(rt, root, out, ahead=ahead)
    return out.getvalue()


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_dag_export_with_links_ahead_is_the_serial_car(dag: tuple[Path, CID, list[CID]]) -> None:
    home, root, blocks = dag
    with autocodec.Runtime(home) as rt:
        serial = _export(rt, root, None)
        with LinksAhead(rt, workers=2, min_items=64) as ahead:
            assert _export(rt, root, ahead) == serial
            assert ahead.hits > len(blocks) // 2  # most blocks came from the workers
            assert ahead.codecs_done >= {0x71, 0x70, 0x78}  # dag-cbor, dag-pb and git-raw in bulk
        with LinksAhead(rt, workers=2, min_items=64) as ahead:
            assert stat(rt, [root], ahead=ahead) == stat(rt, [root])


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_car_export_with_links_ahead_is_the_serial_car_and_missing(dag: tuple[Path, CID, list[CID]],
                                                                  tmp_path: Path) -> None:
    home, root, blocks = dag
    with autocodec.Runtime(home) as rt:
        gone = [blocks[5], blocks[300]]
        kept = [rt.store.get(c) for c in gone]
        for cid in gone:
            rt.store.delete(cid)
        try:
            out = {}
            for mode in (False, True):
                buf = io.BytesIO()
                with LinksAhead(rt, workers=2, min_items=64) as ahead:
                    result = store_export_car(rt.store, root, buf, links=runtime_links(rt), ahead=ahead if mode else None)
                    out[mode] = (buf.getvalue(), result)
            assert out[True] == out[False]
            assert out[True][1].missing == gone
        finally:
            rt.store.put_many(zip(gone, kept))


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_corrupt_block_stops_the_walk_as_it_does_serially(dag: tuple[Path, CID, list[CID]], tmp_path: Path) -> None:
    home, root, blocks = dag
    victim = blocks[400]
    with autocodec.Runtime(home) as rt:
        good = rt.store.get(victim)
        conn = sqlite3.connect(rt.store.path)
        with conn:
            conn.execute("UPDATE blocks SET data = ? WHERE cid = ?", (b"blob 1\0x", bytes(victim)))
        conn.close()
        try:
            seen = {}
            for mode in (False, True):
                with LinksAhead(rt, workers=2, min_items=64) as ahead:
                    buf = io.BytesIO()
                    with pytest.raises(StoreCorrupt) as caught:
                        export_car(rt, root, buf, ahead=ahead if mode else None)
                seen[mode] = (caught.value.message, buf.getvalue())
            assert seen[True] == seen[False]
            assert str(victim) in seen[True][0]
        finally:
            rt.store.delete(victim)
            rt.store.put(victim, good)


def test_small_dags_stay_serial(tmp_path: Path) -> None:
    with autocodec.Runtime(tmp_path / "home") as rt:
        root, _ = git_dag(rt, 2, 10, nodes=5)
        with LinksAhead(rt, workers=2, min_items=64) as ahead:
            _export(rt, root, ahead)
            assert ahead.hits == 0


@pytest.mark.slow
def test_cli_dag_and_car_export_are_the_serial_car(dag: tuple[Path, CID, list[CID]], tmp_path: Path) -> None:
    home, root, _ = dag
    with autocodec.Runtime(home) as rt:
        serial = _export(rt, root, None)
    assert run_cli(home, "dag", "export", str(root)).stdout == serial
    run_cli(home, "car", "export", str(root), "-o", str(tmp_path / "out.car"))
    assert (tmp_path / "out.car").read_bytes() == serial


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_runtime_walk_in_bulk_is_the_serial_walk(dag: tuple[Path, CID, list[CID]]) -> None:
    """``Runtime.walk(root, bulk=True)`` gives the same blocks in the same order, and did find
    links in the workers."""
    from autocodec.dag import _ahead

    home, root, _ = dag
    made: list[LinksAhead] = []
    real = _ahead.LinksAhead.__init__

    def record(self: LinksAhead, *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        self.min_items = 64  # the DAG is small: jobs from 64 blocks, as in the tests above
        made.append(self)

    with autocodec.Runtime(home) as rt, pytest.MonkeyPatch.context() as mp:
        serial = list(rt.walk(root))
        mp.setattr(_ahead.LinksAhead, "__init__", record)
        assert list(rt.walk(root, bulk=True)) == serial
    assert len(made) == 1 and made[0].hits > len(serial) // 2


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_by_default_only_a_stack_of_512_blocks_starts_a_job(tmp_path: Path) -> None:
    """A job's round trip costs what the links of a few hundred blocks do here: the narrow DAG
    (subtrees of 96 blobs) stays serial by default, a wide one (a subtree of 700) does not."""
    with autocodec.Runtime(tmp_path / "home") as rt:
        narrow, _ = git_dag(rt, 8, 96, nodes=5)
        wide, blocks = git_dag(rt, 1, 700, nodes=5)
        with LinksAhead(rt, workers=2) as ahead:
            _export(rt, narrow, ahead)
            assert ahead.hits == 0
        with LinksAhead(rt, workers=2) as ahead:
            assert _export(rt, wide, ahead) == _export(rt, wide, None)
            assert ahead.hits > 600  # all but the few visited before the stack held 512
