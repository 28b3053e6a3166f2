"""Module errors and limits left from the modules audit (after tests/test_s12_module_errors.py):

- an input over what the memory cap leaves room for is the cap's error (``MemoryLimitExceeded``,
  naming the input's size and the cap, hinting what to do), on the checked and the C paths alike,
  not the module's own "could not allocate" (``GuestError``);
- a chunker refusing its parameters (``InvalidInput``) names its module, as every module error does;
- a module failing at load names itself once;
- chunkers and verifiers served by a pinned set name the set too, as codecs and hashers do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from autocodec.abi import Kind
from autocodec.builtin import encode
from autocodec.errors import AutocodecError, GuestError, InvalidInput, MemoryLimitExceeded, SandboxError
from autocodec.loader import Sandbox
from autocodec.loader._verifier import Verifier
from autocodec.loader import xorshift_bytes
from autocodec.registry import Runtime
from tests._cli import refusal_line, run_cli
from tests._wat import ABI_HEAD, ECHO_CODE, custom_section, metadata, small_limits, wat_module

_HINT = "give a smaller input, or if it is legitimately this large, raise max_memory_bytes under [limits.sandbox]"

_HASHER_TAIL = """
  (func (export "ac_hash") (param i32 i32) (result i32)
    (i32.store (i32.const 16) (i32.const 32)) (i32.store (i32.const 20) (i32.const 8)) (i32.const 0))
  (func (export "ac_hash_init") (result i32) (i32.const 0))
  (func (export "ac_hash_update") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_hash_final") (result i32) (i32.const 0))
)"""
"""A hasher's functions, each answering at once (a fixed 8-byte digest), and the module's end."""

ROOMY = """(module
  (memory (export "memory") 2)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $n) (i32.const 4096)) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 0))))))
    (i32.const 4096))
""" + _HASHER_TAIL
"""A hasher starting with 2 pages, its input at 4096 (growing a page when it does not fit, 0 when
it cannot): under a 2-page cap it takes up to 126 976 bytes and no more, without ever growing."""

PICKY = "(module" + ABI_HEAD + _HASHER_TAIL
"""A hasher that refuses inputs over 60 000 bytes on its own, far under any cap."""


def _hasher(text: str, name: str) -> bytes:
    return wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(metadata("hasher", name=name),
                                                                                "dag-cbor"))


def _once(exc: AutocodecError, name: str) -> str:
    """``exc``'s CLI line, after checking that it names module ``name`` once, leading it."""
    line = exc.one_line()
    assert exc.module is not None and exc.module.name == name, line
    assert line.startswith(f"module {name} ") and line.count(name) == 1, line
    return line


# --- 1. an input the memory cap leaves no room for ----------------------------------------------


def test_an_input_over_the_memory_cap_is_the_limit_error_naming_both_sizes() -> None:
    """ok_echo grows its memory for its input; an input over the cap cannot be taken. It was a
    GuestError ("could not allocate a 2097152-byte input"), as if the module had failed."""
    codec = Sandbox(small_limits(max_memory_bytes=1 << 20)).load(wat_module("ok_echo")).codec()
    with pytest.raises(MemoryLimitExceeded) as caught:
        codec.decode(b"\x01" * (2 << 20))
    exc = caught.value
    assert exc.message == ("a 2097152-byte input is over the module's memory cap of 1048576 bytes "
                           "(max_memory_bytes)"), exc.message  # what an IPVM receipt records
    assert exc.hint.startswith(_HINT), exc.hint
    _once(exc, "ok_echo")
    assert codec.decode(b"\x01" * 1000) == b"\x01" * 1000  # the module still serves smaller inputs


@pytest.mark.parametrize("fast", [True, False])
def test_an_input_past_the_room_left_under_the_cap_reads_the_same_on_either_path(fast: bool) -> None:
    """An input under the cap but over what the module's memory, already at the cap, leaves:
    after 20 calls on reset instances the C runner (``fast``) takes the call, the checked path
    otherwise; both tell the sizes and the cap (the C path said only "under its memory cap")."""
    hasher = Sandbox(small_limits(max_memory_bytes=2 << 16), fast_calls=fast).load(_hasher(ROOMY, "roomy")).hasher()
    for _ in range(20):
        assert len(hasher.digest(b"x" * 126_000)) == 8
    with pytest.raises(MemoryLimitExceeded) as caught:
        hasher.digest(b"x" * 127_500)
    assert caught.value.message == ("the module could not take a 127500-byte input beside the memory it holds under "
                                    "its memory cap of 131072 bytes (max_memory_bytes)")
    assert caught.value.hint.startswith(_HINT)
    _once(caught.value, "roomy")


