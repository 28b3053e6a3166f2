"""``module build``: compile a module folder to a Wasm module with its ``autocodec.module`` section.

Invariants:
- Reproducible: sources and the SDK are copied into a fresh temporary tree and compiled there
  with relative paths, fixed flags and a fixed environment (``ENV_KEPT``), by pinned compilers
  (the ``ziglang`` PyPI package for C and Zig, AssemblyScript from npm as locked by
  tools/setup.d/60-assemblyscript.sh), so the same folder gives the same bytes (and CID)
  wherever it lives and whoever builds it.
- The result passes the loader's own checks (``inspect_module``: no imports, the kind's
  exports with ABI signatures, one ``autocodec.module`` section; then a test instantiation
  whose ``ac_abi_version()`` is this host's ABI); otherwise it fails.
- A folder holds sources of exactly one language: ``*.c`` (C), ``*.zig`` (Zig), ``*.ts``
  (AssemblyScript) or ``*.rs`` (Rust, rustc pinned to RUST_VERSION with the wasm32 target).
- A C folder's ``build.json`` (``_tree``) names the folders beside it that its sources include,
  confined to a declared root; the build tree then mirrors that root (wasm-src/build.py's
  layout when the root is wasm-src), so ``module build wasm-src/<name>`` gives build.py's bytes.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULT_LIMITS
from ..errors import SandboxError
from ..loader import ModuleInfo, Sandbox, inspect_module
from ..log import get_logger
from . import _sdk, _tree
from ._errors import CompileFailed, InvalidModuleSource, ModuleBuildError, ToolchainMissing
from ._meta import custom_section, load_meta, section_payload

#: The ziglang PyPI version every C and Zig module is built with (pyproject.toml pins the same).
ZIG_VERSION = "0.17.1"
STACK_BYTES = 256 * 1024
#: Linear memory every module starts with: the stack, static data, then the arena (~750 KiB).
#: Inputs up to the host's reuse bound (256 KiB for a hasher, 128 KiB for other kinds,
#: ``LoadedModule`` in ``loader._sandbox``) and what a call makes of them fit without
#: ``memory.grow``, so the host runs them on reset instances (a grown memory cannot be reset:
#: that instance is discarded, and larger inputs take fresh ones). A C module whose static
#: data needs more declares it in build.flags (``-Wl,--initial-memory=N``).
INITIAL_MEMORY_BYTES = 1 << 20
LANG_SUFFIX = {"c": ".c", "zig": ".zig", "assemblyscript": ".ts", "rust": ".rs"}

#: C flags shared with wasm-src/build.py (the platform modules) and the stricter warnings.
CFLAGS: tuple[str, ...] = (
    "--target=wasm32-freestanding", "-mcpu=generic", "-mbulk-memory", "-O2", "-std=c11",
    "-ffreestanding", "-nostdlib", "-fno-stack-protector", "-Wall", "-Wextra", "-Werror",
    "-Wno-unused-parameter", "-Iinclude",
)
STRICT_CFLAGS: tuple[str, ...] = ("-Wconversion", "-Wshadow", "-Wmissing-prototypes")
LDFLAGS: tuple[str, ...] = (
    "-Wl,--no-entry", "-Wl,--strip-all", "-Wl,--gc-sections", f"-Wl,-z,stack-size={STACK_BYTES}",
    f"-Wl,--initial-memory={INITIAL_MEMORY_BYTES}",
)
ZIGFLAGS: tuple[str, ...] = (
    "-target", "wasm32-freestanding", "-O", "ReleaseSmall", "-fno-entry", "-rdynamic", "-fstrip",
    "--stack", str(STACK_BYTES), f"--initial-memory={INITIAL_MEMORY_BYTES}",
)
ASCFLAGS: tuple[str, ...] = (
    "--runtime", "stub", "--optimizeLevel", "3", "--shrinkLevel", "0", "--noAssert", "--use", "abort=",
    "--initialMemory", str(INITIAL_MEMORY_BYTES >> 16),
)
#: The Rust toolchain Rust modules are built with (tools/setup.d/61-rust-wasm32.sh installs it).
RUST_VERSION = "1.95.0"
RUST_TARGET = "wasm32-unknown-unknown"
RUSTFLAGS: tuple[str, ...] = (
    "--edition", "2021", "--crate-type", "cdylib", "--crate-name", "module", "--target", RUST_TARGET,
    "-C", "opt-level=s", "-C", "panic=abort", "-C", "strip=symbols", "-C", "debuginfo=0", "-C", "codegen-units=1",
    "-C", f"link-arg=-zstack-size={STACK_BYTES}", "-C", f"link-arg=--initial-memory={INITIAL_MEMORY_BYTES}",
)
RUST_ROOT = '#![no_std]\n#[path = "ac.rs"]\npub mod ac;\n#[path = "module.rs"]\nmod module;\n'
_TIMEOUT = 600
#: clang's message for an ``#include`` it cannot find.
_MISSING_FILE = re.compile(r"fatal error: .* file not found")
_log = get_logger("modkit")
#: Extra C flags a module may ask for in ``build.flags`` (one per line, ``#`` comments).
EXTRA_FLAG = re.compile(r"^(-m[a-z0-9-]+|-D[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.]*)?|-O[0-3s]|-Wl,--initial-memory=[0-9]+)$")


@dataclass(frozen=True)
class BuiltModule:
    """A built module: its bytes, the loader's view of them, and the language it came from."""

    wasm: bytes
    info: ModuleInfo
    lang: str


