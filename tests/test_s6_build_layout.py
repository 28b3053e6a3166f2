"""build.json: a C module names the folders it includes, confined to a declared root; and the
``node`` that runs asc is the pinned Node.js major.

The refusals are checked without a compiler (``load_layout`` and the build tree); the builds
(a publisher's own tree, the hint for an undeclared include, the one-line CLI errors) run the
pinned ziglang for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.modkit import InvalidModuleSource, ToolchainMissing, build
from autocodec.modkit import _sdk
from autocodec.modkit._tree import load_layout, populate
from tests._toolchains import need_toolchain

REPO = Path(__file__).resolve().parents[1]
HEADER = "#pragma once\nstatic inline unsigned twice(unsigned x) { return 2u * x; }\n"
MODULE_C = r'''#include "ac.h"
#include "../common/twice.h"
#include "shared.h"

static uint32_t state;

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static int put_digest(uint32_t h, ac_buf *out) {
    uint8_t *d = ac_buf_extend(out, 4);
    if (!d) return out->err;
    h = twice(h) + SHARED_SALT;
    for (int i = 0; i < 4; i++) d[i] = (uint8_t)(h >> (24 - 8 * i));
    return AC_OK;
}

static int hash(const uint8_t *in, size_t n, ac_buf *out) { return put_digest(fnv(2166136261u, in, n), out); }
static int init(void) { state = 2166136261u; return AC_OK; }
static int update(const uint8_t *in, size_t n) { state = fnv(state, in, n); return AC_OK; }
static int final(ac_buf *out) { return put_digest(state, out); }
'''


def _module(root: Path, layout: object, *, name: str = "fnv") -> Path:
    """A tree ``root/{common,headers,<name>}``; ``<name>`` is a hasher with ``layout`` as build.json."""
    (root / "common").mkdir(parents=True)
    (root / "common" / "twice.h").write_text(HEADER)
    (root / "headers").mkdir()
    (root / "headers" / "shared.h").write_text("#pragma once\n#define SHARED_SALT 7u\n")
    mod = root / name
    mod.mkdir()
    meta = {"name": name, "kind": "hasher", "codes": [0x300001], "version": "0.1.0", "description": "t"}
    (mod / "module.json").write_text(json.dumps(meta))
    (mod / "build.json").write_text(json.dumps(layout))
    return mod


def _refused(mod: Path, *words: str) -> str:
    with pytest.raises(InvalidModuleSource) as err:
        load_layout(mod)
    for word in words:
        assert word in err.value.message, err.value.message
    return err.value.message


def test_no_build_json_is_no_layout(tmp_path: Path) -> None:
    assert load_layout(tmp_path) is None


def test_a_valid_layout(tmp_path: Path) -> None:
    mod = _module(tmp_path / "tree", {"root": "..", "include": ["headers", "common"]})
    layout = load_layout(mod)
    assert layout is not None
    assert layout.root == (tmp_path / "tree").resolve()
    assert layout.module == "fnv"
    assert layout.include == ("headers", "common")


@pytest.mark.parametrize("root", ["../common", "/", "/tmp", "fnv", "./..", "..\\..", "", 1, None])
def test_root_must_be_the_folder_or_a_parent(tmp_path: Path, root: object) -> None:
    mod = _module(tmp_path / "tree", {"root": root, "include": []})
    _refused(mod, '"root"')


def test_root_above_the_file_systems_top_is_refused(tmp_path: Path) -> None:
    mod = _module(tmp_path / "tree", {"root": "/".join([".."] * 64), "include": []})
    _refused(mod, "top")


@pytest.mark.parametrize("entry", ["../common", "/etc", "common/../headers", "./common", "common/", "a\\b", "",
                                   "..", ".", "C:", 3])
def test_include_folders_are_confined_to_the_root(tmp_path: Path, entry: object) -> None:
    mod = _module(tmp_path / "tree", {"root": "..", "include": [entry]})
    _refused(mod, "include")


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.h").write_text("#define SECRET 1\n")
    mod = _module(tmp_path / "tree", {"root": "..", "include": ["escape"]})
    (tmp_path / "tree" / "escape").symlink_to(outside)
    _refused(mod, "outside the root")


def test_a_symlinked_file_out_of_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.h").write_text("#define SECRET 1\n")
    mod = _module(tmp_path / "tree", {"root": "..", "include": ["common"]})
    (tmp_path / "tree" / "common" / "leak.h").symlink_to(tmp_path / "outside.h")
    layout = load_layout(mod)
    assert layout is not None
    build_tree = tmp_path / "build"
    build_tree.mkdir()
    with pytest.raises(InvalidModuleSource, match="outside the root"):
        populate(layout, build_tree)


@pytest.mark.parametrize("doc", [[], "x", {"root": "..", "include": "common"}, {"root": "..", "includes": []},
                                 {"root": "..", "include": ["common", "common"]},
                                 {"root": "..", "include": ["missing"]}])
def test_malformed_documents_are_refused(tmp_path: Path, doc: object) -> None:
    mod = _module(tmp_path / "tree", doc)
    _refused(mod)


def test_not_json_is_refused(tmp_path: Path) -> None:
    mod = _module(tmp_path / "tree", {})
    (mod / "build.json").write_text("{root: ..}")
    _refused(mod, "cannot read")


def test_the_tree_mirrors_the_root_beside_the_sdk(tmp_path: Path) -> None:
    mod = _module(tmp_path / "tree", {"root": "..", "include": ["headers", "common"]})
    (mod / "fnv.c").write_text(MODULE_C)
    (mod / "notes.txt").write_text("not copied")
    layout = load_layout(mod)
    assert layout is not None
    out = tmp_path / "build"
    (out / "include").mkdir(parents=True)
    sources, search = populate(layout, out)
    assert sources == ["fnv/fnv.c"]
    assert search == ["-Ifnv", "-Iheaders", "-Icommon"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "common/twice.h", "fnv/fnv.c", "headers/shared.h"]


def test_a_different_sdk_file_in_an_included_folder_is_refused(tmp_path: Path) -> None:
    mod = _module(tmp_path / "tree", {"root": "..", "include": ["include"]})
    (tmp_path / "tree" / "include").mkdir()
    (tmp_path / "tree" / "include" / "ac.h").write_text("/* not the SDK */\n")
    layout = load_layout(mod)
    assert layout is not None
    out = tmp_path / "build"
    (out / "include").mkdir(parents=True)
    shutil.copyfile(_sdk.c_files().header, out / "include" / "ac.h")
    with pytest.raises(InvalidModuleSource, match="SDK's include/ac.h"):
        populate(layout, out)
    (tmp_path / "tree" / "include" / "ac.h").write_bytes(_sdk.c_files().header.read_bytes())  # wasm-src's case
    populate(layout, out)


def test_build_json_in_a_zig_module_is_refused(tmp_path: Path) -> None:
    mod = tmp_path / "z"
    mod.mkdir()
    (mod / "module.json").write_text(json.dumps({"name": "z", "kind": "hasher", "codes": [0x300001],
                                                 "version": "0.1.0", "description": "t"}))
    (mod / "module.zig").write_text("")
    (mod / "build.json").write_text("{}")
    with pytest.raises(InvalidModuleSource, match="this is a zig module"):
        build(mod)


# --- builds, with the real compiler ---------------------------------------------------------------


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**(env or os.environ), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def _c_hasher(tmp_path: Path, where: str) -> Path:
    mod = _module(tmp_path / where, {"root": "..", "include": ["headers", "common"]})
    (mod / "fnv.c").write_text(MODULE_C + "\nAC_EXPORT_HASHER(hash, init, update, final)\n")
    return mod


@pytest.mark.slow
def test_a_publishers_tree_builds_the_same_anywhere(tmp_path: Path) -> None:
    need_toolchain("c")
    here = _c_hasher(tmp_path, "one")
    there = _c_hasher(tmp_path, "two/a longer påth")
    built = [build(here).wasm, build(there).wasm]
    assert built[0] == built[1]
    proc = _cli("module", "build", str(here), "-o", str(tmp_path / "fnv.wasm"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "fnv.wasm").read_bytes() == built[0]


@pytest.mark.slow
def test_an_undeclared_folder_fails_in_one_line_naming_build_json(tmp_path: Path) -> None:
    need_toolchain("c")
    mod = _c_hasher(tmp_path, "tree")
    (mod / "build.json").unlink()
    proc = _cli("module", "build", str(mod), cwd=tmp_path)
    assert proc.returncode == 1
    assert "file not found" in proc.stderr and "build.json" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_an_escaping_include_is_one_cli_line(tmp_path: Path) -> None:
    mod = _c_hasher(tmp_path, "tree")
    (mod / "build.json").write_text(json.dumps({"root": "..", "include": ["../../etc"]}))
    proc = _cli("module", "build", str(mod), cwd=tmp_path)
    assert proc.returncode == 1
    assert "must be a path under" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


# --- node ---------------------------------------------------------------------------------------


def _fake_node(tmp_path: Path, version: str) -> Path:
    """A stand-in ``node`` reporting ``version`` (no second Node.js is installed here to run)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = bin_dir / "node"
    node.write_text(f"#!/bin/sh\necho {version}\n")
    node.chmod(0o755)
    return bin_dir


