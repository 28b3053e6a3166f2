"""autocodec: signed, content-addressed WebAssembly codecs, hashers, chunkers and crypto for IPFS.

The public surface is this module. Wings (``builtin``, ``store``, ``loader``, ``verify``,
``registry``) are importable but their private modules (``_name``) are not API.

Names are loaded lazily so that ``import autocodec`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .cid import CID
from .config import DEFAULT_LIMITS, Limits
from .errors import *  # noqa: F403  (the error hierarchy is public)
from .errors import AutocodecError

__version__ = "0.1.0"

# public name -> "module:attribute"
_LAZY: dict[str, str] = {
    "decode": "autocodec.builtin:decode",
    "encode": "autocodec.builtin:encode",
    "cid_for": "autocodec.builtin:cid_for",
    "multihash_digest": "autocodec.builtin:multihash_digest",
    "verify_cid": "autocodec.builtin:verify_cid",
    "verify_signature": "autocodec.registry._api:verify_signature",
    "Runtime": "autocodec.registry:Runtime",
    "has_codec": "autocodec.builtin:has_codec",
    "has_hash": "autocodec.builtin:has_hash",
    "BlockStore": "autocodec.store:BlockStore",
    "import_car": "autocodec.store:import_car",
    "export_car": "autocodec.store:export_car",
    "Sandbox": "autocodec.loader:Sandbox",
    "inspect_module": "autocodec.loader:inspect_module",
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


__all__ = ["CID", "Limits", "DEFAULT_LIMITS", "AutocodecError", "__version__", *_LAZY]
