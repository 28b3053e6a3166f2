"""An adversarial sweep of the block sources with real hostile peers on loopback.

Each peer is a small server of our own (``tests/_http_peers.py``, or a raw socket here for peers
that speak before being asked): bodies cut short of their ``Content-Length``, compressed answers
and compression bombs, bytes that are not HTTP, TLS asked of a plain peer, redirects (another
host, a private address, ``file://``, a loop), 429/503 with a huge ``Retry-After``, deeply nested
JSON from a node, CARs of another root, broken CAR files. Every case must end in a typed
``AutocodecError`` that says what to do (or in the next source's verified block), never a
traceback, a short block or CAR taken as whole, or a peer's bytes echoed to the user.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.config import FetchLimits
from autocodec.errors import AutocodecError, FetchError, FetchTooLarge, HashMismatch, InvalidCar, SourceUnavailable
from autocodec.sources import CarSource, Fetcher, GatewaySource, NodeSource
from tests._car_bytes import car_bytes
from tests._cli import run_cli
from tests._http_peers import Peer, Send, answer

pytestmark = pytest.mark.slow  # loopback servers (threads); each test ends within a few seconds

DATA = b"a block only the honest peer serves whole"
CID_RAW = CID.build(0x55, b"\x12\x20" + hashlib.sha256(DATA).digest())
OTHER = b"another block"
CID_OTHER = CID.build(0x55, b"\x12\x20" + hashlib.sha256(OTHER).digest())
SHORT = FetchLimits(timeout_s=2.0, retries=2, backoff_s=0.05, deadline_s=3.0)
RAW_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.raw\r\n"


def _send(raw: bytes) -> "object":
    """A peer handler that writes ``raw`` and closes."""

    def handle(_request: str, send: Send, _stopped: threading.Event) -> None:
        send(raw)

    return handle


class _Speaker:
    """A raw TCP peer that sends ``greeting`` as soon as a connection opens (before any request)."""

    def __init__(self, greeting: bytes) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.stopped = threading.Event()
        self.greeting = greeting
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.sendall(self.greeting)
                except OSError:
                    pass

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def honest() -> Iterator[Peer]:
    with Peer(answer("200 OK", "application/vnd.ipld.raw", DATA)) as peer:
        yield peer


# --- bodies cut short ------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [len(DATA) - 5, 0], ids=["five-bytes-short", "headers-only"])
def test_body_cut_short_of_its_content_length_is_a_dropped_connection_not_a_lying_peer(sent: int) -> None:
    """http.client's read1 returns b'' at an early close: the short body was taken as the whole
    answer, and the gateway reported as serving wrong bytes (HashMismatch) with no retry."""
    raw = (RAW_HEAD + f"Content-Length: {len(DATA)}\r\n\r\n").encode() + DATA[:sent]
    with Peer(_send(raw)) as peer:
        with pytest.raises(SourceUnavailable, match=f"closed mid-answer \\({sent} of {len(DATA)} declared bytes\\)"):
            Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)
        assert len(peer.requests) == 3  # transient: retried, as a dropped connection is


def test_a_peer_closing_mid_body_falls_back_to_the_next_source_without_calling_it_a_liar(honest: Peer) -> None:
    raw = (RAW_HEAD + "Content-Length: 4000000\r\n\r\n").encode() + DATA  # a huge length that never arrives
    with Peer(_send(raw)) as cutter:
        assert Fetcher(None, [GatewaySource(cutter.url, limits=SHORT), GatewaySource(honest.url, limits=SHORT)]
                       ).get(CID_RAW) == DATA


def test_a_content_length_of_thousands_of_leading_zeros_is_read_as_go_reads_it() -> None:
    """``Content-Length: 000...041`` (5,000 zeros): http.client and Go's client read it; here the
    cap check's ``int()`` raised CPython's 4,300-digit ValueError, reported as the gateway being
    unavailable after three attempts. Found while auditing ``int()`` of received text."""
    raw = (RAW_HEAD + f"Content-Length: {'0' * 5000}{len(DATA)}\r\n\r\n").encode() + DATA
    with Peer(_send(raw)) as peer:
        assert Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW) == DATA


def test_a_content_length_past_int64_is_over_the_cap_at_once() -> None:
    raw = (RAW_HEAD + f"Content-Length: {'9' * 5000}\r\n\r\n").encode() + DATA
    with Peer(_send(raw)) as peer:
        with pytest.raises(FetchTooLarge, match="declares a number of 5000 digits of bytes, over the"):
            Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)


def test_a_car_cut_at_a_section_boundary_is_never_returned_as_the_whole_dag() -> None:
    """A CAR cut after its first section parses as a valid, smaller DAG: only the declared length tells."""
    car = car_bytes([CID_RAW], [(CID_RAW, DATA), (CID_OTHER, OTHER)])
    short = car_bytes([CID_RAW], [(CID_RAW, DATA)])
    raw = (f"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.car\r\nContent-Length: {len(car)}\r\n\r\n"
           ).encode() + short
    with Peer(_send(raw)) as peer:
        with pytest.raises(SourceUnavailable, match="closed mid-answer"):
            GatewaySource(peer.url, limits=SHORT).export_dag(CID_RAW)


# --- codings ---------------------------------------------------------------------------------

BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB


@pytest.mark.parametrize("coding,body", [("gzip", gzip.compress(DATA)), ("deflate", zlib.compress(DATA)),
                                         ("gzip", BOMB), ("br", b"\x0b\x02\x80" + DATA)],
                         ids=["gzip", "deflate", "gzip-bomb", "br"])
def test_compressed_answers_are_refused_never_inflated_nor_called_a_mismatch(coding: str, body: bytes,
                                                                             honest: Peer) -> None:
    """No Accept-Encoding was sent, which RFC 9110 reads as 'any coding is fine': a compressing
    gateway was then reported as serving bytes that do not match (HashMismatch)."""
    raw = (RAW_HEAD + f"Content-Encoding: {coding}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    with Peer(_send(raw)) as peer:
        with pytest.raises(FetchError, match=f"Content-Encoding: {coding}") as info:
            Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)
        assert not isinstance(info.value, HashMismatch) and "mismatch" not in info.value.one_line().lower()
        assert "turn compression off" in info.value.one_line()
        (request,) = peer.requests  # final for this gateway: not retried
        assert "accept-encoding: identity" in request.lower()
        # the next source is asked and serves the block
        assert Fetcher(None, [GatewaySource(peer.url, limits=SHORT), GatewaySource(honest.url, limits=SHORT)]
                       ).get(CID_RAW) == DATA


def test_a_transfer_coding_other_than_chunked_is_refused() -> None:
    body = gzip.compress(DATA)
    raw = (RAW_HEAD + "Transfer-Encoding: gzip, chunked\r\n\r\n").encode() + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    with Peer(_send(raw)) as peer:
        with pytest.raises(FetchError, match="Transfer-Encoding: gzip, chunked"):
            GatewaySource(peer.url, limits=SHORT).get(CID_RAW)


# --- peers that do not speak HTTP ------------------------------------------------------------


@pytest.mark.parametrize("greeting", [b"\x16\x03\x01\x00\x05HELLO garbage from the peer\r\n\r\n",
                                      b"SSH-2.0-OpenSSH_9.6 peer-banner\r\n", b"Z" * 70000],
                         ids=["binary", "ssh-banner", "endless-status-line"])
def test_a_peer_that_does_not_speak_http_is_said_so_without_echoing_its_bytes(greeting: bytes) -> None:
    peer = _Speaker(greeting)
    try:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable) as info:
            Fetcher(None, [GatewaySource(f"http://127.0.0.1:{peer.port}", limits=SHORT)]).get(CID_RAW)
        assert time.monotonic() - started < SHORT.deadline_s + 2
    finally:
        peer.stop()
    line = info.value.one_line()
    assert "not HTTP" in line and "\n" not in line, line
    assert "garbage" not in line and "OpenSSH" not in line and "ZZZ" not in line, line


def test_https_asked_of_a_plain_peer_names_the_tls_handshake_not_openssl_internals() -> None:
    peer = _Speaker(b"HTTP/1.1 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
    try:
        with pytest.raises(SourceUnavailable) as info:
            GatewaySource(f"https://127.0.0.1:{peer.port}", limits=SHORT).get(CID_RAW)
    finally:
        peer.stop()
    line = info.value.one_line()
    assert "TLS handshake failed" in line and "https server" in line, line
    assert "_ssl.c" not in line and "[SSL" not in line, line


# --- status codes ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["{other}/ipfs/{cid}?format=raw", "http://169.254.169.254/latest/meta-data/",
                                   "file:///etc/passwd", "{self}/ipfs/{cid}?format=raw"],
                         ids=["other-host", "private-address", "file", "loop"])
@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect"])
def test_redirects_are_never_followed_and_said_so(where: str, status: str, honest: Peer) -> None:
    with Peer(lambda r, s, e: None) as redirector:
        location = where.format(other=honest.url, self=redirector.url, cid=CID_RAW)
        raw = f"HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
        with Peer(_send(raw)) as peer:
            with pytest.raises(FetchError) as info:
                Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)
            assert len(peer.requests) == 1
    assert honest.requests == [] and redirector.requests == []
    line = info.value.one_line()
    assert "redirects are not followed" in line and location in line and "final address" in line, line


def test_429_with_a_huge_retry_after_moves_on_to_the_next_gateway_at_once(honest: Peer) -> None:
    raw = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 999999999\r\nContent-Length: 0\r\n\r\n"
    with Peer(_send(raw)) as peer:
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)
        assert Fetcher(None, [GatewaySource(peer.url, limits=SHORT), GatewaySource(honest.url, limits=SHORT)]
                       ).get(CID_RAW) == DATA
        assert time.monotonic() - started < SHORT.deadline_s
    line = info.value.one_line()
    assert "HTTP 429" in line and "try again later" in line, line


def test_503_with_a_huge_retry_after_is_retried_only_within_the_deadline() -> None:
    raw = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 999999999\r\nContent-Length: 0\r\n\r\n"
    with Peer(_send(raw)) as peer:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable, match="HTTP 503"):
            GatewaySource(peer.url, limits=SHORT).get(CID_RAW)
        assert time.monotonic() - started < SHORT.deadline_s + 1
        assert len(peer.requests) == SHORT.retries + 1


def test_cli_prints_one_line_saying_what_to_do_about_a_redirecting_gateway(tmp_path: Path) -> None:
    raw = b"HTTP/1.1 302 Found\r\nLocation: http://10.0.0.1/\r\nContent-Length: 0\r\n\r\n"
    with Peer(_send(raw)) as peer:
        proc = run_cli(tmp_path / "home", "decode", str(CID_RAW), "--gateway", peer.url, check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode != 0 and len(err.splitlines()) == 1, err
    assert "redirects are not followed" in err and "final address" in err and "--" not in err, err


# --- a node answering hostile JSON -----------------------------------------------------------


@pytest.mark.parametrize("status", ["500 Internal Server Error", "200 OK"])
def test_a_node_answering_deeply_nested_json_is_a_typed_error_not_a_recursion_traceback(status: str) -> None:
    body = b"[" * 60000
    raw = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    with Peer(_send(raw)) as peer:
        node = NodeSource(peer.url, limits=SHORT)
        with pytest.raises(FetchError) as info:
            node.pins()
        if status.startswith("500"):  # block/get's error path too
            with pytest.raises(FetchError):
                Fetcher(None, [node]).get(CID_RAW)
    assert len(info.value.one_line()) < 600


# --- CARs ------------------------------------------------------------------------------------


def test_a_gateway_car_for_another_root_than_asked_is_refused(honest: Peer) -> None:
    car = car_bytes([CID_OTHER], [(CID_OTHER, OTHER)])
    with Peer(answer("200 OK", "application/vnd.ipld.car", car)) as peer:
        with pytest.raises(HashMismatch, match=f"answered a CAR of {CID_OTHER}, not of the asked {CID_RAW}"):
            GatewaySource(peer.url, limits=SHORT).export_dag(CID_RAW)
    with Peer(answer("200 OK", "application/vnd.ipld.car", b"\x05<html>")) as peer:
        with pytest.raises(InvalidCar, match="not a CAR"):
            GatewaySource(peer.url, limits=SHORT).export_dag(CID_RAW)
    with Peer(answer("200 OK", "application/vnd.ipld.car", car_bytes([CID_RAW], [(CID_RAW, DATA)]))) as peer:
        assert GatewaySource(peer.url, limits=SHORT).export_dag(CID_RAW).endswith(DATA)


def test_a_node_dag_export_for_another_root_than_asked_is_refused() -> None:
    car = car_bytes([CID_OTHER], [(CID_OTHER, OTHER)])
    with Peer(answer("200 OK", "application/vnd.ipld.car", car)) as peer:
        with pytest.raises(HashMismatch, match="answered a CAR of"):
            NodeSource(peer.url, limits=SHORT).export_dag(CID_RAW)


class _Honest:
    name = "honest"

    def get(self, cid: CID) -> bytes:
        assert cid == CID_RAW
        return DATA


def test_a_broken_car_file_falls_back_to_the_next_source(tmp_path: Path) -> None:
    """A truncated CAR raised InvalidCar out of the Fetcher (no fallback), a missing one a raw
    FileNotFoundError; each failure was also parsed again for every block."""
    car = car_bytes([CID_RAW], [(CID_OTHER, OTHER), (CID_RAW, DATA)])
    cut = tmp_path / "cut.car"
    cut.write_bytes(car[:-3])
    assert Fetcher(None, [CarSource(cut), _Honest()]).get(CID_RAW) == DATA
    source = CarSource(cut)
    with pytest.raises(InvalidCar, match=str(cut)) as info:
        Fetcher(None, [source]).get(CID_RAW)
    assert "export it again" in info.value.one_line()
    cut.write_bytes(car)  # the failure is remembered: not parsed again per block
    with pytest.raises(InvalidCar):
        source.get(CID_RAW)
    missing = tmp_path / "gone.car"
    assert Fetcher(None, [CarSource(missing), _Honest()]).get(CID_RAW) == DATA
    with pytest.raises(SourceUnavailable, match="cannot read the CAR file .*gone.car: No such file"):
        Fetcher(None, [CarSource(missing)]).get(CID_RAW)


def test_a_car_with_lying_sections_among_thousands_of_unrelated_blocks(tmp_path: Path) -> None:
    """The right CID over wrong bytes is a mismatch naming the CAR; the next source is asked."""
    filler = [(CID.build(0x55, b"\x12\x20" + hashlib.sha256(b"%d" % i).digest()), b"%d" % i) for i in range(5000)]
    path = tmp_path / "liar.car"
    path.write_bytes(car_bytes([CID_RAW], filler + [(CID_RAW, b"not the block")]))
    with pytest.raises(HashMismatch, match=f"car:{path}"):
        Fetcher(None, [CarSource(path)]).get(CID_RAW)
    assert Fetcher(None, [CarSource(path), _Honest()]).get(CID_RAW) == DATA


def test_every_hostile_answer_above_ends_typed(honest: Peer) -> None:
    """A catch-all over the raw answers: whatever the peer writes, an AutocodecError (or the block)."""
    answers = [b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 5000, RAW_HEAD.encode() + b"Content-Length: -5\r\n\r\n" + DATA,
               RAW_HEAD.encode() + b"Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n" + DATA,
               RAW_HEAD.encode() + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + b"\r\n"]
    for raw in answers:
        with Peer(_send(raw)) as peer:
            try:
                got = Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)
            except AutocodecError:
                continue
            assert got == DATA


@pytest.mark.parametrize("body", [b'{"Keys": 5}', b'{"Keys": ["bafy", 2]}', b'{"Keys": {"x": {"Type": "recursive"}}}'],
                         ids=["number", "list", "not-a-cid"])
def test_a_node_answering_a_malformed_pin_list_is_the_nodes_fault_not_the_users_input(body: bytes) -> None:
    """Keys as a number was a TypeError traceback; a key that is no CID an InvalidCID telling the
    user how to write a CID."""
    from autocodec.errors import InvalidCID

    with Peer(answer("200 OK", "application/json", body)) as peer:
        with pytest.raises(FetchError, match="pin/ls") as info:
            NodeSource(peer.url, limits=SHORT).pins()
    assert not isinstance(info.value, InvalidCID)


def test_a_timeout_names_the_settings_that_exist() -> None:
    """FetchTimeout's hint named 'limits.fetch.timeout', which config.toml does not have."""
    from tests._http_peers import trickle

    from autocodec.errors import FetchTimeout

    limits = FetchLimits(timeout_s=0.5, retries=1, backoff_s=0.05, deadline_s=1.5)
    with Peer(trickle(5.0)) as peer:
        with pytest.raises(FetchTimeout) as info:
            Fetcher(None, [GatewaySource(peer.url, limits=limits)]).get(CID_RAW)
    line = info.value.one_line()
    assert "deadline_s or timeout_s under [limits.fetch] in config.toml" in line, line
    assert "limits.fetch.timeout " not in line and "--" not in line, line


