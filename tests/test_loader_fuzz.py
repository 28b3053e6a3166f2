"""Property tests: no byte string makes ``inspect_module``/``load`` fail with anything but
``ModuleRejected`` (or another typed error), and batch decoding equals one-by-one decoding."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec import AutocodecError, GuestError
from autocodec.loader import Sandbox, inspect_module
from tests._wat import small_limits, wat_module

VALID = wat_module("ok_echo")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_after_the_magic_are_rejected_cleanly(tail: bytes) -> None:
    with contextlib.suppress(AutocodecError):
        inspect_module(b"\x00asm\x01\x00\x00\x00" + tail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)), min_size=1, max_size=4))
def test_mutated_modules_load_or_are_rejected(flips: list[tuple[int, int]]) -> None:
    blob = bytearray(VALID)
    for index, mask in flips:
        blob[index] ^= mask
    try:
        loaded = Sandbox(small_limits()).load(bytes(blob))
    except AutocodecError:
        return
    # A mutation that still loads must still be contained: every outcome is typed.
    with contextlib.suppress(AutocodecError):
        loaded.codec().decode(b"probe")


@pytest.fixture(scope="module")
def echo():  # noqa: ANN201
    return Sandbox(small_limits(max_batch_items=7, stream_chunk_bytes=200)).load(VALID).codec()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=120), max_size=40))
def test_decode_many_equals_decode_one_by_one(echo, blocks: list[bytes]) -> None:  # noqa: ANN001
    results = echo.decode_many(blocks)
    assert len(results) == len(blocks)
    for block, result in zip(blocks, results, strict=True):
        if block[:1] == b"\xff":
            assert isinstance(result, GuestError)
        else:
            assert result == block == echo.decode(block)
