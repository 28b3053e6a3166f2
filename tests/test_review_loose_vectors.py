"""A vectors run caps each guest call at the time the run has left (``loader/_callcap.py``).

The run's deadline (``vectors_deadline_s``) is checked before each step; a step's guest calls
each had the sandbox's whole per-call deadline (5 s by default), so a module that spins ran a
run that long past its end. Measured before the change (``/tmp`` script, 2-core machine, load
~8): a run with a 0.3 s deadline of codec cases spinning under a 5000 ms per-call deadline
stopped after 6.5-8.2 s; now after 0.32-0.45 s (a plain 300 ms call takes 0.37 s there: the
epoch thread's scheduling). Real sandbox, a real spinning module (tests/hostile/loop_export.wat)."""

from __future__ import annotations

import dataclasses
import time

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import DeadlineExceeded, VectorsTooCostly
from autocodec.loader import Sandbox, run_vectors
from autocodec.loader._callcap import capped_calls, capped_ticks
from autocodec.loader._engine import deadline_ticks
from tests.conftest import WASM_SRC
from tests._wat import small_limits, wat_module

RUN_S = 0.3
SLACK_S = 3.0  # the epoch thread's scheduling on a busy 2-core machine; the old overrun was 5 s and more


def _spinner(per_call_ms: int):  # type: ignore[no-untyped-def]
    return Sandbox(small_limits(fuel=10**15, deadline_ms=per_call_ms)).load(wat_module("loop_export"))


@pytest.mark.parametrize("case", [{"decode": b"\x00", "error": True}, {"decode": b"\x00", "expect": 0}],
                         ids=["error-case", "expect-case"])
def test_a_spinning_call_ends_with_the_run_not_with_its_own_deadline(case: dict[str, object]) -> None:
    loaded = _spinner(5000)
    limits = dataclasses.replace(DEFAULT_LIMITS.trust, vectors_deadline_s=RUN_S)
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match=r"ran past their 0.3 s deadline at case 0\b"):
        run_vectors(loaded, {"kind": "codec", "cases": [case] * 3}, limits=limits)
    assert time.monotonic() - started < RUN_S + SLACK_S  # was 5 s and more


def test_calls_after_the_run_have_their_own_deadline_again() -> None:
    loaded = _spinner(300)
    limits = dataclasses.replace(DEFAULT_LIMITS.trust, vectors_deadline_s=0.05)
    with pytest.raises(VectorsTooCostly):
        run_vectors(loaded, {"kind": "codec", "cases": [{"decode": b"\x00", "error": True}]}, limits=limits)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        loaded.codec().decode(b"\x00")
    assert time.monotonic() - started >= 0.25  # the sandbox's 300 ms, not the run's leftover


def test_the_cap_is_per_thread_nested_and_restored() -> None:
    assert capped_ticks(1000) == 1000
    with capped_calls(time.monotonic() + 60):
        assert capped_ticks(1000) == 1000  # far away: the call's own deadline
        with pytest.raises(RuntimeError):
            with capped_calls(time.monotonic() - 1):
                assert capped_ticks(1000) == deadline_ticks(0)  # past: the smallest deadline
                with capped_calls(time.monotonic() + 60):  # a later cap never lengthens an earlier one
                    assert capped_ticks(1000) == deadline_ticks(0)
                raise RuntimeError
        assert capped_ticks(1000) == 1000
        assert 2 <= capped_ticks(10) <= 10
    assert capped_ticks(1000) == 1000


def test_shipped_vectors_still_pass_under_the_cap() -> None:
    from autocodec.config import SandboxLimits

    loaded = Sandbox(SandboxLimits()).load((WASM_SRC / "git-raw" / "git-raw.wasm").read_bytes())
    report = run_vectors(loaded, (WASM_SRC / "git-raw" / "vectors.json").read_bytes())
    assert report.ok and report.total > 0
