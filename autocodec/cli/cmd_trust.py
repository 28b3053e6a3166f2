"""``autocodec trust add|ls|revoke``: the user's allow-list and revocations, and pinned sets."""

from __future__ import annotations

import argparse
from typing import Any

from ._actions import command_with_actions
from .._gotime import format_unix_time

EPILOG = """examples:
  autocodec trust add did:key:z6Mk... --codes 0x300000-0x3fffff
  autocodec trust ls
  autocodec trust revoke did:key:z6Mk... --reason "key leaked"   # permanent: cannot be lifted
"""


def register(sub: Any) -> None:
    tsub = command_with_actions(sub, "trust", "allow-list publishers or modules, revoke keys or manifests", EPILOG)
    add = tsub.add_parser("add", help="trust a publisher DID (optionally only for code ranges) or a module CID")
    add.add_argument("target", metavar="DID|CID")
    add.add_argument("--codes", metavar="RANGE",
                     help="only these codes, e.g. 0x300000-0x3fffff or 0x78,0x7b (publishers only)")
    add.set_defaults(func=run_add)
    ls = tsub.add_parser("ls", help="list pinned sets, allow-listed publishers and modules, revocations")
    ls.set_defaults(func=run_ls)
    rev = tsub.add_parser("revoke", help="revoke a key (DID), a manifest or a module (CID) for good: "
                                         "a revocation cannot be lifted",
                          description="Revoke a publisher's key (DID), a manifest or a module (CID) in this home. "
                                      "This is permanent: no command lifts a revocation, so a leaked key or a bad "
                                      "module never becomes trusted again. A pinned set's own CID (its id or index) "
                                      "is refused: a set is unpinned with `autocodec pin rm`, not revoked.")
    rev.add_argument("target", metavar="DID|CID")
    rev.add_argument("--reason", default="", help="why (kept with the revocation)")
    rev.set_defaults(func=run_revoke)


def _store() -> Any:
    from ..home import Home
    from ._runtime import home_limits
    from ..verify import TrustStore

    home = Home.resolve().init()
    return TrustStore.open(home, limits=home_limits(home))  # its busy timeout


def run_add(args: argparse.Namespace) -> int:
    from ..verify import format_ranges, parse_ranges
    from ._io import write_line

    ranges = None if args.codes is None else parse_ranges(args.codes)  # "" or blanks: refused
    with _store() as store:
        target = store.allow(args.target, ranges)
    write_line(f"trusted {target} for codes {format_ranges(ranges or ())}" if target.startswith("did:")
               else f"trusted module {target}")
    return 0


def run_ls(args: argparse.Namespace) -> int:
    from ..verify import format_ranges
    from ._io import write_line

    with _store() as store:
        sets, allowed, revoked = store.sets(), store.allowed(), store.revocations()
    write_line(f"pinned sets ({len(sets)}):")
    for s in sets:
        write_line(f"  {s.name}\t{s.set_id}\troot v{s.root_version}\tindex v{s.index_version}\t"
                   f"{s.entries} entr{'y' if s.entries == 1 else 'ies'}\texpires {format_unix_time(s.expires)}")
    write_line(f"allowed ({len(allowed)}):")
    gone = {target for target, *_ in revoked}
    for rule in allowed:
        scope = f"codes {format_ranges(rule.ranges)}" if rule.target.startswith("did:") else "module"
        # the revocation wins: say so where the allowance is read, not only in the list below
        write_line(f"  {rule.target}\t{scope}" + ("\t(revoked: refused)" if rule.target in gone else ""))
    write_line(f"revoked ({len(revoked)}):")
    for target, what, reason, at in revoked:
        write_line(f"  {target}\t{what}\t{format_unix_time(at)}\t{reason}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from ._io import write_line

    with _store() as store:
        target = store.revoke(args.target, args.reason)
    write_line(f"revoked {target}")
    return 0
