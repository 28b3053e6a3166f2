"""Module SDKs (issue 21): the ABI constants of every SDK agree with autocodec.abi, and the
template of each language is scaffolded, built twice to the same bytes, passes its vectors,
inspects as the right kind and ABI, and is published, put in a set, pinned in a second home
and decodes there. Real compilers (pinned ziglang, AssemblyScript from npm), real sandbox.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import wasmtime

from autocodec.abi import Kind, Status
from autocodec.loader._info import ABI_VERSION
from autocodec.modkit import InvalidModuleSource, ToolchainMissing, abi_consts, scaffold
from autocodec.modkit._build import INITIAL_MEMORY_BYTES, RUST_TARGET, RUST_VERSION, ZIG_VERSION, detect_lang
from autocodec.modkit._sdk import SDK, WASM_SRC, rustc
from autocodec.modkit._vectors import fnv1a64
from tests._cli import run_cli
from tests._toolchains import LANGS, missing, need_toolchain

REPO = Path(__file__).resolve().parents[1]
CODES = {"c": 0x300011, "zig": 0x300012, "assemblyscript": 0x300013, "rust": 0x300014}


# --- one source for the ABI's constants ---------------------------------------------------


def test_generated_constants_files_equal_autocodec_abi() -> None:
    for lang, rel in abi_consts.FILES.items():
        assert (SDK / rel).read_text() == abi_consts.render(lang), f"wasm-src/sdk/{rel} is stale"
    assert abi_consts.main(["--check"]) == 0


def test_c_header_statuses_and_version_equal_autocodec_abi() -> None:
    header = (WASM_SRC / "include" / "ac.h").read_text()
    enum = re.search(r"enum \{\s*(AC_OK = 0,.*?)\};", header, re.S)
    assert enum is not None
    found = {m.group(1): int(m.group(2)) for m in re.finditer(r"AC_([A-Z_]+) = (\d+)", enum.group(1))}
    assert found == {s.name: int(s.value) for s in Status}
    assert re.search(r"#define AC_ABI_VERSION (\d+)", header).group(1) == str(ABI_VERSION)  # type: ignore[union-attr]


def test_generated_constants_cover_every_status_and_kind() -> None:
    for lang in abi_consts.FILES:
        text = abi_consts.render(lang)
        for s in Status:
            assert re.search(rf"\b{s.name}: i32 = {int(s.value)};", text)
        for k in Kind:
            assert re.search(rf'\bKIND_{k.name}(: &str)? = "{k.value}";', text)


def test_toolchain_pins_agree() -> None:
    assert f'"ziglang=={ZIG_VERSION}"' in (REPO / "pyproject.toml").read_text()
    assert f"VERSION={RUST_VERSION}\n" in (REPO / "tools/setup.d/61-rust-wasm32.sh").read_text()
    pkg = json.loads((REPO / "tools/setup.d/60-assemblyscript.package.json").read_text())
    lock = json.loads((REPO / "tools/setup.d/60-assemblyscript.package-lock.json").read_text())
    want = pkg["dependencies"]["assemblyscript"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", want), "AssemblyScript must be pinned to an exact version"
    assert lock["packages"]["node_modules/assemblyscript"]["version"] == want


def test_fnv1a64_published_vectors() -> None:
    # FNV reference test vectors (Fowler/Noll/Vo, draft-eastlake-fnv): "" and "a".
    assert fnv1a64(b"") == (0xCBF29CE484222325).to_bytes(8, "big")
    assert fnv1a64(b"a") == (0xAF63DC4C8601EC8C).to_bytes(8, "big")
    assert fnv1a64(b"foobar") == (0x85944171F73967E8).to_bytes(8, "big")


# --- scaffolding refusals ------------------------------------------------------------------------


def test_new_refuses_bad_requests(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InvalidModuleSource, match="not an empty folder"):
        scaffold(tmp_path / "full", "c", "codec")
    with pytest.raises(InvalidModuleSource, match="module name"):
        scaffold(tmp_path / "Bad_Name", "c", "codec")
    with pytest.raises(InvalidModuleSource, match="has no code"):
        scaffold(tmp_path / "ch", "c", "chunker", code=5)
    proc = run_cli(tmp_path / "home", "module", "new", "--lang", "c", "--kind", "codec", str(tmp_path / "full"),
                   check=False)
    assert proc.returncode == 1 and len(proc.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize(("lang", "kind", "folder", "options"), [
    ("go", "codec", "x", {}), ("c", "verifier", "x", {}), ("c", "codex", "x", {}), ("c", "codec", "Bad_Name", {}),
    ("c", "codec", "full", {}), ("c", "chunker", "x", {"code": 5}),
])
def test_new_refusals_hint_at_the_request_not_at_a_folder_to_fix(lang: str, kind: str, folder: str,
                                                                   options: dict[str, int], tmp_path: Path) -> None:
    # was: every refusal of module new ended "(fix the module folder; ...)", the hint for a
    # broken module folder given to build, though nothing had been written
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InvalidModuleSource) as err:
        scaffold(tmp_path / folder, lang, kind, **options)
    assert "fix the module folder" not in err.value.one_line()
    assert sorted(os.listdir(tmp_path)) == ["full"]


def test_new_fills_the_current_folder_and_keeps_it_the_same_folder(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "my-codec"
    here.mkdir()
    inode = here.stat().st_ino
    monkeypatch.chdir(here)
    meta = scaffold(Path("."), "zig", "codec")  # was: ValueError "PosixPath('.') has an empty name"
    assert meta["name"] == "my-codec"
    assert sorted(os.listdir(here)) == ["README.md", "module.json", "module.zig", "vectors.json"]
    assert here.stat().st_ino == inode and Path.cwd().samefile(here)  # was renamed over: the shell's folder gone
    (tmp_path / "other").mkdir()
    inode = (tmp_path / "other").stat().st_ino
    scaffold(tmp_path / "other", "c", "task", name="adder")
    assert (tmp_path / "other").stat().st_ino == inode
    assert sorted(os.listdir(tmp_path)) == ["my-codec", "other"]  # no hidden part folder left behind


def test_build_refuses_mixed_or_missing_sources(tmp_path: Path) -> None:
    scaffold(tmp_path / "m", "c", "codec")
    (tmp_path / "m" / "extra.zig").write_text("")
    with pytest.raises(InvalidModuleSource, match="mixes"):
        detect_lang(tmp_path / "m")
    proc = run_cli(tmp_path / "home", "module", "build", str(tmp_path / "m"), check=False)
    assert proc.returncode == 1 and "mixes" in proc.stderr.decode()
    proc = run_cli(tmp_path / "home", "module", "build", str(tmp_path / "nothing"), check=False)
    assert proc.returncode == 1 and len(proc.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize(("key", "value", "said"), [
    ("name", "Bad Name!", "name 'Bad Name!' is not a module name"),
    ("version", "banana", "version 'banana' is not a semantic version"),
    ("codes", [0x300001, 0x300001], "'codes' lists a code twice"),
    ("description", "x" * 100_000, "'description' must be"),
])
def test_module_json_is_checked_by_the_loaders_rules_before_any_compiler(key: str, value: object, said: str,
                                                                        tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.modkit import _build, build

    scaffold(tmp_path / "m", "c", "codec")
    meta_path = tmp_path / "m" / "module.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), key: value}))
    monkeypatch.setattr(_build, "_BUILDERS", {})  # a compiler reached is a KeyError, not the refusal
    with pytest.raises(InvalidModuleSource, match=re.escape(f"{meta_path}: {said}")):
        build(tmp_path / "m")


@pytest.mark.parametrize(("lang", "own"), [("c", "ac.h"), ("c", "ac.c"), ("zig", "ac.zig"),
                                         ("assemblyscript", "ac_abi.ts"), ("rust", "ac.rs")])
def test_a_file_named_as_the_sdks_is_refused_in_every_language(lang: str, own: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # was: C compiled the folder's ac.h instead of the SDK's for module.c, Zig and AssemblyScript
    # replaced the folder's ac.zig / ac_abi.ts with the SDK's without a word (only Rust refused)
    from autocodec.modkit import _build, build

    scaffold(tmp_path / "m", lang, "codec")
    (tmp_path / "m" / own).write_text("// my own\n")
    monkeypatch.setattr(_build, "_BUILDERS", {})  # a compiler reached is a KeyError, not the refusal
    with pytest.raises(InvalidModuleSource, match=f"{re.escape(own)} is the {lang} SDK's file name; rename yours"):
        build(tmp_path / "m")


@pytest.mark.parametrize("lang", ["zig", "rust", "assemblyscript"])
def test_build_flags_outside_c_are_refused_not_ignored(lang: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # was: build.flags (C compiler flags, e.g. a larger initial memory) was read for C modules
    # only and silently left out of other languages' builds (noticed by helper 80)
    from autocodec.modkit import _build, build

    scaffold(tmp_path / "m", lang, "codec")
    (tmp_path / "m" / "build.flags").write_text("-Wl,--initial-memory=2097152\n")
    monkeypatch.setattr(_build, "_BUILDERS", {})  # a compiler reached is a KeyError, not the refusal
    with pytest.raises(InvalidModuleSource, match=f"build.flags holds C compiler flags, and this is a {lang} module"):
        build(tmp_path / "m")


def test_the_scaffold_readme_names_the_folder_and_the_module_apart(tmp_path: Path) -> None:
    # was: every command named the module, so with --name other than the folder's name the
    # README's build and test commands pointed at a folder that does not exist
    scaffold(tmp_path / "work", "c", "codec", name="lines")
    readme = (tmp_path / "work" / "README.md").read_text()
    assert "From the folder that holds `work/`:" in readme
    assert "autocodec module build work -o lines.wasm" in readme
    assert "autocodec module test lines.wasm work/vectors.json" in readme
    assert "--vectors work\n" in readme


@pytest.mark.slow
def test_compile_error_is_one_line(tmp_path: Path) -> None:
    scaffold(tmp_path / "broken", "c", "codec")
    src = tmp_path / "broken" / "module.c"
    src.write_text(src.read_text().replace("size_t lines = 1;", "int lines = 1;"))  # -Wconversion catches it
    proc = run_cli(tmp_path / "home", "module", "build", str(tmp_path / "broken"), check=False, timeout=600)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1 and len(err.splitlines()) == 1 and "zig cc failed" in err and "error" in err


# --- each language end to end ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """lang -> (module folder, built .wasm), scaffolded and built through the CLI once."""
    root = tmp_path_factory.mktemp("sdk")
    out: dict[str, tuple[Path, Path]] = {}
    for lang in LANGS:
        if missing(lang) is not None:
            continue
        folder = root / f"toy-{lang}"
        run_cli(root / "home", "module", "new", "--lang", lang, "--kind", "codec", "--code", hex(CODES[lang]),
                str(folder))
        wasm = root / f"toy-{lang}.wasm"
        run_cli(root / "home", "module", "build", str(folder), "-o", str(wasm), timeout=600)
        out[lang] = (folder, wasm)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_new_build_twice_test_inspect(lang: str, built: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    need_toolchain(lang)
    folder, wasm = built[lang]
    # The same sources elsewhere (another path, another name on disk) give the same bytes.
    again = tmp_path / "elsewhere" / "copy"
    shutil.copytree(folder, again)
    run_cli(tmp_path / "home", "module", "build", str(again), "-o", str(tmp_path / "again.wasm"), timeout=600)
    assert (tmp_path / "again.wasm").read_bytes() == wasm.read_bytes()

    passed = run_cli(tmp_path / "home", "module", "test", str(wasm), str(folder / "vectors.json")).stdout.decode()
    assert passed.strip().endswith("13/13 vectors passed")
    # Without VECTORS: found in the folder named like FILE (built with -o beside it).
    assert run_cli(tmp_path / "home", "module", "test", str(wasm)).stdout.decode() == passed
    info = json.loads(run_cli(tmp_path / "home", "module", "inspect", str(wasm), "--json").stdout)
    assert (info["kind"], info["abi"], info["codes"], info["imports"]) == ("codec", ABI_VERSION, [CODES[lang]], [])
    assert {"memory", "ac_abi_version", "ac_input", "ac_result", "ac_decode", "ac_encode",
            "ac_decode_batch"} <= set(info["exports"])
    # every toolchain links the kit's initial memory (mid-size inputs then need no memory.grow)
    (memory,) = [e.type for e in wasmtime.Module(wasmtime.Engine(), wasm.read_bytes()).exports
                 if isinstance(e.type, wasmtime.MemoryType)]
    assert memory.limits.min * 65536 == INITIAL_MEMORY_BYTES

    # The vectors can fail: a wrong expectation is reported and the exit status is 1.
    doc = json.loads((folder / "vectors.json").read_text())
    doc["cases"][0]["expect"] = ["hello", "WORLD"]
    (tmp_path / "wrong.json").write_text(json.dumps(doc))
    proc = run_cli(tmp_path / "home", "module", "test", str(wasm), str(tmp_path / "wrong.json"), check=False)
    assert proc.returncode == 1 and "12/13 vectors passed" in proc.stdout.decode()


@pytest.mark.slow
def test_each_language_published_in_a_set_pinned_elsewhere_decodes(built: dict[str, tuple[Path, Path]],
                                                                   tmp_path: Path) -> None:
    for lang in LANGS:
        need_toolchain(lang)
    pub, user = tmp_path / "pub", tmp_path / "user"
    run_cli(pub, "key", "gen", "k")
    run_cli(pub, "set", "init", "toys", "--key", "k")
    manifests = {}
    for lang, (folder, wasm) in built.items():
        manifests[lang] = run_cli(pub, "publish", str(wasm), "--key", "k", "--vectors", str(folder)).stdout.decode().strip()
        run_cli(pub, "set", "add", "toys", manifests[lang])
    set_cid = run_cli(pub, "set", "publish", "toys").stdout.decode().strip()
    shown = run_cli(pub, "set", "show", "toys").stdout.decode()
    assert all(m in shown for m in manifests.values())
    bundle = tmp_path / "toys.car"
    run_cli(pub, "set", "export", "toys", "-o", str(bundle))

    run_cli(user, "pin", "add", str(bundle))
    assert set_cid in run_cli(user, "pin", "ls").stdout.decode()
    text = "first line\nzweite Zeile \u00fc\n"
    for lang in built:
        doc = tmp_path / f"{lang}.txt"
        doc.write_text(text + lang, encoding="utf-8")
        cid = run_cli(user, "block", "put", "--codec", hex(CODES[lang]), str(doc)).stdout.decode().strip()
        decoded = json.loads(run_cli(user, "decode", cid).stdout)
        assert decoded == ["first line", "zweite Zeile \u00fc", lang]
        assert manifests[lang] in run_cli(user, "resolve", "codec", hex(CODES[lang])).stdout.decode()


# --- every template of every language ------------------------------------------------------------


def _templates() -> list[tuple[str, str]]:
    from autocodec.modkit import available

    return [(lang, k.value) for lang in LANGS for k in available(lang)]


def test_every_language_has_a_template_of_every_kind_but_verifier() -> None:
    kinds = [k.value for k in Kind if k is not Kind.VERIFIER]
    assert set(_templates()) == {(lang, kind) for lang in LANGS for kind in kinds}


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "kind"), [t for t in _templates() if t[1] != "codec"])
def test_template_builds_and_passes_its_vectors(lang: str, kind: str, tmp_path: Path) -> None:
    need_toolchain(lang)
    folder = tmp_path / f"t-{kind}"
    run_cli(tmp_path / "home", "module", "new", "--lang", lang, "--kind", kind, str(folder))
    run_cli(tmp_path / "home", "module", "build", str(folder), timeout=600)
    wasm = folder / f"t-{kind}.wasm"
    out = run_cli(tmp_path / "home", "module", "test", str(wasm)).stdout.decode().strip()  # vectors.json beside it
    total = len(json.loads((folder / "vectors.json").read_text())["cases"])
    assert out.endswith(f"{total}/{total} vectors passed")
    info = json.loads(run_cli(tmp_path / "home", "module", "inspect", str(wasm), "--json").stdout)
    assert (info["kind"], info["abi"], info["imports"]) == (kind, ABI_VERSION, [])


# --- the SDKs agree with a Python reference on many inputs, one by one and batched ------------------


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "variable"), [("c", "CPATH"), ("zig", "ZIG_LIB_DIR")])
def test_the_callers_environment_does_not_reach_the_compiler(lang: str, variable: str,
                                                             built: dict[str, tuple[Path, Path]], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # was: zig cc searched CPATH's folders before its own headers (a stdint.h there was compiled
    # in), and zig took its standard library from ZIG_LIB_DIR: other bytes, or no build, elsewhere
    need_toolchain(lang)
    from autocodec.modkit import build

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stdint.h").write_text("#error not the freestanding stdint.h\n")
    monkeypatch.setenv(variable, str(elsewhere))
    folder, wasm = built[lang]
    assert build(folder).wasm == wasm.read_bytes()


def _reference(block: bytes) -> list[str] | None:
    """The toy codec's meaning in Python: strict UTF-8 (no surrogates/overlongs), split on \\n."""
    try:
        return block.decode("utf-8", errors="strict").split("\n")
    except UnicodeDecodeError:
        return None


