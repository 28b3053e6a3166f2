"""Bao with chunk groups (Iroh's bao-tree format): the bao module and the host against vectors
made by the bao-tree crate itself (fixtures/bao-groups, tools/bao-groups-vectors).

The vectors give bao-tree's bytes without the 8-byte length header; ours carry it (the Bao
format's header, what iroh-blobs sends ahead of a response), so every comparison drops it.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import blake3
import pytest

from autocodec import bao
from autocodec.bao import _tiles
from autocodec.cli import main
from autocodec.errors import GuestError, InvalidInput
from autocodec.loader import Sandbox
from autocodec.loader._verifier import MODE_COMBINED, Subtree, Verifier

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "wasm-src" / "bao" / "bao.wasm"
VECTORS = ROOT / "fixtures" / "bao-groups" / "vectors.json"
PARENT, HEADER = 64, 8


def _input(n: int) -> bytes:
    """The vectors' content: byte i is i % 251."""
    return bytes(i % 251 for i in range(n))


def _b3(data: bytes | bytearray) -> str:
    return str(blake3.blake3(bytes(data)).hexdigest())


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load(WASM.read_bytes()))


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(VECTORS.read_text())
    assert doc["source"].startswith("bao-tree ") and len(doc["cases"]) == 63
    return doc


def _encode(verifier: Verifier, data: bytes, g: int, tmp_path: Path, *, outboard: bool = False) -> bytes:
    """Encoded from a regular file (its length known: pieces placed, tiles when big enough)."""
    src, dst = tmp_path / "content", tmp_path / "encoded"
    src.write_bytes(data)
    with open(src, "rb") as f, open(dst, "w+b") as out:
        bao.encode(verifier, f, out, outboard=outboard, group_log=g)
    return dst.read_bytes()


def _decoded(verifier: Verifier, root: bytes, src: bytes, g: int, **kw: Any) -> tuple[bytes, str | None]:
    """What ``decode`` wrote and its failure message, if any."""
    out = bytearray()
    try:
        bao.decode(verifier, root, io.BytesIO(src), out.extend, group_log=g, **kw)
    except bao.VerificationFailed as exc:
        return bytes(out), exc.message
    return bytes(out), None


def test_max_group_log(verifier: Verifier) -> None:
    assert verifier.max_group_log == 8


def test_vectors_encode_decode(verifier: Verifier, vectors: dict[str, Any], tmp_path: Path) -> None:
    """Every case: the root is BLAKE3, the combined and outboard encodings are bao-tree's bytes
    (from a file and from a stream of unknown length), and both decode to the content."""
    for case in vectors["cases"]:
        g, n = case["group_log"], case["len"]
        data = _input(n)
        enc = _encode(verifier, data, g, tmp_path)
        ob = _encode(verifier, data, g, tmp_path, outboard=True)
        assert enc[:HEADER] == ob[:HEADER] == n.to_bytes(8, "little")
        assert (len(enc) - HEADER, _b3(enc[HEADER:])) == (case["encoded_len"], case["encoded_blake3"]), (g, n)
        assert (len(ob) - HEADER, _b3(ob[HEADER:])) == (case["outboard_len"], case["outboard_blake3"]), (g, n)
        piped = io.BytesIO()
        root = bao.encode(verifier, io.BytesIO(data), piped, group_log=g)  # length unknown: flipped after
        assert root.hex() == case["hash"] and piped.getvalue() == enc
        assert _decoded(verifier, root, enc, g) == (data, None)
        out = bytearray()
        bao.decode(verifier, root, io.BytesIO(data), out.extend, outboard=io.BytesIO(ob), group_log=g)
        assert out == data