def test_the_installed_node_is_the_pinned_major() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    assert _sdk.node_major(node) == _sdk.NODE_MAJOR


def test_the_pin_meets_the_locked_assemblyscripts_engines() -> None:
    lock = json.loads((REPO / "tools" / "setup.d" / "60-assemblyscript.package-lock.json").read_text())
    wanted = lock["packages"]["node_modules/assemblyscript"]["engines"]["node"]
    assert wanted.startswith(">=")
    assert _sdk.NODE_MAJOR >= int(wanted[2:].split(".")[0])


@pytest.mark.parametrize("version", ["v18.19.0", "v22.1.0", "v2.0.0"])
def test_another_node_major_is_refused_saying_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              version: str) -> None:
    if not (_sdk.ASC_DIR / "node_modules" / "assemblyscript" / "bin" / "asc.js").is_file():
        pytest.skip("AssemblyScript is not installed (tools/setup.d/60-assemblyscript.sh)")
    monkeypatch.setenv("PATH", f"{_fake_node(tmp_path, version)}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(ToolchainMissing) as err:
        _sdk.asc()
    assert f"Node.js {version[1:].split('.')[0]}" in err.value.message
    assert f"install Node.js {_sdk.NODE_MAJOR}" in err.value.hint


def test_a_node_that_is_not_node_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ToolchainMissing, match="not a Node.js version"):
        _sdk.check_node(str(_fake_node(tmp_path, "hello") / "node"))
