"""The indirect pins of ``pin ls`` are the blocks a pinned set keeps, the very blocks ``block rm``
refuses to remove (``Pins.needed``), without Kubo (tests/test_cli_pin_indirect_kubo.py compares
the forms with Kubo's). Before, ``pin ls --type=indirect`` listed nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._cli import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("pinindirect") / "home"
    run_cli(home, "init")
    return home


def test_indirect_pins_are_the_blocks_block_rm_refuses(home: Path) -> None:
    index = run_cli(home, "pin", "ls", "-q", "--type=recursive").stdout.decode().split()
    indirect = run_cli(home, "pin", "ls", "-q", "--type=indirect").stdout.decode().split()
    assert len(index) == 1 and len(indirect) > 1 and index[0] not in indirect
    assert len(set(indirect)) == len(indirect)  # each once
    assert run_cli(home, "pin", "ls", "-q").stdout.decode().split() == index + indirect
    for block in (indirect[0], indirect[-1]):
        refused = run_cli(home, "block", "rm", block, check=False)
        assert refused.returncode == 1 and b"pinned set" in refused.stderr
        said = run_cli(home, "pin", "ls", block).stdout.decode()
        assert said == f"{block} indirect through {index[0]}\n"


def test_a_block_not_kept_is_not_pinned(home: Path) -> None:
    block = run_cli(home, "block", "put", stdin=b"not kept by any set").stdout.decode().strip()
    proc = run_cli(home, "pin", "ls", block, check=False)
    assert proc.returncode == 1 and proc.stdout == b""
    assert f"path '{block}' is not pinned".encode() in proc.stderr and b"Traceback" not in proc.stderr
