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
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.builtin import _cbor_relaxed, _cbor_write, _dagcbor, _native
from autocodec.config import DecodeLimits
from autocodec.errors import InvalidBlock

from ._cbor_values import in_key_order, random_cbor_value
from ._sanitized import sanitized_cscan
from .conftest import REPO

needs_c = pytest.mark.skipif(_native.check is None, reason="the C helpers are not built")


@needs_c
def test_generated_values_same_bytes_as_the_order_keeping_writer() -> None:
    rnd = random.Random(20261205)
    fast = 0
    for i in range(3000):
        value = random_cbor_value(rnd, rnd.randrange(1, 5), ordered=i % 3 != 0)
        expected = _cbor_write.write(value)
        assert builtin.encode(value, "cbor") == expected, value
        ordered = _native.check(value, 64, _dagcbor._CBOR_ORDER)
        assert ordered is in_key_order(value)
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
        value = random_cbor_value(rnd, rnd.randrange(0, 5), ordered=i % 4 == 0)
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
        value = random_cbor_value(rnd, 3, ordered=i % 2 == 0)
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
    monkeypatch.setattr(_cbor_relaxed, "read", lambda *a, **k: reads.append(1) or real(*a, **k))
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
        block = bytearray(_cbor_write.write(random_cbor_value(rnd, 3, ordered=i % 2 == 0)))
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
from tests._cbor_values import in_key_order, random_cbor_value
rnd = random.Random(3)
for i in range(3000):
    value = random_cbor_value(rnd, rnd.randrange(0, 5), ordered=i % 3 == 0)
    assert module.cbor_write(value, 64) == _cbor_write.write(value)
    assert module.check(value, 64, 14) is in_key_order(value)
print("ok")
"""


@pytest.mark.slow  # compiles the C helpers and runs a child process under the sanitizers
def test_writer_and_order_check_under_sanitizers(tmp_path: Path) -> None:
    built, env = sanitized_cscan(tmp_path)
    proc = subprocess.run([sys.executable, "-c", _SANITIZED, str(built), str(REPO)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.startswith("ok"), (proc.stdout[-2000:], proc.stderr[-4000:])
