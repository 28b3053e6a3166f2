"""Shared test fixtures: a throw-away home per test and the paths of shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AUTOCODEC_SHARED", REPO.parent / "shared"))
CODEC_FIXTURES = SHARED / "codec-fixtures"
FIXTURES = REPO / "fixtures"
WASM_SRC = REPO / "wasm-src"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty autocodec home, also exported as $AUTOCODEC_HOME."""
    path = tmp_path / "home"
    monkeypatch.setenv("AUTOCODEC_HOME", str(path))
    return path
