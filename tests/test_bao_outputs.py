"""Bao outputs closed in the middle of a call, and the names Bao's errors give their streams.

A source closed midway is ``InvalidInput`` (tests/test_api_leftovers.py); each test here failed on
the code before its fix: an output closed midway gave io's raw ``ValueError``, and sources were
named "the input stream" or read past the guard.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec import bao
from autocodec.errors import InvalidInput
from autocodec.loader import Sandbox
from autocodec.loader._verifier import Verifier

from ._cli import refusal_line, run_cli
from ._closing_stream import ClosesAfter as _ReadsThenCloses
from .conftest import WASM_SRC

_DATA = bytes(range(256)) * 600  # 150 chunks: one stream, no tiles
_MIDWAY = "was closed while the call was"


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load((WASM_SRC / "bao" / "bao.wasm").read_bytes()))


class _WritesThenCloses(io.BytesIO):
    """An output its owner closes after ``writes`` writes."""

    def __init__(self, writes: int) -> None:
        super().__init__()
        self.writes = writes

    def write(self, data: Any, /) -> int:
        self.writes -= 1
        if self.writes < 0:
            self.close()
        return super().write(data)


@pytest.mark.parametrize("outboard", [False, True])
@pytest.mark.parametrize("writes", [0, 1, 3])
def test_an_encode_output_closed_midway_is_invalid_input_naming_it(verifier: Verifier, outboard: bool,
                                                                    writes: int) -> None:
    # A stream source (no known length): header, pieces, then the flip to pre-order.
    with pytest.raises(InvalidInput) as err:
        bao.encode(verifier, _ReadsThenCloses(_DATA, 10**6), _WritesThenCloses(writes), outboard=outboard)
    assert err.value.message.startswith("encode's output needs an open file object"), err.value.message
    assert f"{_MIDWAY} writing to it" in err.value.message


def test_an_encode_output_closed_midway_from_a_regular_file_is_invalid_input(verifier: Verifier,
                                                                              tmp_path: Path) -> None:
    # A regular file source: the length is known and the Placer writes each piece in its place.
    src = tmp_path / "in"
    src.write_bytes(_DATA)
    with open(src, "rb") as f, pytest.raises(InvalidInput, match=f"encode's output .*{_MIDWAY} writing"):
        bao.encode(verifier, f, _WritesThenCloses(1))  # the header, then the pieces


def test_a_decode_write_to_a_file_closed_midway_is_invalid_input(verifier: Verifier) -> None:
    encoded = io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(_DATA), encoded)
    out = _WritesThenCloses(0)  # closed after the call began, before its one piece
    with pytest.raises(InvalidInput) as err:
        bao.decode(verifier, root, io.BytesIO(encoded.getvalue()), out.write)
    assert err.value.message.startswith("decode's write needs an open file object"), err.value.message
    assert f"{_MIDWAY} writing to it" in err.value.message


def test_a_decode_write_that_fails_otherwise_keeps_its_own_error(verifier: Verifier) -> None:
    encoded = io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(_DATA), encoded)

    def full(_: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        bao.decode(verifier, root, io.BytesIO(encoded.getvalue()), full)


@pytest.mark.parametrize("entry", ["bao_hash", "encode", "decode", "decode outboard", "decode header",
                                   "decode outboard header"])
def test_a_source_closed_midway_is_named_by_its_entry(verifier: Verifier, entry: str) -> None:
    # bao_hash, encode and the combined decode called it "the input stream"; the outboard read
    # through _Prefixed was "could not be read: I/O operation on closed file"; the header read
    # (reads=0) was io's raw ValueError.
    encoded, outboard = io.BytesIO(), io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(_DATA), encoded)
    bao.encode(verifier, io.BytesIO(_DATA), outboard, outboard=True)
    enc, ob = encoded.getvalue(), outboard.getvalue()
    calls = {
        "bao_hash": ("bao_hash", lambda: bao.bao_hash(verifier, _ReadsThenCloses(_DATA, 1))),
        "encode": ("encode", lambda: bao.encode(verifier, _ReadsThenCloses(_DATA, 1), io.BytesIO())),
        "decode": ("decode", lambda: bao.decode(verifier, root, _ReadsThenCloses(enc, 2), len)),
        "decode outboard": ("decode's outboard",
                            lambda: bao.decode(verifier, root, io.BytesIO(_DATA), len,
                                               outboard=_ReadsThenCloses(ob, 1))),
        "decode header": ("decode", lambda: bao.decode(verifier, root, _ReadsThenCloses(enc, 0), len)),
        "decode outboard header": ("decode's outboard",
                                   lambda: bao.decode(verifier, root, io.BytesIO(_DATA), len,
                                                      outboard=_ReadsThenCloses(ob, 0))),
    }
    name, call = calls[entry]
    with pytest.raises(InvalidInput) as err:
        call()
    assert err.value.message == f"{name} needs an open file object, and this one {_MIDWAY} reading it"


# --- the CLI's bao commands writing to a full standard output -------------------------------------


@pytest.mark.slow
def test_bao_commands_name_a_full_standard_output(tmp_path: Path) -> None:
    # decode, decode-slice, slice, bao cat and cat of a BLAKE3 CID said "OSError: No space left
    # on device", where bao hash and bao encode - name standard output (streaming_stdout).
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    home, content = tmp_path / "home", tmp_path / "in.bin"
    content.write_bytes(_DATA)
    run_cli(home, "init")
    digest = run_cli(home, "bao", "hash", str(content)).stdout.decode().strip()
    run_cli(home, "bao", "encode", str(content), str(tmp_path / "in.bao"))
    run_cli(home, "bao", "slice", "1000", "5000", str(tmp_path / "in.bao"), str(tmp_path / "in.slice"))
    cid = run_cli(home, "bao", "add", str(content)).stdout.decode().strip()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    for args in (["bao", "decode", digest, str(tmp_path / "in.bao")],
                 ["bao", "slice", "1000", "5000", str(tmp_path / "in.bao")],
                 ["bao", "decode-slice", digest, "1000", "5000", str(tmp_path / "in.slice")],
                 ["bao", "cat", cid], ["cat", cid]):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, stdout=full,
                                  stderr=subprocess.PIPE, timeout=120)
        line = refusal_line(proc.returncode, b"", proc.stderr.decode())
        assert "OutputError: cannot write standard output: No space left on device" in line, (args, line)


@pytest.mark.parametrize("size", [len(_DATA), 48 << 20], ids=["one-stream", "tiles"])
def test_encode_never_writes_a_file_that_took_its_outputs_descriptor_number(
        verifier: Verifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """The output's descriptor closed under the call (another thread) and its number reused by
    a file opened meanwhile: the encoding's positional writes went to that other file. They go
    through a descriptor the call holds itself (``_held``): the other file stays empty."""
    from autocodec.bao import _stream

    content = (_DATA * (size // len(_DATA) + 1))[:size]
    src = tmp_path / "content.bin"
    src.write_bytes(content)
    victim = tmp_path / "victim"
    real_reserve = _stream.reserve
    taken: list[int] = []

    def close_and_reuse(fd: int, base: int, size: int) -> None:
        real_reserve(fd, base, size)
        number = out.fileno()
        os.close(number)  # as another thread closing it would
        again = os.open(victim, os.O_RDWR | os.O_CREAT, 0o600)
        taken.append(again)
        assert again == number  # the lowest free number: the output's

    monkeypatch.setattr(_stream, "reserve", close_and_reuse)
    with open(src, "rb") as f, open(tmp_path / "enc.bao", "wb") as out:
        root = bao.encode(verifier, f, out)
        out.flush()
        os.close(taken[0])  # the victim's descriptor; ``out`` closing it again is EBADF, suppressed below
        out.close = lambda: None  # type: ignore[method-assign]
    assert victim.read_bytes() == b""  # was: the encoding's pieces, written over this file
    decoded = io.BytesIO()
    with open(tmp_path / "enc.bao", "rb") as enc:
        bao.decode(verifier, root, enc, decoded.write)
    assert decoded.getvalue() == content
