"""Kubo's global ``--offline`` and ``--api``, beside Kubo 0.43.1 (``ipfs init --profile test``).

Measured: ``ipfs --offline cat|block get|dag get CID`` of a block the repo lacks exits 1 with
``Error: block was not found locally (offline): ipld: could not find CID``; ``ipfs --api
MULTIADDR CMD`` sends the command to that node. Before, ours refused both options
(``unrecognized arguments: --offline``; ``--api`` was read as the command). Now ``--offline``
asks no node, gateway or DNS resolver (a real Kubo daemon holding the block, named in
config.toml, stays unasked; a DNS server on loopback gets no query) and says Kubo's words;
``--api`` is the command's ``--node``. The rules are in docs/cli.md ("Global options").
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import refusal_line, run_cli
from tests._kubo import KuboRepo, require_kubo

MISSING = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
KUBO_WORDS = f"block was not found locally (offline): ipld: could not find {MISSING}"


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    """A Kubo daemon on loopback holding one block (``kubo.held``)."""
    require_kubo()
    with KuboRepo.create(tmp_path_factory.mktemp("offline") / "kubo").start() as repo:
        path = tmp_path_factory.mktemp("offline") / "held.txt"
        path.write_bytes(b"held only by the node\n")
        repo.held = repo.ipfs("add", "-Q", "--cid-version=1", path).stdout.decode().strip()  # type: ignore[attr-defined]
        yield repo


home = _homes.bare_home  # tmp_path / "home" after `autocodec init --no-default-set`


@pytest.mark.parametrize("command", [["cat"], ["block", "get"], ["dag", "get"]], ids=" ".join)
def test_offline_missing_block_in_kubos_words(kubo: KuboRepo, home: Path, command: list[str]) -> None:
    theirs = kubo.ipfs("--offline", *command, MISSING, check=False)
    ours = run_cli(home, "--offline", *command, MISSING, check=False)
    assert theirs.returncode == 1 and theirs.stderr.decode().strip() == f"Error: {KUBO_WORDS}"
    line = refusal_line(ours.returncode, ours.stdout, ours.stderr.decode())
    assert line.startswith(f"autocodec: BlockNotFound: {KUBO_WORDS} ("), line


def test_offline_does_not_ask_the_configured_node(kubo: KuboRepo, home: Path) -> None:
    """The node in config.toml holds the block: found without ``--offline``, not with it,
    wherever the option stands (``--offline=false`` is online, as Kubo reads it)."""
    held: str = kubo.held  # type: ignore[attr-defined]
    (home / "config.toml").write_text(f'[sources]\nnode = "{kubo.api_multiaddr}"\n')
    for args in (["--offline", "cat", held], ["cat", held, "--offline"], ["--offline=true", "cat", held]):
        proc = run_cli(home, *args, check=False)
        assert KUBO_WORDS.replace(MISSING, held) in refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert run_cli(home, "--offline=false", "cat", held).stdout == b"held only by the node\n"
    assert run_cli(home, "--offline", "cat", held).stdout == b"held only by the node\n"  # now in the store


def test_offline_refuses_an_option_that_names_a_peer(home: Path) -> None:
    node = "/ip4/127.0.0.1/tcp/1"
    lines = {
        "--node": ["--offline", "cat", "--node", node, MISSING],
        "--api": ["--offline", "--api", node, "cat", MISSING],
        "--gateway": ["dag", "get", "--gateway", "http://127.0.0.1:1", MISSING, "--offline"],
        "--to-node": ["--offline", "set", "publish", "--to-node", node, "x"],
        "--remote": ["--offline", "run", "--remote", "http://127.0.0.1:1", "x"],
    }
    for option, args in lines.items():
        proc = run_cli(home, *args, check=False)
        line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
        assert f"with {option} reaches the network, which --offline forbids" in line, line


def test_offline_makes_no_dns_query(home: Path) -> None:
    """A DNS server on loopback named in config.toml receives nothing from ``--offline``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "dns://127.0.0.1:{port}"\n')
        for args in (["name", "resolve", "/ipns/example.com"], ["cat", "/ipns/example.com"]):
            proc = run_cli(home, "--offline", *args, check=False)
            line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
            assert line.startswith("autocodec: NetworkOffline: offline: a DNS resolver"), line
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.recv(512)
        online = run_cli(home, "name", "resolve", "/ipns/example.com", "--timeout", "3s", check=False)
        assert online.returncode == 1
        server.recv(512)  # the same command online did ask it (so the check above can fail)


