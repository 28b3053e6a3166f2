"""``autocodec decode CID``: print a block as DAG-JSON (or JSON, or DAG-CBOR).

The block comes from the store, else from ``--node``/``--gateway`` sources (verified, then
cached); its codec and hash resolve through builtins, pinned extension sets and ``--module``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._runtime import add_source_options

OUTPUTS = ("dag-json", "json", "dag-cbor")


def register(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode a block and print it")
    p.add_argument("cid", metavar="CID")
    p.add_argument("--output", "-o", choices=OUTPUTS, default="dag-json",
                   help="dag-json (default; links as {\"/\": CID}), json, or dag-cbor bytes")
    p.add_argument("--pretty", action="store_true", help="indent dag-json/json output (no longer canonical)")
    add_source_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..cid import CID
    from ._io import write_stdout
    from ._local_modules import open_runtime, recheck

    cid = CID.parse(args.cid)
    with open_runtime(args) as rt:
        data = rt.get(cid)  # store (checked) or a source (verified)
        recheck(rt, cid, data)
        value = rt.decode_block(cid, data, verified=True)
    out = builtin.encode(value, args.output)
    if args.output == "dag-cbor":
        write_stdout(out)
        return 0
    if args.pretty:  # the canonical text is valid JSON: re-indent it, keeping key order
        out = json.dumps(json.loads(out), indent=2, ensure_ascii=False).encode()
    write_stdout(out + b"\n")
    return 0
