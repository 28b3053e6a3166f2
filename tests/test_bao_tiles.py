"""Bao on several threads (``autocodec.bao._tiles``): the same bytes, hashes, verified output
and failures as the one-stream path, and the subtree ABI's guards.

Tiles are made small here (256 chunks) so contents of a few MiB have many of them; the
one-stream path is what runs with one worker. Reference hashes come from the ``blake3``
package.
"""

from __future__ import annotations

import io
import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autocodec import bao
from autocodec.bao import _stream, _tiles
from autocodec.bao._steps import reserve
from autocodec.bao._tree import chunk_count, node_offset
from autocodec.errors import GuestError, InvalidInput
from autocodec.loader import Sandbox
from autocodec.loader._verifier import MODE_COMBINED, MODE_OUTBOARD, MODE_SLICE, Subtree, Verifier

from .conftest import WASM_SRC

blake3 = pytest.importorskip("blake3")

TILE = 256


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load((WASM_SRC / "bao" / "bao.wasm").read_bytes()))


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``threads(n)`` sets the workers Bao uses (1: the one-stream path); tiles of 256 chunks."""
    monkeypatch.setattr(_tiles, "TILE_MAX_CHUNKS", TILE)
    monkeypatch.setattr(_tiles, "TILE_MIN_CHUNKS", TILE)

    def use(n: int) -> None:
        monkeypatch.setattr(_tiles, "workers", lambda: n)

    use(2)
    yield use


def _data(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def _encode_file(v: Verifier, tmp: Path, data: bytes, outboard: bool) -> tuple[bytes, bytes]:
    (tmp / "content").write_bytes(data)
    with open(tmp / "content", "rb") as f, open(tmp / "enc", "w+b") as out:
        root = bao.encode(v, f, out, outboard=outboard)
        assert f.tell() == len(data)
    return root, (tmp / "enc").read_bytes()


def _decode(v: Verifier, root: bytes, enc: bytes, content: bytes | None) -> tuple[bytes, str | None]:
    """(verified output, failure message or None) from in-memory streams."""
    out = bytearray()
    try:
        if content is None:
            bao.decode(v, root, io.BytesIO(enc), out.extend)
        else:
            bao.decode(v, root, io.BytesIO(content), out.extend, outboard=io.BytesIO(enc))
    except bao.VerificationFailed as exc:
        return bytes(out), exc.message
    return bytes(out), None


def _decode_files(v: Verifier, root: bytes, enc: bytes, content: bytes | None, tmp: Path,
                  prefix: bytes = b"") -> tuple[bytes, str | None]:
    """``_decode`` from regular files (the tiles read them by positional reads), each stream
    after ``prefix`` in its file and the file positioned there; the streams must end where
    sequential reads leave them."""
    (tmp / "enc.in").write_bytes(prefix + enc)
    (tmp / "content.in").write_bytes(prefix + (content or b""))
    out = bytearray()
    error = None
    with open(tmp / "enc.in", "rb") as e, open(tmp / "content.in", "rb") as c:
        e.seek(len(prefix))
        c.seek(len(prefix))
        try:
            if content is None:
                bao.decode(v, root, e, out.extend)
            else:
                bao.decode(v, root, c, out.extend, outboard=e)
        except bao.VerificationFailed as exc:
            error = exc.message
        if error is None:
            assert e.tell() == len(prefix) + len(enc)
            assert content is None or c.tell() == len(prefix) + len(content)
    return bytes(out), error


def test_plan_uses_tiles_only_when_worth_it() -> None:
    assert _tiles.plan(1 << 30, 1) is None
    assert _tiles.plan(1 << 30, 2) == _tiles.TILE_MAX_CHUNKS
    assert _tiles.plan(3 * 1024 * 1024, 2) is None  # fewer than MIN_TILES tiles of the smallest size
    t = _tiles.plan(16 * 1024 * 1024, 2)
    assert t is not None and t % 256 == 0 and chunk_count(16 << 20) >= _tiles.MIN_TILES * t


@pytest.mark.parametrize("size", [TILE * 1024 * 4, TILE * 1024 * 4 + 1, TILE * 1024 * 7 - 5, 3 * 1024 * 1024 + 777])
@pytest.mark.parametrize("outboard", [False, True])
def test_tiled_encoding_is_the_one_stream_encoding(verifier: Verifier, threads: Any, tmp_path: Path,
                                                   size: int, outboard: bool) -> None:
    data = _data(size)
    root, enc = _encode_file(verifier, tmp_path, data, outboard)
    threads(1)
    root1, enc1 = _encode_file(verifier, tmp_path, data, outboard)
    assert root == root1 == blake3.blake3(data).digest()
    assert enc == enc1
    threads(2)
    got, error = _decode(verifier, root, enc, data if outboard else None)
    assert error is None and got == data
    with open(tmp_path / "content", "rb") as f:
        assert bao.bao_hash(verifier, f) == root


def test_tiles_run_on_several_threads(verifier: Verifier, threads: Any, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[str] = set()

    def spy(name: str) -> None:
        check = getattr(_tiles, name)

        def spied(*args: Any) -> Any:
            seen.add(threading.current_thread().name)
            return check(*args)

        monkeypatch.setattr(_tiles, name, spied)

    spy("_check_tile")  # outboard tiles from streams
    spy("_check_in_place")  # combined tiles from streams, verified where they were received
    spy("_check_at")  # tiles of regular files, each read by its thread
    data = _data(TILE * 1024 * 16)
    for outboard in (False, True):
        root, enc = _encode_file(verifier, tmp_path, data, outboard)
        for decode in (_decode, lambda *a: _decode_files(*a, tmp_path)):
            seen.clear()
            assert decode(verifier, root, enc, data if outboard else None) == (data, None)
            assert len(seen) == 2 and all(name.startswith("bao-tile") for name in seen)


@pytest.mark.parametrize("outboard", [False, True])
def test_every_failure_is_the_one_stream_failure(verifier: Verifier, threads: Any, tmp_path: Path,
                                                 outboard: bool) -> None:
    """Flipped bits anywhere (header, parents above and inside tiles, chunks, the content of an
    outboard pair) and truncations: the same verified bytes and the same message."""
    size = TILE * 1024 * 6 + 333
    data = _data(size)
    root, enc = _encode_file(verifier, tmp_path, data, outboard)
    total = chunk_count(size)
    rng = random.Random(7)
    spots = {0, 7, 8, 8 + 63, 8 + 64, len(enc) - 1, len(enc) // 2, *(rng.randrange(len(enc)) for _ in range(12))}
    for first, n in [(0, total), (0, 4 * TILE), (4 * TILE, total - 4 * TILE), (2 * TILE, 2 * TILE), (TILE, TILE)]:
        spots.add(node_offset(first, n, size, outboard=outboard))
    cases: list[tuple[bytes, bytes | None]] = []
    for at in sorted(spots):
        bad = bytearray(enc)
        bad[at] ^= 1
        cases.append((bytes(bad), data if outboard else None))
    if outboard:
        for at in (0, size // 2, size - 1, rng.randrange(size)):
            bad = bytearray(data)
            bad[at] ^= 1
            cases.append((enc, bytes(bad)))
    for cut in (0, 5, 8, 100, len(enc) // 3, len(enc) - 1):
        cases.append((enc[:cut], data if outboard else None))
    if outboard:
        cases.append((enc, data[: size // 2]))
    for encoding, content in cases:
        threads(2)
        tiled = _decode(verifier, root, encoding, content)
        from_files = _decode_files(verifier, root, encoding, content, tmp_path, prefix=b"x" * 13)
        threads(1)
        one = _decode(verifier, root, encoding, content)
        assert tiled == one == from_files
        assert tiled[1] is not None or (encoding == enc and content in (None, data))


@pytest.mark.parametrize("outboard", [False, True])
def test_files_read_by_position_give_the_stream_path_bytes(verifier: Verifier, threads: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, outboard: bool) -> None:
    """Regular files go through ``_check_at`` (each tile read by its thread); anything else
    (a pipe-like stream) through the in-order reads."""
    calls: list[int] = []
    check_at = _tiles._check_at

    def counting(*args: Any) -> Any:
        calls.append(args[-2])  # the tile's file offset
        return check_at(*args)

    monkeypatch.setattr(_tiles, "_check_at", counting)
    data = _data(TILE * 1024 * 9 + 4321)
    root, enc = _encode_file(verifier, tmp_path, data, outboard)
    assert _decode_files(verifier, root, enc, data if outboard else None, tmp_path, prefix=b"p" * 100) == (data, None)
    assert len(calls) == 10 and calls == sorted(calls) and calls[0] >= 100
    calls.clear()
    assert _decode(verifier, root, enc, data if outboard else None) == (data, None)
    assert calls == []


def test_a_file_cut_while_it_is_verified_yields_only_verified_bytes(verifier: Verifier, threads: Any,
                                                                     tmp_path: Path) -> None:
    """The tiles' file shrinks after the reads began: the call fails having yielded a prefix of
    the content, every byte of it verified."""
    data = _data(TILE * 1024 * 12)
    root, enc = _encode_file(verifier, tmp_path, data, False)
    (tmp_path / "enc.in").write_bytes(enc)
    out = bytearray()
    with open(tmp_path / "enc.in", "rb") as f, pytest.raises(bao.VerificationFailed, match="ended early"):
        for piece in bao.iter_decode(verifier, root, f):
            if not out:
                with open(tmp_path / "enc.in", "r+b") as cut:
                    cut.truncate(len(enc) // 2)
            out += piece
    assert 0 < len(out) < len(data) and bytes(out) == data[:len(out)]


def test_a_failure_in_a_late_tile_yields_every_byte_before_it(verifier: Verifier, threads: Any,
                                                             tmp_path: Path) -> None:
    size = TILE * 1024 * 10
    data = _data(size)
    root, enc = _encode_file(verifier, tmp_path, data, True)
    at = int(size * 0.9)
    bad = bytearray(data)
    bad[at] ^= 1
    got, error = _decode(verifier, root, enc, bytes(bad))
    assert error is not None and f"chunk {at // 1024} " in error
    assert got == data[: at // 1024 * 1024]


def test_a_file_shorter_than_its_length_is_refused(verifier: Verifier, tmp_path: Path) -> None:
    (tmp_path / "content").write_bytes(_data(TILE * 1024 * 4))
    with open(tmp_path / "content", "rb") as f, pytest.raises(InvalidInput, match="changed while it was encoded"):
        _tiles.encode_fd(verifier, f.fileno(), 0, TILE * 1024 * 5, None, 0, outboard=False, t=TILE, threads=2)


def test_subtree_streams_are_guarded(verifier: Verifier) -> None:
    with pytest.raises(GuestError, match="multiple of 256"):
        verifier.encoder(4096, MODE_COMBINED, first=3)
    with pytest.raises(GuestError, match="at least one byte"):
        verifier.encoder(0, MODE_COMBINED, first=256)
    with pytest.raises(GuestError, match="combined or outboard"):
        verifier.decoder(bytes(32), MODE_SLICE, subtree=Subtree(0, 1024))
    with pytest.raises(GuestError, match="verified whole"):
        verifier.decoder(bytes(32), MODE_OUTBOARD, 5, subtree=Subtree(0, 1024))
    with pytest.raises(GuestError, match="at least one byte"):
        verifier.decoder(bytes(32), MODE_COMBINED, subtree=Subtree(0, 0))
    joiner = verifier.joiner()
    with pytest.raises(InvalidInput):
        joiner.parent(bytes(63), root=False)
    # subtree chaining values and the parent join are BLAKE3's: 512 chunks as two subtrees
    data = _data(512 * 1024)
    whole = io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(data), whole)
    node = whole.getvalue()[8:72]  # the root parent: the two halves' chaining values
    for half, first in ((0, 0), (1, 256)):
        enc = verifier.encoder(256 * 1024, MODE_COMBINED, first=first)
        enc.update(data[half * 256 * 1024:(half + 1) * 256 * 1024])
        _, cv = enc.final()
        assert cv == node[half * 32:(half + 1) * 32]
    assert joiner.parent(node, root=True) == root == blake3.blake3(data).digest()
    assert joiner.parent(node, root=False) != root


def test_a_failed_tile_stops_the_tiles_not_started(verifier: Verifier, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The file ends early: the call fails at the first short tile, and the tiles queued behind
    it never run."""
    (tmp_path / "content").write_bytes(_data(TILE * 1024 * 2))
    started: list[int] = []
    encoder = Verifier.encoder

    def counting(self: Verifier, *args: Any, **kw: Any) -> Any:
        started.append(kw.get("first", -1))
        if kw.get("first", 0) >= 3 * TILE:  # past the end: slow enough for the cancel to be seen
            time.sleep(0.02)
        return encoder(self, *args, **kw)

    monkeypatch.setattr(Verifier, "encoder", counting)
    with open(tmp_path / "content", "rb") as f, pytest.raises(InvalidInput, match="changed while it was encoded"):
        _tiles.encode_fd(verifier, f.fileno(), 0, TILE * 1024 * 64, None, 0, outboard=False, t=TILE, threads=2)
    assert 3 <= len(started) < 16  # 64 tiles queued: two whole, the first short one, and a few racing it


