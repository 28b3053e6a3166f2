"""File system steps of ``autocodec get`` that must hold on hostile trees: removing a staged
tree of any depth, and naming what could not be written.

Invariants:
- ``remove_tree`` is iterative (an explicit stack, no recursion): a staged tree as deep as the
  file system allows (thousands of levels of one-letter names under PATH_MAX) is removed;
  ``shutil.rmtree`` recurses once per level and raised ``RecursionError`` past ~1000, leaving
  the staged folder behind. Symlinks are removed, never followed.
- ``write_error`` turns an ``OSError`` met while writing an entry into a typed error naming the
  entry where the user will see it (the output, not the staging folder).
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import Callable
from pathlib import Path

from ..errors import AutocodecError, InvalidBlock, OutputError

NOT_WRITABLE_HINT = "the DAG cannot be written as files here: fetch it as a TAR archive or a CAR file instead"


def remove_tree(top: Path) -> None:
    """Remove ``top`` and everything under it (best effort, no recursion, no symlink followed):
    each folder is listed once and removed after its entries; what cannot be removed stays."""
    stack: list[tuple[str, bool]] = [(os.fspath(top), False)]
    while stack:
        path, listed = stack.pop()
        if listed:
            _quietly(os.rmdir, path)
            continue
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat_mod.S_ISDIR(st.st_mode):
            _quietly(os.unlink, path)
            continue
        stack.append((path, True))
        try:
            os.chmod(path, 0o700)  # a DAG's mode may have made it unwritable
            with os.scandir(path) as listing:
                stack.extend((entry.path, False) for entry in listing)
        except OSError:
            pass


def _quietly(step: Callable[[str], object], path: str) -> None:
    try:
        step(path)
    except OSError:
        pass


def write_error(exc: OSError, shown: Path) -> AutocodecError:
    """The typed error for ``exc``, met while writing the entry shown to the user as ``shown``."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        return InvalidBlock(f"cannot write {_short(shown)}: a name or path in the DAG is longer than this file "
                            f"system allows ({reason})", hint=NOT_WRITABLE_HINT)
    from ..store._size_limit import efbig_limit, raise_limit_hint

    if (limit := efbig_limit(exc)) is not None:
        return OutputError(f"cannot write {_short(shown)}: {reason}",
                           hint=f"{raise_limit_hint(limit)}, or check the output folder (permissions, free space), "
                                "or choose another one")
    return OutputError(f"cannot write {_short(shown)}: {reason}",
                       hint="check the output folder (permissions, free space), or choose another one")


def _short(path: Path) -> str:
    """``path`` for a one-line message: its first and last 120 characters around an ellipsis."""
    text = os.fsdecode(path).encode("utf-8", "backslashreplace").decode()
    return text if len(text) <= 300 else f"{text[:120]}...{text[-120:]}"
