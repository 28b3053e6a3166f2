"""``autocodec bench [--json] [--quick] [--strict] [--group G]``: measure against peers.

Runs every benchmark group in this process and prints an aligned table (or, with ``--json``,
one JSON object with each figure's median in ns, every ratio and the machine). Exit status
is 0 whatever the numbers unless ``--strict``, which exits 1 when a target does not pass.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# The group names, spelled out so that registering the command does not import the bench
# (every command's start-up would pay for it); tests/test_bench.py checks they match GROUPS.
GROUP_NAMES = ("calls", "dag-cbor", "codecs", "hashers", "chunkers", "load", "threads", "memory", "cli", "bounds", "bao", "kubo")


EPILOG = """examples:
  autocodec bench --quick
  autocodec bench --group cli --group dag-cbor --json
  autocodec bench --strict          # exit 1 when a target does not pass
"""


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure autocodec next to peer libraries (pip install 'autocodec[bench]')", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print one JSON object (medians in ns, ratios, machine)")
    p.add_argument("--quick", action="store_true",
                   help="5 rounds, smaller chunker and batch inputs: a group in about a fifth of its full "
                        "time, though all groups together still take minutes")
    p.add_argument("--strict", action="store_true", help="exit 1 if any target does not pass")
    p.add_argument("--group", action="append", choices=GROUP_NAMES, metavar="GROUP",
                   help=f"only this group (repeatable): {', '.join(GROUP_NAMES)}")
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from ..bench import BenchConfig, format_table, run
    from ._io import write_line

    config = BenchConfig.quick() if args.quick else BenchConfig()

    def progress(group: str) -> None:
        print(f"bench: {group}...", file=sys.stderr, flush=True)

    report = run(config, args.group, progress=progress)
    if args.json:
        write_line(json.dumps(report.to_json(), indent=1))
    else:
        write_line(format_table(report))
    return 1 if args.strict and report.failed() else 0
