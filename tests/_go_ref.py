"""Reference programs of Go's standard library (``tests/go-ref/NAME/main.go``, no modules), built
with the Go that builds Kubo here; a test compares our output with theirs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GO_REF = Path(__file__).parent / "go-ref"


def build_stdlib_ref(name: str, out_dir: Path) -> Path:
    """``tests/go-ref/NAME/main.go`` built into ``out_dir``; the path of the program. Without Go on
    ``PATH`` the test fails under CI (the setup installs Go) and is skipped elsewhere."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI"):
            pytest.fail("go is not on PATH (the setup installs Go)")
        pytest.skip("go is not on PATH")
    binary = out_dir / name
    subprocess.run([go, "build", "-o", str(binary), str(GO_REF / name / "main.go")], check=True, capture_output=True,
                   timeout=300, env={**os.environ, "GO111MODULE": "off"})
    return binary
