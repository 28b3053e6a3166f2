"""The home folder: every file autocodec keeps lives under one directory.

Layout (created by ``Home.init``):
  store.sqlite      blocks, pins, trust state (SQLite, WAL)
  keys/             private keys, mode 0600
  cache/compiled/   integrity-protected compiled Wasm artifacts
  config.toml       sources, limits overrides

``$AUTOCODEC_HOME`` overrides the default ``~/.autocodec``.

Invariants: ``Home`` is a value (no I/O); only ``init`` creates anything, and when it cannot
(a file in the way, a read-only or virtual file system) it raises ``StoreError`` naming the
folder and the cause; ``exists`` says whether the home has its store.

A home ``init`` creates is private, whatever the umask: the folder, ``keys/`` and
``cache/compiled/`` are made mode 0700 (like ``~/.ssh``), so no other user can read its blocks or
replace its database, and the compiled cache (which refuses a folder group or others can write)
works under umask 002 or 000. The cache folders of an existing home that group or others can
write are narrowed to 0700 when they belong to this user (they are autocodec's alone); a home
folder that exists is left as it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_chosen: Path | None = None


def default_home() -> Path:
    """The home a caller that names none uses: the one chosen for this command (``chosen``),
    else ``$AUTOCODEC_HOME``, else ``~/.autocodec``."""
    if _chosen is not None:
        return _chosen
    env = os.environ.get("AUTOCODEC_HOME")
    return expanded(env if env else "~") / ("" if env else ".autocodec")


def expanded(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` or ``~USER`` expanded; ``ConfigError`` when that user, or
    this process's own home folder (no $HOME, no account entry), is unknown."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        from .errors import ConfigError

        head = os.fspath(path).split(os.sep, 1)[0]
        raise ConfigError(f"cannot expand {head!r} in the home folder path {os.fspath(path)!r}: no such user's home",
                          hint="give the home folder's full path") from None


@contextmanager
def chosen(path: str | os.PathLike[str] | None) -> Iterator[None]:
    """Make ``path`` the default home while the block runs (the CLI's ``--home``), without
    touching the process environment; the previous default is restored afterwards."""
    global _chosen
    previous = _chosen
    if path is not None:
        _chosen = expanded(path)
    try:
        yield
    finally:
        _chosen = previous


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, path: str | os.PathLike[str] | None = None) -> "Home":
        """The home at ``path`` (default: ``default_home()``); ``ConfigError`` for an empty path,
        which would otherwise name the current folder."""
        from ._inputs import of_type

        of_type(path, (str, os.PathLike), "the home folder path")
        if path is not None and not os.fspath(path):
            from .errors import ConfigError

            raise ConfigError("the home folder path is empty", hint="name a folder for the home, or give none "
                                                                     "to use $AUTOCODEC_HOME or ~/.autocodec")
        if path is not None:
            from ._inputs import nameable

            nameable(path, "the home folder path")
        return cls(expanded(path) if path is not None else default_home())

    @property
    def db_path(self) -> Path:
        return self.root / "store.sqlite"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def compiled_cache_dir(self) -> Path:
        return self.root / "cache" / "compiled"

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    def exists(self) -> bool:
        """True when the home has been created (its store database exists); ``StoreError`` when
        its path cannot be looked at (a name too long, a folder on the way not searchable)."""
        return _exists(self.db_path, self.root)

    def init(self) -> "Home":
        """Create the folder layout (idempotent); ``StoreError`` if it cannot be created. A home
        that has its store but whose folder cannot be written (a read-only mount) is left as it
        is: commands that only read use it (``BlockStore.open`` opens its store read-only)."""
        from .errors import StoreError

        if _exists(self.root, self.root) and not self.root.is_dir():
            raise StoreError(f"the home {self.root} is a file, not a folder",
                             hint="point $AUTOCODEC_HOME (or the home argument) at a folder")
        if self.exists() and not os.access(self.root, os.W_OK):
            return self
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the home {self.root}: {exc.strerror or exc}",
                             hint="choose a home folder in a writable place") from None
        for folder in (self.keys_dir, self.compiled_cache_dir.parent, self.compiled_cache_dir):
            try:
                folder.mkdir(mode=0o700, exist_ok=True)
                if folder != self.keys_dir:
                    _narrow(folder)
            except FileExistsError:  # a file (or a link to one) where the home keeps a folder
                raise StoreError(f"the home {self.root} is damaged: {folder} is not a folder",
                                 hint=f"move {folder} aside (the folder is made anew)") from None
            except OSError as exc:
                raise StoreError(f"cannot create {folder} in the home: {exc.strerror or exc}",
                                 hint="check that the home folder is writable") from None
        return self


def _exists(path: Path, root: Path) -> bool:
    """``path.exists()``, with the errors it raises (Python's says False for a missing file only)
    a ``StoreError`` naming the home ``root``."""
    try:
        return path.exists()
    except OSError as exc:
        from .errors import StoreError

        raise StoreError(f"cannot use the home {root}: {exc.strerror or exc}",
                         hint="point $AUTOCODEC_HOME (or the home argument) at a folder that can be reached") from None


def _narrow(folder: Path) -> None:
    """Make a cache folder of this user's that group or others can write 0700 (best effort:
    where it cannot be changed, the compiled cache says why it is not used)."""
    import stat

    try:
        st = os.lstat(folder)
        if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o022 and st.st_uid == os.getuid():
            os.chmod(folder, 0o700)  # a folder, not a link (lstat above)
    except OSError:
        pass
