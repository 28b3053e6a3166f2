"""Group 7: scaling over two cores: the bulk API (worker processes) and threads.

``threads.git-raw`` (id kept from issue 19: "2 workers vs 1, whatever the mechanism") is the
bulk path since the persistent process pool: ``autocodec.bulk.decode_many`` with 2 worker
processes (guest calls in the workers, conversion here, pipelined) against
``Codec.decode_many`` in this process, the same blocks, same values, side by side in each
round. The old mechanism, two threads each decoding the whole list, is kept as the contrast
``threads.git-raw.threads``: guest code runs with the GIL released, but framing the batch
and converting its DAG-CBOR output to Python objects hold it, which bounds that speedup.

``bulk.digest.blake3`` and ``bulk.links.git-raw``: the bulk API against one worker doing the
same work in this process (digests of a hasher whose batch frames run with the GIL released go
on two threads, ``Hasher.batches_off_gil``; links on the warm process pool); ``bulk.start``:
starting the pool (fork of two workers), paid once per process. Every figure is
``ours / peer`` (below 1 is a speedup); each bulk figure's note also gives the CPU time of
caller plus workers over the in-process CPU time (the mechanism's own cost, which load on the
machine does not change much).

The machine's own ceiling is ``threads.sha256`` (hashlib with the GIL released, two threads
vs one) and ``bulk.ceiling`` (a pure-Python loop over the same pool: tiny inputs and
results, so only the pool's own cost and the free cores count), measured in the same
rounds; each bulk figure's note repeats both: on a shared machine another process may hold
a core, and then no mechanism can reach 2x.
Contrast ``threads.blake3``: BLAKE3 digests of 1 MiB by two threads (guest-bound).
"""

from __future__ import annotations

