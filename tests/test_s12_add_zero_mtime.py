"""``add --mtime=-62135596800`` (Go's zero time, 0001-01-01T00:00:00Z) stores no mtime, as Kubo 0.43.1.

boxo reads a ``time.Time{}`` modification time as none (``ModTime().IsZero()``), so Kubo's nodes
carry no mtime there, and a TAR of them is dated at the request like any node without one
(29c45fb); this home stored the mtime, so its CIDs differed (found by the TAR review). One
nanosecond later is a time like any other, stored by both. CIDs measured with Kubo 0.43.1
(``ipfs add -Q --offline ARGS``, ``z.txt`` holding "hi\\n" inside a folder ``zd``);
``test_kubo_gives_the_same_cids`` measures them again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ZERO = "--mtime=-62135596800"
CASES = {  # args (FILE: the file, DIR: the folder) -> Kubo 0.43.1's root CID
    (ZERO, "FILE"): "QmZLRFWaz9Kypt2ACNMDzA5uzACDRiCqwdkNSP1UZsu56D",  # as without --mtime
    (ZERO, "--mtime-nsecs=1", "FILE"): "QmPrptdZA5686CUCu7jJh7Q1BQRC9Gwzd7xCVpLUWPsjuw",
    ("-r", ZERO, "DIR"): "QmdsqqCgjvT27kdvSYuGPQPC5PHw7VLRWw15v7CDh4sNvi",
    ("--cid-version=1", ZERO, "FILE"): "bafybeifdmflkybo26fnmpxrcoakgaeax4yrt2kftctbcz3zz6uz3c5p3xy",
    ("-w", ZERO, "FILE"): "QmdsqqCgjvT27kdvSYuGPQPC5PHw7VLRWw15v7CDh4sNvi",
    ("--cid-version=1", "-r", ZERO, "DIR"): "bafybeiebs7f4vacxugk7yqvd4tqwevuqc74tyxw3qt3ngb6ka73exofg3m",
}


def _tree(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "zd"
    folder.mkdir()
    (folder / "z.txt").write_text("hi\n")
    return {"FILE": str(folder / "z.txt"), "DIR": str(folder)}


def _args(args: tuple[str, ...], where: dict[str, str]) -> list[str]:
    return [where.get(a, a) for a in args]


@pytest.mark.parametrize("args", list(CASES), ids=[" ".join(a) for a in CASES])
def test_go_zero_time_is_no_mtime(tmp_path: Path, args: tuple[str, ...]) -> None:
    where = _tree(tmp_path)
    out = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(tmp_path / "home"), "add", "-Q",
                          "--offline", *_args(args, where)], check=True, capture_output=True, timeout=120)
    assert out.stdout.decode().strip() == CASES[args]


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_gives_the_same_cids(tmp_path: Path) -> None:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    where = _tree(tmp_path)
    kubo = KuboRepo.create(tmp_path / "kubo")
    measured = {args: kubo.ipfs("add", "-Q", "--offline", *_args(args, where)).stdout.decode().strip()
                for args in CASES}
    assert measured == CASES
