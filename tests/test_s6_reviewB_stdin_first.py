"""``add -w`` with stdin named ``/d/...`` (sorted before folder ``d``) and a folder ``d`` whose
entries clash with the folders or the file stdin made, beside Kubo v0.43.1's ``ipfs add``.

Kubo's adder puts the folder's entries into stdin's MFS tree one at a time, in walk order: it
prints each file it put, and stops at the first clash with its own words (a folder made over
stdin's file: "file already exists"; a file or symlink put where stdin's folder or file is:
"directory already has entry by that name"). autocodec printed every entry of the folder first,
then refused with the words of the other clash.
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
    (root / "d" / "a").write_text("a\n")
    (root / "d" / "sub" / "x").write_text("x\n")
    (root / "e" / "emp").mkdir(parents=True)
    os.symlink("d", root / "ld")
    return root


CLASHES = [
    ["--stdin-name=/d/a", "-", "d"],  # a file over stdin's file
    ["--stdin-name=/d/sub", "-", "d"],  # a folder over stdin's file
    ["--stdin-name=/d/sub/x/z", "-", "d"],  # a file over stdin's folder
    ["--stdin-name=/ld/y", "-", "ld"],  # a symlink over stdin's folder
    ["--stdin-name=/e/emp", "-", "e"],  # an empty folder over stdin's file
]


@pytest.mark.parametrize("args", CLASHES, ids=" ".join)
def test_a_folder_clashing_with_stdin_named_first_stops_where_kubo_stops(
        kubo: KuboRepo, inputs: Path, args: list[str]) -> None:
    argv = ["add", "-n", "-w", "-r", *args]
    theirs = subprocess.run([str(KUBO_BIN), *argv], cwd=inputs, env=kubo.env(), input=b"hello\n",
                            capture_output=True, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "autocodec", *argv], cwd=inputs, input=b"hello\n",
                          env={**os.environ, "AUTOCODEC_HOME": str(inputs.parent / "home")}, capture_output=True,
                          timeout=120)
    assert theirs.returncode == 1 and ours.returncode == 1, (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout
    words = theirs.stderr.decode().strip().removeprefix("Error: ")
    assert f"InvalidInput: {words} (" in ours.stderr.decode()
    assert len(ours.stderr.decode().strip().splitlines()) == 1
