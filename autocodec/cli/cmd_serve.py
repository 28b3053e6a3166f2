"""``autocodec serve``: the decode gateway with live upgrades."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve GET /decode/{cid}, /resolve/{kind}/{code}, /healthz, /metrics")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--refresh-interval", type=float, metavar="SECONDS",
                   help="how often pinned sets are refreshed (default: config refresh.interval_s, 300)")
    p.add_argument("--workers", type=int, default=8, help="decode threads")
    from ._runtime import add_source_options

    add_source_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..serve import serve
    from ._runtime import runtime_from_args

    serve(runtime_from_args(args), args.host, args.port, refresh_interval_s=args.refresh_interval,
          workers=args.workers)
    return 0
