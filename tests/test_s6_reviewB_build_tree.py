"""``build.json`` review: what a hostile module folder cannot do to ``module build``.

- A source file whose name starts with ``-`` is a source file, never a compiler option: with
  ``"root": "."`` the module's files are named bare on zig cc's command line, so a file called
  ``-DINJECTED=1.c`` defined a macro (the old ``src/`` layout prefixed every name).
- An include entry holding a NUL is ``InvalidModuleSource``, not a ``ValueError`` from the path
  library.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec.modkit import InvalidModuleSource, build
from autocodec.modkit._tree import load_layout
from tests._toolchains import need_toolchain

MODULE_C = r'''#include "ac.h"
#ifdef INJECTED
#error a file name was read as a compiler option
#endif

static uint32_t state;

static int put(uint32_t h, ac_buf *out) {
    uint8_t *d = ac_buf_extend(out, 4);
    if (!d) return out->err;
    for (int i = 0; i < 4; i++) d[i] = (uint8_t)(h >> (24 - 8 * i));
    return AC_OK;
}

static int hash(const uint8_t *in, size_t n, ac_buf *out) { return put((uint32_t)n + extra(), out); }
static int init(void) { state = 0; return AC_OK; }
static int update(const uint8_t *in, size_t n) { (void)in; state += (uint32_t)n; return AC_OK; }
static int final(ac_buf *out) { return put(state, out); }

AC_EXPORT_HASHER(hash, init, update, final)
'''


def _module(folder: Path, layout: object) -> Path:
    folder.mkdir(parents=True)
    meta = {"name": "dash", "kind": "hasher", "codes": [0x300002], "version": "0.1.0", "description": "t"}
    (folder / "module.json").write_text(json.dumps(meta))
    (folder / "build.json").write_text(json.dumps(layout))
    return folder


@pytest.mark.slow
def test_a_source_named_like_an_option_is_compiled_as_a_source(tmp_path: Path) -> None:
    need_toolchain("c")
    mod = _module(tmp_path / "dash", {"root": "."})
    (mod / "extra.h").write_text("#pragma once\nunsigned extra(void);\n")
    (mod / "dash.c").write_text('#include "extra.h"\n' + MODULE_C)
    (mod / "-DINJECTED=1.c").write_text('#include "extra.h"\nunsigned extra(void) { return 5u; }\n')
    built = build(mod)
    assert built.wasm.startswith(b"\0asm")


def test_a_nul_in_an_include_entry_is_invalid_module_source(tmp_path: Path) -> None:
    mod = _module(tmp_path / "nul", {"root": ".", "include": ["a\0b"]})
    with pytest.raises(InvalidModuleSource):
        load_layout(mod)