def _inputs() -> list[bytes]:
    import random

    rng = random.Random(21)
    alphabet = ["a", "\n", "\u00e9", "\u2603", "\U0001f600", " ", "\u0000", "\uffff"]
    out = [b"", b"\n", b"\n\n\n", b"x" * 70000 + b"\ny"]
    for _ in range(250):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        data = bytearray(text.encode())
        if rng.random() < 0.4 and data:  # corrupt a byte: often invalid UTF-8, sometimes still valid
            data[rng.randrange(len(data))] = rng.randrange(256)
        out.append(bytes(data))
    out += [b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\xaf", b"\xc2", b"ok\xf0\x9f\x98"]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_toy_codec_agrees_with_python_one_by_one_and_batched(lang: str, built: dict[str, tuple[Path, Path]]) -> None:
    need_toolchain(lang)
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import AutocodecError, GuestError
    from autocodec.loader import Codec, Sandbox

    codec = Codec(Sandbox(DEFAULT_LIMITS.sandbox).load(built[lang][1].read_bytes()))
    blocks = _inputs()
    batched = codec.decode_many(blocks)
    valid = 0
    for block, many in zip(blocks, batched, strict=True):
        want = _reference(block)
        if want is None:
            with pytest.raises(GuestError):
                codec.decode(block)
            assert isinstance(many, AutocodecError)
        else:
            valid += 1
            assert codec.decode(block) == want == many
            assert codec.encode(want) == block
    assert 100 < valid < len(blocks)  # both sides of the UTF-8 check were exercised


@pytest.mark.slow
@pytest.mark.parametrize("name", ["chunker-fixed", "bencode", "blake3"])  # blake3: build.flags -msimd128
def test_module_build_of_a_platform_module_equals_the_committed_bytes(name: str, tmp_path: Path) -> None:
    # `module build` and wasm-src/build.py are one toolchain: a self-contained wasm-src module
    # built by the CLI from a copy elsewhere is byte for byte the committed .wasm.
    copy = tmp_path / name
    shutil.copytree(WASM_SRC / name, copy, ignore=shutil.ignore_patterns("*.wasm"))
    out = tmp_path / "out.wasm"
    run_cli(tmp_path / "home", "module", "build", str(copy), "-o", str(out), timeout=600)
    assert out.read_bytes() == (WASM_SRC / name / f"{name}.wasm").read_bytes()


def _encode_reference(doc: bytes) -> bytes | None:
    """The toy codec's encode in Python: strict DAG-CBOR of a non-empty list of texts without \\n."""
    from autocodec.builtin import decode
    from autocodec.errors import AutocodecError

    try:
        value = decode(doc, "dag-cbor")
    except AutocodecError:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(t, str) and "\n" not in t for t in value):
        return None
    return "\n".join(value).encode()


