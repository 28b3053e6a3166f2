"""Throughput of IPVM jobs: ``python -m autocodec.ipvm._bench [--jobs N]``.

Measures, in a throw-away home with the default set pinned: a fresh job (trust decided and
module loaded once, then per job: invocation block, sandbox call, signed receipt, index
row), a cache hit (lookup, signature re-check), guest-heavy jobs serial vs on 4 threads, and
a three-job pipeline. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from ..registry import Runtime
    from . import Executor, Invocation, resolve_module

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="autocodec-ipvm-bench-"))
    try:
        with Runtime(work / "home") as rt:
            ex = Executor(rt)
            select = resolve_module(rt, "ipld-select")
            ex.run(Invocation(select, "select", [{"warm": 1}, "warm"]))
            n = args.jobs

            def jobs(tag: str) -> list[Invocation]:
                return [Invocation(select, "select", [{"a": [i, {"b": tag}]}, "a/1/b"]) for i in range(n)]

            fresh = jobs("fresh")
            t = time.perf_counter()
            for job in fresh:
                ex.run(job)
            ran = time.perf_counter() - t
            t = time.perf_counter()
            for job in fresh:
                ex.run(job)
            hit = time.perf_counter() - t
            print(f"fresh job        {ran / n * 1e3:7.3f} ms/job   ({n / ran:7.0f} jobs/s)")
            print(f"cache hit        {hit / n * 1e3:7.3f} ms/job   ({n / hit:7.0f} jobs/s)")

            big = {"a": list(range(200_000))}
            t = time.perf_counter()
            out = ex.run(Invocation(select, "count", [big, "a"]))
            print(f"count, 200k list {(time.perf_counter() - t) * 1e3:7.1f} ms       (fuel {out.receipt.fuel})")

            import concurrent.futures

            width = 16
            heavy = [Invocation(select, "select", [b"\x82" + b"\x9a\x00\x01\x86\xa0" + b"\x00" * 100_000 + b"\x01",
                                                   f"0/{99_990 + i % 8}"]) for i in range(width)]
            t = time.perf_counter()
            for job in heavy:
                ex.run(job, no_cache=True)
            serial = time.perf_counter() - t
            with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
                t = time.perf_counter()
                list(pool.map(lambda job: ex.run(job, no_cache=True), heavy))
                threaded = time.perf_counter() - t
            print(f"{width} guest-heavy jobs: serial {serial * 1e3:6.1f} ms, 4 threads {threaded * 1e3:6.1f} ms")

            chain = ex.submit(Invocation(select, "select", [{"a": {"b": {"c": "done"}}}, "a"]))
            chain = ex.submit(Invocation(select, "select", [{"await/ok": chain}, "b"]))
            chain = ex.submit(Invocation(select, "select", [{"await/ok": chain}, "c"]))
            t = time.perf_counter()
            ex.run_all(chain, no_cache=True)
            print(f"3-job pipeline   {(time.perf_counter() - t) * 1e3:7.3f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
