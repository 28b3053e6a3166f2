"""Loader micro-benchmarks, reusable by ``autocodec bench`` and ``tests/perf_loader.py``.

Invariants: measurements only (nothing here asserts a speed); each function returns plain
numbers (microseconds, milliseconds or operations per second) computed as medians over
repeated runs, and uses a throw-away cache folder when it needs one.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

from ..config import SandboxLimits
from ._cache import CompiledCache
from ._call import fast_caller, slow_caller
from ._engine import EngineSpec, get_engine
from ._sandbox import LoadedModule, Sandbox


def _median_us(fn: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def call_overhead_us(loaded: LoadedModule, repeat: int = 20_000) -> dict[str, float]:
    """Median cost of one empty guest call (``ac_abi_version``) per call path."""
    instance = loaded.instance()
    store = instance.store
    func = wasmtime.Func._from_raw(instance._func("ac_abi_version"))
    fast = fast_caller(store, func, 0)
    slow = slow_caller(store, func, 0)
    return {
        "fast_call_us": _median_us(fast, repeat),
        "slow_call_us": _median_us(slow, repeat),
        "func_call_us": _median_us(lambda: func(store), repeat),
    }


def instantiate_us(loaded: LoadedModule, repeat: int = 2_000) -> float:
    """Median cost of a fresh instance (store, limits, instantiation, export lookup)."""
    return _median_us(loaded.instance, repeat)


def compile_vs_cached_ms(wasm: bytes, limits: SandboxLimits | None = None, repeat: int = 5) -> dict[str, float]:
    """Median compile time vs loading the HMAC-checked artifact, and full cold/warm ``load``."""
    limits = limits or SandboxLimits()
    engine, _ = get_engine(EngineSpec.from_limits(limits))
    with tempfile.TemporaryDirectory() as tmp:
        cache = CompiledCache(Path(tmp) / "c")
        cache.put("m.cwasm", wasmtime.Module(engine, wasm))
        compile_ms = _median_us(lambda: wasmtime.Module(engine, wasm), repeat) / 1e3
        cached_ms = _median_us(lambda: cache.get(engine, "m.cwasm"), repeat) / 1e3
        cold_ms = _median_us(lambda: Sandbox(limits).load(wasm), repeat) / 1e3
        warm_dir = Path(tmp) / "warm"
        Sandbox(limits, warm_dir).load(wasm)
        warm_ms = _median_us(lambda: Sandbox(limits, warm_dir).load(wasm), repeat) / 1e3
    return {"compile_ms": compile_ms, "cached_artifact_ms": cached_ms, "load_cold_ms": cold_ms, "load_warm_ms": warm_ms}


def decode_us(loaded: LoadedModule, block: bytes, repeat: int = 2_000) -> dict[str, float]:
    """Median cost of one ``decode`` and per-block cost inside ``decode_many`` of 1000."""
    codec = loaded.codec()
    single = _median_us(lambda: codec.decode(block), repeat)
    many = [block] * 1000
    batch = _median_us(lambda: codec.decode_many(many), max(3, repeat // 200)) / len(many)
    return {"decode_us": single, "decode_many_per_block_us": batch}


def _rates(work: Callable[[int], None], total: int, threads: int, *, units: float) -> tuple[float, float]:
    """``units`` per second doing ``work(total)`` on one thread, then split over ``threads``."""
    start = time.perf_counter()
    work(total)
    one = units / (time.perf_counter() - start)
    workers = [threading.Thread(target=work, args=(total // threads,)) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return one, units / (time.perf_counter() - start)


def thread_scaling(loaded: LoadedModule, block: bytes, total: int = 4_000, threads: int = 2) -> dict[str, float]:
    """Decodes per second with 1 thread vs ``threads`` threads sharing ``total`` decodes."""
    codec = loaded.codec()

    def work(n: int) -> None:
        for _ in range(n):
            codec.decode(block)

    one, many = _rates(work, total, threads, units=total)
    return {"ops_per_s_1_thread": one, f"ops_per_s_{threads}_threads": many, "speedup": many / one}


def hash_scaling(loaded: LoadedModule, size: int = 1 << 20, total: int = 40, threads: int = 2) -> dict[str, float]:
    """Hasher throughput (MiB/s) with 1 vs ``threads`` threads: guest-bound work, so it
    shows the GIL being released during guest calls."""
    hasher = loaded.hasher()
    data = bytes(range(256)) * (size // 256)

    def work(n: int) -> None:
        for _ in range(n):
            hasher.digest(data)

    one, many = _rates(work, total, threads, units=total * len(data) / 2**20)
    return {"hash_mib_s_1_thread": one, f"hash_mib_s_{threads}_threads": many, "hash_speedup": many / one}


def measure_all(wasm: bytes, block: bytes, *, quick: bool = False) -> dict[str, float]:
    """Every loader number for a codec module ``wasm`` decoding ``block``."""
    scale = 20 if quick else 1
    loaded = Sandbox().load(wasm)
    out: dict[str, float] = {}
    out.update(call_overhead_us(loaded, 20_000 // scale))
    out["instantiate_us"] = instantiate_us(loaded, 2_000 // scale)
    out.update(compile_vs_cached_ms(wasm, repeat=5 if not quick else 1))
    out.update(decode_us(loaded, block, 2_000 // scale))
    out.update(thread_scaling(loaded, block, 4_000 // scale))
    return out
