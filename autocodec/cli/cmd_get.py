"""``autocodec get``: a UnixFS file, directory or symlink written to disk, as Kubo's ``ipfs get``.

Kubo's options under Kubo's names (``-o/--output``, ``-a/--archive``, ``-C/--compress``,
``-l/--compression-level``) and its behaviour: the output is named after the last component
of the path unless ``-o`` names it; ``-a`` writes the TAR the gateway serves for
``?format=tar`` (``OUTPUT.tar``), ``-C`` gzips it (``.tar.gz``) or, without ``-a``, gzips a
file (``.gz``); the line ``Saving file(s) to OUTPUT`` (or ``Saving archive to ...``) comes
first, as Kubo prints it. Extraction follows boxo's TAR extractor (``unixfs._get``).
Checked against Kubo v0.43.1 in tests/test_get_kubo.py.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._kubo import bool_flag
from ._runtime import add_source_options

if TYPE_CHECKING:  # pragma: no cover
    from ..cid import CID
    from ..registry import Runtime

GET_EPILOG = """examples:
  autocodec get QmDir                          # writes ./QmDir (a directory tree)
  autocodec get /ipfs/QmDir/docs -o ./docs     # a path in it, to ./docs
  autocodec get -a -C QmDir                    # ./QmDir.tar.gz
"""


def register(sub: Any) -> None:
    get = sub.add_parser("get", help="write a UnixFS file or directory to disk (Kubo's `ipfs get`)",
                         epilog=GET_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    get.add_argument("path", metavar="CID[/PATH]", help="the file, directory or symlink to write")
    get.add_argument("-o", "--output", metavar="PATH", help="where to write it (default: its name, here)")
    bool_flag(get, "-a", "archive", False, "write a TAR archive")
    bool_flag(get, "-C", "compress", False, "compress the output with gzip")
    get.add_argument("-l", "--compression-level", type=int, default=None, metavar="N",
                     help="gzip level, 1-9 (with -C)")
    add_source_options(get)
    get.set_defaults(func=run_get)


def run_get(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ._io import write_line
    from ._local_modules import open_runtime

    level = None
    if args.compress:
        level = 6 if args.compression_level is None else args.compression_level  # Go's DefaultCompression
        if not 1 <= level <= 9:
            raise InvalidInput("compression level must be between 1 and 9")
    if args.output == "":
        raise InvalidInput("the output path is empty", hint="name where to write it, or leave -o out")
    trimmed = args.path.rstrip("/")
    name = posixpath.basename(posixpath.normpath(trimmed))  # the TAR root's name in Kubo
    output = args.output or posixpath.normpath(posixpath.basename(trimmed))
    with open_runtime(args) as runtime:
        from ..dag import resolve
        from ..unixfs._dir import classify

        cid = resolve(runtime, args.path, limits=runtime.limits).cid
        data = runtime.get(cid)
        kind = classify(cid, data).kind
        if kind not in ("file", "directory", "hamt", "symlink"):
            raise InvalidInput(f"{cid} is not a UnixFS file, directory or symlink", hint="export it as a CAR instead")
        if args.archive or level is not None:
            return _write_archive(runtime, cid, data, kind, output, name, args.archive, level)
        if kind in ("directory", "hamt"):
            _check_directory_output(output)
        else:
            _check_leaf_output(output, name)
        write_line(f"Saving file(s) to {output}")
        _write(runtime, cid, kind, Path(output), name)
    return 0


def _kind_of(st: os.stat_result) -> str:
    mode = st.st_mode
    return ("a symlink" if stat.S_ISLNK(mode) else "a regular file" if stat.S_ISREG(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a directory")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        from ..errors import InvalidInput

        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}", hint="check the output path") from None


def _check_directory_output(output: str) -> None:
    """A directory goes to a directory, or to a new path: anything else there is refused before
    anything is written (boxo's extractor refuses it too)."""
    from ..errors import InvalidInput

    st = _lstat(Path(output))
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise InvalidInput(f"cannot write a directory to {output}: it exists and is {_kind_of(st)}",
                           hint="choose another output path, or remove it first")


def _leaf_target(output: str, name: str) -> Path:
    """Where a file or symlink root goes: ``output``, or ``output/NAME`` in an existing directory."""
    path = Path(output)
    st = _lstat(path)
    return path / name if st is not None and stat.S_ISDIR(st.st_mode) else path


def _check_leaf_output(output: str, name: str) -> None:
    from ..errors import InvalidInput

    target = _leaf_target(output, name)
    parent = target.parent
    if not parent.is_dir():
        raise InvalidInput(f"cannot write {output}: the folder {parent} does not exist",
                           hint="create the folder first, or choose another output path")


def _special(st: os.stat_result | None) -> bool:
    """A character or block device, FIFO or socket: written through, never replaced."""
    return st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISFIFO(st.st_mode)
                               or stat.S_ISSOCK(st.st_mode))


