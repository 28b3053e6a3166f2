"""Fetches end in bounded time with a clear, typed error, whatever the peer does (issue 16 item 2).

The peers are small loopback servers of our own (``tests/_http_peers.py``): a gateway that
trickles one byte every few seconds (in the body or already in the headers), one that never
answers, one that answers like a deserializing (non-trustless) gateway, one that serves wrong
bytes. No IPFS node is needed; the Kubo tests are in ``test_ipfs_kubo.py``.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.config import FetchLimits
from autocodec.errors import (BlockNotFound, FetchTimeout, FetchTooLarge, HashMismatch, InvalidCar, NotTrustless,
                              SourceUnavailable)
from autocodec.sources import CarSource, Fetcher, GatewaySource, NodeSource
from tests._cli import run_cli
from tests._http_peers import Peer, answer, trickle

pytestmark = pytest.mark.slow  # loopback servers (threads); each test still ends within a few seconds

DATA = b"a block the peers will not serve honestly"
CID_RAW = CID.build(0x55, b"\x12\x20" + hashlib.sha256(DATA).digest())
SHORT = FetchLimits(timeout_s=10.0, retries=2, backoff_s=0.05, deadline_s=2.0)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_gateway_trickling_one_byte_every_5s_ends_at_the_deadline(in_headers: bool) -> None:
    with Peer(trickle(5.0, in_headers=in_headers)) as peer:
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match="within 2 s"):
            GatewaySource(peer.url, limits=SHORT).get(CID_RAW)
        took = time.monotonic() - started
    assert 1.9 <= took < 3.0, took


def test_gateway_trickling_fast_bytes_is_still_cut_at_the_deadline() -> None:
    """Bytes every 50 ms never trip the per-read timeout; only the whole-operation deadline stops them."""
    with Peer(trickle(0.05)) as peer:
        started = time.monotonic()
        with pytest.raises(FetchTimeout):
            GatewaySource(peer.url, limits=SHORT).get(CID_RAW)
    assert time.monotonic() - started < 3.0


def test_silent_gateway_is_retried_within_the_same_deadline() -> None:
    def silent(_request: str, _send: object, stopped: object) -> None:
        stopped.wait(30)  # type: ignore[attr-defined]

    limits = FetchLimits(timeout_s=0.5, retries=5, backoff_s=0.05, deadline_s=1.5)
    with Peer(silent) as peer:
        started = time.monotonic()
        with pytest.raises(FetchTimeout):
            GatewaySource(peer.url, limits=limits).get(CID_RAW)
        took = time.monotonic() - started
        assert len(peer.requests) >= 2  # retried after a silent read, never past the deadline
    assert took < 2.5, took


def test_gateway_asks_as_the_trustless_spec_says() -> None:
    with Peer(answer("200 OK", "application/vnd.ipld.raw", DATA)) as peer:
        assert Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW) == DATA
        (request,) = peer.requests
    line, *headers = request.split("\r\n")
    assert line == f"GET /ipfs/{CID_RAW}?format=raw HTTP/1.1"
    assert "accept: application/vnd.ipld.raw" in [h.lower() for h in headers]


@pytest.mark.parametrize("status,ctype", [("200 OK", "application/json"), ("200 OK", "text/html; charset=utf-8"),
                                          ("406 Not Acceptable", "text/plain")])
def test_non_trustless_gateway_is_named_as_such_not_a_hash_mismatch(status: str, ctype: str) -> None:
    with Peer(answer(status, ctype, b'{"hello": "deserialized"}')) as peer:
        with pytest.raises(NotTrustless, match="is not a trustless gateway") as info:
            Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)
    assert "mismatch" not in info.value.one_line().lower()


def test_trustless_content_type_with_wrong_bytes_is_a_mismatch_naming_the_gateway() -> None:
    with Peer(answer("200 OK", "application/vnd.ipld.raw", b"X" + DATA[1:])) as peer:
        with pytest.raises(HashMismatch, match=f"gateway:{peer.url}"):
            Fetcher(None, [GatewaySource(peer.url, limits=SHORT)]).get(CID_RAW)


def test_declared_oversize_answer_is_refused_before_reading() -> None:
    def huge(_request: str, send: object, stopped: object) -> None:
        send(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.raw\r\nContent-Length: 999999999\r\n\r\nxx")  # type: ignore[operator]
        stopped.wait(30)  # type: ignore[attr-defined]

    with Peer(huge) as peer:
        started = time.monotonic()
        with pytest.raises(FetchTooLarge, match="999999999"):
            GatewaySource(peer.url, limits=SHORT).get(CID_RAW)
    assert time.monotonic() - started < 1.0


def test_undeclared_oversize_answer_is_cut_at_the_cap() -> None:
    limits = FetchLimits(timeout_s=2.0, retries=0, deadline_s=5.0, max_block_bytes=1000)
    with Peer(answer("200 OK", "application/vnd.ipld.raw", b"y" * 5000)) as peer:
        with pytest.raises(FetchTooLarge, match="1000-byte"):
            GatewaySource(peer.url, limits=limits).get(CID_RAW)


def test_gateway_404_is_not_found() -> None:
    with Peer(answer("404 Not Found", "text/plain", b"no such block")) as peer:
        with pytest.raises(BlockNotFound, match="HTTP 404"):
            GatewaySource(peer.url, limits=SHORT).get(CID_RAW)


def test_unreachable_node_is_one_short_line_quickly() -> None:
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        Fetcher(None, [NodeSource(f"/ip4/127.0.0.1/tcp/{port}", limits=SHORT)]).get(CID_RAW)
    assert time.monotonic() - started < 2.0
    line = info.value.one_line()
    assert "connection refused" in line and "\n" not in line and len(line) < 300, line


def test_trickling_node_rpc_ends_at_the_deadline() -> None:
    with Peer(trickle(5.0)) as peer:
        started = time.monotonic()
        with pytest.raises(FetchTimeout):
            NodeSource(peer.url, limits=SHORT).get(CID_RAW)
        assert peer.requests[0].startswith("POST /api/v0/block/get?arg=")
    assert time.monotonic() - started < 3.0


def test_node_rpc_error_message_is_kubos_message() -> None:
    body = b'{"Message":"block was not found locally (offline): ipld: could not find x","Code":0,"Type":"error"}'
    with Peer(answer("500 Internal Server Error", "application/json", body)) as peer:
        with pytest.raises(BlockNotFound, match="not found locally") as info:
            Fetcher(None, [NodeSource(peer.url, limits=SHORT)]).get(CID_RAW)
    assert "in none of the sources" in info.value.message and "local store" in info.value.message


def test_car_source_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "bundle.car"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InvalidCar, match="not a regular file"):
        CarSource(fifo).get(CID_RAW)
    assert time.monotonic() - started < 1.0


def test_cli_decode_from_a_trickling_gateway_ends_within_the_stated_bound(tmp_path: Path) -> None:
    """The CLI with default limits: ``FetchLimits.deadline_s`` (30 s) bounds the whole fetch."""
    bound = FetchLimits().deadline_s
    with Peer(trickle(5.0)) as peer:
        started = time.monotonic()
        proc = run_cli(tmp_path / "home", "decode", str(CID_RAW), "--gateway", peer.url, check=False,
                       timeout=bound + 30)
        took = time.monotonic() - started
    err = proc.stderr.decode().strip()
    assert proc.returncode != 0 and took < bound + 5, (took, err)
    assert len(err.splitlines()) <= 2 and f"within {bound:g} s" in err, err
    print(f"\ndecode --gateway against a 1-byte-per-5-s gateway: {took:.1f} s (bound {bound:g} s): {err}")


def test_cli_says_a_deserializing_gateway_is_not_trustless(tmp_path: Path) -> None:
    """A gateway that ignores ``?format=raw`` (as js-ipfs 0.66 did) and sends JSON: said plainly, one line."""
    with Peer(answer("200 OK", "application/json", b'{"decoded": "by the gateway"}')) as peer:
        proc = run_cli(tmp_path / "home", "decode", str(CID_RAW), "--gateway", peer.url, check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode != 0 and len(err.splitlines()) == 1, err
    assert "NotTrustless" in err and "is not a trustless gateway" in err and "application/json" in err, err
    assert "mismatch" not in err.lower(), err


def test_operation_deadline_bounds_every_fetch_inside_and_never_extends_an_outer_one() -> None:
    from autocodec.sources import operation_deadline

    long = FetchLimits(timeout_s=10.0, retries=2, backoff_s=0.05, deadline_s=30.0)
    with Peer(trickle(5.0)) as peer:
        started = time.monotonic()
        with operation_deadline(1.0):
            with pytest.raises(FetchTimeout):
                GatewaySource(peer.url, limits=long).get(CID_RAW)
            with operation_deadline(60.0):  # inner: cannot extend the outer second
                with pytest.raises(FetchTimeout):
                    GatewaySource(peer.url, limits=long).get(CID_RAW)
        assert time.monotonic() - started < 2.0


def test_pin_add_from_a_trickling_gateway_ends_within_the_operation_deadline(tmp_path: Path) -> None:
    """One bound for all the fetches of a set operation (FetchLimits.operation_deadline_s)."""
    from dataclasses import replace

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import AutocodecError
    from autocodec.registry import Runtime, pin_add

    limits = replace(DEFAULT_LIMITS, fetch=FetchLimits(timeout_s=10.0, deadline_s=30.0, operation_deadline_s=2.0))
    index = CID.build(0x71, CID_RAW.multihash)  # a set's index is DAG-CBOR (a raw CID is refused before any fetch)
    with Peer(trickle(5.0)) as peer, Runtime(tmp_path / "home", limits=limits, default_set=False) as rt:
        started = time.monotonic()
        with pytest.raises(AutocodecError) as info:
            pin_add(rt, str(index), gateway=peer.url)
        took = time.monotonic() - started
    assert took < 4.0, took
    # the gateway's own failure is what the user reads, not "no node or gateway is configured"
    assert isinstance(info.value, FetchTimeout), repr(info.value)
    assert "no node or gateway" not in str(info.value), str(info.value)


@pytest.mark.parametrize("addr", ["foo", "/ip4/127.0.0.1/tcp/99999", "http://localhost", "/unix/x", "/ip4/1.2.3.4",
                                  "http://[::1", "http://x:99999", "/ip4/127.0.0.1/tcp/" + "9" * 5000,
                                  "/dns/a b/tcp/5001", "\x1b[31m/ip4/1.2.3.4/tcp/1"])
def test_malformed_node_addresses_are_config_errors(addr: str) -> None:
    from autocodec.errors import ConfigError

    with pytest.raises(ConfigError, match="not a node address"):
        NodeSource(addr)


@pytest.mark.parametrize("url", ["ftp://x", "http://[::1", "http://x:99999", "http://", "x" * 10, "http://a/?q=1",
                                 "http://h\x1b[2J"])
def test_malformed_gateway_urls_are_config_errors(url: str) -> None:
    from autocodec.errors import ConfigError

    with pytest.raises(ConfigError, match="not a gateway URL"):
        GatewaySource(url)


def test_cli_fetch_bounds_come_from_config_toml(tmp_path: Path) -> None:
    """``[limits.fetch]`` in the home's config.toml sets the bound the CLI's fetch keeps."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[limits.fetch]\ndeadline_s = 2\ntimeout_s = 10\n")
    with Peer(trickle(5.0)) as peer:
        proc = run_cli(home, "decode", str(CID_RAW), "--gateway", peer.url, check=False, timeout=60)
    err = proc.stderr.decode().strip()
    assert proc.returncode != 0 and "within 2 s" in err, err
