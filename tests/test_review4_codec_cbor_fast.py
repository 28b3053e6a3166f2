"""CBOR (0x51) on the C paths: the encoder and the strict decoder's refusals.

- ``Cbor.encode`` writes a value whose maps all have their keys in DAG-CBOR order (shorter
  first, then bytewise on UTF-8) with cbrrr's C encoder, and any other value with
  ``_cscan.cbor_write``: both the same bytes as the order-keeping Python writer ``_cbor_write``
  (the form Kubo v0.43.1's cbor codec writes, pinned against Kubo in
  test_review_codec_cbor_order.py and test_review2_gateway_ranges.py). The differentials below
  compare them over generated values, ordered and not.
- ``Cbor.decode`` reads a refused block a second time (Kubo's relaxed reading, then the writer)
  only when cbrrr's first fault is a map key out of order: any other first fault refuses the
  block, as the second reading would.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.builtin import _cbor_relaxed, _cbor_write, _dagcbor, _native
from autocodec.config import DecodeLimits
from autocodec.errors import InvalidBlock

from ._sanitized import sanitized_cscan
from .conftest import REPO

needs_c = pytest.mark.skipif(_native.check is None, reason="the C helpers are not built")

_KEYS = ["", "a", "b", "aa", "ab", "z", "é", "ü", "\u00ff", "\u0100", "€", "😀", "a\x00", "A", "key", "keys", "k\u00e9",
         "\x7f", "ba"]
_INTS = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63, 2**64 - 1, -1, -24, -25, -256, -257,
         -(2**32), -(2**32) - 1, -(2**64)]
_FLOATS = [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, 2.0**64, 0.1, 1.0]


def _scalar(rnd: random.Random) -> Any:
    kind = rnd.randrange(8)
    if kind == 0:
        return rnd.choice(_INTS) if rnd.random() < 0.6 else rnd.randint(-(2**64), 2**64 - 1)
    if kind == 1:
        return rnd.choice(_FLOATS) if rnd.random() < 0.5 else struct.unpack(">d", rnd.randbytes(8))[0]
    if kind == 2:
        return "".join(rnd.choice(_KEYS) for _ in range(rnd.randrange(4))) * rnd.choice((1, 1, 30))
    if kind == 3:
        return rnd.randbytes(rnd.choice((0, 1, 23, 24, 255, 256, 300)))
    return rnd.choice((True, False, None, 7))


def _value(rnd: random.Random, depth: int, ordered: bool) -> Any:
    if depth == 0 or rnd.random() < 0.3:
        v = _scalar(rnd)
        return 0 if type(v) is float and v != v or v in (float("inf"), float("-inf")) else v
    if rnd.random() < 0.5:
        return [_value(rnd, depth - 1, ordered) for _ in range(rnd.choice((0, 1, 3, 5) if depth > 1 else (0, 2, 24)))]
    keys = rnd.sample(_KEYS, rnd.randrange(len(_KEYS) if depth == 1 else 6))
    if ordered:
        keys.sort(key=lambda k: (len(k.encode()), k.encode()))
    return {k: _value(rnd, depth - 1, ordered) for k in keys}


def _in_key_order(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is dict:
            raw = [k.encode() for k in v]
            if raw != sorted(raw, key=lambda b: (len(b), b)):
                return False
            stack.extend(v.values())
        elif type(v) is list:
            stack.extend(v)
    return True


@needs_c
def test_generated_values_same_bytes_as_the_order_keeping_writer() -> None:
    rnd = random.Random(20261205)
    fast = 0
    for i in range(3000):
        value = _value(rnd, rnd.randrange(1, 5), ordered=i % 3 != 0)
        expected = _cbor_write.write(value)
        assert builtin.encode(value, "cbor") == expected, value
        ordered = _native.check(value, 64, _dagcbor._CBOR_ORDER)
        assert ordered is _in_key_order(value)
        fast += ordered
        back = builtin.decode(expected, "cbor")
        assert back == value
    assert fast > 1500  # most of them went through the C encoder


@needs_c
def test_key_order_is_by_utf8_length_then_bytes() -> None:
    # "é" is one character but two bytes: after "z" and "ab" under DAG-CBOR order; "ab" < "é" bytewise
    for keys, ordered in ((["z", "ab", "é"], True), (["z", "é", "ab"], False), (["é", "z"], False),
                          (["ab", "é"], True), (["é", "ab"], False), (["b", "a"], False), (["", "a"], True),
                          (["a", ""], False), (["€", "😀"], True), (["😀", "€"], False)):
        value = {"x": [{k: i for i, k in enumerate(keys)}]}
        assert _native.check(value, 64, _dagcbor._CBOR_ORDER) is ordered, keys
        assert builtin.encode(value, "cbor") == _cbor_write.write(value)


@needs_c
def test_ordered_values_take_the_c_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_python(value: Any) -> bytes:
        raise AssertionError("the Python writer ran")

    monkeypatch.setattr(_cbor_write, "write", no_python)
    value = {"a": 1, "bb": [{"c": b"x", "dd": 1.5}], "ccc": None}
    assert builtin.encode(value, "cbor") == builtin.encode(value, "dag-cbor")
    # out of order: the C twin of the order-keeping writer
    assert builtin.encode({"b": 1, "a": [{"d": 2.5, "c": -(2**64)}]}, "cbor") == bytes.fromhex(
        "a2616201616181a26164fb400400000000000061633bffffffffffffffff")
    monkeypatch.setattr(_dagcbor, "_c_write", None)
    with pytest.raises(AssertionError):
        builtin.encode({"b": 1, "a": 2}, "cbor")


@needs_c
def test_the_c_writer_is_the_python_writer() -> None:
    """``_cscan.cbor_write`` against ``_cbor_write.write`` on every generated value, ordered or not."""
    assert _native.cbor_write is not None
    rnd = random.Random(515)
    for i in range(3000):
        value = _value(rnd, rnd.randrange(0, 5), ordered=i % 4 == 0)
        assert _native.cbor_write(value, 64) == _cbor_write.write(value), value
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    assert _native.cbor_write(deep, 101) == _cbor_write.write(deep)
    with pytest.raises(ValueError, match="max_depth"):
        _native.cbor_write(deep, 100)
    with pytest.raises(TypeError):
        _native.cbor_write([object()], 10)


@pytest.mark.parametrize("missing", ["_c_check", "_c_write"])
def test_without_a_c_helper_the_same_bytes(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setattr(_dagcbor, missing, None)
    rnd = random.Random(7)
    for i in range(300):
        value = _value(rnd, 3, ordered=i % 2 == 0)
        assert builtin.encode(value, "cbor") == _cbor_write.write(value)


@pytest.mark.parametrize("value, fault", [
    ({"a": float("nan")}, "NaN"), ([1, {"b": 2**64}], "out of range"), ({"a": {1: 2}}, "not a string"),
    ({"b": 1, "a": [set()]}, "cannot encode"), ({"a": "\ud800"}, "surrogate"),
    ({"z": 1, "a": builtin.cid_for(b"x", "raw")}, "links"),
])
def test_refusals_unchanged(value: Any, fault: str) -> None:
    from autocodec.errors import EncodeError

    with pytest.raises(EncodeError, match=fault):
        builtin.encode(value, "cbor")


def _old_decode(data: bytes, limits: DecodeLimits) -> Any:
    """The decoder before the fix: any refusal read again, as the reference of what is accepted."""
    try:
        return _dagcbor.Cbor._canonical(data, limits)
    except InvalidBlock:
        value = _dagcbor._reordered(data, limits)
        if value is None:
            raise
        return value


def test_a_refused_block_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = []
    real = _cbor_relaxed.read
    monkeypatch.setattr(_cbor_relaxed, "read", lambda *a: reads.append(1) or real(*a))
    for block in ("a1616df93c00", "1801", "9f01ff", "a1616201ff", "c1a0", "a16162f7"):
        with pytest.raises(InvalidBlock):
            builtin.decode(bytes.fromhex(block), "cbor")
    assert reads == []
    # a key out of order first: read again (and taken, or refused for what follows)
    assert list(builtin.decode(bytes.fromhex("a2616201616102"), "cbor")) == ["b", "a"]
    with pytest.raises(InvalidBlock, match="non-canonical map key ordering"):
        builtin.decode(bytes.fromhex("a26162016161f93c00"), "cbor")
    assert len(reads) == 2


def test_mutated_blocks_decode_as_before() -> None:
    """Differential: accept/refuse and value as the read-again-on-any-fault decoder."""
    rnd = random.Random(99)
    limits = DecodeLimits()
    agreed = refused = 0
    for i in range(2500):
        block = bytearray(_cbor_write.write(_value(rnd, 3, ordered=i % 2 == 0)))
        for _ in range(rnd.randrange(3)):
            at = rnd.randrange(len(block))
            block[at] = rnd.choice((block[at] ^ (1 << rnd.randrange(8)), 0xf9, 0xf7, 0x9f, 0x18, rnd.randrange(256)))
        data = bytes(block)
        try:
            want = ("ok", _old_decode(data, limits))
        except InvalidBlock as exc:
            want = ("refused", exc.message)
        try:
            got = ("ok", builtin.decode(data, "cbor"))
        except InvalidBlock as exc:
            got = ("refused", exc.message)
        assert got == want, data.hex()
        if got[0] == "ok":
            assert list(got[1]) == list(want[1]) if type(got[1]) is dict else True
        agreed += 1
        refused += got[0] == "refused"
    assert agreed == 2500 and 200 < refused < 2400


_SANITIZED = r"""
import importlib.util, random, sys
spec = importlib.util.spec_from_file_location("autocodec.builtin._cscan", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["autocodec.builtin._cscan"] = module
spec.loader.exec_module(module)
sys.path.insert(0, sys.argv[2])
from autocodec.builtin import _native, _cbor_write
assert _native._cscan is module
from tests.test_review4_codec_cbor_fast import _in_key_order, _value
rnd = random.Random(3)
for i in range(3000):
    value = _value(rnd, rnd.randrange(0, 5), ordered=i % 3 == 0)
    assert module.cbor_write(value, 64) == _cbor_write.write(value)
    assert module.check(value, 64, 14) is _in_key_order(value)
print("ok")
"""


@pytest.mark.slow  # compiles the C helpers and runs a child process under the sanitizers
def test_writer_and_order_check_under_sanitizers(tmp_path: Path) -> None:
    built, env = sanitized_cscan(tmp_path)
    proc = subprocess.run([sys.executable, "-c", _SANITIZED, str(built), str(REPO)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.startswith("ok"), (proc.stdout[-2000:], proc.stderr[-4000:])
