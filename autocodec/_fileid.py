"""Which file a path names now: the identity the store, ``add`` and the CLI compare to notice a
file removed, moved or replaced under them."""

from __future__ import annotations

import os


def file_identity(path: str | int | os.PathLike[str]) -> tuple[int, int] | None:
    """The (device, inode) of the file at ``path`` (or open descriptor), None when there is none.
    Two equal identities name one file; a file replaced by another at the same path differs."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
