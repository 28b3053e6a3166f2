"""Bulk work over every core: a persistent pool of forked worker processes.

CPython runs Python code one thread at a time; guest calls release the GIL but converting
their output to Python objects does not, so threads stop scaling at the conversion (issue 19).
Worker *processes* scale. Public API (re-exported as ``autocodec.bulk``):

- ``decode_many(codec, blocks, workers=None)``: like ``Codec.decode_many`` (a value or the
  error for each block, in order). The workers run the guest calls (``ac_decode_batch``) on
  the very batches ``Codec.decode_many`` would form; this process converts each batch's
  output while the workers run the next ones, and runs guest calls itself between replies
  (the conversion is the part that holds the GIL, and a decoded value would cost as much to
  unpickle as to convert).
- ``links_many(codec, blocks, workers=None)``: the CIDs each block links to (or its error).
- ``digest_many(hasher, inputs, workers=None)``: the raw digest of each input (on threads,
  ``_threads.spread``, when the hasher's batch frames run with the GIL released).
- ``run_bulk(job, items, workers=None)`` with ``job = register(fn)``: any function of a list
  of items giving one small, picklable result per item.
- ``workers_for(items, total_bytes)``: how many processes a job of that size is worth
  (``1`` below ``MIN_ITEMS`` items and ``MIN_BYTES`` bytes: small jobs stay in the calling
  thread, where threads keep working as before); ``digest_workers`` the same for digests.

Invariants:
- Results are exactly the serial ones, in input order: workers run the same code on
  contiguous shares (whole serial batches for ``decode_many``); errors travel as (class,
  message, attributes) and are rebuilt as the same ``AutocodecError`` subclass.
- The pool is started on first use and reused by later calls (``fork``: workers share this
  process's compiled modules and never compile); it is restarted when a call needs a job
  registered after its workers were forked, or more workers; it is closed at exit. A worker
  that dies (killed, out of memory) is a ``SandboxError`` for the call, never a hang, and
  the pool is discarded (the next call starts a new one). The sandbox limits (fuel,
  deadline, memory) hold in each worker: it runs the same ``LoadedModule`` calls, and so does
  the calling thread's call cap (``_callcap``: a vectors run's end), sent with each call.
- One call uses the pool at a time; a call made while another thread holds it, a call in a
  worker, one worker's worth of work, or a platform without ``fork`` run in the calling thread.
- The calling thread is one of the ``workers``: it claims chunks from the back and runs them
  itself while forked workers claim them from the front (``_Tickets``), as long as, by the
  times measured in the call, it would still finish no later than they do (``_Share``); in
  ``decode_many`` it also converts every batch's output as it arrives, so it takes fewer.
- Inputs travel to the workers once: every chunk is written to a shared anonymous arena
  (bytes items as contiguous bytes, others pickled), the first ones before the workers are
  told of the call and the rest at once after, and workers claim only chunks already written,
  so no worker ever waits for this thread to send it something (a ``decode_many`` worker
  builds its batch's frame from the arena in one C call, ``_frame_of``); a receiver thread reads the
  replies into a queue, and socket buffers are widened so that a worker writes a reply and
  goes on. Inputs larger than the arena go in rounds. A worker that died while idle is
  replaced before the next call.
"""

from __future__ import annotations

import atexit
import mmap
import multiprocessing
import os
import signal
import threading
import time
import weakref
from array import array
from itertools import chain
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from multiprocessing.connection import Connection, wait
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any

from .._inputs import as_bytes
from ..errors import AutocodecError, GuestError, GuestFault, InvalidInput, SandboxError
from . import _callcap, _threads
from ._pool_shared import (
    ARENA_BYTES,
    _frame_of,
    _items,
    _rounds,
    _shape,
    _shape_of,
    _Share,
    _Staging,
    _Tickets,
    _widen,
)

if TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.process import BaseProcess

    from ..cid import CID
    from ._adapters import Codec, Hasher

MIN_ITEMS = 2000
MIN_BYTES = 8 << 20
DIGEST_MIN_AVERAGE = 1024  # bytes per input a batching hasher needs to take the pool (digest_workers)
THREAD_DIGEST_MIN_BYTES = 1 << 20  # inputs a hasher batching off the GIL needs to take threads
_CHUNKS_PER_WORKER = 8
_MIN_CHUNK_ITEMS = 64

