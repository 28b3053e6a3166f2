"""Hostile modules against the sandbox, round 4 (what host work a small module can make).

Measured here (2 cores): a 298-byte module asking for 256 MiB of initial memory was reset and
reused like any other, and a reset instance snapshots its whole memory: 1.3 s on its first call,
2.1 GB of RSS with 8 threads calling (8 idle instances); it now gets fresh instances, 0.1-0.4 ms
a call and no growth. A module of 60 000 mutable globals (300 KB) was reset too: every reset set
them all back, ~50 ms a call and 0.75 s for the first, none of it under fuel or the deadline;
now over 64 mutable globals means fresh instances (0.4-1 ms a call). Checked and sound, so not
changed: imports of any kind or signature are refused before compiling; wasmtime refuses over
100 000 data segments, and the pooling allocator a module whose globals or table do not fit
(90 000 globals, 100 000 table elements) at load; ``table.grow`` stops at ``max_table_elements``;
a module over ``max_module_bytes`` (8 MiB; so a 50 MB one) is refused from its size."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import wasmtime

from autocodec.builtin import encode
from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import ModuleRejected
from autocodec.loader import Sandbox
from tests._probe_codec import CODEC
from tests._wat import custom_section, metadata, small_limits

def codec_module(pages: int = 1, extra: str = "", answer: str = "i32.const 0", limits: Any = None) -> Any:
    wasm = wasmtime.wat2wasm(CODEC.format(pages=pages, extra=extra, answer=answer))
    wasm += custom_section("autocodec.module", encode(metadata("codec", name="probe"), "dag-cbor"))
    return Sandbox(limits or small_limits(max_memory_bytes=512 << 20)).load(wasm)


def test_a_module_asking_for_a_large_initial_memory_gets_fresh_instances() -> None:
    loaded = codec_module(pages=4096)  # 256 MiB
    assert not loaded.reusable
    codec = loaded.codec()

    def calls() -> None:
        for _ in range(5):
            assert codec.decode(b"x") == 0

    threads = [threading.Thread(target=calls) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert loaded._idle == []  # no 256 MiB snapshot kept
    assert codec_module(pages=32).reusable  # bao's 2 MiB still is


def test_many_mutable_globals_mean_fresh_instances() -> None:
    def globals_(n: int) -> str:
        return "\n".join(f"(global (mut i32) (i32.const {i}))" for i in range(n))

    assert codec_module(extra=globals_(DEFAULT_LIMITS.sandbox.reuse_globals)).reusable
    assert not codec_module(extra=globals_(DEFAULT_LIMITS.sandbox.reuse_globals + 1)).reusable
    loaded = codec_module(extra=globals_(20_000))
    assert not loaded.reusable
    assert [loaded.codec().decode(b"x") for _ in range(3)] == [0, 0, 0]


def test_table_growth_stops_at_the_cap() -> None:
    """``table.grow`` one element at a time until refused: the table never passes the cap."""
    extra = "(table 1 funcref)"
    answer = """block (result i32)
      (loop $more
        (br_if $more (i32.ne (table.grow (ref.null func) (i32.const 1)) (i32.const -1))))
      (i32.shr_u (table.size) (i32.const 9))"""
    loaded = codec_module(extra=extra, answer=answer, limits=small_limits(max_table_elements=5000))
    assert not loaded.reusable  # table.grow changes a table: never reset
    assert loaded.codec().decode(b"x") == 5000 >> 9


@pytest.mark.parametrize("kind", ["func", "memory", "table", "global"])
def test_imports_of_any_kind_and_signature_are_refused_before_compiling(kind: str) -> None:
    imports = {
        "func": '(import "env" "f" (func (param i64 f64 i32 i32 i32) (result f32 f32 i64)))',
        "memory": '(import "env" "m" (memory 1))',
        "table": '(import "env" "t" (table 1 funcref))',
        "global": '(import "env" "g" (global (mut f64)))',
    }[kind]
    text = CODEC.format(pages=1, extra="", answer="i32.const 0").replace("(module", f"(module {imports}", 1)
    if kind == "memory":
        text = text.replace('(memory (export "memory") 1)', '(export "memory" (memory 0))')
    wasm = wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(metadata("codec", name="imp"), "dag-cbor"))
    with pytest.raises(ModuleRejected, match="imports env"):
        Sandbox(small_limits()).load(wasm)


LOOPS = """(module
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32) (i32.const 4096))
  (func (export "ac_decode") (param $p i32) (param $n i32) (result i32) (local $k i32)
    (local.set $k (i32.load (local.get $p)))
    (block $done (loop $more
      (br_if $done (i32.le_s (local.get $k) (i32.const 0)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $more)))
    (i32.store8 (i32.const 32) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 1))
    (i32.const 0))
  (func (export "ac_encode") (param $p i32) (param $n i32) (result i32) (i32.const 1))
  (func (export "ac_decode_batch") (param $p i32) (param $n i32) (result i32) (i32.const 1))
)"""


def test_fuel_at_exactly_the_limit_is_the_same_for_fresh_and_reused_instances() -> None:
    """The largest loop count that fits the fuel, found on fresh instances, fits on a reused
    instance every time, and one more iteration is ``FuelExhausted`` there every time: a reset
    instance starts each call with exactly the full budget, never what the last call left."""
    from autocodec.errors import FuelExhausted

    wasm = wasmtime.wat2wasm(LOOPS) + custom_section("autocodec.module", encode(metadata("codec", name="loops"), "dag-cbor"))
    loaded = Sandbox(small_limits(fuel=100_000)).load(wasm)
    assert loaded.reusable

    def fits_fresh(n: int) -> bool:
        try:
            loaded.instance().call("ac_decode", n.to_bytes(4, "little"))
            return True
        except FuelExhausted:
            return False

    lo, hi = 0, 100_000  # fits(lo), not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits_fresh(mid) else (lo, mid)
    codec = loaded.codec()
    for _ in range(3):
        assert [codec.decode(lo.to_bytes(4, "little")) for _ in range(5)] == [0] * 5
        with pytest.raises(FuelExhausted):
            codec.decode(hi.to_bytes(4, "little"))
    assert 1000 < lo < 100_000


def test_a_module_with_too_many_exports_is_refused_from_the_count() -> None:
    """300 000 exports (3 MB) took 11 s to load, in this process (not the bounded compile child)."""
    import time

    from autocodec.loader._wasmparse import TooManySections

    MAX_EXPORTS = DEFAULT_LIMITS.sandbox.max_exports  # noqa: N806

    def exports(n: int) -> str:
        return "\n".join(f'(export "x{i}" (func 0))' for i in range(n))

    ours = 7  # the probe codec's own exports
    assert codec_module(extra=exports(MAX_EXPORTS - ours)).codec().decode(b"x") == 0
    started = time.monotonic()
    with pytest.raises(TooManySections, match=f"has {MAX_EXPORTS + 1} exports, over the {MAX_EXPORTS}"):
        codec_module(extra=exports(MAX_EXPORTS - ours + 1))
    assert time.monotonic() - started < 5


def test_a_module_that_grows_its_memory_on_every_call_gets_fresh_instances() -> None:
    """Each call grew the memory of the instance it ran in, so the instance was discarded after
    paying for its snapshot: 4 MiB of initial memory, 23 ms a call (measured); now 0.4 ms."""
    loaded = codec_module(pages=64, answer="i32.and (memory.grow (i32.const 1)) (i32.const 0)")
    assert loaded.reusable
    codec = loaded.codec()
    calls = DEFAULT_LIMITS.sandbox.reuse_growths + 2
    assert [codec.decode(b"x") for _ in range(calls)] == [0] * calls
    assert not loaded.reusable
    steady = codec_module(pages=64)  # one that does not grow keeps its reset instances
    assert [steady.codec().decode(b"x") for _ in range(20)] == [0] * 20
    assert steady.reusable and len(steady._idle) == 1
