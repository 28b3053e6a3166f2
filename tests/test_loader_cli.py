"""``autocodec module inspect|test`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec.cli._app import main
from tests.conftest import WASM_SRC
from tests._wat import custom_section, wat_module

DAG_CBOR = WASM_SRC / "dag-cbor"


def test_inspect_prints_everything_without_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "echo.wasm"
    # loop_start would hang if inspect instantiated it; inspect must not run anything.
    path.write_bytes(wat_module("loop_start"))
    assert main(["module", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    for needle in ("kind: codec", "name: loop_start", "version: 1.0.0", "codes: 0x300001\n",
                   "abi: 1", "imports: none", "ac_decode", "func (i32, i32) -> (i32)", "cid: bafkrei", "size: "):
        assert needle in out, needle


def test_inspect_json_and_code_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.wasm"
    path.write_bytes(wat_module("ok_fnv", meta={"abi": 1, "kind": "hasher", "name": "fnv", "version": "2.0.0",
                                                "codes": [0x12]}))
    assert main(["module", "inspect", "--json", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "hasher" and doc["code_names"] == ["sha2-256 (0x12)"] and doc["version"] == "2.0.0"
    assert doc["size"] == path.stat().st_size and doc["imports"] == []


@pytest.mark.parametrize("content", [b"", b"not wasm at all", None], ids=["empty", "text", "import"])
def test_inspect_rejected_file_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  content: bytes | None) -> None:
    path = tmp_path / "bad.wasm"
    path.write_bytes(content if content is not None else wat_module("import"))
    assert main(["module", "inspect", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("autocodec: ModuleRejected")


def test_inspect_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["module", "inspect", "/nonexistent/x.wasm"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_module_test_runs_vectors(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.builtin import encode

    wasm = tmp_path / "echo.wasm"
    wasm.write_bytes(wat_module("ok_echo"))
    good = tmp_path / "good.json"
    good.write_bytes(encode({"kind": "codec", "cases": [{"decode": b"hi", "expect": b"hi"}]}, "dag-json"))
    assert main(["module", "test", str(wasm), str(good)]) == 0
    assert "1/1 vectors passed" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_bytes(encode({"kind": "codec", "cases": [{"decode": b"hi", "expect": b"ho"}]}, "dag-json"))
    assert main(["module", "test", str(wasm), str(bad)]) == 1
    captured = capsys.readouterr()
    assert "FAIL case 0" in captured.out and "1 of 1 test vectors failed" in captured.err


@pytest.mark.skipif(not (DAG_CBOR / "dag-cbor.wasm").exists(), reason="dag-cbor module not built")
def test_module_test_on_the_dag_cbor_module(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["module", "test", str(DAG_CBOR / "dag-cbor.wasm"), str(DAG_CBOR / "vectors.json")]) == 0
    assert "vectors passed" in capsys.readouterr().out


def test_custom_section_helper_is_well_formed() -> None:
    section = custom_section("x", b"abc")
    assert section == b"\x00\x05\x01xabc"
