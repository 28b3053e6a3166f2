"""The tile writer (``_tiles._TileWriter``) and the one-stream ``Placer`` check the encoder filled
the whole tree: a module whose encoder writes less than a tile's (or the stream's) tree holds
would leave zeros in the stored blob (its CID then names bytes the file does not hold), and one
that writes more broke the ABI too. Both are ``GuestFault`` (the module's fault, not the
input's), raised before the blob is renamed into place: no ``.part``, no blob.

The faulty module is the real bao verifier behind a wrapper that drops or repeats one piece of
one tile's output (the writer itself is the real one). Also: the normal tiled add gives the
one-stream bytes, and a tiled ``bao add`` under a real ``RLIMIT_FSIZE`` is one ``FileSizeLimit``
line, exit 1, no ``.part``.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec import bao
from autocodec.bao import _tiles
from autocodec.bao._blobs import BlobStore
from autocodec.errors import GuestFault
from autocodec.loader import Sandbox
from autocodec.loader._verifier import UNKNOWN_LENGTH, Verifier
from tests._cli import run_cli

from .conftest import WASM_SRC

MIB = 1024 * 1024
SIZE = 16 * MIB
"""Tiled on two threads: ``plan`` gives tiles of 2048 chunks (8 of them)."""


class _Faulty:
    """The real encode stream, with the ``nth`` non-empty output of ``pull`` dropped or doubled."""

    def __init__(self, real: Any, how: str, nth: int) -> None:
        self._real, self._how, self._left = real, how, nth
        self.max_piece = real.max_piece

    def pull(self, read_into: Any, piece: int) -> tuple[Any, int, bool]:
        out, got, ended = self._real.pull(read_into, piece)
        if len(out):
            self._left -= 1
            if self._left == 0:
                out = b"" if self._how == "drop" else bytes(out) * 2
        return out, got, ended

    def final(self) -> tuple[Any, bytes]:
        return self._real.final()  # type: ignore[no-any-return]


class _FaultyVerifier(Verifier):
    """The real verifier whose encoder for the stream starting at chunk ``first`` is ``_Faulty``."""

    def __init__(self, real: Verifier, how: str, first: int | None, nth: int = 2) -> None:
        self.__dict__.update(real.__dict__)
        self._how, self._first, self._nth = how, first, nth

    def encoder(self, length: int = UNKNOWN_LENGTH, mode: int = 0, *, first: int | None = None,
                instance: Any = None, group_log: int = 0) -> Any:
        real = super().encoder(length, mode, first=first, instance=instance, group_log=group_log)
        return _Faulty(real, self._how, self._nth) if first == self._first else real


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load((WASM_SRC / "bao" / "bao.wasm").read_bytes()))


@pytest.fixture()
def two_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tiles, "workers", lambda: 2)
    assert _tiles.plan(SIZE, 2) == 2048  # the tiled path, 8 tiles


def _content(tmp: Path, size: int) -> Path:
    path = tmp / "content"
    path.write_bytes(random.Random(size).randbytes(size))
    return path


@pytest.mark.usefixtures("two_threads")
@pytest.mark.parametrize("how", ["drop", "double"])
@pytest.mark.parametrize("first", [0, 2048, 7 * 2048])  # the first, a middle and the last tile
def test_a_tile_written_short_or_long_is_the_modules_fault_and_nothing_is_stored(
        verifier: Verifier, tmp_path: Path, how: str, first: int) -> None:
    src = _content(tmp_path, SIZE)
    store = BlobStore(tmp_path / "blobs")
    with open(src, "rb") as f, pytest.raises(GuestFault) as caught:
        store.add(_FaultyVerifier(verifier, how, first), f)
    assert ("less" if how == "drop" else "more") in caught.value.message  # was stored (drop), InvalidInput (double)
    assert list((tmp_path / "blobs").iterdir()) == []  # no .part, no blob


@pytest.mark.parametrize("how", ["drop", "double"])
def test_the_one_stream_placer_checks_the_same(verifier: Verifier, tmp_path: Path, how: str) -> None:
    src = _content(tmp_path, 1 * MIB + 5)  # one stream: too small for tiles
    assert _tiles.plan(1 * MIB + 5, 2) is None
    store = BlobStore(tmp_path / "blobs")
    with open(src, "rb") as f, pytest.raises(GuestFault):
        store.add(_FaultyVerifier(verifier, how, None), f)
    assert list((tmp_path / "blobs").iterdir()) == []


@pytest.mark.usefixtures("two_threads")
def test_the_tiled_add_is_the_one_stream_encoding(verifier: Verifier, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    src = _content(tmp_path, SIZE)
    with open(src, "rb") as f:
        cid = BlobStore(tmp_path / "blobs").add(verifier, f)
    stored = (tmp_path / "blobs" / f"{cid}.bao").read_bytes()
    monkeypatch.setattr(_tiles, "workers", lambda: 1)
    with open(src, "rb") as f, open(tmp_path / "one", "w+b") as out:
        bao.encode(verifier, f, out)
    assert stored == (tmp_path / "one").read_bytes()


def _limited(max_bytes: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # as a shell leaves it
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


@pytest.mark.slow
def test_a_tiled_bao_add_past_the_file_size_limit_is_one_line_and_leaves_no_part(tmp_path: Path) -> None:
    if _tiles.plan(SIZE, _tiles.workers()) is None:
        pytest.skip("one CPU here: a 16 MiB add runs one stream")
    home = tmp_path / "home"
    run_cli(home, "init")
    big = _content(tmp_path, SIZE)
    limit = 9 * MIB
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "autocodec", "bao", "add", str(big)], env=env, capture_output=True,
                          timeout=120, preexec_fn=_limited(limit))
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1, (proc.returncode, err)  # -25: killed by SIGXFSZ
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("autocodec: FileSizeLimit: "), err
    assert f"file size limit of {limit} bytes" in err, err
    assert list((home / "bao").iterdir()) == []  # no .part, no cut blob
