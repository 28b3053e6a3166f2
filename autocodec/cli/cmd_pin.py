"""``autocodec pin add|ls|update|verify|repair|rm``: trust extension sets, follow their verified updates."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._actions import command_with_actions
from ._cidbase import add_cid_base_option, cid_text
from ._kubo import add_enc_option, bool_flag, go_json
from ._options import nonempty
from ._text import clean

PIN_TYPES = ("all", "recursive", "direct", "indirect")
"""Kubo 0.43.1's ``pin ls --type`` values; a pinned set is a recursive pin of its index."""


def pin_type(text: str) -> str:
    """``pin ls --type``'s value, one of ``PIN_TYPES``; another is refused in Kubo 0.43.1's words
    (``invalid type 'x', must be one of {direct, indirect, recursive, all}``)."""
    if text not in PIN_TYPES:
        raise argparse.ArgumentTypeError(f"invalid type {text!r}, must be one of "
                                          "{direct, indirect, recursive, all} (give one of them, or leave -t out)")
    return text

EPILOG = """examples:
  autocodec pin add bundle.car                      # a set exported with `autocodec set export`
  autocodec pin add /ipns/NAME --gateway https://trustless-gateway.link   # records verified here
  autocodec pin add /ipns/NAME --node /ip4/127.0.0.1/tcp/5001
  autocodec pin add /ipns/sets.example.org --gateway URL   # by DNSLink ([dns.resolvers]); versions verified
  autocodec pin ls                                  # each set's index (recursive) and the blocks it keeps (indirect)
  autocodec pin ls CID                              # is this block pinned, and through which set
  autocodec pin verify                              # every block the sets keep is here and hashes to its CID
  autocodec pin update                              # newer verified versions, canaried
"""


def register(sub: Any) -> None:
    ps = command_with_actions(sub, "pin", "pin trusted extension sets and update them", EPILOG)
    add = ps.add_parser("add", help="pin a set version (SET_CID), an IPNS name or DNSLink domain (/ipns/...) "
                                    "or a bundle CAR")
    add.add_argument("target", metavar="SET_CID|/ipns/NAME|bundle.car")
    add.add_argument("--node", metavar="ADDR", type=nonempty("a node's address"), help="fetch the set from this IPFS node (RPC API)")
    add.add_argument("--gateway", metavar="URL", help="fetch the set (and an IPNS name's records, verified here) from this trustless gateway")
    add.add_argument("--override", action="store_true",
                     help="let this set take over codecs, hashers and names that sets pinned earlier serve")
    add_enc_option(add, "Kubo's pin add JSON: {\"Pins\":[the set's index CID]}")
    add_cid_base_option(add)
    add.set_defaults(func=run_add)
    ls = ps.add_parser("ls", help="list pinned sets (each set's signed index, a recursive pin in Kubo's terms) "
                                  "and the blocks they keep (indirect pins)")
    ls.add_argument("paths", nargs="*", metavar="CID|/ipfs/PATH",
                    help="only these blocks: each one's pin type (recursive, or indirect through a set's index); "
                         "one not pinned is an error, as Kubo")
    ls.add_argument("--type", "-t", default="all", type=pin_type, metavar="{" + ",".join(PIN_TYPES) + "}",
                    help="Kubo's pin type (default all): recursive lists every set's index, indirect the blocks "
                         "the sets keep besides, direct none")
    bool_flag(ls, "-q", "quiet", False, "only the index CIDs, one a line")
    bool_flag(ls, "-s", "stream", False, "with --enc=json: one object a line, as Kubo's --stream")
    bool_flag(ls, None, "names", False, "with --enc=json: the set's name as the pin's Name, as Kubo's --names")
    ls.add_argument("--name", "-n", default=None, metavar="TEXT",
                    help="only the sets whose name holds TEXT (case-sensitive); implies --names, as Kubo")
    add_enc_option(ls, "Kubo's pin ls JSON: {\"Keys\":{CID:{\"Type\":\"recursive\",\"Name\":...}}}")
    add_cid_base_option(ls)
    ls.set_defaults(func=run_ls)
    up = ps.add_parser("update", help="apply newer verified versions from where each set was found")
    up.add_argument("name", nargs="?", help="one set (name or CID); default: all")
    up.add_argument("to", nargs="?", metavar="TO", type=nonempty("the new version's CID"),
                    help="the new version's CID (Kubo's pin update FROM TO); the same as --index")
    up.add_argument("--index", metavar="CID", type=nonempty("the new version's CID"),
                    help="the new version's CID, for sets without an update channel")
    bool_flag(up, None, "unpin", True, "Kubo's: --unpin=false is refused (a set keeps one version pinned)")
    add_enc_option(up, "Kubo's pin update JSON: {\"Pins\":[old index CID, new index CID]} for each set updated")
    add_cid_base_option(up)
    up.set_defaults(func=run_update)
    ver = ps.add_parser("verify", help="check every block the pinned sets keep is in the store and hashes to its CID")
    bool_flag(ver, None, "verbose", False, "also write the sets whose blocks are all right, as Kubo")
    bool_flag(ver, "-q", "quiet", False, "only the index CIDs of broken sets, as Kubo")
    add_enc_option(ver, "Kubo's pin verify JSON: {\"Cid\":...,\"BadNodes\":[{\"Cid\",\"Err\"}]} a line")
    add_cid_base_option(ver)
    ver.set_defaults(func=run_verify)
    fix = ps.add_parser("repair", help="fetch back blocks that pinned sets need and the store lost (verified)")
    fix.add_argument("name", nargs="?", help="one set (name or CID); default: all")
    fix.set_defaults(func=run_repair)
    rm = ps.add_parser("rm", help="unpin a set (its modules stop being trusted)")
    rm.add_argument("name", help="set name or CID")
    add_enc_option(rm, "Kubo's pin rm JSON: {\"Pins\":[the set's index CID]}")
    add_cid_base_option(rm)
    rm.set_defaults(func=run_rm)


