"""``autocodec refs``: the links of DAG nodes, as Kubo's ``ipfs refs`` prints them.

Kubo's options under Kubo's names (``-r/--recursive``, ``-u/--unique``, ``-e/--edges``,
``--format`` with ``<src>``, ``<dst>`` and ``<linkname>``, ``--max-depth``, ``--cid-base``) and
its output, one reference a line as it is found, for nodes of every codec the runtime decodes
(git, Ethereum and the rest through their extensions). Checked against Kubo v0.43.1 in
tests/test_refs_kubo.py. One difference: a link name is printed without its control characters
but tab (as every line this CLI prints; Kubo prints the name as it is).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._kubo import add_enc_option, bool_flag, go_int
from ._runtime import add_source_options

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable, Iterator

    from ..cid import CID
    from ..dag._refs import LinksOf
    from ..registry import Runtime

REFS_EPILOG = """examples:
  autocodec refs CID                          # the CIDs CID links to
  autocodec refs -r -u CID                    # every block under CID, each once
  autocodec refs -r --format '<src> -> <dst> <linkname>' /ipfs/CID/docs
  autocodec refs local                        # every stored block, as Kubo's `ipfs refs local`
"""


def register(sub: Any) -> None:
    refs = sub.add_parser("refs", help="list the links of DAG nodes (Kubo's `ipfs refs`)", epilog=REFS_EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    refs.add_argument("paths", nargs="+", metavar="CID[/PATH]",
                      help="the nodes whose links to list; `local` alone lists every stored block")
    refs.add_argument("--format", default="<dst>", metavar="FORMAT",
                      help="each reference as FORMAT with <src>, <dst> and <linkname> replaced (default <dst>)")
    bool_flag(refs, "-e", "edges", False, "each reference as `<src> -> <dst>`")
    bool_flag(refs, "-u", "unique", False, "list each node once")
    bool_flag(refs, "-r", "recursive", False, "list the links of the linked nodes too")
    refs.add_argument("--max-depth", type=go_int, default=-1, metavar="N",
                      help="with -r, walk at most N levels down (default -1: no limit)")
    from ._cidbase import add_cid_base_option

    add_cid_base_option(refs)
    add_enc_option(refs, 'one {"Ref", "Err"} a reference')
    add_source_options(refs)
    refs.set_defaults(func=run_refs)


def run_refs(args: argparse.Namespace) -> int:
    from ..dag import resolve
    from ..dag._refs import RefWalk
    from ..errors import InvalidInput
    from ._cidbase import cid_text
    from ._io import write_line
    from ._kubo import enc_line
    from ._local_modules import open_runtime

    if args.paths == ["local"]:  # not a CID in any multibase ('l' is none)
        return _refs_local(args)
    fmt = args.format
    if args.edges:
        if fmt != "<dst>":
            raise InvalidInput("using format argument with edges is not allowed")
        fmt = "<src> -> <dst>"
    fmt = fmt or "<dst>"  # Kubo: an empty format is the default one (with edges it is refused above)
    with open_runtime(args) as runtime:
        roots = [resolve(runtime, path, limits=runtime.limits).cid for path in args.paths]
        walk = RefWalk(runtime.get, _links_of(runtime), args.unique, args.max_depth if args.recursive else 1)
        for source, target, name in walk.refs(roots):
            line = (fmt.replace("<src>", cid_text(source, args.cid_base))
                    .replace("<dst>", cid_text(target, args.cid_base)).replace("<linkname>", name))
            write_line(enc_line(args, line, {"Ref": line, "Err": ""}))
    return 0


def _refs_local(args: argparse.Namespace) -> int:
    """Kubo's ``refs local``: every block the store holds, each once, named as Kubo's blockstore
    (keyed by multihash) names it: a CIDv1 of the raw codec, whatever the block's codec."""
    from ..cid import CID
    from ._io import write_lines
    from ._kubo import enc_line
    from ._local_modules import open_runtime

    def once_each(cids: "Iterable[CID]") -> "Iterator[str]":
        seen: set[bytes] = set()
        for cid in cids:
            if cid.multihash not in seen:
                seen.add(cid.multihash)
                ref = str(CID.build(0x55, cid.multihash))
                yield enc_line(args, ref, {"Ref": ref, "Err": ""})

    with open_runtime(args) as runtime:
        write_lines(once_each(runtime.store))
    return 0


def _links_of(runtime: "Runtime") -> "LinksOf":
    """A node's links with their names: DAG-PB's named as in the node, any other codec's ""."""
    from .. import builtin

    def links_of(cid: "CID", data: bytes) -> list[tuple["CID", str]]:
        if cid.codec == 0x70:
            node = builtin.decode(data, "dag-pb")
            return [(link["Hash"], str(link.get("Name", ""))) for link in node["Links"]]
        return [(link, "") for link in runtime.links(cid, data)]

    return links_of
