"""Shared test fixtures: a throw-away home per test and the paths of shared data.

A fixture that lives in a helper module (tests/_*.py) reaches a test module by a name bound
there, one line per helper, with what it is::

    from tests import _kubo_pair
    kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

(pytest finds fixtures among a test module's names, so a fixture the bound ones take must be
bound too.) Not ``from tests._x import fixture  # noqa: F401`` nor ``__all__``: an assignment is
a use, so no import looks unused and no test parameter shadows one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AUTOCODEC_SHARED", REPO.parent / "shared"))
CODEC_FIXTURES = SHARED / "codec-fixtures"
FIXTURES = REPO / "fixtures"
WASM_SRC = REPO / "wasm-src"

# The shared helpers (tests/_*.py) hold asserts whose detail matters (what differed from Kubo's
# answer); pytest rewrites asserts only in test modules and conftest unless a module is named here,
# before anything imports it (no helper is imported above this line).
pytest.register_assert_rewrite(*sorted(f"tests.{path.stem}" for path in Path(__file__).parent.glob("_[!_]*.py")))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty autocodec home, also exported as $AUTOCODEC_HOME."""
    path = tmp_path / "home"
    monkeypatch.setenv("AUTOCODEC_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def kubo_node(tmp_path_factory: pytest.TempPathFactory):
    """A real Kubo daemon (``tests/_kubo.py``), offline on loopback, for the whole session.

    Skipped (with the reason) when Kubo has not been built, except under CI=true, where
    ``./dev setup`` builds it and its absence is a failure.
    """
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    node = KuboRepo.create(tmp_path_factory.mktemp("kubo") / "repo").start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def ipfs_node(kubo_node):
    """The reference IPFS node of the integration tests: the session's Kubo daemon.

    (js-ipfs, the earlier test node, is gone: deprecated since 2023, and its gateway ignored
    ``?format=raw``, so it could not act as a trustless gateway.)
    """
    return kubo_node


@pytest.fixture(scope="session")
def gateway_sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Kubo's gateway and ``autocodec serve`` over the same content
    (``tests/_gateway_sides.py``'s ``built_sides``), built once per session for
    ``test_gateway_conformance2_kubo`` and ``test_gateway_conformance4_kubo``: both only read it
    (the latter's ``looping`` adds Kubo keys and kept names no other case asks for)."""
    from tests._gateway_sides import built_sides

    with built_sides(tmp_path_factory) as sides:
        yield sides


@pytest.fixture(scope="session", autouse=True)
def _children_keep_bytecode() -> Iterator[None]:
    """Every ``python -m autocodec`` child of the suite reuses compiled modules
    (tests/_bytecode.py): under ``PYTHONDONTWRITEBYTECODE=1`` each recompiled ~180 modules."""
    from tests._bytecode import keep_bytecode

    with keep_bytecode():
        yield


@pytest.fixture(scope="session", autouse=True)
def _isolated_default_home(tmp_path_factory: pytest.TempPathFactory):
    """Tests never touch the real ~/.autocodec: code that falls back to the default home
    (``autocodec.verify_signature``, library chunkers) gets a throw-away one."""
    patch = pytest.MonkeyPatch()
    patch.setenv("AUTOCODEC_HOME", str(tmp_path_factory.mktemp("default-home")))
    yield
    patch.undo()
