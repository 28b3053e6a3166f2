"""Progress reporting for long work (CAR import, publish, add), decoupled from the CLI.

A producer calls a ``Progress`` callback with (done, total or None, unit); library callers
pass their own or none, the CLI passes ``stderr_progress()`` which draws a throttled line
on stderr when it is a terminal and logs milestones otherwise.

Invariants: the terminal line shows the amount done, the rate since the start and, when the
total is known, the percentage and an ETA; a non-terminal gets a plain line at most every 5 s
(the first 5 s after the start, unless progress was asked for: ``eager``) and one at the end, so
work that fails within 5 s leaves only its error there; nothing is written to stdout.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int | None, unit: str = "bytes") -> None: ...


def no_progress(done: int, total: int | None, unit: str = "bytes") -> None:
    """The default: report nothing."""


def stderr_progress(label: str, min_interval_s: float = 0.2, *, eager: bool = False) -> Progress:
    """A reporter that writes ``label: done / total unit (pct), rate, ETA`` to stderr, throttled.
    ``eager``: progress was asked for (``--progress``), so a non-terminal gets its first line at
    once, as Kubo's bar is drawn (work of unknown size may never reach a final line)."""
    start = time.monotonic()
    tty = sys.stderr.isatty()
    last = [0.0 if tty or eager else start]  # else the first line waits 5 s too: a quick failure is one line

    def report(done: int, total: int | None, unit: str = "bytes") -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - last[0] < (min_interval_s if tty else 5.0):
            return
        last[0] = now
        text = f"{label}: {_human(done, unit)}"
        if total:
            text += f" / {_human(total, unit)} ({100 * done // max(total, 1)}%)"
        elapsed = now - start
        if elapsed > 0.05 and done:
            rate = done / elapsed
            text += f", {_human(int(rate), unit)}/s"
            if total and not final and rate > 0:
                text += f", ETA {_duration((total - done) / rate)}"
        if tty:
            sys.stderr.write("\r\033[2K" + text + ("\n" if final else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return report


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _human(n: int, unit: str) -> str:
    if unit != "bytes":
        return f"{n} {unit[:-1] if n == 1 and unit.endswith('s') else unit}"  # 1 module, 2 modules
    value = float(n)
    for suffix in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or suffix == "GiB":
            return f"{value:.0f} {suffix}" if suffix == "B" else f"{value:.1f} {suffix}"
        value /= 1024
    return f"{n} B"
