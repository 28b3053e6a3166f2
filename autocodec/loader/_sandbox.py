"""``Sandbox`` (compile and cache modules) and ``LoadedModule`` (a checked, compiled module).

Invariants:
- ``load(wasm, cid=...)`` first checks that ``wasm`` hashes to ``cid`` (``HashMismatch``),
  once per bytes (sha2-256), limits and CID: a load answered from the memo was checked when made.
  A module DAG's root (over 1 MiB) is built once per bytes, remembered by their sha2-256
  (``_check_cid``), so the check never accepts bytes that are not what the CID names. A forked
  child starts with that memo's lock free (as the loader's other module locks).
- ``load`` accepts a module only after ``inspect_module`` (static ABI rules) and one real
  instantiation under the sandbox limits with ``ac_abi_version() == 1``.
- A compiled module is shared by all threads; every top-level operation (one decode, one
  batch, one stream's life) runs in an instance in its post-instantiation state, owned by the
  calling thread for the operation, so a result never depends on an earlier call (docs/abi.md
  section 2, determinism): a fresh ``GuestInstance``, or for a resettable module (``_reset``)
  one reused after an exact ``reset`` (only for an initial memory of at most
  ``SandboxLimits.reuse_memory_bytes`` and at most ``reuse_globals`` mutable globals: a
  snapshot reads the memory whole, a reset sets each global back). An instance whose call failed in any way, or whose
  memory grew, is discarded; at most ``SandboxLimits.idle_instances`` reset instances wait,
  process-wide (each module judging against its own limits), and when the pool is full they
  are all dropped and the instantiation is tried again. A waiting instance holds a place in
  that bound, and keeps it while taken out for a call (until given back, or dropped): a module
  pooling a new one takes a free place or another module's waiting instance's, else drops it.
  The places are counted where they are (``_held`` of each live module, beside its ``_idle``
  list), never in one process-wide counter: a module dropped with idle instances (an old
  version after upgrades) takes its places with it.
- Compiled artifacts are cached under ``cache_dir`` keyed by the sha2-256 of the module
  bytes (never by a caller-supplied label), the engine fingerprint and, when not the default,
  ``reuse_globals`` (the reset rewrite depends on it); see ``_cache``.
- Limits come from ``SandboxLimits``: the sandbox's own, or per module at ``load``.
- Compilation is bounded (``_compile``: complexity checks first, big modules in a child
  process with time and memory limits), runs with no lock held, once per module at a time
  (concurrent loads of the same bytes wait for that one compile; other loads go on), and a
  module refused for exceeding a bound is remembered (in memory, and in the cache folder when
  there is one) and refused at once next time under the same compile bounds (raising
  ``compile_timeout_ms`` or ``compile_memory_bytes`` compiles it again). A child stopped by the
  wall clock having had less than a quarter of one CPU was starved by a busy machine:
  ``CompileBusy``, not remembered.
- A sandbox keeps its ``limits.loaded_modules`` most recently loaded modules (and as many
  compiled ones) in memory, and its ``_REFUSED`` most recent refusals.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import wasmtime

from .._inputs import as_path, of_type
from ..cid import CID
from ..config import DEFAULT_LIMITS, SandboxLimits
from ..errors import CompileRefused, HashMismatch, ModuleRef, ModuleRejected, SandboxError
from ..modcid import is_dag, module_cid
from ..log import get_logger
from . import _call, _hot, _reset, _wasmparse
from ._cache import CompiledCache
from ._compile import compile_module
from ._engine import EngineSpec, get_engine
from ._info import COMMON_EXPORTS, KIND_EXPORTS, OPTIONAL_EXPORTS, ModuleInfo, inspect_module
from ._instance import GuestInstance

if TYPE_CHECKING:  # pragma: no cover
    from ._adapters import Chunker, Codec, Crypto, Hasher, Task

_log = get_logger("loader")
_REFUSED = 1024
"""Refusals one sandbox remembers in memory (entry name -> reason, a few hundred bytes each: at
most ~0.5 MB), oldest forgotten first. An internal bound, not a limit: it saves no more than
compile bounds already cap, since a module past it is refused again by its ``.refused`` entry in
the cache folder, or else by compiling once more within ``compile_timeout_ms`` and
``compile_memory_bytes``; no operator needs another number, so it is not in ``SandboxLimits``."""
_RESET_TAG = "+reset1"  # compiled artifacts carry the reset exports (``_reset``): own cache entries
_REUSE_INPUT = 256 * 1024
_REUSE_FLOOR = 16 * 1024
_idle_lock = threading.Lock()  # guards _holding's membership and iteration, and judging the cap
_holding: weakref.WeakSet[LoadedModule] = weakref.WeakSet()  # modules that may hold idle instances


def _idle_count() -> int:
    """Places held in the idle pool by every live module (``LoadedModule._held``: its waiting
    instances and those taken out for a call; the caller holds ``_idle_lock``). One counter for
    the process drifted: a module collected with idle instances (an old version after upgrades)
    never gave its share back, so after some hundred upgrades the counter sat at the cap while a
    few instances waited, and every module that pooled one evicted another module's."""
    return sum(loaded._held for loaded in list(_holding))


