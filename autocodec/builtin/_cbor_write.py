"""The CBOR (0x51) writer: DAG-CBOR's form with map entries in the order given.

Kubo v0.43.1's cbor codec (go-ipld-prime ``codec/cbor``) is its DAG-CBOR writer without links
and without sorting map keys: ``{"b":1,"a":2}`` is ``a2 61 62 01 61 61 02``.

Invariants: the value is already checked (``_walk.check`` with ``links=False`` and DAG-CBOR's
integer range); integers and lengths take their shortest head, floats are always 64-bit, every
length is definite, ``False``/``True``/``None`` are ``f4``/``f5``/``f6``; the walk is iterative.
A value whose maps are in DAG-CBOR's key order is written byte for byte as DAG-CBOR writes it.
"""

from __future__ import annotations

import struct
from typing import Any

_pack_double = struct.Struct(">Bd").pack


def _head(major: int, n: int) -> bytes:
    """A CBOR head: major type and argument ``n`` (0 <= n < 2^64) in its shortest form."""
    m = major << 5
    if n < 24:
        return bytes((m | n,))
    if n < 0x100:
        return bytes((m | 24, n))
    if n < 0x10000:
        return bytes((m | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((m | 26,)) + n.to_bytes(4, "big")
    return bytes((m | 27,)) + n.to_bytes(8, "big")


def write(value: Any) -> bytes:
    """The CBOR bytes of a checked value, maps in the order given."""
    out: list[bytes] = []
    append = out.append
    stack: list[Any] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        t = type(v)
        if t is str:
            raw = v.encode("utf-8")
            append(_head(3, len(raw)))
            append(raw)
        elif t is int:
            append(_head(0, v) if v >= 0 else _head(1, -1 - v))
        elif t is bool:
            append(b"\xf5" if v else b"\xf4")
        elif v is None:
            append(b"\xf6")
        elif t is float:
            append(_pack_double(0xFB, v))
        elif t is bytes:
            append(_head(2, len(v)))
            append(v)
        elif t is list:
            append(_head(4, len(v)))
            for i in range(len(v) - 1, -1, -1):
                push(v[i])
        elif t is dict:
            append(_head(5, len(v)))
            items = list(v.items())
            for i in range(len(items) - 1, -1, -1):
                push(items[i][1])
                push(items[i][0])
        else:  # unreachable after _walk.check
            raise TypeError(f"cannot write a {t.__name__} as CBOR")
    return b"".join(out)
