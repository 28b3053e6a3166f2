"""The order in which Kubo's ``ipfs add`` reports what it added (for ``autocodec add``'s lines).

Kubo (core/coreunix/add.go) reports every file and symlink as it is added (a depth-first walk
with entries in name order, which is ``Adder.add_path``'s order), then, once the tree is
built, every directory in post-order (``outputDirs``), listing each directory's children in
the order its node holds them: by name (bytes) for a plain directory, by HAMT position (the
murmur3 slot path of the name) for a sharded one.  With ``-w`` all added paths are one tree
under the wrapping directory, whose path is ``""``; without it each added path is its own tree.

Invariant: ``kubo_order`` only reorders; it returns exactly the entries it is given.
"""

from __future__ import annotations

from collections import defaultdict

from ._add import Added
from ._hamt import slot_path
from ._layout import name_bytes


def kubo_order(added: list[Added], wrapper: Added | None = None) -> list[Added]:
    """``added`` (the entries of one added path, or of every path under ``wrapper``) in Kubo's order."""
    files = [a for a in added if not a.is_dir]
    dirs = {a.path: a for a in added if a.is_dir}
    if wrapper is not None:
        dirs[wrapper.path] = wrapper
    children: dict[str, list[str]] = defaultdict(list)
    roots = []
    for path in dirs:
        if wrapper is not None and path != wrapper.path and "/" not in path:
            children[wrapper.path].append(path)
            continue
        parent = path.rpartition("/")[0]
        if "/" in path and parent in dirs:
            children[parent].append(path)
        elif wrapper is None or path == wrapper.path:
            roots.append(path)
    ordered: list[Added] = []
    for root in roots:
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            path, expanded = stack.pop()
            if expanded:
                ordered.append(dirs[path])
                continue
            stack.append((path, True))
            sharded = dirs[path].sharded
            kids = sorted(children[path], key=lambda p: (slot_path(p.rpartition("/")[2]) if sharded
                                                          else name_bytes(p.rpartition("/")[2])))
            stack.extend((kid, False) for kid in reversed(kids))
    return files + ordered
