"""Running invocations: trusted modules only, awaited results first, receipts memoized.

Invariants:
- A job runs only after its module passed ``_modules.trusted_module`` and its awaited
  invocations have receipts; an awaited *error* makes this job's receipt an ``AwaitFailed``
  error (deterministic: it depends only on the awaited receipts).
- Outcomes that depend only on the invocation (a result, a guest error status, running out
  of fuel or memory, a trap, bad output) become signed receipts and are memoized. Outcomes
  that depend on this host (an untrusted or rejected module, a missing block, the wall-clock
  deadline, a full instance pool) raise and leave no receipt.
- A pipeline is the DAG of invocations reachable through ``await/ok`` links from the target.
  It is read with a depth cap (``IpvmLimits.max_depth``), a size cap (``max_jobs``) and
  cycle detection, then run in dependency order with at most ``max_parallel`` jobs at once
  (threads: wasmtime releases the GIL while guest code runs). A cached node's own awaits are not
  expanded; a cached receipt is used only while its module, and the module of every job it
  awaited (read from this store; an awaited invocation missing there makes the receipt unusable),
  are still trusted (a revoked module's results, and results computed from them, are not served
  from the cache).
- Trust decisions and loaded modules are memoized per trust generation
  (``Runtime.generation()``): a pin, revocation or allow-list change, here or in another
  process, or the expiry of what a decision relied on (noted in the generation), makes the
  next job decide again; the verified bytes of a module are kept across
  generations and memory caps (content-addressed: ``_modules.VerifiedModules``, 32 MiB), so
  deciding again or loading under another cap does not read and hash the module again. A job whose module stops being trusted while
  it runs (revoked, expired, withdrawn from its set: seen within the trust poll interval),
  or the module of a job it awaits, is decided again when its call returns: it raises
  ``NotTrusted`` and no receipt is signed or cached, so the executor never vouches for a
  result of a module it no longer trusts, nor for one computed from such a result.
- Each job is run in a fresh instance with its own fuel budget and memory cap, and the fixed
  ``_modules.TASK_LIMITS`` (stack, table, output) and ``TASK_DECODE_LIMITS`` (its result), never
  the home's: what a receipt says depends on the invocation alone. The fuel in a receipt is what
  the ``ac_task`` call consumed (the whole budget when it ran out).
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .._inputs import as_cid, of_type
from ..cid import CID
from ..errors import (
    BlockNotFound,
    DeadlineExceeded,
    FuelExhausted,
    GuestError,
    InvalidBlock,
    InvalidDocument,
    InvalidInput,
    MemoryLimitExceeded,
    ModuleRejected,
    NotTrusted,
    SandboxError,
    StoreCorrupt,
)
from ..log import get_logger
from ._cache import ReceiptCache
from ._invocation import AWAIT_OK, BLOCK, Invocation, special
from ._keys import executor_key
from ._modules import TASK_DECODE_LIMITS, VerifiedModules, job_instance, load_task, trusted_module
from ._receipt import Receipt

_log = get_logger("ipvm")
_MEMO_MODULES = 64
_MEMO_SHAPES = 4096
"""Invocations whose module and awaits an executor keeps, most recently used (``_collect`` adds
each it reads, ``_awaits_trusted`` reads them there: a DAG of ``max_jobs`` decoded its blocks
~N^2/2 times when every job's check read its ancestors from the store)."""
_MEMO_SHAPE_AWAITS = 1 << 17
"""Awaited CIDs the shapes kept hold in all (~16 MB): 4096 invocations of up to ``max_jobs`` awaits
each would be ~130 MB in a serving executor; one full pipeline's fits (a 4 MiB request holds ~80 000)."""
_MEMO_WASM_BYTES = 32 << 20
"""Verified module bytes an executor keeps for loads under another memory cap or trust
generation (``_modules.VerifiedModules``): four modules of the 8 MiB cap, or hundreds of the
shipped tasks' size."""


@dataclass(frozen=True)
class Outcome:
    """What running (or looking up) one invocation gave.

    ``held`` is the receipt kept in memory; a released outcome (``held`` None) holds none until
    ``receipt`` is first asked for: it then reads and verifies its signed receipt block from
    ``store`` (where the executor put it; ``BlockNotFound`` if it was removed meanwhile) and keeps
    that ``Receipt``, so later asks answer the same object without touching the store. The
    executor never asks a released outcome for its receipt while a pipeline runs: the receipts
    kept are those of the outcomes the caller asked for. Two threads asking first at once may
    each read the block (each gets an equal receipt; one is kept)."""

    invocation: CID
    receipt_cid: CID
    held: Receipt | None
    cached: bool
    store: Any = field(default=None, repr=False, compare=False)
    _read: Receipt | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def receipt(self) -> Receipt:
        if self.held is not None:
            return self.held
        if self._read is None:  # frozen: the one field set after construction, never part of equality
            object.__setattr__(self, "_read", Receipt.verify_block(self.store.get(self.receipt_cid)))
        assert self._read is not None
        return self._read

    def released(self, store: Any) -> Outcome:
        """This outcome without its receipt in memory (read back from ``store``)."""
        return Outcome(self.invocation, self.receipt_cid, None, self.cached, store)


class Executor:
    """Runs invocations for one ``Runtime`` and signs receipts with the executor key."""

    def __init__(self, runtime: Any, key: Any = None, *, key_name: str | None = None,
                 trusted_executors: tuple[str, ...] = ()) -> None:
        from ..registry import Runtime
        from ..verify import SigningKey

        of_type(runtime, Runtime, "Executor's runtime")
        of_type(key, SigningKey, "Executor's key")
        of_type(key_name, str, "Executor's key_name")
        if isinstance(trusted_executors, str) or not all(isinstance(d, str) for d in trusted_executors):
            raise InvalidInput("Executor's trusted_executors is a tuple of DIDs (str)")
        for did in trusted_executors:
            _executor_did(did)
        self.runtime = runtime
        self.key = key or executor_key(runtime.home, key_name)
        self.limits = runtime.limits.ipvm
        self.cache = ReceiptCache(runtime.store)
        self.executors = frozenset({self.key.did, *trusted_executors})
        self._memo_lock = threading.Lock()
        # (module, memory cap) -> (trust generation, loaded module); least recently used evicted first
        self._memo: OrderedDict[tuple[CID, int], tuple[int, Any]] = OrderedDict()
        self._trusted: dict[CID, int] = {}  # module -> generation in which it was found trusted
        self._verified = VerifiedModules(_MEMO_WASM_BYTES)  # bytes read: another cap or generation reads none
        # invocation -> (its module, what it awaits): fixed by the CID, so kept whatever the trust state
        self._shapes: OrderedDict[CID, tuple[CID, tuple[CID, ...]]] = OrderedDict()
        self._shape_awaits = 0  # awaits held in _shapes, at most _MEMO_SHAPE_AWAITS

    # --- trusted modules, memoized per trust generation ------------------------------------------

    def _is_trusted(self, module: CID) -> bool:
        gen = self.runtime.generation()
        generation = gen.number
        if self._trusted.get(module) == generation:
            return True
        decision = self.runtime.trust.decide_module(module)
        if decision is None:
            return False
        gen.note_expiry(decision.valid_until)  # the generation, and what it memoizes here, ends then
        with self._memo_lock:
            self._trusted[module] = generation
        return True

    def _load(self, invocation: Invocation) -> Any:
        """The loaded module of a job, decided and loaded again whenever the trust state changed.
        One per (module, memory cap), whatever the jobs' fuel (set per call: ``job_instance``),
        loaded under the host's budget; when the memo is full the least recently used goes."""
        key = (invocation.module, invocation.memory)
        generation = self.runtime.generation().number
        with self._memo_lock:
            found = self._memo.get(key)
            if found is not None and found[0] == generation:
                self._memo.move_to_end(key)
                return found[1]
        self._is_trusted(invocation.module)  # notes the decision's expiry: this memo ends with it
        loaded = load_task(self.runtime, invocation.module, self.runtime.limits.sandbox.fuel, invocation.memory,
                           self._verified)
        with self._memo_lock:
            self._memo[key] = (generation, loaded)
            self._memo.move_to_end(key)
            while len(self._memo) > _MEMO_MODULES:
                self._memo.popitem(last=False)
        return loaded

    # --- invocations as blocks -----------------------------------------------------------------

    def submit(self, invocation: Invocation) -> CID:
        """Store the invocation block (after checking its limits); returns its CID. One already
        stored intact is not written again: a run answered from the cache takes no write lock, so
        it neither waits for nor fails beside another process's write."""
        Invocation.from_value(invocation.to_value(), self.limits)  # same checks as a fetched one
        cid, data = invocation.block()
        try:
            held = self.runtime.store.get(cid) == data
        except (BlockNotFound, StoreCorrupt):  # missing, or damaged: the put below repairs it
            held = False
        if not held:
            self.runtime.store.put(cid, data)
        return cid

    def invocation(self, cid: CID, *, awaited_by: CID | None = None) -> Invocation:
        """The invocation stored (or fetchable) under ``cid``; ``InvalidDocument`` naming ``cid``
        (and the invocation awaiting it, when given) for a block that is not one."""
        where = f"{cid}, awaited by invocation {awaited_by}," if awaited_by is not None else str(cid)
        hint = ("an await/ok argument links an invocation block (docs/invocations.md, 'Invocation')"
                if awaited_by is not None else "give the CID of an invocation block")
        if cid.codec != 0x71:
            raise InvalidDocument(f"{where} is not a dag-cbor block, so not an invocation", hint=hint)
        try:
            return Invocation.decode(self.runtime.get(cid), self.limits)
        except InvalidDocument as exc:
            raise InvalidDocument(f"{where} is not an invocation: {exc.message}", hint=hint) from None

    # --- running ----------------------------------------------------------------------------------

    def run(self, target: Invocation | CID, *, no_cache: bool = False) -> Outcome:
        """Run ``target`` (and whatever it awaits); its outcome."""
        _flag(no_cache, "Executor.run's no_cache")
        cid = self.submit(target) if isinstance(target, Invocation) else as_cid(target, "Executor.run's target")
        return self.run_all(cid, no_cache=no_cache)[cid]

    def run_all(self, target: CID, *, no_cache: bool = False) -> dict[CID, Outcome]:
        """Run the pipeline ending at ``target`` (a CID, or its text); the outcome of every node read.

        Only the target's outcome holds its receipt in memory when this returns; every other one
        is released as soon as the last job awaiting it has started (its receipt is read back from
        the store when first asked for, then kept), so a long pipeline holds the results its running
        and pending jobs still need, not every result it made."""
        target = as_cid(target, "Executor.run_all's target")
        _flag(no_cache, "Executor.run_all's no_cache")
        jobs, deps, done = self._collect(target, no_cache)
        results: dict[CID, Outcome] = done  # _collect's map: no other reference to its full outcomes
        waiting = {cid: set(d) - set(results) for cid, d in deps.items() if cid not in results}
        dependents: dict[CID, list[CID]] = {}
        for cid, d in waiting.items():
            for dep in d:
                dependents.setdefault(dep, []).append(cid)
        awaited_by = dict.fromkeys((*results, *waiting), 0)  # jobs not started yet awaiting each node
        for cid in waiting:
            for dep in set(deps[cid]):
                awaited_by[dep] += 1
        store = self.runtime.store

        def handed(cid: CID) -> dict[CID, Outcome]:
            """``cid``'s awaited outcomes, each released from ``results`` once no job awaits it any more."""
            args = {dep: results[dep] for dep in deps[cid]}
            for dep in args:
                awaited_by[dep] -= 1
                if awaited_by[dep] == 0 and dep != target:
                    results[dep] = results[dep].released(store)
            return args

        if not waiting:  # everything came from the cache
            return results
        if len(waiting) == 1:  # one job: no thread pool (the common `autocodec run` case)
            (cid,) = waiting
            results[cid] = self._job(cid, jobs[cid], handed(cid))
            return results
        workers = max(1, min(self.limits.max_parallel, len(waiting)))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ipvm") as pool:
            running: dict[concurrent.futures.Future[Outcome], CID] = {}

            def start(cid: CID) -> None:
                running[pool.submit(self._job, cid, jobs[cid], handed(cid))] = cid

            for cid in [c for c, d in waiting.items() if not d]:
                start(cid)
            try:
                while running:
                    finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                    for future in finished:
                        cid = running.pop(future)
                        results[cid] = future.result()
                        for dependent in dependents.get(cid, ()):
                            waiting[dependent].discard(cid)
                            if not waiting[dependent]:
                                start(dependent)
                    del finished  # the finished futures hold full outcomes
            except BaseException:
                for future in running:
                    future.cancel()
                raise
        return results

    def _collect(self, target: CID, no_cache: bool) -> tuple[dict[CID, Invocation], dict[CID, list[CID]],
                                                             dict[CID, Outcome]]:
        """Read the awaited DAG: jobs, their awaits, and the cached outcomes (not expanded)."""
        jobs: dict[CID, Invocation] = {}
        deps: dict[CID, list[CID]] = {}
        cached: dict[CID, Outcome] = {}
        on_path: set[CID] = set()
        # depth first with a stack of its own (not Python's: max_depth may be set past its recursion
        # limit): ("enter", node, depth, awaited by) and ("leave", node) once its awaits were read
        todo: list[tuple[str, CID, int, CID | None]] = [("enter", target, 0, None)]
        while todo:
            step, cid, depth, parent = todo.pop()
            if step == "leave":
                on_path.discard(cid)
                continue
            if cid in on_path:
                raise InvalidDocument(f"the pipeline awaits in a cycle through {cid}")
            if cid in jobs or cid in cached:
                continue
            if depth > self.limits.max_depth:
                raise InvalidDocument(f"the pipeline's await chain is deeper than {self.limits.max_depth}",
                                      hint="raise limits.ipvm.max_depth, or split the pipeline")
            if len(jobs) + len(cached) >= self.limits.max_jobs:
                raise InvalidDocument(f"the pipeline has more than {self.limits.max_jobs} invocations",
                                      hint="raise limits.ipvm.max_jobs, or split the pipeline")
            hit = None if no_cache else self.cache.get(cid, self.executors, prefer=self.key.did)
            invocation = self.invocation(cid, awaited_by=parent)
            self._remember(cid, invocation)  # the trust checks of the jobs awaiting it read it from here
            if hit is not None and self._is_trusted(invocation.module) and self._awaits_trusted(invocation):
                cached[cid] = Outcome(cid, hit[0], hit[1], True)  # never reuse results of a revoked module
                continue
            jobs[cid] = invocation
            deps[cid] = invocation.awaits
            on_path.add(cid)
            todo.append(("leave", cid, depth, parent))
            todo.extend(("enter", dep, depth + 1, cid) for dep in reversed(deps[cid]))  # the first await first
        return jobs, deps, cached

    def _awaits_trusted(self, invocation: Invocation) -> bool:
        """Whether every job ``invocation`` awaits (transitively) has a module trusted now: its
        cached result was computed from their outputs, so a revoked one makes it unusable. Reads
        only this store and the executor's memo (``_shape``): an awaited invocation neither holds
        (removed by ``block rm``, or a receipt imported without it), or that is malformed, makes it
        unusable too, since whether that job's module is trusted cannot be told (the job is then
        run, which fetches or refuses it);
        more than ``max_jobs`` awaited jobs is not usable either."""
        seen: set[CID] = set()
        todo = list(invocation.awaits)
        while todo:
            cid = todo.pop()
            if cid in seen:
                continue
            seen.add(cid)
            if len(seen) > self.limits.max_jobs:
                return False
            shape = self._shape(cid)
            if shape is None:
                return False  # fail closed: a job whose module cannot be checked vouches for nothing
            module, its_awaits = shape
            if not self._is_trusted(module):
                return False
            todo.extend(its_awaits)
        return True

    def _shape(self, cid: CID) -> tuple[CID, tuple[CID, ...]] | None:
        """The module and awaits of the invocation ``cid``: from the memo (a CID names one
        invocation, so one read before answers even once its block is removed), else from this
        store; None when neither has it or it is no invocation."""
        with self._memo_lock:
            shape = self._shapes.get(cid)
            if shape is not None:
                self._shapes.move_to_end(cid)
                return shape
        try:
            invocation = Invocation.decode(self.runtime.store.get(cid), self.limits)
        except (BlockNotFound, StoreCorrupt, InvalidDocument):
            return None
        return self._remember(cid, invocation)

    def _remember(self, cid: CID, invocation: Invocation) -> tuple[CID, tuple[CID, ...]]:
        """Keep the module and awaits of ``invocation`` (whose CID is ``cid``) for ``_shape``, the
        least recently used going first past ``_MEMO_SHAPES`` shapes or ``_MEMO_SHAPE_AWAITS``
        awaits in all (a shape over that alone is not kept)."""
        shape = (invocation.module, tuple(invocation.awaits))
        with self._memo_lock:
            old = self._shapes.pop(cid, None)
            self._shape_awaits += len(shape[1]) - (len(old[1]) if old is not None else 0)
            self._shapes[cid] = shape
            while self._shapes and (len(self._shapes) > _MEMO_SHAPES or self._shape_awaits > _MEMO_SHAPE_AWAITS):
                self._shape_awaits -= len(self._shapes.popitem(last=False)[1][1])
        return shape

    def _job(self, cid: CID, invocation: Invocation, awaited: dict[CID, Outcome]) -> Outcome:
        out, fuel, label = self._outcome(invocation, awaited)
        if not self._is_trusted(invocation.module):  # revoked while the call ran: nothing to vouch for
            raise NotTrusted(f"task module {invocation.module} ({label}) stopped being trusted while the job ran "
                             "(revoked, expired or withdrawn from its set); no receipt was signed",
                             hint="run the job with a module trusted now")
        if not self._awaits_trusted(invocation):  # its input came from a module revoked meanwhile
            raise NotTrusted(f"the module of a job that invocation {cid} awaits stopped being trusted while the "
                             "pipeline ran (revoked, expired or withdrawn from its set); no receipt was signed",
                             hint="run the pipeline with modules trusted now")
        receipt = Receipt(cid, out, fuel, label, self.key.did)
        receipt_cid, block = receipt.sign(self.key)
        self.cache.put(receipt_cid, block, receipt)
        _log.info("ipvm.run", invocation=str(cid), receipt=str(receipt_cid), module=label, func=invocation.func,
                  ok=receipt.ok, fuel=fuel)
        return Outcome(cid, receipt_cid, receipt, False)

    def _outcome(self, invocation: Invocation, awaited: dict[CID, Outcome]) -> tuple[dict[str, Any], int, str]:
        """What the job gives: ``(out, fuel used, module label)``; raises for what depends on this host."""
        try:
            module = self._load(invocation)
        except MemoryLimitExceeded as refused:
            return self._under_initial_memory(invocation, refused)
        info = module.info
        _check_function(info, invocation.func)
        label = f"{info.name}@{info.version}"
        failed = [(dep, o.receipt) for dep, o in awaited.items() if not o.receipt.ok]
        if failed:
            dep, bad = failed[0]
            kind, message = bad.error or ("", "")
            return Receipt.error_out("AwaitFailed", f"awaited invocation {dep} failed: {kind}: {message}"), 0, label
        out, fuel = self._call(module, invocation.func, self._args(invocation.args, awaited), invocation.fuel)
        return out, fuel, label

    def _under_initial_memory(self, invocation: Invocation,
                              refused: MemoryLimitExceeded) -> tuple[dict[str, Any], int, str]:
        """The ``MemoryLimitExceeded`` receipt of a job whose memory cap is below the memory its
        module declares at start (decided from the module's bytes, so the same on every host: the
        ``ac_task`` call never ran, 0 fuel); a load refused for any other reason raises again."""
        from ..loader import inspect_module

        wasm, _policy = trusted_module(self.runtime, invocation.module, self._verified)
        info = inspect_module(wasm, cid=invocation.module, limits=self.runtime.limits.sandbox)
        needed = info.memory_bytes
        if needed <= invocation.memory:
            raise refused
        _check_function(info, invocation.func)
        message = (f"the module needs {needed} bytes of memory at start, over the job's memory cap of "
                   f"{invocation.memory} bytes")
        return Receipt.error_out("MemoryLimitExceeded", message), 0, f"{info.name}@{info.version}"

    def _args(self, args: list[Any], awaited: dict[CID, Outcome]) -> list[Any]:
        resolved: list[Any] = []
        for arg in args:
            form = special(arg)
            if form is None:
                resolved.append(arg)
            elif form[0] == AWAIT_OK:
                resolved.append(awaited[form[1]].receipt.value)
            elif form[0] == BLOCK:
                resolved.append(self.runtime.get(form[1]))
            else:
                resolved.append(form[1])
        return resolved

    def _call(self, module: Any, func: str, args: list[Any], budget: int) -> tuple[dict[str, Any], int]:
        """Run one ``ac_task`` call in a fresh instance; ``(out, fuel used)``."""
        from ..builtin import decode, encode

        frame = encode({"fn": func, "args": args}, "dag-cbor")
        if len(frame) > self.limits.max_args_bytes:
            raise InvalidInput(f"the job's arguments are {len(frame)} bytes encoded, over limits.ipvm.max_args_bytes "
                               f"({self.limits.max_args_bytes})")
        instance = job_instance(module, budget)
        try:
            raw = instance.call("ac_task", frame)
        except FuelExhausted as exc:
            return Receipt.error_out("FuelExhausted", exc.message), budget
        except (DeadlineExceeded, ModuleRejected):
            raise  # depends on this host's clock or build, not on the invocation
        except (GuestError, SandboxError) as exc:
            if type(exc) is SandboxError:  # e.g. the instance pool is full: a host condition
                raise
            return Receipt.error_out(type(exc).__name__, exc.message), budget - instance.store.get_fuel()
        used = budget - instance.store.get_fuel()
        try:
            value = decode(raw, "dag-cbor", limits=TASK_DECODE_LIMITS)  # the same in every home
        except InvalidBlock as exc:
            return Receipt.error_out("GuestFault", f"the task's result is not valid DAG-CBOR: {exc.message}"), used
        return Receipt.ok_out(value), used

    # --- checking -------------------------------------------------------------------------------

    def verify(self, receipt_cid: CID, *, rerun: bool = False) -> tuple[Receipt, Outcome | None]:
        """Check a receipt's signature (and with ``rerun``, re-execute and compare results).

        Raises ``SignatureError``/``InvalidDocument`` for a bad receipt and ``IntegrityError``
        when re-execution gives a different ``out``, or the receipt names another module than
        the invocation's (``meta.module``, ``name@version`` from the module's own metadata).
        ``meta.fuel`` is not compared: it may differ between wasmtime releases.
        """
        receipt_cid = as_cid(receipt_cid, "Executor.verify's receipt_cid")
        _flag(rerun, "Executor.verify's rerun")
        receipt = Receipt.verify_stored(self.runtime, receipt_cid)
        if not rerun:
            return receipt, None
        outcome = self.run_all(receipt.ran, no_cache=True)[receipt.ran]
        if _out_cid(outcome.receipt.out) != _out_cid(receipt.out):
            from ..errors import IntegrityError

            raise IntegrityError(
                f"re-running {receipt.ran} gave a different result than receipt {receipt_cid} claims "
                f"({_describe(outcome.receipt)} vs {_describe(receipt)})",
                hint="the receipt's executor, or this host, did not run the job faithfully",
            )
        if outcome.receipt.module != receipt.module:
            from ..errors import IntegrityError

            raise IntegrityError(
                f"receipt {receipt_cid} says module {receipt.module[:80]!r} ran {receipt.ran}, but its module is "
                f"{outcome.receipt.module!r}",
                hint="the receipt's executor did not describe the job faithfully",
            )
        return receipt, outcome


def _check_function(info: Any, func: str) -> None:
    """``InvalidInput`` unless the module exports task function ``func`` (no receipt: asking a
    module for a function it lacks is a mistake in the request, not an outcome)."""
    if func not in info.functions:
        raise InvalidInput(f"module {info.name} has no function {func!r} (it has {', '.join(info.functions)})")


def _executor_did(did: str) -> None:
    """``InvalidInput`` unless ``did`` is a did:key, what receipts are signed by: another text
    (a typo) would be trusted silently and match no receipt."""
    from ..verify.ucan import InvalidToken, check_did

    try:
        check_did(did, "trusted executor")
    except InvalidToken as exc:
        raise InvalidInput(exc.message, hint="give the did:key an executor signs its receipts with") from None
    if not did.startswith("did:key:"):
        raise InvalidInput(f"the trusted executor {did[:80]!r} is not a did:key; receipts are signed by did:key",
                           hint="give the did:key an executor signs its receipts with")


def _flag(value: Any, what: str) -> None:
    """``InvalidInput`` unless ``value`` is a bool: a truthy ``"no"`` must not switch a run on."""
    if type(value) is not bool:
        raise InvalidInput(f"{what} is True or False, not {value!r}"[:200])


def _out_cid(out: dict[str, Any]) -> CID:
    from ..builtin import cid_for, encode

    return cid_for(encode(out, "dag-cbor"), "dag-cbor")


def _describe(receipt: Receipt) -> str:
    err = receipt.error
    return f"error {err[0]}" if err else f"ok {_out_cid(receipt.out)}"
