"""Builtin codec speed next to peer libraries (not a test: prints medians side by side).

Run: ``.venv/bin/python tests/perf_builtin.py [--quick]``. Blocks: a small DAG-CBOR block
(~200 B with links), a nested one (~100 KB), a bytes-heavy one (~1 MB); DAG-JSON on the
nested one. Peers that are not installed are shown as "-". The lead turns this into
``autocodec bench``; speed targets are checked here, never in timed tests.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from typing import Any, Callable

from autocodec import CID
from autocodec.builtin import cid_for, decode, encode


def _links(n: int, seed: int) -> list[CID]:
    rnd = random.Random(seed)
    return [cid_for(rnd.randbytes(32), "dag-cbor") for _ in range(n)]


def small_value() -> Any:
    a, b = _links(2, 1)
    return {"name": "photo-0001.jpg", "size": 182_337, "parents": [a, b], "mtime": 1_700_000_000,
            "tags": ["holiday", "beach"], "ok": True}


def nested_value() -> Any:
    rnd = random.Random(2)
    links = _links(64, 3)

    def node(depth: int) -> Any:
        if depth == 0:
            return rnd.choice([rnd.randint(-(1 << 40), 1 << 40), rnd.random(), "leaf-%06d" % rnd.randint(0, 999999),
                               rnd.choice(links), None, True, rnd.randbytes(12)])
        if rnd.random() < 0.5:
            return [node(depth - 1) for _ in range(4)]
        return {f"k{i}-{rnd.randint(0, 99)}": node(depth - 1) for i in range(4)}

    return {"root": [node(5) for _ in range(6)], "links": links}


def bytes_value() -> Any:
    rnd = random.Random(4)
    return {"chunks": [rnd.randbytes(64 * 1024) for _ in range(16)], "links": _links(16, 5), "n": 16}


def median_time(fn: Callable[[], Any], budget: float) -> float:
    fn()  # warm up
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < budget and len(times) < 100_000):
        batch = max(1, int(1e-3 / (times[-1] if times else 1e-3)))  # ~1 ms per sample
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - t0) / batch)
    return statistics.median(times)


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.3f} ms"


def _peers_cbor() -> dict[str, Callable[[bytes], Any]]:
    peers: dict[str, Callable[[bytes], Any]] = {"ours": lambda d: decode(d, "dag-cbor")}
    try:
        import cbrrr

        peers["cbrrr"] = cbrrr.decode_dag_cbor
    except ImportError:
        pass
    try:
        import libipld

        peers["libipld"] = libipld.decode_dag_cbor
    except ImportError:
        pass
    try:
        import dag_cbor

        peers["dag-cbor(py)"] = dag_cbor.decode
    except ImportError:
        pass
    return peers


def main() -> None:
    budget = 0.3 if "--quick" in sys.argv else 1.5
    blocks = {
        "small": encode(small_value(), "dag-cbor"),
        "nested": encode(nested_value(), "dag-cbor"),
        "bytes": encode(bytes_value(), "dag-cbor"),
    }
    peers = _peers_cbor()
    print("DAG-CBOR decode (median per call)")
    print(f"{'block':>8} {'size':>10} " + " ".join(f"{name:>14}" for name in peers) + "   ours/cbrrr")
    for label, data in blocks.items():
        row = {}
        for name, fn in peers.items():
            slow = name == "dag-cbor(py)" and len(data) > 200_000
            row[name] = None if slow else median_time(lambda fn=fn: fn(data), budget)
        ratio = row["ours"] / row["cbrrr"] if row.get("cbrrr") else float("nan")
        print(f"{label:>8} {len(data):>10} " + " ".join(f"{_fmt(row[n]):>14}" for n in peers) + f"   {ratio:.2f}x")

    print("\nDAG-CBOR encode (median per call)")
    values = {"small": small_value(), "nested": nested_value(), "bytes": bytes_value()}
    enc: dict[str, Callable[[Any], Any]] = {"ours": lambda v: encode(v, "dag-cbor")}
    try:
        import cbrrr

        enc["cbrrr"] = lambda v: cbrrr.encode_dag_cbor(v, cid_type=CID)
    except ImportError:
        pass
    print(f"{'block':>8} " + " ".join(f"{name:>14}" for name in enc) + "   ours/cbrrr")
    for label, value in values.items():
        times = {name: median_time(lambda fn=fn: fn(value), budget) for name, fn in enc.items()}
        ratio = times["ours"] / times["cbrrr"] if "cbrrr" in times else float("nan")
        print(f"{label:>8} " + " ".join(f"{_fmt(t):>14}" for t in times.values()) + f"   {ratio:.2f}x")

    text = encode(nested_value(), "dag-json")
    print(f"\nDAG-JSON decode, nested block ({len(text)} bytes)")
    row2: dict[str, float | None] = {"ours": median_time(lambda: decode(text, "dag-json"), budget)}
    try:
        import dag_json

        row2["dag-json(py)"] = median_time(lambda: dag_json.decode(text), budget)
    except ImportError:
        row2["dag-json(py)"] = None
    row2["stdlib json"] = median_time(lambda: json.loads(text), budget)
    print("  " + "  ".join(f"{k}: {_fmt(v)}" for k, v in row2.items()))
    if row2["dag-json(py)"]:
        print(f"  dag-json(py)/ours: {row2['dag-json(py)'] / row2['ours']:.1f}x faster")


if __name__ == "__main__":
    main()
