"""The bulk API (issue 19): a persistent pool of forked workers gives exactly the serial results,
in order, errors rebuilt as the same typed errors; small jobs stay in-process; a dead worker is
a ``SandboxError`` (a one-line CLI error), never a hang. CAR import with hashes checked over
every core stores exactly what the serial import stores and fails the same way."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import autocodec
from autocodec import bulk
from autocodec.cid import CID
from autocodec.errors import AutocodecError, FuelExhausted, GuestError, HashMismatch, InvalidCar, SandboxError
from autocodec.loader import Sandbox
from autocodec.loader import _pool, _pool_shared
from autocodec.bench._data import git_objects, module_bytes, repeat_to
from autocodec.store import CarWriter, import_car
from autocodec.store._verify_many import BlockVerifier, runtime_verifier

from ._wat import small_limits, wat_module


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def _pids() -> list[int]:
    return [p.pid for p in _pool._pool.procs] if _pool._pool is not None else []  # noqa: SLF001


def _pooled(hasher: object, inputs: list[bytes]) -> list[object]:
    """Digests through the process pool's job (the path of hashers that do not batch off the
    GIL; ``bulk.digest_many`` takes threads for those that do)."""
    return bulk.run_bulk(_pool.digest_job(hasher), inputs, workers=2)  # type: ignore[arg-type]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_decode_many_over_processes_equals_serial(sandbox: Sandbox) -> None:
    """Several serial batches (1024 items each), bad blocks in three of them."""
    codec = sandbox.load(module_bytes("git-raw")).codec()
    blocks = [raw for _, raw in repeat_to(git_objects(), 3000)]
    bad = (7, 1500, 2999)
    for i in bad:
        blocks[i] = b"not a git object %d" % i
    serial = codec.decode_many(blocks)
    spread = bulk.decode_many(codec, blocks, workers=2)
    assert len(spread) == len(serial) == 3000
    for i in bad:
        assert isinstance(spread[i], GuestError) and type(spread[i]) is type(serial[i])
        assert (spread[i].code, spread[i].message, spread[i].hint) == (serial[i].code, serial[i].message, serial[i].hint)
    assert [x for i, x in enumerate(spread) if i not in bad] == [x for i, x in enumerate(serial) if i not in bad]


def test_a_batch_item_decodes_to_what_one_call_gives_past_the_block_bound(sandbox: Sandbox) -> None:
    """A git blob of about 4 MiB decodes one per call; its item in a batch, whose DAG-CBOR output
    is a few bytes over ``max_block_bytes``, must decode the same (guest output is bounded by
    ``max_output_bytes``, not by the block bound): it was a GuestFault blaming the module."""
    codec = sandbox.load(module_bytes("git-raw")).codec()
    small = b"blob 1\x00z"
    for n in (4 * 2**20 - 14, 5 * 2**20):
        blob = b"blob %d\x00" % n + b"y" * n
        one = codec.decode(blob)
        assert codec.decode_many([small, blob, small]) == [codec.decode(small), one, codec.decode(small)]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_limits_hold_in_workers() -> None:
    """A codec spinning forever is stopped by its fuel in the worker; each block's error comes
    back typed, as the serial decode gives it."""
    # pooled_instances: a worker inherits the instances this process holds when it forks
    # (a failed call's error keeps its instance alive through its traceback)
    limits = dataclasses.replace(small_limits(fuel=5_000_000, deadline_ms=5_000, pooled_instances=64), max_batch_items=2)
    codec = Sandbox(limits).load(wat_module("loop_export")).codec()
    blocks = [b"spin %d" % i for i in range(6)]
    serial = codec.decode_many(blocks)
    spread = bulk.decode_many(codec, blocks, workers=2)
    assert all(isinstance(x, FuelExhausted) for x in serial)
    assert [(type(x), x.message) for x in spread] == [(type(x), x.message) for x in serial]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_links_and_digests_over_processes_equal_serial(sandbox: Sandbox) -> None:
    codec = sandbox.load(module_bytes("git-raw")).codec()
    blocks = [raw for _, raw in git_objects()] + [b"broken"]
    serial_links = []
    for b in blocks:
        try:
            serial_links.append(codec.links(b))
        except GuestError as exc:
            serial_links.append(exc)
    spread = bulk.links_many(codec, blocks, workers=2)
    assert spread[:-1] == serial_links[:-1] and any(spread[:-1])
    assert all(isinstance(c, CID) for found in spread[:-1] for c in found)
    assert isinstance(spread[-1], GuestError) and spread[-1].message == serial_links[-1].message
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    inputs = [bytes([i]) * i for i in range(200)]
    assert bulk.digest_many(hasher, inputs, workers=2) == [hasher.digest(d) for d in inputs]  # threads
    assert _pooled(hasher, inputs) == [hasher.digest(d) for d in inputs]  # each worker batches its share
    fnv = sandbox.load(wat_module("ok_fnv", "hasher")).hasher()  # no ac_hash_batch: one call per input
    assert not fnv.batches
    assert bulk.digest_many(fnv, inputs, workers=2) == [fnv.digest(d) for d in inputs]
    assert fnv.digest_many(inputs) == [fnv.digest(d) for d in inputs]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_the_pool_is_reused_and_restarted_after_an_idle_death(sandbox: Sandbox) -> None:
    hasher = sandbox.load(wat_module("ok_fnv", "hasher")).hasher()  # no batches: the process pool
    inputs = [bytes([i % 256]) * 64 for i in range(50)]
    expected = [hasher.digest(d) for d in inputs]
    assert bulk.digest_many(hasher, inputs, workers=2) == expected
    first = _pids()
    assert len(first) >= 1 and os.getpid() not in first
    assert bulk.digest_many(hasher, inputs, workers=2) == expected
    assert _pids() == first  # same workers: no fork per call
    victim = _pool._pool.procs[0]  # noqa: SLF001
    victim.kill()  # dies while idle: nothing lost, the next call starts anew
    victim.join()
    assert bulk.digest_many(hasher, inputs, workers=2) == expected
    assert not set(_pids()) & set(first)


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_worker_killed_mid_call_is_a_sandbox_error_not_a_hang() -> None:
    def slow(chunk: list[bytes]) -> list[int]:
        if b"slow" in chunk and _pool._in_worker:  # noqa: SLF001 - the caller runs a share too
            time.sleep(30)
        return [len(b) for b in chunk]

    job = bulk.register(slow)
    try:
        assert bulk.run_bulk(job, [b"a", b"bb"], workers=2) == [1, 2]  # the pool now knows the job
        victim = _pids()[0]  # the first worker is the one the call uses
        t = threading.Timer(0.3, os.kill, (victim, signal.SIGKILL))
        t.start()
        begun = time.monotonic()
        with pytest.raises(SandboxError, match="worker process died"):
            bulk.run_bulk(job, [b"slow", b"slow"], workers=2)
        t.join()
        assert time.monotonic() - begun < 10
    finally:
        bulk.unregister(job)


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_failing_job_is_a_sandbox_error() -> None:
    def broken(chunk: list[bytes]) -> list[int]:
        raise ZeroDivisionError("boom")

    with pytest.raises(SandboxError, match="ZeroDivisionError: boom"):
        bulk.run_bulk(broken, [b"a", b"b"], workers=2)


def test_small_jobs_stay_in_process() -> None:
    assert bulk.workers_for(10, 1000) == 1
    assert bulk.workers_for(bulk.MIN_ITEMS, 0) == max(1, min(bulk.cores(), bulk.MIN_ITEMS))
    pids: list[int] = []

    def record(chunk: list[bytes]) -> list[int]:
        pids.append(os.getpid())
        return [len(b) for b in chunk]

    assert bulk.run_bulk(record, [b"a", b"bb"]) == [1, 2]
    assert pids == [os.getpid()]


def test_digests_take_threads_from_a_megabyte_when_the_batches_run_off_the_gil(sandbox: Sandbox) -> None:
    """A hasher whose batches run with the GIL released takes threads from
    ``THREAD_DIGEST_MIN_BYTES`` of inputs, whatever their sizes; the work is spread over them
    (nothing forked) and the digests are the serial ones, in order."""
    blake3 = sandbox.load(module_bytes("blake3")).hasher()
    if not blake3.batches_off_gil:
        pytest.skip("the C runner is not built: blake3 batches on the GIL (the rule below applies)")
    every = max(1, bulk.cores())
    least = bulk.THREAD_DIGEST_MIN_BYTES
    assert bulk.digest_workers(blake3, 1, least - 1) == 1
    assert bulk.digest_workers(blake3, least // 64, least) == min(every, least // 64)  # small inputs too
    assert bulk.digest_workers(blake3, 3, least, most=1) == 1
    _pool.shutdown()
    rnd = random.Random(5)
    inputs = [rnd.randbytes(rnd.randrange(0, 3000)) for _ in range(3000)] + [rnd.randbytes(20_000)]
    seen: set[str] = set()
    real = blake3.digest_many

    def spy(items: list[bytes]) -> list[object]:
        seen.add(threading.current_thread().name)
        return real(items)

    blake3.digest_many = spy  # type: ignore[method-assign]
    try:
        assert bulk.digest_many(blake3, inputs) == [blake3.digest(d) for d in inputs]
    finally:
        del blake3.digest_many
    assert _pool._pool is None  # noqa: SLF001 - no process forked
    if every > 1:
        assert len(seen) == 2 and threading.current_thread().name in seen


def test_digests_take_the_pool_only_for_many_bytes_of_large_enough_inputs(sandbox: Sandbox,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A hasher that batches on the GIL (no C runner) sends its inputs to the process pool from
    ``MIN_BYTES`` of inputs averaging ``DIGEST_MIN_AVERAGE`` bytes (below, 2 processes measured
    slower than one); a hasher without batches follows ``workers_for``; ``most`` caps the count."""
    blake3 = sandbox.load(module_bytes("blake3")).hasher()
    fnv = sandbox.load(wat_module("ok_fnv", "hasher")).hasher()
    monkeypatch.setattr(type(blake3._loaded), "frames_off_gil", property(lambda self: False))  # noqa: SLF001
    assert blake3.batches and not blake3.batches_off_gil and not fnv.batches
    every = max(1, bulk.cores())
    big, avg = bulk.MIN_BYTES, bulk.DIGEST_MIN_AVERAGE
    assert bulk.digest_workers(blake3, 100_000, 100_000 * 64) == 1  # many inputs, small ones
    assert bulk.digest_workers(blake3, 100, big - 1) == 1  # too few bytes
    assert bulk.digest_workers(blake3, big // avg, big) == min(every, big // avg)
    assert bulk.digest_workers(blake3, big // avg + 1, big) == 1  # average just under
    assert bulk.digest_workers(blake3, big // avg, big, most=1) == 1
    assert bulk.digest_workers(fnv, bulk.MIN_ITEMS, bulk.MIN_ITEMS * 64) == bulk.workers_for(bulk.MIN_ITEMS, 0)
    assert bulk.digest_workers(fnv, 10, 640) == 1


def test_a_small_window_of_a_batching_hash_is_checked_in_this_thread(tmp_path: Path) -> None:
    """Extension hashes that batch get verdicts for a window of any size, batched in the
    checking thread when the pool would not pay (no worker process is started); a corrupted
    block is "not shown here" (the serial verify then names it)."""
    _pool.shutdown()
    with autocodec.Runtime(tmp_path / "h") as rt:
        rnd = random.Random(3)
        pairs = [(rt.cid_for(d, "raw", "blake3"), d) for d in (rnd.randbytes(n) for n in range(0, 3000, 7))]
        cid, data = pairs[5]
        pairs[5] = (cid, data + b"!")
        verifier = runtime_verifier(rt, workers=2)
        try:
            verifier.prepare(pairs)
            verdicts = verifier.check(pairs)
        finally:
            verifier.close()
    assert _pool._pool is None  # noqa: SLF001 - nothing forked
    assert verdicts == [i != 5 for i in range(len(pairs))]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_dying_worker_is_a_sandbox_error() -> None:
    def die(chunk: list[bytes]) -> list[int]:
        if _pool._in_worker:  # noqa: SLF001 - the caller runs a share too
            os.kill(os.getpid(), signal.SIGKILL)
        return [0 for _ in chunk]

    with pytest.raises(SandboxError, match="worker process died"):
        bulk.run_bulk(die, [b"a", b"b", b"c", b"d"], workers=2)


# --- CAR import with hashes checked over every core ----------------------------------------------


def _mixed_car(rt: autocodec.Runtime, *, corrupt: int | None = None, tail: bytes = b"") -> tuple[bytes, list[tuple[CID, bytes]]]:
    """24 sha2-256 blocks of 256 KiB (threads, hashlib), 700 BLAKE3 blocks of 12 KiB and 300
    keccak-256 blocks of 1 KiB (extension hashers batching off the GIL: threads; see
    ``mechanism`` for the process pool) and an identity block; block ``corrupt`` altered."""
    rnd = random.Random(19)
    blocks = [(rt.cid_for(d, "raw"), d) for d in (rnd.randbytes(256 << 10) for _ in range(24))]
    blocks += [(rt.cid_for(d, "raw", "blake3"), d) for d in (rnd.randbytes(12 << 10) for _ in range(700))]
    blocks += [(rt.cid_for(d, "raw", "keccak-256"), d) for d in (rnd.randbytes(1024) for _ in range(300))]
    blocks.insert(30, (rt.cid_for(b"tiny", "raw", "identity"), b"tiny"))
    if corrupt is not None:
        cid, data = blocks[corrupt]
        blocks[corrupt] = (cid, data[:-1] + bytes([data[-1] ^ 1]))
    out = io.BytesIO()
    writer = CarWriter(out, [blocks[0][0]])
    for cid, data in blocks:
        writer.write(cid, data)
    return out.getvalue() + tail, blocks


def _stored(rt: autocodec.Runtime, blocks: list[tuple[CID, bytes]]) -> list[bool]:
    return [rt.store.has(cid) for cid, _ in blocks]


def _import(home: Path, car: bytes, bulk_verify: bool) -> tuple[autocodec.Runtime, object]:
    rt = autocodec.Runtime(home)
    verifier = runtime_verifier(rt, workers=2) if bulk_verify else None
    try:
        return rt, import_car(rt.store, io.BytesIO(car), verifier=verifier)
    except autocodec.AutocodecError as exc:
        return rt, exc
    finally:
        if verifier is not None:
            verifier.close()


@pytest.fixture(params=["threads", "processes"])
def mechanism(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How extension hashes are checked: threads (batches off the GIL, the C loop), or as
    without the C runner, batches on the GIL, where BLAKE3's 8.2 MiB window takes the process
    pool (``digest_workers``) and keccak-256's 300 KiB stays batched in the checking thread."""
    _pool.shutdown()
    if request.param == "processes":
        from autocodec.loader._sandbox import LoadedModule

        monkeypatch.setattr(LoadedModule, "frames_off_gil", property(lambda self: False))
    return str(request.param)


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_bulk_verified_import_equals_the_serial_one(tmp_path: Path, mechanism: str) -> None:
    with autocodec.Runtime(tmp_path / "make") as rt:
        car, blocks = _mixed_car(rt)
        verifier = runtime_verifier(rt, workers=2)
        try:
            verdicts = verifier.check(blocks)
        finally:
            verifier.close()
    assert verdicts[:24] == [True] * 24 and all(verdicts[31:])  # every path ran (identity: serial)
    assert (_pool._pool is not None) == (mechanism == "processes")  # noqa: SLF001 - forked only for the pool
    results = {}
    for mode in (False, True):
        rt, result = _import(tmp_path / f"h{mode}", car, mode)
        with rt:
            assert all(_stored(rt, blocks[:30] + blocks[31:]))
            assert all(rt.store.get(cid) == data for cid, data in blocks[:30] + blocks[31:])
            assert not getattr(rt.store.verify, "passed", {})  # no verdict outlives its import
        results[mode] = result
    assert results[False] == results[True]


def _refused_alike(tmp_path: Path, car: bytes, blocks: list[tuple[CID, bytes]],
                   refusal: type[AutocodecError]) -> tuple[str, list[bool]]:
    """The serial and the bulk import of ``car`` each end in a ``refusal`` with the same message,
    having stored the same ``blocks`` (and kept no verdict): that message and which were stored."""
    outcome = {}
    for mode in (False, True):
        rt, result = _import(tmp_path / f"h{mode}", car, mode)
        with rt:
            assert isinstance(result, refusal), result
            outcome[mode] = (result.message, _stored(rt, blocks))
            assert not getattr(rt.store.verify, "passed", {})  # no verdict outlives its import
    assert outcome[True] == outcome[False]
    return outcome[True]


@pytest.mark.slow  # forks the bulk pool's worker processes
@pytest.mark.parametrize("corrupt", [5, 400, 900])  # sha2-256, BLAKE3, keccak-256
def test_a_corrupt_block_fails_the_bulk_import_as_the_serial_one(tmp_path: Path, corrupt: int, mechanism: str) -> None:
    with autocodec.Runtime(tmp_path / "make") as rt:
        # the CAR also ends in a truncated section: the serial import never reaches it
        car, blocks = _mixed_car(rt, corrupt=corrupt, tail=b"\x80\x01garbage")
    message, stored = _refused_alike(tmp_path, car, blocks, HashMismatch)
    assert str(blocks[corrupt][0]) in message
    assert stored[corrupt - 1] and not stored[corrupt]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_malformed_tail_fails_the_bulk_import_as_the_serial_one(tmp_path: Path) -> None:
    with autocodec.Runtime(tmp_path / "make") as rt:
        car, blocks = _mixed_car(rt, tail=b"\x80\x01garbage")
    _message, stored = _refused_alike(tmp_path, car, blocks, InvalidCar)
    assert all(stored)


def test_a_verifier_without_spare_workers_is_serial() -> None:
    verifier = BlockVerifier(lambda cid, data: None, workers=1)
    cid = CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
    assert verifier.check([(cid, b"x" * (8 << 20))]) == [False]  # "not shown here": serial decides


@pytest.mark.slow
def test_cli_car_import_with_a_killed_worker_is_one_typed_line(tmp_path: Path) -> None:
    """``autocodec car import`` of 20000 keccak-256 blocks of 3 KiB, without the C runner
    (``AUTOCODEC_SLOW_CALLS``: batches on the GIL, so windows of 12 MiB are checked over
    processes, ``digest_workers``): a worker killed mid-import is one line on stderr and a
    non-zero exit, not a traceback or a hang."""
    home = tmp_path / "home"
    with autocodec.Runtime(home) as rt:
        rnd = random.Random(5)
        out = io.BytesIO()
        items = [(rt.cid_for(d, "raw", "keccak-256"), d) for d in (rnd.randbytes(3072) for _ in range(20_000))]
        writer = CarWriter(out, [items[0][0]])
        for cid, data in items:
            writer.write(cid, data)
    car = tmp_path / "b3.car"
    car.write_bytes(out.getvalue())
    env = {**os.environ, "AUTOCODEC_HOME": str(home), "AUTOCODEC_SLOW_CALLS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "car", "import", "-q", str(car)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = False  # every worker that appears is killed: one dies during a call (an idle one
    deadline = time.monotonic() + 60  # would only be replaced)
    while proc.poll() is None and time.monotonic() < deadline:
        pids = []  # the workers are forked by the thread that checks ahead: every thread's children
        for task in Path(f"/proc/{proc.pid}/task").glob("*"):
            try:
                pids += (task / "children").read_text().split()
            except OSError:
                pass
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    stdout, stderr = proc.communicate(timeout=60)
    assert killed, "the import never started a worker"
    lines = stderr.decode().strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1, stderr
    assert "a bulk worker process died" in lines[0] and lines[0].startswith("autocodec: "), lines


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_fork_waits_for_a_thread_inside_the_loader(sandbox: Sandbox) -> None:
    """The pool forks only while no other thread holds the loader's instance lock: a lock held
    at the fork would stay locked in the workers, and their first guest call would hang."""
    from autocodec.loader import _sandbox

    hasher = sandbox.load(wat_module("ok_fnv", "hasher")).hasher()  # no batches: the process pool
    inputs = [bytes([i]) * 100 for i in range(40)]
    expected = [hasher.digest(d) for d in inputs]
    _pool.shutdown()
    hasher._loaded.close()  # noqa: SLF001 - no idle instance: a worker's first call takes the lock
    holding = threading.Event()

    def hold() -> None:
        with _sandbox._idle_lock:  # noqa: SLF001
            holding.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait()
    got: list[object] = []
    caller = threading.Thread(target=lambda: got.append(bulk.digest_many(hasher, inputs, workers=2)), daemon=True)
    caller.start()
    caller.join(timeout=30)
    holder.join()
    if caller.is_alive():  # broken: do not leave hung workers behind
        for proc in _pool._pool.procs if _pool._pool else []:  # noqa: SLF001
            proc.kill()
    assert got == [expected]


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_inputs_past_the_arena_go_in_rounds(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs larger than the shared arena go through it in rounds, a chunk larger than the
    whole arena runs in the calling thread, and non-bytes items travel pickled: the same
    results every way."""
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    inputs = [bytes([i % 256]) * 300 for i in range(640)]  # 10 chunks of 64 inputs (19200 bytes)
    expected = [hasher.digest(d) for d in inputs]
    rounds: list[int] = []
    real_round = _pool._spread_round  # noqa: SLF001

    def counted(job: int, chunks: list[list[object]], *args: object) -> None:
        rounds.append(len(chunks))
        real_round(job, chunks, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_pool, "_spread_round", counted)
    monkeypatch.setattr(_pool_shared, "ARENA_BYTES", 80_000)  # rounds of two chunks (half the arena each)
    assert _pooled(hasher, inputs) == expected
    assert rounds == [2] * 5
    rounds.clear()
    monkeypatch.setattr(_pool_shared, "ARENA_BYTES", 10_000)  # no chunk fits: each runs here
    assert _pooled(hasher, inputs) == expected
    assert rounds == [1] * 10
    monkeypatch.undo()
    job = bulk.register(lambda chunk: [a + b for a, b in chunk])
    try:
        assert bulk.run_bulk(job, [(i, i) for i in range(100)], workers=2) == [2 * i for i in range(100)]
    finally:
        bulk.unregister(job)


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_an_input_that_cannot_be_sent_is_a_sandbox_error_not_a_hang() -> None:
    job = bulk.register(lambda chunk: [0 for _ in chunk])
    try:
        items: list[object] = [threading.Lock() for _ in range(8)]  # not picklable
        begun = time.monotonic()
        with pytest.raises(SandboxError, match="could not be sent"):
            bulk.run_bulk(job, items, workers=2)
        assert time.monotonic() - begun < 10
    finally:
        bulk.unregister(job)


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_bulk_import_forks_in_the_calling_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes are checked in a helper thread while the calling thread stores (and may run guest
    code): the pool is started (forked) in the calling thread, never in the helper. (Batches
    on the GIL here, so that BLAKE3's window takes the pool: see ``mechanism``.)"""
    from autocodec.loader._sandbox import LoadedModule

    monkeypatch.setattr(LoadedModule, "frames_off_gil", property(lambda self: False))
    with autocodec.Runtime(tmp_path / "make") as rt:
        car, _ = _mixed_car(rt)
    forks: list[str] = []
    real = _pool._Pool.__init__  # noqa: SLF001

    def record(self: object, *args: object) -> None:
        forks.append(threading.current_thread().name)
        real(self, *args)  # type: ignore[arg-type]

    _pool.shutdown()
    monkeypatch.setattr(_pool._Pool, "__init__", record)  # noqa: SLF001
    rt, result = _import(tmp_path / "h", car, True)
    with rt:
        assert not isinstance(result, Exception)
    assert forks == [threading.current_thread().name]


def test_tickets_refuse_a_stale_generation() -> None:
    """A worker still finishing one call cannot claim a chunk of the next; the calling thread
    claims from the back while workers claim from the front, each chunk once."""
    import multiprocessing

    tickets = _pool_shared._Tickets(multiprocessing.get_context("fork"))  # noqa: SLF001
    try:
        tickets.open(1, 3)
        assert tickets.claim_front(1) == tickets.WAIT  # not in the arena yet
        tickets.staged(1)
        assert tickets.claim_front(1) == 0
        assert tickets.claim_front(1) == tickets.WAIT
        assert tickets.claim_back() == 2  # the caller's own share needs no arena
        tickets.open(2, 2)
        tickets.staged(2)
        assert tickets.claim_front(1) is None  # the old call's worker
        assert [tickets.claim_front(2), tickets.claim_back(), tickets.claim_front(2), tickets.claim_back()] == [0, 1, None, None]
        assert tickets.state() == (1, 1)
    finally:
        tickets.close()


def test_a_workers_frame_is_built_from_the_arena_as_the_blocks_would_be_framed() -> None:
    """``decode_many``'s workers take a batch's frame straight from the arena (``_frame_of``):
    exactly ``_frame`` of the batch's blocks read back one by one; a pickled chunk has none."""
    import mmap

    from autocodec.loader._adapters import _frame

    chunks: list[list[object]] = [[b"a", b"", b"xyz" * 100], [b"only"], [("not", "bytes")]]
    shapes = [_pool_shared._shape(c) for c in chunks]  # noqa: SLF001
    staging = _pool_shared._Staging(chunks, shapes)  # noqa: SLF001
    with mmap.mmap(-1, 1 << 16) as arena:
        for i in range(len(chunks)):
            staging.copy(i, arena)
        for i, chunk in enumerate(chunks[:2]):
            entry = staging.table[i]
            assert _pool_shared._frame_of(entry, arena) == _frame(_pool_shared._items(entry, arena)) == _frame(chunk)  # type: ignore[arg-type]  # noqa: SLF001
        assert _pool_shared._frame_of(staging.table[2], arena) is None  # noqa: SLF001


def test_the_calling_threads_share_shrinks_with_its_receive_cost() -> None:
    """Before anything is measured the calling thread takes a chunk only if every worker still
    has one; measured, it takes one only while it would finish no later than the workers:
    with a receive as costly as a run it leaves the rest to them."""
    share = _pool_shared._Share(procs=1)  # noqa: SLF001
    assert share.worth_taking(unsent=2, outstanding=0) and share.worth_taking(unsent=1, outstanding=1)
    assert not share.worth_taking(unsent=1, outstanding=0) and not share.worth_taking(unsent=0, outstanding=3)
    cheap = _pool_shared._Share(procs=1)  # noqa: SLF001
    cheap.ran(0.010, 0.0)
    assert cheap.worth_taking(unsent=10, outstanding=1)
    costly = _pool_shared._Share(procs=1)  # noqa: SLF001
    costly.ran(0.010, 0.010)
    assert not any(costly.worth_taking(unsent=n, outstanding=1) for n in (1, 10, 1000))  # receiving alone is longer


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_workers_wait_for_shares_still_being_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shares after the first ones are copied into the arena while the workers already run: a
    worker that reaches one not yet copied waits for it (never reads a stale arena), and the
    results are the serial ones."""
    real_copy = _pool_shared._Staging.copy  # noqa: SLF001
    copied: list[int] = []

    def slow_copy(self: object, i: int, arena: object) -> None:
        if i >= 1:
            time.sleep(0.02)  # the worker is done with share 0 long before share 1 is in
        real_copy(self, i, arena)  # type: ignore[arg-type]
        copied.append(i)

    monkeypatch.setattr(_pool_shared._Staging, "copy", slow_copy)  # noqa: SLF001
    items = [bytes([i % 251]) * (100 + i % 7) for i in range(4000)]
    job = bulk.register(lambda chunk: [(len(x) * x[0], _pool._in_worker) for x in chunk])  # noqa: SLF001
    try:
        got = bulk.run_bulk(job, items, workers=2)
    finally:
        bulk.unregister(job)
    assert [value for value, _ in got] == [len(x) * x[0] for x in items]
    assert any(in_worker for _, in_worker in got)  # the worker did take shares
    assert len(copied) >= 8  # the shares were copied one by one while the call ran


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_a_share_counter_left_locked_is_a_sandbox_error_not_a_hang() -> None:
    """A worker killed inside a claim leaves the counters' cross-process lock taken forever;
    the call then fails with a typed error after the lock's short bound (claims hold it for
    microseconds), and the next call runs on a new pool."""
    job = bulk.register(lambda chunk: [x * 2 for x in chunk])
    try:
        items = list(range(5000))
        assert bulk.run_bulk(job, items, workers=2) == [x * 2 for x in items]
        pool = _pool._pool  # noqa: SLF001
        assert pool is not None
        assert pool.tickets.lock.acquire(timeout=5)  # as a worker killed while holding it would
        try:
            begun = time.monotonic()
            with pytest.raises(SandboxError, match="died while claiming work"):
                bulk.run_bulk(job, items, workers=2)
            assert time.monotonic() - begun < 30
        finally:
            pool.tickets.lock.release()
        assert _pool._pool is not pool  # noqa: SLF001 - discarded
        assert bulk.run_bulk(job, items, workers=2) == [x * 2 for x in items]
    finally:
        bulk.unregister(job)


_ORPHAN = r"""
import os, sys, threading, time
sys.path.insert(0, sys.argv[1])
from autocodec import bulk
from autocodec.loader import _pool, _pool_shared
job = bulk.register(lambda chunk: [len(x) for x in chunk])
items = [b"x" * 100] * 4000
bulk.run_bulk(job, items, workers=2)  # the pool is up
real = _pool_shared._Staging.copy
def stalled(self, i, arena):
    if i >= 1:
        time.sleep(60)  # the caller "dies" while the worker waits for this share
    real(self, i, arena)
_pool_shared._Staging.copy = stalled
threading.Thread(target=bulk.run_bulk, args=(job, items, 2), daemon=True).start()
time.sleep(1.0)
print(" ".join(str(p.pid) for p in _pool._pool.procs), flush=True)
os._exit(0)  # no cleanup: as a caller killed mid-call
"""


@pytest.mark.slow  # forks the bulk pool's worker processes
def test_workers_waiting_for_a_share_exit_when_the_caller_dies() -> None:
    """A worker waiting for a share the caller is still copying notices that the caller has
    gone (its pipe at EOF) and exits, instead of waiting forever."""
    from .conftest import REPO

    proc = subprocess.run([sys.executable, "-c", _ORPHAN, str(REPO)], capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in proc.stdout.split()]
    assert pids, proc.stderr[-2000:]
    deadline = time.monotonic() + 20
    alive = pids
    try:
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        assert not alive, f"workers still running after their caller died: {alive}"
    finally:
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"
