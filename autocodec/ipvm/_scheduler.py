"""Admission control for jobs pushed by other principals: limits per issuer, refusals not slowdowns.

Invariants:
- Each issuer (the principal a job is charged to: ``RemoteExecutor`` names the delegate the
  executor granted the authority to, whoever below it signed the invocation) has its own budget: at most ``concurrent`` jobs
  running, at most ``queue`` more waiting, and at most ``fuel_per_minute`` fuel *asked for*
  (the job's budget, charged at admission) in any sliding 60-second window.
- A job over any budget is refused at once with ``RateLimited`` (HTTP 429); it never waits
  behind the issuer's other jobs past ``queue``, and one issuer's burst never takes another
  issuer's slots.
- A job that waits for a slot waits at most ``wait_s`` seconds, then is refused.
- A waiting job holds the thread it was admitted on, so the thread pool that runs admissions
  has ``job_threads(limits, spare)`` threads: every thread one issuer can hold (``concurrent``
  running plus ``queue`` waiting) and ``spare`` more, so one issuer alone never holds them all.
- At most ``max_issuers_tracked`` issuers are remembered; making room forgets idle issuers with
  no fuel charged in the last minute, and one that charged fuel only when no other is idle, so
  issuers made up by fresh keys cannot reset a delegate's fuel window.
- Everything is in memory, per process; nothing here reads the job's content.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..config import RemoteLimits
from ..errors import RateLimited


def job_threads(limits: RemoteLimits, spare: int) -> int:
    """Threads for a pool that runs admissions: one issuer holds at most ``concurrent +
    queue`` of them (running or waiting for a slot), and ``spare`` (at least 1) stay for the
    others."""
    return limits.concurrent + limits.queue + max(1, spare)


@dataclass
class _Issuer:
    running: int = 0
    waiting: int = 0
    fuel: deque[tuple[float, int]] = field(default_factory=deque)


class Scheduler:
    """Per-issuer admission for remote jobs."""

    def __init__(self, limits: RemoteLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Condition()
        self._issuers: dict[str, _Issuer] = {}

    def _issuer(self, did: str) -> _Issuer:
        state = self._issuers.get(did)
        if state is None:
            if len(self._issuers) >= self.limits.max_issuers_tracked:
                self._forget_idle()
            state = self._issuers[did] = _Issuer()
        return state

    def _forget_idle(self) -> None:
        """Make room among the tracked issuers. Every idle issuer with no fuel charged in the last
        60 s goes (it has nothing to remember). Only when there is none does half of the idle ones
        go, fuel windows and all: forgetting a window gives its issuer its whole budget again, and
        the revocation route admits an issuer before the revocation is checked, so fresh keys of
        anyone's could otherwise make room by forgetting a delegate that spent its minute."""
        now = self._clock()
        idle = [(d, s) for d, s in self._issuers.items() if not s.running and not s.waiting]
        spent = {d for d, s in idle if any(f > 0 and t > now - 60.0 for t, f in s.fuel)}
        victims = [d for d, _ in idle if d not in spent]
        if not victims:
            victims = [d for d, _ in idle][: len(idle) // 2 + 1]
        for d in victims:
            del self._issuers[d]

    @contextmanager
    def admit(self, issuer: str, fuel: int) -> Iterator[None]:
        """Hold one of ``issuer``'s job slots for the duration; ``RateLimited`` when over a budget."""
        limits = self.limits
        with self._lock:
            state = self._issuer(issuer)
            now = self._clock()
            while state.fuel and state.fuel[0][0] <= now - 60.0:
                state.fuel.popleft()
            used = sum(f for _, f in state.fuel)
            if used + fuel > limits.fuel_per_minute:
                raise RateLimited(f"{issuer} (the principal this job is charged to) asked for {used + fuel} fuel "
                                  f"in the last minute (limit {limits.fuel_per_minute})")
            if state.running >= limits.concurrent and state.waiting >= limits.queue:
                raise RateLimited(f"{issuer} (the principal this job is charged to) has {state.running} jobs "
                                  f"running and {state.waiting} waiting (limits {limits.concurrent} and {limits.queue})")
            if fuel:
                state.fuel.append((now, fuel))
            state.waiting += 1
            try:
                deadline = now + limits.wait_s
                while state.running >= limits.concurrent:
                    left = deadline - self._clock()
                    if left <= 0:
                        raise RateLimited(f"a job charged to {issuer} waited {limits.wait_s:g} s for a slot")
                    self._lock.wait(left)
            finally:
                state.waiting -= 1
            state.running += 1
        try:
            yield
        finally:
            with self._lock:
                state.running -= 1
                self._lock.notify_all()

