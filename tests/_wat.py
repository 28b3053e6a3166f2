"""Hand-written ABI v1 modules for the loader tests: ``wat_module`` assembles tests/hostile/<name>.wat
(or WAT text) and appends the ``autocodec.module`` custom section (DAG-CBOR metadata from
``metadata``), since plain WAT cannot write custom sections; ``small_limits`` gives sandbox limits
small enough that hostile modules end fast.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import wasmtime

from autocodec.builtin import encode
from autocodec.cid import encode_varint
from autocodec.config import SandboxLimits

HOSTILE = Path(__file__).parent / "hostile"
ECHO_CODE, FNV_CODE = 0x300001, 0x300002
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "codec": {"codes": [ECHO_CODE]},
    "hasher": {"codes": [FNV_CODE]},
    "chunker": {"codes": []},
    "crypto": {"codes": [0xED]},
    "task": {"codes": [], "functions": ["echo"]},
}


def custom_section(name: str, payload: bytes) -> bytes:
    body = encode_varint(len(name.encode())) + name.encode() + payload
    return b"\x00" + encode_varint(len(body)) + body


def metadata(kind: str = "codec", name: str = "test", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"abi": 1, "kind": kind, "name": name, "version": "1.0.0", **KIND_DEFAULTS[kind]}
    doc.update(extra)
    return doc


def wat_module(source: str, kind: str = "codec", *, meta: dict[str, Any] | None = None) -> bytes:
    """Assemble tests/hostile/<source>.wat (or WAT text) and append the metadata section."""
    path = HOSTILE / f"{source}.wat"
    text = path.read_text() if path.exists() else source
    doc = meta if meta is not None else metadata(kind, name=path.stem if path.exists() else "inline")
    return wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(doc, "dag-cbor"))


def small_limits(**overrides: Any) -> SandboxLimits:
    """Small limits so hostile tests end fast (fuel 10^7, 200 ms, 16 MiB, 256 KiB stack)."""
    base = SandboxLimits(
        fuel=10_000_000, deadline_ms=200, max_memory_bytes=16 * 2**20, max_output_bytes=1 * 2**20,
        max_wasm_stack_bytes=256 * 1024, pooled_instances=16,
        decode_fuel_per_byte=0,  # flat budgets: tests set fuel and deadline directly
    )
    return dataclasses.replace(base, **overrides)