def _documents() -> list[bytes]:
    import random

    from autocodec.builtin import encode

    rng = random.Random(2121)
    docs = [bytes(encode(v, "dag-cbor")) for v in (["a"], ["", ""], ["x" * 300] * 3, ["caf\u00e9", "\U0001f600"])]
    docs += [b"\x98\x02aaab", b"\x82\x78\x01aab", b"\x9f\x61a\xff", b"\x81\x7f\x61a\xff", b"\x81\x61\xff",
             b"\x81\x63\xed\xa0\x80", b"\x81\x61", b"\x81\x61a\x00", b"\xa1\x61a\x61b", b"\x81\xd8\x2a\x41\x00"]
    for _ in range(250):
        base = bytearray(rng.choice(docs[:4]))
        op = rng.randrange(4)
        at = rng.randrange(len(base))
        if op == 0:
            base[at] = rng.randrange(256)
        elif op == 1:
            base.insert(at, rng.randrange(256))
        elif op == 2:
            del base[at]
        else:
            base = base[:at]
        docs.append(bytes(base))
    return docs


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_toy_encode_reader_is_as_strict_as_the_builtin_dag_cbor(lang: str, built: dict[str, tuple[Path, Path]]) -> None:
    need_toolchain(lang)
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import GuestError
    from autocodec.loader import Sandbox

    loaded = Sandbox(DEFAULT_LIMITS.sandbox).load(built[lang][1].read_bytes())
    accepted = 0
    for doc in _documents():
        want = _encode_reference(doc)
        if want is None:
            with pytest.raises(GuestError):
                loaded.run("ac_encode", doc)
        else:
            accepted += 1
            assert loaded.run("ac_encode", doc) == want, doc.hex()
    assert 10 < accepted < 200


