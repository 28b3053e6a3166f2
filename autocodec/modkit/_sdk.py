"""Where the per-language SDKs and pinned toolchains live.

The SDKs ship in the source tree (``wasm-src/include``, ``wasm-src/lib``, ``wasm-src/sdk``);
AssemblyScript is installed by ``tools/setup.d/60-assemblyscript.sh`` into
``.cache/assemblyscript``. Builds from an installed wheel without the tree are refused with
a message saying so.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ._errors import ToolchainMissing

TREE = Path(__file__).resolve().parents[2]
WASM_SRC = TREE / "wasm-src"
SDK = WASM_SRC / "sdk"
ASC_DIR = TREE / ".cache" / "assemblyscript"
#: The Node.js major version AssemblyScript modules are built with: asc and binaryen run on it, so
#: it is pinned like every other compiler (the asc lockfile's assemblyscript asks for >=20).
NODE_MAJOR = 20


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


def sdk_files(lang: str) -> list[Path]:
    """The SDK files a ``lang`` module's build reads besides its own folder (``ToolchainMissing``
    without the source tree)."""
    if lang == "c":
        found = c_files()
        return [found.header, found.library]
    return {"zig": zig_files, "assemblyscript": assemblyscript_files, "rust": rust_files}[lang]()


def asc_version() -> str:
    """The AssemblyScript version the setup pins (``tools/setup.d``), or ``unknown`` without the tree."""
    import json

    try:
        pinned = json.loads((TREE / "tools" / "setup.d" / "60-assemblyscript.package.json").read_text())
        version = pinned["dependencies"]["assemblyscript"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"
    return version if isinstance(version, str) else "unknown"


def asc() -> list[str]:
    """The pinned AssemblyScript compiler as a command line; ``ToolchainMissing`` when the one
    installed is another version (its ``package.json``) than the setup pins."""
    entry = ASC_DIR / "node_modules" / "assemblyscript" / "bin" / "asc.js"
    if not entry.is_file():
        raise ToolchainMissing("AssemblyScript is not installed here (tools/setup.d/60-assemblyscript.sh installs "
                               "the pinned compiler with npm; it needs node and npm)")
    import json

    pinned = asc_version()
    try:
        have = json.loads((entry.parent.parent / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError, TypeError):
        have = "unknown"
    if pinned != "unknown" and have != pinned:  # module bytes, and so CIDs, depend on it
        raise ToolchainMissing(f"AssemblyScript {have} is installed but modules are built with {pinned} "
                               "(tools/setup.d/60-assemblyscript.sh installs the pinned compiler with npm)")
    node = shutil.which("node")
    if node is None:
        raise ToolchainMissing(f"node is not on PATH; the AssemblyScript compiler is installed but runs on "
                               f"Node.js {NODE_MAJOR}",
                               hint=f"install Node.js {NODE_MAJOR}, or add the folder holding node to PATH, "
                               "and build again")
    check_node(node)
    return [node, str(entry)]


def node_major(node: str) -> int:
    """The major version ``node --version`` reports (``v20.20.2`` -> 20); ``ToolchainMissing``
    when it cannot be run or read."""
    import subprocess

    try:  # an empty environment: NODE_OPTIONS and the like cannot change what it reports
        proc = subprocess.run([node, "--version"], env={}, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainMissing(f"cannot run {node} --version: {exc}",
                               hint=f"install Node.js {NODE_MAJOR} and put it first on PATH") from None
    found = re.fullmatch(r"v(\d+)\.\d+\.\d+\S*", proc.stdout.strip())
    if proc.returncode != 0 or found is None:
        raise ToolchainMissing(f"{node} --version printed {proc.stdout.strip()[:40]!r}, not a Node.js version",
                               hint=f"install Node.js {NODE_MAJOR} and put it first on PATH")
    return int(found.group(1))


def check_node(node: str) -> None:
    """Refuse a ``node`` of another major version than ``NODE_MAJOR`` (asc and binaryen run on it)."""
    have = node_major(node)
    if have != NODE_MAJOR:
        raise ToolchainMissing(f"{node} is Node.js {have}, but AssemblyScript modules are built with Node.js "
                               f"{NODE_MAJOR}",
                               hint=f"install Node.js {NODE_MAJOR} (any {NODE_MAJOR}.x) and put it first on PATH, "
                               "then build again")


def rust_files() -> list[Path]:
    """The Rust SDK files (the crate's ``ac`` module)."""
    return [_need(SDK / "rust" / "ac.rs"), _need(SDK / "rust" / "ac_abi.rs")]


def rustc(version: str, target: str) -> list[str]:
    """rustc at exactly ``version`` with ``target`` installed, as a command line: the
    toolchain's own binary (``rustup which``), so it needs no environment to run."""
    import subprocess

    how = (f"tools/setup.d/61-rust-wasm32.sh installs Rust {version} with the {target} target "
           "through rustup")
    cmd = ["rustc"]
    try:
        if shutil.which("rustup"):  # the toolchain's own binary: it runs without rustup's environment
            which = subprocess.run(["rustup", "which", "--toolchain", version, "rustc"], capture_output=True,
                                   text=True, timeout=60, check=False)
            if which.returncode != 0 or not which.stdout.strip():
                raise ToolchainMissing(f"rustc {version} is not installed here ({how})")
            cmd = [which.stdout.strip()]
        ver = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60, check=False)
        libdir = subprocess.run([*cmd, "--print", "target-libdir", "--target", target], capture_output=True,
                                text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        raise ToolchainMissing(f"rustc {version} is not installed here ({how})") from None
    if ver.returncode != 0 or not ver.stdout.startswith(f"rustc {version} "):
        raise ToolchainMissing(f"rustc {version} is not installed here ({how})")
    if libdir.returncode != 0 or not Path(libdir.stdout.strip()).is_dir():
        raise ToolchainMissing(f"rustc {version} has no {target} target ({how})")
    return cmd


def cache_dir(lang: str) -> Path:
    """A persistent compiler cache (never part of the output)."""
    return TREE / ".cache" / f"modkit-{lang}"
