"""Review 4 (second pass): ``add`` cleans each path as Go's ``filepath.Clean`` (Kubo 0.43.1)
does, leading double slash included: Python's ``os.path.normpath`` keeps ``//`` (POSIX lets
it mean something else), Go's Clean makes it ``/``; so ``add //nonexist`` said
``lstat //nonexist`` where Kubo says ``lstat /nonexist``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._kubo import KUBO_BIN, KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    require_kubo()
    yield KuboRepo.create(tmp_path_factory.mktemp("kubo") / "repo")


def _both(kubo: KuboRepo, cwd: Path, args: list[str]) -> tuple[subprocess.CompletedProcess[bytes],
                                                                 subprocess.CompletedProcess[bytes]]:
    theirs = subprocess.run([str(KUBO_BIN), "add", "--only-hash", *args], cwd=cwd, env=kubo.env(),
                            capture_output=True, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", "--only-hash", *args], cwd=cwd,
                          env={**os.environ, "AUTOCODEC_HOME": str(cwd.parent / "home")}, capture_output=True,
                          timeout=120)
    return theirs, ours


@pytest.mark.parametrize("spelling", ["//{missing}", "///{missing}", "//{missing}/", "//./{missing}"])
def test_a_leading_double_slash_is_cleaned_as_kubo_cleans_it(kubo: KuboRepo, tmp_path: Path,
                                                             spelling: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    missing = str(tmp_path / "nonexist").lstrip("/")
    theirs, ours = _both(kubo, work, [spelling.format(missing=missing)])
    assert theirs.returncode != 0 and ours.returncode != 0
    kubo_error = theirs.stderr.decode().splitlines()[0].removeprefix("Error: ")
    assert kubo_error.startswith("lstat /" + missing), theirs.stderr
    assert len(ours.stderr.splitlines()) == 1 and kubo_error in ours.stderr.decode(), (theirs.stderr, ours.stderr)


@pytest.mark.parametrize("flags", [[], ["-w"], ["-r"], ["-r", "-w"]])
def test_a_file_and_folder_named_with_a_double_slash_are_kubos(kubo: KuboRepo, tmp_path: Path,
                                                               flags: list[str]) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_bytes(b"x")
    (tmp_path / "f").write_bytes(b"f")
    work = tmp_path / "work"
    work.mkdir()
    names = ["/" + str(tmp_path / "f"), *(["/" + str(tmp_path / "d")] if "-r" in flags else [])]
    theirs, ours = _both(kubo, work, [*flags, *names])
    assert theirs.returncode == 0, theirs.stderr
    assert (ours.returncode, ours.stdout) == (0, theirs.stdout), ours.stderr
