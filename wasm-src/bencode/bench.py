#!/usr/bin/env python3
"""Measure the bencode module on generated .torrent files (not a test; prints numbers).

Usage: ``python wasm-src/bencode/bench.py [--count N] [--pieces P]``.  Reports decode time
per torrent one call at a time and batched (``decode_many``), encode time, and fastbencode
(native Rust, no sandbox) for scale.  Best of 3 runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import fastbencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from autocodec.loader import Sandbox  # noqa: E402


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
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--pieces", type=int, default=50)
    args = ap.parse_args()
    rng = random.Random(1)
    torrents = [
        fastbencode.bencode({
            b"announce": b"http://tracker.example.org/announce",
            b"info": {b"files": [{b"length": rng.randrange(1 << 30), b"path": [b"dir", b"f%d" % j]} for j in range(5)],
                      b"name": b"t%d" % i, b"piece length": 1 << 18, b"pieces": rng.randbytes(20 * args.pieces)},
        })
        for i in range(args.count)
    ]
    codec = Sandbox().load((HERE / "bencode.wasm").read_bytes()).codec()
    values = codec.decode_many(torrents)
    n = len(torrents)
    avg = sum(map(len, torrents)) / n
    single = best(lambda: [codec.decode(t) for t in torrents]) / n
    batched = best(lambda: codec.decode_many(torrents)) / n
    enc = best(lambda: [codec.encode(v) for v in values]) / n
    ref = best(lambda: [fastbencode.bdecode(t) for t in torrents]) / n
    print(f"torrents n={n} avg {avg:.0f} B: decode single {single * 1e6:.1f} us, batched {batched * 1e6:.1f} us, "
          f"encode {enc * 1e6:.1f} us; fastbencode bdecode {ref * 1e6:.1f} us")


if __name__ == "__main__":
    main()
