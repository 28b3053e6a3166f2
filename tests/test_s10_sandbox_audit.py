"""Adversarial audit of the Wasm sandbox (2026-12-06): what a hostile module author tried, and
the bounds that now hold. Bombs made of huge entry counts are built here from ok_echo (their
WAT would be megabytes); the other modules are in tests/hostile/."""

from __future__ import annotations

from pathlib import Path

import resource

import pytest
import wasmtime

from autocodec import CompileRefused, MemoryLimitExceeded, ModuleRejected
from autocodec.builtin import encode
from autocodec.cid import decode_varint
from autocodec.cid import encode_varint as varint
from autocodec.config import DEFAULT_LIMITS
from autocodec.loader import Sandbox, _wasmparse
from autocodec.loader._compile import in_process
from autocodec.loader._wasmparse import TooManySections
from tests._wat import HOSTILE, custom_section, metadata, small_limits, wat_module

ROOT = Path(__file__).resolve().parent.parent
ECHO = wasmtime.wat2wasm((HOSTILE / "ok_echo.wat").read_text())
ORDER = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11)  # the binary format's section order (custom last)


def _sections(wasm: bytes) -> dict[int, bytes]:
    out, off = {}, 8
    while off < len(wasm):
        size, start = decode_varint(wasm, off + 1)
        out[wasm[off]] = wasm[start : start + size]
        off = start + size
    return out


def _module(**changes: bytes) -> bytes:
    """ok_echo with sections replaced (``s1=`` the type section...) and its metadata section."""
    sections = {**_sections(ECHO), **{int(k[1:]): v for k, v in changes.items()}}
    body = b"".join(bytes([i]) + varint(len(sections[i])) + sections[i] for i in ORDER if i in sections)
    return b"\0asm\1\0\0\0" + body + custom_section("autocodec.module", encode(metadata(), "dag-cbor"))


def _more(section: int, entries: bytes, n: int) -> bytes:
    """ok_echo's ``section`` with ``n`` more entries (``entries``) after its own."""
    payload = _sections(ECHO).get(section, varint(0))
    count, off = decode_varint(payload, 0)
    return varint(count + n) + payload[off:] + entries


def _with_echo(extra: str, memory: str | None = None) -> bytes:
    """ok_echo's WAT with ``extra`` fields (and ``memory`` for its memory), with metadata (not
    through ``wat_module``: a text this long is not a file name it can test)."""
    text = (HOSTILE / "ok_echo.wat").read_text()
    if memory is not None:
        text = text.replace('(memory (export "memory") 1)', memory)
    wat = text.rstrip()[:-1] + extra + ")"
    return wasmtime.wat2wasm(wat) + custom_section("autocodec.module", encode(metadata(), "dag-cbor"))


def _echo_types() -> int:
    return decode_varint(_sections(ECHO)[1], 0)[0]


# --- entry-count bombs: refused from the count, before one Python step an entry ------------------
# Before: each entry cost a Python step in the loader's reader, in this process and outside the
# compile child's bounds, before wasmtime saw the bytes (CPU here): 990 000 types (2.8 MiB) 5.5 s
# and loaded; 2 million types 5.5 s, 1.5 million imports 3.5 s, 7 million function bodies (6.7 MiB)
# 14.8 s, 3 million memories 2 s, a type of 7 million parameters 3.2 s, each then refused. After:
# 0.01-0.02 s each.

BOMBS = {
    "types": lambda: _module(s1=_more(1, b"\x60\x00\x00" * 990_000, 990_000)),
    "imports": lambda: _module(s2=varint(1_500_000) + b"\x00\x00\x00\x00" * 1_500_000),
    "functions": lambda: _module(s3=_more(3, b"\x00" * 7_000_000, 7_000_000)),
    "bodies": lambda: _module(s10=varint(7_000_000) + b"\x00" * 7_000_000),
}


@pytest.mark.parametrize("what", list(BOMBS))
def test_a_module_of_millions_of_entries_is_refused_from_the_count(what: str) -> None:
    wasm = BOMBS[what]()
    assert len(wasm) <= DEFAULT_LIMITS.sandbox.max_module_bytes
    with pytest.raises(TooManySections, match=rf"the module has \d+ {what if what != 'bodies' else 'functions'}, "
                       r"over the cap of 10000 \(max_functions\)") as refused:
        Sandbox(DEFAULT_LIMITS.sandbox).load(wasm)
    assert "max_functions" in refused.value.one_line()


def test_the_type_cap_is_max_functions_exactly() -> None:
    """As many types as ``max_functions`` load; one more is refused (a small cap, so small modules)."""
    cap = 20
    limits = small_limits(max_functions=cap)
    extra = cap - _echo_types()
    fits = _module(s1=_more(1, b"\x60\x00\x00" * extra, extra))
    assert Sandbox(limits).load(fits).codec().decode(b"ok") == b"ok"
    over = _module(s1=_more(1, b"\x60\x00\x00" * (extra + 1), extra + 1))
    with pytest.raises(TooManySections, match=f"{cap + 1} types"):
        Sandbox(limits).load(over)