def _describe(result: Any) -> str:
    state = "pinned" if result.changed else "already at"
    modules = f"{result.modules} module" + ("" if result.modules == 1 else "s")
    line = f"{state} {result.name} v{result.version} {result.index_cid} ({modules}) from {result.location.describe()}"
    return line + _override_note(result)


def _override_note(result: Any) -> str:
    """What ``--override`` changed, when it changed something: the entries the set took over."""
    from ..codes import entry_name

    if result.taken_over:
        shown = [f"{kind} {entry_name(kind, key)} (from set {other!r})" for kind, key, other in result.taken_over]
        more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        return f"; now serves {', '.join(shown[:5])}{more}"
    if result.overridden:
        return "; may now take over what sets pinned earlier serve (none serves one of its entries now)"
    return ""


def run_add(args: argparse.Namespace) -> int:
    from ..errors import InvalidDocument, UnsupportedFormat
    from ..progress import stderr_progress
    from ..registry import Runtime, pin_add
    from ._io import write_line

    _check_target(args.target)
    with Runtime(node=args.node, gateways=[args.gateway] if args.gateway else ()) as rt:
        try:
            result = pin_add(rt, args.target, node=args.node, gateway=args.gateway,
                             progress=stderr_progress("fetching modules"), override=args.override)
        except (InvalidDocument, UnsupportedFormat) as exc:
            _explain_ordinary_car(args.target, exc)
            raise
    write_line(_kubo_pins(args, result.index_cid) if args.enc == "json" else _describe(result))
    if result.shadowed:
        print(_shadowed_note(result), file=sys.stderr)
    return 0


def _kubo_pins(args: argparse.Namespace, index: Any) -> str:
    """Kubo 0.43.1's ``pin add``/``pin rm --enc=json`` line for a set: ``{"Pins":[its index CID]}``."""
    return go_json({"Pins": [cid_text(index, args.cid_base)]})[:-1]


