"""A boolean option's ``=VALUE`` read as Kubo 0.43.1 reads it, beside the real ``ipfs``.

go-ipfs-cmds lowercases the value and gives it to Go's ``strconv.ParseBool``; an empty value is
true: ``--pin=0``, ``--pin=False``, ``-w=T``, ``--wrap-with-directory=`` and ``--pin=tRuE`` are
taken, ``--pin=yes`` and ``--pin= true`` refused (exit 1). autocodec took only ``=true`` and
``=false`` and refused the rest as unknown options.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import _kubo_pair
from ._kubo import KUBO_BIN, KuboRepo
from ._kubo_pair import add_both

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

VALUES = ["0", "1", "t", "T", "f", "F", "true", "TRUE", "True", "tRuE", "false", "FALSE", "fAlSe", "",
          "yes", "no", "on", " true", "true ", "2", "-1", "tr", "truee"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("in")
    (root / "a.txt").write_bytes(b"a boolean option's value\n")
    return root


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("option", ["-w", "--wrap-with-directory", "--raw-leaves"])
def test_bool_value_spellings_as_kubo(kubo: KuboRepo, folder: Path, option: str, value: str) -> None:
    theirs, ours = add_both(kubo, folder, [f"{option}={value}", "a.txt"], stdin=None)
    assert (ours.returncode != 0) == (theirs.returncode != 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout, (theirs.stderr, ours.stderr)
    if ours.returncode:
        assert ours.stderr.count(b"\n") == 1 and b"Traceback" not in ours.stderr
        assert f"{option}".encode() in ours.stderr


def test_value_given_twice_is_still_refused(kubo: KuboRepo, folder: Path) -> None:
    theirs, ours = add_both(kubo, folder, ["-w=0", "--wrap-with-directory=1", "a.txt"], stdin=None)
    assert theirs.returncode != 0 and ours.returncode != 0, (theirs.stderr, ours.stderr)


@pytest.mark.parametrize("value", ["1", "T", "", "tRuE", "0", "F", "false", "yes", " 1"])
def test_global_offline_value_as_kubo(kubo: KuboRepo, folder: Path, value: str) -> None:
    """``--offline`` is an on/off option of the program (``BooleanOptionalAction``, ``go_booleans``)."""
    theirs = subprocess.run([str(KUBO_BIN), f"--offline={value}", "version"], env=kubo.env(),
                            capture_output=True, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "autocodec", f"--offline={value}", "version"],
                          env={**os.environ, "AUTOCODEC_HOME": str(folder.parent / "home")},
                          capture_output=True, timeout=120)
    assert (ours.returncode != 0) == (theirs.returncode != 0), (theirs.stderr, ours.stderr)
    assert b"Traceback" not in ours.stderr


@pytest.mark.parametrize("value", ["0", "f", "False", "1", ""])
def test_short_on_off_option_value(folder: Path, value: str) -> None:
    """``dag stat -p=0``: a short on/off option with a value is its long ``--no-`` form (it was
    turned into the bare ``--no-``, which argparse took only as an abbreviation)."""
    ours = subprocess.run([sys.executable, "-m", "autocodec", "--offline", "dag", "stat", f"-p={value}",
                           "bafkqaaa"], env={**os.environ, "AUTOCODEC_HOME": str(folder.parent / "home")},
                          capture_output=True, timeout=120)
    assert ours.returncode == 0, ours.stderr
