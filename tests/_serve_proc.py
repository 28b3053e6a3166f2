"""``autocodec serve`` as a real process on a free loopback port, for gateway and browser tests.

Use: ``with ServeProcess(home, tmp_path) as srv: urllib.request.urlopen(srv.url + "/healthz")``.
The server is stopped with SIGTERM (then SIGKILL) when the block ends; its stderr is in
``srv.log_path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests._kubo import free_port


class ServeProcess:
    """One ``autocodec serve`` process over ``home``."""

    def __init__(self, home: Path, tmp: Path, *extra: str) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"serve-{self.port}.log"
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "ServeProcess":
        env = {**os.environ, "AUTOCODEC_HOME": str(self.home)}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "autocodec", "serve", "--port", str(self.port),
                                             *self.extra], env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("serve did not answer /healthz in 60 s")

    def __exit__(self, *exc: object) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
