"""``autocodec get``: a UnixFS file, directory or symlink written to disk, as Kubo's ``ipfs get``.

Kubo's options under Kubo's names (``-o/--output``, ``-a/--archive``, ``-C/--compress``,
``-l/--compression-level``, ``-p/--progress``, accepted) and its behaviour: the output is named after the last component
of the path unless ``-o`` names it; ``-a`` writes the TAR the gateway serves for
``?format=tar`` (``OUTPUT.tar``), ``-C`` gzips it (``.tar.gz``) or, without ``-a``, gzips a
file (``.gz``); the line ``Saving file(s) to OUTPUT`` (or ``Saving archive to ...``) comes
first, as Kubo prints it (even when the output is then refused: a directory onto an existing
file; an archive whose file cannot be made is refused before its line, as Kubo does). Extraction follows boxo's TAR extractor (``unixfs._get``).
Checked against Kubo v0.43.1 in tests/test_get_kubo.py.
"""

from __future__ import annotations

import argparse
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._kubo import bool_flag, go_int
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
    get.add_argument("-l", "--compression-level", type=go_int, default=None, metavar="N",
                     help="gzip level, 1-9 (with -C)")
    bool_flag(get, "-p", "progress", None, "accepted for Kubo compatibility (get prints no progress; stdout "
                                           "has only the Saving line)")
    add_source_options(get)
    get.set_defaults(func=run_get)


def run_get(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ._io import refuse_the_home, write_line
    from ._local_modules import open_runtime

    level = None
    if args.compress:
        level = 6 if args.compression_level is None else args.compression_level  # Go's DefaultCompression
        if not 1 <= level <= 9:
            raise InvalidInput("compression level must be between 1 and 9")
    trimmed = args.path.rstrip("/")
    name = posixpath.basename(posixpath.normpath(trimmed))  # the TAR root's name in Kubo
    output = args.output or posixpath.normpath(posixpath.basename(trimmed))
    refuse_the_home(output)  # a DAG's names written among the home's files could replace its store
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
        from ..unixfs._get import check_output, write_staged

        write_line(f"Saving file(s) to {output}")  # before an output refused, as Kubo 0.43.1 prints it
        check_output(kind, Path(output), name)  # refused before anything is written to disk
        write_staged(runtime, cid, Path(output), name, limits=runtime.limits)
    return 0


def _write_archive(runtime: "Runtime", cid: "CID", data: bytes, kind: str, output: str, name: str, archive: bool,
                   level: int | None) -> int:
    """``-a`` and/or ``-C``: the TAR of the node, or (``-C`` alone) a file's bytes (a symlink's
    target, as Kubo 0.43.1 gzips it); gzipped with ``-C``."""
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
        if kind not in ("file", "symlink"):
            raise InvalidInput("file is not regular", hint="add -a to write a directory as a TAR archive")
        from ..unixfs import cat

        pieces = cat(runtime, cid, limits=runtime.limits)  # a symlink: its target, as boxo's files.ToFile reads it
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
