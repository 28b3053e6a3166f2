"""The deterministic wasmtime engine, shared per configuration, and its epoch ticker.

Invariants:
- Every engine runs the same deterministic feature set: NaN canonicalization on; threads,
  shared memory, relaxed SIMD, memory64, multi-memory, GC, exceptions, stack switching,
  custom page sizes, wide arithmetic and the component model off. Fixed-width SIMD stays on
  (deterministic once NaNs are canonical).
- Fuel and epoch interruption are always on; a daemon thread increments each engine's
  epoch every ``TICK_MS`` ms (restarted in a forked child), so a deadline of ``d`` ms is
  ``ceil(d / TICK_MS) + 1`` ticks.
- Engines are cached process-wide by ``EngineSpec`` (engine-level limits), because each
  pooling allocator reserves address space (about 4 GiB per slot, so ~0.5 TiB of virtual
  memory for 128 slots; none of it is committed); ``fingerprint`` names everything that changes
  compiled code, and keys the compiled-module cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass

import wasmtime
from wasmtime import _ffi as ffi

from ..config import SandboxLimits

TICK_MS = 5
POOL_KEEP_RESIDENT = 1 << 20
POOL_WARM_SLOTS = 8
WASM_PAGE = 65536


def _wasmtime_version() -> str:
    """wasmtime's installed version, from its dist-info folder name (importlib.metadata costs
    ~50 ms of start-up to import); the metadata lookup when the folder is not beside it."""
    from pathlib import Path

    site = Path(wasmtime.__file__).resolve().parent.parent
    found = sorted(site.glob("wasmtime-*.dist-info"))
    if len(found) == 1:
        return found[0].name[len("wasmtime-"):-len(".dist-info")]
    from importlib.metadata import version

    return version("wasmtime")


WASMTIME_VERSION = _wasmtime_version()

_FEATURES: dict[str, bool] = {
    "wasm_threads": False,
    "shared_memory": False,
    "wasm_relaxed_simd": False,
    "wasm_memory64": False,
    "wasm_multi_memory": False,
    "wasm_gc": False,
    "gc_support": False,
    "wasm_function_references": False,
    "wasm_exceptions": False,
    "wasm_component_model": False,
    "wasm_wide_arithmetic": False,
    "wasm_custom_page_sizes": False,
    "wasm_stack_switching": False,
    "wasm_simd": True,
    "wasm_bulk_memory": True,
    "wasm_multi_value": True,
    "wasm_reference_types": True,
    "wasm_tail_call": True,
    "cranelift_nan_canonicalization": True,
    "consume_fuel": True,
    "epoch_interruption": True,
}


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """The engine-level part of ``SandboxLimits`` (the rest is set per store and call)."""

    max_wasm_stack_bytes: int
    pool_memory_bytes: int  # per-instance slot; 0 when pooling is off
    pool_instances: int
    pool_table_elements: int

    @classmethod
    def from_limits(cls, limits: SandboxLimits) -> EngineSpec:
        pooled = max(0, limits.pooled_instances)
        memory = -(-limits.max_memory_bytes // WASM_PAGE) * WASM_PAGE if pooled else 0
        return cls(limits.max_wasm_stack_bytes, memory, pooled, limits.max_table_elements if pooled else 0)

    def fingerprint(self) -> str:
        """Hex digest of everything that affects compiled code (cache key part)."""
        doc = {"wasmtime": WASMTIME_VERSION, "features": _FEATURES, "spec": asdict(self)}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]


def _config(spec: EngineSpec) -> wasmtime.Config:
    config = wasmtime.Config()
    for knob, value in _FEATURES.items():
        setattr(config, knob, value)
    config.max_wasm_stack = spec.max_wasm_stack_bytes
    if spec.pool_instances:
        pool = ffi.wasmtime_pooling_allocation_config_new()
        n = spec.pool_instances
        ffi.wasmtime_pooling_allocation_config_total_core_instances_set(pool, n)
        ffi.wasmtime_pooling_allocation_config_total_memories_set(pool, n)
        ffi.wasmtime_pooling_allocation_config_total_tables_set(pool, n)
        ffi.wasmtime_pooling_allocation_config_total_stacks_set(pool, 0)
        ffi.wasmtime_pooling_allocation_config_total_gc_heaps_set(pool, 0)
        ffi.wasmtime_pooling_allocation_config_max_memories_per_module_set(pool, 1)
        ffi.wasmtime_pooling_allocation_config_max_tables_per_module_set(pool, 1)
        ffi.wasmtime_pooling_allocation_config_max_memory_size_set(pool, spec.pool_memory_bytes)
        ffi.wasmtime_pooling_allocation_config_table_elements_set(pool, spec.pool_table_elements)
        # Reset a returned slot's first MiB with memset instead of madvise: no page faults
        # on the next instance (decode of a small block: ~44 -> ~37 us measured).
        ffi.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool, POOL_KEEP_RESIDENT)
        ffi.wasmtime_pooling_allocation_config_table_keep_resident_set(pool, 4096)
        # A freed slot stays "warm" (affine to its module, its kept MiB resident). With the
        # default of 100, every new module (each load of a version, each deserialized
        # artifact) took a cold slot, and freeing its first instance faulted in the MiB the
        # memset above clears: ~0.5 ms of a ~2 ms warm load, and up to 100 MiB held by idle
        # slots. Past this many, a new module takes the least recently used warm slot
        # (wasmtime clears it as it clears any freed slot), so a few modules alternating
        # fresh instances still keep their own.
        ffi.wasmtime_pooling_allocation_config_max_unused_warm_slots_set(pool, POOL_WARM_SLOTS)
        ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
        ffi.wasmtime_pooling_allocation_config_delete(pool)
    return config


class _Ticker(threading.Thread):
    """Daemon thread incrementing the epoch of every registered engine."""

    def __init__(self) -> None:
        super().__init__(name="autocodec-epoch", daemon=True)
        self.engines: list[wasmtime.Engine] = []

    def run(self) -> None:  # pragma: no cover - runs forever in the background
        while True:
            time.sleep(TICK_MS / 1000)
            for engine in list(self.engines):
                engine.increment_epoch()


_lock = threading.Lock()
_engines: dict[EngineSpec, tuple[wasmtime.Engine, EngineSpec]] = {}
_ticker: _Ticker | None = None


def get_engine(spec: EngineSpec) -> tuple[wasmtime.Engine, EngineSpec]:
    """The shared engine for ``spec`` (created once, ticked forever) and the spec it really
    has: when the pool's address-space reservation would not fit under ``RLIMIT_AS``
    (``ulimit -v``), the engine uses on-demand allocation instead (logged). The check is
    made up front because wasmtime's C API aborts the process if the reservation fails."""
    global _ticker
    with _lock:
        found = _engines.get(spec)
        if found is None:
            effective = spec
            if spec.pool_instances and not _pool_fits(spec):
                from ..log import get_logger

                get_logger("loader").warning(
                    "address-space limit too small for the pooling allocator; using on-demand instances",
                    pooled_instances=spec.pool_instances,
                )
                effective = EngineSpec(spec.max_wasm_stack_bytes, 0, 0, 0)
            found = (wasmtime.Engine(_config(effective)), effective)
            _engines[spec] = found
            if _ticker is None:
                _ticker = _Ticker()
                _ticker.start()
            _ticker.engines.append(found[0])
        return found