import hashlib
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    fn()
    return float(time.perf_counter_ns() - start)


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox
    from ..loader import _pool as bulk

    sandbox = Sandbox()
    codec = sandbox.load(module_bytes("git-raw")).codec()
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    blocks = [raw for _, raw in repeat_to(git_objects(), 16 * config.batch_items)]
    count = 200 if config.small_inputs else 20_000
    pool = bytes(range(256)) * 8
    inputs = [pool[i % 1024 : i % 1024 + 1024] for i in range(count)]
    data = bytes(range(256)) * ((1 if config.small_inputs else 32) << 12)
    rounds = max(config.slow_rounds, 3 if config.rounds > 1 else 1)

    bulk.shutdown()
    start = _once(lambda: bulk.run_bulk(bulk.register(len_each), [b"x"] * 2, workers=2))
    spin = bulk.register(spin_each)
    loops = [20_000 if config.small_inputs else 200_000] * 16
    jobs: list[tuple[str, int, Callable[[int], object]]] = [
        ("bulk.ceiling", len(loops), lambda w: bulk.run_bulk(spin, loops, w)),
        ("threads.git-raw", len(blocks), lambda w: bulk.decode_many(codec, blocks, w)),
        ("bulk.digest.blake3", count, lambda w: bulk.digest_many(hasher, inputs, w)),
        ("bulk.links.git-raw", len(blocks), lambda w: bulk.links_many(codec, blocks, w)),
    ]
    for _, _, job in jobs:  # warm: each job's pool (a job registered after the fork re-forks)
        job(2)
    job_id = bulk.register(len_each)
    starts = [_once(lambda: bulk.run_bulk(job_id, [b"x"] * 2, workers=2))]  # re-fork for a new job
    samples: dict[str, tuple[list[float], list[float]]] = {fid: ([], []) for fid, _, _ in jobs}
    cpu: dict[str, tuple[list[float], list[float]]] = {fid: ([], []) for fid, _, _ in jobs}
    ceiling: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):  # interleaved, so load changes on the machine hit every figure alike
        ceiling[0].append(_timed([lambda: hashlib.sha256(data).digest()] * 2, 1) / 2)
        ceiling[1].append(_timed([lambda: hashlib.sha256(data).digest()] * 2, 2) / 2)
        for fid, n, job in jobs:
            before = time.process_time()
            samples[fid][0].append(_once(lambda j=job: j(1)) / n)  # type: ignore[misc]
            middle, spent = time.process_time(), _workers_cpu(bulk)
            samples[fid][1].append(_once(lambda j=job: j(2)) / n)  # type: ignore[misc]
            cpu[fid][0].append(middle - before)
            cpu[fid][1].append(time.process_time() - middle + _workers_cpu(bulk) - spent)
    ceil = Figure("threads.sha256", "threads", f"hashlib sha2-256 {len(data) >> 20} MiB (GIL released)",
                  ours_label="2 threads", bytes_per_op=len(data),
                  note="the machine's own ceiling in these rounds: native code with the GIL released")
    ceil.peers["1 thread"], ceil.ours = Measurement.of(ceiling[0]), Measurement.of(ceiling[1])
    spun = statistics.median(samples["bulk.ceiling"][1]) / statistics.median(samples["bulk.ceiling"][0])
    at = (f"machine ceiling this run: threads.sha256 {statistics.median(ceiling[1]) / statistics.median(ceiling[0]):.3f}, "
          f"bulk.ceiling {spun:.3f}")
    titles = {
        "bulk.ceiling": ("a pure-Python loop, 16 items, bulk (the pool's own ceiling)", None),
        "threads.git-raw": (f"git-raw decode of {len(blocks)} objects, bulk", Target("1 process", 1 / 1.6, ">= 1.6x one process")),
        "bulk.digest.blake3": (f"BLAKE3 digests of {count} 1 KiB inputs, bulk", Target("1 process", 1 / 1.8, ">= 1.8x one process")),
        "bulk.links.git-raw": (f"git-raw links of {len(blocks)} objects, bulk", None),
    }
    figures = [ceil]
    for fid, (title, target) in titles.items():
        work = sum(cpu[fid][1]) / sum(cpu[fid][0]) if sum(cpu[fid][0]) > 0 else float("nan")
        mechanism = "2 threads" if fid == "bulk.digest.blake3" and hasher.batches_off_gil else "2 processes"
        fig = Figure(fid, "threads", title, ours_label=mechanism, target=target,
                     note=f"the bulk API (threads or the warm pool) vs the same work in this process; "
                          f"CPU time of caller + workers / in-process: {work:.2f}; {at}")
        fig.peers["1 process"], fig.ours = Measurement.of(samples[fid][0]), Measurement.of(samples[fid][1])
        figures.append(fig)
    first = Figure("bulk.start", "threads", "start the bulk pool (fork 2 workers; once per process)",
                   ours_label="first call", note="an empty 2-item job; peer: the re-fork a newly registered job costs")
    first.ours, first.peers["new job"] = Measurement.of([start]), Measurement.of(starts)
    figures.append(first)

    old = Figure("threads.git-raw.threads", "threads", "git-raw batched decode, 2 threads (contrast)",
                 ours_label="2 threads", note="the mechanism threads.git-raw used before the process pool")
    few = blocks[: 4 * config.batch_items]
    old.peers["1 thread"], old.ours = _scaling(lambda: codec.decode_many(few), len(few), rounds)

    # The same decode without the host side: prebuilt batch frames, guest calls only (GIL
    # released), no conversion to Python objects. Shows what the sandbox itself scales to.
    loaded = codec._loaded  # noqa: SLF001 - the bench looks inside on purpose
    frames = [_frame(few[i:i + 500]) for i in range(0, len(few), 500)]

    def guest_only() -> None:
        for frame in frames:
            loaded.run("ac_decode_batch", frame)

    guest = Figure("threads.git-raw.guest", "threads", "git-raw ac_decode_batch calls only (no conversion)",
                   ours_label="2 threads", note="contrast: the guest part alone, GIL released")
    guest.peers["1 thread"], guest.ours = _scaling(guest_only, len(few), rounds)
    return [*figures, *_cli_paths(config, rounds, hasher, at), old, guest, _hash_scaling(config, rounds)]


def _workers_cpu(bulk: Any) -> float:
    """CPU seconds the pool's workers used so far (Linux ``/proc``; 0 elsewhere)."""
    pool = bulk._pool  # noqa: SLF001 - the bench looks inside on purpose
    if pool is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in pool.procs:
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def spin_each(items: list[int]) -> list[int]:
    """CPU-bound Python work with tiny inputs and results: what the pool can scale to."""
    out = []
    for n in items:
        total = 0
        for i in range(n):
            total += i
        out.append(total)
    return out


def len_each(items: list[bytes]) -> list[int]:
    """The empty bulk job (a module-level function: it is registered, not pickled)."""
    return [len(b) for b in items]


def git_tree_blocks(dirs: int, files: int, repeat: int = 8) -> tuple[Any, list[tuple[Any, bytes]]]:
    """A git tree of ``dirs`` subtrees of ``files`` blobs each (git-raw blocks, sha1 CIDs; each
    blob ``repeat`` copies of its line): ``(root CID, [(cid, block), ...])``, root last."""
    from ..cid import CID, encode_varint

    def put(kind: bytes, body: bytes) -> tuple[CID, bytes]:
        raw = kind + b" %d\0" % len(body) + body
        return CID(b"\x01" + encode_varint(0x78) + b"\x11\x14" + hashlib.sha1(raw).digest()), raw

    blocks = []
    subtrees = []
    for d in range(dirs):
        entries = []
        for f in range(files):
            cid, raw = put(b"blob", b"file %d/%d\n" % (d, f) * repeat)
            blocks.append((cid, raw))
            entries.append(b"100644 f%04d\0" % f + cid.digest)
        cid, raw = put(b"tree", b"".join(entries))
        blocks.append((cid, raw))
        subtrees.append(b"40000 d%03d\0" % d + cid.digest)
    root, raw = put(b"tree", b"".join(subtrees))
    blocks.append((root, raw))
    return root, blocks


