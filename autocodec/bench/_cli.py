"""Group ``cli``: start-up of the command line, next to a bare interpreter start.

- ``cli.decode.builtin``: ``python -m autocodec decode CID`` of a stored DAG-CBOR block.
- ``cli.decode.wasm``: the same for a stored git-raw block, decoded by the pinned git-raw Wasm
  module with the compiled-module cache warm.
- peer ``python -c "import sqlite3, json"``: the same interpreter doing the least a command
  that reads a store and prints JSON must do.

Each sample is the wall time of one child process, the three commands interleaved round by
round so that machine load hits them alike; the figure is the median, and beside it the median
CPU time (user + system) of the same children (``getrusage(RUSAGE_CHILDREN)``). The children run with
bytecode caching on (a ``PYTHONDONTWRITEBYTECODE`` in the caller's environment is dropped:
an installed package has its ``.pyc`` files) on a throw-away home, after one untimed run each.
Targets (issue 17): builtin within 4x, Wasm within 6x of the bare start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target
from ._cpu import cpu_ns

_PEER = "python -c 'import sqlite3, json'"
_GIT_BLOB = b"blob 15\x00hello autocodec"


def _time(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU ns of one child process (its CPU is counted once it has been waited for)."""
    cpu0 = cpu_ns()
    start = time.perf_counter_ns()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = float(time.perf_counter_ns() - start)
    cpu = float(cpu_ns() - cpu0)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return elapsed, cpu


def run(config: BenchConfig) -> list[Figure]:
    from ..registry import Runtime

    rounds = 2 * config.slow_rounds - 1  # 13 full, 3 quick, 1 smoke
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-cli-") as tmp:
        home = Path(tmp) / "home"
        with Runtime(home) as rt:  # default set pinned: git-raw resolves to its Wasm module
            builtin_cid = rt.put(rt.encode({"name": "bench", "list": [1, 2, 3]}, "dag-cbor"), "dag-cbor")
            wasm_cid = rt.put(_GIT_BLOB, "git-raw", "sha1")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["AUTOCODEC_HOME"] = str(home)
        commands = {
            "peer": [sys.executable, "-c", "import sqlite3, json"],
            "builtin": [sys.executable, "-m", "autocodec", "decode", str(builtin_cid)],
            "wasm": [sys.executable, "-m", "autocodec", "decode", str(wasm_cid)],
        }
        for argv in commands.values():  # warm: .pyc files, the compiled-module cache, the page cache
            _time(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():
                wall, used = _time(argv, env)
                samples[name].append(wall)
                cpu[name].append(used)
    peer = Measurement.of(samples["peer"], cpu["peer"])
    figures = []
    for name, title, limit in (("builtin", "decode a builtin block (DAG-CBOR)", 4.0),
                               ("wasm", "decode a Wasm-codec block (git-raw, cache warm)", 6.0)):
        fig = Figure(f"cli.decode.{name}", "cli", f"CLI start-up: {title}", ours_label="autocodec decode",
                     target=Target(_PEER, limit, f"<= {limit:g}x a bare interpreter start"),
                     note="wall time of one process; medians of interleaved rounds" + (
                         "; the extension runtime imports wasmtime's ctypes bindings; the manifest's publisher "
                         "signature was remembered when the set was pinned, so cryptography is not imported" if name == "wasm"
                         else ""))
        fig.ours = Measurement.of(samples[name], cpu[name])
        fig.peers[_PEER] = peer
        figures.append(fig)
    return figures
