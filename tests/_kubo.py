"""Real Kubo (the IPFS reference node, v0.43.1) for integration and differential tests.

``tools/setup.d/10-kubo.sh`` builds the binary into ``.cache/go/bin/ipfs``; this module runs it.

Invariants:
- every repo is a throw-away folder initialised with ``ipfs init --profile test`` (which already
  binds the API and gateway to loopback and disables MDNS), then made fully offline: empty
  bootstrap list, ``Routing.Type none``, no swarm listeners, and API/gateway on free loopback
  ports chosen here;
- ``KuboRepo.ipfs(...)`` runs the CLI against the repo (offline commands such as
  ``add --only-hash`` and ``dag put`` work with or without the daemon; with the daemon running
  they go through its API);
- ``stop()`` always ends the daemon (SIGTERM, then SIGKILL after a grace period).

Use: ``repo = KuboRepo.create(tmp_path / "kubo")``, then ``repo.ipfs("add", "-Q", path)``;
``repo.start()`` for a daemon (``api_multiaddr``, ``api_url``, ``gateway_url``), ``repo.stop()``
(or ``with KuboRepo.create(p).start() as repo:``). The session-wide daemon is the ``kubo_node``
fixture (alias ``ipfs_node``) in ``tests/conftest.py``.
Tests that need Kubo call ``require_kubo()`` (skips with a reason locally; fails on CI).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
KUBO_BIN = REPO_ROOT / ".cache" / "go" / "bin" / "ipfs"
KUBO_VERSION = "0.43.1"


def kubo_available() -> bool:
    """True when the pinned Kubo binary has been built by ``./dev setup``."""
    return KUBO_BIN.is_file() and os.access(KUBO_BIN, os.X_OK)


def require_kubo() -> None:
    """Skip (locally) or fail (under CI=true) when the Kubo binary is missing."""
    import pytest

    if kubo_available():
        return
    reason = f"Kubo {KUBO_VERSION} not built (needs Go; ./dev setup builds it into {KUBO_BIN.parent})"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class KuboRepo:
    """One throw-away Kubo repo, and optionally its daemon."""

    path: Path
    api_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, path: Path) -> "KuboRepo":
        repo = cls(path)
        repo.init()
        return repo

    @property
    def api_multiaddr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.api_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "IPFS_PATH": str(self.path)}

    def ipfs(self, *args: str | os.PathLike[str], input: bytes | None = None, check: bool = True,
             timeout: float = 120.0) -> subprocess.CompletedProcess[bytes]:
        """Run ``ipfs ARGS`` against this repo; raises with Kubo's stderr when ``check`` and it fails."""
        proc = subprocess.run([str(KUBO_BIN), *map(str, args)], input=input, env=self.env(),
                              capture_output=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"ipfs {' '.join(map(str, args))} failed ({proc.returncode}): "
                               f"{proc.stderr.decode(errors='replace')[-2000:]}")
        return proc

    def init(self) -> None:
        if (self.path / "config").exists():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self.ipfs("init", "--profile", "test", "--empty-repo")
        self.set_config("Bootstrap", [])
        self.set_config("Routing.Type", "none")
        self.set_config("Addresses.Swarm", [])
        self.set_config("Addresses.API", f"/ip4/127.0.0.1/tcp/{self.api_port}")
        self.set_config("Addresses.Gateway", f"/ip4/127.0.0.1/tcp/{self.gateway_port}")

    def set_config(self, key: str, value: object) -> None:
        self.ipfs("config", "--json", key, json.dumps(value))

    def start(self, timeout: float = 60.0) -> "KuboRepo":
        """Start ``ipfs daemon --offline`` and wait until its RPC API answers."""
        log = open(self.path / "daemon.log", "wb")
        self.process = subprocess.Popen([str(KUBO_BIN), "daemon", "--offline"], env=self.env(),
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kubo exited: {(self.path / 'daemon.log').read_text()[-2000:]}")
            try:
                req = urllib.request.Request(f"{self.api_url}/api/v0/version", method="POST")
                with urllib.request.urlopen(req, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("kubo did not become ready in time")

    def block_file(self, multihash: bytes) -> Path:
        """The flatfs file holding the block with this multihash (Kubo keys blocks by multihash:
        base32 upper-case without padding, in a folder named by the key's next-to-last two
        characters, ``/repo/flatfs/shard/v1/next-to-last/2``)."""
        import base64

        key = base64.b32encode(multihash).decode().rstrip("=")
        path = self.path / "blocks" / key[-3:-1] / f"{key}.data"
        if not path.is_file():
            raise FileNotFoundError(f"no flatfs file for that block in {self.path}")
        return path

    def __enter__(self) -> "KuboRepo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
