"""Ctrl-C while the program shuts down (its exit handlers running: the loader stops its workers
there) ends it as Ctrl-C during the command does: one ``interrupted`` line, killed by SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROGRAM = """
import atexit, sys, time
sys.argv = ["autocodec", "version"]
from autocodec.cli import main
atexit.register(lambda: (print("exit handler", flush=True), time.sleep(3)))  # runs first: the slow shutdown
sys.exit(main())
"""


@pytest.mark.parametrize(("sig", "said"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_shutdown_gets_its_line(tmp_path: Path, sig: signal.Signals, said: str) -> None:
    """Before, an exit handler took the KeyboardInterrupt: "Exception ignored in atexit
    callback", a traceback, and exit 0; SIGTERM killed the process without a line. Now the
    handlers finish, then one line, and the process dies by the signal."""
    proc = subprocess.Popen([sys.executable, "-c", PROGRAM], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b"autocodec version")
    assert proc.stdout.readline() == b"exit handler\n"  # the command is over; the program is shutting down
    time.sleep(0.3)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -sig, (proc.returncode, err)
    assert err.decode() == f"autocodec: {said}\n" and out == b"", err
