"""Small hostile HTTP peers on loopback for the fetch tests (no IPFS node needed).

``Peer(handler)`` runs a threaded TCP server whose ``handler(request_line, send, stopped)`` writes
raw bytes; ``stop()`` (or leaving the ``with`` block) ends it and every connection it holds.

Invariants: binds 127.0.0.1 on a free port only; every handler thread is a daemon and watches
``stopped``, so a test never leaves a peer behind.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Callable

Send = Callable[[bytes], None]
Handler = Callable[[str, Send, threading.Event], None]


class Peer:
    def __init__(self, handler: Handler) -> None:
        self.stopped = threading.Event()
        self.requests: list[str] = []
        peer = self

        class _Conn(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(5)
                head = b""
                try:
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        data = sock.recv(4096)
                        if not data:
                            return
                        head += data
                    text = head.decode("latin-1")
                    peer.requests.append(text)
                    handler(text, sock.sendall, peer.stopped)
                except OSError:
                    pass

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = _Server(("127.0.0.1", 0), _Conn)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RawServer:
    """A loopback TCP server for a handler that needs the socket itself (to hold it open, reset it,
    half-close it): each connection, in a thread of its own, has its request head read (up to the
    blank line; a client that closes before is dropped), then ``handle(conn, head)`` answers.
    Subclasses set what ``handle`` reads before calling ``__init__``; ``close()`` stops accepting."""

    def __init__(self, backlog: int = 16) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def handle(self, conn: socket.socket, head: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # a client that gave up
            head = b""
            while b"\r\n\r\n" not in head:
                more = conn.recv(4096)
                if not more:
                    return
                head += more
            self.handle(conn, head)


def answer(status: str, content_type: str, body: bytes) -> Handler:
    """A peer that answers every request at once with this status, type and body."""

    def handle(_request: str, send: Send, _stopped: threading.Event) -> None:
        send(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
             f"Connection: close\r\n\r\n".encode() + body)

    return handle


def trickle(every_s: float, *, in_headers: bool = False) -> Handler:
    """A peer that sends one byte every ``every_s`` seconds, in the body or already in the headers."""

    def handle(_request: str, send: Send, stopped: threading.Event) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.raw\r\nContent-Length: 100000\r\n\r\n"
        if in_headers:
            stream = head + b"x" * 100000
        else:
            send(head)
            stream = b"x" * 100000
        for i in range(len(stream)):
            if stopped.wait(every_s if i else 0):
                return
            send(stream[i:i + 1])

    return handle
