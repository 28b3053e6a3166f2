"""``autocodec encode --codec NAME``: DAG-JSON in, a stored block of that codec out."""

from __future__ import annotations

import argparse
from typing import Any

from ._cidbase import add_cid_base_option
from ._local_modules import add_module_option
from ._options import nonempty

EPILOG = """examples:
  echo '{"a": {"/": "bafkrei..."}}' | autocodec encode --codec dag-cbor
  autocodec encode --codec dag-json doc.json --hash blake3
"""


def register(sub: Any) -> None:
    p = sub.add_parser("encode", help="encode a DAG-JSON document with a codec, store it, print its CID",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", default="-", metavar="FILE", help="DAG-JSON document (default: stdin)")
    p.add_argument("--codec", required=True, type=nonempty("a multicodec name or 0xCODE"),
                   help="multicodec name or 0xCODE, e.g. dag-cbor")
    p.add_argument("--hash", default="sha2-256", type=nonempty("a multihash name or 0xCODE"),
                   help="multihash name or 0xCODE (default sha2-256)")
    add_cid_base_option(p)
    add_module_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..codes import codec_code, hash_code
    from ._cidbase import cid_text
    from ..errors import InvalidBlock
    from ._io import DOCUMENT_HINT, read_input, reading_document, write_line
    from ._local_modules import open_runtime

    codec = codec_code(args.codec)
    mh_code = hash_code(args.hash)
    with open_runtime(args) as rt:
        text = read_input(args.file, rt.limits.decode.max_block_bytes, "document", error=InvalidBlock,
                          hint=DOCUMENT_HINT)
        with reading_document("dag-json"):
            value = builtin.decode(text, "dag-json", limits=rt.limits.decode)
        data = rt.encode(value, codec)
        cid = rt.cid_for(data, codec, mh_code)
        rt.store.put(cid, data)
    write_line(cid_text(cid, args.cid_base))
    return 0
