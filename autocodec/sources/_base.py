"""The block-source protocol and the bounded-retry helper every network source uses."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from ..cid import CID
from ..config import FetchLimits
from ..errors import FetchTimeout, SourceUnavailable
from ._http import Cancel, Deadline, cancellable, current_cancel

T = TypeVar("T")


class BlockSource(Protocol):
    """Something that may hold blocks. ``get`` returns unverified bytes.

    Raises ``BlockNotFound`` when the source answers that it lacks the block, and a
    ``FetchError`` subclass when it cannot answer.
    """

    name: str

    def get(self, cid: CID) -> bytes: ...


_OPERATION: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("autocodec_fetch_operation", default=None)


@contextmanager
def operation_deadline(bound: float | Deadline) -> Iterator[Deadline]:
    """Bound every fetch made inside the block (this thread or task) by one shared deadline
    (``bound`` seconds from now, or a ``Deadline`` shared by several blocks).

    For operations made of many fetches (pinning or updating a set, a refresh): each fetch keeps
    its own ``deadline_s`` and ends at the earlier of the two; an inner block can only shorten
    the bound, never extend an outer one.
    """
    outer = _OPERATION.get()
    mine = bound if isinstance(bound, Deadline) else Deadline(bound)
    token = _OPERATION.set(mine if outer is None or mine.end < outer.end else outer)
    try:
        yield _OPERATION.get() or mine
    finally:
        _OPERATION.reset(token)


def _deadline_for(limits: FetchLimits) -> Deadline:
    """This fetch's deadline: ``limits.deadline_s`` from now, or the operation's if that is sooner."""
    own = Deadline(limits.deadline_s)
    outer = _OPERATION.get()
    return outer if outer is not None and outer.end < own.end else own


def with_retries(what: str, limits: FetchLimits, attempt: Callable[[Deadline], T],
                 deadline: Deadline | None = None) -> T:
    """Run ``attempt(deadline)``, retrying transient failures (unavailable, timeout) with backoff.

    ``what`` prefixes the final error ('' when the attempt's own messages already say what failed).

    Invariants: every attempt shares one ``Deadline`` (``limits.deadline_s`` unless given, or
    the enclosing ``operation_deadline`` when that ends sooner), so the whole fetch, retries and
    backoff included, ends by it; no retry starts when its backoff would pass the deadline. Other errors (not found, too large, mismatch, not
    trustless) are final and raised at once.
    """
    deadline = deadline or _deadline_for(limits)
    delay = limits.backoff_s
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt(deadline)
        except (SourceUnavailable, FetchTimeout) as exc:
            last_try = attempts > limits.retries or deadline.remaining() <= delay
            if last_try:
                tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                raise type(exc)(f"{what}: {exc.message}{tries}" if what else f"{exc.message}{tries}",
                                hint=exc.hint) from None
            cancel = current_cancel()
            if cancel is None:
                time.sleep(delay)
            elif cancel.wait(delay):
                cancel.check(what or "fetch")
            delay *= 2


def read_capped(chunks: Iterable[bytes], cap: int, what: str) -> bytes:
    """Join a stream of chunks, aborting as soon as it exceeds ``cap`` bytes."""
    from ..errors import FetchTooLarge

    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > cap:
            raise FetchTooLarge(f"{what}: more than {cap} bytes")
    return bytes(out)


__all__ = ["BlockSource", "Cancel", "Deadline", "cancellable", "current_cancel", "operation_deadline",
           "read_capped", "with_retries"]
