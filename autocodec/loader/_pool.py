"""Bulk work over every core: guest operations spread over forked worker processes.

CPython runs Python code one thread at a time; guest calls release the GIL but converting
their output to Python objects does not, so threads stop scaling at the conversion (issue 19).
Worker *processes* each convert their own share. Public API (re-exported as ``autocodec.bulk``):

- ``decode_many(codec, blocks, workers=None)``: like ``Codec.decode_many`` (a value or the
  error for each block, in order).
- ``links_many(codec, blocks, workers=None)``: the CIDs each block links to (or its error).
- ``digest_many(hasher, inputs, workers=None)``: the raw digest of each input.
- ``workers_for(items, total_bytes)``: how many processes a job of that size is worth
  (``1`` below ``MIN_ITEMS`` items and ``MIN_BYTES`` bytes: small jobs stay in the calling
  thread, where threads keep working as before).

Invariants:
- Results are exactly the serial ones, in input order: each worker runs the same adapter on
  a contiguous slice; errors travel as (class, message, status) and are rebuilt as the same
  ``AutocodecError`` subclass.
- Workers are forked (Linux/POSIX ``fork`` start method) after the module is loaded, so they
  share its compiled code and never compile; the sandbox limits hold in each worker. Where
  ``fork`` is unavailable, or with one worker, the work runs in the calling thread.
- A worker that dies (killed, out of memory) is a ``SandboxError`` for the whole call, never
  a hang; the pool is closed when the call returns.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from ..errors import AutocodecError, SandboxError

if TYPE_CHECKING:  # pragma: no cover
    from ._adapters import Codec, Hasher

MIN_ITEMS = 2000
MIN_BYTES = 8 << 20
_CHUNKS_PER_WORKER = 4

_jobs: dict[int, Callable[[list[bytes]], list[Any]]] = {}  # inherited by forked workers
_jobs_lock = threading.Lock()
_next_job = 0


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def workers_for(items: int, total_bytes: int) -> int:
    """Processes worth starting for ``items`` inputs of ``total_bytes`` (1: stay in-process)."""
    if items < MIN_ITEMS and total_bytes < MIN_BYTES:
        return 1
    return max(1, min(cores(), items))


def _ship(exc: AutocodecError) -> tuple[str, type[AutocodecError], str, int | None]:
    return ("\0error", type(exc), exc.message, getattr(exc, "code", None))


def _land(item: Any) -> Any:
    if isinstance(item, tuple) and len(item) == 4 and item[0] == "\0error":
        cls, message, code = item[1], item[2], item[3]
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        if code is not None:
            exc.code = code
        return exc
    return item


def _work(job: int, chunk: list[bytes]) -> list[Any]:
    """In a worker: run the job's function on one slice; errors as plain tuples."""
    out = _jobs[job](chunk)
    return [_ship(x) if isinstance(x, AutocodecError) else x for x in out]


def run_bulk(fn: Callable[[list[bytes]], list[Any]], items: Sequence[bytes], workers: int | None = None) -> list[Any]:
    """``fn`` over ``items`` (a function of a list giving one result per item), spread over
    ``workers`` forked processes (``None``: ``workers_for``); results in input order."""
    items = list(items)
    if workers is None:
        workers = workers_for(len(items), sum(len(b) for b in items))
    workers = max(1, min(workers, len(items)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return fn(items)
    global _next_job
    with _jobs_lock:
        job = _next_job
        _next_job += 1
        _jobs[job] = fn
    try:
        pieces = workers * _CHUNKS_PER_WORKER
        step = -(-len(items) // pieces)
        chunks = [items[i : i + step] for i in range(0, len(items), step)]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            try:
                parts = list(pool.map(_work, [job] * len(chunks), chunks))
            except BrokenProcessPool:
                raise SandboxError("a bulk worker process died (killed or out of memory); retry with fewer workers") from None
    finally:
        with _jobs_lock:
            del _jobs[job]
    return [_land(x) for part in parts for x in part]


def decode_many(codec: Codec, blocks: Sequence[bytes], workers: int | None = None) -> list[Any | AutocodecError]:
    """Each block's decoded value or its error, in order (``Codec.decode_many`` over processes)."""
    return run_bulk(codec.decode_many, blocks, workers)


def _each(fn: Callable[[bytes], Any]) -> Callable[[list[bytes]], list[Any]]:
    """A chunk worker applying ``fn`` to each item, an ``AutocodecError`` kept as that item's result."""

    def work(chunk: list[bytes]) -> list[Any]:
        out: list[Any] = []
        for item in chunk:
            try:
                out.append(fn(item))
            except AutocodecError as exc:
                out.append(exc)
        return out

    return work


def links_many(codec: Codec, blocks: Sequence[bytes], workers: int | None = None) -> list[list[Any] | AutocodecError]:
    """The CIDs each block links to, or its error, in order."""
    return run_bulk(_each(codec.links), blocks, workers)


def digest_many(hasher: Hasher, inputs: Sequence[bytes], workers: int | None = None) -> list[bytes | AutocodecError]:
    """The raw digest of each input, or its error, in order."""
    return run_bulk(_each(hasher.digest), inputs, workers)


__all__ = ["decode_many", "links_many", "digest_many", "run_bulk", "workers_for", "cores"]
