#!/usr/bin/env python3
"""Measure the git-raw module on this repository's own objects (not a test; prints numbers).

Usage: ``python wasm-src/git-raw/bench.py [--limit N]`` from a git checkout.  Reports, per
object kind, decode time per object one call at a time and batched (``decode_many``), the
encode time, and dulwich's pure parse of the same commits for scale.  Best of 3 runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from autocodec.loader import Sandbox  # noqa: E402


def objects(limit: int) -> list[tuple[str, bytes]]:
    listing = subprocess.run(["git", "-C", str(REPO), "rev-list", "--objects", "--all"],
                             capture_output=True, check=True, text=True).stdout
    oids = [line.split()[0] for line in listing.splitlines() if line][:limit]
    raw = subprocess.run(["git", "-C", str(REPO), "cat-file", "--batch"], input="\n".join(oids).encode() + b"\n",
                         capture_output=True, check=True).stdout
    out, pos = [], 0
    while pos < len(raw):
        eol = raw.index(b"\n", pos)
        _oid, kind, size = raw[pos:eol].decode().split()
        body = raw[eol + 1 : eol + 1 + int(size)]
        out.append((kind, f"{kind} {len(body)}\0".encode() + body))
        pos = eol + 2 + int(size)
    return out


def best(fn: Callable[[], object], runs: int = 3) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=3000)
    args = ap.parse_args()
    codec = Sandbox().load((HERE / "git-raw.wasm").read_bytes()).codec()
    blocks = objects(args.limit)
    print(f"{'kind':8} {'n':>5} {'avg B':>8} {'single us':>10} {'batched us':>11} {'encode us':>10}")
    for kind in ("commit", "tree", "blob", "tag"):
        bl = [b for k, b in blocks if k == kind]
        if not bl:
            continue
        values = codec.decode_many(bl)
        single = best(lambda: [codec.decode(b) for b in bl]) / len(bl)
        batched = best(lambda: codec.decode_many(bl)) / len(bl)
        enc = best(lambda: [codec.encode(v) for v in values]) / len(bl)
        avg = sum(map(len, bl)) / len(bl)
        print(f"{kind:8} {len(bl):5d} {avg:8.0f} {single * 1e6:10.1f} {batched * 1e6:11.1f} {enc * 1e6:10.1f}")
    try:
        from dulwich.objects import Commit
    except ImportError:
        return
    commits = [b[b.index(b"\0") + 1 :] for k, b in blocks if k == "commit"]
    if commits:
        t = best(lambda: [Commit.from_raw_string(Commit.type_num, c).author for c in commits]) / len(commits)
        print(f"dulwich commit parse (native Python, no sandbox): {t * 1e6:.1f} us")


if __name__ == "__main__":
    main()