def test_a_module_refusing_an_input_far_under_the_cap_is_still_its_own_error() -> None:
    hasher = Sandbox(small_limits()).load(_hasher(PICKY, "picky")).hasher()
    with pytest.raises(GuestError) as caught:
        hasher.digest(b"x" * 70_000)
    assert not isinstance(caught.value, SandboxError)
    assert caught.value.message == "the module could not allocate a 70000-byte input"
    _once(caught.value, "picky")


def test_cli_an_input_over_the_memory_cap_is_one_line_naming_the_limit(tmp_path: Path) -> None:
    home, module = tmp_path / "home", tmp_path / "echo.wasm"
    module.write_bytes(wat_module("ok_echo"))
    with Runtime(home, default_set=False) as runtime:
        data = b"\x01" * (512 << 10)
        cid = runtime.cid_for(data, ECHO_CODE)
        runtime.store.put(cid, data)
    config = home / "config.toml"
    config.write_text((config.read_text() if config.exists() else "") + "\n[limits.sandbox]\nmax_memory_bytes = 262144\n")
    proc = run_cli(home, "dag", "get", "--module", str(module), str(cid), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith("autocodec: MemoryLimitExceeded: module ok_echo 1.0.0 ("), line
    assert "a 524288-byte input is over the module's memory cap of 262144 bytes" in line and _HINT in line, line


# --- 2. a chunker's refused parameters ----------------------------------------------------------


def test_refused_chunker_parameters_name_the_module() -> None:
    chunker = Sandbox(small_limits()).load(wat_module("ok_fixed", "chunker")).chunker({"size": 0})
    with pytest.raises(InvalidInput) as caught:
        list(chunker.boundaries([b"abcd"]))
    assert caught.value.message.startswith("chunker ok_fixed refused its parameters: ")  # unchanged
    assert caught.value.module is not None and caught.value.module.name == "ok_fixed"


def test_cli_refused_chunker_parameters_name_the_module_and_its_set(tmp_path: Path) -> None:
    """Through the default set (items 2 and 4): the line names the module and the set serving it."""
    path = tmp_path / "data.bin"
    path.write_bytes(xorshift_bytes(5, 20_000))
    proc = run_cli(tmp_path / "home", "add", "-Q", "--chunker", "chunker-fastcdc", str(path), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith("autocodec: InvalidInput: module chunker-fastcdc "), line
    assert ", set 'autocodec-default'): chunker chunker-fastcdc refused its parameters: " in line, line


# --- 3. a module failing at load ----------------------------------------------------------------


def test_a_module_failing_at_load_names_itself_once(tmp_path: Path) -> None:
    with pytest.raises(SandboxError) as caught:
        Sandbox(small_limits()).load(wat_module("loop_start"))
    assert caught.value.message.startswith("failed at load: "), caught.value.message
    _once(caught.value, "loop_start")
    home, module = tmp_path / "home", tmp_path / "loop_start.wasm"
    module.write_bytes(wat_module("loop_start"))
    with Runtime(home, default_set=False) as runtime:
        cid = runtime.cid_for(b"\x01", ECHO_CODE)
        runtime.store.put(cid, b"\x01")
    proc = run_cli(home, "dag", "get", "--module", str(module), str(cid), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.count("loop_start") == 1 and ": failed at load: the module ran " in line, line


# --- 4. the set serving a chunker or verifier ---------------------------------------------------


def test_a_verifier_served_by_a_set_names_the_set(home: Path) -> None:
    with Runtime(home) as runtime:
        verifier = Verifier(runtime.resolver.adapter(Kind.VERIFIER, "bao"))
        with pytest.raises(GuestError) as caught:
            verifier.decoder(bytes(32), mode=77)
    module = caught.value.module
    assert module is not None and (module.name, module.set_name) == ("bao", "autocodec-default"), module


def test_views_of_one_module_name_their_own_sets_and_share_its_state() -> None:
    loaded = Sandbox(small_limits()).load(wat_module("ok_fixed", "chunker"))
    first, second = loaded.served_by("s1"), loaded.served_by("s2").served_by("s3")
    assert (first.ref.set_name, second.ref.set_name, loaded.ref.set_name) == ("s1", "s3", None)
    assert first._idle is loaded._idle and second.limits is loaded.limits  # one module, not copies
    for view, name in ((first, "s1"), (second, "s3")):
        with pytest.raises(InvalidInput) as caught:
            list(view.chunker({"size": 0}).boundaries([b"abcd"]))
        assert caught.value.module is not None and caught.value.module.set_name == name
    assert list(first.chunker({"size": 2}).boundaries([b"abcd"])) == [2, 4]
