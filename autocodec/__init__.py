"""autocodec: signed, content-addressed WebAssembly codecs, hashers, chunkers and crypto for IPFS.

The public surface is this module. Wings (``builtin``, ``store``, ``loader``, ``verify``,
``registry``, ``dag``) are importable but their private modules (``_name``) are not API.

Invariants:
- ``import autocodec`` stays cheap: the names below are loaded on first use (``__getattr__``),
  while the ``TYPE_CHECKING`` imports give type checkers their real types.
- ``decode``/``encode`` run builtins directly and any other codec through a runtime (the one
  given, or the default home's if it exists); ``export_car`` follows every codec's links.

Example::

    import autocodec

    with autocodec.Runtime() as rt:             # the default home ($AUTOCODEC_HOME or ~/.autocodec)
        cid = rt.put(git_object_bytes, "git-raw", "sha1")
        commit = rt.decode(cid)                  # run by the pinned git-raw Wasm module
        readme = rt.decode(f"{cid}/tree/README.md/hash")   # a path across links
        blocks = [c for c, _ in rt.walk(cid)]    # the whole DAG, every codec's links
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .cid import CID
from .errors import *  # noqa: F403  (the error hierarchy is public)
from .errors import AutocodecError

if TYPE_CHECKING:  # pragma: no cover - the real types of the lazily loaded names
    from ._toplevel import decode as decode
    from ._toplevel import encode as encode
    from ._toplevel import export_car as export_car
    from .builtin import cid_for as cid_for
    from .config import DEFAULT_LIMITS as DEFAULT_LIMITS
    from .config import Limits as Limits
    from .builtin import has_codec as has_codec
    from .builtin import has_hash as has_hash
    from .builtin import multihash_digest as multihash_digest
    from .builtin import verify_cid as verify_cid
    from .dag import DagPath as DagPath
    from .dag import Resolved as Resolved
    from .dag import parse_path as parse_path
    from .loader import Sandbox as Sandbox
    from .loader import inspect_module as inspect_module
    from .registry import Runtime as Runtime
    from .registry._api import verify_signature as verify_signature
    from .store import BlockStore as BlockStore
    from .store import import_car as import_car

__version__ = "0.1.0"

# public name -> "module:attribute"
_LAZY: dict[str, str] = {
    "decode": "autocodec._toplevel:decode",
    "encode": "autocodec._toplevel:encode",
    "export_car": "autocodec._toplevel:export_car",
    "Limits": "autocodec.config:Limits",
    "DEFAULT_LIMITS": "autocodec.config:DEFAULT_LIMITS",
    "cid_for": "autocodec.builtin:cid_for",
    "multihash_digest": "autocodec.builtin:multihash_digest",
    "verify_cid": "autocodec.builtin:verify_cid",
    "verify_signature": "autocodec.registry._api:verify_signature",
    "Runtime": "autocodec.registry:Runtime",
    "has_codec": "autocodec.builtin:has_codec",
    "has_hash": "autocodec.builtin:has_hash",
    "BlockStore": "autocodec.store:BlockStore",
    "import_car": "autocodec.store:import_car",
    "Sandbox": "autocodec.loader:Sandbox",
    "inspect_module": "autocodec.loader:inspect_module",
    "DagPath": "autocodec.dag:DagPath",
    "Resolved": "autocodec.dag:Resolved",
    "parse_path": "autocodec.dag:parse_path",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'autocodec' has no attribute {name!r}")
    module_name, attr = target.split(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["CID", "AutocodecError", "__version__", *_LAZY]
