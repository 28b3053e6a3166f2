"""The allocation budget of DAG-CBOR and CBOR decoding ("gas"), as Kubo's decoder counts it.

Source of the costs: go-ipld-prime v0.24.0 (the version Kubo v0.43 uses),
codec/dagcbor/unmarshal.go: a list or map header costs its declared length, a list entry 4,
a map entry 8 plus its key's length in bytes, a string or byte string (a tag-42 link's
bytes, 0x00 prefix included) its length, a bool, int or float 1, null 0; the default budget
is 10 MiB of gas (``DecodeLimits.max_gas``). A block over it is refused by Kubo too.

Invariants:
- The C scan (``_native.cbor_scan``) counts gas on the encoded bytes *before* anything is
  built; ``py_over_budget`` is the pure-Python twin for builds without the C helper, run on
  the decoded value (same totals: decoded values map one-to-one to the CBOR items).
- Gas bounds host memory: with the worst shapes (empty lists in a list, one-key maps) a unit
  of gas is at most ~25 bytes of Python objects, so a decode stays under ~25 x max_gas bytes.
- ``worst_gas_per_byte``: no CBOR byte string yields more than 10 gas a byte (an item's head
  byte carries its entry cost, its scalar cost and one unit of its parent's declared length),
  so blocks shorter than ``max_gas // 10`` need no count.
"""

from __future__ import annotations

from typing import Any

from ..cid import CID

LIST_ENTRY = 4
MAP_ENTRY = 8
WORST_GAS_PER_BYTE = 10


def py_over_budget(value: Any, budget: int, content: bool = True) -> bool:
    """True if decoding ``value`` costs more than ``budget`` gas; iterative, stops early."""
    return gas_of(value, budget, content) > budget


def gas_of(value: Any, stop: int | None = None, content: bool = True) -> int:
    """The gas of a decoded value (exact, or any total past ``stop`` once it passes it).

    ``content=False`` counts structure only: string and byte-string values (not map keys)
    cost nothing, for output whose bytes are already capped by its size."""
    gas = 0
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        v = pop()
        t = type(v)
        if t is list:
            gas += len(v) * (1 + LIST_ENTRY)
            extend(v)
        elif t is dict:
            gas += len(v) * (1 + MAP_ENTRY)
            for k in v:
                gas += len(k) if k.isascii() else len(k.encode("utf-8", "surrogatepass"))
            extend(v.values())
        elif t is str:
            if content:
                gas += len(v) if v.isascii() else len(v.encode("utf-8", "surrogatepass"))
        elif t is bytes:
            if content:
                gas += len(v)
        elif t is CID:
            if content:
                gas += len(bytes(v)) + 1
        elif v is not None:
            gas += 1
        if stop is not None and gas > stop:
            return gas
    return gas
