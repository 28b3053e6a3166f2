"""Block sources against a real Kubo daemon (v0.43.1, offline on loopback; ``tests/_kubo.py``), never a mock.

A stopped node and a node serving wrong bytes (its own flatfs file corrupted on disk) give
bounded, clear errors through the RPC API and through Kubo's trustless gateway alike.
"""

from __future__ import annotations

import hashlib
import time
import pytest

from autocodec import CID, BlockNotFound, HashMismatch, SourceUnavailable
from autocodec.config import FetchLimits
from autocodec.sources import Fetcher, GatewaySource, NodeSource
from autocodec.store import BlockStore
from tests._cli import run_cli
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

FAST = FetchLimits(timeout_s=2.0, retries=1, backoff_s=0.05)


def _git_blob(text: bytes) -> tuple[CID, bytes]:
    block = b"blob %d\x00" % len(text) + text
    return CID.build(0x78, b"\x11\x14" + hashlib.sha1(block).digest()), block


def _raw(data: bytes) -> tuple[CID, bytes]:
    return CID.build(0x55, b"\x12\x20" + hashlib.sha256(data).digest()), data


def test_block_put_stores_unknown_codec_blocks_and_block_get_serves_them(ipfs_node) -> None:
    node = NodeSource(ipfs_node.api_url, limits=FAST)
    cid, block = _git_blob(b"hello from git\n")
    assert node.put_blocks([(cid, block)]) == 1
    assert node.get(cid) == block


def test_blocks_kubo_cannot_decode_are_put_and_pinned(ipfs_node) -> None:
    """Kubo's pin/add decodes even for a direct pin; put_blocks pins such blocks through block/put."""
    node = NodeSource(ipfs_node.api_url, limits=FAST)
    data = b"private-use codec %f" % time.time()
    private = CID.build(0x3AC0DE, b"\x12\x20" + hashlib.sha256(data).digest())
    git_cid, git_block = _git_blob(b"pinned git blob %f" % time.time())
    assert node.put_blocks([(private, data), (git_cid, git_block)], pin_root=private) == 2
    pins = node.pins()
    assert private in pins and git_cid not in pins
    assert node.get(private) == data and node.get(git_cid) == git_block
    node.put_blocks([(git_cid, git_block)], pin_all=True)
    assert git_cid in node.pins()


def test_fetcher_caches_verified_block_from_node_in_store(ipfs_node, home) -> None:
    node = NodeSource(ipfs_node.api_multiaddr, limits=FAST)
    cid, block = _raw(b"cache me %f" % time.time())
    node.put_blocks([(cid, block)])
    with BlockStore.open(home) as store:
        assert not store.has(cid)
        assert Fetcher(store, [node]).get(cid) == block
        assert store.get(cid) == block


def test_missing_block_is_not_found_in_bounded_time(ipfs_node) -> None:
    node = NodeSource(ipfs_node.api_url, limits=FetchLimits(timeout_s=1.0, retries=0))
    cid, _ = _raw(b"never stored anywhere %f" % time.time())
    started = time.monotonic()
    with pytest.raises(BlockNotFound):
        Fetcher(None, [node]).get(cid)
    assert time.monotonic() - started < 10


def test_gateway_serves_raw_block_verified(ipfs_node) -> None:
    cid, data = _raw(b"gateway block %f" % time.time())
    NodeSource(ipfs_node.api_url, limits=FAST).put_blocks([(cid, data)])
    assert Fetcher(None, [GatewaySource(ipfs_node.gateway_url, limits=FAST)]).get(cid) == data


def test_node_serving_bytes_that_do_not_match_the_cid_is_detected(ipfs_node) -> None:
    cid, data = _raw(b"to be corrupted on the node's disk %f" % time.time())
    node = NodeSource(ipfs_node.api_url, limits=FAST)
    node.put_blocks([(cid, data)])
    path = ipfs_node.block_file(cid.multihash)
    path.write_bytes(b"X" + data[1:])  # corrupt the node's own flatfs file
    with pytest.raises(HashMismatch, match="node:"):
        Fetcher(None, [node]).get(cid)
    # Kubo's gateway serves the same bad bytes (as a raw block, the trustless way): a mismatch, named
    with pytest.raises(HashMismatch, match="gateway:") as info:
        Fetcher(None, [GatewaySource(ipfs_node.gateway_url, limits=FAST)]).get(cid)
    assert "trustless" not in info.value.message


def test_cli_names_the_lying_node_in_one_line(ipfs_node, tmp_path) -> None:
    cid, data = _raw(b"corrupted for the CLI %f" % time.time())
    NodeSource(ipfs_node.api_url, limits=FAST).put_blocks([(cid, data)])
    ipfs_node.block_file(cid.multihash).write_bytes(data[::-1])
    for source in (["--node", ipfs_node.api_multiaddr], ["--gateway", ipfs_node.gateway_url]):
        proc = run_cli(tmp_path / "home", "decode", str(cid), *source, check=False)
        err = proc.stderr.decode().strip()
        assert proc.returncode != 0 and len(err.splitlines()) == 1, err
        assert "do not match" in err and source[0][2:] + ":" in err, err