# --- digests too short to check bytes against (Kubo's verifcid minimum) ------------------------


def _blake2b_8(data: bytes) -> CID:
    return CID.build(0x55, b"\x81\xe4\x02\x01" + hashlib.blake2b(data, digest_size=1).digest())


def test_a_forger_cannot_serve_a_block_under_a_one_byte_digest(tmp_path: Path) -> None:
    """A blake2b-8 CID (a 1-byte digest, which autocodec verifies and Kubo refuses) is found by
    any peer with a few hundred tries: such a CID is never fetched (``WeakDigest``, no peer
    asked), while a 20-byte digest (a truncated sha2-256, Kubo's minimum) still is."""
    from autocodec.errors import WeakDigest

    wanted = _blake2b_8(DATA)
    forged = next(b"forged %d" % i for i in range(100_000) if _blake2b_8(b"forged %d" % i) == wanted)
    asked: list[str] = []

    def forger(request: str, send: Send, stopped: threading.Event) -> None:
        asked.append(request.split("\r\n", 1)[0])
        answer("200 OK", "application/vnd.ipld.raw", forged)(request, send, stopped)

    with Peer(forger) as peer:
        fetcher = Fetcher(None, [GatewaySource(peer.url, limits=SHORT)])
        with pytest.raises(WeakDigest) as err:
            fetcher.get(wanted)
        assert "1 bytes" in err.value.message and "at least 20 bytes" in err.value.message
        assert asked == []
        proc = run_cli(tmp_path / "home", "block", "get", str(wanted), "--gateway", peer.url, check=False)
        assert proc.returncode == 1 and proc.stdout == b"" and asked == []
        assert proc.stderr.decode().count("\n") == 1 and "WeakDigest" in proc.stderr.decode()
    truncated = CID.build(0x55, b"\x12\x14" + hashlib.sha256(DATA).digest()[:20])
    with Peer(answer("200 OK", "application/vnd.ipld.raw", DATA)) as honest_peer:
        assert Fetcher(None, [GatewaySource(honest_peer.url, limits=SHORT)]).get(truncated) == DATA


