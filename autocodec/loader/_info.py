"""What a module is, read without running it: ``ModuleInfo`` and ``inspect_module``.

Invariants:
- ``inspect_module`` never instantiates or compiles: it validates the bytes with wasmtime
  under the deterministic feature set, then reads the binary (``_wasmparse``).
- A module it returns satisfies every static rule of ABI v1 (docs/abi.md section 1 and 3):
  size cap, no imports, at most one table, a 32-bit ``memory`` export, the common and per-kind exports with the
  exact signatures, no export named with the host's reserved ``ac.reset:`` prefix (``_reset``:
  the loader reads a marker export as "resettable"), and exactly one well-formed
  ``autocodec.module`` custom section. Only
  ``ac_abi_version() == 1`` is left to the loader, because it needs a call.
- Every refusal is a ``ModuleRejected`` with a message naming the broken rule.
- Complexity (``check_complexity``: defined functions, largest body; the section count in
  ``_wasmparse``) is checked on a linear read of the bytes before wasmtime validates or
  compiles anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import wasmtime

from .._inputs import as_bytes
from ..abi import MAX_CODES, NAME, VERSION, Kind
from ..cid import CID
from ..config import DEFAULT_LIMITS, SandboxLimits
from ..errors import AutocodecError, ModuleRejected, ModuleTooLarge
from ..modcid import module_cid, raw_module_cid
from . import _engine, _reset, _wasmparse

SECTION = "autocodec.module"
ABI_VERSION = 1
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)  # the ABI's vocabulary: autocodec.abi

_I32 = ("i32",)
SIG_OP = _wasmparse.FuncType(("i32", "i32"), _I32)
SIG_NULLARY = _wasmparse.FuncType((), _I32)
SIG_INPUT = _wasmparse.FuncType(_I32, _I32)

COMMON_EXPORTS: dict[str, _wasmparse.FuncType] = {
    "ac_abi_version": SIG_NULLARY,
    "ac_input": SIG_INPUT,
    "ac_result": SIG_NULLARY,
}
KIND_EXPORTS: dict[str, dict[str, _wasmparse.FuncType]] = {
    "codec": {"ac_decode": SIG_OP, "ac_encode": SIG_OP, "ac_decode_batch": SIG_OP},
    "hasher": {"ac_hash": SIG_OP, "ac_hash_init": SIG_NULLARY, "ac_hash_update": SIG_OP, "ac_hash_final": SIG_NULLARY},
    "chunker": {"ac_chunk_init": SIG_OP, "ac_chunk_update": SIG_OP, "ac_chunk_final": SIG_NULLARY},
    "crypto": {"ac_verify": SIG_OP},
    "task": {"ac_task": SIG_OP},
    "verifier": {
        "ac_vfy_init": SIG_OP, "ac_vfy_update": SIG_OP, "ac_vfy_final": SIG_NULLARY,
        "ac_enc_init": SIG_OP, "ac_enc_update": SIG_OP, "ac_enc_final": SIG_NULLARY,
    },
}
OPTIONAL_EXPORTS: dict[str, dict[str, _wasmparse.FuncType]] = {
    "codec": {"ac_links": SIG_OP},
    "hasher": {"ac_hash_batch": SIG_OP,  # many one-shot hashes in one call (blake3)
               "ac_hash_xof": SIG_OP, "ac_hash_final_xof": SIG_OP},  # digests of a given length (blake3)
    "verifier": {"ac_vfy_tree": SIG_OP, "ac_vfy_data": SIG_OP,  # held outboard + zero-copy data (bao)
                 "ac_vfy_parent": SIG_OP,  # a parent node's chaining value: subtrees joined (threads)
                 "ac_vfy_groups": SIG_OP},  # the largest chunk group log the init calls take
}
_MAX_TEXT = 256
_MAX_LIST = 256


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    """Static description of a module (from its custom section and its binary)."""

    abi: int
    kind: str
    name: str
    version: str
    codes: tuple[int, ...]
    functions: tuple[str, ...]
    description: str
    exports: Mapping[str, str]
    """Export name -> ``func (i32, i32) -> (i32)``, ``memory``, ``table``, ``global``."""
    imports: tuple[str, ...]
    size: int
    cid: CID
    memory_bytes: int = 0
    """The linear memory the module declares it needs at start (its memory's minimum), in bytes:
    read from the module's bytes, so the same on every host."""

    def has_export(self, name: str) -> bool:
        return name in self.exports


def raw_cid(wasm: bytes) -> CID:
    """CIDv1, codec raw, sha2-256: the CID of a module's bytes as one block (a module over 1 MiB
    is published under ``module_cid``, its UnixFS file DAG's root: ``autocodec.modcid``)."""
    return raw_module_cid(wasm)


def _decode_section(payload: bytes) -> dict[str, Any]:
    from ..builtin import decode

    try:
        doc = decode(payload, "dag-cbor")
    except AutocodecError as exc:
        raise ModuleRejected(f"the {SECTION} custom section is not DAG-CBOR: {exc.message}") from None
    if not isinstance(doc, dict):
        raise ModuleRejected(f"the {SECTION} custom section is not a map")
    return doc


def _text(doc: dict[str, Any], key: str, *, limit: int = _MAX_TEXT, required: bool = True) -> str:
    value = doc.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise ModuleRejected(f"{SECTION}: {key!r} must be a non-empty string of at most {limit} characters")
    return value


def checked_metadata(doc: dict[str, Any]) -> tuple[int, str, str, str, tuple[int, ...], tuple[str, ...], str]:
    """``(abi, kind, name, version, codes, functions, description)`` of a decoded metadata
    section, or ``ModuleRejected`` naming the first rule it breaks: the loader's rules, which
    the module kit also applies to a module.json before any compiler runs."""
    abi = doc.get("abi")
    if type(abi) is not int or abi != ABI_VERSION:
        raise ModuleRejected(f"{SECTION}: abi is {abi!r}, this host speaks ABI {ABI_VERSION}")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise ModuleRejected(f"{SECTION}: kind {kind!r} is not one of {', '.join(KINDS)}")
    name, version = _text(doc, "name"), _text(doc, "version")
    if not NAME.fullmatch(name):
        raise ModuleRejected(f"{SECTION}: name {name[:70]!r} is not a module name (lower-case letters, digits, "
                             "'.', '_' and '-', starting with a letter or digit, at most 64 characters)")
    if not VERSION.fullmatch(version):
        raise ModuleRejected(f"{SECTION}: version {version[:70]!r} is not a semantic version such as 1.0.0")
    description = _text(doc, "description", limit=8 * _MAX_TEXT, required=False)
    codes = doc.get("codes")
    if not isinstance(codes, list) or len(codes) > MAX_CODES or any(
        type(c) is not int or not 0 <= c < 1 << 63 for c in codes
    ):
        raise ModuleRejected(f"{SECTION}: 'codes' must be a list of at most {MAX_CODES} non-negative integers")
    if len(set(codes)) != len(codes):
        raise ModuleRejected(f"{SECTION}: 'codes' lists a code twice")
    if kind in ("codec", "hasher", "crypto") and not codes:
        raise ModuleRejected(f"{SECTION}: a {kind} must declare the codes it provides")
    if kind in ("chunker", "task", "verifier") and codes:
        raise ModuleRejected(f"{SECTION}: a {kind} declares no codes")
    functions: list[str] = []
    if kind == "task":
        functions = doc.get("functions")  # type: ignore[assignment]
        if not isinstance(functions, list) or not functions or len(functions) > _MAX_LIST or any(
            not isinstance(f, str) or not f or len(f) > _MAX_TEXT for f in functions
        ):
            raise ModuleRejected(f"{SECTION}: a task must list its 'functions' as non-empty strings")
    return abi, kind, name, version, tuple(codes), tuple(functions), description


def _check_exports(summary: _wasmparse.WasmSummary, kind: str) -> None:
    reserved = next((name for name in summary.exports if name.startswith(_reset.PREFIX)), None)
    if reserved is not None:
        raise ModuleRejected(f"export {reserved!r} uses the prefix {_reset.PREFIX!r}, which the host reserves for "
                             "its own rewrite of a module; rename or drop that export")
    if summary.exports.get("memory") != "memory":
        raise ModuleRejected("the module does not export its linear memory as 'memory'")
    required = {**COMMON_EXPORTS, **KIND_EXPORTS[kind]}
    missing = [name for name in required if name not in summary.export_types]
    if missing:
        raise ModuleRejected(f"a {kind} module must export {', '.join(missing)}")
    for name, sig in {**required, **OPTIONAL_EXPORTS.get(kind, {})}.items():
        actual = summary.export_types.get(name)
        if name in summary.exports and actual != sig:
            shown = actual if actual is not None else summary.exports[name]
            raise ModuleRejected(f"export {name} has type {shown}, ABI v1 requires func {sig}")


def check_complexity(summary: _wasmparse.WasmSummary, limits: SandboxLimits) -> None:
    """Refuse a module whose code is too big to compile within bounds (``ModuleRejected``)."""
    if summary.functions > limits.max_functions:
        raise ModuleRejected(
            f"the module defines {summary.functions} functions, over the cap of {limits.max_functions}",
            hint="a module this complex is refused before compiling; split it or raise max_functions",
        )
    if summary.largest_body > limits.max_function_bytes:
        raise ModuleRejected(
            f"a function body is {summary.largest_body} bytes, over the cap of {limits.max_function_bytes}",
            hint="a module this complex is refused before compiling; split the function or raise max_function_bytes",
        )


def inspect_module(wasm: bytes, *, cid: CID | None = None, limits: SandboxLimits | None = None,
                   validate: bool = True) -> ModuleInfo:
    """Validate ``wasm`` statically against ABI v1 and describe it; ``ModuleRejected`` if not.

    ``validate=False`` skips only wasmtime's full validation, for bytes the caller knows were
    validated before (the sandbox's compiled cache holds an artifact made from these very
    bytes); the size, import, export and metadata checks always run.
    """
    limits = limits or DEFAULT_LIMITS.sandbox
    wasm = as_bytes(wasm, "a module")  # never bytes(5): five zero bytes
    if len(wasm) > limits.max_module_bytes:
        raise ModuleTooLarge(f"module is {len(wasm)} bytes, over the {limits.max_module_bytes}-byte cap")
    if not wasm.startswith(_wasmparse.MAGIC):
        raise ModuleRejected("not a WebAssembly core module (bad magic or version)")
    try:  # the cheap linear read first: complexity is refused before wasmtime sees the bytes
        early: _wasmparse.WasmSummary | None = _wasmparse.parse(wasm, limits)
    except _wasmparse.TooManySections:
        raise
    except ModuleRejected:
        early = None  # malformed: wasmtime's validation names the problem best
    if early is not None:
        check_complexity(early, limits)
    if validate:
        try:
            wasmtime.Module.validate(_engine.validation_engine(), wasm)
        except wasmtime.WasmtimeError as exc:
            text = " ".join(str(exc).split())[:300] or "invalid"
            raise ModuleRejected(f"invalid Wasm (for autocodec's deterministic feature set): {text}") from None
    summary = early if early is not None else _wasmparse.parse(wasm, limits)
    if summary.imports:
        shown = ", ".join(f"{m}.{n} ({k})" for m, n, k in summary.imports[:5])
        raise ModuleRejected(f"the module imports {shown}; ABI v1 modules import nothing")
    if summary.tables > 1:  # the store and the pool hold one table an instance: it could never start
        raise ModuleRejected(f"the module defines {summary.tables} tables; ABI v1 modules have one at most")
    sections = [payload for name, payload in summary.custom if name == SECTION]
    if len(sections) != 1:
        raise ModuleRejected(f"expected one {SECTION!r} custom section, found {len(sections)}")
    abi, kind, name, version, codes, functions, description = checked_metadata(_decode_section(sections[0]))
    _check_exports(summary, kind)
    exports = MappingProxyType({
        n: (f"func {summary.export_types[n]}" if n in summary.export_types else k) for n, k in summary.exports.items()
    })
    return ModuleInfo(
        abi=abi, kind=kind, name=name, version=version, codes=codes, functions=functions,
        description=description, exports=exports, imports=(), size=len(wasm), cid=cid or module_cid(wasm),
        memory_bytes=summary.memory_pages * _engine.WASM_PAGE,
    )
