"""``protected_start``: start a Kubo daemon (offline) whose RPC API answers nothing without
credentials (``API.Authorizations``), ready once ``version`` answers 200 to the given
``Authorization`` header.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request

from tests._kubo import KUBO_BIN, KuboRepo


def protected_start(repo: KuboRepo, authorization: str, timeout: float = 60.0) -> None:
    """``repo.start()`` for a node that answers nothing without credentials: ready once
    ``version`` answers 200 to ``authorization``."""
    log = open(repo.path / "daemon.log", "wb")
    repo.process = subprocess.Popen([str(KUBO_BIN), "daemon", "--offline"], env=repo.env(), stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if repo.process.poll() is not None:
            raise RuntimeError(f"kubo exited: {(repo.path / 'daemon.log').read_text()[-2000:]}")
        try:
            req = urllib.request.Request(f"{repo.api_url}/api/v0/version", method="POST",
                                         headers={"Authorization": authorization})
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    repo.stop()
    raise RuntimeError("kubo did not become ready in time")
