"""The Wasm sandbox: load untrusted ABI v1 modules and run them safely, deterministically, fast.

Public API (others code against it; see docs/abi.md for the guest side):

- ``Sandbox(limits=None, cache_dir=None, *, fast_calls=None)`` and
  ``sandbox.load(wasm, *, cid=None, limits=None) -> LoadedModule``
- ``LoadedModule.info`` (``ModuleInfo``) and the kind adapters ``.codec()``, ``.hasher()``,
  ``.chunker(params)``, ``.crypto()``, ``.task()``
- ``inspect_module(wasm) -> ModuleInfo``: static checks, nothing is run
- ``run_vectors(loaded, vectors_doc) -> VectorReport``: a module's test vectors (section 5);
  ``same(a, b)`` is its strict data-model equality, ``xorshift_bytes`` its input generator

Invariants: every refusal or guest failure is a ``SandboxError`` subclass (``ModuleRejected``,
``FuelExhausted``, ``DeadlineExceeded``, ``MemoryLimitExceeded``, ``OutputTooLarge``,
``GuestTrap``, ``GuestFault``, ``CompileBusy`` when every child compile slot stayed
busy), except an error status returned by the guest for its input,
which is ``GuestError`` (an ``InvalidBlock``). The host process always survives.
"""

from __future__ import annotations

from ._adapters import Chunker, Codec, Crypto, Hasher, HashStream, Task
from ._info import ModuleInfo, inspect_module, raw_cid
from ._sandbox import LoadedModule, Sandbox
from ._vectors import VectorReport, run_vectors, same, xorshift_bytes

__all__ = [
    "Sandbox",
    "LoadedModule",
    "ModuleInfo",
    "inspect_module",
    "raw_cid",
    "run_vectors",
    "VectorReport",
    "xorshift_bytes",
    "same",
    "Codec",
    "Hasher",
    "HashStream",
    "Chunker",
    "Crypto",
    "Task",
]
