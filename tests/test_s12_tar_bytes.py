"""TAR archives byte for byte as Kubo v0.43.1 writes them (``ipfs get -a``, gateway ``?format=tar``).

Before, members were written by Python's ``tarfile`` (PAX format): readers saw the same members,
but the bytes differed from Go's ``archive/tar`` (Kubo's): empty device fields where Go writes
``0000000\\0``, a ``././@PaxHeader`` extended header where Go writes ``DIR/PaxHeaders.0/BASE``,
and a PAX header for every name over 100 bytes where Go splits it into USTAR's prefix and name.
Now ``unixfs/_tar_header.py`` writes Go's bytes, measured three ways: against Go's own writer
(``tests/go-ref/tarheader``, go1.26 as Kubo's build) over edge cases of every field, against
``ipfs get -a`` of a tree whose every node carries its time, and read back by Python's reader.
"""

from __future__ import annotations

import io
import itertools
import os
import random
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from autocodec.unixfs._tar_header import header
from tests._go_ref import build_stdlib_ref


NAMES = [b"a", b"x" * 100, b"x" * 101, b"d/" + b"x" * 99, b"d/" + b"x" * 100, b"p" * 155 + b"/" + b"n" * 100,
         b"p" * 156 + b"/n", b"p" * 60 + b"/" + b"q" * 60 + b"/" + b"r" * 60, b"a/" * 60 + b"z", b"/abs/" + b"y" * 120,
         b"caf\xc3\xa9", b"d/caf\xc3\xa9/" + b"x" * 120, b"bad\xe9utf8", b"QmRoot/\xe6\x97\xa5\xe6\x9c\xac/file",
         b"x" * 99 + b"/", b"x" * 120 + b"/", b"a" * 300, b"//caf\xc3\xa9", b"//d/" + b"x" * 120]
LINKS = [b"", b"t", b"l" * 100, b"l" * 101, b"../caf\xc3\xa9", b"/" * 150]
NUMBERS = [(0o644, 0, 0), (0o4755, 6, 1_600_000_000), (0o7777, 8 ** 11 - 1, 8 ** 11 - 1), (0o755, 8 ** 11, 8 ** 11),
           (0o600, 1 << 40, -1), (0o777, 123, -(2 ** 31))]


def _cases() -> list[tuple[bytes, bytes, bytes, int, int, int]]:
    cases = []
    for name, (mode, size, mtime) in itertools.product(NAMES, NUMBERS):
        cases.append((name, b"0", b"", mode, size, mtime))
        cases.append((name.rstrip(b"/") or b"d", b"5", b"", mode, 0, mtime))
    for name, link in itertools.product(NAMES[:6] + NAMES[10:12], LINKS):
        cases.append((name, b"2", link, 0o777, 0, 1_500_000_000))
    rng = random.Random(12)
    alphabet = b"ab/\xc3\xa9.-" + bytes(range(0x20, 0x7f))
    for _ in range(300):
        name = bytes(rng.choice(alphabet) for _ in range(rng.choice([5, 99, 100, 101, 154, 156, 200, 257])))
        name = name.strip(b"/") or b"n"
        cases.append((name, rng.choice([b"0", b"5"]), b"", rng.choice([0o644, 0o755]), rng.choice([0, 1, 8 ** 11]),
                      rng.choice([0, 1_700_000_000, -5, 8 ** 11])))
    return [c for c in cases if not (c[1] == b"0" and c[0].endswith(b"/"))]  # Go refuses a file named .../


@pytest.mark.slow
def test_every_header_is_gos(tmp_path: Path) -> None:
    """Each case's header bytes against Go's ``archive/tar`` Writer (go run tests/go-ref/tarheader)."""
    binary = build_stdlib_ref("tarheader", tmp_path)
    cases = _cases()
    lines = "".join(f"{n.hex() or '00'} -{link.hex()} {mode} {size} {mtime} {kind.decode()}\n"
                    for n, kind, link, mode, size, mtime in cases)
    out = subprocess.run([str(binary)], input=lines.encode(), check=True, capture_output=True, timeout=120)
    theirs = out.stdout.decode().splitlines()
    assert len(theirs) == len(cases)
    wrong = [f"{case!r}: ours {header(case[0], case[1], mode=case[3], size=case[4], mtime=case[5], linkname=case[2]).hex()}"
             f" go {go_hex}" for case, go_hex in zip(cases, theirs, strict=True)
             if header(case[0], case[1], mode=case[3], size=case[4], mtime=case[5], linkname=case[2]).hex() != go_hex]
    assert not wrong, f"{len(wrong)} of {len(cases)} differ:\n" + "\n".join(wrong[:5])


