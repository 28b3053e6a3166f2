"""Writing a UnixFS file, directory or symlink to disk, as Kubo's ``ipfs get`` writes it.

Kubo streams the node as a TAR (boxo ``files.TarWriter``) into boxo's ``tar.Extractor``; this
module writes the same tree from the DAG directly, with the extractor's rules:

Invariants:
- A directory root becomes ``output`` (created, or kept if it is a directory; a symlink or file
  there is refused); a file or symlink root becomes ``output``, or ``output/NAME`` when
  ``output`` is an existing directory (``NAME`` the last component of the path asked for).
- A file is written to a temporary file beside its target and renamed over it (what was there,
  a file, a symlink or an empty directory, is replaced); a symlink replaces what was there. No
  component is ever followed through a symlink: a directory on the way that is a symlink is
  refused (``cannot extract to symlink``), so a DAG cannot write outside ``output``.
- A name that is empty, ``.``, ``..``, or holds ``/`` or NUL is refused before anything is
  written under it (Kubo's TAR writer and extractor refuse them too).
- A name a directory holds twice is written as boxo's extractor writes it: a later file or
  symlink replaces an earlier file or symlink, a directory merges into an earlier directory;
  a directory after a file or symlink of its name (or the reverse) is ``InvalidBlock``. A
  symlink target that is empty or holds NUL is ``InvalidBlock`` (it cannot be a symlink).
  Any ``OSError`` on the way (a name over the file system's limit, a full disk) is a typed
  error naming the entry as the user will find it (``_fsops.write_error``).
- Modes are the UnixFS 1.5 permissions with the sticky bit, or Kubo's defaults (0644 files,
  0755 directories); the setuid and setgid bits are never written (Kubo writes them: a DAG
  from anyone must not leave a set-user-ID program on disk); times the UnixFS 1.5 mtime or the time of the call (Kubo's
  TAR carries the time it was written), to the nanosecond (Kubo's TAR for ``get`` is PAX). Directories get theirs last, deepest first, as the
  extractor's deferred updates do, so writing into them cannot change them afterwards.
- Memory does not grow with a file (``cat`` streams it); the walk is iterative and bounded by
  ``limits`` like every UnixFS read.
- ``write_staged`` (``autocodec get``) writes the same tree into a fresh folder beside the
  output and moves it into place only once complete, so a failure leaves nothing behind (the
  staged folder is removed without recursion, ``_fsops.remove_tree``, however deep it got);
  ``check_output`` refuses an output the node cannot go to before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import stat as stat_mod
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidBlock, InvalidInput, OutputError
from ._cat import cat
from ._dir import DEFAULT_MODE, Node, Source, classify, entries
from ._fsops import NOT_WRITABLE_HINT, remove_tree, write_error

WRITTEN_MODE_BITS = 0o1777
"""The mode bits ``get`` writes: permissions and sticky; never setuid (0o4000) or setgid (0o2000)."""


def write_tree(source: Source, cid: CID, output: Path, name: str, *, limits: Limits | None = None,
               now: float | None = None, shown: Path | None = None) -> Path:
    """Write the UnixFS node ``cid`` at ``output`` (module docstring); returns the path written.
    Errors name paths under ``shown`` (where the user will find them) instead of ``output``."""
    limits = limits or DEFAULT_LIMITS
    now = time.time() if now is None else now
    data = source.get(cid)
    node = classify(cid, data)
    if node.kind not in ("file", "directory", "hamt", "symlink"):
        raise InvalidInput(f"{cid} is not a UnixFS file, directory or symlink", hint="export it as a CAR instead")
    if node.kind in ("file", "symlink"):
        target = output
        if output.is_dir() and not output.is_symlink():
            _check_name(name, output)
            target = output / name
        with _writing(target, output, shown):
            _write_leaf(source, cid, node, target, limits, now)
        return target
    deferred: list[tuple[Path, Node]] = []
    stack: list[tuple[Path, CID, bytes, Node]] = [(output, cid, data, node)]  # each block read once
    while stack:
        path, current, block, here = stack.pop()
        with _writing(path, output, shown):
            _make_dir(path, path == output, _display(path, output, shown))
        deferred.append((path, here))
        children = []
        for entry, child, _size in entries(source, current, block, limits):
            _check_name(entry, _display(path, output, shown))
            child_block = source.get(child)
            kid = classify(child, child_block)
            if kid.kind in ("directory", "hamt"):
                children.append((path / entry, child, child_block, kid))
            elif kid.kind in ("file", "symlink"):
                there = path / entry
                with _writing(there, output, shown):
                    _write_leaf(source, child, kid, there, limits, now)
            else:
                raise InvalidBlock(f"{child} at {_display(path / entry, output, shown)} is not a UnixFS file, "
                                   "directory or symlink")
        stack.extend(reversed(children))
    for path, here in reversed(deferred):
        with _writing(path, output, shown):
            _set_meta(path, here, now)
    return output


def _display(path: Path, output: Path, shown: Path | None) -> Path:
    """``path`` (under ``output``) as the user will find it: under ``shown`` when given."""
    if shown is None or path == output:
        return shown or path
    return shown / path.relative_to(output)


@contextmanager
def _writing(path: Path, output: Path, shown: Path | None) -> Iterator[None]:
    """One file system step for ``path``: an ``OSError`` in it becomes a typed error naming it."""
    try:
        yield
    except OSError as exc:
        raise write_error(exc, _display(path, output, shown)) from None


def _check_name(name: str, parent: Path) -> None:
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise InvalidBlock(f"the entry {name!r} in {parent} is not a file name: nothing is written under it",
                           hint=NOT_WRITABLE_HINT)


def _make_dir(path: Path, is_output: bool, shown: Path) -> None:
    try:
        path.mkdir(mode=0o755, parents=True)
    except FileExistsError:
        pass
    if stat_mod.S_ISDIR(os.lstat(path).st_mode):
        return
    if is_output:
        raise InvalidInput(f"cannot extract to symlink: {shown} exists and is not a directory",
                           hint="choose another output path")
    raise InvalidBlock(f"cannot write the directory {shown}: its parent names a file or symlink {shown.name!r} too "
                       "(a name twice in one directory)", hint=NOT_WRITABLE_HINT)


def _write_leaf(source: Source, cid: CID, node: Node, path: Path, limits: Limits, now: float) -> None:
    if node.kind == "symlink":
        assert node.meta is not None
        if not node.meta.data or b"\0" in node.meta.data:
            raise InvalidBlock(f"the symlink {path.name!r} ({cid}) has an {'empty target' if not node.meta.data else 'target with NUL'}:"
                               " no file system can hold it", hint=NOT_WRITABLE_HINT)
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        try:
            os.rmdir(path)  # an empty directory is replaced; a full one cannot be, as in Kubo
        except OSError:
            raise InvalidBlock(f"cannot write the {node.kind} {path.name!r}: a directory of that name, written "
                               "before it, is not empty (a name twice in one directory)",
                               hint=NOT_WRITABLE_HINT) from None
    if node.kind == "symlink":
        assert node.meta is not None
        os.symlink(os.fsdecode(node.meta.data), path)
        os.utime(path, ns=(_mtime(node, now),) * 2, follow_symlinks=False)
        return
    fd, temp = tempfile.mkstemp(dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in cat(source, cid, limits=limits):
                out.write(piece)
        os.rename(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # a failed clean-up must not hide the error being raised
            Path(temp).unlink(missing_ok=True)
        raise
    _set_meta(path, node, now)


def _set_meta(path: Path, node: Node, now: float) -> None:
    mode = (node.meta.mode or 0) & 0o7777 if node.meta is not None else 0
    os.chmod(path, (mode or DEFAULT_MODE[node.kind]) & WRITTEN_MODE_BITS)
    os.utime(path, ns=(_mtime(node, now),) * 2)


_GO_ZERO_TIME = (-62_135_596_800, 0)  # Go's time.Time{} as Unix seconds and nanoseconds (as unixfs._add)


def _mtime(node: Node, now: float) -> int:
    """Nanoseconds since the epoch: the UnixFS mtime, else ``now`` (Kubo's TAR for ``get`` is PAX,
    which keeps nanoseconds, and carries the time it was written where the DAG has none). Exactly
    Go's zero time (0001-01-01T00:00:00Z) is none to boxo (``ModTime().IsZero()``): ``now`` too,
    as Kubo 0.43.1's ``ipfs get`` writes it."""
    if node.meta is not None and node.meta.mtime is not None and node.meta.mtime != _GO_ZERO_TIME:
        seconds, nanos = node.meta.mtime
        return seconds * 1_000_000_000 + nanos
    return int(now * 1e9)


