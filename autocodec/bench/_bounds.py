"""Group ``bounds``: how fast each hostile input of issue 16 is answered, and at what memory.

Each figure runs one hostile case in a fresh interpreter (so peak memory is the case's own:
``VmHWM`` of /proc/self/status) and reports the wall time of the operation (``bounds.*``) or
the peak resident memory of the process (``bounds.*.rss``). Targets are the bounds the issue
asks for, absolute (no peer): the answer (a refusal or a result) comes within the stated time
and memory. The figures before the fix are in the issue's closing note.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target

# Every case: setup code (untimed), then the timed statement; it must end (refusal included).
_CASES: dict[str, tuple[str, str, str]] = {
    "bounds.base58-link": (
        "600 KB DAG-JSON link of base58 digits (was 77-89 s)",
        "from autocodec import builtin\ndata = b'{\"/\":\"z' + b'2' * 600_000 + b'\"}'",
        "try:\n    builtin.decode(data, 'dag-json')\nexcept AutocodecError:\n    pass",
    ),
    "bounds.gas-block": (
        "4 MiB DAG-CBOR block of empty lists (was 3.5 s, ~300 MB)",
        "import cbrrr\nfrom autocodec import builtin\ndata = cbrrr.encode_dag_cbor([[]] * (4 * 1024 * 1024 - 5))",
        "try:\n    builtin.decode(data, 'dag-cbor')\nexcept AutocodecError:\n    pass",
    ),
    "bounds.loose-gas-block": (
        "1.7 million list items at Kubo's gas limit, the last one loose: Kubo's relaxed reading, in Python",
        "from autocodec import builtin\nn = 1_700_000\ndata = b'\\x9a' + n.to_bytes(4, 'big') + bytes(n - 1) + b'\\xf7'",
        "try:\n    builtin.decode(data, 'dag-cbor', strict=False)\nexcept AutocodecError:\n    pass",
    ),
    "bounds.output-amplification": (
        "guest returns 64 MiB of empty lists (was 41 s, 4.7-6.4 GB)",
        "import dataclasses\nfrom autocodec.loader import Sandbox\nfrom autocodec.config import DEFAULT_LIMITS\n"
        "from tests.test_loader_wat import wat_module\n"
        "limits = dataclasses.replace(DEFAULT_LIMITS.sandbox, max_memory_bytes=80 << 20, pooled_instances=0)\n"
        "codec = Sandbox(limits).load(wat_module('empty_lists_output')).codec()\n"
        "arg = ((64 << 20) - 5).to_bytes(4, 'little')",
        "try:\n    codec.decode(arg)\nexcept AutocodecError:\n    pass",
    ),
    "bounds.compile-functions": (
        "module of 50k tiny functions (was 6 s, 291 MiB to compile)",
        "from autocodec.loader import Sandbox\nfrom tests.test_bounds_compile import _with\nwasm = _with('(func)\\n' * 50_000)",
        "try:\n    Sandbox().load(wasm)\nexcept AutocodecError:\n    pass",
    ),
    "bounds.compile-bomb": (
        "module of 40k loops: child compile, refused at its 2 s bound (was 28 s, 894 MiB in-process)",
        "import dataclasses\nfrom autocodec.loader import Sandbox\nfrom autocodec.config import DEFAULT_LIMITS\n"
        "from tests.test_bounds_compile import _with, _nested_loops\nwasm = _with(_nested_loops(40_000))\n"
        "sandbox = Sandbox(dataclasses.replace(DEFAULT_LIMITS.sandbox, compile_timeout_ms=2_000))",
        "try:\n    sandbox.load(wasm)\nexcept AutocodecError:\n    pass",
    ),
    "bounds.compile-remembered": (
        "the same bomb loaded again: refused without compiling",
        "import dataclasses\nfrom autocodec.loader import Sandbox\nfrom autocodec.config import DEFAULT_LIMITS\n"
        "from tests.test_bounds_compile import _with, _nested_loops\nwasm = _with(_nested_loops(40_000))\n"
        "sandbox = Sandbox(dataclasses.replace(DEFAULT_LIMITS.sandbox, compile_timeout_ms=2_000))\n"
        "try:\n    sandbox.load(wasm)\nexcept AutocodecError:\n    pass",
        "try:\n    sandbox.load(wasm)\nexcept AutocodecError:\n    pass",
    ),
    "bounds.dagpb-links": (
        "4 MiB DAG-PB block of 524k minimal links (was 12.6 s in Python)",
        "from autocodec import builtin\nfrom autocodec.cid import CID\nraw = bytes(CID(b'\\x01\\x55\\x00\\x00'))\n"
        "link = b'\\x0a' + bytes([len(raw)]) + raw\npiece = b'\\x12' + bytes([len(link)]) + link\n"
        "data = piece * ((4 * 1024 * 1024 - 16) // len(piece))",
        "builtin.decode(data, 'dag-pb')",
    ),
    "bounds.codes": (
        "codec code '0x' + 5000 'f's (was a ValueError, a 500 in serve)",
        "from autocodec.codes import codec_code\ntext = '0x' + 'f' * 5000",
        "try:\n    codec_code(text)\nexcept AutocodecError:\n    pass",
    ),
}
_TIME_BOUND_S = {"bounds.compile-bomb": 5.0, "bounds.output-amplification": 3.0, "bounds.dagpb-links": 5.0,
                 "bounds.loose-gas-block": 3.0}
_RSS_FIGURES = ("bounds.gas-block", "bounds.loose-gas-block", "bounds.dagpb-links", "bounds.output-amplification",
                "bounds.compile-functions", "bounds.compile-bomb")
_RSS_BOUND_KIB = 512 * 1024

_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from autocodec.errors import AutocodecError
{setup}
started = time.perf_counter_ns()
{timed}
took = time.perf_counter_ns() - started
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"ns": took, "rss_kib": rss}}))
"""


