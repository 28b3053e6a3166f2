"""IPFS as the distributed layer: a publisher's Kubo node and a user's Kubo node, peered on
loopback (``tests/_kubo.py``: ``peered_pair``; a LAN DHT carries IPNS records, bitswap blocks).

The publisher's autocodec home talks only to the publisher's node (``--to-node``), the user's
only to the user's node (``--node``); nothing is copied between them but a set CID and an IPNS
name. The story: publish a module in a set, pin it by CID and by ``/ipns/NAME``, decode a block
only the publisher's node holds, run ``serve`` with live refresh and watch an upgrade and a
withdrawal arrive, refuse a rollback, and get a typed error in time when the publisher's node
is gone.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests._kubo import KuboRepo, peered_pair, require_kubo
from tests._serve_proc import ServeProcess
from tests._wasm_tools import with_meta

pytestmark = pytest.mark.ipfs

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"
BENCODE = REPO / "wasm-src" / "bencode" / "bencode.wasm"
GIT_BLOB = b"blob 6\x00hello\n"  # `git hash-object` of "hello\n"
EARLY_BLOCK = b"d5:early3:yese"  # bencode
LATE_BLOCK = b"d4:late4:truee"  # bencode, put on the publisher's node, never fetched before it stops
DEADLINE_S = 30.0  # FetchLimits.deadline_s, one block from one source
REFRESH_S = 1.0


def _get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_for(what: str, predicate, timeout: float, context=lambda: "") -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s\n{context()}")


def _put(node: KuboRepo, block: bytes, codec: str, hasher: str) -> str:
    return node.ipfs("block", "put", "--cid-codec", codec, "--mhtype", hasher, input=block).stdout.decode().strip()


def _start_cli(home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "autocodec", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _publish(publisher: Path, set_name: str, node: str) -> tuple[str, str]:
    """``set publish --to-node``: the new version's CID and the IPNS name it said it moved."""
    done = run_cli(publisher, "set", "publish", set_name, "--to-node", node)
    return done.stdout.decode().strip(), done.stderr.decode().split("IPNS /ipns/")[1].split()[0]


@pytest.mark.slow
def test_a_set_published_on_one_node_is_followed_from_another(tmp_path: Path) -> None:
    require_kubo()
    pub_node, user_node = peered_pair(tmp_path / "kubo")
    try:
        _story(tmp_path, pub_node, user_node)
    finally:
        pub_node.stop()
        user_node.stop()