def _shadowed_note(result: Any) -> str:
    """One line naming the entries of a pinned set that sets pinned before it serve instead."""
    from ..codes import entry_name

    shown = [f"{kind} {entry_name(kind, key)} (set {other!r})" for kind, key, other in result.shadowed]
    listed = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
    return (f"autocodec: {result.name} does not serve {listed}: the set named serves it first; "
            f"pin {result.name} again with --override to let it take over")


def _check_target(target: str) -> None:
    """A target that is neither an existing file nor a CID (nor an IPNS path) says so, instead
    of a CID parser's complaint about what may be a misspelt file name."""
    import os

    from ..cid import CID
    from ..errors import InvalidCID

    if target.startswith("/ipns/") or os.path.exists(target):
        return
    if target.endswith(".car"):
        from ..errors import InvalidInput

        raise InvalidInput(f"cannot read {target}: no such file", hint="check the path of the bundle CAR")
    try:
        CID.parse(target)
    except InvalidCID:
        raise InvalidCID(f"{target!r} is neither an existing file nor a CID",
                         hint="name a bundle CAR made by `autocodec set export`, a set CID, or /ipns/NAME") from None


def _explain_ordinary_car(target: str, exc: Exception) -> None:
    """Raise a clearer error when ``target`` is a CAR file whose root is not an extension set."""
    from pathlib import Path

    from ..errors import InvalidInput
    from ..store import CarReader

    path = Path(target)
    if not path.is_file():
        return
    from .. import builtin

    looks_like_set = False
    try:
        with open(path, "rb") as stream:
            reader = CarReader(stream)
            roots = list(reader.roots)
            if len(roots) == 1 and roots[0].codec == 0x71:  # a bundle's root: the signed index envelope
                for cid, data in reader:
                    if cid == roots[0]:
                        value = builtin.decode(data, "dag-cbor")
                        looks_like_set = isinstance(value, dict) and "payloadType" in value
                        break
    except Exception:  # noqa: BLE001 - not a readable CAR: the original error stands
        return
    if not looks_like_set:
        shown = ", ".join(str(r) for r in roots[:3]) or "none"
        raise InvalidInput(f"{target} is a CAR of ordinary blocks (roots: {shown}), not an extension set bundle",
                           hint="import data with `autocodec dag import`; pin takes a bundle made by "
                                "`autocodec set export`") from exc


def run_ls(args: argparse.Namespace) -> int:
    from ..registry import Runtime

    if args.name is not None:
        args.names = True  # as Kubo: a name filter implies the names
    with Runtime() as rt:
        pins = rt.pins.ls()
        rows = _rows_for(rt, pins, args) if args.paths else _all_rows(rt, pins, args)
        if not args.stream:
            rows = iter(list(rows))  # as Kubo: the whole answer or its error, nothing before it
        _write_rows(rows, args)
    return 0


Row = tuple[str, str, str, Any]
"""One pin as ``pin ls`` lists it: (CID text, Kubo's type, name or "", the set's ``PinInfo`` for a
recursive pin listed without arguments, else None)."""


def _all_rows(rt: Any, pins: list[Any], args: argparse.Namespace) -> Iterator[Row]:
    """Every pin of ``--type`` as Kubo 0.43.1 lists them: the recursive pins (each set's index)
    whose name holds ``--name``, then the indirect ones (``Pins.indirect``: never a name, so a
    name filter leaves them out, as Kubo's)."""
    if args.type in ("all", "recursive"):
        for pin in pins:
            if args.name is None or args.name in pin.name:
                yield cid_text(pin.index_cid, args.cid_base), "recursive", pin.name if args.names else "", pin
    if args.type in ("all", "indirect"):
        for cid, _pin in rt.pins.indirect(pins):
            if not args.name:
                yield cid_text(cid, args.cid_base), "indirect", "", None