def detect_lang(folder: Path) -> str:
    """The language of ``folder``'s sources; refuses none or a mix."""
    found = sorted(lang for lang, suffix in LANG_SUFFIX.items() if any(folder.glob(f"*{suffix}")))
    if not found:
        raise InvalidModuleSource(f"{folder} has no .c, .zig, .ts or .rs sources")
    if len(found) > 1:
        raise InvalidModuleSource(f"{folder} mixes sources of {' and '.join(found)}; keep one language per module")
    return found[0]


#: The file names each language's SDK (or, for Rust, the kit's crate root) takes in the build tree.
SDK_NAMES: dict[str, tuple[str, ...]] = {
    "c": ("ac.h", "ac.c"), "zig": ("ac.zig", "ac_abi.zig"), "assemblyscript": ("ac.ts", "ac_abi.ts"),
    "rust": ("lib.rs", "ac.rs", "ac_abi.rs"),
}


def refuse_sdk_names(folder: Path, lang: str) -> None:
    """Refuse a folder holding a file named as the SDK's: the build would either shadow the SDK
    with it (C's ``ac.h``) or silently replace it (Zig, AssemblyScript), so what was compiled
    would not be the folder's sources."""
    taken = [name for name in SDK_NAMES[lang] if (folder / name).exists()]
    if taken:
        raise InvalidModuleSource(f"{folder}: {', '.join(taken)} {'is' if len(taken) == 1 else 'are'} the "
                                  f"{lang} SDK's file {'name' if len(taken) == 1 else 'names'}; rename yours "
                                  "(the build uses the SDK's own)")


#: The only variables of the caller's environment a compiler sees: where the programs, toolchains
#: and temporary files are, and the locale of its messages. Any other (CPATH adds include folders
#: to zig cc, ZIG_LIB_DIR swaps Zig's standard library, NODE_OPTIONS, RUSTC_FORCE_RUSTC_VERSION...)
#: could change what is compiled, and the same folder would give other bytes elsewhere.
ENV_KEPT: tuple[str, ...] = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "RUSTUP_HOME", "CARGO_HOME")


def _tool_env(**fixed: str) -> dict[str, str]:
    """The environment a compiler runs in: ``ENV_KEPT`` from this process's, then ``fixed``."""
    return {**{k: os.environ[k] for k in ENV_KEPT if k in os.environ}, **fixed}


def _zig_env(cache: Path) -> dict[str, str]:
    return _tool_env(ZIG_GLOBAL_CACHE_DIR=str(cache / "global"), ZIG_LOCAL_CACHE_DIR=str(cache / "local"),
                     SOURCE_DATE_EPOCH="0")


