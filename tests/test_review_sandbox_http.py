"""Hostile and unusual HTTP framing from a gateway, on loopback peers of our own.

- Informational answers (1xx but 101) before the final one are skipped, as RFC 9110 section 15.2
  asks of every client and Go's net/http (``readResponse`` in net/http/transport.go, the client
  Kubo is built with) does: a gateway sending 103 Early Hints first still serves its block. A
  peer that never stops sending them is refused after ``MAX_INFORMATIONAL``, at once, not at the
  deadline. 101 stays a final answer, as in Go.
- Framing a peer can get wrong or drag out (endless chunked trailers, chunk sizes that are not
  hex or overflow, status lines without end) ends typed within the fetch's deadline.
"""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from autocodec import CID
from autocodec.config import FetchLimits
from autocodec.errors import FetchError, SourceUnavailable
from autocodec.sources import Fetcher, GatewaySource
from autocodec.sources._http import MAX_INFORMATIONAL
from tests._http_peers import Handler, Peer, Send

pytestmark = pytest.mark.slow  # loopback servers (threads)

DATA = b"a block behind early hints"
CID_RAW = CID.build(0x55, b"\x12\x20" + hashlib.sha256(DATA).digest())
QUICK = FetchLimits(timeout_s=2.0, retries=1, backoff_s=0.05, deadline_s=3.0)
RAW = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.raw\r\n"
BLOCK = RAW + b"Content-Length: %d\r\n\r\n" % len(DATA) + DATA
EARLY = b"HTTP/1.1 103 Early Hints\r\nLink: </ipfs/x>; rel=preload\r\n\r\n"


def _once(raw: bytes) -> Handler:
    def handle(_request: str, send: Send, _stopped: threading.Event) -> None:
        send(raw)

    return handle


def _endless(head: bytes, again: bytes) -> Handler:
    def handle(_request: str, send: Send, stopped: threading.Event) -> None:
        send(head)
        while not stopped.is_set():
            send(again)

    return handle


@pytest.mark.parametrize("before", [EARLY, b"HTTP/1.1 102 Processing\r\n\r\n" + EARLY,
                                    b"HTTP/1.1 100 Continue\r\n\r\n" + EARLY * (MAX_INFORMATIONAL - 1)],
                         ids=["103", "102-103", "as-many-as-allowed"])
def test_informational_answers_before_the_block_are_skipped(before: bytes) -> None:
    with Peer(_once(before + BLOCK)) as peer:
        assert Fetcher(None, [GatewaySource(peer.url, limits=QUICK)]).get(CID_RAW) == DATA


@pytest.mark.parametrize("again", [EARLY, b"HTTP/1.1 100 Continue\r\n\r\n"], ids=["103", "100"])
def test_a_peer_sending_informational_answers_forever_is_refused_at_once(again: bytes) -> None:
    with Peer(_endless(b"", again)) as peer:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable, match="informational"):
            GatewaySource(peer.url, limits=QUICK).get(CID_RAW)
        assert time.monotonic() - started < QUICK.deadline_s / 2  # not the deadline: it was reached before


def test_101_is_a_final_answer_as_in_go() -> None:
    with Peer(_once(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n" + BLOCK)) as peer:
        with pytest.raises(FetchError, match="HTTP 101"):
            GatewaySource(peer.url, limits=QUICK).get(CID_RAW)


CHUNKED = RAW + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("handler, error", [
    # trailer lines are kept and bounded (64, sources/_http.py): endless ones are refused, not waited out
    (_endless(CHUNKED + b"1\r\nx\r\n0\r\n", b"X-Trailer: y\r\n"), SourceUnavailable),
    (_endless(CHUNKED + b"1", b";extension"), SourceUnavailable),
    (_once(CHUNKED + b"ffffffffffffffffffffffff\r\nxyz"), SourceUnavailable),
    (_once(CHUNKED + b"-5\r\nxyz"), SourceUnavailable),
    (_endless(b"HTTP/1.1 200 ", b"a" * 1000), SourceUnavailable),
    (_once(RAW + b"".join(b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n"), SourceUnavailable),
], ids=["endless-trailer", "endless-chunk-extension", "chunk-size-overflow", "negative-chunk-size",
        "endless-status-line", "too-many-headers"])
def test_framing_a_peer_drags_out_or_breaks_ends_typed_within_the_deadline(handler: Handler, error: type) -> None:
    with Peer(handler) as peer:
        started = time.monotonic()
        with pytest.raises(error):
            GatewaySource(peer.url, limits=QUICK).get(CID_RAW)
        assert time.monotonic() - started < QUICK.deadline_s + 1.0
