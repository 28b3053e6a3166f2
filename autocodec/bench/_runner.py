"""Run the benchmark groups in one process and collect one report.

Invariants:
- Groups run in a fixed order, each in a ``try``: a group that cannot run (no source
  checkout, a sandbox refusal) becomes figures carrying its error, so a run always ends with
  a report listing every figure in ``EXPECTED``, except a group that raises ``Skipped`` (its
  peer program is absent): that group is listed in ``Report.skipped`` with its reason instead.
- The report carries the machine it ran on (CPUs, Python, wasmtime, peer versions).
- Every figure carries a load window: its own (``compare``) or its group's start and end.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AutocodecError
from . import _bao, _bounds, _builtin, _calls, _chunkers, _cli, _codecs, _hashers, _kubo, _load, _memory, _threads, _upgrades
from ._core import BenchConfig, Figure, Skipped
from ._cpu import LoadWindow

GROUPS: dict[str, Callable[[BenchConfig], list[Figure]]] = {
    "calls": _calls.run,
    "dag-cbor": _builtin.run,
    "codecs": _codecs.run,
    "hashers": _hashers.run,
    "chunkers": _chunkers.run,
    "load": _load.run,
    "threads": _threads.run,
    "memory": lambda config: [*_memory.run(config), *_upgrades.run(config)],
    "cli": _cli.run,
    "bounds": _bounds.run,
    "bao": _bao.run,
    "kubo": _kubo.run,
}
"""Group name -> its measuring function, in run order."""

EXPECTED: dict[str, tuple[str, ...]] = {
    "calls": ("call.empty", "call.instance"),
    "dag-cbor": ("dagcbor.small", "dagcbor.nested", "dagcbor.bytes", "dagjson.nested", "cbor.encode.nested"),
    "codecs": tuple(f"codec.{m}.{w}" for m in ("git-raw", "eth-block", "bencode") for w in ("single", "batched")),
    "hashers": (*(f"hash.{h}.{label}" for label, _ in _hashers.SIZES for h in ("keccak-256", "blake3")),
                *(f"hash.blake3.many-{label}" for label, _ in _hashers.MANY)),
    "chunkers": ("chunk.fixed", "chunk.fastcdc", "chunk.buzhash"),
    "load": ("load.runtime", "load.sandbox"),
    "threads": ("threads.sha256", "bulk.ceiling", "threads.git-raw", "bulk.digest.blake3", "bulk.links.git-raw",
                "bulk.start", "bulk.verify.sha2-256", "bulk.verify.blake3", "bulk.export.git-raw",
                "bulk.export.git-raw.wide",
                "threads.git-raw.threads", "threads.git-raw.guest", "threads.blake3"),
    "memory": ("memory.add.size", "memory.add.fastcdc", "memory.add.buzhash", "serve.rss-per-upgrade"),
    "cli": ("cli.decode.builtin", "cli.decode.wasm"),
    "bounds": _bounds.EXPECTED_IDS,
    "bao": _bao.EXPECTED_IDS,
    "kubo": _kubo.EXPECTED_IDS,
}
"""Every figure id each group reports (a failed group reports them with its error)."""

_PEERS = ("cbrrr", "libipld", "dag-cbor", "dag-json", "blake3", "pycryptodome", "rlp", "dulwich", "fastbencode")


@dataclass
class Report:
    figures: list[Figure]
    machine: dict[str, Any]
    config: BenchConfig
    elapsed_s: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Group -> why it did not run here (``Skipped``); such a group reports no figures."""

    def results(self) -> dict[str, str]:
        return {f.id: f.result() for f in self.figures if f.target}

    def failed(self) -> list[str]:
        return [fid for fid, res in self.results().items() if res != "pass"]

    def overloaded(self) -> list[str]:
        """Ids of the figures measured while the load average exceeded the usable CPUs."""
        return [f.id for f in self.figures if f.load and f.load.overloaded]

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "config": dataclasses.asdict(self.config),
            "elapsed_s": round(self.elapsed_s, 2),
            "figures": [f.to_json() for f in self.figures],
            "targets": self.results(),
            "errors": dict(self.errors),
            "skipped": dict(self.skipped),
            "overloaded": self.overloaded(),
        }


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "wasmtime": _version("wasmtime"),
        "autocodec": _version("autocodec"),
        "peers": {name: _version(name) for name in _PEERS},
    }


def run(config: BenchConfig | None = None, groups: Iterable[str] | None = None,
        progress: Callable[[str], None] | None = None) -> Report:
    """Measure ``groups`` (default: all, in ``GROUPS`` order) and return the report."""
    config = config or BenchConfig()
    wanted = list(GROUPS) if groups is None else [g for g in GROUPS if g in set(groups)]
    report = Report([], machine_info(), config)
    start = time.perf_counter()
    for name in wanted:
        if progress:
            progress(name)
        window = LoadWindow.open()
        try:
            figures = GROUPS[name](config)
        except Skipped as exc:
            report.skipped[name] = str(exc)
            figures = []
        except Exception as exc:  # noqa: BLE001 - reported per figure; one broken group must not hide the rest
            text = exc.one_line() if isinstance(exc, AutocodecError) else str(exc)
            message = f"{type(exc).__name__}: {text}"[:300]
            report.errors[name] = message
            figures = [Figure(fid, name, fid, error=message) for fid in EXPECTED[name]]
        window.close()
        for fig in figures:
            if fig.load is None:
                fig.load = window
        report.figures.extend(figures)
    report.elapsed_s = time.perf_counter() - start
    report.machine["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return report
