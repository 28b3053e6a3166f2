"""Data-model equality for tests: stricter than ``==`` and iterative (deep values allowed)."""

from __future__ import annotations

import struct
from typing import Any


def same_value(a: Any, b: Any, *, key_order: bool = False) -> bool:
    """Equal values of identical types: ``True`` is not ``1``, ``1`` is not ``1.0``, and floats
    compare by their bits (``-0.0`` is not ``0.0``). ``key_order``: maps must also list their
    keys in the same order (a decoder's output against another's)."""
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if (list(x) != list(y)) if key_order else (x.keys() != y.keys()):
                return False
            pairs.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pairs.extend(zip(x, y))
        elif isinstance(x, float):
            if struct.pack("<d", x) != struct.pack("<d", y):
                return False
        elif x != y:
            return False
    return True
