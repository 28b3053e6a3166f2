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


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory):
    """A real js-ipfs node, offline on loopback, for the whole session.

    Skipped (with the reason) when the node is not installed, except in CI, where
    ``./dev setup`` installs it from the committed lockfile and its absence is a failure.
    """
    from tests import _ipfs_node

    if not _ipfs_node.available():
        if os.environ.get("CI"):
            pytest.fail("js-ipfs is not installed (tests/ipfs); ./dev setup should have installed it")
        pytest.skip("js-ipfs not installed: run `cd tests/ipfs && npm ci`")
    node = _ipfs_node.new_node(tmp_path_factory.mktemp("ipfs"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session", autouse=True)
def _isolated_default_home(tmp_path_factory: pytest.TempPathFactory):
    """Tests never touch the real ~/.autocodec: code that falls back to the default home
    (``autocodec.verify_signature``, library chunkers) gets a throw-away one."""
    patch = pytest.MonkeyPatch()
    patch.setenv("AUTOCODEC_HOME", str(tmp_path_factory.mktemp("default-home")))
    yield
    patch.undo()
