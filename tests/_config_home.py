"""``home_with``: a home folder holding only the given ``config.toml`` text, for the tests of the
limits a home's configuration sets.
"""

from __future__ import annotations

from pathlib import Path


def home_with(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)
    return home
