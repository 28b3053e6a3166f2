"""wasm-src/build.py: reproducible module builds with the pinned zig, ABI surface checks,
and the ``autocodec.module`` custom section."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from autocodec import builtin
from autocodec.loader import inspect_module
from tests.conftest import REPO, WASM_SRC


def _load_build():
    spec = importlib.util.spec_from_file_location("ac_build", WASM_SRC / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = _load_build()
MODULES = build.module_names()


def run_build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(WASM_SRC / "build.py"), *args], capture_output=True, text=True, cwd=REPO, check=False)


def test_check_passes_for_every_committed_module():
    proc = run_build("--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in MODULES:
        assert f"{name} " in proc.stdout
    assert "bafkrei" in proc.stdout  # each line shows the module's raw sha2-256 CIDv1


def test_cold_builds_are_identical(tmp_path: Path):
    first = build.build_module("dag-cbor", cache=tmp_path / "a").wasm
    second = build.build_module("dag-cbor", cache=tmp_path / "b").wasm
    assert first == second == (WASM_SRC / "dag-cbor" / "dag-cbor.wasm").read_bytes()


@pytest.mark.parametrize("name", MODULES)
def test_custom_section_is_module_json(name: str):
    wasm = (WASM_SRC / name / f"{name}.wasm").read_bytes()
    payload = build.custom_payload(wasm)
    meta = json.loads((WASM_SRC / name / "module.json").read_text())
    assert builtin.decode(payload, "dag-cbor") == {**meta, "abi": 1}
    assert builtin.encode(builtin.decode(payload, "dag-cbor"), "dag-cbor") == payload  # canonical
    info = inspect_module(wasm)
    assert (info.name, info.kind, list(info.codes), info.version) == (name, meta["kind"], meta["codes"], meta["version"])


@pytest.mark.parametrize("name", MODULES)
def test_abi_surface(name: str):
    wasm = (WASM_SRC / name / f"{name}.wasm").read_bytes()
    module = wasmtime.Module(wasmtime.Engine(), wasm)
    assert list(module.imports) == []
    exports = {e.name for e in module.exports}
    kind = json.loads((WASM_SRC / name / "module.json").read_text())["kind"]
    assert set(build.COMMON_EXPORTS + build.KINDS[kind]) <= exports
    from autocodec.loader._info import COMMON_EXPORTS, KIND_EXPORTS

    assert set(build.KINDS[kind]) == set(KIND_EXPORTS[kind]) and set(build.COMMON_EXPORTS) == {"memory", *COMMON_EXPORTS}
    # stripped: the only custom section is ours, and no build path leaks into the bytes
    assert [n for n, _ in build.custom_sections(wasm)] == ["autocodec.module"]
    for leak in (str(REPO).encode(), b"/tmp/", b"/home/", b"/root/", b".zig-cache", b".c\x00"):
        assert leak not in wasm
    # the kit's initial memory (or more, declared in build.flags): mid-size inputs need no memory.grow
    from autocodec.modkit._build import INITIAL_MEMORY_BYTES

    (memory,) = [e.type for e in module.exports if isinstance(e.type, wasmtime.MemoryType)]
    assert memory.limits.min * 65536 >= INITIAL_MEMORY_BYTES


# --- failures are clear -----------------------------------------------------------------------------


def write_module(root: Path, folder: str, source: str, **meta: object) -> Path:
    src = root / folder
    src.mkdir(parents=True)
    fields = {"name": folder, "kind": "codec", "codes": [0x300001], "version": "0.1.0", "description": "test"}
    fields.update(meta)
    (src / "module.json").write_text(json.dumps(fields))
    (src / "m.c").write_text('#include "ac.h"\n' + source)
    return src


ECHO = """
static int echo(const uint8_t *in, size_t n, ac_buf *out) { return ac_buf_put(out, in, n); }
AC_EXPORT_CODEC_NOLINKS(echo, echo)
"""


def test_minimal_module_builds(tmp_path: Path):
    built = build.build_module("echo", src=write_module(tmp_path, "echo", ECHO))
    assert inspect_module(built.wasm).kind == "codec"
    assert built.cid.startswith("bafkrei")
    (memory,) = [e.type for e in wasmtime.Module(wasmtime.Engine(), built.wasm).exports
                 if isinstance(e.type, wasmtime.MemoryType)]
    assert memory.limits.min == 16  # the kit's 1 MiB


def test_the_callers_environment_does_not_reach_zig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The whole environment went to zig: ``CPATH`` put a stray header ahead of its own and
    ``ZIG_LIB_DIR`` swapped its standard library (other bytes, or no build). Only the module
    kit's ``ENV_KEPT`` is passed now: the same bytes with and without them."""
    src = write_module(tmp_path, "echo", ECHO)
    clean = build.build_module("echo", src=src).wasm
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "stdint.h").write_text("#error a stray header was read\n")
    monkeypatch.setenv("CPATH", str(stray))
    monkeypatch.setenv("C_INCLUDE_PATH", str(stray))
    monkeypatch.setenv("ZIG_LIB_DIR", str(tmp_path / "nowhere"))
    assert build.build_module("echo", src=src).wasm == clean


