"""Temporary files written beside their destination and renamed into place when complete, and
the removal of those that killed writers left behind.

Invariants:
- ``create`` makes a new file under a name no other writer has (``PREFIX`` + 8 random
  characters of ``tempfile.mkstemp``'s alphabet + ``SUFFIX``, created with ``O_EXCL``), and
  takes an exclusive ``flock`` on it at once: the lock lasts as long as the descriptor is open,
  and the kernel drops it when the writer dies, however it dies.
- ``create_dir`` does the same for a folder a tree is staged in (the lock is on the folder).
- ``sweep`` removes, in one folder, the regular files (or staging folders) of that exact name form that no process
  holds a lock on and that were untouched for ``STALE_S``: what writers that died left there
  (SIGKILL, a power cut). A live writer's file is never removed; the age check covers the
  instant between a file's creation and its lock. Where ``flock`` is not supported nothing is
  ever removed. A file that cannot be opened, locked or removed is left alone: sweeping is
  best effort and never fails the write that asked for it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

STALE_S = 60.0
"""How long a temporary file nobody holds must have been untouched before it is removed."""

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile.mkstemp's, so its leftovers are swept too
_TOKEN = 8


def create(folder: Path, prefix: str, suffix: str, mode: int = 0o600) -> tuple[int, Path]:
    """A new file ``folder/PREFIX????????SUFFIX`` opened for writing (``mode`` less the umask),
    locked for as long as the descriptor is open; raises ``OSError`` when it cannot be made."""
    import fcntl

    for _ in range(100):
        token = "".join(secrets.choice(_ALPHABET) for _ in range(_TOKEN))
        path = folder / f"{prefix}{token}{suffix}"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) |
                         getattr(os, "O_CLOEXEC", 0), mode)
        except FileExistsError:
            continue
        with contextlib.suppress(OSError):  # where flock is not supported, no file is ever swept
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, path
    raise FileExistsError(f"no free temporary name in {folder}")  # pragma: no cover - 37**8 names


def create_dir(folder: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new folder ``folder/PREFIX????????SUFFIX`` (mode 0700) to stage a tree in, and a
    descriptor of it that holds its lock (``create``'s, for folders): close it when done."""
    import fcntl

    for _ in range(100):
        token = "".join(secrets.choice(_ALPHABET) for _ in range(_TOKEN))
        path = folder / f"{prefix}{token}{suffix}"
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) |
                         getattr(os, "O_CLOEXEC", 0))
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(path)
            raise
        with contextlib.suppress(OSError):  # where flock is not supported, no folder is ever swept
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, path
    raise FileExistsError(f"no free temporary name in {folder}")  # pragma: no cover - 37**8 names


def sweep(folder: Path, prefix: str, suffix: str, *, remove_tree: Callable[[Path], object] | None = None) -> int:
    """Remove what dead writers left in ``folder`` under ``create``'s names for ``prefix`` and
    ``suffix`` (with ``remove_tree``: the folders ``create_dir`` made, removed with it);
    returns how many were removed."""
    import fcntl
    import stat

    form = re.compile(re.escape(prefix) + f"[{_ALPHABET}]{{{_TOKEN}}}" + re.escape(suffix))
    try:
        names = [name for name in os.listdir(folder) if name.startswith(prefix) and form.fullmatch(name)]
    except OSError:
        return 0
    removed = 0
    now = time.time()
    for name in names:
        path = folder / name
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            try:
                st = os.fstat(fd)
                kind = stat.S_ISDIR(st.st_mode) if remove_tree is not None else stat.S_ISREG(st.st_mode)
                if not kind or now - st.st_mtime < STALE_S:
                    continue
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: its writer is alive
                if os.stat(path, follow_symlinks=False).st_ino != st.st_ino:
                    continue  # replaced meanwhile: not the file checked
                if remove_tree is not None:
                    remove_tree(path)
                else:
                    path.unlink()
                removed += 1
            finally:
                os.close(fd)
    return removed
