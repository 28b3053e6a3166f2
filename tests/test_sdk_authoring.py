"""What a module author sees when a build goes wrong, in every SDK language: a source that does
not compile is one line naming the first error and where it is, and ``autocodec -v module
build`` shows everything the compiler printed. And what an SDK writes is valid whatever the
language's strings hold (AssemblyScript's lone surrogates). Real compilers, the real CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autocodec.modkit import CompileFailed, build, scaffold
from tests._cli import run_cli
from tests._toolchains import need_toolchain

REPO = Path(__file__).resolve().parents[1]

#: lang -> (source file, the template's line to break, the broken line, where the error is)
BREAKS = {
    "c": ("module.c", "acw_array(out, lines)", "acw_arrayy(out, lines)", r"module\.c:\d+:\d+"),
    "zig": ("module.zig", "out.array(lines)", "out.arrayy(lines)", r"module\.zig:\d+:\d+"),
    "assemblyscript": ("module.ts", "out.array(lines)", "out.arrayy(lines)", r"module\.ts\(\d+,\d+\)"),
    "rust": ("module.rs", "out.array(", "out.arrayy(", r"module\.rs:\d+:\d+"),
}


def _broken(lang: str, folder: Path) -> Path:
    source, good, bad, _ = BREAKS[lang]
    scaffold(folder, lang, "codec")
    path = folder / source
    text = path.read_text()
    assert text.count(good) == 1, f"the {lang} template changed; update BREAKS"
    path.write_text(text.replace(good, bad))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("lang", list(BREAKS))
def test_a_compile_error_names_its_place_and_v_shows_the_compiler_output(lang: str, tmp_path: Path) -> None:
    need_toolchain(lang)
    folder = tmp_path / "broken"
    _broken(lang, folder)
    place = BREAKS[lang][3]

    with pytest.raises(CompileFailed) as err:
        build(folder)
    assert re.search(place, err.value.message), err.value.message
    assert "arrayy" in err.value.output and len(err.value.output.splitlines()) > 1

    proc = run_cli(tmp_path / "home", "module", "build", str(folder), check=False, timeout=600)
    text = proc.stderr.decode()
    assert proc.returncode == 1 and len(text.strip().splitlines()) == 1, text
    assert text.startswith("autocodec: CompileFailed: ") and re.search(place, text) and "-v module build" in text
    assert not list(folder.glob("*.wasm"))

    proc = run_cli(tmp_path / "home", "-v", "module", "build", str(folder), check=False, timeout=600)
    lines = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr.decode()
    assert lines[-1].startswith("autocodec: CompileFailed: ")
    report = "\n".join(lines[:-1])  # the compiler's own text, as it printed it, before the one line
    assert "arrayy" in report and len(lines) > 2, lines


@pytest.mark.slow
def test_assemblyscript_text_with_lone_surrogates_is_valid_utf8() -> None:
    # AssemblyScript's String.UTF8.encode writes a lone surrogate as WTF-8 (ED A0 80) by default:
    # Buf.text made invalid DAG-CBOR text, which the host refused as the module's output.
    need_toolchain("assemblyscript")
    from autocodec.builtin import encode
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import GuestError
    from autocodec.loader import Sandbox

    loaded = Sandbox(DEFAULT_LIMITS.sandbox).load(build(REPO / "tests" / "guest" / "sdk-as-text").wasm)
    out = loaded.run("ac_task", bytes(encode({"fn": "texts", "args": []}, "dag-cbor")))
    assert out == bytes(encode(["\ufffda", "b\ufffd", "\U0001f600", "\ufffd\ufffd"], "dag-cbor"))
    with pytest.raises(GuestError) as err:
        loaded.run("ac_task", bytes(encode({"fn": "fail", "args": []}, "dag-cbor")))
    assert err.value.message == "bad \ufffd!"  # one U+FFFD, not the host's three for WTF-8's bytes


@pytest.mark.slow
def test_a_module_exporting_another_abi_version_does_not_build(tmp_path: Path) -> None:
    # Every load refuses it (ac_abi_version() is called on instantiation); the build said
    # nothing and wrote it, so the author learnt it only at `module test` or `publish`.
    need_toolchain("assemblyscript")
    folder = tmp_path / "abi2"
    scaffold(folder, "assemblyscript", "codec")
    source = folder / "module.ts"
    text = source.read_text()
    assert "export { ac_abi_version, ac_input, ac_result }" in text
    source.write_text(text.replace("export { ac_abi_version, ", "export { ")
                      + "export function ac_abi_version(): i32 { return 2; }\n")
    out = tmp_path / "abi2.wasm"
    proc = run_cli(tmp_path / "home", "module", "build", str(folder), "-o", str(out), check=False, timeout=600)
    text = proc.stderr.decode()
    assert proc.returncode == 1 and len(text.strip().splitlines()) == 1, text
    assert "ModuleBuildError" in text and "ac_abi_version() returned 2" in text and not out.exists()
