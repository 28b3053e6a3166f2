"""``autocodec module build wasm-src/<name>`` gives wasm-src/build.py's bytes (and CID) for one
module of each build shape (SHAPES: a folder of its own, several sources, a subfolder left out,
build.json including headers from one or two folders beside it, or sources of another module),
and the same bytes again from a copy of the tree elsewhere, built in another environment with a
cold compiler cache. build.py's bytes for all 29 are the committed ones
(tests/test_build.py::test_check_passes_for_every_committed_module; from a copy elsewhere,
tests/test_review4_repro_builds.py), so the CLI is checked per shape, not per module: a new
shape fails test_the_tree_is_what_this_test_expects until a module of it is added to SHAPES.

Real compilers (the pinned ziglang), the real CLI in a subprocess, no mocks. Before build.json
(commit 7bccb5b) 17 of the 29 failed with ``zig cc failed: ... file not found``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests._builder_env import COLD_CLI, IGNORED, builder_env, run_as_builder
from tests._toolchains import need_toolchain

REPO = Path(__file__).resolve().parents[1]
WASM_SRC = REPO / "wasm-src"
NAMES = sorted(p.parent.name for p in WASM_SRC.glob("*/module.json"))
WITH_LAYOUT = sorted(p.parent.name for p in WASM_SRC.glob("*/build.json"))
# One module per build shape (see _shape), the CLI's bytes checked against build.py's for each.
SHAPES = ("dag-cbor", "bitcoin-tx", "chunker-rabin", "keccak-512", "eth-tx-receipt-trie", "bao", "bip340")
_PRINTED = re.compile(r"^(?P<out>.+) (?P<size>\d+) bytes (?P<cid>bafkrei\S+) \(c ")


@functools.cache
def _build_py() -> ModuleType:
    """wasm-src/build.py, imported (its dataclasses need it registered in sys.modules)."""
    spec = importlib.util.spec_from_file_location("ac_wasm_src_build", WASM_SRC / "build.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _shape(name: str) -> tuple[str, tuple[str, ...], bool, bool]:
    """What a build of the folder depends on: build.json's root, whether each included folder
    holds sources or headers only, more than one source of its own, a subfolder (left out)."""
    folder = WASM_SRC / name
    layout = json.loads((folder / "build.json").read_text()) if (folder / "build.json").exists() else {}
    included = tuple(sorted("sources" if any((WASM_SRC / inc).glob("*.c")) else "headers"
                            for inc in layout.get("include", [])))
    subfolders = any(p.is_dir() and p.name != ".zig-cache" for p in folder.iterdir())
    return layout.get("root", "."), included, len(list(folder.glob("*.c"))) > 1, subfolders


def test_the_tree_is_what_this_test_expects() -> None:
    assert len(NAMES) == 29
    assert len(WITH_LAYOUT) == 17  # the modules that include eth-common, include, bitcoin-tx, blake3, bencode
    shapes = {_shape(name) for name in NAMES}
    assert {_shape(name) for name in SHAPES} == shapes and len(SHAPES) == len(shapes), (
        f"a build shape no module of SHAPES has: {shapes - {_shape(name) for name in SHAPES}}")


@pytest.mark.slow
@pytest.mark.parametrize("name", SHAPES)
def test_module_build_gives_build_py_bytes(name: str, tmp_path: Path) -> None:
    need_toolchain("c")
    out = tmp_path / f"{name}.wasm"
    env = builder_env(tmp_path / "env", tz="UTC", lang="C.UTF-8", epoch="0", user="publisher")
    env["PYTHONPATH"] = str(REPO)
    proc = run_as_builder([sys.executable, "-m", "autocodec", "module", "build", str(WASM_SRC / name), "-o", str(out)],
                tmp_path, env, 0o022)
    assert proc.returncode == 0, proc.stderr
    reference = _build_py().build_module(name)
    assert out.read_bytes() == reference.wasm
    assert out.read_bytes() == (WASM_SRC / name / f"{name}.wasm").read_bytes()
    printed = _PRINTED.match(proc.stdout.strip())
    assert printed is not None, proc.stdout
    assert printed["cid"] == reference.cid


@pytest.mark.slow
def test_a_copy_elsewhere_builds_to_the_same_bytes(tmp_path: Path) -> None:
    """The tree at a path with spaces and non-ASCII letters, another TZ, locale, umask, HOME,
    TMPDIR, SOURCE_DATE_EPOCH and a cold compiler cache: the include-using modules give the
    committed bytes (the kit's SDK is the checkout's; the module's root is the copy)."""
    need_toolchain("c")
    copy = tmp_path / "a publisher's tree, späces" / "wasm-src"
    shutil.copytree(WASM_SRC, copy, ignore=IGNORED)
    env = builder_env(tmp_path / "env", tz="Pacific/Chatham", lang="C", epoch="1700000000", user="bøb")
    env["PYTHONPATH"] = str(REPO)
    differ = []
    for name in ("bao", "bip340", "eth-tx-receipt-trie", "keccak-512"):
        out = tmp_path / f"{name}.wasm"
        proc = run_as_builder([sys.executable, "-c", COLD_CLI, str(tmp_path / "cold"), "module", "build", str(copy / name),
                     "-o", str(out)], copy, env, 0o077)
        assert proc.returncode == 0, proc.stderr
        if out.read_bytes() != (WASM_SRC / name / f"{name}.wasm").read_bytes():
            differ.append(name)
    assert not differ, f"built to other bytes elsewhere: {differ}"
