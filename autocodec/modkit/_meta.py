"""``module.json`` of a module folder and the ``autocodec.module`` custom section made from it.

Invariants: a module.json that passes ``load_meta`` gives a section that the loader accepts
(same rules as ``autocodec.loader._info``); the section is the canonical DAG-CBOR of the
document plus ``"abi": ABI_VERSION``, so the same document always gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..abi import Kind
from ..errors import ModuleRejected
from ..loader._info import ABI_VERSION, SECTION, checked_metadata
from ._errors import InvalidModuleSource

REQUIRED: dict[str, type] = {"name": str, "kind": str, "codes": list, "version": str, "description": str}
OPTIONAL: dict[str, type] = {"functions": list}


def validate_meta(meta: Any, where: str) -> dict[str, Any]:
    """``meta`` checked as a module.json document; ``where`` names it in messages."""
    if not isinstance(meta, dict):
        raise InvalidModuleSource(f"{where}: module.json must be an object")
    for key, typ in REQUIRED.items():
        if not isinstance(meta.get(key), typ):
            raise InvalidModuleSource(f"{where}: module.json needs {key!r} ({typ.__name__})")
    unknown = set(meta) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise InvalidModuleSource(f"{where}: module.json has unknown keys {sorted(unknown)}")
    try:
        kind = Kind(meta["kind"])
    except ValueError:
        raise InvalidModuleSource(f"{where}: kind must be one of {', '.join(k.value for k in Kind)}") from None
    codes = meta["codes"]
    if not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < 1 << 63 for c in codes):
        raise InvalidModuleSource(f"{where}: codes must be non-negative integers")
    if kind.coded and not codes:
        raise InvalidModuleSource(f"{where}: a {kind} needs at least one code")
    if not kind.coded and codes:
        raise InvalidModuleSource(f"{where}: a {kind} has codes []")
    if kind is Kind.TASK:
        fns = meta.get("functions")
        if not fns or not all(isinstance(f, str) and f for f in fns):
            raise InvalidModuleSource(f'{where}: a task needs "functions": [names]')
    elif "functions" in meta:
        raise InvalidModuleSource(f"{where}: only tasks have functions")
    try:  # the loader's own rules (name, version, sizes), so no build is refused only once compiled
        checked_metadata({**meta, "abi": ABI_VERSION})
    except ModuleRejected as exc:
        raise InvalidModuleSource(f"{where}: {exc.message.removeprefix(SECTION + ': ')}") from None
    return meta


def load_meta(folder: Path) -> dict[str, Any]:
    """The validated module.json of ``folder``."""
    path = folder / "module.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidModuleSource(f"{folder} has no module.json (is it a module folder?)") from None
    except OSError as exc:  # the path once, then the cause in words ("Permission denied")
        raise InvalidModuleSource(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InvalidModuleSource(f"cannot read {path}: {exc}") from None
    return validate_meta(meta, str(path))


def _leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section_payload(meta: dict[str, Any]) -> bytes:
    """The canonical DAG-CBOR of ``meta`` plus the ABI version."""
    from ..builtin import encode

    return bytes(encode({**meta, "abi": ABI_VERSION}, "dag-cbor"))


def custom_section(payload: bytes, name: str = SECTION) -> bytes:
    """A Wasm custom section (id 0) named ``name`` holding ``payload``."""
    body = _leb128(len(name)) + name.encode() + payload
    return b"\x00" + _leb128(len(body)) + body
