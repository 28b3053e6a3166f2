"""A publisher with no IPFS node: its extension set and an IPNS name signed with its own key,
served by ``autocodec serve``; a follower pins the name through that server as a trustless
gateway and follows the next version. The records are verified by the follower; the server is
trusted for nothing (every block is checked against its CID, every set version against the
pinned root)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests._serve_proc import ServeProcess

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"
GIT_BLOB = b"blob 6\x00hello\n"  # a git object: `git hash-object` of "hello\n"


def _publish_first_version(publisher: Path) -> str:
    """Set ``anns`` v1 of key ``ann``: the git-raw module; its index CID."""
    run_cli(publisher, "key", "gen", "ann")
    manifest = run_cli(publisher, "publish", str(GIT_RAW), "--key", "ann").stdout.decode().strip()
    run_cli(publisher, "set", "init", "anns", "--key", "ann")
    run_cli(publisher, "set", "add", "anns", manifest)
    return run_cli(publisher, "set", "publish", "anns").stdout.decode().strip()


def _publish_second_version(publisher: Path, tmp_path: Path) -> str:
    """Set ``anns`` v2: git-raw as version 9.0.0, with its vectors; its index CID."""
    from tests._wasm_tools import with_meta

    v2_module = tmp_path / "git-raw-v2.wasm"
    v2_module.write_bytes(with_meta(GIT_RAW.read_bytes(), version="9.0.0"))
    manifest2 = run_cli(publisher, "publish", str(v2_module), "--key", "ann", "--vectors",
                        str(GIT_RAW.parent)).stdout.decode().strip()
    run_cli(publisher, "set", "add", "anns", manifest2)
    return run_cli(publisher, "set", "publish", "anns").stdout.decode().strip()


def test_a_set_followed_by_ipns_through_the_publishers_own_server(tmp_path: Path) -> None:

    publisher, follower = tmp_path / "publisher", tmp_path / "follower"
    v1 = _publish_first_version(publisher)
    line = run_cli(publisher, "name", "publish", f"/ipfs/{v1}", "--key", "ann").stdout.decode()
    name = line.split()[2].rstrip(":")
    blob = run_cli(publisher, "block", "put", "--codec", "git-raw", "--hash", "sha1", stdin=GIT_BLOB).stdout.decode().strip()

    run_cli(follower, "init", "--no-default-set")  # so that git-raw can only come from the followed set
    with ServeProcess(publisher, tmp_path) as server:
        pinned = run_cli(follower, "pin", "add", f"/ipns/{name}", "--gateway", server.url).stdout.decode()
        assert f"anns v1 {v1}" in pinned and f"via {server.url}" in pinned
        assert json.loads(run_cli(follower, "resolve", "codec", "git-raw", "--json").stdout)["set_name"] == "anns"
        decoded = json.loads(run_cli(follower, "decode", blob, "--gateway", server.url).stdout)
        # the git-raw module of the set decoded it: go-ipld-git's blob is the object's bytes, header included
        assert decoded == {"/": {"bytes": base64.b64encode(GIT_BLOB).decode().rstrip("=")}}

        # the publisher ships a new version and moves the name; the follower's update follows it
        v2 = _publish_second_version(publisher, tmp_path)
        run_cli(publisher, "name", "publish", f"/ipfs/{v2}", "--key", "ann")
        updated = run_cli(follower, "pin", "update").stdout.decode()
        assert f"anns v2 {v2}" in updated, updated
        resolved = json.loads(run_cli(follower, "resolve", "codec", "git-raw", "--json").stdout)
        assert resolved["version"] == "9.0.0"


def test_a_set_followed_by_dnslink_where_dns_is_trusted_for_nothing_but_the_pointer(tmp_path: Path) -> None:
    """``pin add /ipns/DOMAIN``: the DNSLink names the set version; every version is checked as
    a set update, so DNS pointing back at an older version is refused like any rollback."""
    from tests._dns_server import DnsZone, doh_server

    publisher, follower = tmp_path / "publisher", tmp_path / "follower"
    v1 = _publish_first_version(publisher)
    run_cli(follower, "init", "--no-default-set")
    zone = DnsZone({"_dnslink.sets.test": [(f"dnslink=/ipfs/{v1}",)]})
    with doh_server(zone) as doh, ServeProcess(publisher, tmp_path) as server:
        config = follower / "config.toml"
        config.write_text((config.read_text() if config.exists() else "") + f'\n[dns.resolvers]\n"." = "{doh}"\n')
        pinned = run_cli(follower, "pin", "add", "/ipns/sets.test", "--gateway", server.url).stdout.decode()
        assert f"anns v1 {v1}" in pinned and "sets.test" in pinned, pinned

        v2 = _publish_second_version(publisher, tmp_path)
        zone.records["_dnslink.sets.test"] = [(f"dnslink=/ipfs/{v2}",)]
        assert f"anns v2 {v2}" in run_cli(follower, "pin", "update").stdout.decode()

        zone.records["_dnslink.sets.test"] = [(f"dnslink=/ipfs/{v1}",)]  # DNS points back at v1
        back = run_cli(follower, "pin", "update", check=False)
        assert back.returncode != 0 and back.stderr.count(b"\n") == 1, back
        assert back.stderr.startswith(b"autocodec: RollbackError: index v1 of set 'anns' is older than v2"), back
        resolved = json.loads(run_cli(follower, "resolve", "codec", "git-raw", "--json").stdout)
        assert resolved["version"] == "9.0.0"  # still v2's module

        zone.records["_dnslink.sets.test"] = [("v=spf1 -all",)]  # no DNSLink any more: a clear refusal
        gone = run_cli(follower, "pin", "update", check=False)
        assert gone.returncode != 0 and gone.stderr.startswith(b"autocodec: DnsLinkError: "), gone
