"""Kubo's global ``--api-auth``, ``config.toml``'s ``sources.node_auth`` and ``--api`` as
``--to-node``, against a real Kubo v0.43.1 daemon behind ``API.Authorizations`` (offline, on
loopback; started with ``KuboRepo.start(authorization=...)``).

Measured with that Kubo (``ipfs --api /ip4/127.0.0.1/tcp/P [--api-auth S] block get CID``):
the right secret prints the block, exit 0; a wrong one or none is
``Error: Kubo RPC Access Denied: Please provide a valid authorization token as defined in the
API.Authorizations configuration.``, exit 1 (over HTTP: 403, ``text/plain``); so is a path
outside the entry's ``AllowedPaths``. ``IPFS_API_AUTH`` in the environment is not read (403).
The CLI sends ``--api-auth`` over plain HTTP to a non-loopback address as well (the API bound to
``0.0.0.0``, asked at the machine's ``eth0`` address: 200): there is no loopback rule to match.
Before this, autocodec refused ``--api-auth`` as an unknown option, ``sources.node_auth`` as an
unknown key, ``--api`` on ``publish``/``set publish`` ("fetches from none"), and a
``sources.node`` given without credentials never got ``$AUTOCODEC_NODE_AUTH``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import refusal_line, run_cli
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.ipfs, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"
TOKEN = "tok-apiauth-7Qx"
PASSWORD = "pw-apiauth-9Lm"
WRONG = "bearer:wrong-apiauth-3Zk"
SECRETS = (TOKEN, PASSWORD, "wrong-apiauth-3Zk")
DATA = b"behind API.Authorizations, asked with --api-auth\n"


class Node:
    def __init__(self, repo: KuboRepo, cid: str) -> None:
        self.repo, self.cid, self.addr = repo, cid, repo.api_multiaddr

    def ipfs(self, *args: str) -> str:
        return self.repo.ipfs("--api-auth", f"bearer:{TOKEN}", *args).stdout.decode()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    require_kubo()
    repo = KuboRepo.create(tmp_path_factory.mktemp("kubo-api-auth") / "repo")
    cid = repo.ipfs("block", "put", "--cid-codec", "raw", input=DATA).stdout.decode().strip()
    repo.set_config("API.Authorizations", {
        "bob": {"AuthSecret": f"bearer:{TOKEN}", "AllowedPaths": ["/api/v0"]},
        "alice": {"AuthSecret": f"basic:alice:{PASSWORD}", "AllowedPaths": ["/api/v0"]},
        "carol": {"AuthSecret": f"basic:carol:{PASSWORD}", "AllowedPaths": ["/api/v0/block/get"]},
    })
    repo.start(authorization=f"Bearer {TOKEN}")
    try:
        yield Node(repo, cid)
    finally:
        repo.stop()


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_NODE_AUTH"}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], capture_output=True, timeout=180,
                          env={**clean, "AUTOCODEC_HOME": str(home), **(env or {})})


def _refused(proc: subprocess.CompletedProcess[bytes], kind: str, *words: str) -> str:
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith(f"autocodec: {kind}: "), line
    for word in words:
        assert word in line, line
    _clean(line)
    return line


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked: {text!r}"


home = _homes.bare_home  # tmp_path / "home" after `autocodec init --no-default-set`


def test_api_auth_fetches_from_a_protected_node_and_a_wrong_secret_is_one_line(node: Node, home: Path) -> None:
    wrong = _cli(home, "--api-auth", WRONG, "cat", node.cid, "--node", node.addr)
    _refused(wrong, "NodeAccessDenied", node.addr, "refused the --api-auth secret")
    none = _cli(home, "cat", node.cid, "--node", node.addr)
    _refused(none, "NodeAccessDenied", "none were given")
    got = _cli(home, "cat", node.cid, "--api", node.addr, "--api-auth", f"bearer:{TOKEN}")  # a global, anywhere
    assert got.returncode == 0 and got.stdout == DATA, got.stderr
    run_cli(home, "block", "rm", node.cid)
    got = _cli(home, "--api-auth", f"basic:alice:{PASSWORD}", "block", "get", node.cid, "--node", node.addr)
    assert got.returncode == 0 and got.stdout == DATA, got.stderr
    run_cli(home, "block", "rm", node.cid)
    got = _cli(home, "--api-auth", f"basic:carol:{PASSWORD}", "cat", node.cid, "--node", node.addr)
    assert got.returncode == 0 and got.stdout == DATA, got.stderr  # carol may block/get only: enough
    run_cli(home, "block", "rm", node.cid)
    # the secret beats $AUTOCODEC_NODE_AUTH, as a command line beats the environment
    got = _cli(home, "--api-auth", f"bearer:{TOKEN}", "cat", node.cid, "--node", node.addr,
               env={"AUTOCODEC_NODE_AUTH": WRONG})
    assert got.returncode == 0 and got.stdout == DATA, got.stderr


def test_api_auth_malformed_is_a_config_error_without_the_secret(node: Node, home: Path) -> None:
    bad = _cli(home, "--api-auth", f"weird:{TOKEN}", "cat", node.cid, "--node", node.addr)
    _refused(bad, "ConfigError", "the --api-auth secret is not a node secret", "basic:USER:PASSWORD")


def test_api_auth_is_in_no_log_record(node: Node, home: Path) -> None:
    for secret in (WRONG, f"bearer:{TOKEN}"):
        loud = _cli(home, "-vv", "--log-json", "--api-auth", secret, "cat", node.cid, "--node", node.addr)
        _clean(loud.stderr.decode() + loud.stdout.decode())
        run_cli(home, "block", "rm", node.cid, check=False)
    assert loud.returncode == 0  # the right one worked, with every record at debug


def test_config_node_auth_and_the_environment_reach_the_configured_node(node: Node, home: Path) -> None:
    config = home / "config.toml"
    config.write_text(f'[sources]\nnode = "{node.addr}"\nnode_auth = "bearer:{TOKEN}"\n')
    got = _cli(home, "block", "get", node.cid)
    assert got.returncode == 0 and got.stdout == DATA, got.stderr
    run_cli(home, "block", "rm", node.cid)
    config.write_text(f'[sources]\nnode = "{node.addr}"\nnode_auth = "{WRONG}"\n')
    _refused(_cli(home, "block", "get", node.cid), "NodeAccessDenied", node.addr,
             "refused the secret in config.toml's sources.node_auth")
    got = _cli(home, "block", "get", node.cid, "--api-auth", f"bearer:{TOKEN}")  # the command line wins
    assert got.returncode == 0 and got.stdout == DATA, got.stderr
    run_cli(home, "block", "rm", node.cid)
    # a secret for no node, two secrets for one node, a secret that is not one: refused by key
    config.write_text(f'[sources]\nnode_auth = "bearer:{TOKEN}"\n')
    _refused(_cli(home, "block", "get", node.cid), "ConfigError", "sources.node_auth is the secret of sources.node")
    url = f"http://alice:{PASSWORD}@127.0.0.1:{node.repo.api_port}"
    config.write_text(f'[sources]\nnode = "{url}"\nnode_auth = "bearer:{TOKEN}"\n')
    _refused(_cli(home, "block", "get", node.cid), "ConfigError", "keep one of them")
    config.write_text(f'[sources]\nnode = "{node.addr}"\nnode_auth = "weird:{TOKEN}"\n')
    _refused(_cli(home, "block", "get", node.cid), "ConfigError", "sources.node_auth is not a node secret")
    config.write_text(f'[sources]\nnode = "{node.addr}"\nnode_auth = 5\n')
    _refused(_cli(home, "block", "get", node.cid), "ConfigError", "sources.node_auth must be a string")


def test_the_environment_secret_reaches_a_configured_node_given_without_credentials(node: Node,
                                                                                   home: Path) -> None:
    """README: ``$AUTOCODEC_NODE_AUTH`` is the secret of ``sources.node``. Only a configured URL
    carrying ``USER:PASSWORD@`` was marked as a node the user named, so a configured multiaddr
    was asked without credentials and refused ("none were given")."""
    (home / "config.toml").write_text(f'[sources]\nnode = "{node.addr}"\n')
    got = _cli(home, "block", "get", node.cid, env={"AUTOCODEC_NODE_AUTH": f"bearer:{TOKEN}"})
    assert got.returncode == 0 and got.stdout == DATA, got.stderr


def test_config_node_auth_goes_to_the_configured_node_only(node: Node, home: Path) -> None:
    """``sources.node_auth`` belongs to ``sources.node``: another node named on the command line
    does not get it (so a wrong guess never hands the secret to another operator)."""
    (home / "config.toml").write_text(f'[sources]\nnode = "/ip4/127.0.0.1/tcp/1"\nnode_auth = "bearer:{TOKEN}"\n')
    _refused(_cli(home, "block", "get", node.cid, "--node", node.addr), "NodeAccessDenied", "none were given")


def test_publish_and_set_publish_take_api_as_to_node_with_api_auth(node: Node, tmp_path: Path) -> None:
    publisher, user = tmp_path / "publisher", tmp_path / "user"
    run_cli(publisher, "key", "gen", "ann")
    wrong = _cli(publisher, "publish", str(GIT_RAW), "--key", "ann", "--api", node.addr, "--api-auth", WRONG)
    _refused(wrong, "NodeAccessDenied", node.addr, "refused the --api-auth secret")
    two = _cli(publisher, "--api", node.addr, "publish", str(GIT_RAW), "--key", "ann", "--to-node",
               f"http://alice:{PASSWORD}@127.0.0.1:1")
    _refused(two, "InvalidInput", "name two nodes", "--to-node http://127.0.0.1:1")
    done = _cli(publisher, "--api", node.addr, "--api-auth", f"bearer:{TOKEN}", "publish", str(GIT_RAW),
                "--key", "ann")
    assert done.returncode == 0, done.stderr
    manifest = done.stdout.decode().strip()
    assert manifest in node.ipfs("pin", "ls", "--type=recursive", manifest)  # the node holds it, pinned
    same = _cli(publisher, "--api", node.addr, "--api-auth", f"bearer:{TOKEN}", "publish", str(GIT_RAW),
                "--key", "ann", "--to-node", node.addr)  # the same node twice is one node
    assert same.returncode == 0 and same.stdout.decode().strip() == manifest, same.stderr

    run_cli(publisher, "set", "init", "authset", "--key", "ann")
    run_cli(publisher, "set", "add", "authset", manifest)
    published = _cli(publisher, "set", "publish", "authset", "--api", node.addr, "--api-auth", f"bearer:{TOKEN}")
    assert published.returncode == 0, published.stderr
    index = published.stdout.decode().strip()
    assert f"on {node.addr}/http, pinned" in published.stderr.decode()
    assert index in node.ipfs("pin", "ls", "--type=recursive", index)
    _clean(published.stderr.decode())
    # carol may only block/get: the node is asked for its keys before anything is signed (e5ad771),
    # so it refuses key/list and the set keeps its version, nothing printed on stdout
    refused = _cli(publisher, "set", "publish", "authset", "--api", node.addr,
                   "--api-auth", f"basic:carol:{PASSWORD}")
    lines = refused.stderr.decode().splitlines()
    assert refused.returncode == 1 and len(lines) == 1 and refused.stdout == b"", refused.stderr
    assert lines[0].startswith("autocodec: NodeAccessDenied: ") and "/api/v0/key/list" in lines[0], lines
    assert f"; index v1 {index}" in run_cli(publisher, "set", "show", "authset").stdout.decode()
    _clean(lines[0])

    run_cli(user, "init", "--no-default-set")
    _refused(_cli(user, "pin", "add", index, "--api", node.addr, "--api-auth", WRONG), "NodeAccessDenied",
             "refused the --api-auth secret")
    pinned = _cli(user, "pin", "add", index, "--api", node.addr, "--api-auth", f"bearer:{TOKEN}")
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.decode().startswith(f"pinned authset v1 {index} (1 module) from "), pinned.stdout
    for folder in (publisher, user):  # nothing either home keeps names a secret
        for path in folder.rglob("*"):
            if path.is_file():
                assert not any(s.encode() in path.read_bytes() for s in SECRETS), path


def test_offline_refuses_api_on_publish_as_it_refuses_to_node(node: Node, tmp_path: Path) -> None:
    proc = _cli(tmp_path / "h", "--offline", "--api", node.addr, "publish", str(GIT_RAW), "--key", "k")
    _refused(proc, "InvalidInput", "`autocodec publish` with --api reaches the network, which --offline forbids")


def test_api_beside_another_node_is_refused_without_showing_a_password(node: Node, tmp_path: Path) -> None:
    """The refusal printed ``--api`` as given, ``USER:PASSWORD@`` included."""
    proc = _cli(tmp_path / "h", "--api", f"http://alice:{PASSWORD}@127.0.0.1:2", "cat", node.cid,
                "--node", node.addr)
    _refused(proc, "InvalidInput", "--api http://127.0.0.1:2 and --node", "name two nodes")  # no password shown


def test_name_publish_takes_api_as_to_node_with_api_auth(node: Node, home: Path) -> None:
    from autocodec.sources import NodeSource

    run_cli(home, "key", "gen", "pub")
    value = f"/ipfs/{node.cid}"
    done = _cli(home, "name", "publish", "--resolve=false", value, "--key", "pub", "--api", node.addr, "--api-auth", f"bearer:{TOKEN}")
    assert done.returncode == 0, done.stderr
    name = done.stdout.decode().split("Published to ")[1].split(":")[0]
    assert NodeSource(node.addr, auth=f"bearer:{TOKEN}").resolve_name(f"/ipns/{name}") == value  # name/put reached it
    _refused(_cli(home, "name", "publish", "--resolve=false", value, "--key", "pub", "--api", node.addr, "--api-auth", WRONG),
             "NodeAccessDenied", "refused the --api-auth secret")
