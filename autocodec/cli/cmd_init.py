"""``autocodec init``: create the home folder and its block store."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create the home folder and its block store")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..home import Home
    from ..store import BlockStore
    from ._io import write_line

    home = Home.resolve().init()
    existed = home.db_path.exists()
    with BlockStore.open(home) as store:
        count = len(store)
    state = f"existing store, {count} blocks" if existed else "new store"
    write_line(f"initialised autocodec home {home.root} ({state})")
    return 0

