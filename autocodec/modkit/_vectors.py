"""The test vectors every template of a kind ships (docs/abi.md section 5, DAG-JSON).

Expected values are computed here by independent Python (not by the module), so a template
whose Wasm disagrees fails ``module test``. Sources of the facts: FNV-1a 64 offset basis and
prime from the FNV reference (Fowler, Noll, Vo; draft-eastlake-fnv), checked against its
published vector FNV-1a-64("a") = 0xaf63dc4c8601ec8c in tests/test_sdk.py.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from ..abi import Kind

FNV64_OFFSET = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3


def b(data: bytes) -> dict[str, Any]:
    """DAG-JSON bytes."""
    return {"/": {"bytes": base64.b64encode(data).decode().rstrip("=")}}


def fnv1a64(data: bytes) -> bytes:
    """FNV-1a 64 of ``data`` as 8 big-endian bytes."""
    h = FNV64_OFFSET
    for c in data:
        h = ((h ^ c) * FNV64_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h.to_bytes(8, "big")


def _codec(codes: list[int]) -> dict[str, Any]:
    texts = ["hello\nworld", "", "a\n", "one line", "\n\n", "caf\u00e9 \u2603 \U0001f600\nx"]
    cases: list[dict[str, Any]] = [{"decode": b(t.encode()), "expect": t.split("\n")} for t in texts]
    cases += [{"decode": b(bad), "error": True} for bad in (b"\xff", b"ok\n\xc0\x80", b"\xed\xa0\x80")]
    cases += [{"encode": doc, "error": True} for doc in ([], ["a\nb"], {"a": 1}, [1])]
    return {"kind": "codec", "cases": cases}


def _hasher(codes: list[int]) -> dict[str, Any]:
    inputs = [b"", b"a", b"foobar", bytes(range(256))]
    cases: list[dict[str, Any]] = [{"input": b(x), "digest": b(fnv1a64(x))} for x in inputs]
    cases.append({"input": b(b"abc"), "repeat": 1000, "digest": b(fnv1a64(b"abc" * 1000))})
    return {"kind": "hasher", "cases": cases}


def _chunker(codes: list[int]) -> dict[str, Any]:
    def ends(size: int, length: int) -> list[int]:
        out = list(range(size, length, size))
        return out + [length] if length else out

    cases = [{"params": {"size": s}, "input": {"seed": seed, "length": n}, "ends": ends(s, n)}
             for s, seed, n in ((1024, 1, 5000), (4096, 7, 4096), (100, 3, 1), (262144, 9, 1_000_000))]
    cases.append({"params": {"size": 3}, "input": b(b""), "ends": []})
    return {"kind": "chunker", "cases": cases}


def _crypto(codes: list[int]) -> dict[str, Any]:
    key = bytes(range(1, 9))

    def sig(msg: bytes) -> bytes:
        return bytes(key[i % 8] ^ (msg[i] if i < len(msg) else 0) for i in range(8))

    msg = b"hello"
    return {"kind": "crypto", "cases": [
        {"key_type": codes[0], "public_key": b(key), "message": b(msg), "signature": b(sig(msg)), "valid": True},
        {"key_type": codes[0], "public_key": b(key), "message": b(b"hellO"), "signature": b(sig(msg)), "valid": False},
        {"key_type": codes[0], "public_key": b(key[:7]), "message": b(msg), "signature": b(sig(msg)), "error": True},
        {"key_type": codes[0], "public_key": b(key), "message": b(msg), "signature": b(sig(msg)[:3]), "error": True},
    ]}


def _task(codes: list[int]) -> dict[str, Any]:
    return {"kind": "task", "cases": [
        {"fn": "add", "args": [2, 3], "result": 5},
        {"fn": "add", "args": [0, 0], "result": 0},
        {"fn": "add", "args": [2**63, 2**63 - 1], "result": 2**64 - 1},
        {"fn": "add", "args": [2**64 - 1, 1], "error": True},
        {"fn": "add", "args": [1], "error": True},
    ]}


TEMPLATE_VECTORS: dict[Kind, Callable[[list[int]], dict[str, Any]]] = {
    Kind.CODEC: _codec, Kind.HASHER: _hasher, Kind.CHUNKER: _chunker, Kind.CRYPTO: _crypto, Kind.TASK: _task,
}
