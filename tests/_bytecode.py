"""Child ``python -m autocodec`` processes of a test module keep their compiled bytecode.

The suite runs our CLI as a new Python process thousands of times. With
``PYTHONDONTWRITEBYTECODE=1`` in the environment (this machine's sessions set it) and no
``__pycache__`` beside the sources, every one of those processes compiled the ~180 modules it
imports from source again: measured 0.53-0.69 s of CPU per ``autocodec add --only-hash`` of one
small file, against 0.25-0.31 s when the compiled modules are kept (``dag get``: 0.28-0.30 s
against 0.14-0.17 s). Where ``__pycache__`` folders already sit beside the sources (written by a
process with bytecode on, e.g. ``autocodec bench``'s CLI children), children read those and
this gains nothing more.

``keep_bytecode()`` (a context manager; the suite uses it from a session-scoped autouse
fixture in conftest.py) takes ``PYTHONDONTWRITEBYTECODE`` out of this process's environment, which children
copy, and points ``PYTHONPYCACHEPREFIX`` at ``.cache/pycache`` (git-ignored) unless a prefix is
already set, so nothing is written beside the sources. The pytest process itself is unchanged
(Python reads both variables at start only). What children compute is unchanged: Python uses a
compiled module only while its source's size and modification time match.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PYCACHE = Path(__file__).resolve().parents[1] / ".cache" / "pycache"


@contextmanager
def keep_bytecode() -> Iterator[None]:
    """Children started inside keep compiled modules under ``PYCACHE``; the environment is put back after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        if not os.environ.get("PYTHONPYCACHEPREFIX"):
            patch.setenv("PYTHONPYCACHEPREFIX", str(PYCACHE))
        yield
