#!/usr/bin/env python3
"""Build autocodec guest modules reproducibly: ``wasm-src/<name>/`` -> ``<name>/<name>.wasm``.

Usage::

    python wasm-src/build.py                 # build every module
    python wasm-src/build.py NAME...         # build some
    python wasm-src/build.py --check [NAME...]   # rebuild in a temp dir, compare with committed

Invariants:
- The compiler is the ``ziglang`` PyPI package at exactly the version pinned in
  pyproject.toml; any other version is refused (module bytes, and so CIDs, depend on it).
- A module is ``lib/ac.c`` plus ``<name>/*.c`` (sorted), compiled in one clang invocation for
  ``wasm32-freestanding`` with fixed flags (autocodec.modkit's, with -Wconversion -Wshadow
  -Wmissing-prototypes as errors), relative paths, no libc, no debug info or names,
  so the same sources give the same bytes on every machine.
- The output has no imports, exports ``memory``, ``ac_abi_version``, ``ac_input``,
  ``ac_result`` and the functions its kind requires (docs/abi.md); otherwise the build fails.
- The only custom section is the one appended here, ``autocodec.module``: the canonical
  DAG-CBOR of module.json plus ``"abi": 1``.
- A committed ``.wasm`` is rewritten only when its bytes change.
- A module including files of other folders here names them in its ``build.json`` (checked here
  by the module kit's rules), so ``autocodec module build wasm-src/<name>`` gives the same bytes.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
NOT_MODULES = {"include", "lib", "sdk"}
SECTION_NAME = "autocodec.module"
ABI_VERSION = 1
STACK_BYTES = 256 * 1024

KINDS: dict[str, tuple[str, ...]] = {
    "codec": ("ac_decode", "ac_encode", "ac_decode_batch"),
    "hasher": ("ac_hash", "ac_hash_init", "ac_hash_update", "ac_hash_final"),
    "chunker": ("ac_chunk_init", "ac_chunk_update", "ac_chunk_final"),
    "crypto": ("ac_verify",),
    "task": ("ac_task",),
    "verifier": ("ac_vfy_init", "ac_vfy_update", "ac_vfy_final", "ac_enc_init", "ac_enc_update", "ac_enc_final"),
}
COMMON_EXPORTS = ("memory", "ac_abi_version", "ac_input", "ac_result")

# The compiler flags are the module kit's (autocodec.modkit, also behind `autocodec module build`),
# stricter warnings included (-Wconversion -Wshadow -Wmissing-prototypes; the ABI entry points are
# declared in include/ac.h). Warnings never change code, so the flags leave module bytes alone.
sys.path.insert(0, str(REPO))
from autocodec.modkit._build import CFLAGS as _KIT_CFLAGS  # noqa: E402
from autocodec.modkit._build import ENV_KEPT  # noqa: E402
from autocodec.modkit._build import LDFLAGS as _KIT_LDFLAGS  # noqa: E402
from autocodec.modkit._build import STACK_BYTES as _KIT_STACK  # noqa: E402
from autocodec.modkit._build import STRICT_CFLAGS  # noqa: E402

assert _KIT_STACK == STACK_BYTES
CFLAGS = _KIT_CFLAGS
LDFLAGS = _KIT_LDFLAGS
# Modules built without STRICT_CFLAGS, each with its reason (remove once it compiles cleanly).
STRICT_EXEMPT: dict[str, str] = {}


def warning_flags(name: str) -> tuple[str, ...]:
    """The stricter warnings for every module but the exempt ones."""
    return () if name in STRICT_EXEMPT else STRICT_CFLAGS


class BuildError(Exception):
    """A module failed to build or to meet the ABI."""


@dataclass(frozen=True)
class Built:
    name: str
    wasm: bytes

    @property
    def cid(self) -> str:
        sys.path.insert(0, str(REPO))
        from autocodec.cid import CID

        return str(CID.build(0x55, b"\x12\x20" + hashlib.sha256(self.wasm).digest()))


# --- toolchain -----------------------------------------------------------------------------


def pinned_zig() -> str:
    text = (REPO / "pyproject.toml").read_text()
    pins: set[str] = set(re.findall(r'"ziglang==([^"]+)"', text))
    if len(pins) != 1:
        raise BuildError(f"pyproject.toml must pin exactly one ziglang version, found {sorted(pins)}")
    return pins.pop()


def check_zig() -> None:
    want = pinned_zig()
    try:
        have = importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(f"ziglang is not installed: pip install ziglang=={want}") from None
    if have != want:
        raise BuildError(f"ziglang {have} is installed but pyproject.toml pins {want}: pip install ziglang=={want}")


def zig_env(cache: Path | None = None) -> dict[str, str]:
    """The compiler's environment: only the module kit's ``ENV_KEPT`` of this process's (so
    ``CPATH``, ``ZIG_LIB_DIR``, ``CFLAGS``... cannot change a module's bytes), then the cache
    folders and a fixed ``SOURCE_DATE_EPOCH``."""
    cache = cache or ROOT / ".zig-cache"
    env = {k: os.environ[k] for k in ENV_KEPT if k in os.environ}
    env["ZIG_GLOBAL_CACHE_DIR"] = str(cache / "global")
    env["ZIG_LOCAL_CACHE_DIR"] = str(cache / "local")
    env["SOURCE_DATE_EPOCH"] = "0"
    return env


# --- metadata and the custom section ---------------------------------------------------------


def module_names() -> list[str]:
    return sorted(
        p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in NOT_MODULES and (p / "module.json").is_file()
    )


def load_meta(name: str, src: Path | None = None) -> dict[str, Any]:
    """module.json checked by the module kit's rules (autocodec.modkit), plus name == folder."""
    from autocodec.modkit._errors import InvalidModuleSource
    from autocodec.modkit._meta import validate_meta

    path = (src or ROOT / name) / "module.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BuildError(f"{name}: cannot read module.json: {exc}") from None
    try:
        meta = validate_meta(meta, name)
    except InvalidModuleSource as exc:
        raise BuildError(exc.message) from None
    if meta["name"] != name:
        raise BuildError(f"{name}: module.json name {meta['name']!r} differs from its folder")
    return meta


