"""Which home a command runs on, and whether it may: the home checks made before and after it runs.

Invariants: a command that only reads (``READ_ONLY``) refuses a home that does not exist, with how
to create it, instead of creating one as a side effect (``ConfigError``; ``BlockNotFound`` for the
commands that read blocks, after checking their CID arguments); given a ``--node``/``--gateway``
source it may create the home, because fetching into the store is then the point. A command that
may write fails (``StoreError``) when its store file was replaced while it ran (``_store_kept``).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from .._fileid import file_identity
from ..errors import AutocodecError, ConfigError
from ._commands import command_name


BLOCK_READERS = frozenset({
    "decode", "cat", "get", "ls", "refs", "block get", "block stat", "block rm", "car export", "dag get", "dag resolve", "dag stat",
    "dag export",
})
"""Commands that read blocks (or paths) from the store: a missing home holds no blocks."""


READ_ONLY = BLOCK_READERS | {"resolve", "block ls", "block check", "pin ls", "trust ls"}
"""Commands that only read the home: they never create it (see ``check_home``)."""


HOMELESS = frozenset({"version"})
"""Commands that never look at a home: ``autocodec.home`` is not even imported for them (start-up),
unless ``--home`` names a ``~USER`` that does not expand, refused as for every command."""


def check_home(args: argparse.Namespace) -> None:
    """Refuse a read-only command on a home that does not exist (see the module invariants).

    Block readers check their CID or path arguments first (a typo is an ``InvalidCID``
    wherever the home is), then say that a missing home holds no blocks (``BlockNotFound``).
    ``resolve`` checks its code itself first, then calls ``require_home``.
    """
    name = command_name(args)
    if name not in READ_ONLY or name == "resolve" or getattr(args, "node", None) or getattr(args, "gateway", None):
        return
    require_home(name, args)


def require_home(name: str, args: argparse.Namespace | None = None) -> None:
    """``ConfigError`` (``BlockNotFound`` for block readers) unless the home exists."""
    from ..home import Home

    if name in BLOCK_READERS:
        from ..dag import parse_path

        for attr in ("cid", "ref", "root", "roots"):
            value = getattr(args, attr, None) if args is not None else None
            for text in value if isinstance(value, list) else [value] if value else []:
                parse_path(text)
    home = Home.resolve()
    if home.exists():
        return
    refuse_file_home(home.root)
    where = "is not an autocodec home" if home.root.exists() else "does not exist"
    hint = "create it with `autocodec init`, or point --home or $AUTOCODEC_HOME at an existing home"
    if name in BLOCK_READERS:
        from ..errors import BlockNotFound

        raise BlockNotFound(f"{home.root} {where}, so it holds no blocks", hint=hint)
    raise ConfigError(f"{home.root} {where}", hint=hint)


def refuse_file_home(root: Path) -> None:
    """``StoreError`` when no ``init`` could make the home path a home: it names a file (Home.init's
    own words), lies under a file, or is a symbolic link to nothing or a loop. The answer is then
    to name a folder, not to create one (which ``init`` would refuse)."""
    from ..errors import StoreError

    hint = "point --home or $AUTOCODEC_HOME at a folder"
    if root.is_symlink() and not root.exists():
        raise StoreError(f"the home {root} is a symbolic link to nothing (or a loop of links)", hint=hint)
    for part in (root, *root.parents):
        if part.exists():  # the nearest that exists: a folder, or what stops the home being one
            if not part.is_dir():
                where = "is a file, not a folder" if part == root else f"is inside {part}, a file"
                raise StoreError(f"the home {root} {where}", hint=hint)
            return


def _home_chosen(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """``home.chosen(--home)``; nothing for a ``HOMELESS`` command whose ``--home``, if any,
    expands (``~USER``) as ``chosen`` would need it to."""
    if command_name(args) in HOMELESS:
        try:
            Path(args.home or "").expanduser()
        except RuntimeError:
            pass  # ``chosen`` says what is wrong, as for any command
        else:
            return contextlib.nullcontext()
    from ..home import chosen

    return chosen(args.home or None)


@contextlib.contextmanager
def _store_kept(args: argparse.Namespace) -> Iterator[None]:
    """A command that may write to an existing home fails (``StoreError``) when its store file
    was removed, moved or replaced while it ran (``rm -rf`` of the home): SQLite wrote on into
    the file it had open, so every write succeeded and none of it is in the home. Read-only
    commands and ``serve`` are left alone (what they printed was right when they printed it)."""
    name = command_name(args)
    if name in READ_ONLY or name in HOMELESS or name == "serve":
        yield
        return
    from ..home import Home

    try:
        path: Path | None = Home.resolve().db_path
    except AutocodecError:  # a home path that names nothing: the command says so if it needs one
        path = None
    before = None if path is None else file_identity(path)
    yield
    if path is not None and before is not None and file_identity(path) != before:
        from ..errors import StoreError

        raise StoreError(f"the store {path} was removed or replaced while the command ran: what the command "
                         "wrote may be lost with the old file", hint="run it again on the home as it is now")