def _git_dag(rt: Any, dirs: int, files: int) -> Any:
    """``git_tree_blocks`` put in ``rt``'s store; its root CID."""
    root, blocks = git_tree_blocks(dirs, files)
    rt.store.put_many(blocks)
    return root


def _cli_paths(config: BenchConfig, rounds: int, hasher: Any, at: str) -> list[Figure]:
    """What the CLI uses the bulk paths for, side by side with the serial path in each round:
    hash checks of a CAR import (``BlockVerifier``) and a DAG export (``LinksAhead``)."""
    import io
    import os
    import tempfile

    from ..builtin import verify_cid
    from ..cid import CID
    from ..dag import export_car
    from ..dag._ahead import LinksAhead
    from ..registry import Runtime
    from ..store._verify_many import BlockVerifier

    small = config.small_inputs
    sha = [os.urandom(256 << 10) for _ in range(4 if small else 64)]
    sha_pairs = [(CID(b"\x01\x55\x12\x20" + hashlib.sha256(d).digest()), d) for d in sha]
    b3 = [os.urandom(1024) for _ in range(300 if small else 8000)]
    b3_pairs = [(CID(b"\x01\x55\x1e\x20" + hasher.digest(d)), d) for d in b3]

    def serial_verify(pairs: list[tuple[CID, bytes]]) -> None:
        for cid, data in pairs:
            if cid.hash_code == 0x12:
                verify_cid(cid, data)
            elif hasher.digest(data) != cid.digest:
                raise AssertionError("bench data")

    verifier = BlockVerifier(verify_cid, lambda code: hasher if code == 0x1E else None, workers=2)
    figures = []
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-") as home:
        with Runtime(home) as rt:
            dirs, files = (8, 16) if small else (64, 128)
            root = _git_dag(rt, dirs, files)
            blocks = dirs * (files + 1) + 1
            wide_dirs, wide_files = (2, 600) if small else (2, 4096)  # a stack of 512 starts jobs
            wide = _git_dag(rt, wide_dirs, wide_files)
            wide_blocks = wide_dirs * (wide_files + 1) + 1

            def export(ahead: LinksAhead | None, top: CID = root) -> bytes:
                out = io.BytesIO()
                export_car(rt, top, out, ahead=ahead)
                return out.getvalue()

            for top in (root, wide):
                with LinksAhead(rt, workers=2) as ahead:
                    if export(ahead, top) != export(None, top):
                        raise AssertionError("LinksAhead changed the exported CAR")
            jobs: list[tuple[str, str, int, Callable[[], object], Callable[[], object]]] = [
                ("bulk.verify.sha2-256", f"check {len(sha)} x 256 KiB sha2-256 blocks (threads)", len(sha),
                 lambda: serial_verify(sha_pairs), lambda: verifier.check(sha_pairs)),
                ("bulk.verify.blake3", f"check {len(b3)} x 1 KiB BLAKE3 blocks (Wasm hash, batched)", len(b3),
                 lambda: serial_verify(b3_pairs), lambda: verifier.check(b3_pairs)),
                ("bulk.export.git-raw", f"dag export of a {blocks}-block git DAG, {dirs} x {files} (links ahead)",
                 blocks, lambda: export(None), lambda: export(LinksAhead(rt, workers=2))),
                ("bulk.export.git-raw.wide", f"dag export of a {wide_blocks}-block git DAG, {wide_dirs} x {wide_files}"
                 " (links ahead)", wide_blocks,
                 lambda: export(None, wide), lambda: export(LinksAhead(rt, workers=2), wide)),
            ]
            for _, _, _, _, fast in jobs:
                fast()
            samples: dict[str, tuple[list[float], list[float]]] = {fid: ([], []) for fid, *_ in jobs}
            for _ in range(rounds):
                for fid, _, n, slow, fast in jobs:
                    samples[fid][0].append(_once(slow) / n)
                    samples[fid][1].append(_once(fast) / n)
            for fid, title, _, _, _ in jobs:
                fig = Figure(fid, "threads", title, ours_label="2 workers",
                             note=f"the CLI's bulk path (car/dag import, dag/car export) vs serial; {at}")
                fig.peers["serial"], fig.ours = Measurement.of(samples[fid][0]), Measurement.of(samples[fid][1])
                figures.append(fig)
    verifier.close()
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