@pytest.mark.parametrize("name, kind, link, mode, size, mtime", [
    (b"p" * 60 + b"/" + b"q" * 60, b"0", b"", 0o644, 3, 1_600_000_000),
    (b"d/caf\xc3\xa9", b"5", b"", 0o755, 0, -86400),
    (b"big", b"0", b"", 0o644, 8 ** 11 + 5, 8 ** 11),
    (b"ln", b"2", b"t" * 120, 0o777, 0, 0),
])
def test_pythons_reader_reads_each_field_back(name: bytes, kind: bytes, link: bytes, mode: int, size: int,
                                              mtime: int) -> None:
    data = header(name, kind, mode=mode, size=size, mtime=mtime, linkname=link)
    assert len(data) % 512 == 0
    with tarfile.open(fileobj=io.BytesIO(data + bytes(1024)), mode="r:") as archive:
        member = archive.next()
    assert member is not None
    assert (member.name, member.type, member.linkname, member.mode, member.size, member.mtime) == (
        name.decode("utf-8", "surrogateescape"), kind, link.decode(), mode, size, mtime)


def _dated_tree(root: Path) -> Path:
    """Names over 100 bytes (split by USTAR, or PAX when the last part is too long), non-ASCII
    names and targets, a long symlink target, setuid and sticky modes; every node dated."""
    deep = root / ("p" * 60) / ("q" * 45)
    deep.mkdir(parents=True)
    (deep / "file.txt").write_text("deep\n")
    (root / ("l" * 120)).write_text("long\n")
    (root / "café").mkdir()
    (root / "café" / "日本").write_bytes(b"x" * 1000)
    os.symlink("café/日本", root / "to-nonascii")
    os.symlink("../" * 40 + "t", root / "long-target")
    os.chmod(root / ("l" * 120), 0o4755)
    os.chmod(root / "café", 0o1777)
    for i, path in enumerate(sorted(root.rglob("*"), reverse=True) + [root]):
        os.utime(path, (1_500_000_000 + i * 1000,) * 2, follow_symlinks=False)
    return root


@pytest.mark.slow
@pytest.mark.ipfs
def test_get_archive_is_kubos_byte_for_byte(tmp_path: Path) -> None:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    tree = _dated_tree(tmp_path / "tree")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    ours_cid = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "add", "-r", "-Q",
                               "--preserve-mode", "--preserve-mtime", str(tree)], env=env, check=True,
                              capture_output=True, timeout=120).stdout.decode().strip()
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        cid = kubo.ipfs("add", "-r", "-Q", "--preserve-mode", "--preserve-mtime", tree).stdout.decode().strip()
        assert cid == ours_cid
        for path in (cid, f"{cid}/café", f"{cid}/{'p' * 60}"):
            kubo.ipfs("get", "-a", "-o", tmp_path / "kubo.tar", path)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "get", "-a", "-o",
                            str(tmp_path / "ours.tar"), path], env=env, check=True, capture_output=True, timeout=120)
            assert (tmp_path / "ours.tar").read_bytes() == (tmp_path / "kubo.tar").read_bytes(), path


def _archive_of_a_dated_file(tmp_path: Path, *mtime_flags: str) -> tuple[bytes, float, float]:
    """``get -a`` of a one-file DAG added with ``mtime_flags``: the archive and the times around the get."""
    import time

    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    home, source = tmp_path / "home", tmp_path / "f"
    source.write_bytes(b"hello\n")

    def cli(*args: str) -> bytes:
        return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), *args], env=env, check=True,
                              capture_output=True, timeout=120).stdout

    cid = cli("add", "-Q", *mtime_flags, str(source)).decode().strip()
    before = time.time()
    cli("get", "-a", "-o", str(tmp_path / "out.tar"), cid)
    return (tmp_path / "out.tar").read_bytes(), before, time.time()


def test_an_mtime_rounded_onto_gos_zero_time_is_written_zero(tmp_path: Path) -> None:
    """0000-12-31T23:59:59.6Z rounds to Go's zero time (0001-01-01), which Go's writer writes as 0
    in a USTAR header (Kubo 0.43.1's get -a and ?format=tar, measured); here it was a PAX mtime
    record of -62135596800."""
    archive, _, _ = _archive_of_a_dated_file(tmp_path, "--mtime=-62135596801", "--mtime-nsecs=600000000")
    assert len(archive) == 4 * 512  # one USTAR header, the data, the end
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        assert tar.next().mtime == 0  # type: ignore[union-attr]


def test_an_mtime_of_gos_zero_time_is_no_mtime(tmp_path: Path) -> None:
    """boxo reads an mtime of exactly Go's zero time as none (``ModTime().IsZero()``), so Kubo
    0.43.1's get -a dates that member with the time of the call; here it was -62135596800."""
    archive, before, after = _archive_of_a_dated_file(tmp_path, "--mtime=-62135596800")
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        member = tar.next()
    assert member is not None
    assert round(before) - 1 <= member.mtime <= round(after) + 1


@pytest.mark.slow
@pytest.mark.ipfs
def test_an_mtime_rounded_onto_gos_zero_time_is_kubos(tmp_path: Path) -> None:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    flags = ("--mtime=-62135596801", "--mtime-nsecs=600000000")
    ours, _, _ = _archive_of_a_dated_file(tmp_path, *flags)
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        cid = kubo.ipfs("add", "-Q", *flags, tmp_path / "f").stdout.decode().strip()
        kubo.ipfs("get", "-a", "-o", tmp_path / "kubo.tar", cid)
    assert ours == (tmp_path / "kubo.tar").read_bytes()
