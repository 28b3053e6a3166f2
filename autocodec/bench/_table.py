"""The human-readable table: one row per (figure, peer), aligned columns.

Columns: figure, ours (median, +-MAD%), peer name and time, ratio (ours / peer time: below 1
is faster), target and result. Throughput figures (inputs of 1 MiB or more) show MB/s.
Where CPU time was measured it follows the wall time (``cpu 1.2 ms``) and the CPU ratio follows
the wall ratio (``cpu 0.97x``); one warning line names the figures measured while the load
average exceeded the usable CPUs (their wall times include waiting for a CPU).
"""

from __future__ import annotations

from ._core import Figure, Measurement
from ._runner import Report

_MB_S_FROM = 1 << 20
ABSOLUTE = "bound"  # the peer name of figures whose target is an absolute bound (``_bounds``, ``_bao``)
_HEAD = ("figure", "ours", "peer", "peer time", "ours/peer", "target", "result")


def _time(ns: float) -> str:
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} us"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def value(m: Measurement | None, bytes_per_op: int | None, *, spread: bool = True, unit: str = "ns") -> str:
    if m is None:
        return "-"
    if unit == "KiB":
        return f"{m.median_ns / 1024:,.1f} MiB RSS"
    if bytes_per_op and bytes_per_op >= _MB_S_FROM:
        text = f"{bytes_per_op / m.median_ns * 1e3:,.0f} MB/s"
    else:
        text = _time(m.median_ns)
    text = f"{text} ±{m.spread_pct:.0f}%" if spread else text
    return f"{text}, cpu {_time(m.cpu_ns)}" if m.cpu_ns is not None else text


def _rows(fig: Figure) -> list[tuple[str, ...]]:
    ours = f"error: {fig.error}" if fig.error else f"{fig.ours_label}: {value(fig.ours, fig.bytes_per_op, unit=fig.unit)}"
    ratios = fig.ratios()
    cpu_ratios = fig.cpu_ratios()
    names = list(dict.fromkeys([*fig.peers, *fig.missing]))
    if fig.target and fig.target.peer in names:  # the target's peer first
        names.remove(fig.target.peer)
        names.insert(0, fig.target.peer)
    rows: list[tuple[str, ...]] = []
    for i, name in enumerate(names or [""]):
        m = fig.peers.get(name)
        peer_time = value(m, fig.bytes_per_op, spread=False, unit=fig.unit) if m else (fig.missing.get(name, "-") if name else "")
        ratio = f"{ratios[name]:.3g}x" if name in ratios else "-"
        if name in cpu_ratios:
            ratio += f", cpu {cpu_ratios[name]:.3g}x"
        if name == ABSOLUTE:  # an absolute target's placeholder peer: nothing to compare with
            name, peer_time, ratio = "", "", ""
        first = i == 0
        target = fig.target.text if fig.target and first else ""
        result = fig.result() if fig.target and first else ""
        rows.append((fig.title if first else "", ours if first else "", name, peer_time, ratio, target, result))
    return rows


def format_table(report: Report) -> str:
    """The report as aligned text, grouped, with the machine line and a target summary."""
    rows: list[tuple[str, ...]] = []
    group = None
    for fig in report.figures:
        if fig.group != group:
            group = fig.group
            rows.append((f"[{group}]", "", "", "", "", "", ""))
        rows.extend(_rows(fig))
    widths = [max(len(r[i]) for r in [_HEAD, *rows]) for i in range(len(_HEAD))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(_HEAD, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    m = report.machine
    results = report.results()
    passed = sum(1 for r in results.values() if r == "pass")
    lines.append("")
    lines.append(f"machine: {m['cpu']}, {m['usable_cpus']} usable CPUs, Python {m['python']}, "
                 f"wasmtime {m['wasmtime']}, load average {' '.join(f'{x:.1f}' for x in m['load_average'] or [])}")
    lines.append(f"targets: {passed}/{len(results)} pass"
                 + (f" (not passing: {', '.join(report.failed())})" if report.failed() else "")
                 + f"; {report.config.rounds} rounds, {report.elapsed_s:.0f} s")
    overloaded = report.overloaded()
    if overloaded:
        peak = max(f.load.peak for f in report.figures if f.load)
        lines.append(f"warning: load average up to {peak:.1f} exceeded the {m['usable_cpus']} usable CPUs during "
                     f"{len(overloaded)} figure(s) ({', '.join(overloaded)}): their wall times include waiting "
                     "for a CPU; compare the cpu times and ratios")
    for name, error in report.errors.items():
        lines.append(f"group {name} failed: {error}")
    for name, reason in report.skipped.items():
        lines.append(f"group {name} skipped: {reason}")
    return "\n".join(lines)
