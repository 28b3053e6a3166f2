"""An end time (``time.monotonic``) that caps every guest call's deadline for one operation,
in the thread that set it and in the threads and worker processes that work for it.

Invariants:
- ``capped_calls(end)`` sets the cap for the calling thread while it runs (the earlier of
  ``end`` and a cap already set), and puts the previous one back on exit, however it exits.
- ``capped_ticks(ticks)`` is ``ticks`` with no cap set, else at most the epoch ticks left to
  the cap (at least the engine's smallest deadline): a call starting before the cap ends by it
  plus at most one tick and the epoch thread's scheduling, not one whole per-call deadline.
  Fuel and the per-call deadline still apply as before; the cap only ever shortens a call.
- The cap follows the work to other threads and processes: a thread pool made for one
  operation takes ``inherit()`` as its initializer (its threads keep the maker's cap until they
  end: bao tiles); a shared pool's piece of work runs under ``carried(current())`` (bulk
  threads, ``_threads.spread``), and a worker process is sent ``current()`` with each call
  (``_pool``; ``time.monotonic`` is one clock for every process of the machine). So every
  guest call made for a capped operation (a vectors run) ends by the same cap.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic as _monotonic

from ._engine import TICK_MS, deadline_ticks


class _Cap(threading.local):
    end: float | None = None  # a class default: reading an unset cap raises nothing (~50 ns, not ~700)


_local = _Cap()


@contextmanager
def capped_calls(end: float) -> Iterator[None]:
    """Cap the deadline of every guest call this thread makes inside the block at ``end``."""
    before = _local.end
    _local.end = end if before is None else min(before, end)
    try:
        yield
    finally:
        _local.end = before


def current() -> float | None:
    """This thread's cap, ``None`` when it has none."""
    return _local.end


@contextmanager
def carried(end: float | None) -> Iterator[None]:
    """Make this thread's cap exactly ``end`` (another thread's ``current()``; ``None``: no cap)
    inside the block, whatever it was before (a process forked by a capped thread starts with
    that thread's cap: a worker must not keep it for the calls after)."""
    before = _local.end
    _local.end = end
    try:
        yield
    finally:
        _local.end = before


def inherit() -> Callable[[], None]:
    """An initializer for a thread pool made for one operation: each of its threads takes the
    calling thread's cap (now) for as long as it lives. A pool that outlives the operation must
    not use it (its threads would stay capped); it carries ``current()`` per piece instead."""
    end = _local.end

    def take() -> None:
        _local.end = end

    return take


def capped_ticks(ticks: int) -> int:
    """``ticks``, or fewer when this thread's cap (``capped_calls``) comes sooner."""
    end = _local.end
    if end is None:
        return ticks
    left_ms = (end - _monotonic()) * 1000
    if left_ms >= ticks * TICK_MS:  # the usual case: the cap is further away than the call's own deadline
        return ticks
    return min(ticks, deadline_ticks(max(0, math.ceil(left_ms))))
