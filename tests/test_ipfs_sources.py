"""Block sources against a real IPFS node (js-ipfs 0.66.1, Kubo RPC API), never a mock."""

from __future__ import annotations

import base64
import hashlib
import io
import time
from pathlib import Path

import pytest

from autocodec import CID, BlockNotFound, HashMismatch, SourceUnavailable
from autocodec.config import FetchLimits
from autocodec.sources import Fetcher, GatewaySource, NodeSource
from autocodec.store import BlockStore

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

FAST = FetchLimits(timeout_s=2.0, retries=1, backoff_s=0.05)


def _git_blob(text: bytes) -> tuple[CID, bytes]:
    block = b"blob %d\x00" % len(text) + text
    return CID.build(0x78, b"\x11\x14" + hashlib.sha1(block).digest()), block


def _raw(data: bytes) -> tuple[CID, bytes]:
    return CID.build(0x55, b"\x12\x20" + hashlib.sha256(data).digest()), data


def test_node_refuses_block_put_with_a_hash_it_lacks(ipfs_node) -> None:
    """The measured gap autocodec closes: block/put cannot store sha1 (git) blocks."""
    from ipfshttpclient import exceptions, multipart

    client = NodeSource(ipfs_node.api_url)._http()
    body, headers = multipart.stream_files(io.BytesIO(b"blob 2\x00hi"), chunk_size=1024)
    with pytest.raises(exceptions.ErrorResponse, match="sha1"):
        client.request("/block/put", opts={"cid-codec": "git-raw", "mhtype": "sha1"}, data=body, headers=headers, decoder="json")


def test_dag_import_stores_unknown_codec_blocks_and_block_get_serves_them(ipfs_node) -> None:
    node = NodeSource(ipfs_node.api_url, limits=FAST)
    cid, block = _git_blob(b"hello from git\n")
    assert node.put_blocks([(cid, block)]) == 1
    assert node.get(cid) == block


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


def _block_file(repo: Path, cid: CID) -> Path:
    key = base64.b32encode(cid.multihash).decode().rstrip("=")
    matches = list((repo / "blocks").glob(f"*/{key}.data"))
    assert matches, f"no block file for {cid}"
    return matches[0]


def test_node_serving_bytes_that_do_not_match_the_cid_is_detected(ipfs_node) -> None:
    cid, data = _raw(b"to be corrupted on the node's disk %f" % time.time())
    node = NodeSource(ipfs_node.api_url, limits=FAST)
    node.put_blocks([(cid, data)])
    path = _block_file(ipfs_node.repo, cid)
    path.write_bytes(b"X" + data[1:])  # corrupt the node's own flatfs file
    with pytest.raises(HashMismatch, match="node:"):
        Fetcher(None, [node]).get(cid)


def test_stopped_node_gives_a_clear_error_quickly(tmp_path) -> None:
    from tests import _ipfs_node

    if not _ipfs_node.available():
        pytest.skip("js-ipfs not installed")
    node = _ipfs_node.new_node(tmp_path).start()
    source = NodeSource(node.api_url, limits=FAST)
    cid, data = _raw(b"before the stop %f" % time.time())
    source.put_blocks([(cid, data)])
    node.stop()
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="cannot reach"):
        source.get(cid)
    assert time.monotonic() - started < 10
