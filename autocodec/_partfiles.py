"""Temporary files written beside their destination and renamed into place when complete, and
the removal of those that killed writers left behind.

Invariants:
- ``create`` makes a new file under a name no other writer has (``PREFIX`` + 8 random
  characters of ``tempfile.mkstemp``'s alphabet + ``SUFFIX``, created with ``O_EXCL``), and
  takes an exclusive ``flock`` on it at once: the lock lasts as long as the descriptor is open,
  and the kernel drops it when the writer dies, however it dies.
- ``create_dir`` does the same for a folder a tree is staged in (the lock is on the folder).
- ``write_whole`` puts a file in place whole or not at all: written under ``create``'s name,
  renamed over the destination when complete, removed on any failure; an ``OSError`` is an
  ``OutputError`` naming the destination (``InvalidInput`` when its folder does not exist).
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
from typing import BinaryIO, TypeVar

_T = TypeVar("_T")

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


def write_whole(target: Path, write: Callable[[BinaryIO], _T], mode: int = 0o666) -> _T:
    """``write(stream)`` into a new locked file beside ``target`` (after sweeping what killed
    writers of ``target`` left), renamed over ``target`` once ``write`` returned; its result.
    Writers to one path at once each put a whole file there (the last one stays)."""
    import errno

    from .errors import InvalidInput, OutputError

    prefix, suffix = f".{target.name[:96]}.", ".part"
    partial: Path | None = None
    try:
        sweep(target.parent, prefix, suffix)
        fd, partial = create(target.parent, prefix, suffix, mode)
        with os.fdopen(fd, "wb") as stream:
            result = write(stream)
        os.replace(partial, target)
        return result
    except BaseException as exc:
        if partial is not None:
            with contextlib.suppress(OSError):  # a failed clean-up must not hide the error being raised
                partial.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # the path named goes nowhere: the caller's to fix
            raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}",
                               hint="check that its folder exists and can be written") from None
        from .store._size_limit import efbig_limit, raise_limit_hint

        if (limit := efbig_limit(exc)) is not None:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}",
                              hint=f"{raise_limit_hint(limit)}, or free space where the file goes") from None
        full = exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}",
                          hint="free space where the file goes" if full else
                          "check that its folder exists and can be written") from None
