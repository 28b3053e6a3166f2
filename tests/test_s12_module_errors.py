"""Errors from an extension module name the module (name, version, CID) wherever a user sees
them: ``AutocodecError.one_line`` (the CLI's line), the gateway's error text, the explorer's
"Not decoded" paragraph, the JSON routes' body; the error's own ``message`` (what an IPVM
receipt records) is unchanged (found by the modules audit: a trap read "the module trapped
(...)" with no word of which module of which set)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from aiohttp.test_utils import TestClient, TestServer

from autocodec.cid import CID
from autocodec.errors import AutocodecError, GuestError, GuestFault, GuestTrap, SandboxError
from autocodec.loader import Sandbox
from autocodec.registry import Runtime
from autocodec.serve import make_app
from tests._cli import run_cli
from autocodec.builtin import encode
from tests._wat import ABI_HEAD, ECHO_CODE, FNV_CODE, custom_section, metadata, small_limits, wat_module

_HEAD = ABI_HEAD + """
  (func $ret (param $ptr i32) (param $len i32) (param $status i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (local.get $status))
"""

TRAPPER = "(module" + _HEAD + """
  (data (i32.const 64) "no encoding here")
  (func (export "ac_encode") (param i32 i32) (result i32) (call $ret (i32.const 64) (i32.const 16) (i32.const 1)))
  (func (export "ac_decode_batch") (param i32 i32) (result i32) unreachable)
  (func (export "ac_decode") (param i32 i32) (result i32) unreachable)
)"""
"""A codec whose decodes trap and whose encode refuses (a ``GuestError`` with its own words)."""

HASH_TRAPPER = "(module" + _HEAD + """
  (func (export "ac_hash") (param i32 i32) (result i32) unreachable)
  (func (export "ac_hash_init") (result i32) (call $ret (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "ac_hash_update") (param i32 i32) (result i32) unreachable)
  (func (export "ac_hash_final") (result i32) unreachable)
)"""


def _inline(text: str, meta: dict[str, Any]) -> bytes:
    """WAT text (longer than a file name may be) with its metadata section."""
    return wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(meta, "dag-cbor"))


def _codec() -> bytes:
    return _inline(TRAPPER, metadata("codec", name="trapper", version="2.1.0"))


def _named(exc: AutocodecError, name: str, version: str) -> str:
    """The module CID the error names, after checking its name and version, and that
    ``one_line`` shows all three."""
    assert exc.module is not None, exc
    assert (exc.module.name, exc.module.version) == (name, version)
    line = exc.one_line()
    assert f"module {name} {version} ({exc.module.cid})" in line, line
    return exc.module.cid


# --- every kind of adapter: raised and returned errors ----------------------------------------


def test_codec_decode_trap_names_the_module_and_keeps_its_message() -> None:
    loaded = Sandbox(small_limits()).load(_codec())
    with pytest.raises(GuestTrap) as caught:
        loaded.codec().decode(b"\x01")
    assert _named(caught.value, "trapper", "2.1.0") == str(loaded.info.cid)
    assert caught.value.message == "the module trapped (unreachable)"  # what a receipt records: unchanged


def test_codec_encode_refusal_names_the_module() -> None:
    loaded = Sandbox(small_limits()).load(_codec())
    with pytest.raises(GuestError) as caught:
        loaded.codec().encode({"a": 1})
    _named(caught.value, "trapper", "2.1.0")
    assert caught.value.message == "no encoding here"


def test_decode_many_returned_errors_name_the_module() -> None:
    loaded = Sandbox(small_limits()).load(_codec())
    results = loaded.codec().decode_many([b"\x01", b"\x02", b"\x03"])
    assert all(isinstance(r, GuestTrap) for r in results)
    for r in results:
        _named(r, "trapper", "2.1.0")


def test_decode_many_batch_items_name_the_module() -> None:
    """An error item of ``ac_decode_batch``'s frame (bad_status: an unknown status) names it."""
    loaded = Sandbox(small_limits()).load(wat_module("ok_echo"))
    value = loaded.codec().decode_many([b"\x01"])
    assert value == [b"\x01"] or not isinstance(value[0], AutocodecError)  # a success carries no module
    bad = Sandbox(small_limits()).load(wat_module("bad_status"))
    results = bad.codec().decode_many([b"\x01", b"\x02"])
    assert results and all(isinstance(r, SandboxError) for r in results)
    for r in results:
        _named(r, "bad_status", "1.0.0")


def test_hasher_one_shot_and_stream_name_the_module() -> None:
    loaded = Sandbox(small_limits()).load(_inline(HASH_TRAPPER, metadata("hasher", name="hashtrap", codes=[FNV_CODE])))
    with pytest.raises(GuestTrap) as caught:
        loaded.hasher().digest(b"abc")
    _named(caught.value, "hashtrap", "1.0.0")
    stream = loaded.hasher().stream()
    with pytest.raises(GuestTrap) as caught:
        stream.update(b"abc")
    _named(caught.value, "hashtrap", "1.0.0")
    (item,) = loaded.hasher().digest_many([b"abc"])
    assert isinstance(item, GuestTrap)
    _named(item, "hashtrap", "1.0.0")


def test_chunker_fault_names_the_module() -> None:
    chunker = Sandbox(small_limits()).load(wat_module("bad_chunker", "chunker")).chunker({"size": 1})
    with pytest.raises(GuestFault) as caught:
        list(chunker.boundaries([b"abcd"]))
    _named(caught.value, "bad_chunker", "1.0.0")


