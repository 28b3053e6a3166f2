"""Every bench figure says how loaded the machine was and how much CPU it used, beside its wall time.

A wall time on a shared machine includes waiting for a CPU; the CPU time (user + system of every
thread and of the children waited for) barely moves with load. So each figure carries the 1-minute
load average at its start and end, the usable CPUs, its CPU medians and CPU ratios, and the text
report warns when the load exceeded the usable CPUs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from autocodec.bench import BenchConfig, Figure, Measurement, Report, format_table, run
from autocodec.bench._cli import _time as time_child
from autocodec.bench._cpu import LoadWindow, cpu_ns, load1, tree_cpu_ns, usable_cpus

_BUSY = "while True: pass"


@pytest.fixture(scope="module")
def report() -> Report:
    return run(BenchConfig.smoke(), ["calls", "dag-cbor"])


def test_each_figure_has_a_load_window_and_cpu_medians(report: Report) -> None:
    assert report.figures
    for fig in report.figures:
        assert fig.load is not None, fig.id
        assert fig.load.start >= 0 and fig.load.end is not None and fig.load.end >= 0, fig.id
        assert fig.load.usable_cpus == len(os.sched_getaffinity(0)), fig.id
        assert fig.ours is not None and fig.ours.cpu_ns is not None and fig.ours.cpu_ns > 0, fig.id
        for name, m in fig.peers.items():
            if m is not None:
                assert m.cpu_ns is not None and m.cpu_ns > 0, (fig.id, name)
        assert fig.cpu_ratios().keys() == fig.ratios().keys(), fig.id
        for name, ratio in fig.cpu_ratios().items():
            assert ratio == pytest.approx(fig.ours.cpu_ns / fig.peers[name].cpu_ns), (fig.id, name)  # type: ignore[union-attr, operator]


def test_json_adds_the_new_fields_and_keeps_the_old(report: Report) -> None:
    doc = json.loads(json.dumps(report.to_json()))
    assert isinstance(doc["overloaded"], list)
    for fig in doc["figures"]:
        for old in ("id", "median_ns", "ours", "peers", "ratios", "missing", "unit", "result"):
            assert old in fig, (fig["id"], old)
        assert fig["ours"]["median_ns"] > 0 and fig["ours"]["cpu_median_ns"] > 0
        assert fig["cpu_median_ns"] == fig["ours"]["cpu_median_ns"]
        assert set(fig["cpu_ratios"]) == set(fig["ratios"])
        load = fig["load"]
        assert load["start_1min"] >= 0 and load["end_1min"] >= 0 and load["usable_cpus"] >= 1
        assert fig["overloaded"] is load["overloaded"] is (max(load["start_1min"], load["end_1min"]) > load["usable_cpus"])
        assert (fig["id"] in doc["overloaded"]) is fig["overloaded"]


def test_text_shows_cpu_beside_wall_and_warns_only_when_overloaded() -> None:
    def one(load: float) -> Report:
        fig = Figure("x.fig", "x", "a figure", ours=Measurement.of([2e6], [1e6]),
                     peers={"peer": Measurement.of([1e6], [1e6])}, load=LoadWindow(load, load, 2))
        return Report([fig], {"cpu": "c", "usable_cpus": 2, "python": "3", "wasmtime": "w", "load_average": [load]},
                      BenchConfig.smoke())
    calm, busy = format_table(one(0.5)), format_table(one(7.5))
    for text in (calm, busy):
        assert "2.00 ms ±0%, cpu 1.00 ms" in text and "2x, cpu 1x" in text
    assert "warning" not in calm
    warnings = [line for line in busy.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "7.5" in warnings[0] and "2 usable CPUs" in warnings[0] and "x.fig" in warnings[0]


def test_cpu_time_counts_other_threads_and_waited_children() -> None:
    import threading

    def spin() -> None:  # 0.2 s of this thread's own CPU time, however busy the machine is
        end = time.thread_time() + 0.2
        while time.thread_time() < end:
            pass

    before = cpu_ns()
    worker = threading.Thread(target=spin)
    worker.start()
    worker.join()
    assert cpu_ns() - before >= 200_000_000  # the other thread's spin is in the process's CPU time


@pytest.mark.slow
def test_a_child_process_cpu_is_counted() -> None:
    wall, cpu = time_child([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                                                  "while time.process_time() < end: pass"], dict(os.environ))
    assert cpu >= 300_000_000 and wall > 0


@pytest.mark.slow
def test_a_live_server_tree_is_counted() -> None:
    """``tree_cpu_ns`` sums a process and its live children (a server and its workers)."""
    code = ("import subprocess, sys, time\n"
            f"kid = subprocess.Popen([sys.executable, '-c', {_BUSY!r}])\n"
            "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(1.5)
        first = tree_cpu_ns(parent.pid)
        deadline = time.monotonic() + 30  # a loaded machine gives the grandchild its 0.1 s of CPU later
        while tree_cpu_ns(parent.pid) - first < 100_000_000 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tree_cpu_ns(parent.pid) - first >= 100_000_000  # the busy grandchild, not the sleeping parent
    finally:
        for pid in _children(parent.pid):
            os.kill(pid, 9)
        parent.kill()
        parent.wait()


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(x) for x in fh.read().split()]


@pytest.mark.slow
def test_warning_under_a_forced_high_load() -> None:
    """Busy children push the 1-minute load above the CPUs this process may use (pinned to one
    here, so the load needs to pass 1 only): the figure is marked overloaded and the text warns."""
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(saved)})
    busy = [subprocess.Popen([sys.executable, "-c", _BUSY]) for _ in range(8)]
    try:
        deadline = time.monotonic() + 60
        while load1() <= usable_cpus() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert load1() > usable_cpus() == 1
        got = run(BenchConfig.smoke(), ["calls"])
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
        os.sched_setaffinity(0, saved)
    assert got.overloaded() == [f.id for f in got.figures] and got.figures
    assert all(f.load and f.load.usable_cpus == 1 and f.load.overloaded for f in got.figures)
    warnings = [line for line in format_table(got).splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "exceeded the 1 usable CPUs" in warnings[0]
    assert json.loads(json.dumps(got.to_json()))["figures"][0]["overloaded"] is True
