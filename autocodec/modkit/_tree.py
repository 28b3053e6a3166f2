"""``build.json``: the folders beside a C module that its sources include, and the build tree made of them.

A C module may ``#include "../other/x.h"`` or a shared header found on the search path, as the
platform modules in wasm-src do. ``build.json`` (never part of the module's bytes) names them::

    {"root": "..", "include": ["include", "eth-common"]}

Invariants:
- ``root`` is the module folder (``"."``) or one of its parents (``".."``, ``"../.."``), nothing
  else; every ``include`` entry is a folder under it, written relative to it with ``/``, without
  ``.``, ``..`` or a leading ``/``; after symbolic links are followed, each folder and each file
  copied from it still lies under the root. Anything else is ``InvalidModuleSource``.
- The build tree mirrors the root: the module's ``.c``/``.h`` files and each declared folder's
  ``.c``/``.h`` files (not its subfolders) sit at their paths relative to the root, beside the
  SDK's ``include/ac.h`` and ``lib/ac.c``; a file that would land on an SDK file must be
  byte-identical to it. With the root ``wasm-src`` this is ``wasm-src/build.py``'s own layout,
  so both compile the same text from the same relative paths and give the same bytes.
- The search path is the SDK's ``include``, the module's folder, then the declared folders, in order.
- Every source ``populate`` names for the compiler is read as a file, never as an option: a
  name that would start with ``-`` (possible with the root ``"."``) is given as ``./NAME``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ._errors import InvalidModuleSource

FILE = "build.json"
C_SUFFIXES = (".c", ".h")
_KEYS = {"root", "include"}


@dataclass(frozen=True)
class BuildLayout:
    """Where a C module's files come from: ``root`` (resolved), the module's path under it
    (``module``, ``"."`` when the module is the root) and the declared folders (``include``)."""

    root: Path
    module: str
    include: tuple[str, ...]


def _where(folder: Path) -> str:
    return str(folder / FILE)


def _read(folder: Path) -> Any:
    path = folder / FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:  # the path once, then the cause in words ("Permission denied")
        raise InvalidModuleSource(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InvalidModuleSource(f"cannot read {path}: {exc}") from None


def _root_levels(folder: Path, root: Any) -> int:
    """How many folders up the root is (0 for ``"."``)."""
    where = _where(folder)
    if not isinstance(root, str) or not root:
        raise InvalidModuleSource(f'{where}: "root" must be a string such as "." or ".."')
    parts = root.split("/")
    if root == ".":
        return 0
    if any(part != ".." for part in parts):
        raise InvalidModuleSource(f'{where}: "root" is {root!r}; it must be the module folder or one of its '
                                  'parents, written "." or ".." or "../.."')
    return len(parts)


def _include_path(where: str, entry: Any) -> str:
    """``entry`` checked as a folder path relative to the root, confined to it."""
    if not isinstance(entry, str) or not entry:
        raise InvalidModuleSource(f'{where}: "include" entries must be non-empty folder paths, not {entry!r}')
    parts = entry.split("/")
    if "\0" in entry or "\\" in entry or entry.startswith("/") or any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        raise InvalidModuleSource(f'{where}: include folder {entry!r} must be a path under "root" written with "/" '
                                  'and without ".", ".." or a leading "/"')
    return str(PurePosixPath(*parts))


def load_layout(folder: Path) -> BuildLayout | None:
    """The validated ``build.json`` of ``folder`` (resolved), or None when it has none."""
    if not (folder / FILE).exists():
        return None
    doc = _read(folder)
    where = _where(folder)
    if not isinstance(doc, dict):
        raise InvalidModuleSource(f"{where} must be an object")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise InvalidModuleSource(f'{where} has unknown keys {unknown} (it may hold "root" and "include")')
    levels = _root_levels(folder, doc.get("root", "."))
    resolved = folder.resolve()
    if levels >= len(resolved.parts):
        raise InvalidModuleSource(f'{where}: "root" {doc.get("root")!r} goes above the file system\'s top')
    root = resolved.parents[levels - 1] if levels else resolved
    module = PurePosixPath(*resolved.parts[len(resolved.parts) - levels:]) if levels else PurePosixPath(".")
    entries = doc.get("include", [])
    if not isinstance(entries, list):
        raise InvalidModuleSource(f'{where}: "include" must be a list of folder paths under "root"')
    include = tuple(_include_path(where, e) for e in entries)
    if len(set(include)) != len(include):
        raise InvalidModuleSource(f'{where}: "include" names a folder twice')
    for rel in include:
        real = (root / rel).resolve()
        if not real.is_relative_to(root):
            raise InvalidModuleSource(f"{where}: include folder {rel!r} leads outside the root {root} "
                                      "(through a symbolic link); keep every included folder under the root")
        if not real.is_dir():
            raise InvalidModuleSource(f"{where}: include folder {rel!r} is not a folder under the root {root}")
    return BuildLayout(root, str(module), include)


def _copy(src: Path, dest: Path, root: Path) -> None:
    """Copy ``src`` to ``dest``; a file already there (an SDK file) must have the same bytes."""
    if not src.resolve().is_relative_to(root):
        raise InvalidModuleSource(f"{src} leads outside the root {root} (a symbolic link); "
                                  "keep every included file under the root")
    data = src.read_bytes()
    if dest.exists():
        if dest.read_bytes() != data:
            raise InvalidModuleSource(f"{src} would replace the SDK's {dest.parent.name}/{dest.name}, and differs "
                                      "from it; rename it or use the SDK's")
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def _c_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.suffix in C_SUFFIXES and p.is_file()]


def populate(layout: BuildLayout, tmp: Path) -> tuple[list[str], list[str]]:
    """Copy the module and its declared folders into ``tmp`` (which already holds the SDK) at their
    places under the root; returns (the module's ``.c`` files, the ``-I`` flags), as relative paths."""
    for rel in layout.include:
        for path in _c_files(layout.root / rel):
            _copy(path, tmp / rel / path.name, layout.root)
    module_dir = layout.root / layout.module
    sources = []
    for path in _c_files(module_dir):
        _copy(path, tmp / layout.module / path.name, layout.root)
        if path.suffix == ".c":
            source = str(PurePosixPath(layout.module) / path.name)
            sources.append(f"./{source}" if source.startswith("-") else source)  # a file, never an option
    search = [f"-I{layout.module}", *(f"-I{rel}" for rel in layout.include if rel != "include")]
    return sources, search
