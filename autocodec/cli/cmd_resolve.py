"""``autocodec resolve KIND CODE``: which builtin or extension would serve it, and why."""

from __future__ import annotations

import argparse
from typing import Any

_KINDS = {"codec": "codec", "hash": "hasher", "hasher": "hasher", "chunker": "chunker", "crypto": "crypto", "task": "task"}


def register(sub: Any) -> None:
    p = sub.add_parser("resolve", help="say which manifest, module, publisher and set would serve a code, and why")
    p.add_argument("kind", choices=sorted(_KINDS))
    p.add_argument("code", help="name or code, e.g. git-raw, 0x78, keccak-256")
    p.add_argument("--json", action="store_true", help="print DAG-JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..registry import Runtime
    from ._io import write_line

    with Runtime() as rt:
        res = rt.resolve(_KINDS[args.kind], args.code)
    if args.json:
        write_line(builtin.to_dag_json_text(res.to_value()))
    else:
        write_line(f"{res.kind} {args.code}: {res.source} — {res.reason}")
        for label, value in (("module", res.module), ("manifest", res.manifest), ("name", res.name),
                             ("version", res.version), ("publisher", res.publisher), ("set", res.set_name),
                             ("set version", res.set_version), ("policy", res.policy)):
            if value is not None:
                write_line(f"  {label}: {value}")
    return 0 if res.found else 1
