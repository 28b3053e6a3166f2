"""Group 7: thread scaling of a Wasm codec (batched git-raw decode).

The same total work, ``2 x decode_many(objects)``, is done by one thread and then split over
two threads; the figure is the time for that work (so ``ours / peer`` below 1 is a speedup
and 0.625 is the 1.6x target). Guest code runs with the GIL released (ctypes call), but
framing the batch and converting its DAG-CBOR output to Python objects hold it, which bounds
the speedup.
"""

from __future__ import annotations

import threading
import time

from ._core import BenchConfig, Figure, Measurement, Target
from ._data import git_objects, module_bytes, repeat_to


def _timed(work: list[list[bytes]], decode_many: object, threads: int) -> float:
    assert callable(decode_many)
    if threads == 1:
        start = time.perf_counter_ns()
        for blocks in work:
            decode_many(blocks)
        return float(time.perf_counter_ns() - start)
    barrier = threading.Barrier(threads + 1)

    def worker(blocks: list[bytes]) -> None:
        barrier.wait()
        decode_many(blocks)

    workers = [threading.Thread(target=worker, args=(blocks,)) for blocks in work]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter_ns()
    for w in workers:
        w.join()
    return float(time.perf_counter_ns() - start)


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox

    codec = Sandbox().load(module_bytes("git-raw")).codec()
    blocks = [raw for _, raw in repeat_to(git_objects(), 4 * config.batch_items)]
    work = [blocks, blocks]
    codec.decode_many(blocks)  # warm up
    rounds = max(config.slow_rounds, 3 if config.rounds > 1 else 1)
    one, two = [], []
    for _ in range(rounds):  # interleaved, so load changes on the machine hit both alike
        one.append(_timed(work, codec.decode_many, 1) / (2 * len(blocks)))
        two.append(_timed(work, codec.decode_many, 2) / (2 * len(blocks)))
    fig = Figure("threads.git-raw", "threads", "git-raw batched decode",
                 ours_label="2 threads", target=Target("1 thread", 1 / 1.6, ">= 1.6x one thread"))
    fig.ours = Measurement.of(two)
    fig.peers["1 thread"] = Measurement.of(one)
    return [fig]
