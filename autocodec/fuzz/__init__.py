"""Fuzz targets for every parser that reads untrusted bytes, on Hypothesis.

Each ``Target`` has a strategy (random bytes, and mutations of valid seeds so the fuzzer gets
past the first byte) and a ``check(data)`` that must hold for every input:

- the parser returns or raises an ``AutocodecError`` (never another exception, a crash, a
  hang or a ``RecursionError``);
- it finishes within ``time_bound(len(data))`` (a constant plus a per-byte allowance: work is
  linear in the input, issue 16);
- where the format is canonical, what it accepts round-trips byte for byte.

CI runs every target for a short fixed number of examples (``tests/test_fuzz.py``); a long
run is ``python -m autocodec.fuzz`` (docs/fuzzing.md). Hypothesis is a test dependency: this
package imports it only when a run starts.
"""

from __future__ import annotations

from ._targets import TARGETS, Target, time_bound

__all__ = ["TARGETS", "Target", "time_bound"]
