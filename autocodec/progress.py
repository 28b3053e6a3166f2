"""Progress reporting for long work (CAR import, publish, add), decoupled from the CLI.

A producer calls a ``Progress`` callback with (done, total or None, unit); library callers
pass their own or none, the CLI passes ``stderr_progress()`` which draws a throttled line
on stderr when it is a terminal and logs milestones otherwise.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int | None, unit: str = "bytes") -> None: ...


def no_progress(done: int, total: int | None, unit: str = "bytes") -> None:
    """The default: report nothing."""


def stderr_progress(label: str, min_interval_s: float = 0.2) -> Progress:
    """A reporter that writes ``label: done/total unit (pct)`` to stderr, throttled."""
    last = [0.0]
    tty = sys.stderr.isatty()

    def report(done: int, total: int | None, unit: str = "bytes") -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - last[0] < (min_interval_s if tty else 5.0):
            return
        last[0] = now
        shown = _human(done, unit)
        if total:
            text = f"{label}: {shown} / {_human(total, unit)} ({100 * done // max(total, 1)}%)"
        else:
            text = f"{label}: {shown}"
        if tty:
            sys.stderr.write("\r" + text + ("\n" if final else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return report


def _human(n: int, unit: str) -> str:
    if unit != "bytes":
        return f"{n} {unit}"
    value = float(n)
    for suffix in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or suffix == "GiB":
            return f"{value:.0f} {suffix}" if suffix == "B" else f"{value:.1f} {suffix}"
        value /= 1024
    return f"{n} B"
