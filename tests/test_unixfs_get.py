"""``unixfs._get`` on DAGs Kubo would not make: names that would leave the output, and outputs
that are symlinks. Nothing is written outside the output; each refusal is a typed error.
(The trees Kubo makes are compared with ``ipfs get`` in tests/test_get_kubo.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import InvalidBlock, InvalidInput
from autocodec.unixfs import _pb
from autocodec.unixfs._get import write_tree


class Blocks(dict[CID, bytes]):
    def get(self, cid: CID) -> bytes:  # type: ignore[override]
        return self[cid]

    def put(self, data: bytes, codec: str) -> CID:
        cid = builtin.cid_for(data, codec)
        self[cid] = data
        return cid


def _directory(blocks: Blocks, names: list[str]) -> CID:
    leaf = blocks.put(b"payload", "raw")
    links = [{"Hash": leaf, "Name": name, "Tsize": 7} for name in names]
    node = {"Data": _pb.encode(_pb.UnixfsData(_pb.DIRECTORY)), "Links": builtin.sort_dag_pb_links({"Links": links})["Links"]}
    return blocks.put(builtin.encode(node, "dag-pb"), "dag-pb")


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "../../etc/passwd", "x\0y"])
def test_a_name_that_would_leave_the_output_is_refused(tmp_path: Path, name: str) -> None:
    blocks = Blocks()
    root = _directory(blocks, ["fine", name])
    with pytest.raises(InvalidBlock, match="not a file name"):
        write_tree(blocks, root, tmp_path / "out", "out")
    assert {p.name for p in tmp_path.rglob("*")} <= {"fine", "out"}  # nothing else, anywhere
    assert not (tmp_path / "etc").exists()


def test_an_output_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    blocks = Blocks()
    root = _directory(blocks, ["file"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "out")
    with pytest.raises(InvalidInput, match="cannot extract to symlink"):
        write_tree(blocks, root, tmp_path / "out", "out")
    assert list(elsewhere.iterdir()) == []


def test_a_file_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    blocks = Blocks()
    leaf = blocks.put(b"payload", "raw")
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    os.symlink(target, tmp_path / "out")
    write_tree(blocks, leaf, tmp_path / "out", "leaf")
    assert not (tmp_path / "out").is_symlink() and (tmp_path / "out").read_bytes() == b"payload"
    assert target.read_bytes() == b"keep"
