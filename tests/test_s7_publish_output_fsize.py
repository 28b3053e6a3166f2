"""Outputs that meet this process's file size limit (``RLIMIT_FSIZE``, set by the shell's ``ulimit
-f``) say so, naming the limit: ``get -o`` (a file, a folder's file), ``car export -o`` (written
whole, ``_partfiles.write_whole``) and standard output redirected to a file. Before, they said
"check the output folder (permissions, free space)", "free space where the file goes" and "free
space where the output goes": ``EFBIG`` read as a full disk. Run through the real CLI under a
real limit (the child's soft ``RLIMIT_FSIZE``; Python ignores SIGXFSZ, so the write fails)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli

pytestmark = pytest.mark.slow

LIMIT = 102_400


def _limited(home: Path, args: list[str], stdout: object = subprocess.PIPE,
             module: bool = True) -> tuple[int, bytes, str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    done = subprocess.run([sys.executable, *(["-m", "autocodec"] if module else []), *args], env=env, stdout=stdout,
                          stderr=subprocess.PIPE, preexec_fn=cap, timeout=120)
    return done.returncode, done.stdout or b"", done.stderr.decode()


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    tmp = tmp_path_factory.mktemp("fsize")
    (tmp / "d").mkdir()
    (tmp / "d" / "f.bin").write_bytes(os.urandom(300_000))
    home = tmp / "home"
    one = run_cli(home, "add", "-Q", str(tmp / "d" / "f.bin")).stdout.decode().strip()
    tree = run_cli(home, "add", "-Q", "-r", str(tmp / "d")).stdout.decode().strip()
    return home, one, tree


def _says_the_limit(line: str) -> None:
    assert "OutputError" in line and "File too large (raise this process" in line, line
    assert f"file size limit of {LIMIT} bytes" in line and "ulimit -f" in line, line


@pytest.mark.parametrize("which", ["file", "folder"])
def test_get_output_names_the_limit(added: tuple[Path, str, str], tmp_path: Path, which: str) -> None:
    home, one, tree = added
    status, out, err = _limited(home, ["get", one if which == "file" else tree, "-o", str(tmp_path / "out")])
    assert out.decode().startswith("Saving file(s) to"), out  # as ipfs get says first, on stdout
    line = refusal_line(status, b"", err)
    _says_the_limit(line)
    assert "check the output folder (permissions, free space)" in line, line  # the rest kept


def test_a_whole_file_output_names_the_limit(added: tuple[Path, str, str], tmp_path: Path) -> None:
    home, one, _ = added
    status, out, err = _limited(home, ["car", "export", one, "-o", str(tmp_path / "out.car")])
    line = refusal_line(status, out, err)
    _says_the_limit(line)
    assert "choose another output path" in line, line
    assert not list(tmp_path.iterdir())  # nothing half-written left


def test_write_whole_names_the_limit(added: tuple[Path, str, str], tmp_path: Path) -> None:
    """``_partfiles.write_whole`` (``store.export_car_file``, ``registry.export_set`` to a path)."""
    home, one, _ = added
    code = ("import sys\nfrom autocodec import CID\nfrom autocodec.registry import Runtime\n"
            "from autocodec.store import export_car_file\nfrom autocodec.errors import OutputError\n"
            "with Runtime() as rt:\n    try:\n        export_car_file(rt.store, CID.parse(sys.argv[1]), sys.argv[2])\n"
            "    except OutputError as exc:\n        print(exc.message, '|', exc.hint)\n")
    status, out, err = _limited(home, ["-c", code, one, str(tmp_path / "out.car")], module=False)
    said = out.decode()
    assert status == 0 and "File too large | raise this process" in said, (said, err)
    assert f"file size limit of {LIMIT} bytes" in said and "free space where the file goes" in said, said
    assert not list(tmp_path.iterdir())


def test_standard_output_to_a_file_names_the_limit(added: tuple[Path, str, str], tmp_path: Path) -> None:
    home, one, _ = added
    with open(tmp_path / "out", "wb") as sink:
        status, _out, err = _limited(home, ["cat", one], stdout=sink)
    line = refusal_line(status, b"", err)
    _says_the_limit(line)
