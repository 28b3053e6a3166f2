"""Hostile modules (tests/hostile/*.wat): each ends in a typed SandboxError within a bounded
time, the host survives, and a good module still works on the next call."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from autocodec import (
    DeadlineExceeded,
    FuelExhausted,
    GuestError,
    GuestFault,
    GuestTrap,
    MemoryLimitExceeded,
    ModuleRejected,
    OutputTooLarge,
    SandboxError,
)
from autocodec.loader import Sandbox, inspect_module
from tests._wat import HOSTILE, small_limits, wat_module

BOUND_S = 5.0  # generous wall-clock bound for any single hostile case on a loaded CI box


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(small_limits())


@pytest.fixture(scope="module")
def good(sandbox: Sandbox):  # noqa: ANN201
    return sandbox.load(wat_module("ok_echo")).codec()


def _after(good, started: float) -> None:  # noqa: ANN001
    assert time.monotonic() - started < BOUND_S
    assert good.decode(b"still alive") == b"still alive"


@pytest.mark.parametrize(
    "name, error",
    [
        ("loop_export", FuelExhausted),
        ("memory_bomb", MemoryLimitExceeded),
        ("memory_bomb_nomem", MemoryLimitExceeded),
        ("recursion", GuestTrap),
        ("huge_output", OutputTooLarge),
        ("oob_result", GuestFault),
        ("trap_midway", GuestTrap),
        ("bad_status", GuestFault),
        ("bad_cbor", GuestFault),
        ("div_zero", GuestTrap),
    ],
)
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
def test_hostile_call_ends_in_typed_error(name: str, error: type[SandboxError], fast: bool, good) -> None:  # noqa: ANN001
    codec = Sandbox(small_limits(), fast_calls=fast).load(wat_module(name)).codec()
    started = time.monotonic()
    with pytest.raises(error):
        codec.decode(b"")
    _after(good, started)
    # The same module fails the same way again: nothing carried over from the failed call.
    with pytest.raises(error):
        codec.decode(b"")


@pytest.mark.parametrize(
    "name, error",
    [("memory_bomb", MemoryLimitExceeded), ("loop_export", FuelExhausted), ("recursion", GuestTrap)],
)
def test_hostile_calls_without_the_pooling_allocator(name: str, error: type[SandboxError], good) -> None:  # noqa: ANN001
    codec = Sandbox(small_limits(pooled_instances=0)).load(wat_module(name)).codec()
    with pytest.raises(error):
        codec.decode(b"")
    _after(good, time.monotonic())


def test_oob_result_pointer_that_wraps_u32(good) -> None:  # noqa: ANN001
    codec = Sandbox(small_limits()).load(wat_module("oob_result")).codec()
    with pytest.raises(GuestFault, match="outside"):
        codec.decode(b"x")
    _after(good, time.monotonic())


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
def test_infinite_loop_with_unbounded_fuel_hits_the_deadline(fast: bool, good) -> None:  # noqa: ANN001
    limits = small_limits(fuel=10**15, deadline_ms=200)
    codec = Sandbox(limits, fast_calls=fast).load(wat_module("loop_export")).codec()
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        codec.decode(b"")
    elapsed = time.monotonic() - started
    assert 0.15 < elapsed < BOUND_S
    _after(good, started)


def test_decode_many_isolates_a_hostile_batch(good) -> None:  # noqa: ANN001
    codec = Sandbox(small_limits()).load(wat_module("loop_export")).codec()
    started = time.monotonic()
    results = codec.decode_many([b"a", b"b", b"c"])
    assert all(isinstance(r, FuelExhausted) for r in results)
    _after(good, started)


@pytest.mark.parametrize(
    "limits, error",
    [(small_limits(), FuelExhausted), (small_limits(fuel=10**15, deadline_ms=200), DeadlineExceeded)],
    ids=["fuel", "deadline"],
)
def test_infinite_loop_in_start_function_is_stopped_at_load(limits, error, good) -> None:  # noqa: ANN001
    started = time.monotonic()
    with pytest.raises(error, match="at load"):
        Sandbox(limits).load(wat_module("loop_start"))
    _after(good, started)


@pytest.mark.parametrize(
    "name, words",
    [
        ("import", "imports env.host_write"),
        ("bad_abi_version", "ac_abi_version"),
        ("bad_signature", "ac_decode"),
        ("shared_memory", "invalid Wasm"),
        ("no_memory", "'memory'"),
    ],
)
def test_load_time_refusals(name: str, words: str, good) -> None:  # noqa: ANN001
    with pytest.raises(ModuleRejected, match=words):
        Sandbox(small_limits()).load(wat_module(name))
    _after(good, time.monotonic())


@pytest.mark.parametrize("pooled", [16, 0], ids=["pooled", "on-demand"])
@pytest.mark.parametrize("name", ["huge_memory", "huge_table"])
def test_initial_memory_or_table_over_the_cap_is_refused_at_load(name: str, pooled: int, good) -> None:  # noqa: ANN001
    with pytest.raises(MemoryLimitExceeded):
        Sandbox(small_limits(pooled_instances=pooled)).load(wat_module(name))
    _after(good, time.monotonic())


@pytest.mark.parametrize("name", ["oob_slot", "oob_input"])
def test_out_of_bounds_slot_or_input_pointer(name: str, good) -> None:  # noqa: ANN001
    with pytest.raises(GuestFault):
        loaded = Sandbox(small_limits()).load(wat_module(name))
        loaded.codec().decode(b"0123456789abcdef")
    _after(good, time.monotonic())


def test_module_over_the_size_cap_is_refused_unread(good) -> None:  # noqa: ANN001
    wasm = wat_module("ok_echo")
    limits = small_limits(max_module_bytes=len(wasm) - 1)
    with pytest.raises(ModuleRejected, match="cap"):
        Sandbox(limits).load(wasm)
    with pytest.raises(ModuleRejected, match="cap"):
        inspect_module(wasm, limits=limits)
    _after(good, time.monotonic())


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x00asm", b"\x00asm\x01\x00\x00\x00\x01\xff\xff\xff\xff\x0f", b"\x00asm\x01\x00\x00\x00garbage",
     b"(module)", bytes(range(256)) * 4, b"\x00asm\x0d\x00\x01\x00"],
    ids=["empty", "magic-only", "huge-section", "garbage", "wat-text", "noise", "component"],
)
def test_invalid_wasm_is_rejected(blob: bytes, good) -> None:  # noqa: ANN001
    with pytest.raises(ModuleRejected):
        Sandbox(small_limits()).load(blob)
    with pytest.raises(ModuleRejected):
        inspect_module(blob)
    _after(good, time.monotonic())


def test_tampered_compiled_artifact_is_recompiled_not_loaded(tmp_path: Path, good) -> None:  # noqa: ANN001
    cache = tmp_path / "compiled"
    wasm = wat_module("ok_echo")
    assert Sandbox(small_limits(), cache).load(wasm).codec().decode(b"x") == b"x"
    [artifact] = cache.glob("*.cwasm")
    blob = bytearray(artifact.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    artifact.write_bytes(bytes(blob))
    # A fresh sandbox (no in-memory memo) must detect it, delete it, recompile and work.
    assert Sandbox(small_limits(), cache).load(wasm).codec().decode(b"y") == b"y"
    assert artifact.read_bytes() != bytes(blob)
    artifact.write_bytes(artifact.read_bytes()[:100])  # truncated
    assert Sandbox(small_limits(), cache).load(wasm).codec().decode(b"z") == b"z"
    _after(good, time.monotonic())


def test_error_status_is_a_guest_error_not_a_sandbox_error(good) -> None:  # noqa: ANN001
    with pytest.raises(GuestError) as info:
        good.decode(b"\xff")
    assert not isinstance(info.value, SandboxError)


def test_every_hostile_file_is_exercised() -> None:
    names = {p.stem for p in HOSTILE.glob("*.wat")}
    users = ("test_hostile.py", "test_loader.py", "test_hotcall.py", "test_isolation.py")
    source = "".join((Path(__file__).parent / name).read_text() for name in users)
    missing = [n for n in names if not n.startswith("ok_") and f'"{n}"' not in source]
    assert not missing, missing


def test_chunker_offsets_past_the_stream_are_a_fault(good) -> None:  # noqa: ANN001
    chunker = Sandbox(small_limits()).load(wat_module("bad_chunker", "chunker")).chunker({"size": 1})
    with pytest.raises(GuestFault, match="outside"):
        list(chunker.boundaries([b"abc"]))
    _after(good, time.monotonic())


def test_verify_answer_must_be_one_byte(good) -> None:  # noqa: ANN001
    crypto = Sandbox(small_limits()).load(wat_module("bad_verify", "crypto")).crypto()
    with pytest.raises(GuestFault, match="one byte"):
        crypto.verify(0xED, b"pk", b"msg", b"sig")
    _after(good, time.monotonic())


def test_output_amplification_is_refused_before_building(good) -> None:  # noqa: ANN001
    """Issue 16, case 4: 64 MiB of DAG-CBOR empty lists from a guest (was 41 s and 4.7-6.4 GB of
    host memory) is a GuestFault from the structural allocation budget, before any object is built."""
    import resource

    limits = small_limits(max_output_bytes=64 * 2**20, max_memory_bytes=80 * 2**20, deadline_ms=5_000, fuel=2_000_000_000)
    codec = Sandbox(limits).load(wat_module("empty_lists_output")).codec()
    assert codec.decode((100_000).to_bytes(4, "little")) == [[]] * 100_000  # within the budget: fine
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(GuestFault, match="max_gas"):
        codec.decode((64 * 2**20 - 5).to_bytes(4, "little"))
    _after(good, started)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: the output copy, no objects


def test_decode_budget_is_proportional_to_the_input(good) -> None:  # noqa: ANN001
    """Issue 16, case 1: a decode's fuel and deadline grow with its input from a small base, so
    a spinning codec on a tiny block is stopped by the base budget, not the full one."""
    flat = small_limits(fuel=2_000_000_000, deadline_ms=60_000)
    proportional = dataclasses.replace(flat, decode_fuel_per_byte=1_000, decode_fuel_base=20_000_000)
    timings = {}
    for name, limits in (("flat", flat), ("proportional", proportional)):
        codec = Sandbox(limits).load(wat_module("loop_export")).codec()
        started = time.monotonic()
        with pytest.raises(FuelExhausted):
            codec.decode(b"tiny")
        timings[name] = time.monotonic() - started
    assert timings["proportional"] * 5 < timings["flat"], timings
    _after(good, time.monotonic())
