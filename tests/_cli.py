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