def test_offline_ipns_name_not_kept(home: Path) -> None:
    name = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"
    proc = run_cli(home, "--offline", "name", "resolve", name, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert f"no valid IPNS record for {name} in this home" in line and "--offline answers from" in line, line


def test_api_is_the_commands_node(kubo: KuboRepo, home: Path) -> None:
    held: str = kubo.held  # type: ignore[attr-defined]
    assert run_cli(home, "--api", kubo.api_multiaddr, "cat", held).stdout == b"held only by the node\n"
    assert run_cli(home, "block", "rm", held).returncode == 0
    assert run_cli(home, "dag", "get", held, f"--api={kubo.api_url}").returncode == 0
    same = run_cli(home, "--api", kubo.api_multiaddr, "cat", "--node", kubo.api_multiaddr, held)
    assert same.stdout == b"held only by the node\n"


def test_api_refusals(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_bytes(b"x")
    two = run_cli(home, "--api", "/ip4/127.0.0.1/tcp/1", "cat", "--node", "/ip4/127.0.0.1/tcp/2", MISSING, check=False)
    assert "name two nodes" in refusal_line(two.returncode, two.stdout, two.stderr.decode())
    add = run_cli(home, "--api", "/ip4/127.0.0.1/tcp/1", "add", str(file), check=False)
    assert "`autocodec add` fetches from none" in refusal_line(add.returncode, add.stdout, add.stderr.decode())
    empty = run_cli(home, "--api=", "cat", MISSING, check=False)
    assert "the value is empty" in refusal_line(empty.returncode, empty.stdout, empty.stderr.decode(), usage=True)
    gone = run_cli(home, "--api", "/ip4/127.0.0.1/tcp/1", "cat", MISSING, check=False)
    line = refusal_line(gone.returncode, gone.stdout, gone.stderr.decode())
    assert line.startswith("autocodec: SourceUnavailable: ") and "connection refused" in line, line


def _status(url: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_offline_answers_from_the_store_only(kubo: KuboRepo, home: Path, tmp_path: Path) -> None:
    """``serve --offline``: a block the configured node holds is not fetched (Kubo's offline words
    in the answer); a stored block is served; online, the same server setup fetches it."""
    from tests._serve_proc import ServeProcess

    held: str = kubo.held  # type: ignore[attr-defined]
    (home / "config.toml").write_text(f'[sources]\nnode = "{kubo.api_multiaddr}"\n')
    stored = run_cli(home, "block", "put", stdin=b"stored here").stdout.decode().strip()
    with ServeProcess(home, tmp_path, "--offline") as srv:
        assert _status(f"{srv.url}/ipfs/{stored}?format=raw") == (200, b"stored here")
        status, body = _status(f"{srv.url}/ipfs/{held}?format=raw")
        assert status == 404 and b"not found locally (offline)" in body, (status, body[:300])
    with ServeProcess(home, tmp_path) as srv:
        assert _status(f"{srv.url}/ipfs/{held}?format=raw") == (200, b"held only by the node\n")


def test_runtime_offline_builds_no_source(kubo: KuboRepo, tmp_path: Path) -> None:
    """The library's seam: ``Runtime(offline=True)`` leaves config.toml's node unused; given a
    source beside it, it refuses (``InvalidInput``) rather than drop it silently."""
    from autocodec.cid import CID
    from autocodec.errors import BlockNotFound, InvalidInput
    from autocodec.registry import Runtime

    held: str = kubo.held  # type: ignore[attr-defined]
    home = tmp_path / "lib"
    home.mkdir()
    (home / "config.toml").write_text(f'[sources]\nnode = "{kubo.api_multiaddr}"\n')
    with Runtime(home, default_set=False, offline=True) as rt:
        assert rt.fetcher.sources == [] and rt.settings.node is None
        with pytest.raises(BlockNotFound, match=r"not found locally \(offline\)"):
            rt.fetcher.get(CID.parse(held))
    with pytest.raises(InvalidInput, match="offline Runtime takes no node"):
        Runtime(home, default_set=False, offline=True, node=kubo.api_multiaddr)
    with Runtime(home, default_set=False) as rt:
        assert rt.fetcher.get(CID.parse(held)) == b"held only by the node\n"


def test_go_offline_stops_every_connection(kubo: KuboRepo) -> None:
    """After ``sources.go_offline`` (in a child process: it is for good) a source made by hand
    is refused before any socket, not asked."""
    import subprocess
    import sys

    held: str = kubo.held  # type: ignore[attr-defined]
    code = (
        "import sys\n"
        "from autocodec.cid import CID\n"
        "from autocodec.errors import NetworkOffline\n"
        "from autocodec.sources import NodeSource, go_offline\n"
        "source = NodeSource(sys.argv[1])\n"
        "assert source.get(CID.parse(sys.argv[2]))\n"
        "go_offline()\n"
        "try:\n"
        "    source.get(CID.parse(sys.argv[2]))\n"
        "except NetworkOffline as exc:\n"
        "    print(exc.message)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, kubo.api_multiaddr, held], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().startswith("offline: node"), proc.stdout
