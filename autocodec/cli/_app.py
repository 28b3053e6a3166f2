"""Builds the argument parser from the ``cmd_*`` modules and runs a command."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import AutocodecError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autocodec",
        description="Signed, content-addressed Wasm codecs, hashers, chunkers and crypto for IPFS.",
    )
    parser.add_argument("--version", action="version", version=f"autocodec {__version__}")
    parser.add_argument("--home", help="home folder (default $AUTOCODEC_HOME or ~/.autocodec)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log decisions (-vv: debug)")
    parser.add_argument("--log-json", action="store_true", help="structured logs as JSON lines on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    package = importlib.import_module(__package__ or "autocodec.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{package.__name__}.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.home:
        os.environ["AUTOCODEC_HOME"] = args.home
    from .. import log

    level = {0: None, 1: "info"}.get(args.verbose, "debug")
    log.configure(level=level, json=True if args.log_json else None)
    try:
        status = args.func(args)
    except AutocodecError as exc:
        print(f"autocodec: {type(exc).__name__}: {exc.one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("autocodec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
