"""``autocodec pin add|ls|update|repair|rm``: trust extension sets, follow their verified updates."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ._cidbase import add_cid_base_option, cid_text
from ._kubo import add_enc_option, bool_flag, go_json
from ._options import nonempty
from ._text import clean

PIN_TYPES = ("all", "recursive", "direct", "indirect")
"""Kubo 0.43.1's ``pin ls --type`` values; a pinned set is a recursive pin of its index."""

EPILOG = """examples:
  autocodec pin add bundle.car                      # a set exported with `autocodec set export`
  autocodec pin add /ipns/NAME --gateway https://trustless-gateway.link   # records verified here
  autocodec pin add /ipns/NAME --node /ip4/127.0.0.1/tcp/5001
  autocodec pin add /ipns/sets.example.org --gateway URL   # by DNSLink ([dns.resolvers]); versions verified
  autocodec pin ls
  autocodec pin update                              # newer verified versions, canaried
"""


def register(sub: Any) -> None:
    p = sub.add_parser("pin", help="pin trusted extension sets and update them",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ps = p.add_subparsers(dest="pin_command", metavar="ACTION")
    ps.required = True
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
    ls = ps.add_parser("ls", help="list pinned sets (each set's signed index, a recursive pin in Kubo's terms)")
    ls.add_argument("--type", "-t", default="all", choices=PIN_TYPES,
                    help="Kubo's pin type (default all): all and recursive list every set, direct and indirect none")
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
    up.add_argument("--index", metavar="CID", type=nonempty("the new version's CID"),
                    help="the new version's CID, for sets without an update channel")
    up.set_defaults(func=run_update)
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
    return f"{state} {result.name} v{result.version} {result.index_cid} ({modules}) from {result.location.describe()}"


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
    from ..registry import Runtime, pin_ls
    from ._io import write_line

    with Runtime() as rt:
        pins = list(pin_ls(rt)) if args.type in ("all", "recursive") else []
    if args.name is not None:
        pins = [pin for pin in pins if args.name in pin.name]
        args.names = True
    if args.enc == "json":
        for line in _kubo_pin_json(pins, args):
            write_line(line)
        return 0
    for pin in pins:
        write_line(cid_text(pin.index_cid, args.cid_base) if args.quiet else _pin_row(pin, args.cid_base))
    return 0


def _pin_row(pin: Any, base: str | None) -> str:
    """A pinned set as one tab-separated line of ``pin ls``'s text form."""
    import time

    left = pin.expires - int(time.time())
    expiry = f"expires in {left // 86400}d" if left > 0 else "EXPIRED"
    entries = f"{pin.entries} entr{'y' if pin.entries == 1 else 'ies'}"
    return (f"{pin.name}\tv{pin.version}\t{cid_text(pin.index_cid, base)}\t{entries}\t{expiry}\t"
            f"{pin.location.describe()}\tset {pin.set_id}")


def _kubo_pin_json(pins: list[Any], args: argparse.Namespace) -> list[str]:
    """The pins as Kubo 0.43.1's ``pin ls --enc=json`` writes them (each a recursive pin of the
    set's index; lines without their newline): one ``{"Keys":{CID:{"Type","Name"}}}`` object,
    keys sorted as Go sorts a map's, ``{}`` when there is none; with ``--stream`` one
    ``{"Cid","Name"?,"Type"}`` object a line. ``Name`` is the set's name with ``--names``, else
    empty (left out when streamed), as Kubo's."""
    rows = [(cid_text(pin.index_cid, args.cid_base), pin.name if args.names else "") for pin in pins]
    if args.stream:
        return [go_json({"Cid": cid, **({"Name": name} if name else {}), "Type": "recursive"})[:-1]
                for cid, name in rows]
    keys = {cid: {"Type": "recursive", "Name": name} for cid, name in sorted(rows)}
    return [go_json({"Keys": keys} if keys else {})[:-1]]


def run_update(args: argparse.Namespace) -> int:
    from ..cid import CID
    from ..registry import Runtime, pin_update

    with Runtime() as rt:
        results = pin_update(rt, args.name, index=CID.parse(args.index) if args.index else None)
    return _report(results, _describe)


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
