"""``set publish --to-node`` asks the node before it signs: a node that is down (or refuses the
credentials) leaves the set where it was, nothing on stdout, one line on stderr. It signed first:
the version went up and its CID was printed although nothing reached the node."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli

pytestmark = pytest.mark.slow

GIT_RAW = Path(__file__).resolve().parents[1] / "wasm-src" / "git-raw" / "git-raw.wasm"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def _version(home: Path) -> int:
    """The index version ``set show`` names: ``set s1: root v1 CID; index vN CID``."""
    head = run_cli(home, "set", "show", "s1").stdout.decode().splitlines()[0]
    match = re.search(r"; index v(\d+) ", head)
    assert match, head
    return int(match.group(1))


def test_a_node_that_is_down_leaves_the_set_unsigned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "k")
    manifest = run_cli(home, "publish", str(GIT_RAW), "--key", "k").stdout.decode().strip()
    run_cli(home, "set", "init", "s1", "--key", "k")
    run_cli(home, "set", "add", "s1", manifest)
    first = run_cli(home, "set", "publish", "s1").stdout.decode().strip()
    assert _version(home) == 1
    down = run_cli(home, "set", "publish", "s1", "--to-node", f"http://127.0.0.1:{_closed_port()}", check=False)
    line = refusal_line(down.returncode, down.stdout, down.stderr.decode())
    assert "127.0.0.1" in line, line
    assert _version(home) == 1
    second = run_cli(home, "set", "publish", "s1").stdout.decode().strip()
    assert _version(home) == 2 and second != first
