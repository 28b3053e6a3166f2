"""The bao verifier module against the official Bao test vectors (../shared/bao, from the
reference implementation oconnor663/bao), through the library and the CLI.

Every official case is checked here: hash, combined encoding and outboard (the official BLAKE3
of each encoding, computed with the ``blake3`` package), decoding back, seeks, slices, and every
listed corruption refused (the library path for all of them; through the CLI every encode,
outboard and input corruption and each slice's first and last one, see the CLI tests).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec import bao
from autocodec.bao._tree import chunk_offset, slice_size
from autocodec.cli import main
from autocodec.errors import InvalidInput
from autocodec.loader import Sandbox
from autocodec.loader._vectors import bao_input, run_vectors
from autocodec.loader._verifier import Verifier

from .conftest import SHARED, WASM_SRC

blake3 = pytest.importorskip("blake3")  # the test extra pins it (pyproject)

VECTORS = SHARED / "bao" / "test_vectors.json"
WASM = WASM_SRC / "bao" / "bao.wasm"


def _official() -> dict[str, Any]:
    if not VECTORS.exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{VECTORS} is missing: CI has shared/ beside the clone")
        pytest.skip(f"{VECTORS} is absent (the official Bao vectors live in shared/bao)")
    doc: dict[str, Any] = json.loads(VECTORS.read_text())
    return doc


@pytest.fixture(scope="module")
def official() -> dict[str, Any]:
    return _official()


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load(WASM.read_bytes()))


def _b3(data: bytes) -> str:
    return str(blake3.blake3(data).hexdigest())


def _encode(v: Verifier, data: bytes, *, outboard: bool = False) -> tuple[bytes, bytes]:
    out = io.BytesIO()
    root = bao.encode(v, io.BytesIO(data), out, outboard=outboard)
    return root, out.getvalue()


def _decode(v: Verifier, root: bytes, src: bytes, **kw: Any) -> bytes:
    out = io.BytesIO()
    bao.decode(v, root, io.BytesIO(src), out.write, **kw)
    return out.getvalue()


def _flipped(data: bytes, offset: int) -> bytes:
    bad = bytearray(data)
    bad[offset] ^= 1
    return bytes(bad)


def test_input_generator_matches_the_readme() -> None:
    assert bao_input(10) == bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0])


# --- library ---------------------------------------------------------------------------------


def test_hash(official: dict[str, Any], verifier: Verifier) -> None:
    for case in official["hash"]:
        data = bao_input(case["input_len"])
        assert bao.bao_hash(verifier, io.BytesIO(data)).hex() == case["bao_hash"]
        assert _b3(data) == case["bao_hash"]  # Bao's root is BLAKE3's hash


def test_encode_decode_and_corruptions(official: dict[str, Any], verifier: Verifier) -> None:
    refused = 0
    for case in official["encode"]:
        data = bao_input(case["input_len"])
        root, enc = _encode(verifier, data)
        assert root.hex() == case["bao_hash"]
        assert len(enc) == case["output_len"] and _b3(enc) == case["encoded_blake3"]
        assert _decode(verifier, root, enc) == data
        for off in case["corruptions"]:
            with pytest.raises(bao.VerificationFailed):
                _decode(verifier, root, _flipped(enc, off))
            refused += 1
    assert refused == sum(len(c["corruptions"]) for c in official["encode"]) == 93


def test_outboard_and_corruptions(official: dict[str, Any], verifier: Verifier) -> None:
    for case in official["outboard"]:
        data = bao_input(case["input_len"])
        root, ob = _encode(verifier, data, outboard=True)
        assert root.hex() == case["bao_hash"]
        assert len(ob) == case["output_len"] and _b3(ob) == case["encoded_blake3"]
        assert _decode(verifier, root, data, outboard=io.BytesIO(ob)) == data
        for off in case["outboard_corruptions"]:
            with pytest.raises(bao.VerificationFailed):
                _decode(verifier, root, data, outboard=io.BytesIO(_flipped(ob, off)))
        for off in case["input_corruptions"]:
            with pytest.raises(bao.VerificationFailed):
                _decode(verifier, root, _flipped(data, off), outboard=io.BytesIO(ob))


def test_seek(official: dict[str, Any], verifier: Verifier) -> None:
    for case in official["seek"]:
        data = bao_input(case["input_len"])
        root, enc = _encode(verifier, data)
        _, ob = _encode(verifier, data, outboard=True)
        for at in case["seek_offsets"]:
            assert _decode(verifier, root, enc, start=at) == data[at:]
            assert _decode(verifier, root, data, start=at, outboard=io.BytesIO(ob)) == data[at:]


def test_slices_and_corruptions(official: dict[str, Any], verifier: Verifier) -> None:
    refused = 0
    for case in official["slice"]:
        data = bao_input(case["input_len"])
        root, enc = _encode(verifier, data)
        _, ob = _encode(verifier, data, outboard=True)
        for s in case["slices"]:
            start, count = s["start"], s["len"]
            out = io.BytesIO()
            bao.extract_slice(start, count, io.BytesIO(enc), out.write)
            piece = out.getvalue()
            assert len(piece) == s["output_len"] and _b3(piece) == s["output_blake3"]
            assert slice_size(start, count, case["input_len"]) == s["output_len"]  # serve's Content-Length
            from_outboard = io.BytesIO()
            bao.extract_slice(start, count, io.BytesIO(ob), from_outboard.write, data=io.BytesIO(data))
            assert from_outboard.getvalue() == piece
            assert _decode(verifier, root, piece, start=start, count=count, slice_input=True) == data[start:start + count]
            for off in s["corruptions"]:
                with pytest.raises(bao.VerificationFailed):
                    _decode(verifier, root, _flipped(piece, off), start=start, count=count, slice_input=True)
                refused += 1
    assert refused == sum(len(s["corruptions"]) for c in official["slice"] for s in c["slices"]) > 800


def test_truncated_and_wrong_hash_refused(verifier: Verifier) -> None:
    data = bao_input(5000)
    root, enc = _encode(verifier, data)
    for cut in (0, 7, 8, 72, len(enc) - 1):
        with pytest.raises(bao.VerificationFailed, match="ended"):
            _decode(verifier, root, enc[:cut])
    with pytest.raises(bao.VerificationFailed, match="does not match"):
        _decode(verifier, bytes(32), enc)


def test_module_vectors_pass_and_a_wrong_vector_fails(verifier: Verifier) -> None:
    from autocodec.builtin import decode

    loaded = Sandbox().load(WASM.read_bytes())
    doc = decode((WASM_SRC / "bao" / "vectors.json").read_bytes(), "dag-json")
    report = run_vectors(loaded, doc)
    assert report.ok and report.total == 13, report.failures
    doc["cases"][5]["hash"] = bytes(32)
    doc["cases"][7]["slices"][1]["corrupt"] = [0, 3]  # byte 3 of the length header: still refused
    doc["cases"][9]["encoded_sha256"] = hashlib.sha256(b"x").digest()
    bad = run_vectors(loaded, doc)
    assert bad.passed == 11 and "hash" in bad.failures[0] and "encoded" in bad.failures[1]


def _random(size: int, seed: int = 7) -> bytes:
    import random

    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("outboard", [False, True])
def test_corruption_at_90_percent_fails_at_that_chunk(verifier: Verifier, outboard: bool) -> None:
    """Bytes before the bad chunk all come out (verified), none after; the message names it."""
    data = _random(3 * 1024 * 1024 + 123)
    root, enc = _encode(verifier, data, outboard=outboard)
    at = int(len(data) * 0.9)
    chunk = at // 1024
    out = io.BytesIO()
    with pytest.raises(bao.VerificationFailed, match=f"chunk {chunk} "):
        if outboard:
            bao.decode(verifier, root, io.BytesIO(_flipped(data, at)), out.write, outboard=io.BytesIO(enc))
        else:
            # the chunk's place in the combined encoding: header + its parents before it + chunks
            combined_at = _combined_offset(len(data), at)
            bao.decode(verifier, root, io.BytesIO(_flipped(enc, combined_at)), out.write)
    assert out.getvalue() == data[: chunk * 1024]


def _combined_offset(length: int, content_offset: int) -> int:
    """Where content byte ``content_offset`` sits in the combined encoding (pre-order walk)."""
    from autocodec.bao._tree import chunk_count, left_chunks

    pos, first, n = 8, 0, chunk_count(length)
    target = content_offset // 1024
    while n > 1:
        pos += 64
        left = left_chunks(n)
        if target < first + left:
            n = left
        else:
            pos += left * 1024 + (left - 1) * 64
            first, n = first + left, n - left
    return pos + content_offset % 1024


def test_a_stream_of_pieces_of_any_size_decodes(verifier: Verifier) -> None:
    """Input arriving one byte at a time or in odd pieces gives the same verified bytes."""
    data = _random(9000)
    root, enc = _encode(verifier, data)

    class Trickle(io.RawIOBase):
        def __init__(self, blob: bytes, step: int) -> None:
            self._blob, self._pos, self._step = blob, 0, step

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            piece = self._blob[self._pos:self._pos + min(n if n >= 0 else self._step, self._step)]
            self._pos += len(piece)
            return piece

    for step in (1, 63, 1025):
        out = io.BytesIO()
        bao.decode(verifier, root, Trickle(enc, step), out.write)  # type: ignore[arg-type]
        assert out.getvalue() == data


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli(home: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def run(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(["bao", "--module", str(WASM), *args])
        captured = capsysbinary.readouterr()
        return code, captured.out, captured.err.decode()

    assert main(["init", "--no-default-set"]) == 0  # the module comes from --module here
    capsysbinary.readouterr()
    return run


def _cli_files(official: dict[str, Any], cli: Any, tmp_path: Path, n: int) -> tuple[bytes, Path, Path, Path]:
    data = bao_input(n)
    src, enc, ob = tmp_path / f"{n}.in", tmp_path / f"{n}.bao", tmp_path / f"{n}.obao"
    src.write_bytes(data)
    assert cli("encode", str(src), str(enc))[0] == 0
    assert cli("encode", str(src), "--outboard", str(ob))[0] == 0
    return data, src, enc, ob


def test_cli_official_vectors(official: dict[str, Any], cli: Any, tmp_path: Path) -> None:
    """hash (file and stdin), encode (file and pipe), outboard and decode of every official
    case; every encode, outboard and input corruption refused with exit status 1 and only
    verified bytes written."""
    for case in official["encode"]:
        n, h = case["input_len"], case["bao_hash"]
        data, src, enc, ob = _cli_files(official, cli, tmp_path, n)
        code, out, _ = cli("hash", str(src))
        assert code == 0 and out.decode().strip() == h
        code, out, _ = cli("hash", stdin=data)
        assert code == 0 and out.decode().strip() == h
        assert _b3(enc.read_bytes()) == case["encoded_blake3"]
        code, piped, _ = cli("encode", "-", "-", stdin=data)  # stdout is a pipe: spooled
        assert code == 0 and piped == enc.read_bytes()
        ob_case = next(c for c in official["outboard"] if c["input_len"] == n)
        assert _b3(ob.read_bytes()) == ob_case["encoded_blake3"]
        code, out, _ = cli("decode", h, str(enc))
        assert code == 0 and out == data
        code, out, _ = cli("decode", h, stdin=enc.read_bytes())
        assert code == 0 and out == data
        code, out, _ = cli("decode", h, str(src), "--outboard", str(ob))
        assert code == 0 and out == data
        bad = tmp_path / "bad"
        for off in case["corruptions"]:
            bad.write_bytes(_flipped(enc.read_bytes(), off))
            code, out, err = cli("decode", h, str(bad))
            assert code == 1 and "VerificationFailed" in err and data.startswith(out), (n, off, err)
        for off in ob_case["outboard_corruptions"]:
            bad.write_bytes(_flipped(ob.read_bytes(), off))
            code, out, err = cli("decode", h, str(src), "--outboard", str(bad))
            assert code == 1 and "VerificationFailed" in err and data.startswith(out)
        for off in ob_case["input_corruptions"]:
            bad.write_bytes(_flipped(data, off))
            code, out, err = cli("decode", h, str(bad), "--outboard", str(ob))
            assert code == 1 and "VerificationFailed" in err and data.startswith(out)


@pytest.mark.slow  # ~600 CLI runs in process: every official seek offset and slice
def test_cli_official_seeks_and_slices(official: dict[str, Any], cli: Any, tmp_path: Path) -> None:
    """decode --start of every seek offset; slice (from the combined encoding and from the
    outboard) and decode-slice of every official slice; each slice's first and last listed
    corruption refused through the CLI (all of them through the library above)."""
    for case in official["slice"]:
        n, h = case["input_len"], case["bao_hash"]
        data, src, enc, ob = _cli_files(official, cli, tmp_path, n)
        seek = next(c for c in official["seek"] if c["input_len"] == n)
        for at in seek["seek_offsets"]:
            code, out, _ = cli("decode", h, str(enc), "--start", str(at))
            assert code == 0 and out == data[at:]
        for s in case["slices"]:
            start, count = str(s["start"]), str(s["len"])
            code, piece, _ = cli("slice", start, count, str(enc))
            assert code == 0 and _b3(piece) == s["output_blake3"]
            code, piece2, _ = cli("slice", start, count, str(src), "--outboard", str(ob))
            assert code == 0 and piece2 == piece
            want = data[s["start"]:s["start"] + s["len"]]
            code, out, _ = cli("decode-slice", h, start, count, stdin=piece)
            assert code == 0 and out == want
            for off in {s["corruptions"][0], s["corruptions"][-1]}:
                code, out, _ = cli("decode-slice", h, start, count, stdin=_flipped(piece, off))
                assert code == 1 and want.startswith(out)


def test_cli_bad_arguments_are_one_line(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli("decode", "00" * 32, str(tmp_path / "missing"))
    assert code != 0 and err.count("\n") == 1 and "cannot read" in err
    src = tmp_path / "x"
    src.write_bytes(b"abc")
    code, _, err = cli("encode", str(src))
    assert code != 0 and "OUTPUT or --outboard" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        cli("decode", "zz")
    assert exc.value.code == 1  # a usage error, as Kubo 0.43.1


def test_cli_offsets_read_as_the_reference_reads_them(cli: Any, tmp_path: Path) -> None:
    """The reference tool reads START and COUNT as Rust's u64 does: decimal, leading zeros
    allowed; a ``0x`` prefix is this CLI's extension; past 2^64-1 is a usage error."""
    src, enc = tmp_path / "src", tmp_path / "enc"
    data = bytes(range(256)) * 40
    src.write_bytes(data)
    assert cli("encode", str(src), str(enc))[0] == 0
    _, h, _ = cli("hash", str(src))
    h = h.split()[0].decode()
    for start, count in (("007", "0010"), ("0x7", "0xa"), ("0" * 5000 + "7", "10")):
        code, out, _ = cli("decode", h, str(enc), "--start", start, "--count", count)
        assert code == 0 and out == data[7:17], (start[:8], count)
    assert cli("encode", str(src), "--outboard", str(tmp_path / "ob4"), "--group-log", "04")[0] == 0
    for too_big in ("18446744073709551616", "0" * 3 + "9" * 21, "1" * 5000, "0x1" + "0" * 16):
        with pytest.raises(SystemExit) as exc:
            cli("decode", h, str(enc), "--start", too_big)
        assert exc.value.code == 1