def section_payload(meta: dict[str, Any]) -> bytes:
    """The canonical DAG-CBOR of module.json plus ``"abi": 1`` (autocodec.modkit's)."""
    from autocodec.modkit._meta import section_payload as kit_payload

    return kit_payload(meta)


def custom_section(name: str, payload: bytes) -> bytes:
    from autocodec.modkit._meta import custom_section as kit_section

    return kit_section(payload, name)


# --- reading wasm: the package's own module parser (autocodec.loader), not a second one ------


def _summary(wasm: bytes) -> Any:
    """The loader's summary of a Wasm binary (imports, exports, custom sections)."""
    sys.path.insert(0, str(REPO))
    from autocodec.errors import ModuleRejected
    from autocodec.loader._wasmparse import parse

    try:
        return parse(wasm)
    except ModuleRejected as exc:
        raise BuildError(f"malformed wasm: {exc.message}") from None


def custom_sections(wasm: bytes) -> list[tuple[str, bytes]]:
    """(name, payload) of every custom section, in order."""
    return list(_summary(wasm).custom)


def custom_payload(wasm: bytes, name: str = SECTION_NAME) -> bytes | None:
    found = [payload for sname, payload in custom_sections(wasm) if sname == name]
    if len(found) > 1:
        raise BuildError(f"more than one {name!r} section")
    return found[0] if found else None


def check_abi(name: str, kind: str, wasm: bytes) -> None:
    summary = _summary(wasm)
    if summary.imports:
        shown = ", ".join(f"{m}.{n}" for m, n, _ in summary.imports)
        raise BuildError(f"{name}: the module imports {shown} (modules may not import anything; "
                         "an undefined function was probably called)")
    missing = [e for e in COMMON_EXPORTS + KINDS[kind] if e not in summary.exports]
    if missing:
        raise BuildError(f"{name}: a {kind} must export {', '.join(missing)} (use the AC_EXPORT_* macro)")
    customs = [sname for sname, _ in summary.custom]
    if customs:
        raise BuildError(f"{name}: the compiler left custom sections {customs}")


