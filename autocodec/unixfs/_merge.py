"""Stdin put at a path inside the ``-w`` wrapper's tree, as Kubo 0.43.1's adder puts it there.

Kubo's adder builds the wrapper in an MFS tree: stdin named ``d/y`` (``--stdin-name``) goes into
folder ``d`` when ``d`` was added before it (``add -w -r --stdin-name=d/y - d``), folders on the
way that are missing are made without metadata, and every folder on the way is stored again with
its other entries and its own metadata (measured: CIDs, lines, ``--mode``, ``--preserve-mtime``,
``--max-directory-links``, ``--cid-version=1``; tests/test_s6_add_stdin_merge.py).

Invariants:
- ``merge_file(adder, entries, path, file)`` returns ``entries`` with the file at ``path``, each
  folder on the way replaced by its new version (same path, same metadata, one more or one
  changed entry) and each new folder added; other entries are kept as they are, in order.
- A folder on the way that is a file: ``InvalidInput`` "file already exists"; ``path`` itself
  taken: "directory already has entry by that name" (Kubo's words for each), nothing changed.
- Stdin first (``/d/y`` before ``d``): ``refuse_over_stdin`` is asked of each of the folder's
  entries in walk order, before it is printed, and refuses the first one that clashes with what
  stdin made, as Kubo's adder stops there: a folder at or under stdin's file "file already
  exists", a file or symlink at stdin's file or one of its folders "directory already has entry
  by that name" (measured: tests/test_s6_reviewB_stdin_first.py).
- ``merge_stdin`` is the one entry for both orders: it returns the wrapper's entries and its
  top links with stdin's file merged into the folder named by its path's first part, that
  top link replaced by the folder's new version and every other one kept, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InvalidInput
from ._add import Added
from ._layout import NO_META, Link


def merge_file(adder: Any, entries: list[Added], path: str, file: Added, *, keep_meta: bool = True) -> list[Added]:
    """``entries`` (every entry under the wrapper so far, folders included, paths without the
    wrapper's ``""``) with ``file`` put at ``path`` (cleaned, ``/``-separated, two parts or more)
    and its folders built again by ``adder.folder`` (module invariants). ``keep_meta`` false: the
    folders on the way were made for stdin first (its name sorted before the folder added into
    them, ``/d/y`` before ``d``), so they keep the no metadata they were made with, as in Kubo."""
    by_path = {entry.path: entry for entry in entries}
    parts = path.split("/")
    for depth in range(1, len(parts)):
        folder = by_path.get("/".join(parts[:depth]))
        if folder is not None and not folder.is_dir:
            raise InvalidInput(f"file already exists ({folder.path!r} is a file, so {path!r} cannot be put below it)",
                               hint="give standard input another --stdin-name")
    if path in by_path:
        raise InvalidInput(f"directory already has entry by that name ({path!r} was added already)",
                           hint="give standard input another --stdin-name")
    child = Added(path, file.cid, file.size, file.tsize)
    changed = [child]
    for depth in range(len(parts) - 1, 0, -1):
        folder_path = "/".join(parts[:depth])
        old = by_path.get(folder_path)
        prefix = folder_path + "/"
        kept = [(e.path[len(prefix):], e.link) for e in entries
                if e.path.startswith(prefix) and "/" not in e.path[len(prefix):] and e.path != child.path]
        built = adder.folder([*kept, (child.path.rpartition("/")[2], child.link)],
                             old.meta if old is not None and keep_meta else NO_META)
        child = Added(folder_path, built.cid, 0, built.tsize, is_dir=True, sharded=built.sharded, meta=built.meta)
        changed.append(child)
    replaced = {entry.path for entry in changed}
    return [entry for entry in entries if entry.path not in replaced] + changed


def refuse_over_stdin(stdin_path: str, entry: Added) -> None:
    """``InvalidInput`` if ``entry`` (of a folder added after stdin made ``stdin_path``'s folders)
    clashes with stdin's file or folders (module invariants); a folder on stdin's way merges."""
    folders = {"/".join(stdin_path.split("/")[:depth]) for depth in range(1, stdin_path.count("/") + 1)}
    if entry.path.startswith(stdin_path + "/") or (entry.path == stdin_path and entry.is_dir):
        said = "file already exists"  # Kubo makes the folder over stdin's file
    elif entry.path == stdin_path or (entry.path in folders and not entry.is_dir):
        said = "directory already has entry by that name"  # Kubo links the entry where stdin's is
    else:
        return
    raise InvalidInput(f"{said} ({entry.path!r} clashes with standard input's {stdin_path!r})",
                       hint="give standard input another --stdin-name")


def merge_stdin(adder: Any, everything: list[Added], wrapped: list[tuple[str, Link]], path: str, file: Added,
                folder: list[Added] | None = None) -> tuple[list[Added], list[tuple[str, Link]]]:
    """The wrapper's entries (``everything``) and top links (``wrapped``) with stdin's ``file``
    put at ``path`` (cleaned, two parts or more) inside the folder its first part names.

    ``folder`` None: that folder was added before stdin and is in ``everything``; its
    metadata is kept. Otherwise stdin went first and made the folder (its entries in
    ``everything``, without metadata): ``folder`` is the added folder's entries, which replace
    those (module invariants)."""
    top = path.split("/")[0]
    if folder is None:
        merged = merge_file(adder, everything, path, file)
    else:
        kept = [entry for entry in everything if entry.path.split("/")[0] != top]
        merged = kept + merge_file(adder, folder, path, file, keep_meta=False)
    link = next(entry.link for entry in merged if entry.path == top)
    return merged, [(name, link if name == top else old) for name, old in wrapped]


def refusing_over_stdin(stdin_path: str, on_entry: Callable[[Added], None]) -> Callable[[Added], None]:
    """``on_entry``, called only after ``refuse_over_stdin(stdin_path, entry)`` let the entry
    pass: the ``add_path`` callback of a folder added into the folders stdin made first."""
    def checked(entry: Added) -> None:
        refuse_over_stdin(stdin_path, entry)
        on_entry(entry)
    return checked
