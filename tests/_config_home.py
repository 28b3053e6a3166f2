"""``home_with``: a home folder holding only the given ``config.toml`` text, for the tests of the
limits a home's configuration sets; ``check_sandbox_key``: one ``[limits.sandbox]`` key's range,
refused by name in the code and in a home's configuration.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import ConfigError, InvalidInput
from autocodec.settings import Settings


def home_with(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)
    return home


def check_sandbox_key(tmp_path: Path, key: str, good: int) -> None:
    """``SandboxLimits.key`` of 0 is refused by name; in a home's ``config.toml`` a value that is
    not a positive integer (0, negative, a float, a boolean, a string) is refused naming the key
    and why, and ``good`` is the value the applied limits keep."""
    with pytest.raises(InvalidInput, match=f"SandboxLimits.{key} needs a finite number above 0"):
        dataclasses.replace(DEFAULT_LIMITS.sandbox, **{key: 0})
    for value, says in (("0", "must be positive"), ("-1", "must be positive"), ("-3", "must be positive"),
                        ("1.5", "must be an integer"), ("2.5", "must be an integer"), ("true", "must be an integer"),
                        ("false", "must be an integer"), ('"8"', "must be an integer")):
        path = home_with(tmp_path, f"[limits.sandbox]\n{key} = {value}\n") / "config.toml"
        with pytest.raises(ConfigError, match=f"limits.sandbox.{key} {says}"):
            Settings.load(path)
    path = home_with(tmp_path, f"[limits.sandbox]\n{key} = {good}\n") / "config.toml"
    assert getattr(Settings.load(path).apply_limits().sandbox, key) == good
