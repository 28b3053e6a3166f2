"""Issue 16, case 3: compilation is bounded. Complexity is refused before compiling; a module
too big to compile in-process compiles in a child process with time and memory limits; a bomb
is refused once and remembered; no lock is held while compiling. And (case 12) the compiled
cache's HMAC key is trusted only when private, like an ssh key."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import ModuleRejected
from autocodec.loader import Sandbox, inspect_module
from autocodec.loader._compile import CompileRefused
from tests._wat import HOSTILE, echo_plus, locals_bomb, small_limits, wat_module

ECHO = (HOSTILE / "ok_echo.wat").read_text()
_with, _with_locals = echo_plus, locals_bomb  # ok_echo plus functions; the locals bomb (tests/_wat.py)


def _nested_loops(depth: int) -> str:
    return "(func $bomb\n" + "loop\n" * depth + "end\n" * depth + ")\n"


def _limits(**kw: object):  # noqa: ANN202
    return small_limits(**kw)


def test_too_many_functions_is_refused_before_compiling() -> None:
    wasm = _with("(func)\n" * 10_001)  # 50k such functions took 6 s and 291 MiB to compile
    started = time.monotonic()
    with pytest.raises(ModuleRejected, match="functions, over the cap of 10000"):
        Sandbox(_limits()).load(wasm)
    assert time.monotonic() - started < 2.0


def test_oversized_function_body_is_refused_before_compiling() -> None:
    wasm = _with(_nested_loops(2_000))
    with pytest.raises(ModuleRejected, match="function body is .* over the cap"):
        inspect_module(wasm, limits=_limits(max_function_bytes=1_000))


def test_big_module_compiles_in_a_bounded_child_and_runs() -> None:
    wasm = _with(_nested_loops(1_000))
    limits = _limits(inline_compile_bytes=1_000)  # force the child path
    codec = Sandbox(limits).load(wasm).codec()
    assert codec.decode(b"abc") == b"abc"


@pytest.mark.parametrize("bound, words", [
    ({"compile_timeout_ms": 1}, "compile_timeout_ms"),
    ({"compile_memory_bytes": 64 * 2**20}, "compile_memory_bytes"),
])
def test_bomb_is_refused_once_and_remembered(bound: dict, words: str, tmp_path: Path) -> None:  # type: ignore[type-arg]
    wasm = _with(_nested_loops(40_000))
    limits = _limits(inline_compile_bytes=1_000, **bound)
    sandbox = Sandbox(limits, tmp_path / "cache")
    started = time.monotonic()
    with pytest.raises(CompileRefused, match=words):
        sandbox.load(wasm)
    assert time.monotonic() - started < 15
    for again in (sandbox, Sandbox(limits, tmp_path / "cache")):  # remembered in memory and on disk
        started = time.monotonic()
        with pytest.raises(CompileRefused, match="refused without compiling"):
            again.load(wasm)
        assert time.monotonic() - started < 1.0
    # other bounds are another engine fingerprint? no: same bytes, same engine -> same refusal;
    # a good module still loads through the same sandbox
    assert sandbox.load(wat_module("ok_echo")).codec().decode(b"x") == b"x"


def test_no_lock_is_held_while_compiling() -> None:
    sandbox = Sandbox(_limits(inline_compile_bytes=1_000))
    slow = _with(_nested_loops(8_000))
    errors: list[BaseException] = []

    def load_slow() -> None:
        try:
            sandbox.load(slow)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=load_slow)
    thread.start()
    time.sleep(0.2)  # the child compile is under way
    started = time.monotonic()
    assert sandbox.load(wat_module("ok_echo"), limits=_limits()).codec().decode(b"y") == b"y"
    fast = time.monotonic() - started
    still_compiling = thread.is_alive()
    thread.join(60)
    assert not errors, errors
    if still_compiling:  # the other load did not wait for it
        assert fast < 5


def test_same_module_compiles_once_for_concurrent_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.loader import _sandbox

    calls = []
    real = _sandbox.compile_module

    def counting(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        time.sleep(0.2)
        return real(*args, **kw)

    monkeypatch.setattr(_sandbox, "compile_module", counting)
    sandbox = Sandbox(_limits())
    wasm = wat_module("ok_echo")
    threads = [threading.Thread(target=sandbox.load, args=(wasm,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1


# --- the cache key, checked like a private key (case 12) -----------------------------------


def _artifacts(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.cwasm"))


def test_cache_is_used_only_with_a_private_key(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    wasm = wat_module("ok_echo")
    Sandbox(_limits(), cache).load(wasm)
    assert len(_artifacts(cache)) == 1 and (cache / "hmac.key").stat().st_mode & 0o777 == 0o600
    for artifact in _artifacts(cache):
        artifact.unlink()
    os.chmod(cache / "hmac.key", 0o644)  # readable by others: anyone could forge artifacts
    Sandbox(_limits(), cache).load(wasm)  # still loads (compiled), but nothing is written
    assert _artifacts(cache) == []
    os.chmod(cache / "hmac.key", 0o600)
    Sandbox(_limits(), cache).load(wasm)
    assert len(_artifacts(cache)) == 1


def test_symlinked_key_or_open_folder_is_not_trusted(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    wasm = wat_module("ok_echo")
    Sandbox(_limits(), cache).load(wasm)
    for artifact in _artifacts(cache):
        artifact.unlink()
    real = tmp_path / "elsewhere.key"
    (cache / "hmac.key").rename(real)
    (cache / "hmac.key").symlink_to(real)
    Sandbox(_limits(), cache).load(wasm)
    assert _artifacts(cache) == []
    (cache / "hmac.key").unlink()
    real.rename(cache / "hmac.key")
    os.chmod(cache, 0o777)
    try:
        Sandbox(_limits(), cache).load(wasm)
        assert _artifacts(cache) == []
    finally:
        os.chmod(cache, 0o700)


def test_limits_are_plain_config() -> None:
    limits = dataclasses.replace(small_limits(), max_functions=5)
    with pytest.raises(ModuleRejected, match="over the cap of 5"):
        inspect_module(wat_module("ok_echo"), limits=limits)


# --- the in-process envelope also bounds one body's size and the declared locals -------------


def _nested_ifs(depth: int) -> str:
    return "(func (param i32)\n" + "local.get 0\nif\n" * depth + "end\n" * depth + ")\n"


def test_big_bodies_and_many_locals_compile_in_the_bounded_child() -> None:
    """Found by the sandbox sweep: the in-process envelope counted only code bytes, functions
    and 0x03 bytes, so one 125 KB body of nested ``if`` (10.8 s, ~230 MiB) or 1990 functions of
    49 151 locals in 14 KB of code (~8 s) compiled in-process, beyond compile_timeout_ms."""
    from autocodec.config import SandboxLimits
    from autocodec.loader._compile import in_process
    from autocodec.loader._wasmparse import parse

    limits = SandboxLimits()
    ifs = parse(_with(_nested_ifs(4_000)))  # one ~20 KB body: over inline_compile_body_bytes
    assert ifs.code_bytes <= limits.inline_compile_bytes and ifs.loop_bytes <= limits.inline_compile_loops
    assert not in_process(ifs, limits)
    many = parse(_with_locals(10, 49_151))  # 491 510 locals in ~100 bytes of code
    echo = parse(_with("")).locals  # ok_echo's own
    assert many.locals == echo + 10 * 49_151 and many.code_bytes < 2_000
    assert not in_process(many, limits)
    assert parse(_with_locals(10, 100)).locals == echo + 1_000
    assert in_process(parse(_with_locals(10, 100)), limits)
    for shipped in sorted((Path(__file__).parent.parent / "wasm-src").glob("*/*.wasm")):
        assert in_process(parse(shipped.read_bytes()), limits), shipped.name


def test_many_local_runs_count_as_the_per_function_cap() -> None:
    from autocodec.loader._wasmparse import _body_locals

    runs = 65
    head = bytes([runs]) + b"\x00\x7f" * runs + b"\x0b"  # 65 runs of zero locals: the read stops at 64
    assert _body_locals(head, 0, len(head)) == 50_000
    assert _body_locals(b"\x01\xff", 0, 2) == 0  # malformed: validation refuses it, not this count


@given(st.binary(max_size=40), st.lists(st.tuples(st.integers(0, 300), st.sampled_from([0x7F, 0x7E, 0x7B])),
                                         max_size=70))
def test_the_quick_locals_count_agrees_with_the_careful_read(noise: bytes, runs: list[tuple[int, int]]) -> None:
    """``_body_locals`` reads one-byte counts without a reader object (loads stay cheap); it must
    count exactly what the careful LEB128 read counts, on well-formed heads and on noise."""
    from autocodec.cid import encode_varint as leb  # unsigned LEB128, as Wasm's u32
    from autocodec.loader._wasmparse import _LOCAL_RUNS_READ, _MAX_FUNCTION_LOCALS, _body_locals

    head = leb(len(runs)) + b"".join(leb(n) + bytes([t]) for n, t in runs) + b"\x0b"
    expected = (_MAX_FUNCTION_LOCALS if len(runs) > _LOCAL_RUNS_READ
                else min(sum(n for n, _ in runs), _MAX_FUNCTION_LOCALS))
    assert _body_locals(head, 0, len(head)) == expected
    body = noise + head
    assert _body_locals(body, len(noise), len(body)) == expected
    _body_locals(noise, 0, len(noise))  # any bytes: a count, never an exception


def test_a_locals_bomb_is_refused_at_the_compile_deadline() -> None:
    wasm = _with_locals(1_980, 49_151)  # under the function count; third LEB byte 0x02: no 0x03 byte
    limits = _limits(compile_timeout_ms=1_000)
    started = time.monotonic()
    with pytest.raises(CompileRefused, match="compile_timeout_ms"):
        Sandbox(limits).load(wasm)
    assert time.monotonic() - started < 10  # the child's 1 s timeout plus its start on a busy machine, not 8 s


def test_a_module_of_many_tiny_sections_is_refused_before_any_pass_over_them() -> None:
    """Found by the sandbox sweep: 8 MiB of empty custom sections (2.8 million) took 9.3 s and
    ~220 MiB to load (three Python passes over every section, each kept in a list)."""
    from autocodec.loader._wasmparse import TooManySections

    MAX_SECTIONS = DEFAULT_LIMITS.sandbox.max_sections  # noqa: N806

    echo = wat_module("ok_echo")
    assert Sandbox(_limits()).load(echo + b"\x00\x01\x00" * 900).codec().decode(b"x") == b"x"
    bomb = echo + b"\x00\x01\x00" * MAX_SECTIONS
    for load in (lambda: Sandbox(_limits()).load(bomb), lambda: inspect_module(bomb)):
        started = time.monotonic()
        with pytest.raises(TooManySections, match="more than 1000 sections"):
            load()
        assert time.monotonic() - started < 2.0