def test_stopped_node_gives_a_clear_error_quickly(tmp_path) -> None:
    require_kubo()
    with KuboRepo.create(tmp_path / "kubo").start() as node:
        source = NodeSource(node.api_url, limits=FAST)
        gateway = GatewaySource(node.gateway_url, limits=FAST)
        cid, data = _raw(b"before the stop %f" % time.time())
        source.put_blocks([(cid, data)])
        assert gateway.get(cid) == data
    for fetch in (source.get, gateway.get):
        started = time.monotonic()
        with pytest.raises(SourceUnavailable, match="connection refused"):
            fetch(cid)
        assert time.monotonic() - started < 2
    # following a set over IPNS (pin add/update) through the stopped node: the same
    from dataclasses import replace

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.registry._pins import resolve_ipns

    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="connection refused"):
        resolve_ipns(node.api_multiaddr, "/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
                     replace(DEFAULT_LIMITS, fetch=FAST))
    assert time.monotonic() - started < 2
    # the CLI with default limits: one short line, quickly
    started = time.monotonic()
    proc = run_cli(tmp_path / "home", "decode", str(cid), "--node", node.api_multiaddr, check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode != 0 and time.monotonic() - started < 5
    assert len(err.splitlines()) == 1 and len(err) < 300 and "connection refused" in err, err


def test_dag_export_as_car_from_node_rpc_and_trustless_gateway(ipfs_node, tmp_path) -> None:
    """``?format=car`` (application/vnd.ipld.car) and ``dag/export``: the same verified blocks."""
    import io

    from autocodec.builtin import verify_cid
    from autocodec.store import CarReader

    (tmp_path / "d").mkdir()
    for i in range(3):
        (tmp_path / "d" / f"f{i}").write_bytes(b"file %d %f\n" % (i, time.time()))
    root = CID.parse(ipfs_node.ipfs("add", "-Q", "-r", tmp_path / "d").stdout.decode().strip())
    cars = [NodeSource(ipfs_node.api_url, limits=FAST).export_dag(root),
            GatewaySource(ipfs_node.gateway_url, limits=FAST).export_dag(root)]
    seen = []
    for car in cars:
        reader = CarReader(io.BytesIO(car))
        assert reader.roots == [root]
        blocks = dict(reader)
        for cid, data in blocks.items():
            verify_cid(cid, data)
        seen.append(set(blocks))
    assert seen[0] == seen[1] and root in seen[0] and len(seen[0]) == 4


def test_a_frozen_node_killed_mid_fetch_ends_every_fetch_typed_within_the_deadline(tmp_path) -> None:
    """A hung Kubo (SIGSTOP: connections accepted by the kernel, never answered) holds at most
    ``max_concurrent`` fetches, each bounded by the deadline; killed while they wait, each ends
    at once in a typed error (the connection dropped, then refused on retry), never a hang."""
    import os
    import signal
    import threading

    from autocodec.errors import AutocodecError, FetchBusy

    require_kubo()
    limits = FetchLimits(timeout_s=20.0, retries=2, backoff_s=0.05, deadline_s=20.0)
    with KuboRepo.create(tmp_path / "kubo").start() as node:
        cid, data = _raw(b"held by a node that hangs %f" % time.time())
        NodeSource(node.api_url, limits=FAST).put_blocks([(cid, data)])
        assert node.process is not None
        fetcher = Fetcher(None, [NodeSource(node.api_url, limits=limits), GatewaySource(node.gateway_url, limits=limits)],
                          max_concurrent=2)
        os.kill(node.process.pid, signal.SIGSTOP)  # the daemon's own pid, started by this test
        outcomes: list[BaseException] = []

        def fetch() -> None:
            try:
                fetcher.get(cid)
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertions
                outcomes.append(exc)

        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # the two admitted fetches wait on the frozen node; the others were refused
        assert sum(isinstance(e, FetchBusy) for e in outcomes) == 4
        killed = time.monotonic()
        os.kill(node.process.pid, signal.SIGKILL)
        for t in threads:
            t.join(limits.deadline_s + 5)
        ended = time.monotonic() - killed
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == 6 and all(isinstance(e, AutocodecError) for e in outcomes), outcomes
    dropped = [e for e in outcomes if not isinstance(e, FetchBusy)]
    assert all(isinstance(e, SourceUnavailable) and "connection refused" in e.message for e in dropped), dropped
    assert ended < limits.deadline_s / 2, ended  # not left to the deadline: the drop is noticed at once
