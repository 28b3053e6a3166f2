"""Which module-SDK languages' toolchains this machine has: ``LANGS`` (every SDK language),
``missing`` (why one is not usable, or None) and ``need_toolchain`` (skip a test without it; under
CI fail, except for Rust's wasm32 target).
"""

from __future__ import annotations

import os

import pytest

from autocodec.modkit import ToolchainMissing
from autocodec.modkit._build import RUST_TARGET, RUST_VERSION
from autocodec.modkit._sdk import ASC_DIR, rustc

LANGS = ("c", "zig", "assemblyscript", "rust")


def missing(lang: str) -> str | None:
    """Why ``lang``'s toolchain is not usable here, or None."""
    if lang == "assemblyscript" and not (ASC_DIR / "node_modules" / "assemblyscript" / "bin" / "asc.js").is_file():
        return "AssemblyScript not installed (tools/setup.d/60-assemblyscript.sh needs npm)"
    if lang == "rust":
        try:
            rustc(RUST_VERSION, RUST_TARGET)
        except ToolchainMissing as exc:
            return exc.message
    return None


def need_toolchain(lang: str) -> None:
    """Skip without the language's toolchain; under CI a missing C/Zig/AssemblyScript toolchain
    fails (the setup installs them from package registries), a missing Rust wasm32 target skips:
    issue 21 asks for Rust only where the target is installed (rustup downloads from its own
    host, which a machine that reaches only package registries cannot)."""
    reason = missing(lang)
    if reason is not None:
        if os.environ.get("CI") and lang != "rust":
            pytest.fail(reason)
        pytest.skip(reason)
