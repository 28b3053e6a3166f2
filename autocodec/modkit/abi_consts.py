"""The ABI's constants rendered for every SDK from one source, ``autocodec.abi``.

Invariant: ``wasm-src/sdk/zig/ac_abi.zig``, ``wasm-src/sdk/assemblyscript/ac_abi.ts`` and
``wasm-src/sdk/rust/ac_abi.rs`` are exactly ``render(lang)``; ``python -m autocodec.modkit.abi_consts --write`` rewrites them
and tests/test_sdk.py fails when they (or the C header's enum) drift from ``autocodec.abi``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..abi import Kind, Status
from ..loader._info import ABI_VERSION, SECTION as SECTION_NAME
HEADER = "generated from autocodec/abi.py by `python -m autocodec.modkit.abi_consts --write`; do not edit"

#: The file each language's constants live in, relative to wasm-src/sdk.
FILES = {"zig": "zig/ac_abi.zig", "assemblyscript": "assemblyscript/ac_abi.ts", "rust": "rust/ac_abi.rs"}


def _statuses() -> list[tuple[str, int]]:
    return [(s.name, int(s.value)) for s in Status]


def render(lang: str) -> str:
    """The constants file of ``lang`` ("zig", "assemblyscript" or "rust")."""
    if lang == "zig":
        lines = [f"//! {HEADER}", f"pub const ABI_VERSION: i32 = {ABI_VERSION};",
                 f'pub const SECTION_NAME = "{SECTION_NAME}";']
        lines += [f"pub const {name}: i32 = {value};" for name, value in _statuses()]
        lines += [f'pub const KIND_{k.name} = "{k.value}";' for k in Kind]
    elif lang == "assemblyscript":
        lines = [f"// {HEADER}", f"export const ABI_VERSION: i32 = {ABI_VERSION};",
                 f'export const SECTION_NAME = "{SECTION_NAME}";']
        lines += [f"export const {name}: i32 = {value};" for name, value in _statuses()]
        lines += [f'export const KIND_{k.name} = "{k.value}";' for k in Kind]
    elif lang == "rust":
        lines = [f"//! {HEADER}", f"pub const ABI_VERSION: i32 = {ABI_VERSION};",
                 f'pub const SECTION_NAME: &str = "{SECTION_NAME}";']
        lines += [f"pub const {name}: i32 = {value};" for name, value in _statuses()]
        lines += [f'pub const KIND_{k.name}: &str = "{k.value}";' for k in Kind]
    else:
        raise ValueError(f"no constants file for {lang!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """``--write`` (re)writes the files under wasm-src/sdk; ``--check`` reports drift."""
    sdk = Path(__file__).resolve().parents[2] / "wasm-src" / "sdk"
    stale = []
    for lang, rel in FILES.items():
        path = sdk / rel
        want = render(lang)
        if "--write" in argv:
            path.write_text(want)
        elif not path.is_file() or path.read_text() != want:
            stale.append(rel)
    for rel in stale:
        print(f"abi_consts: wasm-src/sdk/{rel} differs from autocodec/abi.py (rerun with --write)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
