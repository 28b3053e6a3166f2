"""A full disk under standard output, with an unbuffered interpreter (``PYTHONUNBUFFERED=1``, as
many container images set, or ``python -u``): the bao commands must still fail, not exit 0 over a
truncated output.

Unbuffered, ``sys.stdout.buffer`` is the raw ``FileIO``: a write that meets the end of the space
returns a short count instead of raising, and only the next write fails. A writer that ignores the
count drops the rest of the piece silently, and the command ends with 0 (measured before the fix:
``ulimit -f 40; PYTHONUNBUFFERED=1 autocodec bao decode HASH enc > f`` exited 0 with 40 960 of
100 000 bytes in ``f``; buffered, the same command exited 1). The file size limit
(``RLIMIT_FSIZE``) stands in for a full disk: the kernel cuts the write short at the limit and
fails the next one with EFBIG, as a full file system does with ENOSPC (Python ignores SIGXFSZ).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ._cli import run_cli

pytestmark = pytest.mark.slow

LIMIT = 40 * 1024
SIZE = 100_000


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _run_to_file(home: Path, out: Path, args: list[str], unbuffered: bool) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open(out, "wb") as stdout:
        return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, stdout=stdout,
                              stderr=subprocess.PIPE, preexec_fn=_limited, timeout=120, check=False)


@pytest.fixture(scope="module")
def blob(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes, str, str]:
    base = tmp_path_factory.mktemp("full")
    home = base / "home"
    content = random.Random(7).randbytes(SIZE)
    (base / "c").write_bytes(content)
    root = run_cli(home, "bao", "hash", str(base / "c")).stdout.decode().strip()
    run_cli(home, "bao", "encode", str(base / "c"), str(base / "c.bao"))
    cid = run_cli(home, "bao", "add", str(base / "c")).stdout.decode().strip()
    (base / "whole.slice").write_bytes(run_cli(home, "bao", "slice", "0", str(SIZE), str(base / "c.bao")).stdout)
    return base, home, content, root, cid


@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("command", ["decode", "slice", "decode-slice", "bao-cat", "cat"])
def test_a_full_disk_under_stdout_fails_the_command(blob: tuple[Path, Path, bytes, str, str], command: str,
                                                     unbuffered: bool, tmp_path: Path) -> None:
    base, home, content, root, cid = blob
    enc = str(base / "c.bao")
    args = {"decode": ["bao", "decode", root, enc],
            "slice": ["bao", "slice", "0", str(SIZE), enc],
            "decode-slice": ["bao", "decode-slice", root, "0", str(SIZE), str(base / "whole.slice")],
            "bao-cat": ["bao", "cat", cid],
            "cat": ["cat", cid]}[command]
    whole = (base / "whole.slice").read_bytes() if command == "slice" else content
    out = tmp_path / "out"
    proc = _run_to_file(home, out, args, unbuffered)
    written = out.read_bytes()
    err = proc.stderr.decode()
    assert len(written) == LIMIT, err  # the limit was met: the rest could not be written
    assert whole.startswith(written)  # only the bytes that belong there
    assert proc.returncode == 1, f"exit {proc.returncode} with {len(written)} of {len(whole)} bytes written"
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("autocodec: OutputError: cannot write standard output"), err