Job = Callable[[list[Any]], list[Any]]
_jobs: dict[int, Job] = {}  # inherited by forked workers
_jobs_lock = threading.Lock()
_next_job = 0
_in_worker = False


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def workers_for(items: int, total_bytes: int) -> int:
    """Processes worth using for ``items`` inputs of ``total_bytes`` (1: stay in-process)."""
    if items < MIN_ITEMS and total_bytes < MIN_BYTES:
        return 1
    return max(1, min(cores(), items))


def register(fn: Job) -> int:
    """A job id for ``fn`` (a function of a list of items giving one result per item); the
    pool's workers know every job registered before they were forked."""
    global _next_job
    with _jobs_lock:
        job = _next_job
        _next_job += 1
        _jobs[job] = fn
    return job


def unregister(job: int) -> None:
    with _jobs_lock:
        _jobs.pop(job, None)


# --- errors across the process boundary -------------------------------------------------------

_ERROR = "\0error"


def _ship(exc: AutocodecError) -> tuple[str, type[AutocodecError], str, dict[str, Any]]:
    return (_ERROR, type(exc), exc.message, dict(vars(exc)))


def _land(item: Any) -> Any:
    if type(item) is tuple and len(item) == 4 and item[0] == _ERROR:
        cls, message, attrs = item[1], item[2], item[3]
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        vars(exc).update(attrs)
        return exc
    return item


# --- the pool ---------------------------------------------------------------------------------


def _serve(conn: Connection, inherited: list[Connection], arena: mmap.mmap, tickets: _Tickets) -> None:
    """A worker's loop: a call's ``(generation, job, table, cap)`` in; then, for every chunk it
    can claim from the front of that call's tickets, ``(index, results)`` out, its guest calls
    under the caller's call cap (``_callcap``); until the pipe closes."""
    global _in_worker, _pool
    _in_worker = True
    _pool = None
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's: it closes the pool
    for other in inherited:  # the parent's pipe ends: each worker must see EOF when the parent goes
        other.close()
    while True:
        try:
            generation, job, table, cap = conn.recv()
        except (EOFError, OSError):
            return
        with _callcap.carried(cap):  # the caller's call cap (a vectors run's end) holds here too
            if not _serve_call(conn, arena, tickets, generation, job, table):
                return


def _serve_call(conn: Connection, arena: mmap.mmap, tickets: _Tickets, generation: int, job: int, table: Any) -> bool:
    """A worker's share of one call; False when the worker should end (the caller went)."""
    while True:
        try:
            seq = tickets.claim_front(generation)
        except SandboxError:  # the counter's lock was left taken: the caller sees it too and discards the pool
            return False
        if seq is None:
            break
        if seq == _Tickets.WAIT:  # the caller is still copying it into the arena (microseconds)
            if conn.poll():  # nothing is sent during a call: this is the caller gone (EOF)
                return False
            time.sleep(0.0001)
            continue
        entry = table[seq]
        try:
            fn = _jobs[job]
            framed = _frame_of(entry, arena) if hasattr(fn, "framed") else None
            results = fn(_items(entry, arena)) if framed is None else fn.framed(framed, partial(_items, entry, arena))  # type: ignore[attr-defined]
            out: Any = [_ship(x) if isinstance(x, AutocodecError) else x for x in results]
        except AutocodecError as exc:
            out = _ship(exc)
        except Exception as exc:  # a bug in a job: reported to the caller, not a silent hang
            out = _ship(SandboxError(f"a bulk worker failed: {type(exc).__name__}: {exc}"))
        try:
            conn.send((seq, out))
        except OSError:  # the caller closed the pool (a call failed or was interrupted): quietly
            return False
    return True