def _rows_for(rt: Any, pins: list[Any], args: argparse.Namespace) -> Iterator[Row]:
    """Kubo 0.43.1's ``pin ls PATH...``: each argument's block with its pin type (``recursive``,
    or ``indirect through INDEX``) in argument order; the first one not pinned (as ``--type``
    counts pins) is ``NotFound``: ``path 'ARG' is not pinned``."""
    from ..errors import NotFound

    recursive = {bytes(pin.index_cid.to_v1()): pin for pin in pins} if args.type in ("all", "recursive") else {}
    indirect: dict[bytes, Any] | None = None
    for text in args.paths:
        cid = _path_cid(rt, text)
        key = bytes(cid.to_v1())
        pin = recursive.get(key)
        if pin is not None:
            yield cid_text(cid, args.cid_base), "recursive", pin.name if args.names else "", None
            continue
        if indirect is None:
            wanted = args.type in ("all", "indirect")
            indirect = {bytes(c.to_v1()): p for c, p in rt.pins.indirect(pins)} if wanted else {}
        via = indirect.get(key)
        if via is None:
            raise NotFound(f"path '{text}' is not pinned",
                           hint="list the pins with `autocodec pin ls`")
        yield cid_text(cid, args.cid_base), f"indirect through {cid_text(via.index_cid, args.cid_base)}", "", None


def _path_cid(rt: Any, text: str) -> Any:
    """The block a ``pin ls`` argument names: a CID, or a path (``/ipfs/CID/a``, ``CID/a``)
    resolved across links, as Kubo resolves it."""
    from ..cid import CID

    if "/" not in text:
        return CID.parse(text)
    from ..dag import resolve

    return resolve(rt, text, limits=rt.limits).cid


def _write_rows(rows: Iterable[Row], args: argparse.Namespace) -> None:
    """The rows in ``--enc``'s form: Kubo 0.43.1's ``{"Keys":{...}}`` object (keys sorted as Go
    sorts a map's, ``{}`` for none) or with ``--stream`` one ``{"Cid","Name"?,"Type"}`` a line;
    in text the CIDs (``-q``), a set listed without arguments as its row (``_pin_row``), and
    any other pin as Kubo's ``CID TYPE[ NAME]``."""
    from ._io import write_line

    if args.enc == "json" and not args.stream:
        keys = {cid: {"Type": kind, "Name": name} for cid, kind, name, _ in sorted(rows, key=lambda r: r[0])}
        write_line(go_json({"Keys": keys} if keys else {})[:-1])
        return
    for cid, kind, name, pin in rows:
        if args.enc == "json":
            write_line(go_json({"Cid": cid, **({"Name": name} if name else {}), "Type": kind})[:-1])
        elif args.quiet:
            write_line(cid)
        elif pin is not None:
            write_line(_pin_row(pin, args.cid_base))
        else:
            write_line(f"{cid} {kind} {name}" if name else f"{cid} {kind}")


def _pin_row(pin: Any, base: str | None) -> str:
    """A pinned set as one tab-separated line of ``pin ls``'s text form."""
    import time

    left = pin.expires - int(time.time())
    expiry = f"expires in {left // 86400}d" if left > 0 else "EXPIRED"
    entries = f"{pin.entries} entr{'y' if pin.entries == 1 else 'ies'}"
    return (f"{pin.name}\tv{pin.version}\t{cid_text(pin.index_cid, base)}\t{entries}\t{expiry}\t"
            f"{pin.location.describe()}\tset {pin.set_id}")


