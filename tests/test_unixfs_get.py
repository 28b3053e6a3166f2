"""``unixfs._get`` on DAGs Kubo would not make: names that would leave the output, and outputs
that are symlinks; names given twice (a symlink, then a directory "through" it), names longer
than the file system allows, trees deeper than Python's recursion limit, symlinks with no
target, setuid and setgid modes. Nothing is written outside the output, no setuid or setgid
bit is written, a failure leaves nothing behind, and each refusal is a typed error naming the
output path (not the staging folder). (The trees Kubo makes are compared with ``ipfs get`` in
tests/test_get_kubo.py, these hostile ones in tests/test_get_hostile_kubo.py.)"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID, encode_varint
from autocodec.errors import InvalidBlock, InvalidInput
from autocodec.unixfs import _pb
from autocodec.unixfs._get import write_staged, write_tree


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


def test_a_failed_clean_up_does_not_hide_the_error_that_stopped_a_file(tmp_path: Path) -> None:
    """The temporary file of a leaf being written could not be removed (here it has become a
    folder, which unlink refuses even to root): the error raised is the one that stopped the
    write, not the clean-up's ``IsADirectoryError``."""
    class Failing(Blocks):
        reads = 0

        def get(self, cid: CID) -> bytes:  # type: ignore[override]
            self.reads += 1
            if self.reads == 2:  # inside the leaf's write: its temporary file exists
                (temp,) = [p for p in tmp_path.iterdir() if p.name.startswith("tmp")]
                temp.unlink()
                (temp / "x").mkdir(parents=True)
                raise InvalidBlock("the source failed")
            return super().get(cid)

    blocks = Failing()
    leaf = blocks.put(b"payload", "raw")
    with pytest.raises(InvalidBlock, match="the source failed"):  # was: IsADirectoryError from the clean-up
        write_tree(blocks, leaf, tmp_path / "out", "out")


def _pb_node(data: _pb.UnixfsData, links: list[tuple[str, CID]]) -> bytes:
    """A dag-pb node with ``links`` in the order given (names may repeat, unsorted)."""
    def field(number: int, body: bytes) -> bytes:
        return bytes([number << 3 | 2]) + encode_varint(len(body)) + body

    out = b"".join(field(2, field(1, bytes(cid)) + field(2, name.encode())) for name, cid in links)
    return out + field(1, _pb.encode(data))





def _node(blocks: Blocks, data: _pb.UnixfsData, links: list[tuple[str, CID]] = []) -> CID:  # noqa: B006
    return blocks.put(_pb_node(data, links), "dag-pb")


def _leftovers(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_setuid_and_setgid_bits_are_never_written(tmp_path: Path) -> None:
    blocks = Blocks()
    program = _node(blocks, _pb.UnixfsData(_pb.FILE, b"#!/bin/sh\n", filesize=10, mode=0o6755))
    shared = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY, mode=0o3777))
    root = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY, mode=0o2755), [("program", program), ("shared", shared)])
    write_staged(blocks, root, tmp_path / "out", "out")
    modes = {p.name: stat.S_IMODE(os.lstat(p).st_mode) for p in [tmp_path / "out", *(tmp_path / "out").iterdir()]}
    assert modes == {"out": 0o755, "program": 0o755, "shared": 0o1777}  # sticky kept; setuid, setgid dropped
    write_staged(blocks, program, tmp_path / "alone", "alone")  # a file root too
    assert stat.S_IMODE(os.lstat(tmp_path / "alone").st_mode) == 0o755


@pytest.mark.parametrize("order", ["symlink first", "directory first"])
def test_a_directory_named_like_a_symlink_beside_it_is_refused_and_nothing_is_written_through_it(
        tmp_path: Path, order: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    blocks = Blocks()
    link = _node(blocks, _pb.UnixfsData(_pb.SYMLINK, os.fsencode(victim)))
    inner = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("passwd", blocks.put(b"pwned", "raw"))])
    pair = [("link", link), ("link", inner)]
    root = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), pair if order == "symlink first" else pair[::-1])
    with pytest.raises(InvalidBlock, match=r"cannot write the directory .*out/link: .*a name twice") as caught:
        write_staged(blocks, root, tmp_path / "out", "out")
    assert ".part" not in caught.value.message  # the user's path, not the staging folder
    assert list(victim.iterdir()) == []
    assert _leftovers(tmp_path) == ["victim"]


def test_a_file_then_a_directory_of_one_name_is_a_typed_error(tmp_path: Path) -> None:
    blocks = Blocks()
    inner = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("x", blocks.put(b"x", "raw"))])
    root = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("a", blocks.put(b"one", "raw")), ("a", inner)])
    with pytest.raises(InvalidBlock, match="a name twice"):
        write_staged(blocks, root, tmp_path / "out", "out")
    assert _leftovers(tmp_path) == []


def test_a_name_longer_than_the_file_system_allows_is_a_typed_error(tmp_path: Path) -> None:
    blocks = Blocks()
    root = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("n" * 300, blocks.put(b"x", "raw"))])
    with pytest.raises(InvalidBlock, match="longer than this file system allows") as caught:
        write_staged(blocks, root, tmp_path / "out", "out")
    assert ".part" not in caught.value.message and "out/nnn" in caught.value.message
    assert _leftovers(tmp_path) == []


def test_a_tree_deeper_than_the_recursion_limit_fails_typed_and_leaves_nothing_behind(tmp_path: Path) -> None:
    blocks = Blocks()
    here = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("f", blocks.put(b"x", "raw"))])
    for _ in range(2100):  # "d/" 2100 times: past PATH_MAX (4096), and past ~1000 recursive calls
        here = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("d", here)])
    with pytest.raises(InvalidBlock, match="longer than this file system allows"):
        write_staged(blocks, here, tmp_path / "out", "out")
    assert _leftovers(tmp_path) == []  # the staged folder, ~2000 levels deep, was removed


@pytest.mark.parametrize("target", [b"", b"a\0b"])
def test_a_symlink_with_no_possible_target_is_a_typed_error(tmp_path: Path, target: bytes) -> None:
    blocks = Blocks()
    link = _node(blocks, _pb.UnixfsData(_pb.SYMLINK, target))
    root = _node(blocks, _pb.UnixfsData(_pb.DIRECTORY), [("fine", blocks.put(b"x", "raw")), ("link", link)])
    with pytest.raises(InvalidBlock, match="the symlink 'link'"):
        write_staged(blocks, root, tmp_path / "out", "out")
    assert _leftovers(tmp_path) == []
