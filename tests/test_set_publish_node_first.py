"""``set publish --to-node`` asks the node before it signs: a node that is down (or refuses the
credentials) leaves the set where it was, nothing on stdout, one line on stderr. It signed first:
the version went up and its CID was printed although nothing reached the node."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests._cli import published_set, refusal_line, run_cli, set_version

pytestmark = pytest.mark.slow

GIT_RAW = Path(__file__).resolve().parents[1] / "wasm-src" / "git-raw" / "git-raw.wasm"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_a_node_that_is_down_leaves_the_set_unsigned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _manifest, first = published_set(home, "s1", GIT_RAW)
    assert set_version(home, "s1") == (1, first)
    down = run_cli(home, "set", "publish", "s1", "--to-node", f"http://127.0.0.1:{_closed_port()}", check=False)
    line = refusal_line(down.returncode, down.stdout, down.stderr.decode())
    assert "127.0.0.1" in line, line
    assert set_version(home, "s1") == (1, first)
    second = run_cli(home, "set", "publish", "s1").stdout.decode().strip()
    assert set_version(home, "s1") == (2, second) and second != first
