"""Group 1: the cost of crossing into the sandbox.

- ``call.empty``: one empty guest call (``ac_abi_version``) through the loader's fast path
  (``wasmtime_func_call_unchecked`` via ctypes, the loader's ``fast_caller``) next to
  wasmtime-py's public ``Func.__call__`` and the loader's checked slow path.
- ``call.instance``: a fresh instance (store, limits, instantiation, export lookup), the
  fixed cost of every top-level operation (one ``decode``, one batch, one stream).

The call set-up is the one of ``autocodec.loader._measure.call_overhead_us``; only the timing
loop is ours (many calls per sample, so the timer's own cost is not counted per call).
"""

from __future__ import annotations

from dataclasses import replace

import wasmtime

from ..config import DEFAULT_LIMITS
from ._core import BenchConfig, Figure, Target, measure, measure_interleaved
from ._data import module_bytes


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox
    from ..loader._call import fast_caller, slow_caller

    call = Figure("call.empty", "calls", "empty guest call", ours_label="fast path",
                  target=Target("Func.__call__", 0.1, "<= 1/10 of Func.__call__ and <= 3 us", max_ns=3_000))
    inst = Figure("call.instance", "calls", "fresh instance (per operation)", ours_label="instantiate")
    # One instance takes every timed call, so give it a deadline (and fuel) for the whole
    # measurement rather than the per-operation defaults.
    limits = replace(DEFAULT_LIMITS.sandbox, deadline_ms=600_000, fuel=1 << 62)
    loaded = Sandbox(limits).load(module_bytes("dag-cbor"))
    instance = loaded.instance()
    store = instance.store
    func = wasmtime.Func._from_raw(instance._func("ac_abi_version"))
    fast = fast_caller(store, func, 0)
    slow = slow_caller(store, func, 0)
    times = measure_interleaved({"fast": (fast, 1), "func": (lambda: func(store), 1), "slow": (slow, 1)}, config)
    call.ours = times["fast"]
    call.peers["Func.__call__"] = times["func"]
    call.peers["checked slow path"] = times["slow"]
    inst.ours = measure(Sandbox().load(module_bytes("dag-cbor")).instance, config)  # default limits
    return [call, inst]
