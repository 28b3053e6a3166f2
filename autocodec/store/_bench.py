"""Throughput of the block store and CAR paths: ``python -m autocodec.store._bench [--blocks N]``.

Measures, on a throw-away home: CAR parsing, CAR import (verify + store), ``get`` with its
integrity check, ``put_many`` and ``get`` of 1 MiB blocks, and DAG export. Numbers are for
reports and regressions; no test asserts a speed.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable

from ..builtin import cid_for, encode
from ..cid import CID
from ._blockstore import BlockStore
from ._car import CarReader, CarWriter
from ._transfer import export_car, import_car


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--blocks", type=int, default=50_000, help="1 KiB blocks in the CAR (default 50000)")
    args = parser.parse_args(argv)
    n = args.blocks
    blocks = [(cid_for(d, "raw"), d) for d in (os.urandom(1024) for _ in range(n))]
    buf = io.BytesIO()
    writer = CarWriter(buf, [])
    for cid, data in blocks:
        writer.write(cid, data)
    car = buf.getvalue()
    mib = len(car) / 2**20

    def report(what: str, seconds: float, count: int, unit: str = "blocks", size_mib: float | None = None) -> None:
        rate = f"{count / seconds:>12,.0f} {unit}/s"
        extra = f"  {size_mib / seconds:8.0f} MiB/s" if size_mib is not None else ""
        print(f"{what:<44}{rate}{extra}")

    with tempfile.TemporaryDirectory(prefix="autocodec-bench-") as home, BlockStore.open(home) as store:
        parse = _timed(lambda: sum(1 for _ in CarReader(io.BytesIO(car))))
        report("CAR parse (1 KiB sections)", parse, n, size_mib=mib)
        imported = _timed(lambda: import_car(store, io.BytesIO(car)))
        report("CAR import: verify sha2-256 + store", imported, n, size_mib=mib)
        report("get with integrity check (1 KiB)", _timed(lambda: [store.get(c) for c, _ in blocks]), n)
        report("has (1 KiB)", _timed(lambda: [store.has(c) for c, _ in blocks]), n)
        big = [(cid_for(d, "raw"), d) for d in (os.urandom(2**20) for _ in range(64))]
        report("put_many 1 MiB blocks", _timed(lambda: store.put_many(big)), 64, size_mib=64)
        report("get 1 MiB blocks", _timed(lambda: [store.get(c) for c, _ in big]), 64, size_mib=64)
        parents: list[CID] = []
        for i in range(0, min(n, 10_000), 100):
            node = encode({"kids": [c for c, _ in blocks[i : i + 100]]}, "dag-cbor")
            cid = cid_for(node, "dag-cbor")
            store.put(cid, node)
            parents.append(cid)
        root_block = encode({"kids": parents}, "dag-cbor")
        root = cid_for(root_block, "dag-cbor")
        store.put(root, root_block)
        out = io.BytesIO()
        seconds = _timed(lambda: export_car(store, root, out))
        report("export a DAG-CBOR tree (walk + get + write)", seconds, 1 + len(parents) + min(n, 10_000))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
