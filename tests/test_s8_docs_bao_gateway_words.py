"""``cat`` of a BLAKE3 CID and ``bao cat`` from a gateway that cannot be reached say why in the words
every other source uses ("connection refused"), not Python's ``[Errno 111] Connection refused``
(found by the newcomer's audit: ``decode --gateway`` said "connection refused", ``cat`` of the
same gateway "[Errno 111] Connection refused")."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli

BLAKE3_CID = "bafkr4idaxz4fjl7zrrvofpcvcqr436wrb75okdjhcem7c2m6miwxb66oja"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", [["cat", BLAKE3_CID], ["bao", "cat", BLAKE3_CID]])
def test_an_unreachable_gateway_is_connection_refused(tmp_path: Path, command: list[str]) -> None:
    gateway = f"http://127.0.0.1:{_closed_port()}"
    proc = run_cli(tmp_path / "home", *command, "--gateway", gateway, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith(f"autocodec: FetchError: cannot fetch {BLAKE3_CID} from {gateway}: connection refused"), line
    assert "Errno" not in line, line