def test_vectors_slices(verifier: Verifier, vectors: dict[str, Any], tmp_path: Path) -> None:
    """Every slice is bao-tree's range encoding (a group the range covers in part goes down
    to its chunks), from the combined encoding and from content + outboard, and verifies."""
    for case in vectors["cases"]:
        g, n = case["group_log"], case["len"]
        data = _input(n)
        enc = _encode(verifier, data, g, tmp_path)
        ob = _encode(verifier, data, g, tmp_path, outboard=True)
        root = bytes.fromhex(case["hash"])
        for sl in case["slices"]:
            start, count = sl["start_chunk"] * 1024, (sl["end_chunk"] - sl["start_chunk"]) * 1024
            pieces = bytearray()
            bao.extract_slice(start, count, io.BytesIO(enc), pieces.extend, leaf=1 << g, verifier=verifier)
            assert (len(pieces) - HEADER, _b3(pieces[HEADER:])) == (sl["len"], sl["blake3"]), (g, n, sl)
            apart = bytearray()
            bao.extract_slice(start, count, io.BytesIO(ob), apart.extend, data=io.BytesIO(data), leaf=1 << g,
                              verifier=verifier)
            assert apart == pieces
            got = _decoded(verifier, root, bytes(pieces), g, start=start, count=count, slice_input=True)
            assert got == (data[start:start + count], None), (g, n, sl)


