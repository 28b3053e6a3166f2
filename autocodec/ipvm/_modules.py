"""Which task modules may run, and loading them under a job's limits.

Invariants:
- A module runs only if ``TrustStore.decide_module`` allows its CID: a fresh pinned set lists
  a manifest for exactly this module (still verifying, not revoked), or the user allow-listed
  the CID (``autocodec trust add CID``). The decision comes before the bytes are fetched;
  anything else is ``NotTrusted`` naming the module and the fix. A manifest, when there is
  one, must agree with the module's own metadata, and the module must be a ``task``.
- Module bytes always come through the runtime's fetcher, so they are verified against the
  CID before anything looks at them (a module over 1 MiB block by block, its UnixFS file DAG
  read under the trust limits, ``verify.read_module``); the sandbox then checks them statically and by one
  instantiation (``Sandbox.load``) before any job runs.
- Verified bytes may be kept (``VerifiedModules``, by CID, within a byte budget) and given to
  ``trusted_module``/``load_task`` again: content-addressed, they never go stale, so a load under
  another memory cap or trust generation neither reads nor hashes the module again; the trust
  decision is still made on every load, and a manifest's ABI and size checked against them.
- A job's memory cap replaces the sandbox default for its load (``dataclasses.replace``; each
  cap is an engine of its own). Its fuel does not: loading and instantiating a module (its
  start function, the ABI check) is the host's work, under the budget ``load_task`` is given
  (the executor gives the home's ``limits.sandbox.fuel``); the job's own fuel is set on its
  instance for the ``ac_task`` call alone (``job_instance``), so one loaded module serves every
  fuel value, and a job of 1 fuel ends in a ``FuelExhausted`` receipt like any other. The other limits that can change a job's *result* (the wasm
  stack, the table size, the output cap: ``TASK_LIMITS``) are fixed, not the home's
  ``limits.sandbox``: a receipt may only depend on the invocation, and a home configured with a
  smaller stack would otherwise sign a stack-overflow error for a job another home answers ok,
  under the same invocation CID (found by a probe module recursing 3000 deep). The deadline
  and the other host limits stay the home's: running into them raises, it is never receipted.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

from ..cid import CID
from ..config import DEFAULT_LIMITS
from ..errors import AutocodecError, InvalidInput, NotTrusted


TASK_LIMITS = {
    "max_wasm_stack_bytes": DEFAULT_LIMITS.sandbox.max_wasm_stack_bytes,
    "max_table_elements": DEFAULT_LIMITS.sandbox.max_table_elements,
    "max_output_bytes": DEFAULT_LIMITS.sandbox.max_output_bytes,
}
"""The sandbox limits a task job always runs under, whatever the home's config says: each decides
whether a job ends in a result or an error receipt (stack overflow, ``table.grow`` answering -1,
``OutputTooLarge``), and receipts are memoized and compared across homes by invocation CID."""
RECEIPT_NESTING = 3
"""How deep a receipt block nests a result: ``{"ipvm/receipt@1": {"out": {"ok": RESULT}}}``."""
TASK_DECODE_LIMITS = dataclasses.replace(DEFAULT_LIMITS.decode,
                                         max_depth=DEFAULT_LIMITS.decode.max_depth - RECEIPT_NESTING)
"""How a task's result is decoded (not ``limits.decode`` of the home, for the same reason), with
room for the receipt around it: a result nested deeper would make a receipt that cannot be
encoded (nor decoded by anyone with the default limits), so it is a ``GuestFault`` receipt."""


def resolve_module(runtime: Any, spec: str | CID) -> CID:
    """A module CID from a CID or the name of a task listed by a pinned set."""
    if isinstance(spec, CID):
        return spec
    try:
        return CID.parse(spec)
    except AutocodecError:
        pass
    decision = runtime.trust.resolve("task", spec)
    if decision is None:
        raise NotTrusted(f"no pinned set lists a task named {spec!r}",
                         hint="give the module's CID, or pin a set that lists the task")
    module: CID = decision.module
    return module


def _untrusted(module: CID, why: str) -> NotTrusted:
    return NotTrusted(f"task module {module} is not trusted: {why}",
                      hint=f"allow it with `autocodec trust add {module}`, or pin a set that lists it")


class VerifiedModules:
    """Module bytes already verified against their CID, by CID, least recently used dropped
    first, at most ``max_bytes`` in all (a module larger than that is not kept). Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.held = max_bytes, 0
        self._bytes: OrderedDict[CID, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, module: CID) -> bytes | None:
        with self._lock:
            wasm = self._bytes.get(module)
            if wasm is not None:
                self._bytes.move_to_end(module)
            return wasm

    def put(self, module: CID, wasm: bytes) -> None:
        if len(wasm) > self.max_bytes:
            return
        with self._lock:
            if module in self._bytes:
                self._bytes.move_to_end(module)
                return
            self._bytes[module] = wasm
            self.held += len(wasm)
            while self.held > self.max_bytes:
                self.held -= len(self._bytes.popitem(last=False)[1])


