"""Review of the sandbox audit (aed0c16, 053a1aa, 0925e0b): what its changes to the module reader
and to the checks before compiling still got wrong, and the boundaries they must keep."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
import wasmtime

from autocodec import MemoryLimitExceeded, ModuleRejected
from autocodec.builtin import encode
from autocodec.cid import decode_varint
from autocodec.cid import encode_varint as varint
from autocodec.loader import Sandbox, _engine, _wasmparse
from autocodec.loader._compile import in_process
from tests._wat import HOSTILE, custom_section, metadata, small_limits

ECHO_WAT = (HOSTILE / "ok_echo.wat").read_text()


def _echo(extra: str = "", memory: str | None = None) -> bytes:
    """ok_echo's binary with ``extra`` WAT fields (and ``memory`` for its memory field); no metadata yet."""
    text = ECHO_WAT if memory is None else ECHO_WAT.replace('(memory (export "memory") 1)', memory)
    return wasmtime.wat2wasm(text.rstrip()[:-1] + extra + ")")


def _patched(wasm: bytes, section: int, old: bytes, new: bytes) -> bytes:
    """``wasm`` with ``old`` replaced by ``new`` (once) inside ``section``, and ABI metadata."""
    out, off = b"\0asm\1\0\0\0", 8
    while off < len(wasm):
        size, start = decode_varint(wasm, off + 1)
        payload = wasm[start : start + size]
        if wasm[off] == section:
            assert payload.count(old) == 1
            payload = payload.replace(old, new)
        out += bytes([wasm[off]]) + varint(len(payload)) + payload
        off = start + size
    return _meta(out)


def _meta(wasm: bytes) -> bytes:
    return wasm + custom_section("autocodec.module", encode(metadata(), "dag-cbor"))


def _valid(wasm: bytes) -> bool:
    try:
        wasmtime.Module.validate(_engine.validation_engine(), wasm)
    except wasmtime.WasmtimeError:
        return False
    return True


# --- a reference type written in its long form ----------------------------------------------------
# The reader skips a type's value types by their count, one byte each (aed0c16), as it read them
# one byte each before. But wasmtime also accepts funcref written long, (ref null func) = 0x63 0x70,
# under the deterministic feature set: such a module was refused "truncated Wasm module" (the type
# section misread), before aed0c16 and after it.

_LONG_FUNCREF = b"\x63\x70"


def test_a_function_type_with_a_long_form_funcref_loads() -> None:
    wasm = _echo("(type $g (func (param funcref i32) (result funcref)))")
    wasm = _patched(wasm, 1, b"\x60\x02\x70\x7f\x01\x70", b"\x60\x02" + _LONG_FUNCREF + b"\x7f\x01" + _LONG_FUNCREF)
    assert _valid(wasm)
    assert Sandbox(small_limits()).load(wasm).codec().decode(b"ok") == b"ok"


def test_a_table_of_long_form_funcref_loads_and_its_size_is_read() -> None:
    wasm = _patched(_echo("(table 3 funcref)"), 4, b"\x01\x70\x00\x03", b"\x01" + _LONG_FUNCREF + b"\x00\x03")
    assert _valid(wasm)
    assert _wasmparse.parse(wasm).table_elements == 3
    assert Sandbox(small_limits()).load(wasm).codec().decode(b"ok") == b"ok"


def test_long_form_skipping_stays_bounded_on_garbage() -> None:
    """A run of prefixes with no heap types is malformed at once (not a Python step a byte)."""
    payload = b"\x01\x60" + varint(1000) + b"\x63" * 3000
    with pytest.raises(ModuleRejected, match="value types do not parse"):
        _wasmparse.parse(b"\0asm\1\0\0\0\x01" + varint(len(payload)) + payload)


# --- caps checked before compiling: the same answer on both compile paths -------------------------

_BIG_BODY = "(func " + "(nop) " * (small_limits().inline_compile_body_bytes + 1) + ")"  # cheap, but not in-process


def _child_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


@pytest.mark.parametrize("child", [False, True], ids=["in-process", "child"])
def test_a_table_over_the_cap_is_refused_alike_on_both_paths_and_not_remembered(child: bool, tmp_path: Path) -> None:
    """053a1aa: compiled in the child, a table over max_table_elements was CompileRefused (a
    ModuleRejected, remembered) after a whole child compile; in-process it was MemoryLimitExceeded,
    as instantiating it is with pooling off. Now MemoryLimitExceeded before any compile, both paths."""
    limits = small_limits()
    over = limits.max_table_elements + 1
    wasm = _meta(_echo((_BIG_BODY if child else "") + f"(table {over} funcref)"))
    assert in_process(_wasmparse.parse(wasm), limits) is not child
    before = _child_seconds()
    for _ in range(2):
        with pytest.raises(MemoryLimitExceeded, match=f"initial table \\({over} elements\\)") as refused:
            Sandbox(limits, cache_dir=tmp_path).load(wasm)
        assert "max_table_elements" in refused.value.one_line()
    assert _child_seconds() == before  # no compiler process ran
    if not child:  # a raised cap loads it (nothing remembered); the child compile is left to the audit's tests
        loaded = Sandbox(small_limits(max_table_elements=over), cache_dir=tmp_path).load(wasm)
        assert loaded.codec().decode(b"ok") == b"ok"


def test_an_initial_memory_at_the_cap_loads_one_page_more_is_refused_and_not_remembered(tmp_path: Path) -> None:
    """The check before compiling compares pages * 64 KiB with max_memory_bytes (bytes): a memory
    of exactly the cap loads, with or without a maximum; one page more is refused, and only until
    the cap is raised (not remembered in the cache folder)."""
    limits = small_limits()
    pages = limits.max_memory_bytes // _engine.WASM_PAGE
    for memory in (f'(memory (export "memory") {pages})', f'(memory (export "memory") {pages} 65536)'):
        wasm = _meta(_echo(memory=memory))
        assert Sandbox(limits, cache_dir=tmp_path).load(wasm).codec().decode(b"ok") == b"ok"
    wasm = _meta(_echo(memory=f'(memory (export "memory") {pages + 1})'))
    with pytest.raises(MemoryLimitExceeded, match=f"{pages + 1} pages"):
        Sandbox(limits, cache_dir=tmp_path).load(wasm)
    raised = small_limits(max_memory_bytes=limits.max_memory_bytes + _engine.WASM_PAGE)
    assert Sandbox(raised, cache_dir=tmp_path).load(wasm).codec().decode(b"ok") == b"ok"


@pytest.mark.parametrize("child", [False, True], ids=["in-process", "child"])
@pytest.mark.parametrize("pooled", [16, 0], ids=["pooled", "on-demand"])
def test_a_second_table_is_refused_at_load_alike_on_every_path(child: bool, pooled: int) -> None:
    """Reference types allow many tables, but a store here and a pooled instance hold one: such a
    module could never start. It was MemoryLimitExceeded 'initial memory or table is over the cap'
    (in-process, or at the first instantiation when unpooled) or, compiled in the child with the
    pool, CompileRefused 'table or instance state' after a child compile. Now one static rule."""
    wasm = _meta(_echo((_BIG_BODY if child else "") + "(table 1 funcref) (table 1 funcref)"))
    assert _valid(wasm)
    before = _child_seconds()
    with pytest.raises(ModuleRejected, match="defines 2 tables; ABI v1 modules have one at most"):
        Sandbox(small_limits(pooled_instances=pooled)).load(wasm)
    assert _child_seconds() == before