def test_crypto_fault_names_the_module() -> None:
    crypto = Sandbox(small_limits()).load(wat_module("bad_verify", "crypto")).crypto()
    with pytest.raises(GuestFault) as caught:
        crypto.verify(0xED, b"k" * 32, b"m", b"s" * 64)
    _named(caught.value, "bad_verify", "1.0.0")


def test_an_error_without_a_module_reads_as_before() -> None:
    exc = GuestTrap("the module trapped (unreachable)")
    assert exc.module is None and exc.told == exc.message
    assert exc.one_line() == f"the module trapped (unreachable) ({exc.hint})"


# --- where users see them: runtime, CLI, gateway, explorer ------------------------------------


def _home_with_block(tmp_path: Path) -> tuple[Path, Path, CID, str]:
    """A home holding one block of the trapper's code; the module's file and its CID."""
    home = tmp_path / "home"
    module = tmp_path / "trapper.wasm"
    module.write_bytes(_codec())
    with Runtime(home, default_set=False) as runtime:
        loaded = runtime.add_local_module(module)
        data = b"\x01\x02\x03"
        cid = runtime.cid_for(data, ECHO_CODE)
        runtime.store.put(cid, data)
        return home, module, cid, str(loaded.info.cid)


def test_runtime_decode_block_names_the_module(tmp_path: Path) -> None:
    home, module, cid, module_cid = _home_with_block(tmp_path)
    with Runtime(home, default_set=False, modules=[module]) as runtime:
        with pytest.raises(GuestTrap) as caught:
            runtime.decode_block(cid, runtime.store.get(cid))
        assert _named(caught.value, "trapper", "2.1.0") == module_cid
        (item,) = runtime.decode_many([(cid, runtime.store.get(cid))])
        assert isinstance(item, GuestTrap)
        assert _named(item, "trapper", "2.1.0") == module_cid


def test_cli_dag_get_one_line_names_the_module(tmp_path: Path) -> None:
    home, module, cid, module_cid = _home_with_block(tmp_path)
    proc = run_cli(home, "dag", "get", "--module", str(module), str(cid), check=False)
    err = proc.stderr.decode()
    assert proc.returncode != 0 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("autocodec: GuestTrap: ")
    assert f"module trapper 2.1.0 ({module_cid})" in lines[0] and "the module trapped (unreachable)" in lines[0]


def _serve(runtime: Runtime, *paths: str) -> list[tuple[int, str]]:
    async def go() -> list[tuple[int, str]]:
        async with TestClient(TestServer(make_app(runtime, workers=2))) as client:
            out = []
            for path in paths:
                resp = await client.get(path)
                out.append((resp.status, await resp.text()))
            return out

    return asyncio.run(go())


def test_gateway_and_explorer_name_the_module(tmp_path: Path) -> None:
    home, module, cid, module_cid = _home_with_block(tmp_path)
    with Runtime(home, default_set=False, modules=[module]) as runtime:
        (status, text), (page_status, page) = _serve(runtime, f"/ipfs/{cid}?format=dag-json&autocodec-convert=1",
                                                          f"/explore/{cid}")
    named = f"module trapper 2.1.0 ({module_cid})"
    assert status == 502, (status, text)  # the status a trapped decode had before (unchanged)
    assert named in text and "the module trapped (unreachable)" in text, text
    assert page_status == 502, page_status
    undecoded = page.split('id="undecoded"', 1)[1].split("</p>", 1)[0]
    assert "Not decoded" in undecoded and named in undecoded, undecoded


def test_json_route_body_names_the_module(tmp_path: Path) -> None:
    from autocodec.serve._app import error_body

    loaded = Sandbox(small_limits()).load(_codec())
    try:
        loaded.codec().decode(b"\x01")
    except GuestTrap as exc:
        body: dict[str, Any] = error_body(exc)
    assert body["message"] == "the module trapped (unreachable)"
    assert body["module"] == f"module trapper 2.1.0 ({loaded.info.cid})"


@pytest.mark.slow
def test_a_pinned_sets_module_is_named_with_its_set(tmp_path: Path) -> None:
    """Through a pinned set (published, pinned, then asked for a block its codec refuses:
    ok_echo's GuestError for input starting with 0xff), the line names the set as well."""
    folder = tmp_path / "echo"
    folder.mkdir()
    (folder / "echo.wasm").write_bytes(wat_module("ok_echo", meta=metadata("codec", name="echo", version="3.0.1")))
    (folder / "vectors.json").write_text('{"kind":"codec","cases":[{"decode":{"/":{"bytes":"AQI"}},'
                                         '"expect":{"/":{"bytes":"AQI"}}}]}')
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "key", "gen", "ann")
    manifest = run_cli(home, "publish", str(folder / "echo.wasm"), "--key", "ann").stdout.decode().split()[-1]
    run_cli(home, "set", "init", "s1", "--key", "ann")
    run_cli(home, "set", "add", "s1", manifest)
    published = run_cli(home, "set", "publish", "s1").stdout.decode().split()[-1]
    block = run_cli(home, "block", "put", "--cid-codec", hex(ECHO_CODE), stdin=b"\xff\x01").stdout.decode().strip()
    run_cli(home, "pin", "add", published)  # the block was stored before its codec was served
    for args in (["dag", "get", block], ["block", "put", "--cid-codec", hex(ECHO_CODE)]):
        proc = run_cli(home, *args, check=False, stdin=b"\xff\x01")
        lines = proc.stderr.decode().strip().splitlines()
        assert proc.returncode != 0 and len(lines) == 1, proc.stderr
        assert lines[0].startswith("autocodec: GuestError: module echo 3.0.1 (bafk"), lines[0]
        assert ", set 's1'): echo: input starts with 0xff (" in lines[0], lines[0]
