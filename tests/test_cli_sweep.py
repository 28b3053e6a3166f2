"""A sweep of every command under hostile arguments: values of the wrong kind, empty and
special paths, outputs that cannot be written. Each refusal is a non-zero exit (2 for a usage
error, 1 otherwise) with one ``autocodec:`` line on stderr (argparse's usage and one ``error:``
line for a usage error), no traceback, nothing on stdout and no output file left behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests._cli import run_cli


def _refused(proc: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    """The one line (the last, for a usage error) a refusal printed; asserts its shape."""
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == code, err
    assert "Traceback" not in err and proc.stdout == b"", err
    lines = err.splitlines()
    if code == 2:
        assert lines[0].startswith("usage:") and ": error: " in lines[-1], err
    else:
        assert len(lines) == 1 and lines[0].startswith("autocodec: "), err
    return lines[-1]


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    run_cli(home, "init")
    return home


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    path = tmp_path / "content.bin"
    path.write_bytes(b"hello\n")
    return path


# --- bao ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["x", "", "1.5", "\udcff"])
@pytest.mark.parametrize("where", ["--start", "START", "COUNT"])
def test_bao_offsets_that_are_not_numbers_are_named(home: Path, tmp_path: Path, value: str, where: str) -> None:
    digest = "00" * 32
    args = {"--start": ["decode", "--start", value, digest, "in.bao", "out.bin"],
            "START": ["slice", value, "1", "in.bao", "out.bin"],
            "COUNT": ["decode-slice", digest, "0", value, "in.bao", "out.bin"]}[where]
    line = _refused(run_cli(home, "bao", *args, check=False), code=2)
    assert "is not a whole number of bytes" in line and "_count" not in line


def test_bao_encode_to_an_empty_outboard_path_is_refused(home: Path, content: Path) -> None:
    line = _refused(run_cli(home, "bao", "encode", "--outboard", "", str(content), check=False))
    assert "output path is empty" in line


@pytest.mark.parametrize("command", ["slice", "decode"])
def test_bao_an_empty_outboard_input_is_refused_not_ignored(home: Path, tmp_path: Path, content: Path,
                                                            command: str) -> None:
    """``--outboard ""`` was read as no outboard: INPUT (the content) was parsed as an encoding."""
    outboard = tmp_path / "content.obao"
    run_cli(home, "bao", "encode", "--outboard", str(outboard), str(content))
    digest = run_cli(home, "bao", "hash", str(content)).stdout.decode().strip()
    out = tmp_path / "out.bin"
    head = ["slice", "0", "6"] if command == "slice" else ["decode", digest]
    line = _refused(run_cli(home, "bao", *head, "--outboard", "", str(content), str(out), check=False))
    assert "input path is empty" in line
    assert not out.exists()