def _root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "tests" / "test_bounds_compile.py").exists() else None


def _measure(case: str, root: Path, home: Path) -> tuple[float, float]:
    _, setup, timed = _CASES[case]
    code = _CHILD.format(root=str(root), setup=setup, timed=timed)
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=600, cwd=root)
    if proc.returncode != 0:
        raise RuntimeError(f"{case} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    doc = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return float(doc["ns"]), float(doc["rss_kib"])


def run(config: BenchConfig) -> list[Figure]:
    root = _root()
    figures: list[Figure] = []
    rss: dict[str, Figure] = {}
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-bounds-") as tmp:
        for case, (title, _, _) in _CASES.items():
            bound = _TIME_BOUND_S.get(case, 1.0)
            fig = Figure(case, "bounds", title, ours_label="autocodec",
                         target=Target("bound", None, f"answered within {bound:g} s", max_ns=bound * 1e9),
                         note="one run in a fresh process")
            figures.append(fig)
            if case in _RSS_FIGURES:
                rss[case] = Figure(f"{case}.rss", "bounds", f"{title}: peak RSS", unit="KiB",
                                   target=Target("bound", None, "< 512 MiB RSS", max_ns=_RSS_BOUND_KIB),
                                   note="the whole process, setup included")
                figures.append(rss[case])
            if root is None:
                fig.error = "needs a source checkout (tests/ holds the hostile module builders)"
                if case in rss:
                    rss[case].error = fig.error
                continue
            try:
                ns, kib = _measure(case, root, Path(tmp) / case)
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                fig.error = str(exc)
                if case in rss:
                    rss[case].error = fig.error
                continue
            fig.ours = Measurement.of([ns])
            fig.peers["bound"] = Measurement.of([1.0])  # absolute target only: no peer to compare
            if case in rss:
                rss[case].ours = Measurement.of([kib])
                rss[case].peers["bound"] = Measurement.of([1.0])
    return figures


EXPECTED_IDS = tuple(i for case in _CASES for i in ((case, f"{case}.rss") if case in _RSS_FIGURES else (case,)))
