"""A loopback TCP relay to a real Kubo node's RPC API that takes the node down (closes its
listener and every connection) when a request for a chosen API path arrives: the node a command
spoke to goes away mid-way, at a known step. Nothing is answered in the node's place."""

from __future__ import annotations

import socket
import threading


class NodeGoesDown:
    """``url`` relays to ``upstream`` (``host:port``) until a request names ``/api/v0/{at}``;
    from then on nothing listens at ``url`` (connections are refused). ``seen`` lists the API
    paths relayed, in order."""

    def __init__(self, upstream: tuple[str, int], at: str) -> None:
        self._upstream = upstream
        self._mark = f" /api/v0/{at}".encode()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.down = False
        self.seen: list[str] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            with self._lock:
                self._open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if from_client:
                for word in data.split(b" /api/v0/")[1:]:
                    self.seen.append(word.split(b"?")[0].split(b" ")[0].decode("latin-1"))
                if self._mark in data:
                    self.stop()
                    return
            try:
                dst.sendall(data)
            except OSError:
                return

    def stop(self) -> None:
        """Nothing listens any more; every relayed connection is closed."""
        self.down = True
        self._listener.close()
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
