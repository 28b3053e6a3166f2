"""Group 7: thread scaling of a Wasm codec (batched git-raw decode).

The same total work, ``2 x decode_many(objects)``, is done by one thread and then split over
two threads; the figure is the time for that work (so ``ours / peer`` below 1 is a speedup
and 0.625 is the 1.6x target). Guest code runs with the GIL released (ctypes call), but
framing the batch and converting its DAG-CBOR output to Python objects hold it, which bounds
the speedup.

Contrast figure ``threads.blake3``: BLAKE3 digests of 1 MiB (guest-bound, almost no Python
work per call), measured by the loader's own ``_measure.hash_scaling``; and
``threads.sha256``: hashlib with the GIL released, the scaling the machine itself allows at
the time of the run (on a shared machine another process may hold a core).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from ._core import BenchConfig, Figure, Measurement, Target
from ._data import git_objects, module_bytes, repeat_to


def _timed(units: list[Callable[[], object]], threads: int) -> float:
    """Wall time (ns) to run every unit of work, in this thread or one thread per unit."""
    if threads == 1:
        start = time.perf_counter_ns()
        for unit in units:
            unit()
        return float(time.perf_counter_ns() - start)
    barrier = threading.Barrier(len(units) + 1)

    def worker(unit: Callable[[], object]) -> None:
        barrier.wait()
        unit()

    workers = [threading.Thread(target=worker, args=(unit,)) for unit in units]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter_ns()
    for w in workers:
        w.join()
    return float(time.perf_counter_ns() - start)


def _scaling(unit: Callable[[], object], ops: int, rounds: int) -> tuple[Measurement, Measurement]:
    """Per-operation time of two units of work on 1 thread and on 2 threads, interleaved."""
    unit()  # warm up
    one, two = [], []
    for _ in range(rounds):  # interleaved, so load changes on the machine hit both alike
        one.append(_timed([unit, unit], 1) / (2 * ops))
        two.append(_timed([unit, unit], 2) / (2 * ops))
    return Measurement.of(one), Measurement.of(two)


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox

    codec = Sandbox().load(module_bytes("git-raw")).codec()
    blocks = [raw for _, raw in repeat_to(git_objects(), 4 * config.batch_items)]
    rounds = max(config.slow_rounds, 3 if config.rounds > 1 else 1)
    fig = Figure("threads.git-raw", "threads", "git-raw batched decode",
                 ours_label="2 threads", target=Target("1 thread", 1 / 1.6, ">= 1.6x one thread"))
    fig.peers["1 thread"], fig.ours = _scaling(lambda: codec.decode_many(blocks), len(blocks), rounds)

    # The same decode without the host side: prebuilt batch frames, guest calls only (GIL
    # released), no conversion to Python objects. Shows what the sandbox itself scales to.
    loaded = codec._loaded  # noqa: SLF001 - the bench looks inside on purpose
    frames = [_frame(blocks[i:i + 500]) for i in range(0, len(blocks), 500)]

    def guest_only() -> None:
        for frame in frames:
            loaded.run("ac_decode_batch", frame)

    guest = Figure("threads.git-raw.guest", "threads", "git-raw ac_decode_batch calls only (no conversion)",
                   ours_label="2 threads", note="contrast: the guest part alone, GIL released")
    guest.peers["1 thread"], guest.ours = _scaling(guest_only, len(blocks), rounds)

    data = bytes(range(256)) * ((1 if config.small_inputs else 32) << 12)
    ceiling = Figure("threads.sha256", "threads", f"hashlib sha2-256 {len(data) >> 20} MiB (GIL released)",
                     ours_label="2 threads", bytes_per_op=len(data),
                     note="the machine's own ceiling: native code with the GIL released")
    ceiling.peers["1 thread"], ceiling.ours = _scaling(lambda: hashlib.sha256(data).digest(), 1, rounds)
    return [fig, guest, _hash_scaling(config, rounds), ceiling, *_bulk(config, rounds, blocks)]


def _bulk(config: BenchConfig, rounds: int, blocks: list[bytes]) -> list[Figure]:
    """The bulk API (``autocodec.bulk``): the same job in this process and over 2 forked
    processes (pool start-up included). Digests come back small, so they show the spread
    itself; decoded values must be rebuilt here (unpickled), which bounds ``bulk.decode``."""
    from ..loader import Sandbox
    from ..loader._pool import decode_many, digest_many

    hasher = Sandbox().load(module_bytes("blake3")).hasher()
    count = 200 if config.small_inputs else 20_000
    pool = bytes(range(256)) * 8
    inputs = [pool[i % 1024 : i % 1024 + 1024] for i in range(count)]
    codec = Sandbox().load(module_bytes("git-raw")).codec()
    figures = []
    for fid, title, run, n in (
        ("bulk.digest.blake3", f"BLAKE3 digests of {count} 1 KiB inputs", lambda w: digest_many(hasher, inputs, w), count),
        ("bulk.decode.git-raw", f"git-raw decode of {len(blocks)} objects", lambda w: decode_many(codec, blocks, w),
         len(blocks)),
    ):
        one: list[float] = []
        two: list[float] = []
        for _ in range(rounds):
            for workers, out in ((1, one), (2, two)):
                start = time.perf_counter_ns()
                run(workers)
                out.append((time.perf_counter_ns() - start) / n)
        fig = Figure(fid, "threads", f"{title}, bulk API", ours_label="2 processes",
                     target=Target("1 process", 1 / 1.8, ">= 1.8x one process") if fid.startswith("bulk.digest") else None,
                     note="forked workers; results sent back")
        fig.ours, fig.peers["1 process"] = Measurement.of(two), Measurement.of(one)
        figures.append(fig)
    return figures


def _frame(batch: list[bytes]) -> bytes:
    """The ABI batch frame: u32 count, then u32 length + bytes per block (little endian)."""
    import struct

    return b"".join([struct.pack("<I", len(batch)), *(struct.pack("<I", len(b)) + b for b in batch)])


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
