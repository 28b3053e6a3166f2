"""What a gateway answer costs the server, counted rather than timed: trips to a worker
thread per file body, and how a body pulled a few pieces at a time breaks off on an error
(the same bytes first, then the error, never a clean end)."""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from autocodec import errors
from autocodec.registry import Runtime
from autocodec.serve import make_app
from autocodec.serve._app import EXECUTOR
from autocodec.serve._gateway_body import _TAKE_PIECES, _Pull
from autocodec.unixfs import AddOptions, add_bytes


class _CountingPool(ThreadPoolExecutor):
    """A real thread pool that counts the calls handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.calls = 0
        self._count_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._count_lock:
            self.calls += 1
        return super().submit(fn, *args, **kwargs)


def test_a_file_body_is_pulled_a_few_pieces_per_trip(tmp_path: Path) -> None:
    """A 64-piece file costs about 64 / _TAKE_PIECES trips to a worker thread, not one per
    piece (before: 64 trips and more); the body is the file's bytes."""
    data = random.Random(7).randbytes(64 * 1024)
    with Runtime(tmp_path / "home", default_set=False) as runtime:
        cid = add_bytes(runtime.store, data, AddOptions(cid_version=1, chunker="size-1024"))

        async def go() -> tuple[int, bytes, int]:
            app = make_app(runtime, workers=2)
            app[EXECUTOR].shutdown()
            pool = app[EXECUTOR] = _CountingPool()
            async with TestClient(TestServer(app)) as client:
                resp = await client.get(f"/ipfs/{cid}")
                body = await resp.read()
            return resp.status, body, pool.calls

        status, body, calls = asyncio.run(go())
    assert status == 200
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    pieces = len(data) // 1024
    assert calls <= pieces // _TAKE_PIECES + 8, calls  # + locating, classifying, the type's first bytes


def _pieces(count: int, fail: bool) -> Iterator[bytes]:
    for i in range(count):
        yield bytes([i]) * 10
    if fail:
        raise errors.BlockNotFound("a block is missing")


@pytest.mark.parametrize("count", [1, _TAKE_PIECES - 1, _TAKE_PIECES, _TAKE_PIECES + 1, 3 * _TAKE_PIECES + 2])
def test_pull_sends_every_piece_before_the_error(count: int) -> None:
    """The pieces read before an error are all taken, in order; the error comes next, and
    again if asked after it (an empty batch, the clean end, never follows an error)."""
    pull = _Pull(_pieces(count, fail=True))
    got: list[bytes] = []
    with pytest.raises(errors.BlockNotFound):
        while True:
            batch = pull.take()
            assert batch, "a clean end after an error"
            assert len(batch) <= _TAKE_PIECES
            got.extend(batch)
    assert got == [bytes([i]) * 10 for i in range(count)]
    with pytest.raises(errors.BlockNotFound):
        pull.take()


def test_pull_ends_cleanly_without_an_error() -> None:
    pull = _Pull(_pieces(2 * _TAKE_PIECES + 1, fail=False))
    sizes = []
    while batch := pull.take():
        sizes.append(len(batch))
    assert sizes == [_TAKE_PIECES, _TAKE_PIECES, 1]
    assert pull.take() == []


def test_pull_stops_a_batch_at_its_byte_bound() -> None:
    big = (bytes(600 << 10) for _ in range(3))  # 600 KiB pieces: two make a batch past 1 MiB
    pull = _Pull(big)
    assert [len(pull.take()), len(pull.take())] == [2, 1]
