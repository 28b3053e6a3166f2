"""Issue 16, case 11: codes past what an unsigned varint holds (2^63 - 1) and over-long code
text are a typed ``UnknownCodec``/``UnknownHash`` with a one-line message, never a ValueError
(the spec caps varints at 9 bytes: github.com/multiformats/unsigned-varint)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.codes import MAX_CODE, codec_code, hash_code
from autocodec.errors import UnknownCodec, UnknownHash
from tests._cli import run_cli

HUGE = ["0x" + "f" * 40, "0x" + "f" * 5000, "9" * 5000, "0x8000000000000000", 1 << 63, 1 << 70, -1]


@pytest.mark.parametrize("value", HUGE, ids=lambda v: str(v)[:24])
def test_out_of_range_codes_are_typed(value: str | int) -> None:
    started = time.monotonic()
    with pytest.raises(UnknownCodec) as info:
        codec_code(value)
    assert len(info.value.one_line()) < 200
    with pytest.raises(UnknownHash):
        hash_code(value)
    assert time.monotonic() - started < 0.5


def test_largest_code_is_accepted() -> None:
    assert codec_code(f"0x{MAX_CODE:x}") == MAX_CODE
    assert codec_code(str(MAX_CODE)) == MAX_CODE
    with pytest.raises(UnknownCodec):
        builtin.cid_for(b"x", MAX_CODE + 1)


@pytest.mark.parametrize("args", [
    ("block", "put", "--codec", "0x" + "f" * 40),
    ("block", "put", "--hash", "0x" + "f" * 40),
    ("resolve", "codec", "0x" + "f" * 5000),
])
def test_cli_prints_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "home", *args, check=False, stdin=b"hi\n")
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "code" in err and len(err) < 300
