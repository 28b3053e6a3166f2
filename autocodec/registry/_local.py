"""Module files the user named explicitly for one runtime (``--module FILE``, policy ``local-file``).

Invariants: one module per ``(kind, code|name)``; a second module declaring the same key is
refused, never silently preferred. The set only grows; each addition must be followed by a
new generation (the ``Runtime`` does it). A module file is read at most one byte past the
loader's ``max_module_bytes`` (``/dev/zero`` is ``ModuleTooLarge``, never read whole).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .._inputs import as_bytes, as_path
from ..errors import InvalidInput, ModuleTooLarge
from ._protocols import ModuleLoader


class LocalModules:
    """``(kind, code|name) -> loaded module`` for module files the user vouched for."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int | str], Any] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, code: int | str) -> Any:
        return self._by_key.get((str(kind), code))

    def add(self, loader: ModuleLoader, module: str | os.PathLike[str] | bytes) -> Any:
        """Load ``module`` (a path or the bytes) and serve it for every code it declares; a
        value of another type is an ``InvalidInput``."""
        if isinstance(module, (bytes, bytearray, memoryview)):
            wasm, shown = as_bytes(module, "add_local_module"), "module bytes"
        else:
            path = as_path(module, "add_local_module (a module file or its bytes)")
            shown = str(path)
            wasm = _read_capped(path, shown, _cap(loader))
        loaded = loader.load(wasm)
        keys: list[int | str] = list(loaded.info.codes) or [loaded.info.name]
        kind = str(loaded.info.kind)
        with self._lock:
            for code in keys:
                other = self._by_key.get((kind, code))
                if other is not None and other.info.cid != loaded.info.cid:
                    raise InvalidInput(f"{shown} and module {other.info.cid} both declare {kind} {code}",
                                       hint="give one module per code")
            for code in keys:
                self._by_key[(kind, code)] = loaded
        return loaded


def _cap(loader: ModuleLoader) -> int:
    """The loader's module size cap (its sandbox limits; the default ones for a loader without)."""
    from ..config import DEFAULT_LIMITS, SandboxLimits

    limits = getattr(loader, "limits", None)
    return (limits if isinstance(limits, SandboxLimits) else DEFAULT_LIMITS.sandbox).max_module_bytes


def _read_capped(path: os.PathLike[str], shown: str, cap: int) -> bytes:
    """At most ``cap + 1`` bytes of the file at ``path``: ``ModuleTooLarge`` past ``cap``."""
    from .._nonblocking import read_upto

    try:
        with open(path, "rb") as stream:
            wasm = read_upto(stream, cap + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read module file {shown}: {exc.strerror or exc}",
                           hint="check the module file's path") from None
    if len(wasm) > cap:
        raise ModuleTooLarge(f"{shown} is over the {cap}-byte module cap")
    return wasm
