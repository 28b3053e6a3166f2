"""``bao.fetch`` reading a served stream that breaks or stalls (a raw-socket server on loopback).

- A body that breaks (chunked framing broken mid-body, a reset) is the library's
  ``FetchError`` naming the source, a timeout its ``FetchTimeout``: never http.client's
  ``IncompleteRead`` or an ``OSError`` (before: both escaped ``bao.fetch``).
- A sender that stalls: every node that arrived is verified and written before the timeout
  (before: a read waited for a whole piece or tile, so a stall after 30 KB wrote nothing).
- An encoding that ends early says how many bytes came, not only its whole nodes.
Content of 100 000 bytes (one stream) and 5 MiB + 777 (tiles on two CPUs or more).
"""

from __future__ import annotations

import io
import random
import socket
import struct
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import bao
from autocodec.errors import FetchError, FetchTimeout

from ._cli import run_cli
from ._http_peers import RawServer

pytestmark = pytest.mark.slow

SMALL, BIG = 100_000, 5 * 1024 * 1024 + 777


class Server(RawServer):
    """Answers each request with ``self.reply``'s bytes, then holds the connection open until
    the client closes it (``hold``), or closes it (with ``reset``: an RST)."""

    def __init__(self) -> None:
        self.reply, self.hold, self.reset = b"", False, False
        super().__init__(backlog=8)
        self.url = f"http://127.0.0.1:{self.port}/bao/x"

    def handle(self, conn: socket.socket, head: bytes) -> None:
        conn.sendall(self.reply)
        if self.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif self.hold:
            while conn.recv(4096):  # until the client gives up
                pass


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module", params=[SMALL, BIG], ids=["small", "tiled"])
def blob(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[bao.Verifier, object,
                                                                                            bytes, bytes]:
    v = bao.verifier()
    content = random.Random(request.param).randbytes(request.param)
    enc = io.BytesIO()
    root = bao.encode(v, io.BytesIO(content), enc)
    return v, bao.blake3_cid(root), content, enc.getvalue()


def _head(length: int) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n".encode()


def _fetch(server: Server, v: bao.Verifier, cid: object, timeout: float = 60) -> tuple[bytearray, Exception | None]:
    out = bytearray()
    try:
        with urllib.request.urlopen(server.url, timeout=timeout) as resp:  # noqa: S310 - loopback
            bao.fetch(v, cid, resp, out.extend)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - the test looks at which
        return out, exc
    return out, None


def _verified_prefix(v: bao.Verifier, cid: object, prefix: bytes) -> bytes:
    """What a decode of ``prefix`` (all of it at hand) writes before it finds the end."""
    out = bytearray()
    with pytest.raises(bao.VerificationFailed):
        bao.fetch(v, cid, io.BytesIO(prefix), out.extend)  # type: ignore[arg-type]
    return bytes(out)


@pytest.mark.parametrize("at", [30_000, 0.6])
def test_a_stalled_sender_leaves_every_arrived_node_written(server: Server, blob: tuple[bao.Verifier, object, bytes,
                                                                                         bytes], at: float) -> None:
    v, cid, content, enc = blob
    cut = int(at) if at > 1 else int(len(enc) * at)
    server.reply, server.hold, server.reset = _head(len(enc)) + enc[:cut], True, False
    out, exc = _fetch(server, v, cid, timeout=2)
    assert isinstance(exc, FetchTimeout), repr(exc)
    assert "stalled" in exc.message and server.url in exc.message, exc.message
    want = _verified_prefix(v, cid, enc[:cut])
    assert len(want) > cut // 2 and content.startswith(want)
    assert bytes(out) == want, (len(out), len(want))


def test_chunked_framing_broken_mid_body_is_a_fetch_error(server: Server,
                                                          blob: tuple[bao.Verifier, object, bytes, bytes]) -> None:
    v, cid, content, enc = blob
    cut = len(enc) // 2
    server.hold = server.reset = False
    server.reply = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + b"%x\r\n" % cut + enc[:cut] + b"\r\nZZZ\r\n" + enc[cut:])
    out, exc = _fetch(server, v, cid)
    assert type(exc) is FetchError, repr(exc)
    assert exc.message.startswith(f"the response of {server.url} for {cid} broke off"), exc.message
    assert bytes(out) == _verified_prefix(v, cid, enc[:cut]), len(out)  # all that came before the break


def test_a_reset_mid_body_is_a_fetch_error(server: Server, blob: tuple[bao.Verifier, object, bytes, bytes]) -> None:
    v, cid, content, enc = blob
    server.reply, server.hold, server.reset = _head(len(enc)) + enc[:len(enc) // 3], False, True
    out, exc = _fetch(server, v, cid)
    assert isinstance(exc, FetchError), repr(exc)
    assert "broke off" in exc.message, exc.message
    assert content.startswith(bytes(out))


@pytest.mark.parametrize("cut", [8, 50_000, 60_123, 3_000_123])
def test_an_early_end_says_what_was_received(blob: tuple[bao.Verifier, object, bytes, bytes], cut: int) -> None:
    v, cid, content, enc = blob
    if cut >= len(enc):
        pytest.skip("the small encoding is shorter")
    with pytest.raises(bao.VerificationFailed) as caught:
        bao.fetch(v, cid, io.BytesIO(enc[:cut]), lambda piece: None)  # type: ignore[arg-type]
    assert f"ended early: {cut} encoded bytes received" in caught.value.message, caught.value.message


def test_a_body_ended_by_its_length_on_a_connection_kept_open(server: Server,
                                                             blob: tuple[bao.Verifier, object, bytes, bytes]) -> None:
    """Content-Length bytes came, too few for the encoding, and the server keeps the connection:
    the fetch ends there, the encoding short (a look for bytes past the length would wait for
    the timeout)."""
    v, cid, content, enc = blob
    server.reply, server.hold, server.reset = _head(len(enc) - 3000) + enc[:-3000], True, False
    out, exc = _fetch(server, v, cid, timeout=5)
    assert isinstance(exc, bao.VerificationFailed) and "ended early" in exc.message, repr(exc)
    assert bytes(out) == _verified_prefix(v, cid, enc[:-3000])


@pytest.mark.parametrize("command", ["bao-cat", "cat"])
def test_the_cli_writes_what_came_before_a_stall(server: Server, blob: tuple[bao.Verifier, object, bytes, bytes],
                                                  tmp_path: Path, command: str) -> None:
    """``bao cat CID --gateway URL --timeout 2`` (and ``cat``, whose gateway read waits the
    home's fetch timeout, 10 s: small content only) against a gateway that stops sending 30 KB in: the verified bytes are on
    standard output and one line says the response stalled."""
    v, cid, content, enc = blob
    if command == "cat" and len(content) > SMALL:
        pytest.skip("cat's gateway read waits the fetch timeout (10 s)")
    server.reply, server.hold, server.reset = _head(len(enc)) + enc[:30_000], True, False
    base = server.url.removesuffix("/bao/x")
    args = ["bao", "cat", str(cid), "--gateway", base, "--timeout", "2"] if command == "bao-cat" else \
        ["cat", str(cid), "--gateway", base]
    if command == "cat":
        server.hold = False  # cat has no --timeout: the gateway ends the connection instead
        server.reply = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        + b"%x\r\n" % len(enc) + enc[:30_000])
    proc = run_cli(tmp_path / "home", *args, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    kind = "FetchTimeout" if command == "bao-cat" else "FetchError"
    assert err.startswith(f"autocodec: {kind}: the response of {base} for {cid} "), err
    assert proc.stdout == _verified_prefix(v, cid, enc[:30_000]), (len(proc.stdout), err)