def test_tiles_shrink_so_memory_in_flight_stays_bounded() -> None:
    for threads in (2, 4, 8, 16):
        t = _tiles.plan(1 << 30, threads)
        assert t is not None and t % 256 == 0
        assert (threads + 2) * t * 1024 <= _tiles.IN_FLIGHT_BYTES
    assert _tiles.workers() <= _tiles.MAX_THREADS


def test_one_thread_asked_for_is_one_stream(verifier: Verifier, threads: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``threads=1`` (what ``serve`` asks for its stored blobs) never starts tiles."""
    data = _data(TILE * 1024 * 8)
    store = bao.BlobStore(tmp_path / "bao")
    cid = store.add(verifier, io.BytesIO(data))

    def refuse(*args: Any, **kw: Any) -> Any:
        raise AssertionError("tiles started")

    monkeypatch.setattr(_tiles, "iter_verified", refuse)
    assert b"".join(bytes(p) for p in store.verified(verifier, cid, threads=1)) == data
    with pytest.raises(AssertionError, match="tiles started"):
        list(store.verified(verifier, cid))


def test_an_encoding_reserves_its_blocks_first_and_best_effort(verifier: Verifier, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``reserve`` asks for the encoding's blocks before the out-of-order writes (the file has
    its final size at once); where the call is refused nothing happens."""
    asked: list[tuple[int, int]] = []

    def spy(fd: int, at: int, size: int) -> None:
        asked.append((at, size))
        reserve(fd, at, size)
        if sys.platform.startswith("linux"):
            assert os.fstat(fd).st_size >= at + size

    monkeypatch.setattr(_stream, "reserve", spy)
    data = _data(TILE * 1024 * 5 + 17)
    root, enc = _encode_file(verifier, tmp_path, data, False)
    assert asked == [(0, len(enc))] and root == blake3.blake3(data).digest()
    read_end, write_end = os.pipe()
    try:
        reserve(write_end, 0, 1 << 20)  # a pipe: refused, and nothing else happens
    finally:
        os.close(read_end)
        os.close(write_end)