def _nodes(n: int, g: int) -> list[tuple[bool, int, int]]:
    """Pre-order of a group encoding: (is_parent, offset after the header, first chunk)."""
    leaf, out, pos = 1 << g, [], 0
    stack = [(0, max(1, -(-n // 1024)))]
    while stack:
        first, m = stack.pop()
        if m <= leaf:
            out.append((False, pos, first))
            pos += min(n, (first + m) * 1024) - first * 1024
            continue
        out.append((True, pos, first))
        pos += PARENT
        left = 1 << ((m - 1).bit_length() - 1)
        stack += [(first + left, m - left), (first, left)]
    return out


@pytest.mark.parametrize(("n", "g"), [(100000, 2), (100000, 4), (4097, 4), (16385, 4), (49153, 8)])
def test_every_node_corrupted_is_refused(verifier: Verifier, tmp_path: Path, n: int, g: int) -> None:
    """A flipped bit in the header, any parent or any leaf (its first and last byte) is refused,
    with only the leaves before it written, naming the node; outboard corruptions too."""
    data = _input(n)
    enc = _encode(verifier, data, g, tmp_path)
    ob = _encode(verifier, data, g, tmp_path, outboard=True)
    root = blake3.blake3(data).digest()
    for is_parent, at, first in _nodes(n, g):
        size = PARENT if is_parent else min(n, first * 1024 + (1024 << g)) - first * 1024
        for off in {at, at + size - 1}:
            bad = bytearray(enc)
            bad[HEADER + off] ^= 1
            out, message = _decoded(verifier, root, bytes(bad), g)
            assert message is not None, (is_parent, off)
            assert data.startswith(out) and len(out) <= first * 1024, (is_parent, off, len(out))
            what = "parent node over chunk" if is_parent else ("chunk group from chunk" if g else "chunk")
            assert f"{what} " in message, message
            if not is_parent:
                assert len(out) == first * 1024 and f"chunk {first} " in message
    for k in range(HEADER, len(ob), PARENT):
        bad = bytearray(ob)
        bad[k] ^= 0x80
        out = bytearray()
        with pytest.raises(bao.VerificationFailed):
            bao.decode(verifier, root, io.BytesIO(data), out.extend, outboard=io.BytesIO(bytes(bad)), group_log=g)
        assert data.startswith(out)
    header = bytearray(enc)
    header[0] ^= 1
    assert _decoded(verifier, root, bytes(header), g)[1] is not None


def test_slice_corruption_refused(verifier: Verifier, tmp_path: Path) -> None:
    """Every node of a slice that crosses a partly covered group (parents inside it) matters
    (the header's low bits need not: as in Bao, a slice authenticates the length only as far
    as its path depends on it)."""
    n, g = 100000, 4
    data = _input(n)
    enc = _encode(verifier, data, g, tmp_path)
    root = blake3.blake3(data).digest()
    pieces = bytearray()
    bao.extract_slice(40000, 3000, io.BytesIO(enc), pieces.extend, leaf=16, verifier=verifier)
    assert _decoded(verifier, root, bytes(pieces), g, start=40000, count=3000, slice_input=True)[0] == data[40000:43000]
    for off in range(HEADER, len(pieces), 97):
        bad = bytearray(pieces)
        bad[off] ^= 4
        out, message = _decoded(verifier, root, bytes(bad), g, start=40000, count=3000, slice_input=True)
        assert message is not None and data[40000:43000].startswith(out), off


def test_tiles_with_groups(verifier: Verifier, tmp_path: Path) -> None:
    """Several threads encode and verify group encodings as one stream does, and a corrupt
    leaf in a later tile fails there with the one-stream message."""
    n, g = 5 * 1024 * 1024 + 4097, 4
    data = _input(n)
    assert _tiles.plan(n, 2) is not None
    enc = _encode(verifier, data, g, tmp_path)  # tiled: a regular file of known length
    piped = io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(data), piped, group_log=g)  # one stream
    assert piped.getvalue() == enc and root == blake3.blake3(data).digest()
    path = tmp_path / "enc"
    at = HEADER + n - 3000  # in the last tile's content... near the end of the encoding
    bad = bytearray(enc)
    bad[at] ^= 1
    path.write_bytes(bad)
    results = []
    for threads in (1, 2):
        out = bytearray()
        with open(path, "rb") as f:
            try:
                for piece in bao.iter_decode(verifier, root, f, threads=threads, group_log=g):
                    out.extend(piece)
            except bao.VerificationFailed as exc:
                results.append((bytes(out), exc.message))
    assert len(results) == 2 and results[0] == results[1]
    assert data.startswith(results[0][0]) and "chunk group from chunk" in results[0][1]


def test_guards(verifier: Verifier) -> None:
    """Group logs past the module's are refused on the host; the module's own checks hold."""
    with pytest.raises(InvalidInput, match="2\\^0..2\\^8"):
        verifier.encoder(100, group_log=9)
    with pytest.raises(InvalidInput):
        verifier.decoder(b"\0" * 32, group_log=9)
    # a subtree stream with groups starts at a group's first chunk
    with pytest.raises(GuestError, match="chunk group's first chunk"):
        verifier.decoder(b"\0" * 32, MODE_COMBINED, subtree=Subtree(8, 4096), group_log=4)


def test_group_slice_needs_the_verifier(verifier: Verifier, tmp_path: Path) -> None:
    data = _input(100000)
    enc = _encode(verifier, data, 4, tmp_path)
    with pytest.raises(InvalidInput, match="give the verifier"):
        bao.extract_slice(40000, 3000, io.BytesIO(enc), lambda b: None, leaf=16)
    pieces = bytearray()  # a range covering whole groups needs no hashing
    bao.extract_slice(32768, 16384, io.BytesIO(enc), pieces.extend, leaf=16)
    assert len(pieces) > 16384


def test_cli_group_log(home: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``--group-log`` on encode, decode, slice and decode-slice; a wrong G fails verification."""
    assert main(["init", "--no-default-set"]) == 0
    capsysbinary.readouterr()

    def cli(*args: str) -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
        code = main(["bao", "--module", str(WASM), *args])
        captured = capsysbinary.readouterr()
        return code, captured.out, captured.err.decode()

    data = _input(300000)
    src, enc, ob, sl = (tmp_path / name for name in ("in", "enc", "ob", "slice"))
    src.write_bytes(data)
    h = blake3.blake3(data).hexdigest()
    assert cli("encode", str(src), str(enc), "--group-log", "4")[0] == 0
    assert cli("encode", str(src), "--outboard", str(ob), "--group-log", "4")[0] == 0
    assert len(ob.read_bytes()) == HEADER + PARENT * (-(-300000 // 16384) - 1)
    assert cli("decode", h, str(enc), "--group-log", "4")[1] == data
    assert cli("decode", h, str(src), "--outboard", str(ob), "--group-log", "4")[1] == data
    assert cli("slice", "100000", "5000", str(src), str(sl), "--outboard", str(ob), "--group-log", "4")[0] == 0
    assert cli("decode-slice", h, "100000", "5000", str(sl), "--group-log", "4")[1] == data[100000:105000]
    code, out, err = cli("decode", h, str(enc))  # read as the Bao format: refused
    assert code == 1 and "VerificationFailed" in err and out == b""
    with pytest.raises(SystemExit) as exit_:
        cli("encode", str(src), str(enc), "--group-log", "9")
    assert exit_.value.code == 1 and "0..8" in capsysbinary.readouterr().err.decode()


@pytest.mark.parametrize("g", [2, 4])
def test_ranges_and_slice_sizes(verifier: Verifier, tmp_path: Path, g: int) -> None:
    """A range of a group encoding (combined, outboard, or its slice) gives exactly those bytes,
    starts past the end and empty counts included; ``slice_size`` is what ``iter_slice`` yields."""
    from autocodec.bao._tree import slice_size

    n = 100000
    data = _input(n)
    enc = _encode(verifier, data, g, tmp_path)
    ob = _encode(verifier, data, g, tmp_path, outboard=True)
    root = blake3.blake3(data).digest()
    for start, count in [(0, 0), (0, 1), (1023, 2), (16383, 2), (40000, 3000), (n - 1, 5), (n, 10), (n + 5000, 1),
                         (5000, 90000)]:
        want = data[start:start + count]
        assert _decoded(verifier, root, enc, g, start=start, count=count) == (want, None)
        out = bytearray()
        bao.decode(verifier, root, io.BytesIO(data), out.extend, outboard=io.BytesIO(ob), start=start, count=count,
                   group_log=g)
        assert out == want
        pieces = bytearray()
        bao.extract_slice(start, count, io.BytesIO(enc), pieces.extend, leaf=1 << g, verifier=verifier)
        assert len(pieces) == slice_size(start, count, n, leaf=1 << g), (start, count)
        assert _decoded(verifier, root, bytes(pieces), g, start=start, count=count, slice_input=True) == (want, None)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(g=st.integers(0, 8), n=st.integers(0, 70000), flips=st.lists(st.integers(0, 1 << 30), max_size=3),
       cut=st.integers(0, 1 << 30), start=st.integers(0, 80000), count=st.integers(0, 40000),
       mode=st.sampled_from(["combined", "slice"]))
def test_hostile_group_streams(verifier: Verifier, g: int, n: int, flips: list[int], cut: int, start: int, count: int,
                               mode: str) -> None:
    """Flipped and truncated group encodings and slices of any group log never crash, hang or
    release a byte that is not the content's: each run either gives exactly the range or
    fails with VerificationFailed after a prefix of it."""
    data = _input(n)
    root = blake3.blake3(data).digest()
    enc = io.BytesIO()
    bao.encode(verifier, io.BytesIO(data), enc, group_log=g)
    if mode == "slice":
        pieces = bytearray()
        bao.extract_slice(start, count, io.BytesIO(enc.getvalue()), pieces.extend, leaf=1 << g, verifier=verifier)
        stream, kw = bytearray(pieces), {"start": start, "count": count, "slice_input": True}
        want = data[start:start + count]
    else:
        stream, kw, want = bytearray(enc.getvalue()), {}, data
    for f in flips:
        stream[HEADER + f % max(1, len(stream) - HEADER) if len(stream) > HEADER else 0] ^= 1 << (f % 8)
    if cut % 4 == 0:
        del stream[cut % (len(stream) + 1):]
    out, message = _decoded(verifier, root, bytes(stream), g, **kw)
    assert want.startswith(out)
    assert message is not None or out == want
