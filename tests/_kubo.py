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

Two nodes that talk (``peered_pair(root)``): each repo is made with ``KuboRepo.create(path,
swarm=True)``, which keeps everything above except that the node listens for peers on one free
loopback TCP port (``swarm_multiaddr``), routes with Kubo's ``dht`` (a dual DHT: the LAN DHT takes
loopback peers because ``--profile test`` sets ``Routing.LoopbackAddressesOnLanDHT``, so IPNS
records and provider records move between the two nodes) and runs its daemon online. Each names
the other in ``Peering.Peers`` (Kubo keeps that connection up and redials it), the bootstrap list
stays empty and ``AutoConf`` stays off (as ``--profile test`` sets it), so nothing leaves loopback. Blocks move by bitswap.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from collections.abc import Mapping
from pathlib import Path

from autocodec.cid import CID
from tests._car_bytes import car_bytes

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
    swarm_port: int | None = None  # set by create(..., swarm=True): listens for peers, online daemon

    @classmethod
    def create(cls, path: Path, *, swarm: bool = False) -> "KuboRepo":
        repo = cls(path, swarm_port=free_port() if swarm else None)
        repo.init()
        return repo

    @property
    def peer_id(self) -> str:
        return str(json.loads((self.path / "config").read_text())["Identity"]["PeerID"])

    @property
    def swarm_multiaddr(self) -> str:
        if self.swarm_port is None:
            raise RuntimeError("this repo has no swarm listener (KuboRepo.create(path, swarm=True) makes one)")
        return f"/ip4/127.0.0.1/tcp/{self.swarm_port}/p2p/{self.peer_id}"

    def peer_with(self, other: "KuboRepo") -> None:
        """Name ``other`` in this repo's ``Peering.Peers`` (read when the daemon starts)."""
        peers = json.loads(self.ipfs("config", "Peering.Peers").stdout or b"null") or []
        peers.append({"ID": other.peer_id, "Addrs": [other.swarm_multiaddr.rsplit("/p2p/", 1)[0]]})
        self.set_config("Peering.Peers", peers)

    def swarm_peers(self) -> set[str]:
        """Peer IDs this running daemon is connected to."""
        out = self.ipfs("swarm", "peers", timeout=30).stdout.decode().split()
        return {line.rsplit("/p2p/", 1)[-1] for line in out}

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

    def import_blocks(self, blocks: Mapping[CID, bytes]) -> None:
        """``ipfs dag import`` of ``blocks`` (a CARv1 written as given, unpinned; its first block the root)."""
        car = self.path / "import.car"
        car.write_bytes(car_bytes([next(iter(blocks))], list(blocks.items())))
        self.ipfs("dag", "import", "--pin-roots=false", car)

    def cat_or_none(self, path: str) -> bytes | None:
        """``ipfs cat PATH``'s bytes, or None where Kubo refuses it."""
        proc = self.ipfs("cat", path, check=False, timeout=60)
        return proc.stdout if proc.returncode == 0 else None

    def ipns_verdict(self, record: bytes, name: str) -> tuple[bool | None, bytes]:
        """``ipfs name inspect --verify=NAME`` of ``record``: its ``Valid:`` answer (None where Kubo
        printed none, e.g. a name it cannot parse) and its output, for messages."""
        proc = self.ipfs("name", "inspect", f"--verify={name}", input=record, check=False)
        valid = re.search(rb"Valid:\s*(true|false)", proc.stdout)
        return (None if valid is None else valid.group(1) == b"true"), (proc.stdout + proc.stderr)[-300:]

    def init(self) -> None:
        if (self.path / "config").exists():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self.ipfs("init", "--profile", "test", "--empty-repo")
        self.set_config("Bootstrap", [])
        self.set_config("Routing.Type", "none" if self.swarm_port is None else "dht")
        self.set_config("Addresses.Swarm", [] if self.swarm_port is None else [f"/ip4/127.0.0.1/tcp/{self.swarm_port}"])
        self.set_config("Addresses.API", f"/ip4/127.0.0.1/tcp/{self.api_port}")
        self.set_config("Addresses.Gateway", f"/ip4/127.0.0.1/tcp/{self.gateway_port}")

    def set_config(self, key: str, value: object) -> None:
        self.ipfs("config", "--json", key, json.dumps(value))

    def start(self, timeout: float = 60.0, *, authorization: str | None = None) -> "KuboRepo":
        """Start ``ipfs daemon --offline`` (online for a ``swarm`` repo) and wait until its RPC API answers.

        ``authorization``: the ``Authorization`` header the readiness probe sends, for a node whose
        API answers nothing without credentials (``API.Authorizations``); none by default."""
        log = open(self.path / "daemon.log", "wb")
        mode = ["--offline"] if self.swarm_port is None else []
        self.process = subprocess.Popen([str(KUBO_BIN), "daemon", *mode], env=self.env(),
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kubo exited: {(self.path / 'daemon.log').read_text()[-2000:]}")
            try:
                headers = {} if authorization is None else {"Authorization": authorization}
                req = urllib.request.Request(f"{self.api_url}/api/v0/version", method="POST", headers=headers)
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


def peered_pair(root: Path, timeout: float = 60.0) -> tuple[KuboRepo, KuboRepo]:
    """Two running Kubo daemons under ``root`` (``a``, ``b``), peered with each other on loopback
    only (see the module docstring); returns once each lists the other in ``swarm peers``.
    The caller stops both (``stop()``, or ``with`` on each)."""
    first, second = KuboRepo.create(root / "a", swarm=True), KuboRepo.create(root / "b", swarm=True)
    first.peer_with(second)
    second.peer_with(first)
    first.start()
    try:
        second.start()
        second.ipfs("swarm", "connect", first.swarm_multiaddr, timeout=30)  # at once, not at Peering's next redial
        deadline = time.monotonic() + timeout
        while not (second.peer_id in first.swarm_peers() and first.peer_id in second.swarm_peers()):
            if time.monotonic() > deadline:
                raise RuntimeError("the two Kubo nodes did not connect to each other in time")
            time.sleep(0.2)
    except BaseException:
        first.stop()
        second.stop()
        raise
    return first, second