def test_a_module_may_declare_more_initial_memory(tmp_path: Path):
    src = write_module(tmp_path, "big", ECHO)
    (src / "build.flags").write_text("-Wl,--initial-memory=2097152\n")
    (memory,) = [e.type for e in wasmtime.Module(wasmtime.Engine(), build.build_module("big", src=src).wasm).exports
                 if isinstance(e.type, wasmtime.MemoryType)]
    assert memory.limits.min == 32


def test_imports_are_refused(tmp_path: Path):
    src = write_module(tmp_path, "imp", "int host_fn(int);\n" + ECHO.replace("return ac_buf_put", "host_fn(1); return ac_buf_put"))
    with pytest.raises(build.BuildError, match="undefined symbol: host_fn"):
        build.build_module("imp", src=src)


def test_compile_errors_are_reported(tmp_path: Path):
    with pytest.raises(build.BuildError, match=r"(?s)oops: compile failed:.*undeclared identifier"):
        build.build_module("oops", src=write_module(tmp_path, "oops", "int f(void) { return x; }\n"))


def test_missing_kind_exports_are_refused(tmp_path: Path):
    with pytest.raises(build.BuildError, match="a hasher must export ac_hash"):
        build.build_module("h", src=write_module(tmp_path, "h", ECHO, kind="hasher"))


@pytest.mark.parametrize(
    "meta,message",
    [
        ({"kind": "gadget"}, "kind must be one of"),
        ({"codes": []}, "needs at least one code"),
        ({"codes": [-1]}, "codes must be non-negative"),
        ({"codes": [True]}, "codes must be non-negative"),
        ({"name": "other"}, "differs from its folder"),
        ({"version": 1}, "needs 'version'"),
        ({"extra": 1}, "unknown keys"),
        ({"functions": ["f"]}, "only tasks have functions"),
        ({"kind": "task", "codes": []}, "a task needs"),
        ({"kind": "chunker", "codes": [1]}, "has codes"),
    ],
)
def test_bad_metadata_is_refused(tmp_path: Path, meta: dict, message: str):
    with pytest.raises(build.BuildError, match=message):
        build.build_module("m", src=write_module(tmp_path, "m", ECHO, **meta))


def test_extra_flags_are_restricted(tmp_path: Path):
    src = write_module(tmp_path, "f", ECHO)
    (src / "build.flags").write_text("# comment\n-msimd128\n-DFOO=1\n")
    assert build.build_module("f", src=src).wasm
    (src / "build.flags").write_text("-fplugin=/evil.so\n")
    with pytest.raises(build.BuildError, match="build.flags may only hold"):
        build.build_module("f", src=src)


def test_zig_version_must_match_the_pin(monkeypatch: pytest.MonkeyPatch):
    build.check_zig()  # the installed one matches
    monkeypatch.setattr(build.importlib.metadata, "version", lambda name: "0.0.1")
    with pytest.raises(build.BuildError, match=r"ziglang 0.0.1 is installed but pyproject.toml pins"):
        build.check_zig()


def test_unknown_module_name():
    proc = run_build("no-such-module")
    assert proc.returncode == 2 and "no module no-such-module" in proc.stderr


def test_check_names_a_stale_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    root = tmp_path / "wasm-src"
    for part in ("include", "lib", "dag-cbor"):
        shutil.copytree(WASM_SRC / part, root / part)
    monkeypatch.setattr(build, "ROOT", root)
    assert build.main(["--check", "dag-cbor"]) == 0
    wasm = root / "dag-cbor" / "dag-cbor.wasm"
    wasm.write_bytes(wasm.read_bytes() + b"\x00\x01\x00")
    assert build.main(["--check"]) == 1
    assert "out of date: dag-cbor" in capsys.readouterr().err
    assert build.main(["dag-cbor"]) == 0  # a plain build rewrites it
    assert build.main(["--check"]) == 0


@pytest.mark.parametrize("name", MODULES)
def test_module_passes_its_vectors(name: str):
    """Every module ships vectors.json (docs/abi.md section 5) and its committed build passes them."""
    from autocodec.loader import Sandbox, run_vectors

    vectors = WASM_SRC / name / "vectors.json"
    assert vectors.is_file(), f"{name} ships no vectors.json"
    loaded = Sandbox().load((WASM_SRC / name / f"{name}.wasm").read_bytes())
    report = run_vectors(loaded, vectors.read_bytes())
    assert report.ok, report.failures[:5]
