"""The source tree a manifest names: the files a module was built from, found beside it.

Invariants:
- A folder is taken as the module's sources only when its ``module.json`` names the module
  being published: the folder holding the ``.wasm`` (``wasm-src/<name>/``), else the vectors
  folder (``autocodec module build DIR -o X.wasm`` then publish with DIR's vectors). No such
  folder: no source tree (``None``); files that merely sit near the ``.wasm`` are never taken.
- From that folder: its source files and ``build.flags``, sorted; then, in a ``wasm-src`` tree
  (its parent holds ``build.py`` and ``include/ac.h``), the shared ``include/`` and ``lib/``
  files and ``build.py``; then every file a quoted ``#include`` of those reaches (transitively)
  inside the tree, such as ``../eth-common/rlp.h``, so the tree holds what the compiler read.
- Paths are relative to the folder's parent, in ``/`` form; nothing else outside it is read
  but, for a module-kit folder (not in a ``wasm-src`` tree), the kit's SDK files its build
  read, named ``autocodec-sdk/<path in wasm-src>`` (``include/ac.h``, ``sdk/zig/ac.zig``...),
  so the tree holds every byte the compiler saw.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import builtin
from ..cid import CID

SOURCE_SUFFIXES = (".c", ".h", ".json", ".md", ".zig", ".ts", ".rs")
SOURCE_NAMES = ("build.flags",)  # extra compiler flags change the bytes
_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"', re.MULTILINE)


def source_folder(module_path: Path, vectors: Path | None, name: str) -> Path | None:
    """The folder whose ``module.json`` names module ``name``: beside the ``.wasm``, else the vectors'."""
    candidates = [module_path.parent]
    if vectors is not None:
        candidates.append(vectors if vectors.is_dir() else vectors.parent)
    for folder in candidates:
        try:
            meta: Any = json.loads((folder / "module.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("name") == name:
            return folder
    return None


def _is_wasm_src(root: Path) -> bool:
    return (root / "build.py").is_file() and (root / "include" / "ac.h").is_file()


def _included(path: Path, root: Path) -> list[Path]:
    """Files that ``path``'s quoted includes name, resolved beside it, kept inside ``root``."""
    if path.suffix not in (".c", ".h"):
        return []
    found = []
    for target in _INCLUDE.findall(path.read_bytes()):
        candidate = (path.parent / target.decode("utf-8", "replace")).resolve()
        if candidate.is_file() and candidate.is_relative_to(root):
            found.append(candidate)
    return found


def source_files(folder: Path) -> list[Path]:
    """The files of the module in ``folder`` (see the module's invariants), in tree order."""
    root = folder.parent.resolve()
    folder = folder.resolve()
    paths = [p for p in sorted(folder.iterdir())
             if p.is_file() and (p.suffix in SOURCE_SUFFIXES or p.name in SOURCE_NAMES)]
    if _is_wasm_src(root):
        for shared in ("include", "lib"):
            paths += [p for p in sorted((root / shared).iterdir()) if p.is_file()]
        paths.append(root / "build.py")
    seen = set(paths)
    todo = list(paths)
    while todo:
        for extra in _included(todo.pop(0), root):
            if extra not in seen:
                seen.add(extra)
                paths.append(extra)
                todo.append(extra)
    return paths


def source_tree(put: Callable[[bytes, str], CID], folder: Path | None) -> CID | None:
    """Store the files and their DAG-CBOR map ``{"type": "source-tree", "files": {path: CID}}``."""
    if folder is None:
        return None
    paths = source_files(folder)
    if not paths:
        return None
    root = folder.parent.resolve()
    files = {path.relative_to(root).as_posix(): put(path.read_bytes(), "raw") for path in paths}
    files.update((name, put(path.read_bytes(), "raw")) for name, path in kit_sdk_files(folder))
    return put(builtin.encode({"type": "source-tree", "files": files}, "dag-cbor"), "dag-cbor")


SDK_PREFIX = "autocodec-sdk"


def kit_sdk_files(folder: Path) -> list[tuple[str, Path]]:
    """``(name in the tree, file)`` of the SDK a module-kit folder's build reads; none for a
    ``wasm-src`` module (its tree holds the shared files already) or a folder the kit cannot
    build (no sources of one language, no SDK installed)."""
    if _is_wasm_src(folder.parent.resolve()):
        return []
    from ..modkit._build import detect_lang
    from ..modkit._errors import ModuleBuildError
    from ..modkit._sdk import WASM_SRC, sdk_files

    try:
        found = sdk_files(detect_lang(folder))
    except ModuleBuildError:
        return []
    return [(f"{SDK_PREFIX}/{path.relative_to(WASM_SRC).as_posix()}", path) for path in found]
