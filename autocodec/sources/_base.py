"""The block-source protocol and the bounded-retry helper every network source uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Protocol, TypeVar

from ..cid import CID
from ..config import FetchLimits
from ..errors import FetchTimeout, SourceUnavailable
from ._http import Deadline

T = TypeVar("T")


class BlockSource(Protocol):
    """Something that may hold blocks. ``get`` returns unverified bytes.

    Raises ``BlockNotFound`` when the source answers that it lacks the block, and a
    ``FetchError`` subclass when it cannot answer.
    """

    name: str

    def get(self, cid: CID) -> bytes: ...


def with_retries(what: str, limits: FetchLimits, attempt: Callable[[Deadline], T],
                 deadline: Deadline | None = None) -> T:
    """Run ``attempt(deadline)``, retrying transient failures (unavailable, timeout) with backoff.

    ``what`` prefixes the final error ('' when the attempt's own messages already say what failed).

    Invariants: every attempt shares one ``Deadline`` (``limits.deadline_s`` unless given), so
    the whole operation, retries and backoff included, ends by it; no retry starts when its
    backoff would pass the deadline. Other errors (not found, too large, mismatch, not
    trustless) are final and raised at once.
    """
    deadline = deadline or Deadline(limits.deadline_s)
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
                raise type(exc)(f"{what}: {exc.message}{tries}" if what else f"{exc.message}{tries}") from None
            time.sleep(delay)
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


__all__ = ["BlockSource", "Deadline", "read_capped", "with_retries"]
