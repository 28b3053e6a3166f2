"""Random CBOR data-model values (ints at every width edge, floats, strings and map keys with
multi-byte UTF-8, bytes, nested lists and maps) for the CBOR codec's differentials, and the
DAG-CBOR map-key order check. ``random_cbor_value(rnd, depth, ordered)``: same seed, same value;
with ``ordered`` every map's keys are in DAG-CBOR order (shorter first, then bytewise on UTF-8),
which ``in_key_order`` tells. Imported by the sanitizer child too: no pytest, no test module.
"""

from __future__ import annotations

import random
import struct
from typing import Any

_KEYS = ["", "a", "b", "aa", "ab", "z", "é", "ü", "\u00ff", "\u0100", "€", "😀", "a\x00", "A", "key", "keys", "k\u00e9",
         "\x7f", "ba"]
_INTS = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63, 2**64 - 1, -1, -24, -25, -256, -257,
         -(2**32), -(2**32) - 1, -(2**64)]
_FLOATS = [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, 2.0**64, 0.1, 1.0]


def _scalar(rnd: random.Random) -> Any:
    kind = rnd.randrange(8)
    if kind == 0:
        return rnd.choice(_INTS) if rnd.random() < 0.6 else rnd.randint(-(2**64), 2**64 - 1)
    if kind == 1:
        return rnd.choice(_FLOATS) if rnd.random() < 0.5 else struct.unpack(">d", rnd.randbytes(8))[0]
    if kind == 2:
        return "".join(rnd.choice(_KEYS) for _ in range(rnd.randrange(4))) * rnd.choice((1, 1, 30))
    if kind == 3:
        return rnd.randbytes(rnd.choice((0, 1, 23, 24, 255, 256, 300)))
    return rnd.choice((True, False, None, 7))


def random_cbor_value(rnd: random.Random, depth: int, ordered: bool) -> Any:
    if depth == 0 or rnd.random() < 0.3:
        v = _scalar(rnd)
        return 0 if type(v) is float and v != v or v in (float("inf"), float("-inf")) else v
    if rnd.random() < 0.5:
        return [random_cbor_value(rnd, depth - 1, ordered) for _ in range(rnd.choice((0, 1, 3, 5) if depth > 1 else (0, 2, 24)))]
    keys = rnd.sample(_KEYS, rnd.randrange(len(_KEYS) if depth == 1 else 6))
    if ordered:
        keys.sort(key=lambda k: (len(k.encode()), k.encode()))
    return {k: random_cbor_value(rnd, depth - 1, ordered) for k in keys}


def in_key_order(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is dict:
            raw = [k.encode() for k in v]
            if raw != sorted(raw, key=lambda b: (len(b), b)):
                return False
            stack.extend(v.values())
        elif type(v) is list:
            stack.extend(v)
    return True
