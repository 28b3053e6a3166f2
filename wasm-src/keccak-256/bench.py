"""Measure the keccak-256 module against pycryptodome (reference C implementation).

Run: ``python wasm-src/keccak-256/bench.py``.  Prints MB/s for 1 MiB one-shot digests and a
streamed 16 MiB; the team target is within 3x of pycryptodome.
"""

from __future__ import annotations

import time
from pathlib import Path

from Crypto.Hash import keccak

from autocodec.loader import Sandbox, xorshift_bytes

MODULE = Path(__file__).resolve().parent / "keccak-256.wasm"


def rate(fn, nbytes: int, repeat: int = 10) -> float:
    fn()  # warm up (compiles, caches)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return nbytes / best / 1e6


def main() -> None:
    hasher = Sandbox().load(MODULE.read_bytes()).hasher()
    data = xorshift_bytes(1, 1 << 20)
    assert hasher.digest(data) == keccak.new(digest_bits=256, data=data).digest()
    wasm = rate(lambda: hasher.digest(data), len(data))
    ref = rate(lambda: keccak.new(digest_bits=256, data=data).digest(), len(data))
    big = data * 16

    def streamed() -> bytes:
        s = hasher.stream()
        s.update(big)
        return s.final()

    stream = rate(streamed, len(big), 3)
    print(f"keccak-256 1 MiB one shot: wasm {wasm:.0f} MB/s, pycryptodome {ref:.0f} MB/s, ratio {ref / wasm:.2f}x")
    print(f"keccak-256 16 MiB streamed: wasm {stream:.0f} MB/s")


if __name__ == "__main__":
    main()
