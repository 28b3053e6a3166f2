"""A peer that takes TCP connections on loopback and never answers: a stalled gateway or node.

``SilentPeer()`` listens on 127.0.0.1 at a free port from the moment it is made; every connection
is accepted and held open, unread, until ``close()`` (which also stops the listener).
``accepted`` is set once the first connection has come in. The ``stalled`` fixture is one such
peer per test, given as its URL.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


class SilentPeer:
    """A loopback listener that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.listener.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def stalled() -> Iterator[str]:
    """A gateway that takes connections and never answers: its URL."""
    peer = SilentPeer()
    yield peer.url
    peer.close()
