"""``read_only_mount``: a folder bind-mounted read-only on itself while a block runs (the tests run
as root, whom chmod does not stop); the test skips where mounting is not allowed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only_mount(folder: Path) -> Iterator[None]:
    """``folder`` bind-mounted read-only on itself while the block runs (root runs these tests,
    and chmod does not stop root: a read-only mount does); skips when mounting is not allowed."""
    made = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({made.stderr.decode().strip()}): a read-only home needs a mount")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        # A process of the block that still holds a file makes a plain umount busy: detach it
        # lazily then, so no mount outlives the test (a leaked one keeps its folder undeletable).
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=True)