def trusted_module(runtime: Any, module: CID, verified: VerifiedModules | None = None) -> tuple[bytes, str]:
    """The verified bytes of a trusted task module and the policy that allowed it; ``verified``:
    bytes read before, used instead of reading the module again, and given those read now."""
    from ..loader import inspect_module
    from ..verify import check_module_info

    decision = runtime.trust.decide_module(module)
    if decision is None:
        revoked = runtime.trust.module_revocation(module)
        if revoked is not None:  # allowing the module's CID would not lift it: say so
            from ..verify import outranked_refusal

            raise outranked_refusal(f"task module {module} is not trusted:", revoked)
        raise _untrusted(module, "no pinned set lists it and it is not allow-listed")
    wasm = verified.get(module) if verified is not None else None
    if wasm is None or not _fits(decision.manifest, wasm):
        wasm = _module_bytes(runtime, module, decision.manifest)
        if verified is not None:
            verified.put(module, wasm)
    info = inspect_module(wasm, cid=module, limits=runtime.limits.sandbox)
    if info.kind != "task":
        raise InvalidInput(f"module {module} ({info.name}) is a {info.kind}, not a task")
    if decision.manifest is not None:
        check_module_info(decision.manifest, info)
    policy = f"pinned-set:{decision.set_name}" if decision.set_name else str(decision.policy)
    return wasm, policy


def _fits(manifest: Any, wasm: bytes) -> bool:
    """Whether bytes verified against a manifest's module CID pass its other checks (hash kind,
    ABI, size, as ``verify.fetch_module``); when not, they are read again and refused there."""
    from ..verify import ABI_VERSION
    from ..verify._module import check_content_hash

    if manifest is None:
        return True
    check_content_hash(manifest.module, "module")
    return bool(manifest.abi == ABI_VERSION and len(wasm) == manifest.size)


def _module_bytes(runtime: Any, module: CID, manifest: Any) -> bytes:
    """A task module's bytes through the runtime's fetcher, each block verified against its CID:
    one raw block, or a module over 1 MiB read from its UnixFS file DAG under the trust limits
    (``verify.read_module``), bounded by its manifest's size when a set lists it."""
    from ..verify import fetch_module, is_dag, read_module

    if manifest is not None:
        return fetch_module(manifest, runtime.fetcher.get, limits=runtime.limits.trust)
    if is_dag(module):
        data: bytes = read_module(module, runtime.fetcher.get, limits=runtime.limits.trust).data
        return data
    raw: bytes = runtime.fetcher.get(module)
    return raw


def load_task(runtime: Any, module: CID, fuel: int, memory: int, verified: VerifiedModules | None = None) -> Any:
    """The ``LoadedModule`` of a trusted task module under a job's memory cap. ``fuel`` bounds
    the host's work with it (its test instantiation at load, and each instance's start): give
    the host's budget, not a job's, which ``job_instance`` sets per call. ``verified``: as
    ``trusted_module``'s."""
    wasm, _policy = trusted_module(runtime, module, verified)
    limits = dataclasses.replace(runtime.limits.sandbox, fuel=fuel, max_memory_bytes=memory, **TASK_LIMITS)
    return runtime.sandbox.load(wasm, cid=module, limits=limits)


def job_instance(loaded: Any, fuel: int) -> Any:
    """A fresh instance of ``loaded`` (instantiated under the module's own budget) whose calls
    from now on each get ``fuel``: a ``GuestInstance`` sets its budget from ``limits.fuel`` at
    the start of every call, so the job's budget counts the ``ac_task`` call and nothing else."""
    instance = loaded.instance()
    instance.limits = dataclasses.replace(instance.limits, fuel=fuel)
    return instance
