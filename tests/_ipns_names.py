"""An ``IpnsNames`` over a fresh home's store, for tests of the record store (choice, publish)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from autocodec.registry._ipns import IpnsNames


def ipns_names(tmp_path: Path) -> Iterator[IpnsNames]:
    """Yield once the record store of a new home at ``tmp_path/home``; its store is closed after."""
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.home import Home
    from autocodec.store import BlockStore

    store = BlockStore.open(Home.resolve(tmp_path / "home").init(), limits=DEFAULT_LIMITS)
    try:
        yield IpnsNames(store, DEFAULT_LIMITS)
    finally:
        store.close()