def check_zig() -> None:
    """Refuse any ziglang but the pinned one (module bytes, and so CIDs, depend on it)."""
    try:
        have = importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        raise ToolchainMissing(f"the ziglang {ZIG_VERSION} Python package is not installed "
                               "(it comes with autocodec's build extra)") from None
    if have != ZIG_VERSION:
        raise ToolchainMissing(f"ziglang {have} is installed but modules are built with {ZIG_VERSION}; "
                               f"install ziglang=={ZIG_VERSION}")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                              timeout=_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CompileFailed(f"{what} took over {_TIMEOUT} s") from None
    except OSError as exc:
        raise ToolchainMissing(f"cannot run {what}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        output = "\n".join(part.rstrip() for part in (proc.stderr, proc.stdout) if part and part.strip())
        _log.debug("compiler output", tool=what, status=proc.returncode, output=output)
        lines = [line.strip() for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        errors = [i for i, line in enumerate(lines) if "error" in line.lower()]
        first = errors[0] if errors else 0
        shown = lines[first] if lines else f"exit status {proc.returncode}"
        raise CompileFailed(f"{what} failed: {shown}{_location(shown, lines[first + 1:])}", output=output)


#: Where a compiler says an error is, when its first line does not: rustc's ``--> FILE:LINE:COL``
#: and asc's ``in FILE(LINE,COL)`` on a later line (zig and zig cc start the line with it).
_HAS_PLACE = re.compile(r"[\w.-]+\.(?:rs|ts|zig|c|h)[:(]\d+")
_PLACE = re.compile(r"^(?:-->\s*(\S+:\d+:\d+)|.*\bin (\S+\.ts\(\d+,\d+\)))")


def _location(shown: str, after: list[str]) -> str:
    """`` (at FILE:LINE:COL)`` from the lines after the first error, unless it names its place."""
    if _HAS_PLACE.search(shown):
        return ""
    for line in after[:12]:
        if "error" in line.lower():
            break  # the next error's place is not this one's
        found = _PLACE.match(line)
        if found:
            return f" (at {found.group(1) or found.group(2)})"
    return ""


def _copy_sources(folder: Path, dest: Path, suffixes: tuple[str, ...]) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in suffixes:
            shutil.copyfile(path, dest / path.name)
            names.append(path.name)
    return names


def extra_cflags(folder: Path) -> list[str]:
    """The flags of ``folder/build.flags`` (C modules only), each matching ``EXTRA_FLAG``."""
    path = folder / "build.flags"
    if not path.exists():
        return []
    flags = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    bad = [f for f in flags if not EXTRA_FLAG.match(f)]
    if bad:
        raise InvalidModuleSource(f"{folder.name}: build.flags may only hold -m..., -D..., -O... and -Wl,--initial-memory=N flags, not {bad}")
    return flags


def _build_c(folder: Path, tmp: Path, cache: Path) -> bytes:
    check_zig()
    extra = extra_cflags(folder)
    sdk = _sdk.c_files()
    (tmp / "include").mkdir()
    (tmp / "lib").mkdir()
    shutil.copyfile(sdk.header, tmp / "include" / "ac.h")
    shutil.copyfile(sdk.library, tmp / "lib" / "ac.c")
    layout = _tree.load_layout(folder)
    if layout is None:
        names = [n for n in _copy_sources(folder, tmp / "src", (".c", ".h")) if n.endswith(".c")]
        sources, search = [f"src/{n}" for n in names], ["-Isrc"]
    else:  # the root's layout (wasm-src/build.py's when the root is wasm-src), out.wasm beside it
        sources, search = _tree.populate(layout, tmp)
    out = _unused_name(tmp, "out.wasm")
    cmd = [sys.executable, "-m", "ziglang", "cc", *CFLAGS, *STRICT_CFLAGS, *search, *LDFLAGS, *extra,
           "lib/ac.c", *sources, "-o", out]
    try:
        _run(cmd, tmp, _zig_env(cache), "zig cc")
    except CompileFailed as exc:
        if layout is None and _MISSING_FILE.search(exc.message):
            exc.hint = (f"{exc.hint}; a module that includes files from folders beside it names them in "
                        f"{_tree.FILE} (docs/abi.md, section 4)")
        raise
    return (tmp / out).read_bytes()


def _unused_name(tmp: Path, name: str) -> str:
    """``name``, or a variant no file or folder in ``tmp`` has (a root may hold an ``out.wasm``)."""
    n = 0
    while (tmp / name).exists():
        n += 1
        name = f"out-{n}.wasm"
    return name


def _build_zig(folder: Path, tmp: Path, cache: Path) -> bytes:
    check_zig()
    names = _copy_sources(folder, tmp, (".zig",))
    if "module.zig" not in names:
        raise InvalidModuleSource(f"{folder}: a Zig module's root file is module.zig")
    for path in _sdk.zig_files():
        shutil.copyfile(path, tmp / path.name)
    cmd = [sys.executable, "-m", "ziglang", "build-exe", *ZIGFLAGS, "--dep", "ac", "-Mroot=module.zig",
           "-Mac=ac.zig", "-femit-bin=out.wasm", "--cache-dir", str(cache / "local"),
           "--global-cache-dir", str(cache / "global")]
    _run(cmd, tmp, _zig_env(cache), "zig build-exe")
    return (tmp / "out.wasm").read_bytes()


def _build_assemblyscript(folder: Path, tmp: Path, cache: Path) -> bytes:
    asc = _sdk.asc()
    names = _copy_sources(folder, tmp, (".ts",))
    if "module.ts" not in names:
        raise InvalidModuleSource(f"{folder}: an AssemblyScript module's entry file is module.ts")
    for path in _sdk.assemblyscript_files():
        shutil.copyfile(path, tmp / path.name)
    cmd = [*asc, "module.ts", "-o", "out.wasm", *ASCFLAGS]
    _run(cmd, tmp, _tool_env(), "asc (AssemblyScript)")
    return (tmp / "out.wasm").read_bytes()


def _build_rust(folder: Path, tmp: Path, cache: Path) -> bytes:
    rustc = _sdk.rustc(RUST_VERSION, RUST_TARGET)
    names = _copy_sources(folder, tmp, (".rs",))
    if "module.rs" not in names:
        raise InvalidModuleSource(f"{folder}: a Rust module's root file is module.rs")
    for path in _sdk.rust_files():
        shutil.copyfile(path, tmp / path.name)
    (tmp / "lib.rs").write_text(RUST_ROOT)
    cmd = [*rustc, *RUSTFLAGS, f"--remap-path-prefix={tmp}=.", "lib.rs", "-o", "out.wasm"]
    # a fixed environment: env!/option_env! in a module must not compile the builder's HOME,
    # TMPDIR, LANG or PATH into its bytes (same source, same bytes, same CID on any machine)
    _run(cmd, tmp, {"PATH": os.defpath}, "rustc")
    return (tmp / "out.wasm").read_bytes()


_BUILDERS = {"c": _build_c, "zig": _build_zig, "assemblyscript": _build_assemblyscript, "rust": _build_rust}


def toolchain(lang: str) -> dict[str, str]:
    """The pinned compiler a ``lang`` module is built with, as a manifest's ``build`` records it."""
    if lang == "c":  # the text the shipped manifests carry (wasm-src/build.py builds C the same way)
        return {"toolchain": "ziglang (python -m ziglang cc --target=wasm32-freestanding)", "version": ZIG_VERSION}
    if lang == "zig":
        return {"toolchain": "ziglang (python -m ziglang build-exe, wasm32-freestanding)", "version": ZIG_VERSION}
    if lang == "rust":
        return {"toolchain": f"rustc --target={RUST_TARGET}", "version": RUST_VERSION}
    if lang == "assemblyscript":
        return {"toolchain": "asc (the assemblyscript npm package)", "version": _sdk.asc_version()}
    raise InvalidModuleSource(f"no toolchain for language {lang!r}")


def build(folder: Path) -> BuiltModule:
    """Build the module in ``folder``; nothing is written there."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidModuleSource(f"{folder} is not a folder")
    meta = load_meta(folder)
    lang = detect_lang(folder)
    refuse_sdk_names(folder, lang)
    if lang != "c" and (folder / "build.flags").exists():  # it would be ignored: other bytes than asked for
        raise InvalidModuleSource(f"{folder.name}: build.flags holds C compiler flags, and this is a {lang} module",
                                  hint="remove build.flags; a module's memory and the like are set in its sources")
    if lang != "c" and (folder / _tree.FILE).exists():
        raise InvalidModuleSource(f"{folder.name}: {_tree.FILE} names C include folders, and this is a {lang} module",
                                  hint=f"remove {_tree.FILE}; only C modules include files from other folders")
    with tempfile.TemporaryDirectory(prefix="ac-modkit-") as tmpdir:
        code = _BUILDERS[lang](folder.resolve(), Path(tmpdir), _sdk.cache_dir(lang))
    wasm = code + custom_section(section_payload(meta))
    try:
        info = inspect_module(wasm)
        # Instantiated once, as every load does: a module whose ac_abi_version() is not this
        # host's ABI, or that traps on start, would build and then be refused by every load.
        Sandbox(DEFAULT_LIMITS.sandbox).load(wasm)
    except SandboxError as exc:  # ModuleRejected included
        raise ModuleBuildError(f"{folder}: the {lang} build is not a valid module: {exc.message}") from None
    return BuiltModule(wasm, info, lang)
