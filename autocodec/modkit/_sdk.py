"""Where the per-language SDKs and pinned toolchains live.

The SDKs ship in the source tree (``wasm-src/include``, ``wasm-src/lib``, ``wasm-src/sdk``);
AssemblyScript is installed by ``tools/setup.d/60-assemblyscript.sh`` into
``.cache/assemblyscript``. Builds from an installed wheel without the tree are refused with
a message saying so.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ._errors import ToolchainMissing

TREE = Path(__file__).resolve().parents[2]
WASM_SRC = TREE / "wasm-src"
SDK = WASM_SRC / "sdk"
ASC_DIR = TREE / ".cache" / "assemblyscript"


@dataclass(frozen=True)
class CFiles:
    header: Path
    library: Path


def _need(path: Path) -> Path:
    if not path.is_file():
        raise ToolchainMissing(f"the module SDK file {path} is missing; module build needs autocodec's "
                               "source tree (wasm-src/), not only the installed package")
    return path


def c_files() -> CFiles:
    """The C SDK: the header and the guest library linked into every C module."""
    return CFiles(_need(WASM_SRC / "include" / "ac.h"), _need(WASM_SRC / "lib" / "ac.c"))


def zig_files() -> list[Path]:
    """The Zig SDK files (imported as the ``ac`` module)."""
    return [_need(SDK / "zig" / "ac.zig"), _need(SDK / "zig" / "ac_abi.zig")]


def assemblyscript_files() -> list[Path]:
    """The AssemblyScript SDK files (imported as ``./ac``)."""
    return [_need(SDK / "assemblyscript" / "ac.ts"), _need(SDK / "assemblyscript" / "ac_abi.ts")]


def asc() -> list[str]:
    """The pinned AssemblyScript compiler as a command line."""
    entry = ASC_DIR / "node_modules" / "assemblyscript" / "bin" / "asc.js"
    node = shutil.which("node")
    if node is None or not entry.is_file():
        raise ToolchainMissing("AssemblyScript is not installed here (tools/setup.d/60-assemblyscript.sh installs "
                               "the pinned compiler with npm; it needs node and npm)")
    return [node, str(entry)]


def cache_dir(lang: str) -> Path:
    """A persistent compiler cache (never part of the output)."""
    return TREE / ".cache" / f"modkit-{lang}"
