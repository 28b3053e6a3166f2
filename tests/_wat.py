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


ABI_HEAD = """
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 4096))
"""
"""WAT of an ABI v1 module's common part: one page of memory, ABI version 1, the result pair at 16,
inputs of up to 60 000 bytes placed at 4096 (0, no room, for longer ones)."""


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


def echo_plus(extra: str) -> bytes:
    """ok_echo plus ``extra`` functions (WAT text) that nothing calls, as a codec module named bomb."""
    head, _, _ = (HOSTILE / "ok_echo.wat").read_text().rstrip().rpartition(")")
    return wasmtime.wat2wasm(head + extra + "\n)") + custom_section("autocodec.module",
                                                                     encode(metadata("codec", name="bomb"), "dag-cbor"))


def locals_bomb(functions: int, count: int) -> bytes:
    """ok_echo plus ``functions`` empty functions each declaring ``count`` i64 locals (one run:
    a few bytes a function, so the code section stays tiny; 1980 x 49 151 takes Cranelift ~8 s)."""
    from autocodec.cid import decode_varint

    base = echo_plus("(func)\n" * functions)
    out, off = bytearray(base[:8]), 8
    while off < len(base):
        sid = base[off]
        size, start = decode_varint(base, off + 1)
        payload, off = base[start:start + size], start + size
        if sid == 10:
            n, pos = decode_varint(payload, 0)
            bodies = []
            for _ in range(n):
                length, pos = decode_varint(payload, pos)
                body, pos = payload[pos:pos + length], pos + length
                if body == b"\x00\x0b":
                    body = b"\x01" + encode_varint(count) + b"\x7e\x0b"
                bodies.append(encode_varint(len(body)) + body)
            payload = encode_varint(n) + b"".join(bodies)
        out += bytes([sid]) + encode_varint(len(payload)) + payload
    return bytes(out)
