"""Timing and the figure model shared by every benchmark group.

Invariants:
- Every time is measured with ``time.perf_counter_ns`` after at least one warm-up call; a
  figure's time is the median of ``rounds`` samples, each sample the mean over enough calls
  to last about ``sample_ns`` (so sub-microsecond calls are not lost in timer resolution).
- A ratio is always ``ours / peer`` in time per operation: below 1 means autocodec is faster.
- A peer that is not installed is recorded with its reason, never an exception; a target
  whose peer is missing is ``n/a`` (neither pass nor fail).
- Nothing here asserts a speed: targets are evaluated and reported, the caller decides.
- Beside each wall-time sample, where the figure's code runs in this process or in children it
  waits for, the CPU time (user + system, all threads, ``_cpu.cpu_ns``) is sampled over the same
  calls; ``Measurement.cpu_ns`` is its median (None where a figure does not measure it). Every
  figure carries the ``LoadWindow`` it ran in (set by ``compare`` or, failing that, the runner).
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._cpu import LoadWindow, cpu_ns


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """How hard to measure. ``quick()`` is the CLI's ``--quick``; ``smoke()`` is for tests."""

    rounds: int = 21
    """Samples per figure (the median is reported)."""
    sample_ns: int = 30_000_000
    """Target duration of one sample; short calls are repeated inside a sample."""
    warmup: int = 2
    """Untimed calls before the first sample."""
    slow_rounds: int = 7
    """Samples for expensive figures (compiles, 16 MiB chunking, thread scaling)."""
    chunk_mib: int = 16
    """Input size of the chunker figures."""
    add_mib: int = 200
    """File size of the ``autocodec add`` peak-memory figures."""
    batch_items: int = 1_000
    """Blocks per batched-decode figure."""
    small_inputs: bool = False
    """Use small blocks instead of the ~100 KB and ~1 MB ones (smoke tests only)."""
    upgrades: int = 160
    """Live upgrades of the ``serve.rss-per-upgrade`` figure."""
    upgrade_skip: int = 80
    """Upgrades before its RSS growth is counted (past the 64-module compiled memo)."""
    kubo_mib: int = 256
    """File size of the ``kubo`` group (add, cat, dag export, gateway GET)."""
    kubo_files: int = 5_000
    """Small files in the ``kubo`` group's tree."""
    kubo_gets: int = 1_000
    """Small ``?format=raw`` gateway GETs per round in the ``kubo`` group."""

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(rounds=5, sample_ns=5_000_000, warmup=1, slow_rounds=2, chunk_mib=4, batch_items=500, add_mib=32,
                   upgrades=120, upgrade_skip=70, kubo_mib=32, kubo_files=500, kubo_gets=300)

    @classmethod
    def smoke(cls) -> BenchConfig:
        return cls(rounds=1, sample_ns=0, warmup=1, slow_rounds=1, chunk_mib=1, batch_items=20, small_inputs=True,
                   add_mib=1, upgrades=3, upgrade_skip=1, kubo_mib=1, kubo_files=20, kubo_gets=20)


class Skipped(Exception):
    """Raised by a group that cannot run here at all (its peer program is absent): the report
    lists the group with this one-line reason and no figures."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """The median of several per-operation samples (nanoseconds) and their spread."""

    median_ns: float
    min_ns: float
    max_ns: float
    mad_ns: float
    rounds: int
    cpu_ns: float | None = None
    """Median CPU time (user + system, all threads, children included) per operation; None: not measured."""

    @classmethod
    def of(cls, samples: list[float], cpu: list[float] | None = None) -> Measurement:
        """The median of ``samples`` (wall), and of ``cpu`` (the same samples' CPU time) when given."""
        med = statistics.median(samples)
        mad = statistics.median(abs(s - med) for s in samples)
        return cls(med, min(samples), max(samples), mad, len(samples), statistics.median(cpu) if cpu else None)

    @property
    def spread_pct(self) -> float:
        """Median absolute deviation as a percentage of the median."""
        return 100.0 * self.mad_ns / self.median_ns if self.median_ns else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"median_ns": round(self.median_ns, 1), "min_ns": round(self.min_ns, 1),
                "max_ns": round(self.max_ns, 1), "mad_ns": round(self.mad_ns, 1), "rounds": self.rounds,
                "cpu_median_ns": None if self.cpu_ns is None else round(self.cpu_ns, 1)}