def test_cli_decode_keeps_only_verified_bytes(cli: Any, tmp_path: Path) -> None:
    """A stream (stdout) gets the bytes verified before the bad chunk; a file OUTPUT is put in
    place only when the whole content verified, so a failed decode leaves none (a prefix under
    the name asked for would look like the file)."""
    data = _random(200_000, seed=3)
    src, enc, out = tmp_path / "in", tmp_path / "in.bao", tmp_path / "out"
    src.write_bytes(data)
    assert cli("encode", str(src), str(enc))[0] == 0
    h = cli("hash", str(src))[1].decode().strip()
    at = int(len(data) * 0.9)
    bad = bytearray(enc.read_bytes())
    bad[_combined_offset(len(data), at)] ^= 0x80
    enc.write_bytes(bytes(bad))
    code, stdout, err = cli("decode", h, str(enc))
    assert code == 1 and f"chunk {at // 1024} " in err
    assert stdout == data[: (at // 1024) * 1024]
    code, _, err = cli("decode", h, str(enc), str(out))
    assert code == 1 and f"chunk {at // 1024} " in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "in", "in.bao"]


def test_default_set_resolves_verifier_bao(home: Path, tmp_path: Path,
                                           capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """``autocodec resolve verifier bao`` finds the module in the shipped default set, and the
    CLI uses it with no --module (the set is rebuilt from wasm-src by tools/make_default_set.py)."""
    assert main(["init"]) == 0
    capsysbinary.readouterr()
    assert main(["resolve", "verifier", "bao"]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert "verifier bao: extension" in out and "pinned-set" in out
    data = tmp_path / "data"
    data.write_bytes(bao_input(5000))
    assert main(["bao", "hash", str(data)]) == 0
    assert capsysbinary.readouterr().out.decode().strip() == _b3(bao_input(5000))


@pytest.mark.parametrize("size", [256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 3 * 256 * 1024 + 10,
                                  4 * 256 * 1024, 5 * 1024 * 1024 + 3])
def test_encodings_across_group_boundaries(verifier: Verifier, size: int) -> None:
    """Past the official vectors' 13 chunks: the encoder's 256-chunk groups and the host's flip
    give encodings that the node-by-node verifier accepts in full (every parent, every chunk)
    under BLAKE3's hash, and slices of them that verify on their own."""
    data = _random(size, seed=size)
    want = blake3.blake3(data).digest()
    for outboard in (False, True):
        root, enc = _encode(verifier, data, outboard=outboard)
        assert root == want
        src, kw = (data, {"outboard": io.BytesIO(enc)}) if outboard else (enc, {})
        assert _decode(verifier, root, src, **kw) == data
        assert len(enc) == 8 + (-(-size // 1024) - 1) * 64 + (0 if outboard else size)
    _, enc = _encode(verifier, data)
    start, count = size // 3, 300_000
    out = io.BytesIO()
    bao.extract_slice(start, count, io.BytesIO(enc), out.write)
    assert _decode(verifier, want, out.getvalue(), start=start, count=count, slice_input=True) == data[start:start + count]


@pytest.mark.parametrize("outboard", [False, True])
def test_encode_from_a_file_puts_pieces_in_place(verifier: Verifier, tmp_path: Path, outboard: bool) -> None:
    """From a regular file (length known) every piece the encoder emits is written at its final
    offset; the bytes equal the stream path's (written, then flipped to pre-order)."""
    group = 256 * 1024
    for n in (0, 1, 1024, 1025, group - 1, group, group + 1, 2 * group, 3 * group + 5, 4 * group, 5 * group + 1023):
        data = _random(n)
        src = tmp_path / "in.bin"
        src.write_bytes(data)
        streamed = io.BytesIO()
        root = bao.encode(verifier, io.BytesIO(data), streamed, outboard=outboard)
        with open(src, "rb") as f, open(tmp_path / "out.enc", "w+b") as out:
            assert bao.encode(verifier, f, out, outboard=outboard) == root == blake3.blake3(data).digest()
        assert (tmp_path / "out.enc").read_bytes() == streamed.getvalue(), n
        seeking = io.BytesIO()  # no descriptor: placed by seeking instead of pwrite
        with open(src, "rb") as f:
            bao.encode(verifier, f, seeking, outboard=outboard)
        assert seeking.getvalue() == streamed.getvalue(), n


class _FailingReader(io.RawIOBase):
    """A stream that gives ``good`` bytes, then fails as a dying disk or connection would."""

    def __init__(self, data: bytes, good: int) -> None:
        self.data, self.good, self.at = data, good, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.at >= self.good:
            raise OSError(5, "Input/output error")
        n = min(len(b), self.good - self.at)
        b[:n] = self.data[self.at : self.at + n]
        self.at += n
        return n


@pytest.mark.parametrize("path", ["stream", "tiles"])
def test_a_failed_encode_leaves_the_file_as_long_as_before(verifier: Verifier, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """The encoding's whole room is reserved up front (tiles) or written as it comes (a stream):
    either way a failure cuts the output back to its length before, so nothing that looks like
    a whole encoding is left; the bytes before the encoding's start are kept."""
    from autocodec.bao import _tiles

    data = _random(4 << 20)  # four tiles of 1024 chunks
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    if path == "tiles":
        monkeypatch.setattr(_tiles, "workers", lambda: 2)  # tiled on a one-CPU machine too
        real = _tiles.encode_fd

        def failing(*args: Any, **kw: Any) -> bytes:
            real(*args, **kw)
            raise OSError(28, "No space left on device")  # after every tile was written

        monkeypatch.setattr(_tiles, "encode_fd", failing)
    out_path = tmp_path / "out.bao"
    out_path.write_bytes(b"kept" * 25)
    with open(out_path, "r+b") as out:
        out.seek(100)
        with pytest.raises(OSError):
            if path == "tiles":
                with open(src, "rb") as f:
                    bao.encode(verifier, f, out)
            else:
                bao.encode(verifier, _FailingReader(data, 1 << 20), out)
    assert out_path.read_bytes() == b"kept" * 25


def test_verified_views_never_outlive_guest_memory(verifier: Verifier, tmp_path: Path) -> None:
    """Pieces are views of the guest's input (valid until the next piece); one kept past the
    stream's end keeps the instance's memory alive instead of pointing into freed memory."""
    import gc

    data = _random(3 * 1024 * 1024 + 11)
    root, enc = _encode(verifier, data)
    path = tmp_path / "x.bao"
    path.write_bytes(enc)
    with open(path, "rb") as f:
        pieces = list(bao.iter_decode(verifier, root, f))
    gc.collect()
    assert sum(len(p) for p in pieces) == len(data)
    assert all(bytes(p[:16]) is not None for p in pieces)  # readable: the memory is still mapped
    with open(path, "rb") as f:  # copied as they come, they are the content
        assert b"".join(bytes(p) for p in bao.iter_decode(verifier, root, f)) == data


@pytest.mark.parametrize("held", [True, False])
def test_both_protocols_agree(verifier: Verifier, monkeypatch: pytest.MonkeyPatch, held: bool) -> None:
    """The held-outboard protocol (``ac_vfy_tree``/``ac_vfy_data``, ranges) and the one-frame
    ``ac_vfy_update`` that older bao modules have give the same bytes and the same refusals, in
    every mode; the host picks the frame one when a module lacks the pair."""
    from autocodec.loader import _verifier

    if not held:
        original = _verifier.DecodeStream.__init__

        def frame_only(self: Any, *args: Any, **kw: Any) -> None:
            original(self, *args, **{**kw, "ranges": False})  # as a module without the pair is set up
            self.held_tree = False

        monkeypatch.setattr(_verifier.DecodeStream, "__init__", frame_only)
    for n in (0, 1, 1024, 1025, 300_001, 1_100_000):
        data = _random(n, seed=n)
        root, enc = _encode(verifier, data)
        _, ob = _encode(verifier, data, outboard=True)
        assert _decode(verifier, root, enc) == data
        assert _decode(verifier, root, data, outboard=io.BytesIO(ob)) == data
        start, count = n // 3, n // 2 + 1
        assert _decode(verifier, root, enc, start=start, count=count) == data[start:start + count]
        piece = io.BytesIO()
        bao.extract_slice(start, count, io.BytesIO(enc), piece.write)
        assert _decode(verifier, root, piece.getvalue(), start=start, count=count, slice_input=True) == \
            data[start:start + count]
        if n > 2048:
            at = (n * 9 // 10) // 1024
            bad = bytearray(enc)
            bad[chunk_offset(at, n)] ^= 1
            out = io.BytesIO()
            with pytest.raises(bao.VerificationFailed, match=f"chunk {at} "):
                bao.decode(verifier, root, io.BytesIO(bytes(bad)), out.write)
            assert out.getvalue() == data[:at * 1024]


def test_an_appending_output_is_spooled_or_refused(verifier: Verifier, tmp_path: Path) -> None:
    """Writes to an appending file (mode "a", or O_APPEND as a shell's ``>>`` sets) land at its
    end whatever the position: ``encode_to`` spools through a temporary file and appends the
    whole encoding in order; ``encode``, which writes out of order, refuses it."""
    data = _random(700_000)
    _, want = _encode(verifier, data)
    src, out = tmp_path / "in.bin", tmp_path / "out.bao"
    src.write_bytes(data)
    out.write_bytes(b"HEAD")
    with open(src, "rb") as f, open(out, "ab") as o:
        bao.encode_to(verifier, f, o)
    assert out.read_bytes() == b"HEAD" + want
    fd = os.open(out, os.O_WRONLY | os.O_APPEND)
    with open(src, "rb") as f, os.fdopen(fd, "wb") as o:  # mode "wb", but the descriptor appends
        bao.encode_to(verifier, f, o)
    assert out.read_bytes() == b"HEAD" + want + want
    with open(src, "rb") as f, open(out, "ab") as o, pytest.raises(InvalidInput, match="not appending"):
        bao.encode(verifier, f, o)
