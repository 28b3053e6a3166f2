"""Objects that hold an SQLite connection, told when the process forks.

SQLite's "How To Corrupt An SQLite Database File" (section 2.6, "Carrying an open database
connection across a fork()") says not to use a connection in a child process forked after it
was opened: the child's copy believes it holds the parent's POSIX locks, which it does not.

Invariants:
- ``watch(obj)`` registers ``obj`` (weakly: it does not keep it alive); in every child made
  by ``os.fork`` (``multiprocessing``'s fork start method included) each live registered
  object's ``_after_fork_in_child()`` runs once, before any code of the child uses it.
- The hook must not take a lock (another parent thread may have held it at the fork) nor
  touch the connection: it sets the object aside so that its use raises ``StoreError``.
- Nothing is done in the parent, and nothing on the hot path: no call checks the process id.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None: ...


_watched: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def watch(obj: ForkAware) -> None:
    """Call ``obj._after_fork_in_child()`` in every child forked while ``obj`` is alive."""
    _watched.add(obj)


def _in_child() -> None:
    for obj in list(_watched):
        obj._after_fork_in_child()  # noqa: SLF001 - the hook this module exists to call


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_child)
