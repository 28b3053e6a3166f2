"""Test helper: rewrite a module's ``autocodec.module`` custom section (same code, new metadata).

Used to make a "v2" of a real module whose code is unchanged but whose bytes (and so CID)
differ, or a module that claims another module's codes, without a toolchain.
"""

from __future__ import annotations

from typing import Any

from autocodec import builtin
from autocodec.cid import decode_varint, encode_varint

SECTION = "autocodec.module"


def _sections(wasm: bytes) -> list[tuple[int, bytes]]:
    assert wasm[:4] == b"\0asm"
    out, off = [], 8
    while off < len(wasm):
        sid = wasm[off]
        size, off2 = decode_varint(wasm, off + 1)
        out.append((sid, wasm[off2:off2 + size]))
        off = off2 + size
    return out


def _custom_name(payload: bytes) -> tuple[str, bytes]:
    n, off = decode_varint(payload, 0)
    return payload[off:off + n].decode(), payload[off + n:]


def with_meta(wasm: bytes, **changes: Any) -> bytes:
    """``wasm`` with its module metadata updated by ``changes`` (e.g. version="2.0.0")."""
    out = bytearray(wasm[:8])
    meta: dict[str, Any] | None = None
    for sid, payload in _sections(wasm):
        if sid == 0 and _custom_name(payload)[0] == SECTION:
            meta = builtin.decode(_custom_name(payload)[1], "dag-cbor")
            continue
        out += bytes([sid]) + encode_varint(len(payload)) + payload
    assert meta is not None, "module has no autocodec.module section"
    meta.update(changes)
    name = SECTION.encode()
    body = encode_varint(len(name)) + name + builtin.encode(meta, "dag-cbor")
    out += b"\x00" + encode_varint(len(body)) + body
    return bytes(out)