def _restart_ticker_in_child() -> None:
    """A forked child inherits the engines but not the ticker thread: start a new one."""
    global _ticker, _lock
    _lock = threading.Lock()
    if _ticker is not None:
        engines = _ticker.engines
        _ticker = _Ticker()
        _ticker.engines.extend(engines)
        _ticker.start()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_ticker_in_child)


_SLOT_RESERVATION = 4 * 2**30 + 128 * 2**20  # wasmtime's 4 GiB memory reservation + guards, rounded up


def _pool_fits(spec: EngineSpec) -> bool:
    """Whether ``spec``'s pool reservation fits under the address-space soft limit."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):  # pragma: no cover - non-POSIX
        return True
    if soft == resource.RLIM_INFINITY:
        return True
    per_slot = max(_SLOT_RESERVATION, spec.pool_memory_bytes + 128 * 2**20)
    try:
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        used = 0
    return used + spec.pool_instances * per_slot + 2**30 <= soft


def deadline_ticks(deadline_ms: int) -> int:
    return max(1, -(-deadline_ms // TICK_MS)) + 1


_validator: wasmtime.Engine | None = None


def validation_engine() -> wasmtime.Engine:
    """A pool-less engine with the deterministic feature set, for ``Module.validate``."""
    global _validator
    with _lock:
        if _validator is None:
            _validator = wasmtime.Engine(_config(EngineSpec(512 * 1024, 0, 0, 0)))
        return _validator
