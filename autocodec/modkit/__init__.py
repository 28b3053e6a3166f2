"""Module kit: scaffold (``module new``), build (``module build``) modules in C, Zig or AssemblyScript.

The SDKs live in the source tree (wasm-src/include, wasm-src/lib, wasm-src/sdk); the ABI's
constants of every SDK are generated from ``autocodec.abi`` (``abi_consts``).
"""

from __future__ import annotations

from ._build import LANG_SUFFIX, BuiltModule, build, detect_lang, toolchain
from ._errors import CompileFailed, InvalidModuleSource, ModuleBuildError, ToolchainMissing
from ._scaffold import LANGS, available, scaffold

__all__ = [
    "LANGS", "LANG_SUFFIX", "BuiltModule", "CompileFailed", "InvalidModuleSource", "ModuleBuildError",
    "ToolchainMissing", "available", "build", "detect_lang", "scaffold", "toolchain",
]
