"""Tiled encoding writes each tile's pieces straight from the guest's output
(``_tiles._TileWriter``): the bytes are the one-stream encoding's, for tiles of the full size
(2048 and 4096 chunks: 8 and 16 groups of 256 chunks, so parents above the groups, group pairs merged into
one write and a short last tile), combined and outboard, with and without chunk groups; and a
tile takes a few writes, none of them a host copy of its content.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autocodec import bao
from autocodec.bao import _tiles
from autocodec.loader import Sandbox
from autocodec.loader._verifier import Verifier

from .conftest import WASM_SRC

blake3 = pytest.importorskip("blake3")

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load((WASM_SRC / "bao" / "bao.wasm").read_bytes()))


def _encode(v: Verifier, tmp: Path, data: bytes, outboard: bool, group_log: int, workers: int,
            monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    monkeypatch.setattr(_tiles, "workers", lambda: workers)
    (tmp / "content").write_bytes(data)
    with open(tmp / "content", "rb") as f, open(tmp / "enc", "w+b") as out:
        out.write(b"before")  # the encoding starts past the file's start
        root = bao.encode(v, f, out, outboard=outboard, group_log=group_log)
    return root, (tmp / "enc").read_bytes()


@pytest.mark.parametrize("size", [16 * MIB, 16 * MIB + 1, 17 * MIB + 4096 * 3 + 5, 32 * MIB + 2049])
@pytest.mark.parametrize(("outboard", "group_log"), [(False, 0), (True, 0), (False, 4), (True, 4)])
def test_full_size_tiles_give_the_one_stream_bytes(verifier: Verifier, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, size: int, outboard: bool,
                                                   group_log: int) -> None:
    assert (_tiles.plan(size, 2) or 0) >= 2048  # 8 or 16 groups a tile: parents above them
    data = random.Random(size).randbytes(size)
    root2, enc2 = _encode(verifier, tmp_path, data, outboard, group_log, 2, monkeypatch)
    root1, enc1 = _encode(verifier, tmp_path, data, outboard, group_log, 1, monkeypatch)
    assert root2 == root1 == blake3.blake3(data).digest()
    assert enc2 == enc1


def test_a_tile_is_a_few_writes_from_the_guest(verifier: Verifier, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A tile of G groups of 256 chunks is written in at most G + 1 calls (G/2 group pairs, the
    parents above the groups in G/2 runs, one more where the encoder holds a group's last chunk
    back to the next piece), and no write carries more than two groups."""
    writes: list[int] = []
    real = _tiles._pwrite_all

    def counting(fd: int, data: memoryview, at: int) -> None:
        writes.append(len(data))
        real(fd, data, at)

    monkeypatch.setattr(_tiles, "_pwrite_all", counting)
    size = 32 * MIB
    t = _tiles.plan(size, 2)
    assert t == 4096
    data = random.Random(7).randbytes(size)
    root, enc = _encode(verifier, tmp_path, data, False, 0, 2, monkeypatch)
    assert root == blake3.blake3(data).digest()
    tiles = size // (t * 1024)
    header_and_joins = 1 + (tiles - 1)  # the length header, the parents above the tiles
    assert len(writes) <= (t // 256 + 1) * tiles + header_and_joins
    two_groups = 2 * (256 * 1024 + 255 * 64)
    assert max(writes) <= two_groups
    assert sum(writes) == len(enc) - len(b"before")
