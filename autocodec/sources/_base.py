"""The block-source protocol and the bounded-retry helper every network source uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Protocol, TypeVar

from ..cid import CID
from ..config import FetchLimits
from ..errors import FetchError, FetchTimeout, SourceUnavailable

T = TypeVar("T")


class BlockSource(Protocol):
    """Something that may hold blocks. ``get`` returns unverified bytes.

    Raises ``BlockNotFound`` when the source answers that it lacks the block, and a
    ``FetchError`` subclass when it cannot answer.
    """

    name: str

    def get(self, cid: CID) -> bytes: ...


def with_retries(what: str, limits: FetchLimits, attempt: Callable[[], T]) -> T:
    """Run ``attempt``, retrying transient failures (unavailable, timeout) with backoff.

    Other errors (not found, too large, mismatch) are final and raised at once.
    """
    delay = limits.backoff_s
    for remaining in range(limits.retries, -1, -1):
        try:
            return attempt()
        except (SourceUnavailable, FetchTimeout) as exc:
            if remaining == 0:
                raise type(exc)(f"{what}: {exc.message} (after {limits.retries + 1} attempts)") from None
            time.sleep(delay)
            delay *= 2
    raise FetchError(f"{what}: no attempt made")  # pragma: no cover - loop always returns or raises


def read_capped(chunks: Iterable[bytes], cap: int, what: str) -> bytes:
    """Join a stream of chunks, aborting as soon as it exceeds ``cap`` bytes."""
    from ..errors import FetchTooLarge

    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > cap:
            raise FetchTooLarge(f"{what}: more than {cap} bytes")
    return bytes(out)
