"""``set publish --to-node`` and ``publish --to-node`` when the node goes down mid-way (after the
key check, at ``block/put``, ``pin/add`` or ``name/publish``), measured with a real Kubo daemon
behind a relay that stops at that step (``tests/_node_down``).

Before: the set's version went up (``set show`` named v2) and its signed index stayed the
recorded latest although the node's IPNS name was never moved; the retry signed v3. Now the
version is recorded only once the node accepted it: the set stays at v1, nothing is printed, and
the retry puts the very index signed the first time (same CID, v2), so a number is never used
for two contents. A module's manifest is signed once: the retry answers it again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from autocodec.cid import CID
from autocodec.sources import NodeSource
from tests._cli import published_set, refusal_line, run_cli, set_version
from tests._node_down import NodeGoesDown

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@pytest.fixture
def relays() -> Iterator[list[NodeGoesDown]]:
    """Relays a test makes, stopped when it ends (passed or failed): no listener outlives it."""
    made: list[NodeGoesDown] = []
    yield made
    for relay in made:
        relay.stop()

GIT_RAW = Path(__file__).resolve().parents[1] / "wasm-src" / "git-raw" / "git-raw.wasm"


def _upstream(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def _set_home(tmp_path: Path, name: str) -> Path:
    home = tmp_path / "home"
    published_set(home, name, GIT_RAW)
    return home


@pytest.mark.parametrize("step", ["block/put", "pin/add", "name/publish"])
def test_a_node_down_mid_way_leaves_the_set_version_and_the_retry_puts_the_same_index(
        tmp_path: Path, kubo_node, relays: list[NodeGoesDown], step: str) -> None:
    name = "mid-" + step.replace("/", "-")
    home = _set_home(tmp_path, name)
    assert set_version(home, name)[0] == 1
    relay = NodeGoesDown(_upstream(kubo_node.api_url), step)
    relays.append(relay)
    failed = run_cli(home, "set", "publish", name, "--to-node", relay.url, check=False)
    assert relay.down and relay.seen[0] == "key/list", relay.seen
    refusal_line(failed.returncode, failed.stdout, failed.stderr.decode())
    assert set_version(home, name)[0] == 1
    node = NodeSource(kubo_node.api_url)
    pinned_before = node.pins("recursive")
    retry = run_cli(home, "set", "publish", name, "--to-node", kubo_node.api_url)
    index = retry.stdout.decode().strip()
    assert set_version(home, name) == (2, index)
    ipns = re.search(r"IPNS /ipns/(\S+) -> ", retry.stderr.decode())
    assert ipns, retry.stderr.decode()
    assert node.resolve_name(ipns.group(1)) == f"/ipfs/{index}"
    if step == "name/publish":  # the index signed in the failed attempt was pinned there: the retry put that one
        assert CID.parse(index) in pinned_before
    again = run_cli(home, "set", "publish", name).stdout.decode().strip()
    assert again != index and set_version(home, name) == (3, again)


def test_module_publish_down_mid_way_then_retry_answers_the_same_manifest(
        tmp_path: Path, kubo_node, relays: list[NodeGoesDown]) -> None:
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "k")
    relay = NodeGoesDown(_upstream(kubo_node.api_url), "pin/add")
    relays.append(relay)
    failed = run_cli(home, "publish", str(GIT_RAW), "--key", "k", "--to-node", relay.url, check=False)
    assert relay.down, relay.seen
    refusal_line(failed.returncode, failed.stdout, failed.stderr.decode())
    retry = run_cli(home, "publish", str(GIT_RAW), "--key", "k", "--to-node", kubo_node.api_url)
    assert "already published" in retry.stderr.decode()
    manifest = CID.parse(retry.stdout.decode().strip())
    assert manifest in NodeSource(kubo_node.api_url).pins("recursive")


def test_module_publish_to_a_node_down_from_the_start_signs_nothing(
        tmp_path: Path, kubo_node, relays: list[NodeGoesDown]) -> None:
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "k")
    relay = NodeGoesDown(_upstream(kubo_node.api_url), "")
    relays.append(relay)
    relay.stop()
    failed = run_cli(home, "publish", str(GIT_RAW), "--key", "k", "--to-node", relay.url, check=False)
    refusal_line(failed.returncode, failed.stdout, failed.stderr.decode())
    first = run_cli(home, "publish", str(GIT_RAW), "--key", "k")
    assert "already published" not in first.stderr.decode()
