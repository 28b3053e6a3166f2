"""JSON text pieces shared by DAG-JSON and JSON: number formatting, depth bound, strictness.

Invariants:
- ``format_float(x)`` is the text Kubo's DAG-JSON and JSON encoders (go-ipld-prime) write for a
  finite float: the ECMAScript ``Number.prototype.toString`` form (shortest round-trip digits;
  exponent form below 1e-6 and from 1e21), which the IPLD codec fixtures expect
  (``8.940696716308594e-8``), and ``-0`` for negative zero. An integral value below 1e21 is
  written as an integer (``100``, not ``100.0``), as Kubo writes it (js-dag-json cannot tell
  the two apart either), so it reads back as an integer there and here: DAG-JSON does not
  keep the float kind of such a value (DAG-CBOR does). Measured against Kubo in
  ``tests/test_ipld_values_kubo.py``.
- ``depth(data, max_depth)`` is min(deepest array/object nesting of a JSON text,
  ``max_depth + 1``); it ignores brackets inside strings and never recurses. A result
  <= max_depth from the Python fallback may be an upper bound (the bracket count).
- ``has_lone_surrogate(value)`` walks decoded values iteratively; decoders call it only when
  the text contains a ``\\uD8xx``-``\\uDFxx`` escape, the only way JSON can carry one.
- ``int_outside_cbor(value)`` is the first integer of a decoded value outside DAG-CBOR's range
  (-2^64 .. 2^64-1), or None; decoders call it only when ``may_have_long_int(data)``: every such
  integer is written with at least 20 digits in a row.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate
from typing import Any

from ._native import json_depth as _c_json_depth

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = [0] * 256
for _b in b"[{":
    _DELTA[_b] = 1
for _b in b"]}":
    _DELTA[_b] = -1
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")



def _py_depth(data: bytes, max_depth: int) -> int:
    bound = data.count(b"[") + data.count(b"{")
    if bound <= max_depth:  # an upper bound is enough: within the limit either way
        return bound
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    deepest = max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)
    return min(max(deepest, 0), max_depth + 1)


def depth(data: bytes, max_depth: int) -> int:
    """min(deepest array/object nesting of a JSON text, max_depth + 1), never recursing."""
    if _c_json_depth is not None:
        return _c_json_depth(data, max_depth)
    return _py_depth(data, max_depth)


def may_have_surrogate(data: bytes) -> bool:
    return _SURROGATE_ESCAPE.search(data) is not None


def has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str:
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif t is dict:
            stack.extend(v.keys())
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
    return False


_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * len(str(2**64 - 1))  # 2^64 and -2^64-1 have as many digits as 2^64-1
CBOR_INT_LOW, CBOR_INT_HIGH = -(2**64), 2**64 - 1


def may_have_long_int(data: bytes) -> bool:
    """Whether the text holds 20 or more digits in a row (~1.5 ms per MB; a regex takes 20x)."""
    return len(data) >= len(_LONG_RUN) and data.translate(_DIGITS_AS_ZERO).find(_LONG_RUN) >= 0


def int_outside_cbor(value: Any) -> int | None:
    """The first integer found in ``value`` outside -2^64 .. 2^64-1, or None (iterative)."""
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is int:
            if not CBOR_INT_LOW <= v <= CBOR_INT_HIGH:
                return int(v)
        elif t is dict:
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
    return None


def format_float(x: float) -> str:
    """Kubo's (ECMAScript-style, shortest) text of a finite float (see module docstring)."""
    if x == 0.0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign = "-" if x < 0 else ""
    text = repr(abs(x))
    mantissa, _, exp_text = text.partition("e")
    exp = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    digits = all_digits.lstrip("0")
    n = len(int_part) + exp - (len(all_digits) - len(digits))  # value = 0.DIGITS * 10^n
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return f"{sign}{digits}{'0' * (n - k)}"
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    e = n - 1
    esign = "+" if e >= 0 else "-"
    head = digits[0] if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{head}e{esign}{abs(e)}"
