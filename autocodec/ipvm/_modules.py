"""Which task modules may run, and loading them under a job's limits.

Invariants:
- A module runs only if the user allow-listed its CID (``autocodec trust add CID``) or a
  pinned extension set lists a ``task`` entry whose module is exactly this CID (checked
  against its manifest). Anything else is ``NotTrusted`` naming the module and the fix.
- Module bytes always come through the runtime's fetcher, so they are verified against the
  CID before anything looks at them; the sandbox then checks them statically and by one
  instantiation (``Sandbox.load``) before any job runs.
- A job's fuel and memory cap replace the sandbox defaults for that load only
  (``dataclasses.replace``); the deadline and every other sandbox limit stay.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..cid import CID
from ..errors import AutocodecError, InvalidInput, NotFound, NotTrusted


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


def trusted_module(runtime: Any, module: CID) -> tuple[bytes, str]:
    """The verified bytes of a trusted task module and the policy that allowed it."""
    from ..loader import inspect_module

    allowed = runtime.trust.module_allowed(module)
    try:
        wasm = runtime.fetcher.get(module)
    except NotFound:
        if not allowed:
            raise _untrusted(module, "it is not allow-listed, and its bytes are not here to find a pinned set "
                             "listing it") from None
        raise
    info = inspect_module(wasm, cid=module, limits=runtime.limits.sandbox)
    if info.kind != "task":
        raise InvalidInput(f"module {module} ({info.name}) is a {info.kind}, not a task")
    if allowed:
        return wasm, "allow-list:module"
    decision = runtime.trust.resolve("task", info.name)
    if decision is None or decision.module != module:
        listed = f"; pinned sets list {decision.module} under that name" if decision is not None else ""
        raise _untrusted(module, f"no pinned set lists this module ({info.name} {info.version}){listed}")
    if decision.manifest is not None:
        from ..verify import check_module_info

        check_module_info(decision.manifest, info)
    return wasm, f"pinned-set:{decision.set_name}"


def load_task(runtime: Any, module: CID, fuel: int, memory: int) -> Any:
    """The ``LoadedModule`` of a trusted task module under a job's fuel and memory cap."""
    wasm, _policy = trusted_module(runtime, module)
    limits = dataclasses.replace(runtime.limits.sandbox, fuel=fuel, max_memory_bytes=memory)
    return runtime.sandbox.load(wasm, cid=module, limits=limits)
