"""Homes made by the CLI's ``init``, as fixtures a test module takes under the name ``home``::

    from tests import _homes
    home = _homes.initialised_home

(pytest registers a fixture under the module attribute's name, so it replaces conftest's empty
``home`` in that module only.) ``initialised_home``: one per test, with the default extension set;
``bare_home``: one per test, ``--no-default-set``; ``module_home``: one per module, ``--no-default-set``. Neither is exported as ``$AUTOCODEC_HOME``:
the tests name it (``run_cli(home, ...)``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._cli import run_cli


@pytest.fixture()
def initialised_home(tmp_path: Path) -> Path:
    """``tmp_path / "home"`` after ``autocodec init`` (the default set included)."""
    home = tmp_path / "home"
    run_cli(home, "init")
    return home


@pytest.fixture()
def bare_home(tmp_path: Path) -> Path:
    """``tmp_path / "home"`` after ``autocodec init --no-default-set``."""
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    return home


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home after ``autocodec init --no-default-set``, shared by the module's tests."""
    home = tmp_path_factory.mktemp("home") / "home"
    run_cli(home, "init", "--no-default-set")
    return home
