"""Group 6: module load, cold (compile) vs warm (compiled-cache hit).

- ``load.runtime``: ``Runtime(home).extension("codec", git-raw)`` on a temporary home with
  the default set pinned: resolve through the trust store, fetch the module from the local
  block store, verify it against its manifest, then compile (cold: the compiled-module cache
  folder emptied before each round) or load the HMAC-checked artifact (warm). A new
  ``Runtime`` per round, so no in-memory memo is hit; its construction is not timed.
- ``load.sandbox``: ``Sandbox(cache_dir=...).load(wasm)`` alone (static checks, compile or
  cache hit, one test instantiation), a new ``Sandbox`` per round.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target
from ._cpu import cpu_ns
from ._data import module_bytes

_GIT_RAW = 0x78


def _rounds(prepare: Callable[[], Callable[[], object]], rounds: int) -> Measurement:
    """Median of ``rounds`` single timed calls, each prepared (untimed) by ``prepare``, with their CPU time."""
    samples, cpu = [], []
    for _ in range(rounds):
        fn = prepare()
        cpu0 = cpu_ns()
        start = time.perf_counter_ns()
        fn()
        samples.append(float(time.perf_counter_ns() - start))
        cpu.append(float(cpu_ns() - cpu0))
    return Measurement.of(samples, cpu)


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox
    from ..registry import Runtime

    target = Target("cold (compile)", 1 / 20, "warm <= 1/20 of cold")
    figures = []
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-") as tmp:
        home = Path(tmp) / "home"
        Runtime(home).close()  # a fresh home: the default set is pinned once, here
        opened: list[Runtime] = []

        def runtime_load(cold: bool) -> Callable[[], object]:
            for rt in opened:
                rt.close()
            opened.clear()
            rt = Runtime(home)
            opened.append(rt)
            if cold:
                shutil.rmtree(rt.home.compiled_cache_dir, ignore_errors=True)
                rt.home.compiled_cache_dir.mkdir(parents=True)
            return lambda: rt.extension("codec", _GIT_RAW)

        fig = Figure("load.runtime", "load", "load git-raw, Runtime",
                     ours_label="warm (cache hit)", target=target)
        runtime_load(False)()  # make sure the cache is populated and the path works
        fig.peers["cold (compile)"] = _rounds(lambda: runtime_load(True), config.slow_rounds)
        runtime_load(False)()
        fig.ours = _rounds(lambda: runtime_load(False), config.slow_rounds)
        for rt in opened:
            rt.close()
        figures.append(fig)

        wasm = module_bytes("git-raw")
        folder = Path(tmp) / "sandbox-cache"

        def sandbox_load(cold: bool) -> Callable[[], object]:
            if cold:
                shutil.rmtree(folder, ignore_errors=True)
            sandbox = Sandbox(cache_dir=folder)
            return lambda: sandbox.load(wasm)

        fig = Figure("load.sandbox", "load", "load git-raw, Sandbox",
                     ours_label="warm (cache hit)", target=target)
        fig.peers["cold (compile)"] = _rounds(lambda: sandbox_load(True), config.slow_rounds)
        sandbox_load(False)()
        fig.ours = _rounds(lambda: sandbox_load(False), config.slow_rounds)
        figures.append(fig)
    return figures
