"""Whether a failed write to the store met this process's file size limit (``RLIMIT_FSIZE``).

SQLite reports a write refused with ``EFBIG`` as a generic ``SQLITE_IOERR_WRITE`` ("disk I/O
error"; Python ignores SIGXFSZ, so the process is not killed) and keeps the errno to itself. So the
cause is inferred: a write-class I/O error while the soft limit is finite and one of the store's
files (``store.sqlite`` or its ``-wal``, ``-journal``, ``-shm``) is within one write of it.

``efbig_limit`` is the direct case, for a writer that sees the ``OSError`` itself (Bao blobs, key
files): ``EFBIG`` while the limit is finite.

Invariant: never true when the limit is unlimited, nor for an error that is no write (a read, a
lock, a damaged page), so a real disk fault is not called a size limit unless a store file is
within one write (``LARGEST_WRITE``) of a finite limit.
"""

from __future__ import annotations

import errno
import os
import resource
from pathlib import Path

_WRITE_IOERRS = frozenset({
    778,  # SQLITE_IOERR_WRITE: pwrite() failed (EFBIG past the limit)
    1546,  # SQLITE_IOERR_TRUNCATE: ftruncate() past the limit
    4618,  # SQLITE_IOERR_SHMOPEN: the -shm file could not be given its first bytes (ftruncate)
    4874,  # SQLITE_IOERR_SHMSIZE: the -shm file could not be grown
})
LARGEST_WRITE = 65_536 + 24
"""The largest single write SQLite makes to a store file: a WAL frame of the largest page size."""
_COMPANIONS = ("", "-wal", "-journal", "-shm")


def file_size_limit() -> int | None:
    """This process's soft file size limit in bytes; None when unlimited."""
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def met_size_limit(code: int | None, path: Path | None) -> int | None:
    """The file size limit a write-class SQLite error ``code`` on the store at ``path`` met, or None."""
    limit = file_size_limit()
    if limit is None or code not in _WRITE_IOERRS or path is None:
        return None
    for suffix in _COMPANIONS:
        try:
            size = os.stat(path.with_name(path.name + suffix)).st_size
        except OSError:
            continue
        if size + LARGEST_WRITE > limit:
            return limit
    return None


def efbig_limit(exc: OSError) -> int | None:
    """The finite file size limit a failed write met, for writers that see the errno themselves:
    ``exc`` is ``EFBIG`` and the soft limit is finite. None otherwise (``EFBIG`` under no limit is
    the file system's own largest file, which raising the limit would not help)."""
    return file_size_limit() if exc.errno == errno.EFBIG else None



def raise_limit_hint(limit: int) -> str:
    """The start of an output's hint when its write met the file size limit ``limit``."""
    return f"raise this process's file size limit of {limit} bytes (the shell's ulimit -f, RLIMIT_FSIZE)"
