"""Run the ``autocodec`` command as a separate process on a given home (end-to-end tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(home: Path, *args: str, check: bool = True, stdin: bytes | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """``python -m autocodec ARGS`` with ``AUTOCODEC_HOME=home``; raises with stderr unless ``check`` is off."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True, input=stdin,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"autocodec {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()}")
    return proc


def refusal_line(status: int, out: bytes, err: str, code: int = 1) -> str:
    """The one line a refusal printed (the last, for a usage error), after asserting its shape:
    exit ``code``, no traceback, nothing on stdout; a usage error (2) is argparse's usage line
    and an ``error:`` line, any other refusal one ``autocodec: `` line."""
    assert status == code, err
    assert "Traceback" not in err and not out, err
    lines = err.splitlines()
    if code == 2:
        assert lines[0].startswith("usage:") and ": error: " in lines[-1], err
    else:
        assert len(lines) == 1 and lines[0].startswith("autocodec: "), err
    return lines[-1]
