"""``--home`` chooses the home for one command without writing the process environment (issue 15)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocodec.cli import main
from autocodec.home import Home


def test_home_option_leaves_the_environment_and_later_commands_alone(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "default"
    monkeypatch.setenv("AUTOCODEC_HOME", str(default))
    chosen = tmp_path / "chosen"
    assert main(["--home", str(chosen), "init", "--no-default-set"]) == 0
    assert (chosen / "store.sqlite").exists() and not (default / "store.sqlite").exists()
    assert os.environ["AUTOCODEC_HOME"] == str(default)
    assert Home.resolve().root == default  # the choice ended with the command
    assert main(["init", "--no-default-set"]) == 0
    assert (default / "store.sqlite").exists()
