"""``autocodec init``: create the home folder, its block store, and pin the default extension set."""

from __future__ import annotations

import argparse
from typing import Any

from ._text import counted

EPILOG = """examples:
  autocodec init                      # ~/.autocodec, or $AUTOCODEC_HOME
  autocodec --home ./h init --no-default-set
"""


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create the home folder and its block store; pin the shipped extension set",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--no-default-set", action="store_true",
                   help="do not pin the extension set shipped with autocodec (builtins only until you pin one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..home import Home
    from ..registry import Runtime
    from ._io import write_line

    home = Home.resolve()
    existed = home.exists()
    with Runtime(home, default_set=not args.no_default_set) as rt:
        count = len(rt.store)
        pins = rt.pins.ls()
    state = f"existing store, {counted(count, 'block')}" if existed else "new store"
    write_line(f"initialised autocodec home {home.root} ({state})")
    for pin in pins:
        version = "" if pin.version is None else f" v{pin.version}"
        write_line(f"pinned extension set {pin.name}{version} ({counted(pin.entries, 'entry', 'entries')})")
    if not pins:
        write_line("no extension set pinned: builtin codecs only until one is (autocodec pin add)")
    return 0