class _Pool:
    """``size`` forked workers that know jobs ``< known``."""

    def __init__(self, size: int, known: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.known = known
        self.procs: list[BaseProcess] = []
        self.conns: list[Connection] = []
        self.arena = mmap.mmap(-1, ARENA_BYTES)  # MAP_SHARED | MAP_ANONYMOUS: the workers see it
        self.tickets = _Tickets(ctx)
        self.generation = 0
        with _loader_quiet():
            self._start(ctx, size)

    def _start(self, ctx: Any, size: int) -> None:
        for _ in range(size):
            mine, theirs = ctx.Pipe()
            _widen(mine)
            _widen(theirs)
            proc = ctx.Process(target=_serve, args=(theirs, [*self.conns, mine], self.arena, self.tickets), daemon=True,
                               name="autocodec-bulk")
            proc.start()
            theirs.close()
            self.procs.append(proc)
            self.conns.append(mine)

    def release(self) -> None:
        """Unmap the shared memory (after ``close``: no worker uses it any more)."""
        self.arena.close()
        self.tickets.close()

    def close(self, kill: bool = False) -> None:
        for conn in self.conns:
            conn.close()  # a live worker reads EOF and returns
        for proc in self.procs:
            if kill:
                proc.kill()
            proc.join(timeout=2)
            if proc.is_alive():  # pragma: no cover - a worker stuck in a guest call past the close
                proc.kill()
                proc.join()


_pool: _Pool | None = None
_pool_lock = threading.Lock()
_held: Any = None  # the loader lock held across a fork (released in the child too)


@contextmanager
def _loader_quiet() -> Iterator[None]:
    """Fork only while no other thread is inside the loader's idle-instance bookkeeping: a
    lock held by another thread at the fork would stay locked in the child forever."""
    global _held
    from . import _sandbox

    lock = getattr(_sandbox, "_idle_lock", None)
    if lock is None:  # pragma: no cover - the loader changed: nothing to hold
        yield
        return
    with lock:
        _held = lock
        try:
            yield
        finally:
            _held = None


def _pool_for(workers: int, job: int) -> _Pool:
    global _pool
    if _pool is not None and not all(p.is_alive() for p in _pool.procs):
        _pool.close(kill=True)  # a worker died while idle (nothing of a call was lost): start anew
        _pool.release()
        _pool = None
    if _pool is not None and (job >= _pool.known or len(_pool.procs) < workers):
        _pool.close()
        _pool.release()
        _pool = None
    if _pool is None:
        with _jobs_lock:
            known = _next_job
        _pool = _Pool(workers, known)
    return _pool


def prepare(jobs: Sequence[int], workers: int) -> None:
    """Start (or re-fork) the pool now, in this thread, so that it knows ``jobs`` and has
    ``workers`` processes: a caller that will run bulk calls from a helper thread while its
    own thread runs guest code forks here, while no guest call is in flight (wasmtime's
    internal locks are not covered by the loader-lock hold of ``_loader_quiet``)."""
    if not jobs or workers < 1 or not _forkable() or not _pool_lock.acquire(blocking=False):
        return
    try:
        _pool_for(workers, max(jobs))
    finally:
        _pool_lock.release()


def digest_job(hasher: Hasher) -> int:
    """The job ``digest_many`` uses for ``hasher`` (for ``prepare``): ``Hasher.digest_many`` over
    each share when the hasher batches (each worker frames its own share), else one input at a
    time."""
    if hasher.batches:
        return _job_for(hasher, "digest-batched", lambda ref: lambda chunk: ref().digest_many(chunk))
    return _job_for(hasher, "digest", lambda ref: _each(lambda data: ref().digest(data)))


def shutdown() -> None:
    """Stop the pool's workers (at exit; the next bulk call starts a new pool). A call still
    running in another thread after 5 s (at exit: a daemon thread) does not hold exit up: its
    workers are killed and it fails with the dead-worker ``SandboxError``."""
    global _pool
    locked = _pool_lock.acquire(timeout=5)
    try:
        pool, _pool = _pool, None
        if pool is not None:
            pool.close(kill=not locked)
            if locked:
                pool.release()
    finally:
        if locked:
            _pool_lock.release()


atexit.register(shutdown)


def _after_fork_in_child() -> None:
    global _pool, _pool_lock, _held
    if _pool is not None:  # a forked process never drives its parent's workers, nor keeps their
        for conn in _pool.conns:  # pipes open (they must see EOF when the parent goes)
            conn.close()
    _pool = None
    _pool_lock = threading.Lock()
    if _held is not None:  # forked by _Pool: the loader lock the parent holds is free here
        _held.release()
        _held = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _forkable() -> bool:
    return not _in_worker and "fork" in multiprocessing.get_all_start_methods()


def _spread(job: int, chunks: list[list[Any]], workers: int, receive: Callable[[int, list[Any]], None],
            local: Job | None = None, shapes: list[tuple[array[int] | None, int]] | None = None) -> None:
    """Run ``job`` on every chunk; ``receive(i, results)`` in this thread as each comes back,
    while the others are still being worked on. With ``local``, this thread is one of the
    ``workers`` (the pool has ``workers - 1`` processes): between replies it runs ``local`` on
    chunks it claims from the back, as much as ``_Share`` finds worth it.

    Every chunk's place in the arena is planned first (``_Staging``); the first chunks are
    copied there before the workers are told of the call and the rest right after, while they
    run. Each worker claims its next chunk itself as soon as it is done with one
    (``_Tickets``; only chunks already copied): no worker waits on this thread, whatever this
    thread is busy with afterwards. A receiver thread reads the replies (waiting with the GIL
    released) and hands them over through a queue. Inputs larger than the arena go in
    consecutive rounds. ``shapes``: the chunks' ``_shape``s, when the caller has them already."""
    if shapes is None:
        shapes = [_shape(chunk) for chunk in chunks]
    for start, end in _rounds(shapes):
        _spread_round(job, chunks[start:end], shapes[start:end], workers, partial(_shifted, receive, start), local)


def _shifted(receive: Callable[[int, list[Any]], None], start: int, i: int, out: list[Any]) -> None:
    receive(start + i, out)


def _spread_round(job: int, chunks: list[list[Any]], shapes: list[tuple[array[int] | None, int]], workers: int,
                  receive: Callable[[int, list[Any]], None], local: Job | None) -> None:
    global _pool
    procs_wanted = workers - 1 if local is not None else workers
    pool = _pool_for(procs_wanted, job)
    conns = pool.conns[:procs_wanted]
    procs = pool.procs[:procs_wanted]
    staging = _Staging(chunks, shapes)
    if not staging.fits:  # one chunk larger than the arena: in this thread, as a call without a pool
        run = local or _jobs[job]
        receive(0, run(chunks[0]))
        return
    pool.generation += 1
    tickets = pool.tickets
    replies: SimpleQueue[tuple[float, tuple[int, Any]] | BaseException] = SimpleQueue()
    stop = False
    wake_in, wake_out = multiprocessing.Pipe(duplex=False)

    def collect() -> None:
        by_sentinel = {p.sentinel: p for p in procs}
        try:
            while not stop:
                for ready in wait([*conns, *by_sentinel, wake_in], timeout=5):
                    if ready is wake_in:  # the call is over
                        return
                    if isinstance(ready, Connection):
                        try:
                            reply = ready.recv()
                        except (EOFError, OSError):
                            replies.put(_died())
                            return
                        replies.put((time.perf_counter(), reply))
                    elif not any(c.poll() for c in conns):
                        replies.put(_died())
                        return
        except Exception as exc:  # the pool was closed under it (the call failed): nothing to report
            if not stop:  # pragma: no cover - an unexpected transport failure
                replies.put(SandboxError(f"a bulk reply could not be read: {type(exc).__name__}: {exc}"))

    share = _Share(len(conns))
    received = 0  # replies from workers

    def take_local() -> int | None:
        front, back = tickets.state()
        if not share.worth_taking(back - front, front - received):
            return None
        return tickets.claim_back()

    def run_local(mine: int) -> None:
        began = time.perf_counter()
        try:
            out = local(chunks[mine])  # type: ignore[misc]
        except AutocodecError:
            raise
        except Exception as exc:  # as a worker reports a failing job
            raise SandboxError(f"a bulk worker failed: {type(exc).__name__}: {exc}") from exc
        ran = time.perf_counter()
        receive(mine, out)
        share.ran(ran - began, time.perf_counter() - ran)

    def land(reply: tuple[float, tuple[int, Any]] | BaseException) -> None:
        if isinstance(reply, BaseException):
            raise reply
        at, (seq, out) = reply
        if type(out) is tuple:  # the whole chunk failed
            raise _land(out)
        began = time.perf_counter()
        receive(seq, out)
        share.received(at, time.perf_counter() - began)

    collector = threading.Thread(target=collect, name="autocodec-bulk-receive", daemon=True)
    pending = len(chunks)
    done = False
    try:
        tickets.open(pool.generation, len(chunks))
        first = take_local() if local is not None else None  # claimed before any worker is told
        collector.start()
        # The first shares are copied before the workers are told, the rest while they work
        # (in order: a worker claims only shares already in the arena).
        _, back = tickets.state()
        head = min(back, len(conns))
        for i in range(head):
            staging.copy(i, pool.arena)
        tickets.staged(head)
        for conn in conns:
            try:
                conn.send((pool.generation, job, staging.table, _callcap.current()))
            except OSError:  # a worker that died since the pool was checked
                raise _died() from None
        for i in range(head, back):
            staging.copy(i, pool.arena)
            if (i - head) % 4 == 3 or i == back - 1:
                tickets.staged(i + 1)
        if first is not None:
            run_local(first)
            pending -= 1
        while pending:
            try:
                reply = replies.get_nowait()
            except Empty:
                mine = take_local() if local is not None else None
                if mine is not None:
                    run_local(mine)
                    pending -= 1
                    continue
                reply = replies.get()
            received += 1
            land(reply)
            pending -= 1
        done = True
    finally:
        stop = True
        wake_out.send_bytes(b"")
        if not done:  # replies still in flight: the pool's state is unknown, discard it
            pool.close(kill=True)
            _pool = None
        if collector.is_alive():
            collector.join()  # ends at once: the pool is closed, or every reply is in
        wake_in.close()
        wake_out.close()
        if not done:
            pool.release()


def _landed(part: list[Any]) -> list[Any]:
    """``part`` with its shipped errors rebuilt (``_land``); a part without one is returned as is."""
    return [_land(x) for x in part] if tuple in set(map(type, part)) else part


def _died() -> SandboxError:
    return SandboxError("a bulk worker process died (killed, or out of memory)",
                        hint="the work it had was not used; retry, and check the machine's free memory")


def _split(items: list[Any], workers: int) -> list[list[Any]]:
    # several per process (whoever is free takes the next), but not so small that the round
    # trip (~0.2-0.5 ms) outweighs the work
    pieces = max(1, min(workers * _CHUNKS_PER_WORKER, max(workers, len(items) // _MIN_CHUNK_ITEMS), len(items)))
    step = -(-len(items) // pieces)
    return [items[i : i + step] for i in range(0, len(items), step)]


def run_bulk(job: int | Job, items: Sequence[Any], workers: int | None = None, total_bytes: int | None = None) -> list[Any]:
    """The job over ``items``, spread over ``workers`` processes (``None``: ``workers_for``),
    results in input order. ``job`` is a ``register`` id (reused pool) or a function
    (registered for this call only)."""
    items = list(items)
    if workers is None:
        size = total_bytes if total_bytes is not None else sum(len(b) for b in items if isinstance(b, (bytes, bytearray)))
        workers = workers_for(len(items), size)
    workers = max(1, min(workers, len(items)))
    own = not isinstance(job, int)
    fn = _jobs[job] if isinstance(job, int) else job
    if workers == 1 or not _forkable() or not _pool_lock.acquire(blocking=False):
        return fn(items)
    try:
        jid = job if isinstance(job, int) else register(fn)
        try:
            chunks = _split(items, workers)
            parts: list[list[Any]] = [[] for _ in chunks]

            def receive(i: int, out: list[Any]) -> None:
                parts[i] = out

            _spread(jid, chunks, workers, receive, local=fn)
        finally:
            if own:
                unregister(jid)
    finally:
        _pool_lock.release()
    return list(chain.from_iterable(map(_landed, parts)))


# --- jobs per adapter (one registration per object and kind, so the pool is reused) ------------

_by_object: dict[tuple[int, str], int] = {}


def _job_for(obj: Any, kind: str, make: Callable[[Callable[[], Any]], Job]) -> int:
    """The job id of ``make(get_obj)`` for ``obj``; dropped when ``obj`` is collected."""
    key = (id(obj), kind)
    job = _by_object.get(key)
    if job is None:
        try:
            ref: Callable[[], Any] = weakref.ref(obj)
            weakref.finalize(obj, _forget, key)
        except TypeError:  # not weakly referable: kept for the process's life
            ref = lambda: obj  # noqa: E731
        job = _by_object[key] = register(make(ref))
    return job


def _forget(key: tuple[int, str]) -> None:
    job = _by_object.pop(key, None)
    if job is not None:
        unregister(job)


def _each(fn: Callable[[Any], Any]) -> Job:
    """A chunk job applying ``fn`` to each item, an ``AutocodecError`` kept as that item's result."""

    def work(chunk: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in chunk:
            try:
                out.append(fn(item))
            except AutocodecError as exc:
                out.append(exc)
        return out

    return work


def digest_workers(hasher: Hasher, count: int, total_bytes: int, most: int | None = None) -> int:
    """Workers worth using to digest ``count`` inputs of ``total_bytes`` (at most ``most``,
    default every core). A hasher whose batches run with the GIL released
    (``Hasher.batches_off_gil``) takes threads from ``THREAD_DIGEST_MIN_BYTES``. One that batches
    otherwise costs about 1.4 us per 1 KiB input in one process, near what the process pool
    adds per input (the copies, the digests sent back), so it takes the pool only for
    ``MIN_BYTES`` or more of inputs averaging ``DIGEST_MIN_AVERAGE`` bytes or more; one that
    does not batch pays a guest call per input, and ``workers_for`` decides."""
    if hasher.batches_off_gil:
        n = 1 if total_bytes < THREAD_DIGEST_MIN_BYTES else max(1, min(cores(), count))
    elif hasher.batches and (total_bytes < MIN_BYTES or total_bytes < count * DIGEST_MIN_AVERAGE):
        n = 1
    else:
        n = workers_for(count, total_bytes)
    return n if most is None else max(1, min(n, most))


def _checked(adapter: Any, kind: str, items: Sequence[Any], workers: int | None, what: str, *,
             each: bool = True) -> list[Any]:
    """``items`` as a list of ``bytes`` (bytes-like items converted), after checking the
    arguments: ``adapter`` must be a loaded module's ``kind`` adapter and ``workers`` None or an
    int; ``InvalidInput`` otherwise, before any work is spread (a worker's TypeError would
    otherwise read as a misbehaving module). ``each=False``: the items are listed but not looked
    at, for work on threads of this process, where the adapter refuses an item of another type
    itself (``InvalidInput``) and converts bytes-like ones; a list is then given back as it is,
    not copied (the threads only read it, each its own pieces: a copy here would touch every
    item from this thread, see ``_threads``)."""
    from ._adapters import Codec, Hasher

    expected = {"codec": Codec, "hasher": Hasher}[kind]
    if not isinstance(adapter, expected):
        raise InvalidInput(f"{what} needs a {kind} of a loaded module (LoadedModule.{kind}() or "
                           f"Runtime.extension({kind!r}, CODE)), not {type(adapter).__name__}")
    if workers is not None and type(workers) is not int:
        raise InvalidInput(f"{what}: workers must be a whole number or None, not {type(workers).__name__}")
    out = items if not each and type(items) is list else list(items)
    if each and not set(map(type, out)) <= {bytes}:
        out = [as_bytes(x, what) for x in out]
    return out


def _byte_total(items: list[Any], what: str) -> int:
    """The total length of ``items``; ``InvalidInput`` for the first that has none (an int...)."""
    try:
        return sum(map(len, items))
    except TypeError:
        for x in items:
            as_bytes(x, what)
        raise


def digest_many(hasher: Hasher, inputs: Sequence[bytes], workers: int | None = None) -> list[bytes | AutocodecError]:
    """The raw digest of each input, or its error, in order (with a hasher that batches, each
    share in few guest calls: ``Hasher.digest_many``); ``workers=None``: ``digest_workers``.
    Threads when the hasher's batches run with the GIL released, else processes. Every digest
    has one size (``GuestFault`` otherwise), across the shares as within each."""
    from ._adapters import Hasher, _one_size

    on_threads = isinstance(hasher, Hasher) and hasher.batches_off_gil
    inputs = _checked(hasher, "hasher", inputs, workers, "digest_many", each=not on_threads)
    if workers is None:
        workers = digest_workers(hasher, len(inputs), _byte_total(inputs, "digest_many"))
    if not on_threads:
        out = run_bulk(digest_job(hasher), inputs, workers)
        _one_size(out, 0)
        return out
    sizes: list[int] = []  # a share's digest size (Hasher.digest_many holds each share to one)

    def share(items: list[bytes]) -> list[bytes | AutocodecError]:
        got = hasher.digest_many(items)  # checks its share's items
        size = next((len(d) for d in got if type(d) is bytes), 0)
        if size:
            sizes.append(size)
        return got

    out = _threads.spread(share, inputs, workers, _MIN_CHUNK_ITEMS)
    if len(set(sizes)) > 1:
        raise GuestFault(f"the module gave digests of {sorted(set(sizes))} bytes in one call: a hash has one digest size")
    return out


def _links_raw(ref: Callable[[], Any]) -> Job:
    def one(data: bytes) -> list[bytes]:
        return [bytes(c) for c in ref().links(data)]

    return _each(one)


def links_many(codec: Codec, blocks: Sequence[bytes], workers: int | None = None) -> list[list[CID] | AutocodecError]:
    """The CIDs each block links to, or its error, in order (sent back as CID bytes)."""
    from ..cid import CID

    blocks = _checked(codec, "codec", blocks, workers, "links_many")
    out = run_bulk(_job_for(codec, "links", _links_raw), blocks, workers)
    unchecked = CID._unchecked  # noqa: SLF001 - bytes of CIDs the worker's codec already built
    return [x if isinstance(x, AutocodecError) else [unchecked(r) for r in x] for x in out]


# --- decode: guest calls in the workers, conversion here ------------------------------------------


class _GuestHalf:
    """``decode_many``'s job. A chunk is one serial batch (its blocks, through the shared
    arena); the result is one item: the guest's raw output (bytes), or the batch's values when
    the call failed (the codec's own bisecting path, run here). A worker hands it the batch's
    frame built straight from the arena (``framed``), without cutting the blocks out one by one."""

    def __init__(self, ref: Callable[[], Any]) -> None:
        self._ref = ref

    def __call__(self, batch: list[bytes]) -> list[Any]:
        from ._adapters import _frame

        return self.framed(_frame(batch), lambda: batch)

    def framed(self, frame: bytes, blocks: Callable[[], list[bytes]]) -> list[Any]:
        codec = self._ref()
        try:
            return [codec._loaded.run("ac_decode_batch", frame, proportional=True)]  # noqa: SLF001
        except (SandboxError, GuestError):
            return [[_ship(x) if isinstance(x, AutocodecError) else x for x in codec._batch(blocks())]]  # noqa: SLF001


def decode_many(codec: Codec, blocks: Sequence[bytes], workers: int | None = None) -> list[Any | AutocodecError]:
    """Each block's decoded value or its error, in order (``Codec.decode_many`` over processes)."""
    from ._adapters import _parse_batch

    blocks = _checked(codec, "codec", blocks, workers, "decode_many")
    lengths = array("Q", map(len, blocks))  # one pass: the cut, the size and the arena's shapes
    if workers is None:
        workers = workers_for(len(blocks), sum(lengths))
    bounds = codec._batch_bounds(lengths)  # noqa: SLF001 - the batches Codec.decode_many sends
    batches = [blocks[start:end] for start, end in bounds]
    workers = max(1, min(workers, len(batches)))
    if workers == 1 or not _forkable() or not _pool_lock.acquire(blocking=False):
        return codec.decode_many(blocks)
    try:
        job = _job_for(codec, "decode", _GuestHalf)
        # Chunks of one batch each: conversion here starts as soon as the first one is back.
        parts: list[list[Any]] = [[] for _ in batches]

        def receive(i: int, out: list[Any]) -> None:
            (result,) = out
            if isinstance(result, list):
                parts[i] = _landed(result)
                return
            try:
                parts[i] = _parse_batch(result, len(batches[i]), codec)
            except (SandboxError, GuestError):  # a malformed frame: the serial path decides
                parts[i] = codec._batch(batches[i])  # noqa: SLF001

        # The caller is one of the workers: it converts every batch's output and, between
        # replies, runs guest calls on batches from the back itself (with the collector paused
        # during conversion, the guest calls are the larger half), so the pool has
        # workers - 1 processes.
        shapes = [_shape_of(lengths[start:end]) for start, end in bounds]
        _spread(job, batches, workers, receive, local=_jobs[job], shapes=shapes)
    finally:
        _pool_lock.release()
    values: list[Any | AutocodecError] = []
    for part in parts:  # a C-level extend per part: no bytecode per value
        values += part
    return values


__all__ = [
    "decode_many",
    "links_many",
    "digest_many",
    "run_bulk",
    "register",
    "unregister",
    "shutdown",
    "workers_for",
    "digest_workers",
    "cores",
]
