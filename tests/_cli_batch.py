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
import sys
from typing import Any


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
