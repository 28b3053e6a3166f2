"""Child ``python -m autocodec`` processes of the suite reuse compiled bytecode.

The suite runs our CLI as a new Python process thousands of times. With
``PYTHONDONTWRITEBYTECODE=1`` in the environment (this machine's sessions set it) and no
``__pycache__`` beside the sources, every one of those processes compiled the ~180 modules it
imports from source again: measured 0.53-0.69 s of CPU per ``autocodec add --only-hash`` of one
small file, against 0.25-0.31 s when the compiled modules are kept (``dag get``: 0.28-0.30 s
against 0.14-0.17 s).

``keep_bytecode()`` (a context manager; conftest.py holds it for the session) compiles the
package once, beside its sources (``__pycache__``, git-ignored; the standard library and the
venv's packages come compiled already), and lets children read it. Compiling up front is what
makes it safe: a child run under a small ``RLIMIT_FSIZE`` (the size-limit tests) that had to
write a module's bytecode itself would leave a truncated file (CPython renames a short write
into place), and every later child importing that module failed with ``EOFError: marshal data
too short`` (seen: ``autocodec.templates`` first imported under a 100-byte limit). Children
still write whatever is missing, but nothing of the package is. The pytest process itself is
unchanged (Python reads the variable at start only). What children compute is unchanged:
Python uses a compiled module only while its source's size and modification time match.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autocodec"


@contextmanager
def keep_bytecode() -> Iterator[None]:
    """Children started inside read the package's compiled modules; the environment is put back after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
        yield
