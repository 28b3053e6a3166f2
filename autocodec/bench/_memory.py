"""Group 8: peak resident memory of ``autocodec add`` on a big file, per chunker.

Each figure runs ``autocodec add FILE --chunker C -Q`` as a child process on a fresh home (so
the run includes pinning the default set and compiling the chunker module); the child reports
its own peak RSS (``VmHWM`` of /proc/self/status at exit). Not ``wait4``'s ``ru_maxrss``:
that high-water mark survives ``exec`` and so includes the forked parent's pages. The file is ``add_mib`` MiB of seeded random bytes, written
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


# Run the CLI in a fresh interpreter that prints its own peak RSS when it exits.
_CHILD = """
import atexit, runpy, sys
def report():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("autocodec-bench-vmhwm " + line.split()[1] + "\\n")
atexit.register(report)
sys.argv = ["autocodec", *sys.argv[1:]]
runpy.run_module("autocodec", run_name="__main__", alter_sys=True)
"""


def _peak_rss_kib(args: list[str], home: Path) -> float:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=600)
    error = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"autocodec {' '.join(args)} exited {proc.returncode}: {error.strip()[-300:]}")
    for line in error.splitlines():
        if line.startswith("autocodec-bench-vmhwm "):
            return float(line.split()[1])  # KiB
    raise RuntimeError("the child did not report its peak memory (no /proc/self/status?)")


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
