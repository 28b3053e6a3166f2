"""An end time (``time.monotonic``) that caps every guest call's deadline in one thread.

Invariants:
- ``capped_calls(end)`` sets the cap for the calling thread while it runs (the earlier of
  ``end`` and a cap already set), and puts the previous one back on exit, however it exits.
- ``capped_ticks(ticks)`` is ``ticks`` with no cap set, else at most the epoch ticks left to
  the cap (at least the engine's smallest deadline): a call starting before the cap ends by it
  plus at most one tick and the epoch thread's scheduling, not one whole per-call deadline.
  Fuel and the per-call deadline still apply as before; the cap only ever shortens a call.
- Calls made in other threads or processes (pools) are not capped.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
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


def capped_ticks(ticks: int) -> int:
    """``ticks``, or fewer when this thread's cap (``capped_calls``) comes sooner."""
    end = _local.end
    if end is None:
        return ticks
    left_ms = (end - _monotonic()) * 1000
    if left_ms >= ticks * TICK_MS:  # the usual case: the cap is further away than the call's own deadline
        return ticks
    return min(ticks, deadline_ticks(max(0, math.ceil(left_ms))))
