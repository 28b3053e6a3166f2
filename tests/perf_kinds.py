"""Speed of the hasher, chunker and crypto modules in the sandbox (not a test: prints medians).

Run: ``.venv/bin/python tests/perf_kinds.py [--quick] [--best]``.

- BLAKE3 (wasm, through ``autocodec.loader``) next to the ``blake3`` package (native Rust).
- Chunkers: fixed, FastCDC, buzhash (wasm) next to the native fixed-size chunker of
  ``autocodec.unixfs`` and the raw speed of reading the same bytes.
- BIP-340 verifications per second (wasm).
- ``autocodec add`` (UnixFS import into a throw-away store) with each chunker.
"""

from __future__ import annotations

import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from autocodec.loader import Sandbox, xorshift_bytes

WASM = Path(__file__).resolve().parents[1] / "wasm-src"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def median_s(fn: Callable[[], object], runs: int) -> float:
    """Median seconds per run (use --best on a busy machine: the fastest run instead)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) if "--best" in sys.argv else statistics.median(times)


def main() -> None:
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7
    size = (8 if quick else 64) << 20
    data = xorshift_bytes(1, size)
    sandbox = Sandbox()
    load = lambda name: sandbox.load((WASM / name / f"{name}.wasm").read_bytes())  # noqa: E731
    mb = size / 1e6
    print(f"input: {size >> 20} MiB, {'best' if '--best' in sys.argv else 'median'} of {runs}")

    hasher = load("blake3").hasher()
    rows = [("blake3 wasm (autocodec.loader)", median_s(lambda: hasher.digest(data), runs))]
    try:
        import blake3

        rows.append(("blake3 package (native)", median_s(lambda: blake3.blake3(data).digest(), runs)))
    except ImportError:
        rows.append(("blake3 package (native)", float("nan")))
    for name, t in rows:
        print(f"  {name:34s} {mb / t:8.0f} MB/s")

    from autocodec.unixfs import iter_chunks, parse_chunker

    print("chunkers:")
    spec = parse_chunker("size-262144")
    print(f"  {'fixed size-262144 (native Python)':34s} "
          f"{mb / median_s(lambda: sum(1 for _ in iter_chunks(io.BytesIO(data), spec)), runs):8.0f} MB/s")
    for name, params in (("chunker-fixed", {"size": 262144}),
                         ("chunker-fastcdc", {"min": 65536, "avg": 262144, "max": 1048576}),
                         ("chunker-buzhash", {})):
        chunker = load(name).chunker(params)
        t = median_s(lambda c=chunker: sum(1 for _ in c.boundaries([data])), runs)  # type: ignore[misc]
        print(f"  {name + ' ' + str(params):34.34s} {mb / t:8.0f} MB/s")

    crypto = load("bip340").crypto()
    row = list(csv.DictReader((FIXTURES / "bip340" / "test-vectors.csv").open()))[1]
    pk, msg, sig = (bytes.fromhex(row[k]) for k in ("public key", "message", "signature"))
    n = 50 if quick else 300
    t = median_s(lambda: [crypto.verify(0xE7, pk, msg, sig) for _ in range(n)], 3)
    print(f"bip340 verify (wasm): {n / t:,.0f} verifications/s")

    from autocodec.store import BlockStore
    from autocodec.unixfs import AddOptions, add_bytes

    print("autocodec add (UnixFS into SQLite, CIDv1 raw leaves):")
    for chunker in ("size-262144", "fastcdc-65536-262144-1048576", "buzhash"):
        with tempfile.TemporaryDirectory() as tmp, BlockStore.open(tmp) as store:
            t0 = time.perf_counter()
            add_bytes(store, data, AddOptions(chunker=chunker, cid_version=1))
            print(f"  {chunker:34s} {mb / (time.perf_counter() - t0):8.0f} MB/s")


if __name__ == "__main__":
    main()