# --- building -------------------------------------------------------------------------------------


def extra_flags(name: str, src: Path | None = None) -> list[str]:
    """build.flags, by the module kit's rule (autocodec.modkit._build.EXTRA_FLAG)."""
    from autocodec.modkit._build import extra_cflags
    from autocodec.modkit._errors import InvalidModuleSource

    try:
        return extra_cflags(src or ROOT / name)
    except InvalidModuleSource as exc:
        raise BuildError(exc.message) from None


def check_layout(name: str, src: Path | None = None) -> None:
    """build.json (the folders the module includes, for `autocodec module build`), by the module
    kit's rules: a malformed one fails here too, not only for publishers building the folder."""
    from autocodec.modkit._errors import InvalidModuleSource
    from autocodec.modkit._tree import load_layout

    try:
        load_layout(src or ROOT / name)
    except InvalidModuleSource as exc:
        raise BuildError(exc.message) from None


def build_module(name: str, *, src: Path | None = None, cache: Path | None = None) -> Built:
    """Compile one module and return its final bytes (nothing is written to wasm-src).

    ``src`` overrides the source folder (default ``wasm-src/<name>``, the only reproducible
    choice: paths are passed relative to wasm-src); ``cache`` overrides the zig cache.
    """
    src = (src or ROOT / name).resolve()
    meta = load_meta(name, src)
    check_layout(name, src)
    sources = sorted(
        (p.relative_to(ROOT).as_posix() if p.is_relative_to(ROOT) else str(p)) for p in src.glob("*.c")
    )
    if not sources:
        raise BuildError(f"{name}: no .c sources")
    with tempfile.TemporaryDirectory(prefix=f"ac-build-{name}-") as tmp:
        out = Path(tmp) / f"{name}.wasm"
        cmd = [sys.executable, "-m", "ziglang", "cc", *CFLAGS, *warning_flags(name), *LDFLAGS, *extra_flags(name, src),
               "lib/ac.c", *sources, "-o", str(out)]
        proc = subprocess.run(cmd, cwd=ROOT, env=zig_env(cache), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BuildError(f"{name}: compile failed:\n{proc.stderr.strip()}")
        wasm = out.read_bytes()
    check_abi(name, meta["kind"], wasm)
    return Built(name, wasm + custom_section(SECTION_NAME, section_payload(meta)))


def build_all(names: list[str], jobs: int) -> tuple[list[Built], list[str]]:
    """Build modules in parallel; returns (built, error messages)."""
    built, errors = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(build_module, n): n for n in names}
        for fut in concurrent.futures.as_completed(futures):
            try:
                built.append(fut.result())
            except BuildError as exc:
                errors.append(str(exc))
    built.sort(key=lambda b: b.name)
    return built, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="modules to build (default: all)")
    ap.add_argument("--check", action="store_true", help="rebuild and compare with the committed .wasm; write nothing")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args(argv)
    try:
        check_zig()
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 2
    known = module_names()
    names = args.names or known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"build.py: no module {', '.join(unknown)} (have: {', '.join(known)})", file=sys.stderr)
        return 2
    built, errors = build_all(names, args.jobs)
    for msg in errors:
        print(f"build.py: {msg}", file=sys.stderr)
    differ = []
    for b in built:
        path = ROOT / b.name / f"{b.name}.wasm"
        old = path.read_bytes() if path.exists() else None
        if args.check:
            state = "ok" if old == b.wasm else ("MISSING" if old is None else "DIFFERS")
            if old != b.wasm:
                differ.append(b.name)
        else:
            state = "unchanged" if old == b.wasm else "written"
            if old != b.wasm:
                path.write_bytes(b.wasm)
        print(f"{b.name:<16} {len(b.wasm):>8} B  {b.cid}  {state}")
    if differ:
        print(f"build.py: committed .wasm out of date: {', '.join(differ)} (run python wasm-src/build.py)",
              file=sys.stderr)
    return 1 if errors or differ else 0


if __name__ == "__main__":
    sys.exit(main())
