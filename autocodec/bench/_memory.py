"""Group 8: peak resident memory of ``autocodec add`` on a big file, per chunker.

Each figure runs ``autocodec add FILE --chunker C -Q`` as a child process on a fresh home (so
the run includes pinning the default set and compiling the chunker module) and reads the
child's peak RSS from ``wait4``. The file is ``add_mib`` MiB of seeded random bytes, written
once to a temporary folder. The peer is the same interpreter importing autocodec and
printing its version: the floor no add can go under. Target: under 100 MiB for a 200 MB file
(streaming: memory must not grow with the file).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target

_CHUNKERS = ("size-262144", "fastcdc-65536-262144-1048576", "buzhash")
_LIMIT_KIB = 100 * 1024


def _peak_rss_kib(args: list[str], home: Path) -> float:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"autocodec {' '.join(args)} exited {proc.returncode}: {error[-300:]}")
    return float(usage.ru_maxrss)  # KiB on Linux


def _write(path: Path, mib: int) -> None:
    rng = random.Random(8)
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(rng.randbytes(1 << 20))


def run(config: BenchConfig) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-mem-") as tmp:
        data = Path(tmp) / "big.bin"
        _write(data, config.add_mib)
        floor = Measurement.of([_peak_rss_kib(["--version"], Path(tmp) / "floor-home")])
        for i, chunker in enumerate(_CHUNKERS):
            fig = Figure(f"memory.add.{chunker.split('-')[0]}", "memory",
                         f"add {config.add_mib} MiB, {chunker.split('-')[0]}, peak RSS", unit="KiB",
                         ours_label="autocodec add",
                         target=Target("python + import autocodec", None, "< 100 MiB RSS",
                                       max_ns=_LIMIT_KIB),
                         note="cold: a fresh home (default set pinned, chunker compiled)")
            try:
                fig.ours = Measurement.of([_peak_rss_kib(["add", str(data), "--chunker", chunker, "-Q"],
                                                         Path(tmp) / f"home-{i}")])
            except (OSError, RuntimeError) as exc:
                fig.error = str(exc)
            fig.peers["python + import autocodec"] = floor
            figures.append(fig)
    return figures
