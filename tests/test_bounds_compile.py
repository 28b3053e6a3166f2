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
import wasmtime

from autocodec.builtin import encode
from autocodec.errors import ModuleRejected
from autocodec.loader import Sandbox, inspect_module
from autocodec.loader._compile import CompileRefused
from tests.test_loader_wat import HOSTILE, custom_section, metadata, small_limits, wat_module

ECHO = (HOSTILE / "ok_echo.wat").read_text()


def _with(extra: str) -> bytes:
    """ok_echo plus extra functions (WAT text) that nothing calls."""
    head, _, _ = ECHO.rstrip().rpartition(")")
    doc = metadata("codec", name="bomb")
    return wasmtime.wat2wasm(head + extra + "\n)") + custom_section("autocodec.module", encode(doc, "dag-cbor"))


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
