"""Review 4 (second pass): ``add`` cleans each path as Go's ``filepath.Clean`` (Kubo 0.43.1)
does, leading double slash included: Python's ``os.path.normpath`` keeps ``//`` (POSIX lets
it mean something else), Go's Clean makes it ``/``; so ``add //nonexist`` said
``lstat //nonexist`` where Kubo says ``lstat /nonexist``."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _kubo_pair
from ._kubo import KuboRepo
from ._kubo_pair import add_both

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@pytest.mark.parametrize("spelling", ["//{missing}", "///{missing}", "//{missing}/", "//./{missing}"])
def test_a_leading_double_slash_is_cleaned_as_kubo_cleans_it(kubo: KuboRepo, tmp_path: Path,
                                                             spelling: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    missing = str(tmp_path / "nonexist").lstrip("/")
    theirs, ours = add_both(kubo, work, [spelling.format(missing=missing)], stdin=None)
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
    theirs, ours = add_both(kubo, work, [*flags, *names], stdin=None)
    assert theirs.returncode == 0, theirs.stderr
    assert (ours.returncode, ours.stdout) == (0, theirs.stdout), ours.stderr
