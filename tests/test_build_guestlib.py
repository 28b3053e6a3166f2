"""The guest library (wasm-src/include/ac.h, lib/ac.c), exercised from inside Wasm.

tests/guest/ac-selftest is a test-only task module built here (never committed) whose
functions each drive one part of the library; its answers are compared with Python's own
implementation of the same thing (builtin DAG-CBOR, str.decode, CID, varints).
"""

from __future__ import annotations

import importlib.util
import math
import struct
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec import CID, builtin
from autocodec.cid import decode_varint, encode_varint
from autocodec.config import SandboxLimits
from autocodec.errors import GuestError
from autocodec.loader import Sandbox
from tests.conftest import REPO, WASM_SRC

SELFTEST = REPO / "tests" / "guest" / "ac-selftest"


def _build():
    spec = importlib.util.spec_from_file_location("ac_build", WASM_SRC / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module.build_module("ac-selftest", src=SELFTEST).wasm


@pytest.fixture(scope="module")
def loaded():
    return Sandbox(SandboxLimits(max_memory_bytes=64 << 20)).load(_build())


@pytest.fixture(scope="module")
def task(loaded):
    return loaded.task()


def test_integer_heads_are_minimal(task):
    want = [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, -1, -24, -25, -(2**63), -(2**64)]
    assert task.call("ints", []) == want
    raw = task._loaded.instance().call("ac_task", builtin.encode({"fn": "ints", "args": []}, "dag-cbor"))
    assert raw == builtin.encode(want, "dag-cbor")


@settings(max_examples=300, deadline=None)
@given(bits=st.binary(min_size=8, max_size=8))
def test_float64_rejects_nan_and_infinity(task, bits: bytes):
    (value,) = struct.unpack(">d", bits)
    if not math.isfinite(value):
        with pytest.raises(GuestError, match="NaN and Infinity"):
            task.call("float_bits", [bits])
    else:
        got = task.call("float_bits", [bits])
        assert struct.pack(">d", got) == bits  # always 64-bit, bit-exact (incl. -0.0, subnormals)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=20))
def test_float_reader_round_trips(task, values: list[float]):
    assert [struct.pack(">d", v) for v in task.call("floats", [values])] == [struct.pack(">d", v) for v in values]


@settings(max_examples=500, deadline=None)
@given(blob=st.one_of(st.binary(max_size=12), st.text(max_size=8).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_utf8_validation_matches_python(task, blob: bytes):
    try:
        want = blob.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(GuestError, match="UTF-8"):
            task.call("text", [blob])
    else:
        assert task.call("text", [blob]) == want


@pytest.mark.parametrize(
    "blob", [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80",
             b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80", b"\xff"]
)
def test_utf8_rejects_known_bad_sequences(task, blob: bytes):
    with pytest.raises(GuestError):
        task.call("text", [blob])


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.text(alphabet=st.characters(min_codepoint=1, exclude_categories=("Cs",)), max_size=6), max_size=12))
def test_sort_keys_is_dag_cbor_order(task, keys: list[str]):
    want = sorted(keys, key=lambda k: (len(k.encode()), k.encode()))
    assert task.call("sort_keys", [keys]) == want


def test_map_key_order_is_checked(task):
    assert list(task.call("map_keys", [["b", "aa", "ab"]])) == ["b", "aa", "ab"]
    with pytest.raises(GuestError, match="canonical order"):
        task.call("map_keys", [["aa", "b"]])
    with pytest.raises(GuestError, match="canonical order"):
        task.call("map_keys", [["a", "a"]])


def test_formatter(task):
    with pytest.raises(GuestError) as err:
        task.call("fmt", [])
    assert err.value.code == 2  # AC_ERR_UNSUPPORTED
    assert err.value.message == f"str|-42|42|beef|7|{-(2**63)}|{2**64 - 1}|deadbeefcafe|z|%|(null)|abc|-7"


@settings(max_examples=100, deadline=None)
@given(codec=st.integers(0, 2**63 - 1), code=st.integers(0, 2**63 - 1), digest=st.binary(max_size=100))
def test_cid_v1(task, codec: int, code: int, digest: bytes):
    want = CID(b"\x01" + encode_varint(codec) + encode_varint(code) + encode_varint(len(digest)) + digest)
    assert task.call("cid", [codec, code, digest]) == want


@settings(max_examples=300, deadline=None)
@given(blob=st.one_of(st.binary(min_size=1, max_size=11), st.integers(0, 2**63 - 1).map(encode_varint)))
def test_varint_matches_python(task, blob: bytes):
    try:
        value, used = decode_varint(blob)
    except ValueError:
        with pytest.raises(GuestError):
            task.call("varint", [blob])
    else:
        assert task.call("varint", [blob]) == [value, used, encode_varint(value)]


@settings(max_examples=50, deadline=None)
@given(blob=st.binary(max_size=64))
def test_hex(task, blob: bytes):
    assert task.call("hex", [blob]) == [blob.hex(), blob]


def test_arena_grows_and_fails_cleanly(task):
    assert task.call("alloc", [0]) == 0
    assert task.call("alloc", [10 << 20]) == 10 << 20  # grows linear memory page-wise
    for n in (1 << 30, 2**32 - 1, 2**40):  # past the sandbox's memory cap (64 MiB here)
        with pytest.raises(GuestError, match="out of memory") as err:
            task.call("alloc", [n])
        assert err.value.code == 3


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 4096, 300_000])
def test_output_buffer_growth(task, n: int):
    assert task.call("grow", [n]) == bytes((i * 7) & 0xFF for i in range(n))


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**64), 2**64 - 1), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=10), st.binary(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=5), inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=values)
def test_reader_skips_any_value(task, value: Any):
    assert task.call("echo", [value]) == value


# acr_find takes its key as a C string (modules look up literal keys), so the key looked up
# holds no NUL; the map's keys may (they are never equal to it then).
@settings(max_examples=60, deadline=None)
@given(mapping=st.dictionaries(st.text(max_size=4), values, max_size=8),
       key=st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=4))
def test_find(task, mapping: dict[str, Any], key: str):
    assert task.call("find", [mapping, key]) == mapping.get(key)


def test_find_never_matches_a_key_holding_nul(task):
    assert task.call("find", [{"a\x00b": 1, "a": 2}, "a"]) == 2
    assert task.call("find", [{"a\x00b": 1}, "a"]) is None


def test_find_on_a_non_map_fails(task):
    with pytest.raises(GuestError, match="expected a map"):
        task.call("find", [[1, 2], "a"])


def test_unknown_function(loaded):
    """Straight to ac_task (the host adapter refuses undeclared names before the guest)."""
    with pytest.raises(GuestError, match="unknown function nope$"):
        loaded.instance().call("ac_task", builtin.encode({"fn": "nope", "args": []}, "dag-cbor"))
