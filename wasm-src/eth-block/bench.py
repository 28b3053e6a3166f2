"""Measure eth-block decoding: one call per header, batched, and pyrlp (Python) for scale.

Run: ``python wasm-src/eth-block/bench.py``.  Prints microseconds per header.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import rlp

from autocodec.loader import Sandbox

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "fixtures" / "eth"


def per_item(fn, n: int, repeat: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best / n * 1e6


def main() -> None:
    manifest = json.loads((FIXTURES / "headers.json").read_text())
    blocks = [(FIXTURES / m["file"]).read_bytes() for m in manifest] * 143  # ~1000 headers
    codec = Sandbox().load((HERE / "eth-block.wasm").read_bytes()).codec()
    n = len(blocks)
    single = per_item(lambda: [codec.decode(b) for b in blocks], n, 3)
    batched = per_item(lambda: codec.decode_many(blocks), n)
    pyrlp = per_item(lambda: [rlp.decode(b) for b in blocks], n)
    print(f"eth-block decode, {n} headers: single {single:.1f} us/header, batched {batched:.1f} us/header, "
          f"pyrlp rlp.decode (bytes list only) {pyrlp:.1f} us/header")


if __name__ == "__main__":
    main()