def _story(tmp_path: Path, pub_node: KuboRepo, user_node: KuboRepo) -> None:
    publisher, user = tmp_path / "publisher", tmp_path / "user"
    to_node, node = pub_node.api_multiaddr, user_node.api_multiaddr

    # The publisher: a key, git-raw and bencode with signed manifests, a set, all put on ITS node.
    run_cli(publisher, "key", "gen", "ann")
    manifest = run_cli(publisher, "publish", str(GIT_RAW), "--key", "ann", "--to-node", to_node).stdout.decode().strip()
    run_cli(publisher, "set", "init", "anns", "--key", "ann")
    run_cli(publisher, "set", "add", "anns", manifest)
    bencode = run_cli(publisher, "publish", str(BENCODE), "--key", "ann").stdout.decode().strip()
    run_cli(publisher, "set", "add", "anns", bencode)  # the set still lists something once git-raw is withdrawn
    v1, name = _publish(publisher, "anns", to_node)
    blob = _put(pub_node, GIT_BLOB, "git-raw", "sha1")
    early = _put(pub_node, EARLY_BLOCK, "bencode", "sha2-256")

    # The user's node holds none of it: every block below comes from the publisher's node by bitswap.
    for cid in (v1, blob, early):
        assert user_node.ipfs("block", "stat", "--offline", cid, check=False).returncode != 0
    run_cli(user, "init", "--no-default-set")  # git-raw and bencode can only come from the followed set
    by_cid = run_cli(user, "pin", "add", v1, "--node", node).stdout.decode()
    assert by_cid.startswith(f"pinned anns v1 {v1} (2 modules) from "), by_cid
    run_cli(user, "pin", "rm", "anns")
    by_name = run_cli(user, "pin", "add", f"/ipns/{name}", "--node", node).stdout.decode()
    assert f"anns v1 {v1} (2 modules) from ipns:/ipns/{name} via " in by_name, by_name
    decoded = json.loads(run_cli(user, "decode", blob, "--node", node).stdout)
    assert decoded == {"/": {"bytes": base64.b64encode(GIT_BLOB).decode().rstrip("=")}}  # go-ipld-git's blob
    assert json.loads(run_cli(user, "decode", early, "--node", node).stdout) == {"early": {"/": {"bytes": "eWVz"}}}
    assert json.loads(run_cli(user, "resolve", "codec", "git-raw", "--json").stdout)["set_name"] == "anns"

    with ServeProcess(user, tmp_path, "--node", node, "--refresh-interval", str(REFRESH_S)) as server:
        log = lambda: server.log_path.read_text()[-3000:]  # noqa: E731
        version = lambda: json.loads(_get(f"{server.url}/resolve/codec/git-raw")[1]).get("version")  # noqa: E731
        assert _get(f"{server.url}/decode/{blob}")[0] == 200
        first_version = version()
        assert first_version != "9.0.0"

        # An upgrade, put on the publisher's node only, reaches the running server.
        v2_module = tmp_path / "git-raw-v2.wasm"
        v2_module.write_bytes(with_meta(GIT_RAW.read_bytes(), version="9.0.0"))
        manifest2 = run_cli(publisher, "publish", str(v2_module), "--key", "ann", "--vectors",
                            str(GIT_RAW.parent)).stdout.decode().strip()
        run_cli(publisher, "set", "add", "anns", manifest2)
        _v2, same_name = _publish(publisher, "anns", to_node)
        assert same_name == name
        took = _wait_for("the upgrade in the running server", lambda: version() == "9.0.0", 60, log)
        print(f"\nupgrade {first_version} -> 9.0.0 reached serve {took:.1f} s after set publish --to-node returned")
        assert _get(f"{server.url}/decode/{blob}")[0] == 200

        # The publisher withdraws git-raw (v3 lists bencode only): the running server stops decoding with it
        # (501: nothing it trusts serves the codec now, as /ipfs/ answers; 403 is a decoder refused, e.g. revoked).
        run_cli(publisher, "set", "remove", "anns", "codec", "git-raw")
        v3, _ = _publish(publisher, "anns", to_node)
        took = _wait_for("the withdrawal in the running server", lambda: _get(f"{server.url}/decode/{blob}")[0] == 501,
                         60, log)
        print(f"withdrawal reached serve {took:.1f} s after set publish --to-node returned")
        assert _get(f"{server.url}/resolve/codec/git-raw")[0] == 404
        assert _get(f"{server.url}/decode/{early}")[0] == 200

        # A rollback: the publisher's node points the name back at v1 (a valid record with a higher sequence).
        pub_node.ipfs("name", "publish", "--key", "autocodec-set-anns", f"/ipfs/{v1}")
        back = run_cli(user, "pin", "update", check=False)
        assert back.returncode == 1 and back.stderr.count(b"\n") == 1, back
        assert back.stderr.startswith(b"autocodec: RollbackError: index v1 of set 'anns' is older than v3"), back
        _wait_for("the running server's refusal", lambda: "RollbackError" in server.log_path.read_text(), 30, log)
        assert _get(f"{server.url}/decode/{blob}")[0] == 501 and _get(f"{server.url}/decode/{early}")[0] == 200

        # The publisher's node announces v4 (signed, but its blocks never put on any node) and goes down;
        # a block only it had was never fetched either. Typed one-line errors within the fetch deadline
        # (30 s, README "Bounds"), not a hang; the server keeps answering from what it holds meanwhile.
        late = _put(pub_node, LATE_BLOCK, "bencode", "sha2-256")
        v4 = run_cli(publisher, "set", "publish", "anns").stdout.decode().strip()
        pub_node.ipfs("name", "publish", "--resolve=false", "--key", "autocodec-set-anns", f"/ipfs/{v4}")
        pub_node.stop()
        started = time.monotonic()
        update = _start_cli(user, "pin", "update")
        fetch = _start_cli(user, "decode", late, "--node", node)
        while update.poll() is None or fetch.poll() is None:
            assert time.monotonic() - started < DEADLINE_S + 20, "a fetch from the stopped node's blocks hangs"
            assert _get(f"{server.url}/healthz", timeout=5)[0] == 200
            assert _get(f"{server.url}/decode/{early}", timeout=5)[0] == 200
            time.sleep(0.5)
        took = time.monotonic() - started
        for proc in (update, fetch):
            err = proc.stderr.read().decode() if proc.stderr else ""
            print(f"publisher's node down: {err.strip()} ({took:.1f} s)")
            assert proc.returncode == 1 and err.count("\n") == 1, err
            assert err.startswith("autocodec: BlockNotFound: ") and "context deadline exceeded" in err, err
            assert (v4 if proc is update else late) in err, err  # which block the user's node could not find
        assert took >= DEADLINE_S - 5  # the user's node did search its peers for the blocks
        # the server's refresh asks its node once for v4 (the set's location is also its --node): it
        # asked twice, and refused v4 after 60 s
        _wait_for("the running server's refusal of v4", lambda: f"block {v4}: " in server.log_path.read_text(), 90, log)
        refused_after = time.monotonic() - started
        print(f"serve's refresh refused v4 {refused_after:.1f} s after the publisher's node stopped")
        assert refused_after <= DEADLINE_S + 10, refused_after
        assert _get(f"{server.url}/decode/{early}")[0] == 200 and _get(f"{server.url}/decode/{blob}")[0] == 501
    pinned = run_cli(user, "pin", "ls").stdout.decode()
    assert pinned.startswith(f"anns\tv3\t{v3}\t"), pinned
    assert v4 not in pinned


