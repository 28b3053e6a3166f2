"""autocodec with the IPFS network its users run: a real Kubo daemon (v0.43.1, ``tests/_kubo.py``), never a mock.

- git-raw and eth-block blocks put on the node are decoded by a fresh home that has only --node;
- a set published to the node (--to-node) is pinned from a second fresh home through the node,
  its modules fetched from the node, and followed to v2 through IPNS.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.sources import NodeSource
from tests._cli import run_cli
from tests._git_corpus import one_commit

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

REPO = Path(__file__).resolve().parents[1]
ETH = REPO / "fixtures" / "eth"
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


def _git_commit_block(tmp: Path) -> tuple[CID, bytes]:
    return one_commit(tmp / "repo", "from the node", {"README": "over IPFS\n"}, name="Ada", email="ada@example.org",
                      date="1700000000 +0100")


def _eth_block(name: str) -> tuple[CID, bytes, dict]:
    from Crypto.Hash import keccak  # reference keccak-256 (test dependency)

    data = (ETH / name).read_bytes()
    info = next(h for h in json.loads((ETH / "headers.json").read_text()) if h["file"] == name)
    digest = keccak.new(data=data, digest_bits=256).digest()
    return CID.build(0x90, b"\x1b\x20" + digest), data, info


def _publish_git_raw_set(publisher: Path, set_name: str, key: str, node: str) -> tuple[str, str]:
    """A set listing the git-raw module, published to the node (blocks pinned, IPNS pointed at
    it by the node's key); returns (index CID, /ipns/ name)."""
    run_cli(publisher, "key", "gen", key)
    manifest = run_cli(publisher, "publish", str(GIT_RAW), "--key", key).stdout.decode().strip()
    run_cli(publisher, "set", "init", set_name, "--key", key)
    run_cli(publisher, "set", "add", set_name, manifest)
    published = run_cli(publisher, "set", "publish", set_name, "--to-node", node)
    return published.stdout.decode().strip(), published.stderr.decode().split("IPNS ")[1].split()[0]


def test_fresh_home_with_only_node_decodes_git_and_eth_blocks(ipfs_node, tmp_path: Path) -> None:
    git_cid, git_block = _git_commit_block(tmp_path)
    eth_cid, eth_block, _info = _eth_block("mainnet-17034870-shanghai.rlp")
    NodeSource(ipfs_node.api_url).put_blocks([(git_cid, git_block), (eth_cid, eth_block)])

    home = tmp_path / "fresh"
    git = json.loads(run_cli(home, "decode", str(git_cid), "--node", ipfs_node.api_multiaddr).stdout.decode())
    assert git["message"] == "from the node\n"
    assert git["author"]["name"] == "Ada" and git["author"]["timezone"] == "+0100"
    assert "/" in git["tree"]
    eth = json.loads(run_cli(home, "decode", str(eth_cid), "--node", ipfs_node.api_multiaddr).stdout.decode())
    # go-codec-dageth's data model: Number is a BigInt, minimal big-endian Bytes (0x0103ee76)
    assert eth["Number"] == {"/": {"bytes": "AQPudg"}}
    # both blocks were verified (sha1, keccak-256 extension) and cached: the node is no longer needed
    assert json.loads(run_cli(home, "decode", str(eth_cid)).stdout.decode()) == eth


def test_publish_set_to_node_pin_it_from_a_second_home_and_follow_ipns(ipfs_node, tmp_path: Path) -> None:
    from autocodec.registry import Runtime, pin_add, pin_update
    from tests._wasm_tools import with_meta

    node = ipfs_node.api_multiaddr
    publisher = tmp_path / "publisher"
    index_cid, ipns = _publish_git_raw_set(publisher, "overipfs", "bob", node)
    assert ipns.startswith("/ipns/")
    pins = NodeSource(node).pins()
    assert CID.parse(index_cid) in pins and len(pins) >= 3  # the index, and every block of the set itself

    git_cid, git_block = _git_commit_block(tmp_path)
    NodeSource(node).put_blocks([(git_cid, git_block)])

    # A second, fresh home with no default set: everything (set, manifest, module) comes from the node.
    with Runtime(tmp_path / "second", node=node, default_set=False) as rt:
        result = pin_add(rt, ipns, node=node)
        assert result.name == "overipfs" and result.version == 1 and str(result.index_cid) == index_cid
        started = time.perf_counter()
        cold = rt.decode(git_cid)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        warm = rt.decode(git_cid)
        warm_s = time.perf_counter() - started
        assert cold == warm and cold["message"] == "from the node\n"
        print(f"\ngit object from the node: cold decode {cold_s * 1e3:.1f} ms (block + module verified, compiled), "
              f"warm {warm_s * 1e6:.0f} us")

        # v2 published to the node moves the IPNS name; `pin update` follows it.
        v2 = tmp_path / "git-raw-v2.wasm"
        v2.write_bytes(with_meta(GIT_RAW.read_bytes(), version="9.0.0"))
        manifest2 = run_cli(publisher, "publish", str(v2), "--key", "bob", "--vectors", str(GIT_RAW.parent)).stdout.decode().strip()
        run_cli(publisher, "set", "add", "overipfs", manifest2)
        run_cli(publisher, "set", "publish", "overipfs", "--to-node", node)
        (updated,) = pin_update(rt)
        assert not isinstance(updated, Exception), updated
        assert updated.changed and updated.version == 2
        assert rt.resolve("codec", "git-raw").version == "9.0.0"


def test_pin_a_set_by_ipns_through_kubos_gateway_alone_records_verified_here(ipfs_node, tmp_path: Path) -> None:
    """No node for the second home: the set's IPNS record comes from Kubo's gateway
    (``?format=ipns-record``) and is verified here, its blocks come as raw blocks."""
    from autocodec.errors import RollbackError
    from autocodec.registry import Runtime, pin_add, pin_update
    from autocodec.verify._ipns import IpnsName
    from tests._wasm_tools import with_meta

    node, gateway = ipfs_node.api_multiaddr, ipfs_node.gateway_url
    publisher = tmp_path / "publisher"
    _index, ipns = _publish_git_raw_set(publisher, "bygateway", "carol", node)
    name = IpnsName.parse(ipns)

    with Runtime(tmp_path / "second", default_set=False) as rt:
        result = pin_add(rt, ipns, gateway=gateway)
        assert result.version == 1 and result.location.kind == "ipns-gateway"
        assert result.location.describe() == f"ipns:{ipns} via {gateway}"
        first = rt.pins.names.kept(name)
        assert first is not None
        own = json.loads((GIT_RAW.parent / "module.json").read_text())["version"]
        assert rt.resolve("codec", "git-raw").version == own  # the module's own version

        v2 = tmp_path / "git-raw-v2.wasm"
        v2.write_bytes(with_meta(GIT_RAW.read_bytes(), version="9.0.0"))
        manifest2 = run_cli(publisher, "publish", str(v2), "--key", "carol", "--vectors",
                            str(GIT_RAW.parent)).stdout.decode().strip()
        run_cli(publisher, "set", "add", "bygateway", manifest2)
        run_cli(publisher, "set", "publish", "bygateway", "--to-node", node)
        (updated,) = [r for r in pin_update(rt) if getattr(r, "name", None) == "bygateway"]
        assert not isinstance(updated, Exception), updated
        assert updated.changed and updated.version == 2
        assert rt.resolve("codec", "git-raw").version == "9.0.0"
        second = rt.pins.names.kept(name)
        assert second is not None and second.sequence() == first.sequence() + 1

        # the v1 record, validly signed, offered again (a gateway replaying it): refused
        with pytest.raises(RollbackError, match="an old record replayed"):
            rt.pins.names.accept(name, first.raw)
        assert rt.pins.names.kept(name) == second
