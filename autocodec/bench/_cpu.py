"""CPU time and machine load beside the wall times, so a reader can tell a busy machine from slow code.

Invariants:
- ``cpu_ns()`` is user + system time of every thread of this process plus every child it has
  waited for (``getrusage(RUSAGE_CHILDREN)``), in nanoseconds; it never decreases.
- ``proc_cpu_ns(pid)`` is user + system time of a live process (``/proc/PID/stat``, clock
  ticks: 10 ms on Linux), for a server the bench starts and does not wait for while timing;
  ``tree_cpu_ns(pid)`` the same summed over its live descendants (a server's worker processes).
- A ``LoadWindow`` holds the 1-minute load average when a figure started and ended and the CPUs
  this process may run on (``os.sched_getaffinity``); it is ``overloaded`` when either load
  exceeds those CPUs: the figure's wall times then include waiting for a CPU.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from typing import Any

_TICK_NS = 1_000_000_000 // (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)


def cpu_ns() -> int:
    """User + system ns of this process (all threads) and of its waited-for children."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time_ns() + int((kids.ru_utime + kids.ru_stime) * 1e9)


def proc_cpu_ns(pid: int) -> int:
    """User + system ns of live process ``pid`` (its own threads; not its children)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_NS  # utime, stime: fields 14 and 15 of stat(5)


def tree_cpu_ns(pid: int) -> int:
    """User + system ns of live process ``pid`` and its live descendants (a server's workers), plus
    what those processes have counted for children they waited for (``cutime``, ``cstime``)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            parents.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that ended between the scan and here
        total += sum(int(x) for x in fields[11:15]) * _TICK_NS  # utime, stime, cutime, cstime
        todo.extend(parents.get(current, []))
    return total


def load1() -> float:
    """The 1-minute load average (0.0 where the platform has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(slots=True)
class LoadWindow:
    """The machine's load over one figure: ``start`` is taken when created, ``end`` by ``close()``."""

    start: float
    end: float | None = None
    usable_cpus: int = 1

    @classmethod
    def open(cls) -> LoadWindow:
        return cls(load1(), None, usable_cpus())

    def close(self) -> LoadWindow:
        self.end = load1()
        return self

    @property
    def peak(self) -> float:
        return max(self.start, self.end if self.end is not None else self.start)

    @property
    def overloaded(self) -> bool:
        """More runnable work than usable CPUs at the start or end: wall times include waiting."""
        return self.peak > self.usable_cpus

    def to_json(self) -> dict[str, Any]:
        return {"start_1min": round(self.start, 2), "end_1min": None if self.end is None else round(self.end, 2),
                "usable_cpus": self.usable_cpus, "overloaded": self.overloaded}
