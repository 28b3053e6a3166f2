"""A module bigger than a block travels between two IPFS nodes as a UnixFS file DAG.

Measured with these two Kubo 0.43.1 nodes: ``block put`` refuses a block over 2 MiB without
``--allow-big-block`` ("big blocks can't be exchanged with other peers"); bitswap moves a 3.99
MiB block but not a 4 MiB one ("context deadline exceeded"). A module was one raw block, so
``publish`` refused anything over 4 MiB ("a published module travels as one block"; this test
failed there on the old code), and a 3 MiB one moved only because autocodec put it with
``--allow-big-block``. Published as a UnixFS file DAG (Kubo's ``ipfs add --cid-version=1``
layout, ``autocodec/verify/_moduledag.py``) a 5 MiB module reaches the user's node. Real Kubo nodes, peered on loopback
(``tests/_kubo.py``: ``peered_pair``), as in ``tests/test_two_nodes.py``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests._big_module import GIT_BLOB, GIT_RAW, big_module
from tests._cli import run_cli
from tests._kubo import peered_pair, require_kubo

pytestmark = pytest.mark.ipfs


@pytest.mark.slow
def test_a_5_mib_module_published_on_one_node_is_used_from_another(tmp_path: Path) -> None:
    require_kubo()
    pub_node, user_node = peered_pair(tmp_path / "kubo")
    try:
        publisher, user = tmp_path / "publisher", tmp_path / "user"
        to_node, node = pub_node.api_multiaddr, user_node.api_multiaddr
        module = big_module(tmp_path / "mod")
        run_cli(publisher, "key", "gen", "ann")
        manifest = run_cli(publisher, "publish", str(module), "--key", "ann", "--vectors", str(GIT_RAW.parent),
                           "--to-node", to_node).stdout.decode().strip()
        run_cli(publisher, "set", "init", "big", "--key", "ann")
        run_cli(publisher, "set", "add", "big", manifest)
        v1 = run_cli(publisher, "set", "publish", "big", "--to-node", to_node).stdout.decode().strip()
        blob = pub_node.ipfs("block", "put", "--cid-codec", "git-raw", "--mhtype", "sha1",
                             input=GIT_BLOB).stdout.decode().strip()

        run_cli(user, "init", "--no-default-set")
        pinned = run_cli(user, "pin", "add", v1, "--node", node, check=False)
        assert pinned.returncode == 0, pinned.stderr.decode()
        assert pinned.stdout.decode().startswith(f"pinned big v1 {v1} (1 module) from "), pinned.stdout
        decoded = json.loads(run_cli(user, "decode", blob, "--node", node).stdout)
        assert decoded == {"/": {"bytes": base64.b64encode(GIT_BLOB).decode().rstrip("=")}}
        # the module's CID is what `ipfs add --cid-version=1` gives for the same file
        added = pub_node.ipfs("add", "--cid-version=1", "--quiet", "--only-hash", str(module)).stdout.decode().strip()
        resolved = json.loads(run_cli(user, "resolve", "codec", "git-raw", "--json").stdout)
        assert resolved["module"] == {"/": added}, resolved
        inspected = json.loads(run_cli(publisher, "module", "inspect", str(module), "--json").stdout)
        assert inspected["cid"] == added, inspected
        assert user_node.ipfs("cat", added).stdout == module.read_bytes()  # on the user's node, whole
    finally:
        pub_node.stop()
        user_node.stop()
