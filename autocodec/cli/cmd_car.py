"""``autocodec car import|export``: move DAGs between CAR files and the store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._actions import command_with_actions
from ._local_modules import add_module_option
from ._text import counted

EPILOG = """examples:
  autocodec car import fixtures.car     # verify and store every block; prints the roots
  autocodec car export CID -o dag.car   # the DAG under CID, every codec's links followed
  autocodec dag import|export ...       # the same with Kubo's names and output
"""


def register(sub: Any) -> None:
    csub = command_with_actions(sub, "car", "import and export CAR files", EPILOG)

    imp = csub.add_parser("import", help="verify and store every block of a CAR file; print its roots")
    imp.add_argument("file", metavar="FILE", help="CARv1 or CARv2 file (- for stdin)")
    imp.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_module_option(imp)
    imp.set_defaults(func=run_import)

    exp = csub.add_parser("export", help="write the DAG under CID that the store holds as a CARv1")
    exp.add_argument("cid", metavar="CID")
    exp.add_argument("-o", "--output", required=True, metavar="FILE", help="output file (- for stdout)")
    add_module_option(exp)
    exp.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    from ..progress import no_progress, stderr_progress
    from ..store import import_car
    from ..store._verify_many import runtime_verifier
    from ._io import open_input, write_line
    from ._local_modules import open_runtime

    progress = no_progress if args.quiet else stderr_progress("import")
    stream = open_input(args.file)
    try:
        with open_runtime(args) as rt:
            verifier = runtime_verifier(rt)  # large windows of blocks checked over every core
            try:
                result = import_car(rt.store, stream, progress=progress, verifier=verifier)
            finally:
                verifier.close()
    finally:
        if args.file != "-":
            stream.close()
    print(f"imported {counted(result.blocks, 'block')} ({counted(result.bytes, 'byte')}) from CARv{result.version}",
          file=sys.stderr)
    for root in result.roots:
        write_line(str(root))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..cid import CID
    from ..store import export_car
    from ._io import open_output, output_target, streaming_stdout
    from ..dag import runtime_links
    from ..dag._ahead import LinksAhead
    from ._local_modules import open_runtime

    cid = CID.parse(args.cid)
    if args.output != "-":
        output_target(args.output)  # an empty path, a folder, a missing folder: refused before any work
    with open_runtime(args) as rt, LinksAhead(rt) as ahead:  # links of many blocks over every core
        store = rt.store
        if args.output == "-":
            with streaming_stdout() as stdout:
                result = export_car(store, cid, stdout, links=runtime_links(rt), ahead=ahead)
        else:
            with open_output(args.output) as out:  # replaced only when complete; devices written through
                result = export_car(store, cid, out, links=runtime_links(rt), ahead=ahead)
    missing = len(result.missing)
    note = (f"; {missing} linked block{'s' if missing != 1 else ''} not in the store "
            f"{'were' if missing != 1 else 'was'} left out") if missing else ""
    print(f"exported {counted(result.blocks, 'block')} ({counted(result.bytes, 'byte')}){note}",
          file=sys.stderr)
    return 0
