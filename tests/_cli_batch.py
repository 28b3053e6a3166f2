"""Run many ``autocodec`` command lines in one process: ``python tests/_cli_batch.py CASES RESULTS``.

CASES is a JSON list of ``{"argv": [...], "stdin": PATH|null, "stdout": PATH, "stderr": PATH}``;
each runs through ``autocodec.cli.main`` with file descriptors 0, 1 and 2 (and fresh ``sys``
streams over them) pointed at those files, so the command reads and writes real descriptors as
it does from a shell. RESULTS gets the exit status of each, in order. One interpreter start for
hundreds of runs: the differential Bao test (tests/test_bao_reference.py) stays fast.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()


@dataclass
class Run:
    """One command line's exit status and output."""

    code: int
    out: bytes
    err: bytes


def run_cases(cases: list[dict[str, Any]], folder: Path, env: dict[str, str]) -> list[int]:
    """``cases`` (the CASES form above) run by this script in one new interpreter, with ``env``,
    from the checkout (``folder`` holds the two JSON files); their exit statuses, in order."""
    (folder / "cases.json").write_text(json.dumps(cases))
    subprocess.run([sys.executable, str(SCRIPT), str(folder / "cases.json"), str(folder / "results.json")],
                   env=env, check=True, timeout=3600, cwd=SCRIPT.parent.parent)
    codes: list[int] = json.loads((folder / "results.json").read_text())
    return codes


def run_lines(home: Path, folder: Path, lines: Sequence[tuple[list[str], str | None]]) -> list[Run]:
    """Each ``(argv, stdin file or None)`` run as ``autocodec --home HOME ARGV`` (``run_cases``; the
    environment's ``AUTOCODEC_HOME`` left out), its output written in ``folder``; the runs in order."""
    cases = [{"argv": ["--home", str(home), *argv], "stdin": stdin, "stdout": str(folder / f"{i}.out"),
              "stderr": str(folder / f"{i}.err")} for i, (argv, stdin) in enumerate(lines)]
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    codes = run_cases(cases, folder, env)
    return [Run(code, (folder / f"{i}.out").read_bytes(), (folder / f"{i}.err").read_bytes())
            for i, code in enumerate(codes)]


def _streams() -> tuple[Any, Any, Any]:
    stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)))
    stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)), line_buffering=True)
    return stdin, stdout, stderr


def run_one(case: dict[str, Any]) -> int:
    """One command line with its standard streams on files; its exit status."""
    from autocodec.cli import main

    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    fds = [os.open(case["stdin"] or os.devnull, os.O_RDONLY),
           os.open(case["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
           os.open(case["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)]
    old = sys.stdin, sys.stdout, sys.stderr
    for fd, f in enumerate(fds):
        os.dup2(f, fd)
    sys.stdin, sys.stdout, sys.stderr = _streams()
    try:
        try:
            status = main(case["argv"])
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
        for fd, s in enumerate(saved):
            os.dup2(s, fd)
            os.close(s)
        for f in fds:
            os.close(f)
    return status


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    with open(sys.argv[2], "w") as f:
        json.dump([run_one(case) for case in cases], f)
