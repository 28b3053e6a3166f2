"""The whole-run bound of one vectors run (docs/bounds.md, "Test vectors").

Invariants:
- One ``RunBudget`` per ``run_vectors`` call; it starts when made and never resets.
- ``spend(n)`` is called before each step that hands the guest work (one guest operation on
  ``n`` bytes, or making ``n`` bytes of generated input): the step is charged ``n`` plus
  ``STEP_COST``, and ``VectorsTooCostly`` is raised before the step if the charge would pass
  ``max_vectors_work`` or the clock is past ``vectors_deadline_s``. A step is one guest
  operation (a codec call; a digest or chunking of up to 2^24 bytes, streamed to the guest in
  ``stream_chunk_bytes`` pieces, each call bounded by the sandbox's own deadline) or 1 MiB of
  generated input. A Bao step's streams are ``Clocked`` (the clock is read before each piece
  handed to or taken from the guest), so there a run stops at most one guest call late.
- ``run_vectors`` caps every guest call the run makes at the run's ``end``
  (``_callcap.capped_calls``): a call gets the smaller of the sandbox's per-call deadline and
  the run time left, so a step of several calls, or one spinning call, ends within about one
  epoch tick (5 ms) of the run's deadline, not one per-call deadline (5 s) past it.
- The work count is deterministic (the same document and module charge the same units
  everywhere); the deadline is not, it is the backstop for slow guests and slow machines.
"""

from __future__ import annotations

import io
import time
from typing import Any

from ..config import TrustLimits
from ..errors import VectorsTooCostly

STEP_COST = 4096
"""Units charged per step besides its bytes: a fresh instance and a call cost about as much as
handing over a few KiB (measured: ~6 us per small codec call, ~3 ns per byte hashed)."""


class RunBudget:
    """Work and wall clock left to one vectors run."""

    __slots__ = ("_cases", "_deadline", "_end", "_max_work", "max_checks", "work")

    @property
    def end(self) -> float:
        """When the run's deadline passes (``time.monotonic``)."""
        return self._end

    def __init__(self, limits: TrustLimits) -> None:
        self._max_work = limits.max_vectors_work
        self._deadline = limits.vectors_deadline_s
        self._end = time.monotonic() + limits.vectors_deadline_s
        self.max_checks = limits.max_vector_checks
        self._cases = 0
        self.work = 0
        """Units charged so far."""

    def case(self, index: int) -> None:
        """Note that case ``index`` starts (named in the error); checks the clock."""
        self._cases = index
        self._check_clock()

    def need(self, units: int, what: str) -> None:
        """Refuse at once, before any of it runs, a step whose known work would pass the budget."""
        if self.work + units > self._max_work:
            raise VectorsTooCostly(f"vector case {self._cases} needs {units} units of work ({what}), over the "
                                   f"{self._max_work - self.work} left of the run's {self._max_work}")

    def spend(self, nbytes: int) -> None:
        """Charge one step of ``nbytes``; raise ``VectorsTooCostly`` instead if it does not fit."""
        cost = nbytes + STEP_COST
        if self.work + cost > self._max_work:
            raise VectorsTooCostly(f"the vectors passed their work budget of {self._max_work} units "
                                   f"at case {self._cases}")
        self._check_clock()
        self.work += cost

    def tick(self) -> None:
        """Check the clock only (between the pieces of one step)."""
        self._check_clock()

    def _check_clock(self) -> None:
        if time.monotonic() > self._end:
            raise VectorsTooCostly(f"the vectors ran past their {self._deadline:g} s deadline at case "
                                   f"{self._cases}")


class Clocked(io.BytesIO):
    """An in-memory stream that checks ``budget``'s clock before each read and write."""

    def __init__(self, budget: RunBudget, initial: bytes = b"") -> None:
        super().__init__(initial)
        self._budget = budget

    def read(self, size: int | None = -1, /) -> bytes:
        self._budget.tick()
        return super().read(size)

    def readinto(self, buffer: Any, /) -> int:
        self._budget.tick()
        return super().readinto(buffer)

    def write(self, data: Any, /) -> int:
        self._budget.tick()
        return super().write(data)
