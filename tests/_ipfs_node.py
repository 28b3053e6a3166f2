"""Start and stop a real js-ipfs node (npm ``ipfs@0.66.1``) for integration tests.

Invariants: the node runs offline (``--offline``, empty bootstrap list, no MDNS, no
delegates, no swarm listeners) on free loopback ports, with a throw-away repo; ``stop()``
always terminates it. Its RPC API is Kubo's, so what works here should work against Kubo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent / "ipfs"
JSIPFS = NODE_DIR / "node_modules" / ".bin" / "jsipfs"


def available() -> bool:
    return JSIPFS.exists() and shutil.which("node") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class IpfsNode:
    repo: Path
    api_port: int
    gateway_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def api_multiaddr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.api_port}/http"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "IPFS_PATH": str(self.repo)}

    def start(self, timeout: float = 60.0) -> "IpfsNode":
        if not (self.repo / "config").exists():
            subprocess.run([str(JSIPFS), "init", "--empty-repo"], env=self._env(), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            config_path = self.repo / "config"
            config = json.loads(config_path.read_text())
            config["Addresses"] = {
                "Swarm": [], "Announce": [], "NoAnnounce": [], "Delegates": [],
                "API": f"/ip4/127.0.0.1/tcp/{self.api_port}",
                "Gateway": f"/ip4/127.0.0.1/tcp/{self.gateway_port}",
                "RPC": f"/ip4/127.0.0.1/tcp/{_free_port()}",
            }
            config["Bootstrap"] = []
            config["Discovery"] = {"MDNS": {"Enabled": False, "Interval": 10}, "webRTCStar": {"Enabled": False}}
            config["Routing"] = {"Type": "none"}
            config_path.write_text(json.dumps(config, indent=2))
        log = open(self.repo / "daemon.log", "wb")
        self.process = subprocess.Popen(
            [str(JSIPFS), "daemon", "--offline"], env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"js-ipfs exited: {(self.repo / 'daemon.log').read_text()[-2000:]}")
            try:
                req = urllib.request.Request(f"{self.api_url}/api/v0/version", method="POST")
                with urllib.request.urlopen(req, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("js-ipfs did not become ready in time")

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def new_node(root: Path) -> IpfsNode:
    return IpfsNode(repo=root / "ipfs-repo", api_port=_free_port(), gateway_port=_free_port())
