"""Reproducible module builds, measured from other places: the same sources give the same bytes
(and CIDs) whatever the checkout's path, the builder's HOME, user name, time zone, umask, locale,
TMPDIR and SOURCE_DATE_EPOCH, and with a cold or a warm compiler cache.

- wasm-src/: a copy of the tree at another path (spaces, non-ASCII), cold cache, another
  environment; ``build.py --check`` matches the committed ``.wasm``, and the fresh CIDs are the
  modules of the shipped default set (autocodec/registry/default-set.car).
- Templates: every ``module new --lang X --kind K``, scaffolded at two paths and built in two
  environments (one with a fresh compiler cache), gives one set of bytes.
Real compilers (pinned ziglang, rustc through rustup, AssemblyScript from npm), no mocks.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from autocodec.registry._default import DEFAULT_SET_CAR
from autocodec.sources import CarSource
from tests._builder_env import COLD_CLI, IGNORED, builder_env, run_as_builder
from tests._toolchains import LANGS, need_toolchain

REPO = Path(__file__).resolve().parents[1]
KINDS = ("codec", "hasher", "chunker", "crypto", "task")


@pytest.mark.slow
def test_wasm_src_rebuilt_elsewhere_is_the_committed_and_shipped_bytes(tmp_path: Path) -> None:
    copy = tmp_path / "a checkout with späces" / "x"
    shutil.copytree(REPO / "wasm-src", copy / "wasm-src", ignore=IGNORED)
    shutil.copytree(REPO / "autocodec", copy / "autocodec", ignore=IGNORED)
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    env = builder_env(tmp_path / "env", tz="Asia/Tokyo", lang="C.UTF-8", epoch="1234567890", user="somebody-else")
    proc = run_as_builder([sys.executable, "wasm-src/build.py", "--check"], copy, env, 0o077)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fresh = dict(re.findall(r"^(\S+)\s+\d+ B\s+(bafkrei\S+)\s+ok$", proc.stdout, re.M))
    names = sorted(p.parent.name for p in (REPO / "wasm-src").glob("*/module.json"))
    assert sorted(fresh) == names
    shipped = {str(cid) for cid in CarSource(DEFAULT_SET_CAR).all_blocks() if cid.codec == 0x55}
    assert set(fresh.values()) == shipped, (
        "the default set's modules are not what wasm-src builds: run `python tools/make_default_set.py`")


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_templates_build_to_the_same_bytes_anywhere(lang: str, tmp_path: Path) -> None:
    need_toolchain(lang)
    first = builder_env(tmp_path / "one", tz="UTC", lang="C", epoch="0", user="alice")
    second = builder_env(tmp_path / "two", tz="Pacific/Chatham", lang="C.UTF-8", epoch="1700000000", user="bøb")
    here = tmp_path / "one" / "m"
    there = tmp_path / "two" / "a much longer path, with späces" / "m"
    differ = []
    for kind in KINDS:
        name = f"{lang}-{kind}"
        built: list[bytes] = []
        for place, env, umask, cold in ((here, first, 0o022, None), (there, second, 0o077, tmp_path / "cold")):
            place.mkdir(parents=True, exist_ok=True)
            cli = [sys.executable, "-c", COLD_CLI, str(cold)] if cold else [sys.executable, "-m", "autocodec"]
            new = run_as_builder([*cli, "module", "new", "--lang", lang, "--kind", kind, name], place, env, umask)
            assert new.returncode == 0, new.stderr
            out = place / f"{name}.wasm"
            proc = run_as_builder([*cli, "module", "build", name, "-o", str(out)], place, env, umask)
            assert proc.returncode == 0, proc.stderr
            built.append(out.read_bytes())
        if built[0] != built[1]:
            differ.append(name)
    assert not differ, f"built to other bytes elsewhere: {differ}"


@pytest.mark.slow
def test_a_rust_module_cannot_see_the_builders_environment(tmp_path: Path) -> None:
    """modkit ran rustc through ``rustup run`` with the caller's HOME, TMPDIR, LANG, PATH and
    rustup's variables, so ``option_env!`` compiled the builder's values in (measured 2026-12-05:
    HOME=/tmp/h1 vs /tmp/hhhhhhh2 gave two CIDs); now the toolchain's rustc runs with PATH only."""
    need_toolchain("rust")
    built = []
    for who in ("h1", "a-longer-home-2"):
        env = builder_env(tmp_path / who, tz="UTC", lang="C", epoch="0", user=who)
        mod = tmp_path / who / "rust-hasher"
        assert run_as_builder([sys.executable, "-m", "autocodec", "module", "new", "--lang", "rust", "--kind", "hasher",
                     str(mod)], tmp_path, env, 0o022).returncode == 0
        source = mod / "module.rs"
        text = source.read_text()
        hashed = "out.put(&fnv(OFFSET, input).to_be_bytes())"
        assert hashed in text
        source.write_text(text.replace(hashed, 'out.put(&fnv(OFFSET ^ option_env!("HOME").map_or(0, |h| h.len() as u64), '
                                                 'input).to_be_bytes())'))
        proc = run_as_builder([sys.executable, "-m", "autocodec", "module", "build", str(mod), "-o", str(mod / "m.wasm")],
                    tmp_path, env, 0o022)
        assert proc.returncode == 0, proc.stderr
        built.append((mod / "m.wasm").read_bytes())
    assert built[0] == built[1]


@pytest.mark.slow
def test_date_and_time_macros_are_refused(tmp_path: Path) -> None:
    """__DATE__, __TIME__ and __TIMESTAMP__ would put the build's time (or the file's) into the
    bytes: the C build refuses them (clang's -Wdate-time, an error under -Werror)."""
    need_toolchain("c")
    env = builder_env(tmp_path / "env", tz="UTC", lang="C", epoch="0", user="alice")
    mod = tmp_path / "c-hasher"
    assert run_as_builder([sys.executable, "-m", "autocodec", "module", "new", "--lang", "c", "--kind", "hasher", str(mod)],
                tmp_path, env, 0o022).returncode == 0
    for macro in ("__DATE__", "__TIME__", "__TIMESTAMP__"):
        source = mod / "module.c"
        source.write_text(source.read_text().split("\n/* stamp */")[0] +
                          f"\n/* stamp */\nconst char *ac_stamp(void);\nconst char *ac_stamp(void) {{ return {macro}; }}\n")
        proc = run_as_builder([sys.executable, "-m", "autocodec", "module", "build", str(mod), "-o", str(tmp_path / "m.wasm")],
                    tmp_path, env, 0o022)
        assert proc.returncode == 1, (macro, proc.stderr)
        assert "not reproducible" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