# --- staged writes: a failure leaves nothing behind ------------------------------------------------


def check_output(kind: str, output: Path, name: str) -> None:
    """Refuse, before anything is written, an output a node of ``kind`` cannot go to: a
    directory onto anything but a directory or a new path (boxo's extractor refuses it too); a
    file or symlink into a folder that does not exist."""
    if kind in ("directory", "hamt"):
        st = _lstat(output)
        if st is not None and not stat_mod.S_ISDIR(st.st_mode):
            raise InvalidInput(f"cannot write a directory to {output}: it exists and is {_kind_of(st)}",
                               hint="choose another output path, or remove it first")
        return
    parent = _leaf_target(output, name).parent
    if not parent.is_dir():
        raise InvalidInput(f"cannot write {output}: the folder {parent} does not exist",
                           hint="create the folder first, or choose another output path")


def write_staged(source: Source, cid: CID, output: Path, name: str, *, limits: Limits | None = None) -> None:
    """``write_tree``, written into a fresh folder beside the output first and moved into place
    only once complete: a failure leaves nothing behind (no empty folder, no half a file, no
    parent folder it created) and what was at the output as it was. A directory merged into an
    existing directory is written in place (as Kubo does); a file onto a device, FIFO or socket
    is written through it, never replaced."""
    node = classify(cid, source.get(cid))
    if node.kind in ("directory", "hamt"):
        if _lstat(output) is not None:  # an existing directory (``check_output``): merged into
            write_tree(source, cid, output, name, limits=limits, shown=output)
            return
        made = _make_parents(output.parent)
        try:
            held, temp = _staging(output)
            try:
                write_tree(source, cid, temp, name, limits=limits, shown=output)
                os.rename(temp, output)
            except BaseException:
                remove_tree(temp)
                raise
            finally:
                os.close(held)
        except BaseException:
            if made is not None:
                remove_tree(made)
            raise
        return
    target = _leaf_target(output, name)
    if node.kind == "file" and _special(_lstat(target)):
        try:
            with open(target, "wb") as out:
                for piece in cat(source, cid, limits=limits):
                    out.write(piece)
        except OSError as exc:
            raise write_error(exc, target) from None
        return
    held, temp = _staging(target)
    try:
        write_tree(source, cid, temp / "leaf", name, limits=limits, shown=target)
        try:
            os.replace(temp / "leaf", target)
        except IsADirectoryError:
            os.rmdir(target)  # an empty directory is replaced; a full one fails here, as in Kubo
            os.replace(temp / "leaf", target)
    finally:
        remove_tree(temp)
        os.close(held)