def test_missing_toolchains_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.modkit import _sdk, build

    monkeypatch.setattr(_sdk, "ASC_DIR", tmp_path / "no-asc")
    scaffold(tmp_path / "as", "assemblyscript", "codec")
    with pytest.raises(ToolchainMissing, match="AssemblyScript is not installed") as err:
        build(tmp_path / "as")
    assert "\n" not in err.value.one_line()
    with pytest.raises(ToolchainMissing, match="rustc 0.0.1 is not installed"):
        rustc("0.0.1", RUST_TARGET)


def test_an_installed_assemblyscript_without_node_says_node_is_missing(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.modkit import _sdk

    entry = tmp_path / "asc" / "node_modules" / "assemblyscript" / "bin" / "asc.js"
    entry.parent.mkdir(parents=True)
    entry.write_text("")
    (entry.parent.parent / "package.json").write_text(f'{{"version": "{_sdk.asc_version()}"}}')
    monkeypatch.setattr(_sdk, "ASC_DIR", tmp_path / "asc")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolchainMissing, match="^node is not on PATH") as err:  # was: "AssemblyScript is not installed"
        _sdk.asc()
    assert "Node.js" in err.value.hint


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zig", "assemblyscript", "rust"])
def test_sdk_writers_emit_the_canonical_bytes_python_does(lang: str) -> None:
    # tests/guest/sdk-writers/<lang>: one document through every writer helper of the SDK
    # (the C writer has its own self-test: tests/test_build_guestlib.py).
    need_toolchain(lang)
    import hashlib

    from autocodec.builtin import encode
    from autocodec.cid import CID
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.loader import Sandbox
    from autocodec.modkit import build

    expected = {
        "b": b"\x00\x01\x02",
        "c": CID.build(0x55, b"\x12\x20" + hashlib.sha256(b"").digest()),
        "i": [0, -1, -24, -25, -256, -257, -65537, -(2**32) - 1, -(2**63)],
        "l": [True, False, None],
        "t": "caf\u00e9 \U0001f600",
        "u": [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1],
    }
    module = build(REPO / "tests" / "guest" / "sdk-writers" / lang)
    loaded = Sandbox(DEFAULT_LIMITS.sandbox).load(module.wasm)
    got = loaded.run("ac_task", bytes(encode({"fn": "doc", "args": []}, "dag-cbor")))
    assert got == bytes(encode(expected, "dag-cbor"))
