"""Speed of the trust layer (not a test: prints medians).

Run: ``.venv/bin/python tests/perf_verify.py [--entries N] [--runs R]``.

- ``verify_set`` of a set listing N manifests (root, index and every manifest signature).
- ``TrustStore.pin`` (verify and store in one transaction) into a throw-away home.
- ``TrustStore.resolve`` of one code from the pinned set.
- one strict Ed25519 verification (did:key parsing cached) next to ``cryptography`` alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autocodec.verify import TrustStore, verify_set
from tests._world import NOW, World


def median_s(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n = args.entries
    w = World()
    entries = []
    for i in range(n):
        m = w.manifest(codes=(0x300000 + i,), name=f"c{i}", module=w.module + i.to_bytes(4, "big"))
        entries.append(("codec", 0x300000 + i, m))
    idx = w.index(1, entries)
    state = w.state()
    t = median_s(lambda: verify_set(state, idx, w.fetch, now=NOW), args.runs)
    print(f"verify_set, {n} manifests: {t * 1e3:8.1f} ms  ({t / n * 1e6:6.0f} us per manifest)")

    def pin() -> None:
        with TrustStore.open(tempfile.mkdtemp()) as store:
            store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)

    t = median_s(pin, args.runs)
    print(f"TrustStore.pin, {n} manifests: {t * 1e3:8.1f} ms")
    with TrustStore.open(tempfile.mkdtemp()) as store:
        store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        t = median_s(lambda: store.resolve("codec", 0x300000, now=NOW), 200)
    print(f"TrustStore.resolve: {t * 1e6:8.0f} us")

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    k = w.publisher
    sig = k.sign(b"message")
    raw = Ed25519PublicKey.from_public_bytes(k.public.raw)
    t_strict = median_s(lambda: k.public.verify(sig, b"message"), 2000)
    t_plain = median_s(lambda: raw.verify(sig, b"message"), 2000)
    print(f"Ed25519 verify: strict {t_strict * 1e6:6.1f} us, cryptography alone {t_plain * 1e6:6.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
