"""``autocodec add`` and ``autocodec cat``: UnixFS files and directories in the store.

``add`` chunks like Kubo's ``ipfs add`` (same defaults, same root CIDs for the same bytes
and options) and prints ``added CID NAME`` per entry; ``cat`` writes a file's bytes.
Both run on the registry ``Runtime``: Wasm chunkers and extension hashers are the modules
the pinned sets list (or ``--module`` files), and every block is verified as it is stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._local_modules import add_module_option
from ._runtime import add_source_options


def register(sub: Any) -> None:
    add = sub.add_parser("add", help="add files or directories as UnixFS DAGs; print their CIDs")
    add.add_argument("paths", nargs="+", metavar="FILE", help="files to add (- for stdin; directories with -r)")
    add.add_argument("--chunker", "-s", default="size-262144", metavar="SPEC",
                     help="size-N (default size-262144), fastcdc-MIN-AVG-MAX or buzhash")
    add.add_argument("--cid-version", type=int, choices=(0, 1), default=0, help="CID version (default 0, as Kubo)")
    add.add_argument("--raw-leaves", action=argparse.BooleanOptionalAction, default=None,
                     help="raw leaf blocks (default: yes with --cid-version 1, no with 0)")
    add.add_argument("-r", "--recursive", action="store_true", help="add directories recursively")
    add.add_argument("-H", "--hidden", action="store_true", help="include files whose names start with '.'")
    add.add_argument("-w", "--wrap-with-directory", action="store_true",
                     help="wrap the added files in a directory (its CID is printed last)")
    add.add_argument("-q", "--quiet", action="store_true", help="print only CIDs, no progress")
    add.add_argument("-Q", "--quieter", action="store_true", help="print only the last root CID")
    add.add_argument("--hash", default="sha2-256", metavar="NAME",
                     help="multihash for every block (default sha2-256; others imply CIDv1, as in Kubo; "
                          "extension hashers such as blake3 come from the pinned sets or --module)")
    add_module_option(add)
    add.set_defaults(func=run_add)

    cat = sub.add_parser("cat", help="write the bytes of a UnixFS file to stdout")
    cat.add_argument("cid", metavar="CID[/PATH]", help="a file's CID, or a directory's CID and a path in it")
    add_source_options(cat)
    cat.set_defaults(func=run_cat)


def run_add(args: argparse.Namespace) -> int:
    from ..codes import hash_code
    from ..errors import InvalidInput
    from ..progress import no_progress, stderr_progress
    from ..unixfs import AddOptions, Adder
    from ._io import write_line
    from ._local_modules import open_runtime

    options = AddOptions(chunker=args.chunker, cid_version=args.cid_version, raw_leaves=args.raw_leaves,
                         hidden=args.hidden, hash=args.hash)
    code = hash_code(args.hash)
    quiet = args.quiet or args.quieter
    progress = no_progress if quiet else stderr_progress("add")
    last = None
    wrapped = []
    with open_runtime(args) as runtime:
        multihash = None if code == 0x12 else (lambda block: runtime.hash(block, code))
        adder = Adder(runtime.store, options, progress=progress, multihash=multihash,
                      chunker_module=lambda name: runtime.extension("chunker", name))
        for name in args.paths:
            if name == "-":
                link = adder.add_stream(sys.stdin.buffer)
                entries = [("-", link.cid)]
                top = ("-", link)
            else:
                path = Path(name)
                if path.is_dir() and not args.recursive:
                    raise InvalidInput(f"{name} is a directory", hint="use -r to add a directory")
                added = list(adder.add_path(path, recursive=args.recursive))
                entries = [(a.path, a.cid) for a in added]
                top = (added[-1].path, added[-1].link)
            for entry, cid in entries:
                if not args.quieter:
                    write_line(str(cid) if args.quiet else f"added {cid} {entry}")
            last = entries[-1][1]
            wrapped.append(top)
        if args.wrap_with_directory:
            if any(name == "-" for name, _ in wrapped):
                raise InvalidInput("stdin has no name to wrap", hint="add a file instead of - with -w")
            last = adder.wrap(wrapped).cid
            if not args.quieter:
                write_line(str(last) if args.quiet else f"added {last}")
    if args.quieter and last is not None:
        write_line(str(last))
    return 0


def run_cat(args: argparse.Namespace) -> int:
    from ..unixfs import cat, resolve
    from ._io import write_stdout
    from ._local_modules import open_runtime

    with open_runtime(args) as runtime:  # local store first, then --node/--gateway; verified
        for piece in cat(runtime, resolve(runtime, args.cid)):
            write_stdout(piece)
    return 0
