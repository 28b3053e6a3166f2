"""Group 7: thread scaling of a Wasm codec (batched git-raw decode).

The same total work, ``2 x decode_many(objects)``, is done by one thread and then split over
two threads; the figure is the time for that work (so ``ours / peer`` below 1 is a speedup
and 0.625 is the 1.6x target). Guest code runs with the GIL released (ctypes call), but
framing the batch and converting its DAG-CBOR output to Python objects hold it, which bounds
the speedup.

Contrast figure ``threads.blake3``: BLAKE3 digests of 1 MiB (guest-bound, almost no Python
work per call), measured by the loader's own ``_measure.hash_scaling``.
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
    return [fig, _hash_scaling(config, rounds)]


def _hash_scaling(config: BenchConfig, rounds: int) -> Figure:
    """Guest-bound work for contrast: BLAKE3 over 1 MiB inputs, D's ``hash_scaling`` per round."""
    from ..loader import Sandbox
    from ..loader._measure import hash_scaling

    hasher = Sandbox().load(module_bytes("blake3"))
    total = 4 if config.small_inputs else 40
    one, two = [], []
    for _ in range(rounds):
        rates = hash_scaling(hasher, total=total, threads=2)
        one.append(1e9 / rates["hash_mib_s_1_thread"])
        two.append(1e9 / rates["hash_mib_s_2_threads"])
    fig = Figure("threads.blake3", "threads", "BLAKE3 1 MiB digests", ours_label="2 threads",
                 bytes_per_op=1 << 20)
    fig.ours = Measurement.of(two)
    fig.peers["1 thread"] = Measurement.of(one)
    return fig
