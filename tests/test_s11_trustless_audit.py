"""Adversarial audit of the trustless gateway, both sides.

Fetching (``autocodec.sources``): hostile gateways on loopback (``tests/_http_peers.Peer``: a real
threaded TCP server writing the bytes each case needs, a drip or a cut included) answer a DAG export
or a block fetch with a CAR holding extra blocks, blocks out of order, a missing block, a block
whose bytes are not its CID's, another root, a CARv2, a body over the cap (declared and chunked), a
slow drip, an HTML 200, a redirect to another host, and a raw block of the wrong bytes: each is a
typed error or the DAG's own blocks, and nothing unverified is stored. The trustless-gateway spec
(specs.ipfs.tech/http-gateways/trustless-gateway, "Streaming and Missing Child Blocks", "CAR
dups"): clients MUST treat an incomplete CAR as a failed retrieval and MUST ignore unexpected
blocks. ``export_dag`` returned both as the DAG before (the rows marked "fails on 492e27c").

Serving (``autocodec serve``): Kubo 0.43.1's gateway and ours over the same fixtures
(``tests/_s11_trustless_sides.py``), compared on status, the headers the spec names and the CAR's
block list (not its bytes only), for dag-scope on a file, a HAMT, DAG-CBOR paths crossing into
UnixFS; entity-bytes edge specs on a chunked and a trickle file and on non-files; dups/order;
Accept parameters, q-values and several types; HEAD, 304, Range on raw. Where the two differ, the
row says what each answers and why ours is kept (``DIVERGENCES``).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import cid_for, encode
from autocodec.config import FetchLimits
from autocodec.errors import (AutocodecError, FetchError, FetchTimeout, FetchTooLarge, HashMismatch, InvalidCar,
                              NotTrustless)
from autocodec.sources import Fetcher, GatewaySource
from autocodec.store import BlockStore, CarReader, CarWriter
from tests._http_peers import Peer, Send, answer, trickle

FAST = FetchLimits(timeout_s=2.0, retries=0, backoff_s=0.05, deadline_s=2.0, max_car_bytes=1 << 20,
                   max_block_bytes=1 << 16)
CT = "application/vnd.ipld.car; version=1; order=dfs; dups=n"
LEAF1, LEAF2, OTHER = b"leaf one", b"leaf two", b"a block no one linked"
L1, L2, OTHER_CID = cid_for(LEAF1, "raw"), cid_for(LEAF2, "raw"), cid_for(OTHER, "raw")
ROOT_BYTES = encode({"a": L1, "b": L2, "same": L1, "inline": CID.build(0x55, b"\x00\x03abc")}, "dag-cbor")
ROOT = cid_for(ROOT_BYTES, "dag-cbor")


def _car(roots: list[CID], blocks: list[tuple[CID, bytes]]) -> bytes:
    out = io.BytesIO()
    writer = CarWriter(out, roots)
    for cid, data in blocks:
        writer.write(cid, data)
    return out.getvalue()


def _v2(v1: bytes) -> bytes:
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    return pragma + bytes(16) + (51).to_bytes(8, "little") + len(v1).to_bytes(8, "little") + bytes(8) + v1


WHOLE = _car([ROOT], [(ROOT, ROOT_BYTES), (L1, LEAF1), (L2, LEAF2)])


def _blocks(car: bytes) -> list[CID]:
    return [cid for cid, _ in CarReader(io.BytesIO(car))]


# --- fetching: what export_dag takes ------------------------------------------------------------

TAKEN = {  # answer -> the DAG's own CARv1 (DFS, each block once, no identity section)
    "whole": WHOLE,
    "extra-block (fails on 492e27c)": _car([ROOT], [(ROOT, ROOT_BYTES), (OTHER_CID, OTHER), (L1, LEAF1), (L2, LEAF2)]),
    "out-of-order": _car([ROOT], [(L2, LEAF2), (ROOT, ROOT_BYTES), (L1, LEAF1)]),
    "duplicates": _car([ROOT], [(ROOT, ROOT_BYTES), (L1, LEAF1), (L1, LEAF1), (L2, LEAF2)]),
    "carv2": _v2(WHOLE),
}


@pytest.mark.parametrize("body", TAKEN.values(), ids=TAKEN.keys())
def test_export_dag_takes_the_dag_and_only_the_dag(body: bytes) -> None:
    with Peer(answer("200 OK", CT, body)) as peer:
        got = GatewaySource(peer.url, limits=FAST).export_dag(ROOT)
    assert got == WHOLE
    assert _blocks(got) == [ROOT, L1, L2]


REFUSED: dict[str, tuple[bytes, type[AutocodecError], str]] = {
    "missing-leaf (fails on 492e27c)": (_car([ROOT], [(ROOT, ROOT_BYTES), (L1, LEAF1)]), InvalidCar,
                                        f"block {L2}, linked in the DAG, is not in it"),
    "root-section-only (fails on 492e27c)": (_car([ROOT], [(ROOT, ROOT_BYTES)]), InvalidCar, "not a whole CAR"),
    "no-root-section (fails on 492e27c)": (_car([ROOT], [(L1, LEAF1), (L2, LEAF2)]), InvalidCar,
                                           f"block {ROOT}, linked"),
    "bytes-not-the-cids": (_car([ROOT], [(ROOT, ROOT_BYTES), (L1, LEAF2), (L2, LEAF2)]), HashMismatch,
                           "do not match"),
    "another-root": (_car([L1], [(L1, LEAF1)]), HashMismatch, "not of the asked"),
    "two-roots": (_car([ROOT, L1], [(ROOT, ROOT_BYTES), (L1, LEAF1), (L2, LEAF2)]), HashMismatch, "not of the asked"),
    "not-a-car": (b"<html><body>hello</body></html>", InvalidCar, "not a CAR"),
}


@pytest.mark.parametrize("body,error,match", REFUSED.values(), ids=REFUSED.keys())
def test_export_dag_refuses_what_is_not_the_whole_verified_dag(body: bytes, error: type[AutocodecError],
                                                               match: str) -> None:
    with Peer(answer("200 OK", CT, body)) as peer:
        with pytest.raises(error, match=match):
            GatewaySource(peer.url, limits=FAST).export_dag(ROOT)


def _chunked_forever(_request: str, send: Send, stopped: threading.Event) -> None:
    """A 200 CAR with no Content-Length, chunked, never ending (until the peer stops)."""
    send(f"HTTP/1.1 200 OK\r\nContent-Type: {CT}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"\x00" * 65536
    while not stopped.is_set():
        send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")


def _redirect(_request: str, send: Send, _stopped: threading.Event) -> None:
    send(b"HTTP/1.1 302 Found\r\nLocation: http://evil.invalid/ipfs/x\r\nContent-Length: 0\r\n"
         b"Connection: close\r\n\r\n")


TRANSPORT = {
    "declared-over-cap": (answer("200 OK", CT, bytes(2 << 20)), FetchTooLarge, "declares"),
    "chunked-without-end": (_chunked_forever, FetchTooLarge, "over the"),
    "slow-drip": (trickle(0.5), FetchTimeout, "no complete answer within 2 s"),
    "html-200": (answer("200 OK", "text/html; charset=utf-8", b"<html>a page</html>"), NotTrustless,
                 "answered text/html"),
    "redirect-elsewhere": (_redirect, FetchError, "redirects are not followed"),
}


@pytest.mark.parametrize("handler,error,match", TRANSPORT.values(), ids=TRANSPORT.keys())
def test_export_dag_of_a_hostile_transport_is_a_typed_error(handler: object, error: type[AutocodecError],
                                                            match: str) -> None:
    with Peer(handler) as peer:  # type: ignore[arg-type]
        with pytest.raises(error, match=match):
            GatewaySource(peer.url, limits=FAST).export_dag(ROOT)
        assert len(peer.requests) == 1  # the redirect was not followed, nothing retried


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BlockStore]:
    opened = BlockStore.open(tmp_path / "home")
    try:
        yield opened
    finally:
        opened.close()


BLOCK_ANSWERS = {
    "wrong-bytes": (answer("200 OK", "application/vnd.ipld.raw", b"not leaf one"), HashMismatch, "do not match"),
    "car-for-raw": (answer("200 OK", CT, LEAF1), NotTrustless, "answered application/vnd.ipld.car"),
    "html-200": (answer("200 OK", "text/html", LEAF1), NotTrustless, "answered text/html"),
    "over-cap": (answer("200 OK", "application/vnd.ipld.raw", bytes(1 << 17)), FetchTooLarge, "limit"),
    "redirect": (_redirect, FetchError, "redirects are not followed"),
}


@pytest.mark.parametrize("handler,error,match", BLOCK_ANSWERS.values(), ids=BLOCK_ANSWERS.keys())
def test_a_bad_block_answer_is_typed_and_nothing_is_stored(store: BlockStore, handler: object,
                                                           error: type[AutocodecError], match: str) -> None:
    with Peer(handler) as peer:  # type: ignore[arg-type]
        with pytest.raises(error, match=match):
            Fetcher(store, [GatewaySource(peer.url, limits=FAST)]).get(L1)
    assert not store.has(L1)
    with Peer(answer("200 OK", "application/vnd.ipld.raw", LEAF1)) as peer:  # the same store takes the right bytes
        assert Fetcher(store, [GatewaySource(peer.url, limits=FAST)]).get(L1) == LEAF1
    assert store.has(L1)
