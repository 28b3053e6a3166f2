"""``unixfs._merge.merge_stdin``, the one place the ``-w`` wrapper takes stdin's file into an added
folder (``add -w -r --stdin-name=d/y - d``, in either order), checked in memory against the
tree on disk it stands for: folder ``d`` holding ``y``. tests/test_s6_add_stdin_merge.py and
tests/test_s6_reviewB_stdin_first.py measure the command line beside Kubo 0.43.1, whose adder
gives the same wrapper for the merged and the on-disk tree when no metadata is stored.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from autocodec.errors import InvalidInput
from autocodec.unixfs import Added, Adder
from autocodec.unixfs._merge import merge_stdin

STDIN = b"hello\n"


class _Dropped:
    """A block sink that keeps nothing (the CIDs are what is compared)."""

    def put_many(self, batch: list[Any]) -> int:
        return len(batch)


def _folder(root: Path, with_y: bool) -> Path:
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "a").write_text("a\n")
    (root / "d" / "sub" / "x").write_text("x\n")
    (root / "e").write_text("e\n")
    if with_y:
        (root / "d" / "y").write_bytes(STDIN)
    return root


def _added(adder: Adder, root: Path, name: str) -> list[Added]:
    return list(adder.add_path(root / name, recursive=True, wrapped=True))


def _stdin(adder: Adder) -> Added:
    link = adder.add_stream(io.BytesIO(STDIN))
    return Added("d/y", link.cid, link.filesize, link.tsize)


@pytest.fixture
def on_disk(tmp_path: Path) -> tuple[str, set[str]]:
    """The wrapper of ``d`` (holding ``y``) and ``e`` added from disk: its CID, every entry's path."""
    adder = Adder(_Dropped())
    root = _folder(tmp_path / "disk", with_y=True)
    d, e = _added(adder, root, "d"), _added(adder, root, "e")
    return str(adder.wrap([("d", d[-1].link), ("e", e[-1].link)]).cid), {a.path for a in d + e}


def test_stdin_after_its_folder_is_the_folder_on_disk(tmp_path: Path, on_disk: tuple[str, set[str]]) -> None:
    adder = Adder(_Dropped())
    root = _folder(tmp_path / "in", with_y=False)
    d, e = _added(adder, root, "d"), _added(adder, root, "e")
    wrapped = [("d", d[-1].link), ("e", e[-1].link)]
    everything, merged = merge_stdin(adder, d + e, wrapped, "d/y", _stdin(adder))
    assert [name for name, _ in merged] == ["d", "e"] and merged[1] == wrapped[1]
    assert merged[0][1] != wrapped[0][1]  # d's new version
    assert (str(adder.wrap(merged).cid), {a.path for a in everything}) == on_disk


def test_stdin_before_its_folder_is_the_folder_on_disk(tmp_path: Path, on_disk: tuple[str, set[str]]) -> None:
    adder = Adder(_Dropped())
    root = _folder(tmp_path / "in", with_y=False)
    file = _stdin(adder)
    made = adder.folder([("y", file.link)])  # stdin's own d, made first (``_stdin_wrapped``)
    stdin_made = [file, Added("d", made.cid, 0, made.tsize, is_dir=True)]
    e = _added(adder, root, "e")
    wrapped = [("d", made.link), ("e", e[-1].link)]
    everything, merged = merge_stdin(adder, stdin_made + e, wrapped, "d/y", file, folder=_added(adder, root, "d"))
    assert [name for name, _ in merged] == ["d", "e"] and merged[1] == wrapped[1]
    assert (str(adder.wrap(merged).cid), {a.path for a in everything}) == on_disk


@pytest.mark.parametrize(("path", "said"), [("d/a", "directory already has entry by that name"),
                                            ("d/a/z", "file already exists")])
def test_a_taken_path_is_refused_in_kubos_words(tmp_path: Path, path: str, said: str) -> None:
    adder = Adder(_Dropped())
    d = _added(adder, _folder(tmp_path / "in", with_y=False), "d")
    with pytest.raises(InvalidInput, match=said):
        merge_stdin(adder, d, [("d", d[-1].link)], path, _stdin(adder))
