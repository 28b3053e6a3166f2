"""``cat`` from the home's own store without starting the extension runtime first (start-up cost).

A stored block's bytes are the same whoever reads them: ``Runtime.get`` asks its ``BlockStore``
first and returns what ``BlockStore.get`` returns (checked against its checksum), whatever the
block's codec or hash. So ``cat`` of stored blocks needs neither wasmtime, the trust store nor
the fetchers; ``LocalFirst`` reads the store and opens the full ``Runtime`` (the one the command
would have used) only when a block is not stored, to ask the sources it configures.

Invariants:
- Results never depend on the path taken: a stored block is ``BlockStore.get``'s bytes either
  way, a block not stored is ``Runtime.get``'s answer (fetched and verified, or its error).
- Used only when the command line names no ``--module``, ``--node`` or ``--gateway`` and the
  home already exists (a new home is made by the ``Runtime``, as before).
- Thread-safe: the runtime is opened at most once, under a lock.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from ..cid import CID


def local_first(args: argparse.Namespace) -> "LocalFirst | None":
    """A ``LocalFirst`` for ``args``, or None when the command must run on the full runtime."""
    from ..home import Home
    from ._fast import usable

    if not usable(args) or not Home.resolve().exists():
        return None
    return LocalFirst(args)


class LocalFirst:
    """``get`` from the home's ``BlockStore``; a block it lacks from the full ``Runtime``."""

    def __init__(self, args: argparse.Namespace) -> None:
        from ..home import Home
        from ..store import BlockStore
        from ._runtime import home_limits

        home = Home.resolve()
        self.limits = home_limits(home)  # the limits a Runtime of this home has
        self.store = BlockStore.open(home, limits=self.limits)
        self._args = args
        self._runtime: Any = None
        self._lock = threading.Lock()

    def get(self, cid: CID) -> bytes:
        from ..errors import BlockNotFound

        try:
            data: bytes = self.store.get(cid)
        except BlockNotFound:
            data = self._full().get(cid)
        return data

    def _full(self) -> Any:
        """The command's full ``Runtime``, opened on first use."""
        with self._lock:
            if self._runtime is None:
                from ._local_modules import open_runtime

                self._runtime = open_runtime(self._args)
            return self._runtime

    def close(self) -> None:
        self.store.close()
        if self._runtime is not None:
            self._runtime.close()

    def __enter__(self) -> "LocalFirst":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
