"""Bulk work on threads of this process: for work that holds the GIL only briefly.

Hashing many inputs with an extension hasher that batches runs whole runs of frames in one C
call with the GIL released (``GuestInstance.hash_frames``), so threads scale there without the
process pool's copies and round trips (issue 19). ``spread(fn, items, workers)`` cuts ``items``
into contiguous pieces and runs ``fn`` over them on ``workers`` threads, the calling thread
being one of them; each thread claims the next piece as it finishes one, so a thread slowed by
another process on its core takes fewer. ``PIECES_PER_WORKER`` pieces per thread: the threads
end at most a short piece apart (two threads hashing 20,000 inputs of 1 KiB took 0.55 of one
thread's time with 8 pieces each, 0.58 with 4; pieces that shrink as the work runs out
measured no better than 8 equal ones, their extra calls costing what the closer end saved).

Invariants:
- ``fn`` gives one result per item of its piece; the result is ``fn`` of each piece,
  concatenated in input order: exactly the serial result when ``fn`` treats each item on its
  own (as ``Hasher.digest_many`` does).
- A thread touches only the items of the pieces it runs: it slices its piece itself and puts
  the piece's results in place in the one result list. Slicing every piece in the calling
  thread and joining the results there wrote the reference count of every item and result
  from both cores (two cache misses each, across cores): about 5% of two threads' time for
  20,000 small inputs, measured here.
- Every piece has ended (run or skipped) before ``spread`` returns or raises; the first
  exception (in piece order) is raised in the calling thread, and no piece starts after it.
- A helper thread runs its pieces under the calling thread's call cap (``_callcap``), so a
  capped operation (a vectors run) is capped on every thread it uses.
- The helper threads are one process-wide executor, made on first use and never copied into a
  forked child (a child starts its own).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import count
from typing import Any, TypeVar

from . import _callcap

T = TypeVar("T")
R = TypeVar("R")

PIECES_PER_WORKER = 8  # whoever is free takes the next piece
_executor: ThreadPoolExecutor | None = None
_size = 0
_lock = threading.Lock()


def _helpers(n: int) -> ThreadPoolExecutor:
    """The process-wide executor, with at least ``n`` threads."""
    global _executor, _size
    with _lock:
        if _executor is None or _size < n:
            old, _executor, _size = _executor, ThreadPoolExecutor(n, thread_name_prefix="autocodec-bulk"), n
            if old is not None:
                old.shutdown(wait=False)
        return _executor


def spread(fn: Callable[[list[T]], list[R]], items: Sequence[T], workers: int, min_piece: int = 1) -> list[R]:
    """``fn`` over contiguous pieces of ``items`` on ``workers`` threads (this one included),
    results in input order; pieces of at least ``min_piece`` items. ``fn`` must give one
    result per item (``ValueError`` otherwise)."""
    items = items if type(items) is list else list(items)  # only read here
    n = len(items)
    pieces = max(1, min(workers * PIECES_PER_WORKER, n // max(1, min_piece)))
    if workers < 2 or pieces < 2:
        return fn(items)
    step = -(-n // pieces)
    pieces = -(-n // step)
    out: list[Any] = [None] * n
    errors: list[tuple[int, BaseException]] = []
    claim = count()  # next() is atomic under the GIL
    failed = threading.Event()
    cap = _callcap.current()

    def work() -> None:
        with _callcap.carried(cap):  # the caller's cap holds in the helpers too
            claim_pieces()

    def claim_pieces() -> None:
        while not failed.is_set():
            lo = next(claim) * step
            if lo >= n:
                return
            hi = min(n, lo + step)
            try:
                got = fn(items[lo:hi])  # sliced in this thread: only its own items are touched
                if len(got) != hi - lo:
                    raise ValueError(f"spread: {len(got)} results for a piece of {hi - lo} items")
                out[lo:hi] = got  # same length: the list is not resized, only these slots change
            except BaseException as exc:  # reported in the caller, in input order
                errors.append((lo, exc))
                failed.set()
                return

    helpers = min(workers, pieces) - 1
    pool = _helpers(helpers)
    futures: list[Future[Any]] = [pool.submit(work) for _ in range(helpers)]
    work()
    for future in futures:
        future.result()
    if errors:
        raise min(errors, key=lambda e: e[0])[1]
    return out


def _after_fork_in_child() -> None:
    global _executor, _size, _lock
    _executor, _size, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