def test_a_version_the_node_lacks_is_named_when_an_update_cannot_fetch_it(ipfs_node, tmp_path: Path) -> None:
    """``pin update`` of a set pinned from a node: the node's "does not have it" named no block
    (pin update printed ``node:ADDR does not have it (...)``, and the story above, with the
    publisher's node gone, could not tell which version was missing)."""
    from autocodec import CID
    from autocodec.errors import BlockNotFound
    from autocodec.registry import Runtime, add_manifest, init_set, pin_add, pin_update, publish_module, publish_set, set_blocks
    from autocodec.sources import NodeSource
    from autocodec.verify import KeyRing

    with Runtime(tmp_path / "publisher", default_set=False) as pub:
        key = KeyRing(pub.home.keys_dir).generate("ann")
        init_set(pub, "lacking", [key], ["ann"])
        add_manifest(pub, "lacking", publish_module(pub, BENCODE, key).manifest_cid)
        index = publish_set(pub, "lacking", [key])
        NodeSource(ipfs_node.api_url).put_blocks(set_blocks(pub, index))
    absent = CID.build(0x71, b"\x12\x20" + bytes(32))  # a sha2-256 digest no block has
    with Runtime(tmp_path / "user", default_set=False) as user:
        assert pin_add(user, str(index), node=ipfs_node.api_multiaddr).version == 1
        (failed,) = pin_update(user, "lacking", index=absent)
    assert isinstance(failed, BlockNotFound), failed
    assert failed.message.startswith(f"block {absent}: node:") and "does not have it" in failed.message, failed.message


def test_an_online_node_searching_past_the_deadline_is_named_as_such(tmp_path: Path) -> None:
    """An online node asked for a block no peer has searches until the timeout we pass it and
    answers "context deadline exceeded"; that read "does not have it" with a hint to put the
    block on the node, as if it had answered at once. It now says the node did not find the
    block within the fetch deadline and how to give it longer."""
    import dataclasses

    from autocodec.cid import CID
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import BlockNotFound
    from autocodec.sources import NodeSource

    require_kubo()
    absent = CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")  # "hello world", never put
    limits = dataclasses.replace(DEFAULT_LIMITS.fetch, deadline_s=2.0)
    with KuboRepo.create(tmp_path / "online", swarm=True).start() as online:
        with pytest.raises(BlockNotFound, match="did not find it within the fetch deadline") as failed:
            NodeSource(online.api_url, limits=limits).get(absent)
    assert "deadline_s" in failed.value.hint and "--" not in failed.value.hint
