"""Checking many blocks against their CIDs over every core (``car import``, ``dag import``).

``BlockVerifier.check(pairs)`` gives a verdict per ``(cid, data)``: ``True`` when the data
hashes to the CID. Builtin hashers (hashlib, which releases the GIL on inputs of 2 KiB and
more) run in threads over contiguous shares, with the store's own verify function; extension
(Wasm) hashers go through ``autocodec.loader._pool.digest_many``: threads for those whose batch
frames run with the GIL released, else the bulk worker processes (the inputs travel, the
digests come back); the digests are compared here, with the hasher adapters resolved here for
each window (a revoked or upgraded hasher counts from the next window; an unchanged one is the
same adapter, so the pool is reused).

``put_many_verified(store, blocks, verifier)`` is ``store.put_many(blocks)`` with the hashes
checked ahead, a window of blocks at a time.

Invariants:
- Results and errors are exactly the serial ones: a block is skipped by the store's verify
  only when its verdict is ``True`` (computed by the same hash); every other block (a
  mismatch, an unknown hash, a failed worker verdict) is verified by the store's own function
  in order, which raises the same error, naming the same block, as a serial import. An error
  of the input (a malformed CAR) met while reading a window ahead is raised after the blocks
  before it, where the serial import would meet it.
- A verdict is bound to the very ``CID`` object that was checked (kept alive while it is
  pending) and dropped when the window ends, so no other block can inherit it.
- Builtin hashes of small windows (below ``THREAD_MIN_BYTES``) stay serial; so do extension
  hashes without batches below ``PROCESS_MIN_ITEMS`` and ``PROCESS_MIN_BYTES``. Extension
  hashes that batch are always checked here: over ``digest_workers`` workers (threads or
  processes), or batched in this thread when one is all that pays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..errors import AutocodecError

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import ThreadPoolExecutor

    from ._blockstore import BlockStore

Verify = Callable[[CID, bytes], None]
HasherFor = Callable[[int], Any]  # hash code -> an adapter with ``digest(data)``, or None

WINDOW_BLOCKS = 4096
WINDOW_BYTES = 16 << 20
THREAD_MIN_BYTES = 4 << 20  # builtin hashes: threads pay when the bytes are many (GIL released)
PROCESS_MIN_ITEMS = 256  # extension hashes: each call holds the GIL ~10-30 us, processes pay early
PROCESS_MIN_BYTES = 4 << 20


class BlockVerifier:
    """Verdicts for many blocks over threads (builtin hashes, extensions batching off the GIL)
    and processes (other extensions)."""

    def __init__(self, verify: Verify, hasher_for: HasherFor | None = None, *, workers: int | None = None) -> None:
        from ..loader._pool import cores

        self._verify = verify
        self._hasher_for = hasher_for
        self.workers = workers if workers is not None else cores()
        self._table: dict[int, Any] = {}
        self._refused: set[int] = set()
        self._threads: ThreadPoolExecutor | None = None

    def check(self, pairs: list[tuple[CID, bytes]]) -> list[bool]:
        """``True`` for each block whose data hashes to its CID; ``False`` means "not shown
        here" (a mismatch, an unknown hash, or too small a job): verify it the serial way."""
        from .. import builtin

        verdicts = [False] * len(pairs)
        if self.workers < 2:
            return verdicts
        by_code = _by_hash(pairs)
        native = [i for code, group in by_code.items() if builtin.has_hash(code) for i in group]
        self._native(pairs, native, verdicts)
        if self._hasher_for is not None:
            self._wasm(pairs, {code: group for code, group in by_code.items() if not builtin.has_hash(code)}, verdicts)
        return verdicts

    def _native(self, pairs: list[tuple[CID, bytes]], index: list[int], verdicts: list[bool]) -> None:
        if sum(len(pairs[i][1]) for i in index) < THREAD_MIN_BYTES:
            return
        if self._threads is None:
            from concurrent.futures import ThreadPoolExecutor

            self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="autocodec-verify")
        verify = self._verify

        def share(part: list[int]) -> list[tuple[int, bool]]:
            out = []
            for i in part:
                try:
                    verify(*pairs[i])
                    out.append((i, True))
                except AutocodecError:
                    out.append((i, False))
            return out

        step = -(-len(index) // self.workers)
        for part in self._threads.map(share, [index[k : k + step] for k in range(0, len(index), step)]):
            for i, ok in part:
                verdicts[i] = ok

    def _plan(self, pairs: list[tuple[CID, bytes]], by_code: dict[int, list[int]]) -> list[tuple[Any, list[int], int]]:
        """``(hasher, blocks, workers)`` for each extension hash of ``by_code`` (hash code: the
        indexes of its blocks) that is worth checking here (resolved again each window: a
        revoked or upgraded hasher counts at once). A hasher that batches always is
        (``digest_workers`` workers; 1: batched in this thread, still far below a guest call
        per block); one that does not, only with ``PROCESS_MIN_ITEMS`` blocks or
        ``PROCESS_MIN_BYTES`` (each call holds the GIL)."""
        from ..loader._pool import digest_workers

        self._table.clear()
        self._refused.clear()
        plan = []
        for code, group in by_code.items():
            hasher = self._hasher(code)
            if hasher is None:
                continue
            size = sum(len(pairs[i][1]) for i in group)
            if hasher.batches:
                plan.append((hasher, group, digest_workers(hasher, len(group), size, self.workers)))
            elif len(group) >= PROCESS_MIN_ITEMS or size >= PROCESS_MIN_BYTES:
                plan.append((hasher, group, self.workers))
        return plan

    def _wasm(self, pairs: list[tuple[CID, bytes]], by_code: dict[int, list[int]], verdicts: list[bool]) -> None:
        from ..loader._pool import digest_many

        for hasher, group, workers in self._plan(pairs, by_code):
            # digests come back (threads, or processes whose inputs travel through the pool's
            # shared arena) and are compared here
            digests = digest_many(hasher, [pairs[i][1] for i in group], workers)
            for i, digest in zip(group, digests, strict=True):
                verdicts[i] = digest == pairs[i][0].digest

    def prepare(self, pairs: list[tuple[CID, bytes]]) -> None:
        """Start the pool for the extension hashers ``pairs`` needs, in this thread (call it
        where no guest call runs concurrently, before ``check`` runs in a helper thread)."""
        from .. import builtin
        from ..loader._pool import digest_job, prepare

        if self.workers < 2 or self._hasher_for is None:
            return
        wasm = {code: group for code, group in _by_hash(pairs).items() if not builtin.has_hash(code)}
        jobs = [digest_job(hasher) for hasher, _, workers in self._plan(pairs, wasm)
                if workers > 1 and not hasher.batches_off_gil]  # threads need no pool
        prepare(jobs, self.workers - 1)  # no job: nothing to start

    def _hasher(self, code: int) -> Any:
        """The extension hasher for ``code`` (resolved here, once a window), or None."""
        if code in self._table:
            return self._table[code]
        if code in self._refused:
            return None
        try:
            hasher = self._hasher_for(code) if self._hasher_for else None
        except AutocodecError:  # the serial verify raises it, at its block
            hasher = None
        if hasher is None:
            self._refused.add(code)
        else:
            self._table[code] = hasher
        return hasher

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown()
            self._threads = None


def _by_hash(pairs: list[tuple[CID, bytes]]) -> dict[int, list[int]]:
    """The indexes of the blocks of each hash code, in order."""
    by_code: dict[int, list[int]] = {}
    for i, (cid, _) in enumerate(pairs):
        by_code.setdefault(cid.hash_code, []).append(i)
    return by_code


class _Preverified:
    """A store verify function that skips blocks whose verdict is already ``True``."""

    def __init__(self, verify: Verify) -> None:
        self.verify = verify
        self.passed: dict[int, CID] = {}  # id -> the very object (alive, so the id is its own)

    def __call__(self, cid: CID, data: bytes) -> None:
        if self.passed.pop(id(cid), None) is cid:
            return
        self.verify(cid, data)


def put_many_verified(store: BlockStore, blocks: Iterable[tuple[CID, bytes]], verifier: BlockVerifier | None) -> int:
    """``store.put_many(blocks)``, hashes checked ahead by ``verifier`` one window at a time
    (``None``: exactly ``put_many``)."""
    if verifier is None or verifier.workers < 2:
        return store.put_many(blocks)
    pre = store.verify if isinstance(store.verify, _Preverified) else None
    if pre is None:
        pre = _Preverified(store.verify)
        store.verify = pre  # the store's own verify stays the decision for every other block
    mine: list[int] = []

    def read(source: Iterator[tuple[CID, bytes]]) -> tuple[list[tuple[CID, bytes]], AutocodecError | None, bool]:
        """The next window, the input error that ended it (raised after its blocks), and
        whether the input ended."""
        window: list[tuple[CID, bytes]] = []
        size = 0
        while len(window) < WINDOW_BLOCKS and size < WINDOW_BYTES:
            try:
                item = next(source)
            except StopIteration:
                return window, None, True
            except AutocodecError as exc:
                return window, exc, True
            window.append(item)
            size += len(item[1])
        return window, None, False

    def windows() -> Iterator[tuple[CID, bytes]]:
        # Pipelined: the next window is read here and checked in the background while the
        # store writes this one (sqlite, hashlib and the pool's pipes release the GIL).
        from concurrent.futures import ThreadPoolExecutor

        source = iter(blocks)
        with ThreadPoolExecutor(1, thread_name_prefix="autocodec-verify-ahead") as ahead:
            window, error, ended = read(source)
            verifier.prepare(window)  # any fork happens here, with no guest call in flight
            pending = ahead.submit(verifier.check, window)
            while True:
                if not ended:
                    following, next_error, next_ended = read(source)
                verdicts = pending.result()
                if not ended:
                    verifier.prepare(following)
                    pending = ahead.submit(verifier.check, following)
                for (cid, _), ok in zip(window, verdicts, strict=True):
                    if ok:
                        pre.passed[id(cid)] = cid
                        mine.append(id(cid))
                try:
                    yield from window
                finally:
                    for key in mine:
                        pre.passed.pop(key, None)
                    mine.clear()
                if error is not None:
                    raise error
                if ended:
                    return
                window, error, ended = following, next_error, next_ended

    try:
        return store.put_many(windows())
    finally:
        for key in mine:  # a window the store did not finish: its verdicts die with it
            pre.passed.pop(key, None)


def runtime_verifier(runtime: Any, workers: int | None = None) -> BlockVerifier:
    """A ``BlockVerifier`` for a ``Runtime``'s store: builtin hashes through the store's own
    verify, extension hashes through the runtime's trusted hasher modules."""
    from ..abi import Kind

    verify = runtime.store.verify
    if isinstance(verify, _Preverified):
        verify = verify.verify

    def hasher_for(code: int) -> Any:
        return runtime.resolver.adapter(Kind.HASHER, code)

    return BlockVerifier(verify, hasher_for, workers=workers)
