"""The DAG-CBOR Wasm module (wasm-src/dag-cbor) against the builtin codec, through the sandbox.

Differential: on every official dag-cbor fixture (positive and negative), on
hypothesis-generated data models (floats, links, deep nesting, big bytes, big ints) and on
mutated encodings, the module and ``autocodec.builtin`` accept exactly the same blocks and
give the same data model; the module's links are the tag-42 CIDs in document order.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec import CID, builtin
from autocodec.errors import GuestError, InvalidBlock
from autocodec.loader import Sandbox, run_vectors
from tests._model import same_value
from tests.conftest import CODEC_FIXTURES, WASM_SRC

MODULE = WASM_SRC / "dag-cbor" / "dag-cbor.wasm"
POSITIVE = sorted((CODEC_FIXTURES / "fixtures").glob("*/*.dag-cbor"))
NEGATIVE = sorted((CODEC_FIXTURES / "negative-fixtures" / "dag-cbor").rglob("*.json"))


@pytest.fixture(scope="module")
def codec():
    return Sandbox().load(MODULE.read_bytes()).codec()


@pytest.fixture(scope="module")
def loaded():
    return Sandbox().load(MODULE.read_bytes())


def same(a: Any, b: Any) -> bool:
    """Strict data-model equality (types and key order included: 1 is not 1.0 nor True)."""
    return same_value(a, b, key_order=True)


def outcome(fn: Any, *args: Any) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except InvalidBlock as exc:  # GuestError is an InvalidBlock
        return False, exc


def builtin_links(value: Any) -> list[CID]:
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, CID):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
    return out


def check_same(codec: Any, data: bytes) -> None:
    """Both accept with the same value (and the module round-trips), or both reject."""
    ok_b, want = outcome(builtin.decode, data, "dag-cbor")
    ok_w, got = outcome(codec.decode, data)
    assert ok_b == ok_w, f"builtin {'accepts' if ok_b else 'rejects'} {data[:40].hex()}: wasm gave {got!r:.200}"
    if ok_b:
        assert same(got, want)
        assert codec.encode(got) == data
        assert codec.links(data) == builtin_links(want)
    else:
        assert isinstance(got, GuestError) and got.message  # an error status with a message, never a trap


# --- official fixtures ---------------------------------------------------------------------------


def test_fixtures_present():
    assert len(POSITIVE) > 50 and NEGATIVE, f"codec fixtures missing under {CODEC_FIXTURES}"


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.parent.name)
def test_positive_fixture(codec, path: Path):
    data = path.read_bytes()
    check_same(codec, data)
    # the fixture's file name is its CID: the module never changes a byte
    assert builtin.cid_for(codec.encode(codec.decode(data)), "dag-cbor") == CID.parse(path.stem)


def _negative_cases() -> list[tuple[str, bytes]]:
    cases = []
    for path in NEGATIVE:
        for case in json.loads(path.read_text()):
            cases.append((f"{path.stem}:{case['name']}", bytes.fromhex(case["hex"])))
    return cases


@pytest.mark.parametrize("name,data", _negative_cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_negative_fixture(codec, name: str, data: bytes):
    with pytest.raises(InvalidBlock):
        builtin.decode(data, "dag-cbor")
    with pytest.raises(GuestError):
        codec.decode(data)


# --- hand-written strictness cases -------------------------------------------------------------

CID_V1 = bytes(CID.parse("bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm"))
REJECT = {
    "empty": b"",
    "trailing byte": b"\x01\x00",
    "non-minimal uint": b"\x18\x01",
    "non-minimal length": b"\x59\x00\x01a",
    "indefinite array": b"\x9f\xff",
    "indefinite bytes": b"\x5f\x41a\xff",
    "break": b"\xff",
    "reserved info": b"\x1c",
    "float16": b"\xf9\x3c\x00",
    "float32": b"\xfa\x3f\x80\x00\x00",
    "NaN": b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00",
    "Infinity": b"\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00",
    "-Infinity": b"\xfb\xff\xf0\x00\x00\x00\x00\x00\x00",
    "undefined": b"\xf7",
    "simple 16": b"\xf0",
    "simple 1-byte": b"\xf8\x20",
    "tag 1": b"\xc1\x01",
    "tag 42 non-minimal": b"\xd9\x00\x2a\x58\x25\x00" + CID_V1,
    "tag 42 on text": b"\xd8\x2a\x61a",
    "tag 42 without 0x00": b"\xd8\x2a\x58\x24" + CID_V1,
    "tag 42 empty": b"\xd8\x2a\x40",
    "tag 42 bad cid": b"\xd8\x2a\x45\x00\x01\x71\x12\x20",
    "tag 42 cid trailing": b"\xd8\x2a\x58\x26\x00" + CID_V1 + b"\x00",
    "tag 42 at end": b"\xd8\x2a",
    "map int key": b"\xa1\x01\x02",
    "map unsorted": b"\xa2\x61b\x01\x61a\x02",
    "map length-first order": b"\xa2\x62aa\x01\x61b\x02",
    "map duplicate": b"\xa2\x61a\x01\x61a\x02",
    "bad utf-8": b"\x62\xc3\x28",
    "surrogate": b"\x63\xed\xa0\x80",
    "overlong utf-8": b"\x62\xc0\xaf",
    "truncated bytes": b"\x45abc",
    "truncated head": b"\x1b\x00\x00",
    "huge array": b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
    "huge map": b"\xbb\x00\x00\x00\x01\x00\x00\x00\x00",
    "huge bytes": b"\x5b\x7f\xff\xff\xff\xff\xff\xff\xff",
    "deep": b"\x81" * 1025 + b"\x01",
    "deep empty": b"\x81" * 1024 + b"\x80",
}
ACCEPT = {
    "nesting at the limit": b"\x81" * 1023 + b"\x80",
    "max uint": b"\x1b" + b"\xff" * 8,
    "min negint": b"\x3b" + b"\xff" * 8,
    "-0.0": b"\xfb\x80\x00\x00\x00\x00\x00\x00\x00",
    "cidv0 link": b"\xd8\x2a\x58\x23\x00" + bytes(CID.parse("QmQg1v4o9xdT3Q14wh4S7dxZkDjyZ9ssFzFzyep1YrVJBY")),
    "canonical key order": b"\xa3\x61b\x01\x62aa\x02\x62ab\x03",
    "4-byte utf-8": b"\x64" + "\U0001f600".encode(),
}


@pytest.mark.parametrize("name", sorted(REJECT))
def test_rejects(codec, name: str):
    check_same(codec, REJECT[name])
    with pytest.raises(GuestError):
        codec.decode(REJECT[name])


@pytest.mark.parametrize("name", sorted(ACCEPT))
def test_accepts(codec, name: str):
    check_same(codec, ACCEPT[name])
    codec.decode(ACCEPT[name])


def test_error_messages_say_what_and_where(codec):
    with pytest.raises(GuestError, match=r"map keys not in canonical order at byte 4"):
        codec.decode(REJECT["map unsorted"])
    with pytest.raises(GuestError, match=r"nesting too deep"):
        codec.decode(REJECT["deep"])


# --- batch ---------------------------------------------------------------------------------------


def test_decode_many_matches_decode(codec):
    blocks = [p.read_bytes() for p in POSITIVE[:40]] + list(REJECT.values()) + [b"\xa0"] * 200
    results = codec.decode_many(blocks)
    assert len(results) == len(blocks)
    for block, result in zip(blocks, results):
        ok, want = outcome(codec.decode, block)
        if ok:
            assert same(result, want)
        else:
            assert isinstance(result, GuestError) and result.message == want.message


def test_raw_batch_frame(loaded):
    """The frame layout of docs/abi.md, byte for byte, including a malformed frame."""
    items = [b"\x01", b"\x18\x01", b""]
    frame = struct.pack("<I", len(items)) + b"".join(struct.pack("<I", len(i)) + i for i in items)
    out = loaded.instance().call("ac_decode_batch", frame)
    st0, n0 = struct.unpack_from("<II", out, 0)
    assert (st0, n0, out[8:9]) == (0, 1, b"\x01")
    st1, n1 = struct.unpack_from("<II", out, 9)
    assert st1 == 1 and b"minimal" in out[17 : 17 + n1]
    st2, n2 = struct.unpack_from("<II", out, 17 + n1)
    assert st2 == 1 and 25 + n1 + n2 == len(out)
    with pytest.raises(GuestError, match="batch frame"):
        loaded.instance().call("ac_decode_batch", frame[:-1] + b"\x00\x00")
    with pytest.raises(GuestError, match="batch frame"):
        loaded.instance().call("ac_decode_batch", struct.pack("<I", 5))


# --- vectors ----------------------------------------------------------------------------------------


def test_vectors(loaded):
    report = run_vectors(loaded, (WASM_SRC / "dag-cbor" / "vectors.json").read_bytes())
    assert report.ok, report.failures
    assert report.total >= 30


# --- generated data ---------------------------------------------------------------------------------


def _cid(code: int, hash_code: int, digest: bytes) -> CID:
    from autocodec.cid import encode_varint

    return CID(b"\x01" + encode_varint(code) + encode_varint(hash_code) + encode_varint(len(digest)) + digest)


cids = st.one_of(
    st.builds(_cid, st.sampled_from([0x55, 0x70, 0x71, 0x0129, 0x90]), st.just(0x12), st.binary(min_size=32, max_size=32)),
    st.builds(_cid, st.integers(0, 2**63 - 1), st.integers(0, 2**63 - 1), st.binary(max_size=80)),
    st.builds(lambda d: CID(b"\x12\x20" + d), st.binary(min_size=32, max_size=32)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64 - 1),
    st.integers(-30, 30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.binary(max_size=64),
    cids,
)
models = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=8), st.dictionaries(st.text(max_size=12), inner, max_size=8)),
    max_leaves=60,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=models)
def test_generated_models(codec, value: Any):
    data = builtin.encode(value, "dag-cbor")
    check_same(codec, data)
    assert builtin.encode(codec.decode(data), "dag-cbor") == data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=models, data=st.data())
def test_mutated_encodings(codec, value: Any, data: st.DataObject):
    """Flip, insert or delete bytes of a valid block: both codecs must still agree."""
    block = bytearray(builtin.encode(value, "dag-cbor"))
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, max(0, len(block) - 1)))
        if op == "flip" and block:
            block[pos] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            block[pos:pos] = bytes([data.draw(st.integers(0, 255))])
        elif op == "delete" and block:
            del block[pos]
        elif op == "truncate":
            del block[pos:]
    check_same(codec, bytes(block))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=64))
def test_random_bytes(codec, blob: bytes):
    check_same(codec, blob)


@pytest.mark.parametrize("depth", [1, 100, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("kind", ["list", "map"])
def test_deep_nesting(codec, depth: int, kind: str):
    head, tail = (b"\x81", b"\x80") if kind == "list" else (b"\xa1\x61k", b"\xa0")
    check_same(codec, head * (depth - 1) + tail)


def test_big_values(codec):
    for value in [b"\xab" * (1 << 20), "\u00e9" * 300_000, list(range(50_000)), {str(i): i for i in range(5_000)},
                  [2**64 - 1, -(2**64), 2**63, -(2**63) - 1, 5e-324, -1.7976931348623157e308]]:
        check_same(codec, builtin.encode(value, "dag-cbor"))


def test_many_links_in_document_order(codec):
    links = [_cid(0x71, 0x12, i.to_bytes(2, "big") * 16) for i in range(300)]
    value = {"a": links[:100], "b": {"c": links[100:200], "d": [{"e": c} for c in links[200:]]}}
    assert codec.links(builtin.encode(value, "dag-cbor")) == links
    assert codec.links(builtin.encode({"x": 1}, "dag-cbor")) == []


# --- encode: any well-formed CBOR form of a data model -> canonical ---------------------------


def loose_cbor(value: Any, draw: Any) -> bytes:
    """A valid but non-canonical CBOR encoding of ``value``: random head widths, short floats
    when exact, map keys in random order (hypothesis chooses)."""

    def head(major: int, arg: int) -> bytes:
        widths = [w for w, limit in ((0, 24), (1, 1 << 8), (2, 1 << 16), (4, 1 << 32), (8, 1 << 64)) if arg < limit]
        width = draw(st.sampled_from(widths))
        if width == 0:
            return bytes([major << 5 | arg])
        return bytes([major << 5 | {1: 24, 2: 25, 4: 26, 8: 27}[width]]) + arg.to_bytes(width, "big")

    out = bytearray()
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if v is None:
            out += b"\xf6"
        elif v is True or v is False:
            out += b"\xf5" if v else b"\xf4"
        elif isinstance(v, int):
            out += head(0, v) if v >= 0 else head(1, -1 - v)
        elif isinstance(v, float):
            forms = [b"\xfb" + struct.pack(">d", v)]
            for fmt, lead in ((">f", b"\xfa"), (">e", b"\xf9")):
                try:
                    short = struct.pack(fmt, v)
                except OverflowError:
                    continue
                if struct.unpack(fmt, short)[0] == v and struct.pack(">d", struct.unpack(fmt, short)[0]) == forms[0][1:]:
                    forms.append(lead + short)  # exact, sign of zero included
            out += draw(st.sampled_from(forms))
        elif isinstance(v, str):
            raw = v.encode()
            out += head(3, len(raw)) + raw
        elif isinstance(v, bytes):
            out += head(2, len(v)) + v
        elif isinstance(v, CID):
            raw = b"\x00" + bytes(v)
            out += draw(st.sampled_from([b"\xd8\x2a", b"\xd9\x00\x2a", b"\xda\x00\x00\x00\x2a"])) + head(2, len(raw)) + raw
        elif isinstance(v, list):
            out += head(4, len(v))
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            keys = draw(st.permutations(list(v)))
            out += head(5, len(keys))
            for k in reversed(keys):
                stack.append(v[k])
                stack.append(_Key(k))
        elif isinstance(v, _Key):
            raw = v.key.encode()
            out += head(3, len(raw)) + raw
    return bytes(out)


class _Key:
    def __init__(self, key: str) -> None:
        self.key = key


def wasm_encode(loaded: Any, data: bytes) -> bytes:
    return loaded.instance().call("ac_encode", data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=models, data=st.data())
def test_encode_canonicalizes_loose_cbor(loaded, value: Any, data: st.DataObject):
    loose = loose_cbor(value, data.draw)
    assert wasm_encode(loaded, loose) == builtin.encode(value, "dag-cbor")


def test_encode_canonical_examples(loaded):
    cases = {
        b"\x18\x01": b"\x01",
        b"\x1b\x00\x00\x00\x00\x00\x00\x00\x17": b"\x17",
        b"\xf9\x3c\x00": b"\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00",  # 1.0 as float16
        b"\xf9\x00\x01": b"\xfb" + struct.pack(">d", 2.0**-24),  # smallest float16 subnormal
        b"\xf9\xfb\xff": b"\xfb" + struct.pack(">d", -65504.0),
        b"\xfa\x3f\xc0\x00\x00": b"\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00",  # 1.5 as float32
        b"\xa2\x62aa\x01\x61b\x02": b"\xa2\x61b\x02\x62aa\x01",
        b"\xa3\x61c\xa2\x61b\x01\x61a\x02\x61a\x80\x61b\xf6": b"\xa3\x61a\x80\x61b\xf6\x61c\xa2\x61a\x02\x61b\x01",
        b"\xd9\x00\x2a\x58\x25\x00" + CID_V1: b"\xd8\x2a\x58\x25\x00" + CID_V1,
    }
    for loose, canonical in cases.items():
        assert wasm_encode(loaded, loose) == canonical, loose.hex()
        assert wasm_encode(loaded, canonical) == canonical


@pytest.mark.parametrize(
    "name,data",
    [
        ("duplicate after sorting", b"\xa3\x61b\x01\x61a\x02\x61b\x03"),
        ("non-canonical duplicate", b"\xa2\x78\x01a\x01\x61a\x02"),
        ("float16 NaN", b"\xf9\x7e\x00"),
        ("float32 Infinity", b"\xfa\x7f\x80\x00\x00"),
        ("indefinite map", b"\xbf\xff"),
        ("undefined", b"\xf7"),
        ("tag 43", b"\xd8\x2b\x01"),
        ("int key", b"\xa1\x01\x01"),
        ("trailing", b"\x80\x80"),
        ("deep", b"\x98\x01" * 1025 + b"\x80"),
        ("bad utf-8 key", b"\xa1\x62\xc3\x28\x01"),
        ("truncated", b"\xa2\x61a\x01"),
    ],
)
def test_encode_rejects(loaded, name: str, data: bytes):
    with pytest.raises(GuestError):
        wasm_encode(loaded, data)


@pytest.mark.parametrize("kind", ["list", "map"])
def test_encode_at_the_depth_limit(loaded, kind: str):
    head = b"\x98\x01" if kind == "list" else b"\xb8\x01\x61k"  # non-minimal: the slow path
    loose = head * 1023 + b"\x80"
    want = (b"\x81" if kind == "list" else b"\xa1\x61k") * 1023 + b"\x80"
    assert wasm_encode(loaded, loose) == want
    with pytest.raises(GuestError, match="nesting too deep"):
        wasm_encode(loaded, head * 1024 + b"\x80")


def test_encode_sorts_a_large_reversed_map(loaded):
    """Hostile key order costs O(n log n), well inside the default fuel."""
    value = {f"k{i:06d}": i for i in range(50_000)}
    body = b"".join(builtin.encode(k, "dag-cbor") + builtin.encode(v, "dag-cbor") for k, v in reversed(value.items()))
    loose = b"\xba" + len(value).to_bytes(4, "big") + body
    assert wasm_encode(loaded, loose) == builtin.encode(value, "dag-cbor")
