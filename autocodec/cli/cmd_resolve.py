"""``autocodec resolve KIND CODE``: which builtin or extension would serve it, and why; and
``autocodec resolve PATH`` as Kubo's ``ipfs resolve``: the ``/ipfs/`` path a path resolves to
(an ``/ipns/`` name's value, then its path walked to the last block it reaches)."""

from __future__ import annotations

import argparse
from typing import Any

from ..abi import Kind
from ._cidbase import add_cid_base_option
from ._kubo import add_enc_option, bool_flag, enc_line
from ._runtime import add_source_options

_KINDS = {**{k.value: k.value for k in Kind}, "hash": "hasher"}  # the ABI's kinds (autocodec.abi), and "hash"


EPILOG = """examples:
  autocodec resolve codec git-raw          # the Wasm module serving git objects, its set and publisher
  autocodec resolve codec 0x71             # dag-cbor: builtin
  autocodec resolve hash keccak-256 --json
  autocodec resolve chunker fastcdc        # the module behind add --chunker fastcdc-MIN-AVG-MAX
  autocodec resolve /ipns/NAME/docs        # a path, as `ipfs resolve`: /ipfs/CID of where it lands
"""


def register(sub: Any) -> None:
    p = sub.add_parser("resolve", help="say which manifest, module, publisher and set would serve a code, and why; "
                                       "or resolve a path as `ipfs resolve`",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", metavar="KIND|PATH",
                   help=f"one of {', '.join(sorted(_KINDS))}; or an /ipfs/ or /ipns/ path (or CID/path)")
    p.add_argument("code", nargs="?", help="name or code, e.g. git-raw, 0x78, keccak-256; chunkers as add --chunker "
                                           "spells them (fastcdc, buzhash-..., rabin) or by module name")
    p.add_argument("--json", action="store_true", help="print DAG-JSON")
    bool_flag(p, "-r", "recursive", True, "with a PATH: follow names until the path is content (default); "
                                          "--recursive=false: the first name's value, the rest joined under it")
    # Kubo's DHT options, taken and unused: names are resolved from records (home, gateway, node), no DHT
    p.add_argument("--dht-record-count", "--dhtrc", dest="dht_record_count", help=argparse.SUPPRESS)
    p.add_argument("--dht-timeout", "--dhtt", dest="dht_timeout", help=argparse.SUPPRESS)
    add_cid_base_option(p)
    add_enc_option(p, 'a path: {"Path"}; a code: as --json')
    add_source_options(p)
    p.set_defaults(func=run)


def _chunker_module(text: str) -> str | None:
    """The module name behind a chunker as ``add --chunker`` spells it (``fastcdc-MIN-AVG-MAX``,
    ``buzhash``, ``rabin...``); None for the native ``size-N``; other text is taken as a name."""
    family = text.split("-", 1)[0]
    if "-" in text and family in ("size", "fastcdc", "buzhash", "rabin"):  # parameters: checked as add checks them
        from ..unixfs import parse_chunker

        return parse_chunker(text).module
    if family == "size":
        return None
    if family in ("fastcdc", "buzhash", "rabin"):
        return f"chunker-{family}"
    return text


def run(args: argparse.Namespace) -> int:
    if args.kind not in _KINDS:
        return _run_path(args)
    if args.code is None:
        from ..errors import InvalidInput

        raise InvalidInput(f"resolve {args.kind} needs the name or code to resolve", hint=f"e.g. resolve {args.kind} NAME")
    return _run_code(args)


def _run_path(args: argparse.Namespace) -> int:
    """Kubo's ``ipfs resolve PATH``: ``/ipfs/CID[/rest]`` of the last block the path reaches
    (the ``/ipns/`` name was resolved before: ``_ipns_paths``)."""
    from ..dag import parse_path, resolve_cid
    from ..errors import InvalidInput
    from ._home_check import require_home
    from ._cidbase import cid_text, resolved_text
    from ._io import write_line
    from ._ipns_paths import ipfs_path_of, is_ipns_path, one_hop_of
    from ._local_modules import open_runtime

    if args.code is not None or args.json:  # --enc=json is a path's {"Path"}
        raise InvalidInput(f"{args.kind!r} is no kind of extension ({', '.join(sorted(_KINDS))})",
                           hint="give a kind and a code, or one path to resolve")
    named = is_ipns_path(args.kind)
    if named and not args.recursive:  # one name's value, its path not resolved (Kubo: -r=false)
        hop = one_hop_of(args.kind, args)
        write_line(enc_line(args, hop, {"Path": hop}))
        return 0
    path = parse_path(ipfs_path_of(args.kind, args) if named else args.kind)
    if not (args.node or args.gateway):
        require_home("resolve")
    with open_runtime(args) as rt:
        cid, remainder = resolve_cid(rt, path, limits=rt.limits)
    # Kubo: an /ipfs/ path lends its base (CidEncoderFromPath); a name does not (base32, a CIDv0 kept)
    text = cid_text(cid, args.cid_base) if named else resolved_text(path.root, path.root_text, cid, args.cid_base)
    found = "/ipfs/" + text + "".join("/" + segment for segment in remainder)
    write_line(enc_line(args, found, {"Path": found}))
    return 0


def _run_code(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..registry import Runtime
    from ._io import write_line

    kind, code = _KINDS[args.kind], args.code
    if kind == "chunker":
        code = _chunker_module(code)
        if code is None:
            write_line(f"chunker {args.code}: builtin — fixed-size chunking is native (no module)")
            return 0
    from ..codes import codec_code, hash_code, key_type_code
    from ._home_check import require_home

    normalize = {"codec": codec_code, "hasher": hash_code, "crypto": key_type_code}.get(kind)
    if normalize is not None:
        normalize(code)  # an unparseable code is refused before anything else
    require_home("resolve")
    with Runtime() as rt:
        res = rt.resolve(kind, code)
    if args.json or args.enc == "json":
        write_line(builtin.to_dag_json_text(res.to_value()))
    else:
        shown = args.code if code == args.code else f"{args.code} (module {code})"
        write_line(f"{res.kind} {shown}: {res.source} — {res.why}")
        for label, value in (("module", res.module), ("manifest", res.manifest), ("name", res.name),
                             ("version", res.version), ("publisher", res.publisher), ("set", res.set_name),
                             ("set version", res.set_version), ("policy", res.policy)):
            if value is not None:
                write_line(f"  {label}: {value}")
    return 0 if res.found else 1