@pytest.mark.parametrize(
    "section, payload, words",
    [
        (1, b"\x01\x60" + varint(1001) + b"\x7f" * 1001 + b"\x00", "1001 parameters or results"),
        (1, b"\x01\x60\x00" + varint(7_000_000) + b"\x7f" * 7_000_000, "7000000 parameters or results"),
        (5, varint(3_000_000) + b"\x00\x01" * 3_000_000, "3000000 memories"),
    ],
    ids=["1001-params", "7M-results", "3M-memories"],
)
def test_the_reader_stops_at_a_count_wasmtime_refuses(section: int, payload: bytes, words: str) -> None:
    """The reader refused none of these (it read every entry first); wasmtime refuses them all."""
    with pytest.raises(ModuleRejected, match=words):
        _wasmparse.parse(b"\0asm\1\0\0\0" + bytes([section]) + varint(len(payload)) + payload)


def test_export_types_are_decoded_for_exports_only_and_still_checked() -> None:
    """Types are skipped by their counts; an exported function's signature is still read whole."""
    summary = _wasmparse.parse(wat_module("ok_echo"))
    assert str(summary.export_types["ac_decode"]) == "(i32, i32) -> (i32)"
    assert str(summary.export_types["ac_abi_version"]) == "() -> (i32)"
    with pytest.raises(ModuleRejected, match="export ac_decode has type"):
        Sandbox(small_limits()).load(wat_module("bad_signature"))


# --- compile cost: costly opcodes go to the bounded child ----------------------------------------


def _call_indirect_bomb() -> bytes:
    body = "(func (param i32) " + "(drop (call_indirect (type $t) (local.get 0))) " * 2000 + ")"
    return _with_echo("(table 1 funcref) (type $t (func (result i32))) " + body * 10)


def test_call_indirect_heavy_code_compiles_in_the_bounded_child() -> None:
    """20 000 ``call_indirect`` in ten 12 KiB bodies (120 KiB of code, no loop) passed every
    in-process check: compiled in this process, 1.9-2.5 s CPU and 143 MB peak RSS here (the
    child now: same CPU, this process 45 MB). Each costs Cranelift about what a loop does."""
    bomb = _wasmparse.parse(_call_indirect_bomb())
    assert bomb.code_bytes <= DEFAULT_LIMITS.sandbox.inline_compile_bytes
    assert bomb.largest_body <= DEFAULT_LIMITS.sandbox.inline_compile_body_bytes
    assert bomb.loop_bytes >= 20_000
    assert not in_process(bomb, DEFAULT_LIMITS.sandbox)


def test_every_shipped_module_still_compiles_in_process() -> None:
    shipped = sorted(ROOT.glob("wasm-src/*/*.wasm"))
    assert len(shipped) >= 20
    for path in shipped:
        assert in_process(_wasmparse.parse(path.read_bytes()), DEFAULT_LIMITS.sandbox), path.name


# --- modules that cannot run within the caps, compiled in the child -------------------------------
# The child compiles without the pooling allocator; only the parent's load of its artifact measured
# the module against the pool. A module over the caps was compiled in a child at every load (not
# remembered: ModuleRejected "does not fit the engine"), holding a compile slot each time; with
# 120 KiB of call_indirect, 2-4 s each here. An initial memory over the cap is now refused before
# any compile; a table or instance state over a pooled instance's is refused once and remembered.

_BIG_BODY = "(func " + "(nop) " * (DEFAULT_LIMITS.sandbox.inline_compile_body_bytes + 1) + ")"  # cheap, but not in-process


def _child_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def test_an_initial_memory_over_the_cap_is_refused_before_any_compile(tmp_path: Path) -> None:
    wasm = _with_echo(_BIG_BODY, memory='(memory (export "memory") 300)')  # 18.75 MiB, cap 16 MiB
    assert not in_process(_wasmparse.parse(wasm), small_limits())
    before = _child_seconds()
    with pytest.raises(MemoryLimitExceeded, match="300 pages"):
        Sandbox(small_limits(), cache_dir=tmp_path).load(wasm)
    assert _child_seconds() == before  # no compiler process ran


