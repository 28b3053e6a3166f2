"""The C helpers (``autocodec/builtin/_cscan.c``) built with AddressSanitizer and UBSan, for a child
process that loads them in place of the plain build.

``sanitized_cscan(folder)`` compiles the extension into ``folder`` and returns its path and the
environment a child needs (the sanitizer runtimes preloaded, any leak-free run allowed, the first
error fatal). It skips the calling test, with the reason, when gcc or either runtime is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from .conftest import REPO


def gcc_runtime(name: str) -> str | None:
    """The absolute path gcc gives for a runtime library (``libasan.so``), or None when it has none."""
    cc = shutil.which("gcc")
    if cc is None:
        return None
    found = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return found if os.path.isabs(found) and os.path.exists(found) else None


def sanitized_cscan(folder: Path) -> tuple[Path, dict[str, str]]:
    """``_cscan.c`` built under the sanitizers in ``folder``: (the shared object, the child's environment)."""
    asan, ubsan = gcc_runtime("libasan.so"), gcc_runtime("libubsan.so")
    if asan is None or ubsan is None:
        pytest.skip("gcc with the AddressSanitizer and UBSan runtimes is needed")
    built = folder / "_cscan_sanitized.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-g", "-fno-omit-frame-pointer",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                    f"-I{sysconfig.get_paths()['include']}", str(REPO / "autocodec/builtin/_cscan.c"),
                    "-o", str(built)], check=True, capture_output=True)
    env = {**os.environ, "LD_PRELOAD": f"{asan}:{ubsan}", "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
    return built, env