def _write(runtime: "Runtime", cid: "CID", kind: str, output: Path, name: str) -> None:
    """Write the node as ``unixfs._get.write_tree`` does, but into a fresh folder beside the
    output first, moved into place only once complete: a failure leaves nothing behind (not an
    empty folder, not half a file) and what was at the output as it was. A directory merged into
    an existing directory is written in place (as Kubo does); a file onto a device, FIFO or
    socket is written through it."""
    import shutil
    import tempfile

    from ..unixfs import cat
    from ..unixfs._get import write_tree

    if kind in ("directory", "hamt"):
        st = _lstat(output)
        if st is not None:  # an existing directory (checked): merged into
            write_tree(runtime, cid, output, name, limits=runtime.limits)
            return
        made = _make_parents(output.parent)
        try:
            temp = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name[:96]}.", suffix=".part"))
            try:
                write_tree(runtime, cid, temp, name, limits=runtime.limits)
                os.rename(temp, output)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
        except BaseException:
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
            raise
        return
    target = _leaf_target(str(output), name)
    if kind == "file" and _special(_lstat(target)):
        from ._io import open_output

        with open_output(str(target)) as out:
            for piece in cat(runtime, cid, limits=runtime.limits):
                out.write(piece)
        return
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name[:96]}.", suffix=".part"))
    try:
        write_tree(runtime, cid, temp / "leaf", name, limits=runtime.limits)
        try:
            os.replace(temp / "leaf", target)
        except IsADirectoryError:
            os.rmdir(target)  # an empty directory is replaced; a full one fails here, as in Kubo
            os.replace(temp / "leaf", target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


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
        from ..errors import InvalidInput

        raise InvalidInput(f"cannot create {folder}: {exc.strerror or exc}", hint="check the output path") from None
    return missing[-1]


def _write_archive(runtime: "Runtime", cid: "CID", data: bytes, kind: str, output: str, name: str, archive: bool,
                   level: int | None) -> int:
    """``-a`` and/or ``-C``: the TAR of the node, or (``-C`` alone) a file's bytes; gzipped with ``-C``."""
    import gzip
    import time

    from ..errors import InvalidInput
    from ._io import write_line

    pieces: Iterator[bytes]
    if archive:
        from ..unixfs._tar import tar_pieces

        if not output.endswith((".tar", ".tar.gz")):
            output += ".tar"
        pieces = tar_pieces(runtime, cid, data, runtime.limits, root_name=name, no_mtime=round(time.time()))
    else:
        if kind != "file":
            raise InvalidInput("file is not regular", hint="add -a to write a directory as a TAR archive")
        from ..unixfs import cat

        pieces = cat(runtime, cid, limits=runtime.limits)
    if level is not None and not output.endswith(".gz"):
        output += ".gz"
    from ._io import open_output, output_target

    output_target(output)  # an empty path, a folder, a missing folder: refused before any output
    write_line(f"Saving archive to {output}")
    with open_output(output) as raw:  # replaced only when complete; nothing left on failure
        if level is None:
            for piece in pieces:
                raw.write(piece)
        else:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=level, mtime=0) as packed:
                for piece in pieces:
                    packed.write(piece)
    return 0