def test_a_cid_no_hasher_here_can_check_is_refused_before_any_peer_is_asked(tmp_path: Path) -> None:
    """A keccak-256 CID with a 64-byte digest (keccak-256 has no extendable output) or a hash no
    hasher serves: whatever a peer sends could not be verified. The fetch asked every source
    first (an online node searches for 30 s) and refused afterwards; now it refuses at once, as
    ``verify`` would, and no peer is asked. A checkable CID is still fetched."""
    from autocodec.errors import DigestLengthUnsupported, UnknownHash
    from autocodec.registry import Runtime

    asked: list[str] = []

    def peer_answering(request: str, send: Send, stopped: threading.Event) -> None:
        asked.append(request.split("\r\n", 1)[0])
        answer("200 OK", "application/vnd.ipld.raw", DATA)(request, send, stopped)

    long_keccak = CID.build(0x55, b"\x1b\x40" + bytes(64))
    unknown = CID.build(0x55, b"\xb4\x01\x20" + bytes(32))  # 0xb401: no hasher, builtin or extension
    with Runtime(tmp_path / "home") as runtime, Peer(peer_answering) as peer:
        fetcher = Fetcher(None, [GatewaySource(peer.url, limits=SHORT)], verify=runtime.verify_block)
        with pytest.raises(DigestLengthUnsupported):
            fetcher.get(long_keccak)
        with pytest.raises(UnknownHash):
            fetcher.get(unknown)
        assert asked == []
        checkable = runtime.cid_for(DATA, "raw", hash="keccak-256")
        assert fetcher.get(checkable) == DATA and len(asked) == 1
