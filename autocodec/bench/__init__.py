"""``autocodec bench``: autocodec side by side with the libraries users would pick instead.

Public API:

- ``run(config=None, groups=None, progress=None) -> Report``: every group in one process
- ``BenchConfig`` (``BenchConfig()`` full, ``.quick()``, ``.smoke()`` for tests)
- ``Report`` (``.figures``, ``.machine``, ``.results()``, ``.failed()``, ``.to_json()``),
  ``Figure``, ``Measurement``, ``Target``
- ``format_table(report) -> str``; ``GROUPS`` and ``EXPECTED`` (figure ids per group)

Invariants:
- Peer libraries are the ``bench`` extra, never runtime dependencies: they are imported
  lazily and a missing one is reported as such, never an error.
- Times are medians of repeated ``perf_counter_ns`` samples after warm-up; ratios are
  ``ours / peer`` time. Targets are evaluated and reported, never asserted.
"""

from __future__ import annotations

from ._core import BenchConfig, Figure, Measurement, Target
from ._runner import EXPECTED, GROUPS, Report, machine_info, run
from ._table import format_table

__all__ = [
    "EXPECTED",
    "GROUPS",
    "BenchConfig",
    "Figure",
    "Measurement",
    "Report",
    "Target",
    "format_table",
    "machine_info",
    "run",
]