def test_instance_state_over_a_pooled_instances_is_refused_once_and_remembered(tmp_path: Path) -> None:
    wasm = _with_echo(_BIG_BODY + "(global (mut i32) (i32.const 0))" * 100_000)  # ~1.6 MB of VM context
    with pytest.raises(CompileRefused, match="pooled instance") as refused:
        Sandbox(small_limits(), cache_dir=tmp_path).load(wasm)
    assert "pooled_instances = 0" in refused.value.one_line()
    before = _child_seconds()
    with pytest.raises(CompileRefused, match="refused without compiling"):
        Sandbox(small_limits(), cache_dir=tmp_path).load(wasm)  # another process, the same home
    assert _child_seconds() == before
    loaded = Sandbox(small_limits(pooled_instances=0), cache_dir=tmp_path).load(wasm)  # what the hint says
    assert loaded.codec().decode(b"ok") == b"ok"
    small = _with_echo("(global (mut i32) (i32.const 0))" * 100_000)  # compiled in-process: said alike
    assert in_process(_wasmparse.parse(small), small_limits())
    with pytest.raises(ModuleRejected, match="instance state is over what a pooled instance may hold") as inline:
        Sandbox(small_limits()).load(small)
    assert "pooled_instances = 0" in inline.value.one_line()


# --- isolation: a module cannot claim the host's reset marker -------------------------------------


@pytest.mark.parametrize("export", ['(export "ac.reset:memory" (memory 0))', '(export "ac.reset:g0" (global $g))'])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
def test_a_module_exporting_the_reset_marker_itself_is_refused(export: str, fast: bool) -> None:
    """sticky_state.wat exporting the marker of the host's reset rewrite (``ac.reset:memory``):
    before, the loader took it for resettable while the rewrite had declined it, reused its
    instance and never set its hidden globals back: five decodes of b"" gave 1111, 2112, 3113,
    4114, 5115 (a fresh instance gives 1111 every time), state carried from call to call."""
    text = (HOSTILE / "sticky_state.wat").read_text()
    text = text.replace('(memory (export "memory") 2)', '(memory (export "memory") 2) ' + export)
    wasm = wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(metadata(), "dag-cbor"))
    with pytest.raises(ModuleRejected, match="reserves") as refused:
        Sandbox(small_limits(), fast_calls=fast).load(wasm)
    assert "ac.reset:" in refused.value.message
    plain = Sandbox(small_limits(), fast_calls=fast).load(wat_module("sticky_state")).codec()
    assert [plain.decode(b"") for _ in range(5)] == [1111] * 5


# --- features outside the deterministic set: refused at load, naming the feature -----------------

_EXTRA = {
    "memory64": ('(memory (export "memory") i64 1)', "", "memory64"),
    "multi-memory": (None, "(memory $second 1)", "multiple memories"),
    "exceptions": (None, "(tag $t) (func $throws (throw $t))", "exceptions"),
    "gc": (None, "(type $s (struct (field i32)))", "gc"),
    "function-references": (None, "(type $f (func)) (func $takes (param (ref $f)))", "function references"),
    "relaxed-simd": (None, "(func $r (result v128) (f32x4.relaxed_madd (v128.const i64x2 0 0) "
                     "(v128.const i64x2 0 0) (v128.const i64x2 0 0)))", "relaxed SIMD"),
    "threads": (None, "(func $a (result i32) (i32.atomic.load (i32.const 0)))", "threads"),
    "wide-arithmetic": (None, "(func $w (param i64 i64 i64 i64) (result i64 i64) (i64.add128 (local.get 0) "
                        "(local.get 1) (local.get 2) (local.get 3)))", "wide arithmetic"),
}


@pytest.mark.parametrize("feature", list(_EXTRA))
def test_a_feature_outside_the_deterministic_set_is_refused_by_name(feature: str) -> None:
    memory, extra, words = _EXTRA[feature]
    with pytest.raises(ModuleRejected, match=f"deterministic feature set.*{words}") as refused:
        Sandbox(small_limits()).load(_with_echo(extra, memory))
    assert "\n" not in refused.value.one_line()


# --- determinism: NaN bit patterns of every NaN-making operation ----------------------------------

F32_NAN, F64_NAN = bytes.fromhex("0000c07f"), bytes.fromhex("000000000000f87f")


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
def test_simd_and_scalar_nans_are_canonical(fast: bool) -> None:
    """ok_nan_simd.wat: 32 operations on negative NaNs with payloads (x86 would keep sign and
    payload: all 11 f32x4 rows came back as given with canonicalization off, checked by hand)."""
    codec = Sandbox(small_limits(), fast_calls=fast).load(wat_module("ok_nan_simd")).codec()
    out = codec.decode(bytes.fromhex("0100c0ff") * 4 + bytes.fromhex("010000000000f8ff") * 2)
    f32x4, f64x2, zero8 = F32_NAN * 4, F64_NAN * 2, bytes(8)
    expected = (
        f32x4 * 11  # f32x4 add sub mul div sqrt min max ceil floor trunc nearest
        + f64x2  # f64x2.promote_low_f32x4
        + f64x2 * 11  # f64x2 add sub mul div sqrt min max ceil floor trunc nearest
        + F32_NAN * 2 + zero8  # f32x4.demote_f64x2_zero
        + (F32_NAN + bytes(12)) * 4  # f32 add min nearest, f32.demote_f64
        + (F64_NAN + zero8) * 4  # f64.promote_f32, f64 add sqrt max
    )
    assert out == expected
