"""The loader's limits in one config (``SandboxLimits``), set from a home's ``config.toml``.

The parser caps (sections, exports) and the reuse thresholds (initial memory, mutable globals,
growths in a row) were module constants no node could change; child compiles of different
modules ran all at once (1 GiB for 20 s each, not bounded together); and a module's vectors were
decoded under the default decode limits whatever the home's ``[limits.decode]`` said. Real
modules (WAT compiled by wasmtime, wasm-src/git-raw), real homes, real child compile processes.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.config import DEFAULT_LIMITS, SandboxLimits
from autocodec.errors import InvalidDocument, InvalidInput
from autocodec.loader import Sandbox, inspect_module
from autocodec.loader._compile import CompileBusy, compile_slot
from autocodec.loader._vectors import decode_vectors
from autocodec.loader._wasmparse import TooManySections
from autocodec.registry import Runtime, publish_module
from autocodec.verify import KeyRing
from tests._cli import refusal_line, run_cli
from tests._config_home import check_sandbox_key, home_with
from tests._probe_codec import module
from tests._wat import small_limits

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw"
NEW_KEYS = ("concurrent_compiles", "compiled_cache_entries", "compiled_cache_bytes",
            "max_sections", "max_exports", "reuse_memory_bytes", "reuse_globals",
            "reuse_growths")


def mutable_globals(n: int) -> str:
    return "\n".join(f"(global (mut i32) (i32.const {i}))" for i in range(n))


def exports(n: int) -> str:
    return "\n".join(f'(export "x{i}" (func 0))' for i in range(n))


# -- the keys: defaults, validation, config.toml --------------------------------------------------


def test_the_defaults_are_the_old_constants() -> None:
    sandbox = DEFAULT_LIMITS.sandbox
    assert (sandbox.max_sections, sandbox.max_exports) == (1000, 1000)
    assert (sandbox.reuse_memory_bytes, sandbox.reuse_globals, sandbox.reuse_growths) == (4 << 20, 64, 8)
    assert sandbox.concurrent_compiles == 2
    assert (sandbox.compiled_cache_entries, sandbox.compiled_cache_bytes) == (512, 512 << 20)


@pytest.mark.parametrize("key", NEW_KEYS)
def test_each_key_out_of_range_is_refused_by_name(key: str, tmp_path: Path) -> None:
    check_sandbox_key(tmp_path, key, 5)


def test_a_homes_export_and_section_caps_are_the_ones_a_load_keeps(tmp_path: Path) -> None:
    home = home_with(tmp_path, "[limits.sandbox]\nmax_exports = 12\nmax_sections = 20\n")
    with Runtime(home, default_set=False) as rt:
        assert rt.sandbox.load(module(extra=exports(5))).codec().decode(b"x") == 0  # 7 + 5
        with pytest.raises(TooManySections, match=r"has 13 exports, over the 12 .*\(max_exports\)"):
            rt.sandbox.load(module(extra=exports(6)))
        with pytest.raises(TooManySections, match=r"more than 20 sections \(max_sections\)"):
            rt.sandbox.load(module() + b"\x00\x01\x00" * 20)
        with pytest.raises(TooManySections, match="more than 20 sections"):
            inspect_module(module() + b"\x00\x01\x00" * 20, limits=rt.limits.sandbox)
    assert Sandbox().load(module(extra=exports(6)) + b"\x00\x01\x00" * 20).info.name == "probe"  # the defaults


def test_a_homes_compiled_cache_bounds_are_the_ones_its_folder_keeps(tmp_path: Path) -> None:
    wasms = [module(answer=f"i32.const {i}") for i in range(4)]
    for text, kept in (("", 4), ("[limits.sandbox]\ncompiled_cache_entries = 2\n", 2)):
        home = home_with(tmp_path / str(kept), text)
        with Runtime(home, default_set=False) as rt:
            for wasm in wasms:
                rt.sandbox.load(wasm)
            assert len(list(rt.home.compiled_cache_dir.glob("*.cwasm"))) == kept


# -- reuse thresholds ----------------------------------------------------------------------------


def test_reuse_thresholds_follow_the_limits() -> None:
    two_pages, two_globals = module(pages=2), module(extra=mutable_globals(2))
    assert Sandbox(small_limits()).load(two_pages).reusable
    assert not Sandbox(small_limits(reuse_memory_bytes=64 << 10)).load(two_pages).reusable
    assert Sandbox(small_limits()).load(two_globals).reusable
    assert not Sandbox(small_limits(reuse_globals=1)).load(two_globals).reusable
    growing = module(answer="i32.and (memory.grow (i32.const 1)) (i32.const 0)")
    for growths in (2, 5):
        loaded = Sandbox(small_limits(reuse_growths=growths)).load(growing)
        codec = loaded.codec()
        for _ in range(growths - 1):
            codec.decode(b"x")
        assert loaded.reusable
        codec.decode(b"x")
        assert not loaded.reusable


def test_the_compiled_cache_keeps_one_entry_per_globals_cap(tmp_path: Path) -> None:
    """The reset rewrite travels with the compiled artifact: one compiled under a cap that did
    not rewrite must not stand for a load under a cap that does, nor the other way round."""
    wasm = module(extra=mutable_globals(3))
    cache = tmp_path / "compiled"
    assert not Sandbox(small_limits(reuse_globals=2), cache_dir=cache).load(wasm).reusable
    assert Sandbox(small_limits(reuse_globals=3), cache_dir=cache).load(wasm).reusable
    assert not Sandbox(small_limits(reuse_globals=2), cache_dir=cache).load(wasm).reusable
    assert Sandbox(small_limits(), cache_dir=cache).load(wasm).reusable


# -- vectors decoded under the home's decode limits ----------------------------------------------


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def git_raw_vectors(depth: int) -> dict[str, Any]:
    doc = builtin.decode((GIT_RAW / "vectors.json").read_bytes(), "dag-json")
    doc["note"] = nested(depth)
    return doc  # type: ignore[no-any-return]


def test_decode_vectors_keeps_the_callers_depth() -> None:
    shallow = dataclasses.replace(DEFAULT_LIMITS.decode, max_depth=16)
    for codec in ("dag-json", "dag-cbor"):
        data = builtin.encode(git_raw_vectors(20), codec)
        assert decode_vectors(data, codec, DEFAULT_LIMITS.trust, decode=DEFAULT_LIMITS.decode)["note"] == nested(20)
        with pytest.raises(InvalidDocument, match=f"the vectors document is not {codec.upper()}"):
            decode_vectors(data, codec, DEFAULT_LIMITS.trust, decode=shallow)
        ok = builtin.encode(git_raw_vectors(10), codec)
        assert decode_vectors(ok, codec, DEFAULT_LIMITS.trust, decode=shallow)["note"] == nested(10)


def test_publish_decodes_the_vectors_under_the_homes_depth(tmp_path: Path) -> None:
    folder = tmp_path / "mod"
    folder.mkdir()
    (folder / "git-raw.wasm").write_bytes((GIT_RAW / "git-raw.wasm").read_bytes())
    (folder / "vectors.json").write_bytes(builtin.encode(git_raw_vectors(20), "dag-json"))
    home = home_with(tmp_path, "[limits.decode]\nmax_depth = 16\n")
    with Runtime(home, default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("k")
        with pytest.raises(InvalidInput, match="vectors.json is not valid DAG-JSON"):
            publish_module(rt, folder / "git-raw.wasm", key)
        assert rt.store.read_rows("SELECT manifest_cid FROM registry_published", ()) == []
    (home / "config.toml").write_text("[limits.decode]\nmax_depth = 64\n")
    with Runtime(home, default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("k2")
        assert publish_module(rt, folder / "git-raw.wasm", key).vectors_cid is not None


@pytest.mark.slow
def test_module_test_reads_the_vectors_under_the_homes_depth(tmp_path: Path) -> None:
    vectors = tmp_path / "vectors.json"
    vectors.write_bytes(builtin.encode(git_raw_vectors(20), "dag-json"))
    wasm = str(GIT_RAW / "git-raw.wasm")
    home = home_with(tmp_path, "")
    assert b"vectors passed" in run_cli(home, "module", "test", wasm, str(vectors)).stdout
    (home / "config.toml").write_text("[limits.decode]\nmax_depth = 16\n")
    proc = run_cli(home, "module", "test", wasm, str(vectors), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "the vectors document is not DAG-JSON" in line, line


# -- child compiles bounded together -------------------------------------------------------------


def _compile_children() -> int:
    """Live child compile processes of this process (``python -m autocodec.loader._compile``)."""
    me, count = os.getpid(), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
            if ppid == me:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    count += b"autocodec.loader._compile" in cmdline.read()
        except (OSError, ValueError, IndexError):
            continue
    return count


def _most_children_while_loading(limits: SandboxLimits, wasms: list[bytes]) -> int:
    """Load ``wasms`` on one thread each (each compiled in a child process) and return the most
    child compiles seen alive at once."""
    most, done, errors = 0, threading.Event(), []

    def sample() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, _compile_children())
            time.sleep(0.005)

    def load(wasm: bytes) -> None:
        try:
            assert Sandbox(limits).load(wasm).codec().decode(b"x") is not None
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    sampler = threading.Thread(target=sample)
    sampler.start()
    loaders = [threading.Thread(target=load, args=(wasm,)) for wasm in wasms]
    [t.start() for t in loaders]
    [t.join() for t in loaders]
    done.set()
    sampler.join()
    assert not errors, errors
    return most


@pytest.mark.slow
def test_child_compiles_of_different_modules_run_at_most_concurrent_compiles_at_once() -> None:
    wasms = [module(answer=f"i32.const {i}") for i in range(4)]
    child = small_limits(inline_compile_bytes=1)  # every module compiles in a child process
    assert _most_children_while_loading(dataclasses.replace(child, concurrent_compiles=4), wasms) >= 2
    wasms = [module(answer=f"i32.const {i}") for i in range(4, 8)]  # not in the memo
    assert _most_children_while_loading(dataclasses.replace(child, concurrent_compiles=1), wasms) == 1


@pytest.mark.slow
def test_a_load_that_finds_every_slot_busy_fails_and_is_not_remembered() -> None:
    """The wait is ``compile_timeout_ms`` (a child compile's own bound, so a slot frees within it
    unless others queue); then ``CompileBusy``, and the same sandbox compiles the module later."""
    limits = small_limits(inline_compile_bytes=1, concurrent_compiles=1, compile_timeout_ms=4_000)
    sandbox = Sandbox(limits)
    wasm = module(answer="i32.const 5")
    with compile_slot(limits):
        started = time.monotonic()
        with pytest.raises(CompileBusy, match=r"concurrent_compiles limit \(1\).*compile_timeout_ms \(4000 ms\)"):
            sandbox.load(wasm)
        assert 3.9 < time.monotonic() - started < 6
        assert _compile_children() == 0
    assert sandbox.load(wasm).codec().decode(b"x") == 5  # the busy refusal was not kept
