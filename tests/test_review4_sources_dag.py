"""A DAG export (``export_dag``) from Kubo 0.43.1 and from hostile gateways is whole and verified.

Measured against Kubo 0.43.1 (the ``kubo_node`` fixture), with a dag-cbor root whose raw child
the node does not hold:
- RPC ``dag/export`` answers ``200``, chunked, ``Trailer: X-Stream-Error``: the CAR header and the
  root's section, then the zero chunk and the trailer ``X-Stream-Error: walk failed: ... block was
  not found locally (offline) ...``. Kubo's own RPC client (go-ipfs-cmds) turns that trailer into
  the command's error; Python's ``http.client`` reads and drops trailers, so the short CAR was
  returned as the DAG;
- the gateway's ``?format=car`` answers ``200`` with the same two sections followed by the text
  ``\\n\\n[Gateway Error: CAR stream truncated, response is incomplete]`` (boxo's gateway writes
  it into the body once the status is sent); only the CAR header was checked, so that was
  returned too.
Hostile gateways of our own: a CAR with a block whose bytes do not hash to its CID, a CAR cut mid
section, trailing bytes after the last section; and the accepted shapes (duplicates, blocks out of
order, a CARv2 wrapping) whose every block verifies.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading

import pytest

from autocodec import CID
from autocodec.config import FetchLimits
from autocodec.errors import AutocodecError, BlockNotFound, FetchError, HashMismatch, InvalidCar
from autocodec.sources import GatewaySource, NodeSource
from autocodec.store import CarReader
from tests._car_bytes import car_bytes
from tests._http_peers import Peer, Send, answer

pytestmark = pytest.mark.slow

FAST = FetchLimits(timeout_s=5.0, retries=0, backoff_s=0.05, deadline_s=10.0)
A = b"first block of the hostile DAG"
B = b"second block of the hostile DAG"
CID_A = CID.build(0x55, b"\x12\x20" + hashlib.sha256(A).digest())
CID_B = CID.build(0x55, b"\x12\x20" + hashlib.sha256(B).digest())
CAR = "application/vnd.ipld.car"


@pytest.fixture(scope="module")
def broken_dag(kubo_node) -> CID:  # type: ignore[no-untyped-def]
    """A dag-cbor root on the node whose one child (a raw block) the node does not hold (``dag put``
    does not look for the blocks it links; ``block rm`` would fail the session node's pin check)."""
    child = CID.build(0x55, b"\x12\x20" + hashlib.sha256(b"a child no node was given").digest())
    doc = json.dumps({"child": {"/": str(child)}}).encode()
    root = kubo_node.ipfs("dag", "put", "--input-codec=dag-json", "--store-codec=dag-cbor", input=doc)
    return CID.parse(root.stdout.decode().strip())


def test_kubo_rpc_dag_export_failing_mid_stream_is_not_returned_as_the_dag(kubo_node, broken_dag: CID) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BlockNotFound, match="not found locally"):
        NodeSource(kubo_node.api_url, limits=FAST).export_dag(broken_dag)


def test_kubo_gateway_car_truncated_mid_stream_is_not_returned_as_the_dag(kubo_node, broken_dag: CID) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidCar, match="not a whole CAR"):
        GatewaySource(kubo_node.gateway_url, limits=FAST).export_dag(broken_dag)


def test_a_whole_dag_from_kubo_still_exports_from_both(kubo_node) -> None:  # type: ignore[no-untyped-def]
    doc = json.dumps({"x": 1}).encode()
    root = CID.parse(kubo_node.ipfs("dag", "put", "--input-codec=dag-json", "--store-codec=dag-cbor",
                                    input=doc).stdout.decode().strip())
    for source in (NodeSource(kubo_node.api_url, limits=FAST), GatewaySource(kubo_node.gateway_url, limits=FAST)):
        assert [c for c, _ in CarReader(io.BytesIO(source.export_dag(root)))] == [root]