def _evict_one(keep: LoadedModule) -> bool:
    """Drop one waiting instance of another module, freeing its place (process-wide cap
    ``idle_instances``; the caller holds ``_idle_lock``); whether there was one."""
    for loaded in list(_holding):
        if loaded._idle is not keep._idle:  # ``keep`` may be a view of one (``_Served``)
            try:
                loaded._idle.pop()
            except IndexError:
                continue
            loaded._held -= 1
            return True
    return False


class LoadedModule:
    """A compiled module that passed every load-time check; thread-safe."""

    def __init__(
        self, engine: wasmtime.Engine, module: wasmtime.Module, info: ModuleInfo, limits: SandboxLimits, *, fast: bool
    ) -> None:
        self.info = info
        self.limits = limits
        self.fast = fast
        self._engine = engine
        self._module = module
        wanted = {**COMMON_EXPORTS, **KIND_EXPORTS[info.kind]}
        wanted.update({k: v for k, v in OPTIONAL_EXPORTS.get(info.kind, {}).items() if k in info.exports})
        self._functions = {name: len(sig.params) for name, sig in wanted.items()}
        names = [e.name for e in module.exports]
        reset_globals = [n for n in names if n.startswith(_reset.GLOBAL_PREFIX)]
        self._reset_globals: list[str] | None = (
            reset_globals if _reset.MARKER in names and info.memory_bytes <= limits.reuse_memory_bytes
            and len(reset_globals) <= limits.reuse_globals else None
        )
        self._idle: list[GuestInstance] = []
        self._held = 0
        """This module's places in the idle bound: its ``_idle`` instances and those taken from
        the list for a call, each keeping its place until given back or dropped. Changed only
        under ``_idle_lock``; taking and giving back (the hot path) leave it alone."""
        self._growths = 0  # instances discarded in a row because their memory grew (``_grew``)
        self._droppable: dict[bytes, bytes | None] = {}  # ``GuestInstance.enable_reset``'s memo
        self._reuse_max = _REUSE_INPUT
        """Inputs up to this size run on reset instances. What a call touches should stay in
        the reset window (1 MiB with 4 KiB pages): a hasher's call touches about its input,
        a decode's about twice that (input and output). Lowered below any input whose call
        grew the memory (a grown memory cannot be reset: the instance was discarded after
        paying for its snapshot, about 1 ms here, against ~0.2 ms for a plain fresh one)."""
        pooled = limits.pooled_instances
        self._idle_cap = 8 if pooled <= 0 else min(8, pooled // 8)
        if self._reset_globals is not None:
            with _idle_lock:
                _holding.add(self)

    @property
    def ref(self) -> ModuleRef:
        """Who this module is, for an error it raises (``AutocodecError.module``); made only then."""
        return ModuleRef(self.info.name, self.info.version, str(self.info.cid))

    def served_by(self, set_name: str) -> LoadedModule:
        """This very module as the pinned set ``set_name`` serves it: its errors name the set
        too (``ref``), everything else is this module's own (``_Served``)."""
        return _Served(self, set_name)

    @property
    def reusable(self) -> bool:
        """Whether operations reuse reset instances (else each gets a fresh one)."""
        return self._reset_globals is not None

    @property
    def frames_off_gil(self) -> bool:
        """Whether ``run_frames`` can run batch frames in one C call with the GIL released
        (reset instances and the C runner: ``_hot``)."""
        return self._reset_globals is not None and _hot.Runner is not None and self.fast

    def run(self, op: str, data: bytes | bytearray | memoryview | None = None, *, proportional: bool = False) -> bytes:
        """One top-level call ``op`` in an instance in its post-instantiation state (see the
        module docstring); same errors as ``GuestInstance.call``. Inputs over ``_reuse_max``
        bytes get a plain fresh instance: their call outweighs instantiation, and they often
        grow memory (which would discard a reset instance after paying for its snapshot)."""
        if self._reset_globals is None or (data is not None and len(data) > self._reuse_max):
            return self.instance().call(op, data, proportional=proportional)
        try:
            instance = self._idle.pop()
        except IndexError:
            instance = self._reusable_instance()
            out = instance.call(op, data, proportional=proportional)  # any error: the instance is dropped
            if len(self._idle) < self._idle_cap:
                if not instance.reset():
                    self._grew(data)
                    return out
                if self._growths:
                    self._growths = 0
                with _idle_lock:  # judged again under the lock: threads that raced past the check above
                    if len(self._idle) >= self._idle_cap:
                        return out  # another thread filled the module's share meanwhile: dropped
                    if _idle_count() >= self.limits.idle_instances and not _evict_one(self):
                        return out  # every place is this module's or in use: dropped
                    self._held += 1
                self._give_back(instance)  # a thread giving back holds no lock: trimmed after, too
            return out
        try:
            if data is None:
                out, clean = instance.call(op, None, proportional=proportional), instance.reset()
            else:
                out, clean = instance.call_and_reset(op, data, proportional=proportional)
        except BaseException:
            self._release()  # any error: the instance taken is dropped, and its place freed
            raise
        if clean:
            if self._growths:
                self._growths = 0
            self._give_back(instance)
        else:
            self._release()
            self._grew(data)
        return out

    def run_frames(self, op: str, items: list[bytes], start: int, most_items: int, most_bytes: int,
                   big_item: int, digest: int = 0) -> tuple[int, list[bytes]] | None:
        """``GuestInstance.hash_frames`` on an idle reset instance: many batch frames in one C
        call. ``None`` when there is none to take, or that instance declines (the caller takes
        the one-call path, ``run``, which pools one); an instance left broken is dropped."""
        try:
            instance = self._idle.pop()
        except IndexError:
            return None
        try:
            got = instance.hash_frames(op, items, start, most_items, most_bytes, big_item, digest)
        except BaseException:
            self._release()  # dropped
            raise
        if instance.broken:
            self._release()
        else:
            self._give_back(instance)
        return got

    def _give_back(self, instance: GuestInstance) -> None:
        """Put ``instance`` (which holds a place, ``_held``) in the idle list, then drop one if
        that is over the cap (threads may have pooled others while it was out). Every append to
        the list goes through here, so each is followed by its own trim: once racing threads are
        done the list holds no more than ``_idle_cap``, with no lock on this hot path (the trim
        takes it)."""
        idle = self._idle
        idle.append(instance)
        if len(idle) > self._idle_cap:
            with _idle_lock:
                if len(idle) > self._idle_cap:  # else other threads took some meanwhile
                    try:
                        idle.pop()
                    except IndexError:  # pragma: no cover - they took the rest since the check
                        return
                    self._held -= 1

    def _release(self) -> None:
        """Free the place of an instance taken from the idle list and dropped (its call failed,
        or it could not be reset)."""
        with _idle_lock:
            self._held -= 1

    def _grew(self, data: bytes | bytearray | memoryview | None) -> None:
        """A call over ``data`` left an instance that cannot be reset (its memory grew): inputs
        this large take plain fresh instances from now on."""
        if data is not None:  # never below _REUSE_FLOOR: one odd small input must not send every
            self._reuse_max = max(_REUSE_FLOOR, min(self._reuse_max, len(data) - 1))  # later one fresh
        self._growths += 1
        if self._growths >= self.limits.reuse_growths and self._reset_globals is not None:
            self._reset_globals = None  # it grows whatever the input: every call paid a snapshot for nothing
            _log.info("module instances keep growing; using fresh ones", name=self.info.name)

    def _reusable_instance(self) -> GuestInstance:
        instance = self.instance()
        names = self._reset_globals
        if names is not None and not instance.enable_reset(names, self._droppable):
            self._reset_globals = None  # memory not restorable this way here: fresh instances
            _log.info("module instances are not resettable; using fresh ones", name=self.info.name)
            instance = self.instance()
        return instance

    def close(self) -> None:
        """Drop this module's idle reset instances now (their memory and pool slots are freed
        when collected). Not an end of life: the module stays usable, the next operation
        instantiates afresh and may pool again, and closing twice is harmless. It never refuses
        afterwards because ``instance`` closes every module holding idle instances when the
        pooling allocator is full, modules still in use. A module ends when the last reference
        to it goes (as a closed ``Runtime``'s do). Instances out for a call come back after."""
        with _idle_lock:
            while True:  # one at a time: a thread may take one meanwhile (which keeps its place)
                try:
                    self._idle.pop()
                except IndexError:
                    return
                self._held -= 1

    def __repr__(self) -> str:
        return f"<LoadedModule {self.info.kind} {self.info.name}@{self.info.version} {self.info.cid}>"

    def instance(self) -> GuestInstance:
        """A fresh instance for one top-level operation, owned by the calling thread. When the
        pooling allocator is full, the idle instances of every module are dropped and it is
        tried again; then, once, after a garbage collection: an instance whose call failed is
        freed only when collected, and one reachable only from a reference cycle (an exception
        kept with its traceback, as loggers and test frameworks keep them) waits for the cyclic
        collector, which in a large process may not run a full pass for a long time."""
        try:
            return GuestInstance(self._engine, self._module, self._functions, self.limits, fast=self.fast)
        except SandboxError as exc:
            if "too many live module instances" not in exc.message:
                raise
        with _idle_lock:
            holders = list(_holding)
        if any(loaded._idle for loaded in holders):
            for loaded in holders:
                loaded.close()
            try:
                return GuestInstance(self._engine, self._module, self._functions, self.limits, fast=self.fast)
            except SandboxError as exc:
                if "too many live module instances" not in exc.message:
                    raise
        import gc

        gc.collect()
        return GuestInstance(self._engine, self._module, self._functions, self.limits, fast=self.fast)

    def _kind(self, kind: str) -> None:
        if self.info.kind != kind:
            raise ModuleRejected(f"module {self.info.name} is a {self.info.kind}, not a {kind}")

    def codec(self) -> Codec:
        from ._adapters import Codec

        self._kind("codec")
        return Codec(self)

    def hasher(self) -> Hasher:
        from ._adapters import Hasher

        self._kind("hasher")
        return Hasher(self)

    def chunker(self, params: dict[str, Any]) -> Chunker:
        from ._adapters import Chunker

        self._kind("chunker")
        return Chunker(self, params)

    def crypto(self) -> Crypto:
        from ._adapters import Crypto

        self._kind("crypto")
        return Crypto(self)

    def task(self) -> Task:
        from ._adapters import Task

        self._kind("task")
        return Task(self)


class _Served(LoadedModule):
    """A ``LoadedModule`` as one pinned set serves it (the registry's chunkers and verifiers,
    whose one loaded module several sets may share): a view, not a copy. Its attributes are
    the module's own dict, so pools, counters and limits stay one; it keeps the module itself
    alive (the idle bound counts places through it, ``_holding``); only ``ref`` differs."""

    __slots__ = ("_of", "_set_name")
    _of: LoadedModule
    _set_name: str

    def __init__(self, loaded: LoadedModule, set_name: str) -> None:  # no LoadedModule.__init__: nothing is made
        of = loaded._of if isinstance(loaded, _Served) else loaded
        self.__dict__ = of.__dict__
        self._of = of
        self._set_name = set_name

    @property
    def ref(self) -> ModuleRef:
        return self._of.ref._replace(set_name=self._set_name)

    def __repr__(self) -> str:
        return f"{self._of!r} of set {self._set_name!r}"


class Sandbox:
    """Loads untrusted modules under ``limits``; compiled code is cached in ``cache_dir``.

    ``fast_calls=None`` uses the unchecked fast call path unless ``AUTOCODEC_SLOW_CALLS=1``.
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        cache_dir: Path | None = None,
        *,
        fast_calls: bool | None = None,
    ) -> None:
        of_type(limits, SandboxLimits, "Sandbox's limits")
        self.limits = limits or DEFAULT_LIMITS.sandbox
        self.cache = CompiledCache(as_path(cache_dir, "Sandbox's cache_dir"), max_entries=self.limits.compiled_cache_entries,
                                   max_bytes=self.limits.compiled_cache_bytes) if cache_dir is not None else None
        self.fast_calls = (not _call.slow_calls_default()) if fast_calls is None else fast_calls
        self._memo: OrderedDict[tuple[str, SandboxLimits, CID | None], LoadedModule] = OrderedDict()
        self._modules: OrderedDict[str, wasmtime.Module] = OrderedDict()  # compiled, by cache entry name
        self._refused: OrderedDict[str, str] = OrderedDict()  # entry name -> why it cannot compile
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()  # guards the dicts only: never held while compiling

    def load(self, wasm: bytes, *, cid: CID | None = None, limits: SandboxLimits | None = None) -> LoadedModule:
        """Check, compile (or fetch from the cache) and test-instantiate ``wasm``."""
        if limits is not None:
            of_type(limits, SandboxLimits, "Sandbox.load's limits")
        limits = limits or self.limits
        wasm = bytes(wasm)
        sha = hashlib.sha256(wasm).digest()
        digest = sha.hex()
        memo_key = (digest, limits, cid)
        with self._lock:
            hit = self._memo.get(memo_key)
            if hit is not None:  # these very bytes (sha2-256) passed the CID check under this CID
                self._memo.move_to_end(memo_key)
                return hit
        if cid is not None:  # HashMismatch: the bytes are not what the CID names
            _check_cid(cid, wasm, sha)
        engine, spec = get_engine(EngineSpec.from_limits(limits))
        name = CompiledCache.entry_name(f"sha2-256:{digest}{_reset_tag(limits)}", spec.fingerprint())
        refusal = CompiledCache.entry_name(f"sha2-256:{digest}{_reset_tag(limits)}{_bounds_tag(limits)}",
                                           spec.fingerprint())
        self._check_refused(refusal)
        cached = self._cached(engine, name)
        # A cache hit is an artifact compiled from these very bytes (sha2-256 key, HMAC):
        # they were fully validated then; the ABI checks still run on every load.
        info = inspect_module(wasm, cid=cid, limits=limits, validate=cached is None)
        module = cached if cached is not None else self._compile(engine, spec, wasm, name, refusal, limits)
        loaded = LoadedModule(engine, module, info, limits, fast=self.fast_calls)
        try:
            version = loaded.instance().abi_version()
        except SandboxError as exc:
            failed = type(exc)(f"failed at load: {exc.message}", hint=exc.hint)  # led by the module (``told``)
            failed.from_module(loaded.ref)
            raise failed from None
        if version != 1:
            raise ModuleRejected(f"ac_abi_version() returned {version}; this host speaks ABI 1")
        _log.debug("module loaded", cid=str(info.cid), name=info.name, kind=info.kind, version=info.version)
        with self._lock:
            self._memo[memo_key] = loaded
            while len(self._memo) > self.limits.loaded_modules:
                self._memo.popitem(last=False)
        return loaded

    def _cached(self, engine: wasmtime.Engine, name: str) -> wasmtime.Module | None:
        with self._lock:
            module = self._modules.get(name)
        if module is not None or self.cache is None:
            return module
        return self.cache.get(engine, name)

    def _check_refused(self, name: str) -> None:
        with self._lock:
            reason = self._refused.get(name)
        if reason is None and self.cache is not None:
            reason = self.cache.refused(name)
        if reason is not None:
            raise CompileRefused(f"refused without compiling: {reason}")

    def _compile(
        self, engine: wasmtime.Engine, spec: EngineSpec, wasm: bytes, name: str, refusal: str, limits: SandboxLimits
    ) -> wasmtime.Module:
        """Compile once per ``name`` at a time (others loading the same bytes wait for it), no lock held;
        a refusal is remembered under ``refusal`` (``name`` and the compile bounds it was refused under)."""
        while True:
            with self._lock:
                module = self._modules.get(name)
                if module is not None:
                    return module
                reason = self._refused.get(refusal)
                if reason is not None:
                    raise CompileRefused(f"refused without compiling: {reason}")
                waiting = self._inflight.get(name)
                if waiting is None:
                    done = self._inflight[name] = threading.Event()
                    break
            waiting.wait()
            # the compiling thread finished: its module or refusal is recorded (a plain
            # failure is not: then this thread tries itself)
            with self._lock:
                if name not in self._modules and refusal not in self._refused and name not in self._inflight:
                    continue
        try:
            try:
                # the resettable rewrite (same behaviour, more exports) when the module allows it
                target = (_reset.prepare(wasm, limits.reuse_globals)
                          if len(wasm) <= _reset.MAX_SCAN_BYTES else None) or wasm
                summary = _wasmparse.parse(target, limits, extra_exports=1 + limits.reuse_globals)
                module = compile_module(engine, spec, target, summary, limits)
            except CompileRefused as exc:
                with self._lock:
                    self._refused[refusal] = exc.message
                    while len(self._refused) > _REFUSED:
                        self._refused.popitem(last=False)
                if self.cache is not None:
                    self.cache.refuse(refusal, exc.message)
                _log.warning("module refused at compile", reason=exc.message)
                raise
            with self._lock:
                self._modules[name] = module
                while len(self._modules) > self.limits.loaded_modules:
                    self._modules.popitem(last=False)
            if self.cache is not None:
                self.cache.put(name, module)
            return module
        finally:
            with self._lock:
                del self._inflight[name]
            done.set()


def _reset_tag(limits: SandboxLimits) -> str:
    """The cache name's mark of the reset rewrite: which modules it rewrites depends on
    ``reuse_globals``, so another value has its own entries (the default keeps the old name)."""
    if limits.reuse_globals == DEFAULT_LIMITS.sandbox.reuse_globals:
        return _RESET_TAG
    return f"{_RESET_TAG}g{limits.reuse_globals}"


def _bounds_tag(limits: SandboxLimits) -> str:
    """The refusal name's mark of the compile bounds it was refused under: raised bounds compile again."""
    return f"|compile:{limits.compile_timeout_ms}ms:{limits.compile_memory_bytes}B"


_DAG_ROOTS = 64
"""Module DAG roots ``_check_cid`` remembers (a sha2-256 digest and a CID each, ~150 bytes)."""
_dag_roots: OrderedDict[bytes, CID] = OrderedDict()  # sha2-256 of module bytes -> their DAG's root
_dag_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked child starts with ``_dag_lock`` and ``_idle_lock`` free: a parent thread that held
    one does not exist here, so nothing would release it. ``_dag_roots`` stays: each step on it is
    one call under the GIL, so the child finds it whole (at most one trim behind), and every root
    in it is true. The pool's own fork (``_pool._loader_quiet``) holds the old ``_idle_lock`` across
    it; its child hook releases that old object, its workers never leave that ``with`` (they end
    in ``os._exit``), and the parent releases the object it took, its own lock."""
    global _dag_lock, _idle_lock
    _dag_lock = threading.Lock()
    _idle_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _check_cid(cid: CID, wasm: bytes, sha: bytes) -> None:
    """``HashMismatch`` unless ``cid`` names ``wasm`` (whose sha2-256 digest is ``sha``): as one
    block, or (dag-pb) as the root of the UnixFS file DAG a module over 1 MiB is published as
    (``verify._moduledag``).

    A DAG root is built once per bytes: the last ``_DAG_ROOTS`` are remembered by the sha2-256
    of the bytes they were built over, so equal bytes in another object (a module read again,
    another sandbox, other limits) cost a lookup instead of a rebuild (5 MiB: 0.03 against
    6.5 ms CPU here; ``load`` hashes the bytes anyway, 4.6 ms). Sound as the content addressing
    it checks: a digest names one byte string, which has one module DAG (``modcid``)."""
    if is_dag(cid):
        with _dag_lock:
            root = _dag_roots.get(sha)
            if root is not None:
                _dag_roots.move_to_end(sha)
        if root is None:
            root = module_cid(wasm)
            with _dag_lock:
                _dag_roots[sha] = root
                while len(_dag_roots) > _DAG_ROOTS:
                    _dag_roots.popitem(last=False)
        if root != cid:
            raise HashMismatch(f"module bytes are not the UnixFS file {cid}")
        return
    from ..builtin import verify_cid

    verify_cid(cid, wasm)
