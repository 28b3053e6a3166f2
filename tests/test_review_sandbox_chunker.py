"""Hostile chunker output: a guest's chunk ends are checked as they are read, so a chunker that
fills its whole output cap with garbage offsets costs the host the output copy, never a list of
millions of Python integers built before the first one is checked."""

from __future__ import annotations

import tracemalloc

import pytest
import wasmtime

from autocodec import GuestFault
from autocodec.loader import Sandbox
from autocodec.builtin import encode
from tests._wat import custom_section, metadata, small_limits

OUT = 16 * 2**20  # the output cap in this test, filled by the hostile update

FLOOD = f"""
(module
  (memory (export "memory") 288)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32) (i32.const 4096))
  (func $ret (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 0))
  (func (export "ac_chunk_init") (param i32 i32) (result i32) (call $ret (i32.const 0) (i32.const 0)))
  ;; every update: {OUT} bytes of u64 chunk ends, each 0x7f7f7f7f7f7f7f7f (a distinct big integer)
  (func (export "ac_chunk_update") (param $p i32) (param $n i32) (result i32)
    (memory.fill (i32.const 0x100000) (i32.const 0x7f) (i32.const {OUT}))
    (call $ret (i32.const 0x100000) (i32.const {OUT})))
  (func (export "ac_chunk_final") (result i32) (call $ret (i32.const 0) (i32.const 0)))
)
"""


def _chunker_module(text: str) -> bytes:
    """WAT text assembled, with the metadata section of a chunker."""
    return wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(metadata("chunker"), "dag-cbor"))


def test_a_flood_of_bad_chunk_ends_is_refused_without_building_them() -> None:
    limits = small_limits(max_output_bytes=OUT, max_memory_bytes=20 * 2**20, fuel=10**9, deadline_ms=5_000)
    chunker = Sandbox(limits).load(_chunker_module(FLOOD)).chunker({"size": 1})
    tracemalloc.start()
    try:
        with pytest.raises(GuestFault, match="outside"):
            list(chunker.boundaries([b"abc"]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the output copy (OUT bytes) and little else; it was ~5 x OUT (2 M integers and their list)
    assert peak < OUT + 4 * 2**20, peak
