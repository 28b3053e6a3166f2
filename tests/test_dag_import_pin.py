"""``dag import``'s pin walk: the links of the blocks the import itself verified and stored are
known from the import, so the walk reads none of them back; blocks that were in the store before
are still read and checked, and a root whose DAG is not whole still fails, as Kubo's."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from autocodec.builtin import cid_for, encode
from autocodec.cid import CID
from autocodec.cli import main
from autocodec.home import Home
from autocodec.store import BlockStore
from tests._car_bytes import car_bytes
from tests._cli import run_cli


def _car(path: Path, root: CID, blocks: list[tuple[CID, bytes]]) -> Path:
    path.write_bytes(car_bytes([root], blocks))
    return path


def _leaves(n: int) -> list[tuple[CID, bytes]]:
    return [(cid_for(d, "raw"), d) for d in (f"leaf {i}".encode() * 50 for i in range(n))]


def _node(links: list[CID]) -> tuple[CID, bytes]:
    data = encode({"kids": links}, "dag-cbor")
    return cid_for(data, "dag-cbor"), data


@pytest.fixture
def read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[CID]:
    """The CIDs every ``BlockStore.get`` reads, in order, for an in-process run on ``tmp_path/home``."""
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    read: list[CID] = []
    real_get = BlockStore.get

    def counted_get(self: BlockStore, cid: CID) -> bytes:
        read.append(cid)
        return real_get(self, cid)

    monkeypatch.setattr(BlockStore, "get", counted_get)
    return read


def test_the_pin_walk_reads_no_imported_block_back(tmp_path: Path, read: list[CID],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Before, every block of the DAG was read from the store and hashed again after the import
    had just verified it (1,031 gets of a 256 MiB file)."""
    leaves = _leaves(40)
    mid = _node([c for c, _ in leaves[:20]])
    root = _node([mid[0], *(c for c, _ in leaves[20:])])
    car = _car(tmp_path / "dag.car", root[0], [root, mid, *leaves])
    assert main(["dag", "import", str(car)]) == 0
    assert capsys.readouterr().out == f"Pinned root\t{root[0]}\tsuccess\n"
    assert read == []


def test_blocks_stored_before_the_import_are_still_read_and_checked(tmp_path: Path) -> None:
    """A CAR holding only the root of a DAG whose leaf was stored earlier and then damaged on disk:
    the walk reads the leaf back, so the pin fails on the damage."""
    home = tmp_path / "home"
    leaf_cid, leaf = _leaves(1)[0]
    with BlockStore.open(home) as store:
        store.put(leaf_cid, leaf)
    with closing(sqlite3.connect(Home(home).db_path)) as conn:
        conn.execute("UPDATE blocks SET data = ? WHERE cid = ?", (b"x" + leaf[1:], bytes(leaf_cid.to_v1())))
        conn.commit()
    root = _node([leaf_cid])
    proc = run_cli(home, "dag", "import", str(_car(tmp_path / "root.car", root[0], [root])), check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and f'pinning root "{root[0]}" FAILED' in err and "corrupt" in err, err


@pytest.mark.parametrize("case", ["missing", "malformed"])
def test_a_root_whose_dag_cannot_be_walked_still_fails(tmp_path: Path, case: str) -> None:
    """A leaf absent from store and CAR fails the pin; a block whose bytes hash right but do not
    decode fails the import at that block, before any pin, as Kubo 0.43.1's (s10)."""
    leaf_cid, leaf = _leaves(1)[0]
    if case == "missing":
        root = _node([leaf_cid])
        blocks: list[tuple[CID, bytes]] = [root]
    else:
        bad = b"\xa1\x64kids"  # a map whose value is cut off
        bad_cid = cid_for(bad, "dag-cbor")
        root = _node([bad_cid])
        blocks = [root, (bad_cid, bad)]
    proc = run_cli(tmp_path / "home", "dag", "import", str(_car(tmp_path / "d.car", root[0], blocks)), check=False)
    err: Any = proc.stderr.decode()
    failed = f'pinning root "{root[0]}" FAILED' if case == "missing" else f'import failed at block "{bad_cid}"'
    assert proc.returncode == 1 and failed in err, err
    assert "Traceback" not in err and not proc.stdout


def test_a_block_of_more_links_than_the_bound_is_read_back(tmp_path: Path, read: list[CID],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The links kept for the walk are bounded in links, not only in blocks: one block may hold
    hundreds of thousands (~120 bytes each in memory). A root of 300,000 links (one identity CID
    again and again, 2.4 MB) is not kept: the walk reads it back from the store, and the pin
    still succeeds. Before, its 300,000 links were kept (the bound counted blocks only)."""
    from autocodec.cli.cmd_dag import MAX_IMPORTED_LINKS

    empty = CID.parse("bafkqaaa")  # identity multihash of no bytes, raw codec
    root = _node([empty] * 300_000)
    assert 300_000 > MAX_IMPORTED_LINKS and len(root[1]) < 4 << 20
    small = _node([empty])
    car = _car(tmp_path / "wide.car", root[0], [root, small])
    assert main(["dag", "import", "--allow-big-block", str(car)]) == 0
    assert capsys.readouterr().out == f"Pinned root\t{root[0]}\tsuccess\n"
    assert root[0] in read