def _stream_error_node(error: str) -> "object":
    """A node whose dag/export answers 200 chunked, a CAR of A, then an X-Stream-Error trailer."""
    body = car_bytes([CID_A], [(CID_A, A)])

    def handle(_request: str, send: Send, _stopped: threading.Event) -> None:
        send(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.car\r\nTrailer: X-Stream-Error\r\n"
             b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
             + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\nX-Stream-Error: " + error.encode() + b"\r\n\r\n")

    return handle


def test_a_node_stream_error_trailer_is_the_nodes_error() -> None:
    with Peer(_stream_error_node("context deadline exceeded \x1b[31m")) as peer:  # type: ignore[arg-type]
        with pytest.raises(BlockNotFound, match="did not find it within the fetch deadline") as info:
            NodeSource(peer.url, limits=FAST).export_dag(CID_A)
        assert "\x1b" not in info.value.message
    with Peer(_stream_error_node("walk failed: some other failure")) as peer:  # type: ignore[arg-type]
        with pytest.raises(FetchError, match="walk failed: some other failure"):
            NodeSource(peer.url, limits=FAST).export_dag(CID_A)


@pytest.mark.parametrize("car,error,match", [
    (car_bytes([CID_A], [(CID_A, A), (CID_B, A)]), HashMismatch, "do not match"),
    (car_bytes([CID_A], [(CID_A, B)]), HashMismatch, "do not match"),
    (car_bytes([CID_A], [(CID_A, A), (CID_B, B)])[:-5], InvalidCar, "not a whole CAR"),
    (car_bytes([CID_A], [(CID_A, A)]) + b"\n\n[Gateway Error: CAR stream truncated, response is incomplete]",
     InvalidCar, "not a whole CAR"),
], ids=["block-under-another-cid", "root-bytes-wrong", "cut-mid-section", "trailing-text"])
def test_a_gateway_car_that_does_not_verify_is_refused(car: bytes, error: type[AutocodecError], match: str) -> None:
    with Peer(answer("200 OK", CAR, car)) as peer:
        with pytest.raises(error, match=match):
            GatewaySource(peer.url, limits=FAST).export_dag(CID_A)
        with pytest.raises(error, match=match):
            NodeSource(peer.url, limits=FAST).export_dag(CID_A)


def _v2(v1: bytes) -> bytes:
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    header = bytes(16) + (51).to_bytes(8, "little") + len(v1).to_bytes(8, "little") + bytes(8)
    return pragma + header + v1


@pytest.mark.parametrize("car", [
    car_bytes([CID_A], [(CID_A, A), (CID_A, A), (CID_B, B)]),
    car_bytes([CID_A], [(CID_B, B), (CID_A, A)]),
    _v2(car_bytes([CID_A], [(CID_A, A), (CID_B, B)])),
], ids=["duplicates", "out-of-order", "carv2"])
def test_a_gateway_car_whose_every_block_verifies_is_taken(car: bytes) -> None:
    """Taken, as the DAG's own CARv1: the raw root once; B, which the root does not link, is dropped
    (tests/test_s11_trustless_audit.py: the spec has clients ignore unexpected blocks)."""
    with Peer(answer("200 OK", CAR, car)) as peer:
        got = GatewaySource(peer.url, limits=FAST).export_dag(CID_A)
    assert got == car_bytes([CID_A], [(CID_A, A)])


# --- a node's 200 whose JSON says error ----------------------------------------------------------
# go-ipfs-cmds' client (Kubo's, v0.16.1 http/response.go, writer.go MaybeError) decodes each JSON
# value of an answer as the command's error when it is an object with "Type": "error", whatever
# the status; a bare 200 with such a body was read as no pins, an empty path, no keys.

ERROR_BODY = b'{"Message":"pin/ls failed: the repo is locked","Code":0,"Type":"error"}\n'


@pytest.mark.parametrize("body", [ERROR_BODY, b'{"Keys":{}}\n' + ERROR_BODY], ids=["alone", "after-a-value"])
def test_a_node_200_whose_json_is_an_error_is_the_nodes_error(body: bytes) -> None:
    with Peer(answer("200 OK", "application/json", body)) as peer:
        node = NodeSource(peer.url, limits=FAST)
        for call in (node.pins, lambda: node.resolve_name("k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"),
                     node.key_names):
            with pytest.raises(FetchError, match="the repo is locked"):
                call()


def test_a_value_whose_type_field_is_not_error_is_a_value() -> None:
    body = b'{"Cid":"' + str(CID_A).encode() + b'","Type":"recursive"}\n'
    with Peer(answer("200 OK", "application/json", body)) as peer:
        assert NodeSource(peer.url, limits=FAST).pins() == set()  # a --stream item; not an error


# --- trailers are bounded ----------------------------------------------------------------------

def _trailing(lines: int, stall: bool) -> "object":
    def handle(_request: str, send: Send, stopped: threading.Event) -> None:
        send(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.raw\r\nTransfer-Encoding: chunked\r\n\r\n"
             + f"{len(A):x}\r\n".encode() + A + b"\r\n0\r\n" + b"X-Pad: x\r\n" * lines)
        if stall:
            stopped.wait(30)
        else:
            send(b"\r\n")

    return handle


def test_endless_trailer_lines_and_a_stalled_trailer_end_typed_and_bounded() -> None:
    from autocodec.errors import FetchTimeout, SourceUnavailable

    limits = FetchLimits(timeout_s=0.5, retries=0, backoff_s=0.05, deadline_s=2.0)
    with Peer(_trailing(100, stall=False)) as peer:  # type: ignore[arg-type]
        with pytest.raises(SourceUnavailable, match="more than 64 trailer lines"):
            GatewaySource(peer.url, limits=limits).get(CID_A)
    with Peer(_trailing(3, stall=False)) as peer:  # type: ignore[arg-type]
        assert GatewaySource(peer.url, limits=limits).get(CID_A) == A  # a few trailers: the body stands
    with Peer(_trailing(1, stall=True)) as peer:  # type: ignore[arg-type]
        with pytest.raises(FetchTimeout):
            GatewaySource(peer.url, limits=limits).get(CID_A)


# --- a gateway's "not found" in another status ---------------------------------------------------
# boxo v0.43.0's HTTP block retrieval (bitswap/network/httpnet, isKnownNotFoundError) takes any
# non-200 answer whose body starts with one of four known texts for a 404 (some gateways send 500).

@pytest.mark.parametrize("status,text", [
    ("500 Internal Server Error", "ipld: could not find node bafkqaaa"),
    ("503 Service Unavailable", "peer does not have bafkqaaa"),
    ("500 Internal Server Error", "getting pieces containing cid bafkqaaa: none"),
    ("502 Bad Gateway", "failed to load root node bafkqaaa"),
])
def test_a_gateways_known_not_found_text_is_not_found_whatever_its_status(status: str, text: str) -> None:
    with Peer(answer(status, "text/plain", text.encode())) as peer:
        with pytest.raises(BlockNotFound, match="does not have it"):
            GatewaySource(peer.url, limits=FAST).get(CID_A)


def test_other_error_texts_keep_their_status_meaning() -> None:
    with Peer(answer("500 Internal Server Error", "text/plain", b"not ipld: could not find node")) as peer:
        with pytest.raises(FetchError) as info:
            GatewaySource(peer.url, limits=FAST).get(CID_A)
        assert not isinstance(info.value, BlockNotFound)
