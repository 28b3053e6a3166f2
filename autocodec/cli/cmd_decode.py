"""``autocodec decode CID[/path]``: print a block (or the value a path reaches) as DAG-JSON.

The block comes from the store, else from ``--node``/``--gateway`` sources (verified, then
cached); its codec and hash resolve through builtins, pinned extension sets and ``--module``.
A builtin block in the store is decoded without starting the extension runtime (``_fast``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._runtime import add_source_options

OUTPUTS = ("dag-json", "json", "dag-cbor")

EPILOG = """examples:
  autocodec decode bafyrei...                       # DAG-JSON, links as {"/": "..."}
  autocodec decode bafyrei.../a/0/b --pretty        # the value a path reaches, across links
  autocodec decode /ipfs/baf4bcf.../tree/README.md  # a git tree entry (pinned git-raw module)
  autocodec decode k2jvsl... --output json          # CIDs in any multibase (base36 here)
  autocodec decode CID --node /ip4/127.0.0.1/tcp/5001   # fetch from Kubo, verify, cache
"""


def register(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode a block (or the value a path reaches) and print it",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cid", metavar="CID[/PATH]", help="a CID in any multibase, or a path: CID/a/b, /ipfs/CID/name")
    p.add_argument("--output", "-o", choices=OUTPUTS, default="dag-json",
                   help="dag-json (default; links as {\"/\": CID}), json, or dag-cbor bytes")
    p.add_argument("--pretty", action="store_true", help="indent dag-json/json output (no longer canonical)")
    add_source_options(p)
    p.set_defaults(func=run)


def _value(args: argparse.Namespace) -> Any:
    from ..dag import parse_path, resolve
    from ._fast import LocalBuiltins, NeedRuntime, usable
    from ._local_modules import open_runtime, recheck

    if usable(args, parse_path(args.cid).root):
        try:
            with LocalBuiltins() as local:
                return resolve(local, args.cid, limits=local.limits).value
        except NeedRuntime:
            pass
    with open_runtime(args) as rt:
        found = resolve(rt, args.cid, limits=rt.limits)
        recheck(rt, found.cid, found.data)
        return found.value


def run(args: argparse.Namespace) -> int:
    from .. import builtin
    from ._io import write_stdout

    value = _value(args)
    out = builtin.encode(value, args.output)
    if args.output == "dag-cbor":
        write_stdout(out)
        return 0
    if args.pretty:  # the canonical text is valid JSON: re-indent it, keeping key order
        out = json.dumps(json.loads(out), indent=2, ensure_ascii=False).encode()
    write_stdout(out if out.endswith(b"\n") else out + b"\n")  # JSON's own text may end a line already
    return 0
