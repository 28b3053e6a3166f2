"""``autocodec hash --hash NAME [FILE|-]``: the multihash of a file, builtin or extension hasher."""

from __future__ import annotations

import argparse
from typing import Any

_CHUNK = 1 << 20


EPILOG = """examples:
  autocodec hash big.iso                        # sha2-256 multihash
  autocodec hash --hash blake3 --digest big.iso # Wasm hasher from the pinned set, digest only
  echo hi | autocodec hash --hash keccak-256 -
"""


def register(sub: Any) -> None:
    p = sub.add_parser("hash", help="print the multihash of a file (builtin or Wasm extension hasher), streaming",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    p.add_argument("--hash", default="sha2-256", help="multihash name or code, e.g. keccak-256, blake3, sha1")
    p.add_argument("--digest", action="store_true", help="print only the digest (hex), not the multihash")
    from ._runtime import add_source_options

    add_source_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cid import decode_varint
    from ._io import open_input, write_line
    from ._runtime import runtime_from_args

    stream = open_input(args.file)
    try:
        with runtime_from_args(args) as rt:
            multihash = rt.hash_stream(iter(lambda: stream.read(_CHUNK), b""), args.hash)
    finally:
        if args.file not in (None, "-"):
            stream.close()
    if args.digest:
        _code, off = decode_varint(multihash, 0)
        _size, off = decode_varint(multihash, off)
        write_line(multihash[off:].hex())
    else:
        write_line(f"{multihash.hex()}  {args.file}")
    return 0
