"""The registry: resolve (kind, code) -> manifest -> module, publish modules and sets, pin sets.

- ``Runtime(home=...)``: ``decode(cid)``, ``decode_block(cid, data)``, ``resolve(kind, code)``,
  ``verify_block``, ``hash``; resolution through builtins, then pinned sets, then nothing.
- Publishing: ``publish_module``, ``init_set``, ``add_manifest``, ``remove_entry``,
  ``publish_set``, ``export_set``.
- Pinning: ``pin_add``, ``pin_ls``, ``pin_update``, ``pin_repair``, ``pin_rm`` (``Runtime.pins``).
- Structure (docs/architecture.md): ``Runtime`` is a facade over ``Resolver`` (trust ->
  adapters, per ``Generation``), ``Pins``, the trust store, the sandbox and the fetcher.
- ``DEFAULT_SET``: the extension set built from ``wasm-src/`` that ships inside the package.

See the private modules' docstrings for the invariants.
"""

from __future__ import annotations

from ._generation import Generation
from ._live import RefreshOutcome, RefreshStatus
from ._pins import (
    Location,
    PinInfo,
    PinResult,
    Pins,
    pin_add,
    pin_ls,
    pin_repair,
    pin_rm,
    pin_update,
    resolve_ipns,
)
from ._publish import Published, VectorsFailed, publish_module
from ._resolution import Resolution, Source
from ._resolver import Resolver
from ._runtime import Runtime
from ._sets import (
    SetState,
    add_manifest,
    entries,
    export_set,
    get_set,
    init_set,
    publish_set,
    remove_entry,
    set_blocks,
)

__all__ = [
    "Generation",
    "Location",
    "PinInfo",
    "PinResult",
    "Pins",
    "Published",
    "RefreshOutcome",
    "RefreshStatus",
    "Resolution",
    "Resolver",
    "Runtime",
    "Source",
    "SetState",
    "VectorsFailed",
    "add_manifest",
    "entries",
    "export_set",
    "get_set",
    "init_set",
    "pin_add",
    "pin_ls",
    "pin_repair",
    "pin_rm",
    "pin_update",
    "publish_module",
    "publish_set",
    "remove_entry",
    "resolve_ipns",
    "set_blocks",
]
