"""Round-4 sweep of the commands outside the block/DAG/CID/UCAN/run wings: bad input (a missing
file, a folder where a file is expected, a node that is not there, a home this user may not
read) is one line on stderr and exit 1, never a traceback; an error no command words itself
(``_run``'s last resort) still says what to do next."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli

pytestmark = pytest.mark.slow

CID = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"  # b"hello\n"
NOBODY_HAS = "QmYjRkphTtVJ92rAAfSwZWsJEn4PXV5HwYmaL6bCVULtu8"
DEAD = "http://127.0.0.1:1"  # nothing listens there: a node that was stopped


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    home = root / "home"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "key", "gen", "k")
    (root / "f.txt").write_bytes(b"hello\n")
    assert run_cli(home, "add", "-Q", str(root / "f.txt")).stdout.decode().strip() == CID
    (root / "folder").mkdir()
    return home


CASES = [  # M: a missing file, D: a folder
    ["hash", "M"], ["hash", "D"], ["bao", "hash", "M"], ["bao", "add", "D"], ["publish", "--key", "k", "M"],
    ["publish", "--key", "k", "D"], ["module", "inspect", "M"], ["module", "inspect", "D"], ["module", "build", "D"],
    ["key", "import", "k2", "M"], ["key", "import", "k2", "D"], ["key", "export", "k", "-o", "D"],
    ["set", "export", "nosuch", "-o", "D"], ["name", "inspect", "M"], ["name", "inspect", "D"],
    ["get", "-o", "M/x", CID], ["cat", NOBODY_HAS, "--node", DEAD], ["ls", NOBODY_HAS, "--node", DEAD],
    ["decode", NOBODY_HAS, "--node", DEAD], ["get", NOBODY_HAS, "--node", DEAD],
    ["name", "get", "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8", "--node", DEAD],
]


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_bad_input_is_one_line(home: Path, args: list[str]) -> None:
    root = home.parent
    missing, folder = str(root / "nope" / "missing.bin"), str(root / "folder")
    argv = [a.replace("M", missing, 1) if a.startswith("M") else folder if a == "D" else a for a in args]
    proc = run_cli(home, *argv, check=False)
    out = proc.stdout.removeprefix(f"Saving file(s) to {missing}/x\n".encode())  # printed first, as ipfs get
    refusal_line(proc.returncode, out, proc.stderr.decode())


def _without_root_privilege() -> list[str]:
    """A prefix that runs a command subject to file permissions: none for an ordinary user;
    for root, ``setpriv`` without the capabilities that pass over them."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file permissions cannot be made to apply")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps]


@pytest.mark.parametrize("args", [["module", "inspect", "F"], ["publish", "--key", "k", "F"]], ids=" ".join)
def test_an_unreadable_home_says_what_to_do(home: Path, tmp_path: Path, args: list[str]) -> None:
    """A home this user may not read: one line that says what to do next. These two commands
    reach the home's files past its check (config.toml, keys/); they said only
    ``PermissionError: Permission denied (PATH)``."""
    locked = tmp_path / "locked"
    shutil.copytree(home, locked)
    locked.chmod(0)
    try:
        argv = [str(home.parent / "f.txt") if a == "F" else a for a in args]
        proc = subprocess.run([*_without_root_privilege(), sys.executable, "-m", "autocodec", *argv],
                              env={**os.environ, "AUTOCODEC_HOME": str(locked)}, capture_output=True, timeout=120)
        line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
        assert "Permission denied" in line and line.endswith(")"), line
        assert not line.endswith(f"({locked}/config.toml)") and not line.endswith(f"({locked}/keys)"), line
    finally:
        locked.chmod(0o700)