@dataclass(frozen=True, slots=True)
class Target:
    """``ours / peer <= max_ratio`` (when given) and ``ours <= max_ns`` (when given)."""

    peer: str
    max_ratio: float | None
    """None: no bound on the ratio (an absolute bound, ``max_ns``, only)."""
    text: str
    max_ns: float | None = None

    def evaluate(self, figure: Figure) -> str:
        """``"pass"``, ``"fail"`` or ``"n/a"`` (something needed was not measured)."""
        ratio = figure.ratios().get(self.peer)
        if figure.ours is None or ratio is None:
            return "n/a"
        ok = self.max_ratio is None or ratio <= self.max_ratio
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
    unit: str = "ns"
    """What the measurements count: ``ns`` per operation, or ``KiB`` (peak resident memory);
    for a ``KiB`` figure the ``*_ns`` fields and ``Target.max_ns`` hold KiB."""
    checks: dict[str, Any] = field(default_factory=dict)
    """Facts checked beside the timing (e.g. both sides printed the same CID), shown in the JSON."""
    load: LoadWindow | None = None
    """The machine's load while the figure was measured."""

    def ratios(self) -> dict[str, float]:
        if self.ours is None:
            return {}
        return {name: self.ours.median_ns / m.median_ns for name, m in self.peers.items() if m and m.median_ns}

    def cpu_ratios(self) -> dict[str, float]:
        """``ours / peer`` in CPU time, for the peers whose CPU time was measured as ours was."""
        if self.ours is None or not self.ours.cpu_ns:
            return {}
        return {name: self.ours.cpu_ns / m.cpu_ns for name, m in self.peers.items() if m and m.cpu_ns}

    def result(self) -> str:
        return self.target.evaluate(self) if self.target else "-"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "group": self.group, "title": self.title, "ours_label": self.ours_label,
            "median_ns": round(self.ours.median_ns, 1) if self.ours else None,
            "ours": self.ours.to_json() if self.ours else None,
            "peers": {k: (v.to_json() if v else None) for k, v in self.peers.items()},
            "ratios": {k: round(v, 4) for k, v in self.ratios().items()},
            "cpu_median_ns": round(self.ours.cpu_ns, 1) if self.ours and self.ours.cpu_ns is not None else None,
            "cpu_ratios": {k: round(v, 4) for k, v in self.cpu_ratios().items()},
            "load": self.load.to_json() if self.load else None,
            "overloaded": bool(self.load and self.load.overloaded),
            "missing": dict(self.missing),
            "bytes_per_op": self.bytes_per_op,
            "unit": self.unit,
            "result": self.result(),
        }
        if self.target:
            out["target"] = {"peer": self.target.peer, "max_ratio": self.target.max_ratio,
                             "max_ns": self.target.max_ns, "text": self.target.text}
        if self.checks:
            out["checks"] = dict(self.checks)
        if self.note:
            out["note"] = self.note
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class Peer:
    """A peer library's side of a figure: ``make(imported module)`` returns the call to time."""

    name: str
    module: str
    make: Callable[[Any], Callable[[], object]]
    ops: int | None = None
    """Operations per call (default: the figure's)."""
    slow: bool = False
    """Far slower than ours (pure Python): measured on its own with at most 5 rounds."""


def _calibrate(fn: Callable[[], object], config: BenchConfig) -> int:
    """Warm ``fn`` up and return how many calls make one sample of about ``sample_ns``."""
    for _ in range(max(1, config.warmup)):
        fn()
    t0 = time.perf_counter_ns()
    fn()
    once = max(1, time.perf_counter_ns() - t0)
    return max(1, min(1_000_000, config.sample_ns // once))


def measure_interleaved(calls: Mapping[str, tuple[Callable[[], object], int]], config: BenchConfig,
                        rounds: int | None = None) -> dict[str, Measurement]:
    """Median time per operation of each ``name: (fn, ops per call)``, sampled in turn.

    Round ``r`` samples every function once before round ``r + 1`` starts, so a change of
    load on the machine during the run hits all sides of a comparison alike.
    """
    inner = {name: _calibrate(fn, config) for name, (fn, _ops) in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds or config.rounds):
        for name, (fn, ops) in calls.items():
            n = inner[name]
            cpu0 = cpu_ns()
            start = time.perf_counter_ns()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter_ns() - start) / (n * ops))
            cpu[name].append((cpu_ns() - cpu0) / (n * ops))
    return {name: Measurement.of(values, cpu[name]) for name, values in samples.items()}


def measure(fn: Callable[[], object], config: BenchConfig, *, ops: int = 1, rounds: int | None = None) -> Measurement:
    """Median time per operation of ``fn`` (which performs ``ops`` operations per call)."""
    return measure_interleaved({"": (fn, ops)}, config, rounds)[""]


def optional_import(module: str) -> tuple[Any, str | None]:
    """``(module, None)`` or ``(None, reason)`` for a peer library that may be absent."""
    try:
        return importlib.import_module(module), None
    except ImportError as exc:
        return None, f"peer not installed ({exc.name or module}; pip install 'autocodec[bench]')"


def peer_call(figure: Figure, peer: Peer, config: BenchConfig) -> Callable[[], object] | None:
    """The peer's call, checked by one run; ``None`` (reason recorded) if it cannot run."""
    mod, reason = optional_import(peer.module)
    figure.peers[peer.name] = None
    if mod is None:
        figure.missing[peer.name] = reason or "peer not installed"
        return None
    try:
        fn = peer.make(mod)
        fn()
    except Exception as exc:  # noqa: BLE001 - a peer's own failure must not end the run; it is reported
        figure.missing[peer.name] = f"peer failed: {type(exc).__name__}: {exc}"[:200]
        return None
    return fn


def compare(figure: Figure, ours: Callable[[], object], peers: list[Peer], config: BenchConfig, *,
            ops: int = 1, rounds: int | None = None,
            baselines: Mapping[str, Callable[[], object]] | None = None) -> None:
    """Measure ``ours``, the peers and any always-present ``baselines`` (stdlib) interleaved.

    Sets ``figure.ours`` and ``figure.peers``; a missing or failing peer is recorded in
    ``figure.missing`` instead.
    """
    window = LoadWindow.open()
    calls: dict[str, tuple[Callable[[], object], int]] = {"\0ours": (ours, ops)}
    slow: list[tuple[str, Callable[[], object], int]] = []
    for peer in peers:
        fn = peer_call(figure, peer, config)
        if fn is not None:
            if peer.slow:
                slow.append((peer.name, fn, peer.ops or ops))
            else:
                calls[peer.name] = (fn, peer.ops or ops)
    for name, fn in (baselines or {}).items():
        figure.peers[name] = None
        calls[name] = (fn, ops)
    results = measure_interleaved(calls, config, rounds)
    figure.ours = results.pop("\0ours")
    figure.peers.update(results)
    for name, fn, n in slow:
        figure.peers[name] = measure(fn, config, ops=n, rounds=min(rounds or config.rounds, 5))
    figure.load = window.close()
