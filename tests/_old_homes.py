"""Homes written by older autocodec releases, rebuilt from ``fixtures/old-homes/<rev>/`` (their SQL
dumps and key files): ``RELEASES`` (the revs held), ``make_old_home`` (the home as the release left
it on disk) and ``old_home_facts`` (what the release wrote there, from its facts.json).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

OLD_HOMES = FIXTURES / "old-homes"
RELEASES = sorted(p.name for p in OLD_HOMES.iterdir() if (p / "store.sql.gz").exists())


def old_home_facts(rev: str) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads((OLD_HOMES / rev / "facts.json").read_text())
    return facts


def make_old_home(rev: str, where: Path) -> Path:
    """The home release ``rev`` wrote, as it left it on disk (0700 folders, 0600 key files)."""
    home = where / f"home-{rev}"
    (home / "keys").mkdir(parents=True, mode=0o700)
    for key in (OLD_HOMES / rev / "keys").iterdir():
        shutil.copyfile(key, home / "keys" / key.name)
        os.chmod(home / "keys" / key.name, 0o600 if key.suffix == ".pem" else 0o644)
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        conn.executescript(gzip.decompress((OLD_HOMES / rev / "store.sql.gz").read_bytes()).decode())
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return home
