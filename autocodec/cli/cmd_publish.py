"""``autocodec publish MODULE.wasm --key NAME``: test, sign and store a module's manifest."""

from __future__ import annotations

import argparse
from ._runtime import add_passphrase_env
from typing import Any
from ._options import nonempty

EPILOG = """examples:
  autocodec publish wasm-src/git-raw/git-raw.wasm --key alice
  autocodec publish my.wasm --key alice --vectors ./vectors --version 1.2.0
"""


def register(sub: Any) -> None:
    p = sub.add_parser("publish", help="run a module's test vectors, sign its manifest, store it; prints the manifest CID",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("module", metavar="MODULE.wasm")
    p.add_argument("--key", required=True, help="signing key name (see `autocodec key list`)")
    add_passphrase_env(p)
    p.add_argument("--version", dest="semver", type=nonempty("a semantic version"), help="semantic version (default: the module's own)")
    p.add_argument("--vectors", metavar="DIR", help="folder with vectors.json (default: as module test finds them: "
                   "beside the module, or in the folder it was built from when named alike)")
    p.add_argument("--expires-days", type=float, help="manifest expiry (default: none)")
    p.add_argument("--to-node", metavar="ADDR", type=nonempty("a node's address"), help="also put module, vectors and manifest on this IPFS node")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..registry import publish_module
    from ._io import write_line
    from ._runtime import load_keys, runtime_from_args

    if args.vectors == "":
        from ..errors import InvalidInput

        raise InvalidInput("the --vectors path is empty", hint="name the folder holding vectors.json, or leave --vectors out")
    (key,) = load_keys([args.key], args.passphrase_env)
    with runtime_from_args(args) as rt:
        node = None
        if args.to_node:
            from ..sources import NodeSource

            node = NodeSource(args.to_node, limits=rt.limits.fetch)
            node.check()  # asked before signing: a node that is down or refuses the credentials signs nothing
        published = publish_module(rt, args.module, key, version=args.semver, vectors=args.vectors,
                                   expires_days=args.expires_days)
        if node is not None:  # manifest, module (a DAG whole) and vectors, pinned so the node keeps them;
            from ..registry._tonode import published_pins, put_pinned  # failing, a retry answers this manifest

            put_pinned(node, published_pins(rt.store.get, published))
    write_line(str(published.manifest_cid))
    if published.existing:
        import sys

        m = published.manifest
        print(f"autocodec: {m.name} {m.version} was already published with these bytes and this key: "
              "its manifest, unchanged", file=sys.stderr)
    return 0
