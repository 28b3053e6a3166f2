"""``autocodec block put|get|stat|rm``: raw blocks in the embedded store."""

from __future__ import annotations

import argparse
from typing import Any

from ._local_modules import add_module_option


def register(sub: Any) -> None:
    p = sub.add_parser("block", help="put, get, stat and remove raw blocks")
    bsub = p.add_subparsers(dest="block_command", metavar="ACTION")
    bsub.required = True

    put = bsub.add_parser("put", help="store a block and print its CIDv1")
    put.add_argument("file", nargs="?", default="-", metavar="FILE", help="the block's bytes (default: stdin)")
    put.add_argument("--codec", default="raw", help="multicodec name or 0xCODE (default raw)")
    put.add_argument("--hash", default="sha2-256", help="multihash name or 0xCODE (default sha2-256)")
    add_module_option(put)
    put.set_defaults(func=run_put)

    get = bsub.add_parser("get", help="write a block's bytes to stdout")
    get.add_argument("cid", metavar="CID")
    add_module_option(get)
    get.set_defaults(func=run_get)

    stat = bsub.add_parser("stat", help="print a block's codec and size")
    stat.add_argument("cid", metavar="CID")
    stat.set_defaults(func=run_stat)

    ls = bsub.add_parser("ls", help="list the CIDs of stored blocks")
    ls.add_argument("--codec", help="only blocks of this codec (name or 0xCODE)")
    ls.set_defaults(func=run_ls)

    check = bsub.add_parser("check", help="read every stored block back and report corrupt ones (exit 1)")
    check.set_defaults(func=run_check)

    rm = bsub.add_parser("rm", help="remove a block from the store")
    rm.add_argument("cid", metavar="CID", nargs="+")
    rm.set_defaults(func=run_rm)


def run_put(args: argparse.Namespace) -> int:
    from ..codes import codec_code, hash_code
    from ._io import read_input, write_line
    from ._local_modules import formats_from_args

    formats = formats_from_args(args)
    codec = codec_code(args.codec)
    mh_code = hash_code(args.hash)
    data = read_input(args.file, formats.limits.decode.max_block_bytes)
    if formats.can_decode(codec):
        formats.decode(data, codec)  # refuse a malformed block before storing it
    cid = formats.cid_for(data, codec, mh_code)
    with formats.open_store() as store:
        store.put(cid, data)
    write_line(str(cid))
    return 0


def run_get(args: argparse.Namespace) -> int:
    from ..cid import CID
    from ._io import write_stdout
    from ._local_modules import formats_from_args

    formats = formats_from_args(args)
    cid = CID.parse(args.cid)
    with formats.open_store() as store:
        data = store.get(cid)
    formats.recheck(cid, data)
    write_stdout(data)
    return 0


def run_stat(args: argparse.Namespace) -> int:
    from ..cid import CID
    from ..codes import codec_name, hash_name
    from ..store import BlockStore
    from ._io import write_line

    cid = CID.parse(args.cid)
    with BlockStore.open() as store:
        stat = store.stat(cid)
    write_line(
        f"cid: {cid}\ncodec: {codec_name(stat.codec)} (0x{stat.codec:x})\n"
        f"hash: {hash_name(cid.hash_code)} (0x{cid.hash_code:x})\nsize: {stat.size}"
        + ("\ninline: yes (identity CID)" if stat.inline else "")
    )
    return 0


def run_rm(args: argparse.Namespace) -> int:
    from ..cid import CID
    from ..errors import BlockNotFound
    from ..store import BlockStore
    from ._io import write_line

    cids = [CID.parse(text) for text in args.cid]
    with BlockStore.open() as store:
        for cid in cids:
            if not store.delete(cid):
                raise BlockNotFound(f"block {cid} is not in the store")
            write_line(f"removed {cid}")
    return 0


def run_ls(args: argparse.Namespace) -> int:
    from ..codes import codec_code
    from ..store import BlockStore
    from ._io import write_stdout

    wanted = codec_code(args.codec) if args.codec else None
    with BlockStore.open() as store:
        lines = []
        for cid in store:
            if wanted is None or cid.codec == wanted:
                lines.append(f"{cid}\n")
                if len(lines) >= 1024:
                    write_stdout("".join(lines).encode())
                    lines.clear()
        write_stdout("".join(lines).encode())
    return 0


def run_check(args: argparse.Namespace) -> int:
    from ..errors import StoreCorrupt
    from ..store import BlockStore
    from ._io import write_line

    with BlockStore.open() as store:
        total = len(store)
        bad = store.check()
    for cid in bad:
        write_line(f"corrupt {cid}")
    if bad:
        raise StoreCorrupt(f"{len(bad)} of {total} blocks are corrupt")
    write_line(f"all {total} blocks intact")
    return 0