def run_update(args: argparse.Namespace) -> int:
    from ..cid import CID
    from ..errors import InvalidInput
    from ..registry import Runtime, pin_update

    if args.to is not None and args.index is not None and args.to != args.index:
        raise InvalidInput("two new versions given (TO and the index CID)", hint="give the new version's CID once")
    if not args.unpin:
        raise InvalidInput("a set keeps one version pinned: the old one cannot stay pinned beside the new",
                           hint="update without keeping the old version; an older version stays in the store")
    index = args.to or args.index
    with Runtime() as rt:
        before = {str(pin.set_id): pin.index_cid for pin in rt.pins.ls()}
        results = pin_update(rt, args.name, index=CID.parse(index) if index else None)
    if args.enc == "json":
        return _report(results, lambda result: _kubo_update(args, before.get(str(result.set_id)), result))
    return _report(results, _describe)


def _kubo_update(args: argparse.Namespace, old: Any, result: Any) -> str:
    """Kubo 0.43.1's ``pin update --enc=json`` line for a set: ``{"Pins":[old index, new index]}``."""
    new = cid_text(result.index_cid, args.cid_base)
    return go_json({"Pins": [cid_text(old, args.cid_base) if old is not None else new, new]})[:-1]


def run_verify(args: argparse.Namespace) -> int:
    """Kubo 0.43.1's ``pin verify``: a line for each broken set (and with ``--verbose`` each
    sound one); exit 0 either way, as Kubo (``-q`` writes just the broken ones' CIDs)."""
    from ..errors import InvalidInput
    from ..registry import Runtime
    from ._io import write_line

    if args.verbose and args.quiet:
        raise InvalidInput("the --verbose and --quiet options can not be used at the same time",
                           hint="give one of them")
    with Runtime() as rt:
        for pin in rt.pins.ls():
            bad = rt.pins.bad_blocks(pin, rt.verify_block)
            if bad or args.verbose:
                for line in _verify_lines(cid_text(pin.index_cid, args.cid_base), bad, args):
                    write_line(line)
    return 0


def _verify_lines(cid: str, bad: list[tuple[Any, str]], args: argparse.Namespace) -> list[str]:
    """One set's verdict in Kubo's words: ``CID ok``, or ``CID broken`` and a ``  BLOCK: why``
    line for each bad block (``-q``: the CID alone); JSON ``{"Cid","Ok":true}`` or
    ``{"Cid","BadNodes":[...]}`` (``-q``: ``{"Cid"}``)."""
    nodes = [{"Cid": cid_text(block, args.cid_base), "Err": why} for block, why in bad]
    if args.enc == "json":
        status: dict[str, Any] = {"Ok": True} if not bad else ({} if args.quiet else {"BadNodes": nodes})
        return [go_json({"Cid": cid, **status})[:-1]]
    if args.quiet:
        return [cid]
    if not bad:
        return [f"{cid} ok"]
    return [f"{cid} broken", *(clean(f"  {node['Cid']}: {node['Err']}") for node in nodes)]


def run_repair(args: argparse.Namespace) -> int:
    from ..registry import Runtime, pin_repair

    with Runtime() as rt:
        results = pin_repair(rt, args.name)
    return _report(results, lambda result: f"repaired {result.name} v{result.version}: {result.modules} "
                                           f"block{'s' if result.modules != 1 else ''} "
                                           f"fetched back from {result.location.describe()}")


def _report(results: list[Any], describe: Callable[[Any], str]) -> int:
    """One line per pin: a result on stdout, an error on stderr; 1 when any pin failed."""
    import sys

    from ..errors import AutocodecError
    from ._io import write_line

    failed = 0
    for result in results:
        if isinstance(result, AutocodecError):
            failed += 1
            print(clean(f"autocodec: {type(result).__name__}: {result.one_line()}"), file=sys.stderr)
        else:
            write_line(describe(result))
    return 1 if failed else 0


def run_rm(args: argparse.Namespace) -> int:
    from ..registry import Runtime, pin_rm
    from ._io import write_line

    with Runtime() as rt:
        pin = pin_rm(rt, args.name)
    write_line(_kubo_pins(args, pin.index_cid) if args.enc == "json" else f"unpinned {pin.name} {pin.set_id}")
    return 0
