"""Watching revocation gossip between real ``autocodec serve`` processes: a server's log of
revocations (``GET /ipvm/revocations``) and a bounded wait for a condition to hold."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from tests._serve_proc import ServeProcess


def revocation_log(srv: ServeProcess) -> list[dict[str, Any]]:
    """The entries of ``srv``'s revocation log, from its start."""
    with urllib.request.urlopen(srv.url + "/ipvm/revocations?since=0", timeout=30) as resp:
        entries: list[dict[str, Any]] = json.loads(resp.read())["revocations"]
    return entries


def wait_until(check: Callable[[], bool], what: str, deadline_s: float) -> None:
    """Poll ``check`` every 0.2 s; ``AssertionError`` naming ``what`` if it is still false after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {deadline_s} s: {what}")
        time.sleep(0.2)
