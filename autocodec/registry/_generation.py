"""``Generation``: everything derived from one reading of the trust state, and nothing else.

Invariants:
- A generation is made for one trust token (the trust store's epoch plus this process's
  in-process changes) and is never changed to describe another: its fields are frozen, and
  its memo only fills in values that are functions of that token (resolutions, module
  decisions, loaded and checked modules, kind adapters); a value dropped to keep the memo
  bounded (``MEMO_ENTRIES``) is made again from the same trust state if asked for.
- Nothing crosses generations: a trust change anywhere yields a new generation with an
  empty memo, so every adapter, decision and loaded module is made again under the new
  trust state (the compiled-code cache below the sandbox is keyed by code bytes only and
  holds no trust decision).
- A generation ends at the earliest expiry (wall-clock Unix seconds) of the trust documents
  its decisions relied on (``note_expiry``): from then on its resolver starts a new one, so
  nothing decided under a set, index or manifest outlives that document's expiry.
- A key is computed once while it is kept; the work runs under that key's own lock,
  never under a lock shared with other keys, so a slow load (fetch, compile) for one module
  never blocks calls that need another. Failures are not memoized: the next call retries.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING: Any = object()
MEMO_ENTRIES = 4096
"""Most values one generation keeps (resolutions of arbitrary codes included); the oldest are
dropped first and made again if asked for (the same value: a function of the generation)."""


@dataclass(frozen=True, eq=False)
class Generation:
    """One consistent view of what is trusted; replaced, never mutated, on a trust change."""

    number: int
    token: tuple[int, int]
    """(trust epoch read from the store, in-process change count) this generation describes."""
    started: float = field(default_factory=time.monotonic)
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _locks: dict[Hashable, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _expiry: list[float] = field(default_factory=lambda: [math.inf], repr=False)

    @property
    def expires_at(self) -> float:
        """Unix time at which a decision made in this generation stops holding (inf: none expires)."""
        return self._expiry[0]

    def note_expiry(self, at: float | None) -> None:
        """A decision of this generation relies on a document that expires at ``at`` (None: never)."""
        if at is not None:
            with self._guard:
                self._expiry[0] = min(self._expiry[0], at)

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value memoized for ``key`` in this generation, made by ``make()`` the first time."""
        found = self._memo.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self._memo.get(key, _MISSING)
            if found is _MISSING:
                try:
                    found = make()
                except BaseException:
                    with self._guard:  # a failure leaves no lock behind (keys a client chose, e.g.
                        self._locks.pop(key, None)  # modules named by envelope blocks, all refused)
                    raise
                with self._guard:  # bounded (issue 16, case 7): the oldest entries go first
                    self._memo[key] = found
                    self._locks.pop(key, None)
                    while len(self._memo) > MEMO_ENTRIES:
                        del self._memo[next(iter(self._memo))]
        return found  # type: ignore[no-any-return]

    def cached(self, key: Hashable) -> Any:
        """The value memoized for ``key``, or None (no computation)."""
        return self._memo.get(key)

    def __len__(self) -> int:
        return len(self._memo)