def _staging(output: Path) -> tuple[int, Path]:
    """A fresh folder ``.NAME.????????.part`` beside ``output`` and the descriptor that holds
    its lock while it is written (``_partfiles``), after removing the ones killed writes of
    ``output`` left there (a minute old and no longer held)."""
    from .._partfiles import create_dir, sweep

    prefix = f".{output.name[:96]}."
    sweep(output.parent, prefix, ".part", remove_tree=remove_tree)
    try:
        return create_dir(output.parent, prefix, ".part")
    except OSError as exc:
        raise write_error(exc, output) from None


def _kind_of(st: os.stat_result) -> str:
    mode = st.st_mode
    return ("a symlink" if stat_mod.S_ISLNK(mode) else "a regular file" if stat_mod.S_ISREG(mode)
            else "a FIFO" if stat_mod.S_ISFIFO(mode) else "a socket" if stat_mod.S_ISSOCK(mode)
            else "a device" if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode) else "not a directory")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}", hint="check the output path") from None


def _leaf_target(output: Path, name: str) -> Path:
    """Where a file or symlink root goes: ``output``, or ``output/NAME`` in an existing
    directory (``write_tree``'s rule)."""
    st = _lstat(output)
    return output / name if st is not None and stat_mod.S_ISDIR(st.st_mode) else output


def _special(st: os.stat_result | None) -> bool:
    """A character or block device, FIFO or socket."""
    return st is not None and (stat_mod.S_ISCHR(st.st_mode) or stat_mod.S_ISBLK(st.st_mode)
                               or stat_mod.S_ISFIFO(st.st_mode) or stat_mod.S_ISSOCK(st.st_mode))


def _make_parents(folder: Path) -> Path | None:
    """Create ``folder`` and its missing parents (a directory's output may be deep, as in Kubo);
    the topmost one created, to remove on failure, or None."""
    missing = []
    here = folder
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    if not missing:
        return None
    try:
        folder.mkdir(mode=0o755, parents=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror or exc}", hint="check the output path") from None
    return missing[-1]
