"""``--api`` on ``pin update``/``pin repair``: refused in one line that says where they fetch from.

These commands take no node option, yet they fetch (from each pinned set's own source, the
``via`` of ``pin ls``). The refusal used to say they fetch from no node, which sent a reader of
a set pinned through a node behind ``API.Authorizations`` nowhere; it now names where they
fetch from and how such a node gets its credentials (``sources.node``, README "A node behind
``API.Authorizations``"). ``add`` keeps the plain refusal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli


@pytest.mark.parametrize("command", [("pin", "update"), ("pin", "repair")])
def test_api_on_a_set_source_command_says_where_it_fetches(tmp_path: Path, command: tuple[str, ...]) -> None:
    proc = run_cli(tmp_path / "home", "--api", "/ip4/127.0.0.1/tcp/1", *command, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert f"`autocodec {' '.join(command)}` takes none: it fetches from each set's own source" in line
    assert "sources.node in config.toml" in line
    assert "fetches from none" not in line


def test_api_on_add_keeps_the_plain_refusal(tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_bytes(b"x")
    proc = run_cli(tmp_path / "home", "--api", "/ip4/127.0.0.1/tcp/1", "add", str(file), check=False)
    assert "`autocodec add` fetches from none and puts on none" in refusal_line(
        proc.returncode, proc.stdout, proc.stderr.decode())
