"""The registry: resolve (kind, code) -> manifest -> module, publish modules and sets, pin sets.

- ``Runtime(home=...)``: ``decode(cid)``, ``decode_block(cid, data)``, ``resolve(kind, code)``,
  ``verify_block``, ``hash``; resolution through builtins, then pinned sets, then nothing.
- Publishing: ``publish_module``, ``init_set``, ``add_manifest``, ``remove_entry``,
  ``publish_set``, ``rotate_keys``, ``export_set``.
- Pinning: ``pin_add``, ``pin_ls``, ``pin_update``, ``pin_repair``, ``pin_rm`` (``Runtime.pins``).
- Structure (docs/architecture.md): ``Runtime`` is a facade over ``Resolver`` (trust ->
  adapters, per ``Generation``), ``Pins``, the trust store, the sandbox and the fetcher.
- ``DEFAULT_SET``: the extension set built from ``wasm-src/`` that ships inside the package.

See the private modules' docstrings for the invariants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attributes
from ._generation import Generation
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
from ._resolution import Resolution, Source
from ._resolver import Resolver
from ._runtime import Runtime

if TYPE_CHECKING:  # pragma: no cover - loaded on first use (``__getattr__``): a decode needs none of them
    from ._live import RefreshOutcome as RefreshOutcome
    from ._live import RefreshStatus as RefreshStatus
    from ._publish import Published as Published
    from ._publish import VectorsFailed as VectorsFailed
    from ._publish import publish_module as publish_module
    from ._sets import SetState as SetState
    from ._sets import add_manifest as add_manifest
    from ._sets import entries as entries
    from ._sets import export_set as export_set
    from ._sets import get_set as get_set
    from ._sets import init_set as init_set
    from ._sets import publish_set as publish_set
    from ._sets import published_entries as published_entries
    from ._sets import remove_entry as remove_entry
    from ._sets import rotate_keys as rotate_keys
    from ._sets import set_blocks as set_blocks

_LAZY = {
    "RefreshOutcome": "_live", "RefreshStatus": "_live",
    "Published": "_publish", "VectorsFailed": "_publish", "publish_module": "_publish",
    **{name: "_sets" for name in ("SetState", "add_manifest", "entries", "export_set", "get_set", "init_set",
                                  "publish_set", "published_entries", "remove_entry", "rotate_keys",
                                  "set_blocks")},
}


_load = lazy_attributes(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    """Live refresh, publishing and set editing are imported on first use (start-up of a decode)."""
    return _load(name)

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
    "published_entries",
    "remove_entry",
    "resolve_ipns",
    "rotate_keys",
    "set_blocks",
]
