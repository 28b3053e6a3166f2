"""Reading an identity CID of over 128 bytes, beside Kubo 0.43.1 (s11).

Found: the store refused to *put* an identity CID holding over 128 bytes (boxo verifcid's
``DefaultMaxIdentityDigestSize``), but every read answered it from the CID itself: ``cat``,
``dag get``, ``block stat``, ``refs``, ``ls``, ``dag stat``, ``dag export`` and ``get`` printed
its bytes (or an empty walk) with exit 0, where Kubo 0.43.1 refuses each of them ("Error: digest
too large: identity digest got 129 bytes, maximum 128", exit 1; measured). Now ``BlockStore.get``
and ``stat`` raise ``DigestTooLong`` for it, and ``has`` says it is not held; 128 bytes stay
readable in both.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from autocodec.cid import CID, encode_varint
from autocodec.errors import DigestTooLong
from autocodec.store import BlockStore
from tests._cli import refusal_line, run_cli
from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

READS = [["cat"], ["block", "get"], ["block", "stat"], ["dag", "get"], ["dag", "stat"], ["dag", "export"],
         ["refs"], ["refs", "-r"], ["ls"]]


def _identity(size: int) -> tuple[CID, bytes]:
    """A raw identity CID holding ``size`` random bytes, and those bytes."""
    data = os.urandom(size)
    return CID(b"\x01\x55\x00" + encode_varint(size) + data), data


def test_the_store_reads_an_identity_cid_up_to_128_bytes_and_refuses_longer(home: Path) -> None:
    """Fails on the old store for 129 (``get`` gave the bytes, ``has`` said True)."""
    fits, data = _identity(128)
    over, _ = _identity(129)
    with BlockStore.open(home) as store:
        assert store.get(fits) == data and store.has(fits) and store.stat(fits).size == 128
        with pytest.raises(DigestTooLong, match="identity CID holds at most 128 bytes"):
            store.get(over)
        with pytest.raises(DigestTooLong):
            store.stat(over)
        assert not store.has(over)


def test_reads_of_an_identity_cid_over_128_bytes_fail_as_kubos(tmp_path: Path, home: Path) -> None:
    """Each read command, ours and ``ipfs`` on an offline repo: both exit 1 for 129 bytes (ours one
    ``DigestTooLong`` line; Kubo "digest too large"), both exit 0 for 128. Fails on the old
    code for every command but ``block get`` (exit 0)."""
    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    run_cli(home, "init")
    fits, _ = _identity(128)
    over, _ = _identity(129)
    for command in READS:
        theirs = subprocess.run([str(KUBO_BIN), *command, str(over)], env=repo.env(), capture_output=True,
                                timeout=120)
        assert theirs.returncode == 1 and b"digest too large" in theirs.stderr, (command, theirs.stderr)
        mine = run_cli(home, *command, str(over), check=False)
        line = refusal_line(mine.returncode, mine.stdout, mine.stderr.decode())
        assert line.startswith("autocodec: DigestTooLong: "), (command, line)
        theirs = subprocess.run([str(KUBO_BIN), *command, str(fits)], env=repo.env(), capture_output=True,
                                timeout=120)
        mine = run_cli(home, *command, str(fits), check=False)
        assert theirs.returncode == mine.returncode == 0, (command, theirs.stderr, mine.stderr)
        if command in (["cat"], ["block", "get"]):
            assert mine.stdout == theirs.stdout, command
