"""``add -w`` with stdin named into a folder also added, beside Kubo v0.43.1's ``ipfs add``.

Kubo's adder builds the ``-w`` wrapper as an MFS tree, so stdin named ``d/y`` goes into the
folder ``d`` added before it (its name sorts first), and stdin named ``/d/y`` (sorted before
``d``) makes ``d``, which the folder's entries then join; autocodec refused both (two entries
named ``d``). Each case compares stdout byte for byte, and whether each failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import _kubo_pair
from ._kubo import KUBO_BIN, KuboRepo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


kubo = _kubo_pair.kubo


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inputs") / "in"
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "emp").mkdir()
    (root / "d" / "a").write_text("a\n")
    (root / "d" / "sub" / "x").write_text("x\n")
    (root / "d" / "y0").write_text("y\n")
    (root / "d" / ".h").write_text("h\n")
    (root / "big").mkdir()
    for i in range(2500):  # over Kubo's 256 KiB estimate: a HAMT shard
        (root / "big" / f"n{i:0100d}").write_bytes(b"x")
    os.utime(root / "d", (1_600_000_000, 1_600_000_000))
    return root


def both(kubo: KuboRepo, cwd: Path, args: list[str]) -> tuple[subprocess.CompletedProcess[bytes], ...]:
    first = ["--pin=false"] if any(a.startswith(("--mode", "--mtime", "--preserve")) for a in args) else ["-n"]
    theirs = subprocess.run([str(KUBO_BIN), "add", *first, *args], cwd=cwd, env=kubo.env(), input=b"hello\n",
                            capture_output=True, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", *first, *args], cwd=cwd, input=b"hello\n",
                          env={**os.environ, "AUTOCODEC_HOME": str(cwd.parent / "home")}, capture_output=True,
                          timeout=120)
    return theirs, ours


MERGED = [
    ["--stdin-name=d/y", "-", "d"], ["--stdin-name=d/y", "d", "-"], ["--stdin-name=d/sub/z", "-", "d"],
    ["--stdin-name=d/new/z", "-", "d"], ["--stdin-name=d/./sub//z/", "-", "d"], ["--stdin-name=d/emp/z", "-", "d"],
    ["-E=false", "--stdin-name=d/emp/z", "-", "d"], ["--stdin-name=d/.h", "-", "d"], ["-H", "--stdin-name=d/z", "-", "d"],
    ["--ignore=y0", "--stdin-name=d/y0", "-", "d"], ["--stdin-name=d/y", "-", "d", "d"],
    ["--stdin-name=d/y", "-Q", "-", "d"], ["--stdin-name=d/y", "-q", "-", "d"], ["--stdin-name=d/y", "--silent", "-", "d"],
    ["--stdin-name=d/y", "--cid-version=1", "-", "d"], ["--stdin-name=d/y", "--max-directory-links=3", "-", "d"],
    ["--stdin-name=big/zz", "-", "big"], ["--stdin-name=big/zz", "--max-hamt-fanout=16", "-", "big"],
    ["--stdin-name=d/y", "-", "d", "big"],
    ["--stdin-name=d/y", "--mode=0755", "-", "d"], ["--stdin-name=d/sub/z", "--preserve-mtime", "-", "d"],
    ["--stdin-name=d/new/z", "--preserve-mode", "--preserve-mtime", "-", "d"], ["--stdin-name=d/y", "--mtime=1000", "-", "d"],
    # stdin sorted before the folder: the folder's entries join the folders stdin made (no metadata)
    ["--stdin-name=/d/y", "-", "d"], ["--stdin-name=/d/sub/q", "-", "d"], ["--stdin-name=/d/y", "--mode=0755", "-", "d"],
    ["--stdin-name=/d/y", "-", "d", "big"],
]
REFUSED = [["--stdin-name=d/a", "-", "d"], ["--stdin-name=d/sub", "-", "d"], ["--stdin-name=d/sub/x/z", "-", "d"],
           ["--stdin-name=d/y0/z", "-", "d"], ["--stdin-name=d", "-", "d"], ["--stdin-name=y0/z", "-", "d/y0"]]


@pytest.mark.parametrize("args", MERGED, ids=" ".join)
def test_stdin_goes_into_a_folder_added_beside_it_as_in_kubo(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = both(kubo, inputs, ["-w", "-r", *args])
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


@pytest.mark.parametrize("args", REFUSED, ids=" ".join)
def test_stdin_over_an_entry_of_the_folder_is_refused_as_in_kubo(kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    theirs, ours = both(kubo, inputs, ["-w", "-r", *args])
    assert theirs.returncode and ours.returncode
    assert ours.stdout == theirs.stdout
    assert len(ours.stderr.splitlines()) == 1 and b"Traceback" not in ours.stderr
    assert theirs.stderr.split(b"Error: ")[1].strip() in ours.stderr  # Kubo's words


def test_without_w_stdin_named_into_a_folder_stays_its_own_entry(kubo: KuboRepo, inputs: Path) -> None:
    theirs, ours = both(kubo, inputs, ["-r", "--stdin-name=d/y", "-", "d"])
    assert theirs.returncode == ours.returncode == 0
    assert ours.stdout == theirs.stdout
