"""``autocodec decode CID``: print a stored block as DAG-JSON (or JSON, or DAG-CBOR)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._local_modules import add_module_option

OUTPUTS = ("dag-json", "json", "dag-cbor")


def register(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode a stored block and print it")
    p.add_argument("cid", metavar="CID")
    p.add_argument("--output", "-o", choices=OUTPUTS, default="dag-json",
                   help="dag-json (default; links as {\"/\": CID}), json, or dag-cbor bytes")
    p.add_argument("--pretty", action="store_true", help="indent dag-json/json output (no longer canonical)")
    add_module_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..cid import CID
    from ._io import write_stdout
    from ._local_modules import formats_from_args

    formats = formats_from_args(args)
    cid = CID.parse(args.cid)
    with formats.open_store() as store:
        data = store.get(cid)  # checked against its stored checksum (or the CID if sha2-256)
    formats.recheck(cid, data)
    value = formats.decode(data, cid.codec)
    out = builtin.encode(value, args.output)
    if args.output == "dag-cbor":
        write_stdout(out)
        return 0
    if args.pretty:  # the canonical text is valid JSON: re-indent it, keeping key order
        out = json.dumps(json.loads(out), indent=2, ensure_ascii=False).encode()
    write_stdout(out + b"\n")
    return 0
