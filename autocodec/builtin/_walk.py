"""Validation walk shared by the encoders: data-model types, depth and map keys.

Invariants:
- ``check(value, ...)`` returns only if ``value`` is a tree of the IPLD data model made of
  exact builtin types (dict with str keys, list, str, bytes, int, float, bool, None, plus
  ``CID`` when links are allowed), no deeper than ``max_depth`` containers, with finite
  floats, ints inside ``int_range`` (when given) and strings that are valid Unicode
  (no lone surrogates; with ``escaped_bytes``, the surrogate escapes U+DC80-U+DCFF that stand
  for bytes that are not UTF-8, as DAG-PB names may hold, are allowed: the JSON codecs write
  them as Kubo does). Anything else raises ``EncodeError`` naming the path.
- The walk is iterative (an explicit stack), so a cyclic or very deep value is rejected by
  the depth bound, never by a ``RecursionError`` or by running out of memory.
- The C twin (``_native.check``) runs first when built; only when it refuses does the Python
  walk run, to name the offending path in the message.
"""

from __future__ import annotations

import math
from typing import Any

from ..cid import CID
from ..errors import EncodeError
from . import _native

_CBOR_INTS = (-(1 << 64), (1 << 64) - 1)

_SCALARS = (str, bytes, bool, type(None))


def _short_int(v: int) -> str:
    """An integer for a message: whole when short, else its sign and bit length (``str`` of a
    4,300-digit integer raises ValueError)."""
    return str(v) if -(10**40) < v < 10**40 else f"{'-' if v < 0 else ''}2^{abs(v).bit_length() - 1}..."


def _where(path: list[Any]) -> str:
    return "".join(f"[{p!r}]" for p in path) or "the top level"


def check(
    value: Any,
    *,
    codec: str,
    max_depth: int,
    links: bool = True,
    byte_strings: bool = True,
    int_range: tuple[int, int] | None = None,
    escaped_bytes: bool = False,
) -> None:
    """Raise ``EncodeError`` unless ``value`` fits the data model (see module docstring)."""
    c_check = _native.check
    if c_check is not None and (int_range is None or int_range == _CBOR_INTS):
        flags = (
            (_native.CHECK_LINKS if links else 0)
            | (_native.CHECK_BYTES if byte_strings else 0)
            | (_native.CHECK_CBOR_INTS if int_range else 0)
        )
        try:
            c_check(value, max_depth, flags)
            return
        except (ValueError, TypeError, OverflowError, MemoryError) as exc:  # UnicodeError is a ValueError
            _py_check(value, codec=codec, max_depth=max_depth, links=links, byte_strings=byte_strings,
                      int_range=int_range, escaped_bytes=escaped_bytes)
            if escaped_bytes and isinstance(exc, UnicodeError):
                return  # the C walk refuses every surrogate; the Python one allowed these
            raise EncodeError(f"{codec}: {exc}") from None
    _py_check(value, codec=codec, max_depth=max_depth, links=links, byte_strings=byte_strings, int_range=int_range,
              escaped_bytes=escaped_bytes)


def _py_check(
    value: Any,
    *,
    codec: str,
    max_depth: int,
    links: bool,
    byte_strings: bool,
    int_range: tuple[int, int] | None,
    escaped_bytes: bool = False,
) -> None:
    # stack of (value, depth, path); path is kept only for messages (cheap tuples)
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 0, ())]
    pop, push = stack.pop, stack.append
    while stack:
        v, depth, path = pop()
        t = type(v)
        if t is dict or t is list:
            if depth >= max_depth:
                raise EncodeError(f"{codec}: value nested deeper than {max_depth} at {_where(list(path))}")
            if t is dict:
                for k, item in v.items():
                    if type(k) is not str:
                        raise EncodeError(f"{codec}: map key {k!r} is not a string at {_where(list(path))}")
                    _check_str(k, codec, path, escaped_bytes)
                    push((item, depth + 1, path + (k,)))
            else:
                for i, item in enumerate(v):
                    push((item, depth + 1, path + (i,)))
        elif t is str:
            _check_str(v, codec, path, escaped_bytes)
        elif t is int:
            if int_range is not None and not int_range[0] <= v <= int_range[1]:
                raise EncodeError(f"{codec}: integer {_short_int(v)} out of range (-2^64 .. 2^64-1) at "
                                  f"{_where(list(path))}: write it as a string or a float")
        elif t is float:
            if not math.isfinite(v):
                raise EncodeError(f"{codec}: {v} is not allowed (NaN and infinities are not in the data model) at {_where(list(path))}")
        elif t is bytes:
            if not byte_strings:
                raise EncodeError(f"{codec}: bytes are not representable at {_where(list(path))}")
        elif t is bool or v is None:
            pass
        elif t is CID:
            if not links:
                raise EncodeError(f"{codec}: links are not representable at {_where(list(path))}")
        else:
            raise EncodeError(f"{codec}: cannot encode a {t.__name__} at {_where(list(path))}")


def _check_str(s: str, codec: str, path: tuple[Any, ...], escaped_bytes: bool = False) -> None:
    if not s.isascii():
        try:
            s.encode("utf-8", "surrogateescape" if escaped_bytes else "strict")
        except UnicodeEncodeError:
            raise EncodeError(f"{codec}: string with a lone surrogate at {_where(list(path))}") from None
