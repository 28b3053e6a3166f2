"""Timing and the figure model shared by every benchmark group.

Invariants:
- Every time is measured with ``time.perf_counter_ns`` after at least one warm-up call; a
  figure's time is the median of ``rounds`` samples, each sample the mean over enough calls
  to last about ``sample_ns`` (so sub-microsecond calls are not lost in timer resolution).
- A ratio is always ``ours / peer`` in time per operation: below 1 means autocodec is faster.
- A peer that is not installed is recorded with its reason, never an exception; a target
  whose peer is missing is ``n/a`` (neither pass nor fail).
- Nothing here asserts a speed: targets are evaluated and reported, the caller decides.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """How hard to measure. ``quick()`` is the CLI's ``--quick``; ``smoke()`` is for tests."""

    rounds: int = 15
    """Samples per figure (the median is reported)."""
    sample_ns: int = 20_000_000
    """Target duration of one sample; short calls are repeated inside a sample."""
    warmup: int = 2
    """Untimed calls before the first sample."""
    slow_rounds: int = 5
    """Samples for expensive figures (compiles, 16 MiB chunking, thread scaling)."""
    chunk_mib: int = 16
    """Input size of the chunker figures."""
    batch_items: int = 1_000
    """Blocks per batched-decode figure."""
    small_inputs: bool = False
    """Use small blocks instead of the ~100 KB and ~1 MB ones (smoke tests only)."""

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(rounds=5, sample_ns=5_000_000, warmup=1, slow_rounds=2, chunk_mib=4, batch_items=500)

    @classmethod
    def smoke(cls) -> BenchConfig:
        return cls(rounds=1, sample_ns=0, warmup=1, slow_rounds=1, chunk_mib=1, batch_items=20, small_inputs=True)


@dataclass(frozen=True, slots=True)
class Measurement:
    """The median of several per-operation samples (nanoseconds) and their spread."""

    median_ns: float
    min_ns: float
    max_ns: float
    mad_ns: float
    rounds: int

    @classmethod
    def of(cls, samples: list[float]) -> Measurement:
        med = statistics.median(samples)
        mad = statistics.median(abs(s - med) for s in samples)
        return cls(med, min(samples), max(samples), mad, len(samples))

    @property
    def spread_pct(self) -> float:
        """Median absolute deviation as a percentage of the median."""
        return 100.0 * self.mad_ns / self.median_ns if self.median_ns else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"median_ns": round(self.median_ns, 1), "min_ns": round(self.min_ns, 1),
                "max_ns": round(self.max_ns, 1), "mad_ns": round(self.mad_ns, 1), "rounds": self.rounds}


@dataclass(frozen=True, slots=True)
class Target:
    """``ours / peer <= max_ratio`` (and ``ours <= max_ns`` when given)."""

    peer: str
    max_ratio: float
    text: str
    max_ns: float | None = None

    def evaluate(self, figure: Figure) -> str:
        """``"pass"``, ``"fail"`` or ``"n/a"`` (something needed was not measured)."""
        ratio = figure.ratios().get(self.peer)
        if figure.ours is None or ratio is None:
            return "n/a"
        ok = ratio <= self.max_ratio
        if self.max_ns is not None:
            ok = ok and figure.ours.median_ns <= self.max_ns
        return "pass" if ok else "fail"


@dataclass(slots=True)
class Figure:
    """One line of the report: our time for an operation next to the peers' times."""

    id: str
    group: str
    title: str
    ours_label: str = "autocodec"
    ours: Measurement | None = None
    peers: dict[str, Measurement | None] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    """Peer name -> why it was not measured (not installed, failed)."""
    target: Target | None = None
    bytes_per_op: int | None = None
    """Input bytes per operation, for throughput (MB/s) figures."""
    note: str = ""
    error: str | None = None
    """Why ``ours`` could not be measured."""

    def ratios(self) -> dict[str, float]:
        if self.ours is None:
            return {}
        return {name: self.ours.median_ns / m.median_ns for name, m in self.peers.items() if m and m.median_ns}

    def result(self) -> str:
        return self.target.evaluate(self) if self.target else "-"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "group": self.group, "title": self.title, "ours_label": self.ours_label,
            "median_ns": round(self.ours.median_ns, 1) if self.ours else None,
            "ours": self.ours.to_json() if self.ours else None,
            "peers": {k: (v.to_json() if v else None) for k, v in self.peers.items()},
            "ratios": {k: round(v, 4) for k, v in self.ratios().items()},
            "missing": dict(self.missing),
            "bytes_per_op": self.bytes_per_op,
            "result": self.result(),
        }
        if self.target:
            out["target"] = {"peer": self.target.peer, "max_ratio": self.target.max_ratio,
                             "max_ns": self.target.max_ns, "text": self.target.text}
        if self.note:
            out["note"] = self.note
        if self.error:
            out["error"] = self.error
        return out


def measure(fn: Callable[[], object], config: BenchConfig, *, ops: int = 1, rounds: int | None = None) -> Measurement:
    """Median time per operation of ``fn`` (which performs ``ops`` operations per call)."""
    for _ in range(max(1, config.warmup)):
        fn()
    t0 = time.perf_counter_ns()
    fn()
    once = max(1, time.perf_counter_ns() - t0)
    inner = max(1, min(1_000_000, config.sample_ns // once))
    samples: list[float] = []
    for _ in range(rounds or config.rounds):
        start = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter_ns() - start) / (inner * ops))
    return Measurement.of(samples)


def optional_import(module: str) -> tuple[Any, str | None]:
    """``(module, None)`` or ``(None, reason)`` for a peer library that may be absent."""
    try:
        return importlib.import_module(module), None
    except ImportError as exc:
        return None, f"peer not installed ({exc.name or module}; pip install 'autocodec[bench]')"


def add_peer(figure: Figure, name: str, module: str, make: Callable[[Any], Callable[[], object]],
             config: BenchConfig, *, ops: int = 1, rounds: int | None = None) -> None:
    """Measure peer ``name`` (built by ``make(imported_module)``), or record why it is missing."""
    mod, reason = optional_import(module)
    if mod is None:
        figure.peers[name] = None
        figure.missing[name] = reason or "peer not installed"
        return
    try:
        figure.peers[name] = measure(make(mod), config, ops=ops, rounds=rounds)
    except Exception as exc:  # noqa: BLE001 - a peer's own failure must not end the run; it is reported
        figure.peers[name] = None
        figure.missing[name] = f"peer failed: {type(exc).__name__}: {exc}"[:200]
