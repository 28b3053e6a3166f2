"""Nesting depth of a CBOR item.

Invariants:
- ``exceeds(data, max_depth)`` is True iff some array/map in ``data`` is nested more than
  ``max_depth`` containers deep (the top-level container is depth 1). Neither twin recurses.
- The C scan (``_native.cbor_exceeds``) checks every bound itself, so decoders run it before
  cbrrr; the Python ``py_exceeds`` assumes bytes cbrrr already accepted (headers well formed,
  lengths definite and in bounds), so decoders run it after.
- The scan runs in C (``_cscan``, built by setup.py) when the extension is present; the
  pure-Python fallback gives the same answers, slower, after a cheap filter (every container
  header is one byte in 0x80..0xbf, so fewer such bytes than ``max_depth`` proves the bound).
"""

from __future__ import annotations

from ._native import cbor_exceeds as _c_exceeds

_CONTAINER_BYTES = bytes(range(0x80, 0xC0))


def py_exceeds(data: bytes, max_depth: int) -> bool:
    if len(data) - len(data.translate(None, _CONTAINER_BYTES)) <= max_depth:
        return False
    return _scan(data, max_depth)


def _c_exceeds_bool(data: bytes, max_depth: int) -> bool:
    return _c_exceeds(data, max_depth) != 0  # type: ignore[misc]  # -1 (malformed) counts as exceeding


exceeds = py_exceeds if _c_exceeds is None else _c_exceeds_bool


def _scan(data: bytes, max_depth: int) -> bool:
    """Walk the item headers with an explicit stack of remaining child counts."""
    stack: list[int] = []  # items still expected by each open container
    pos = 0
    remaining = 1  # items expected at the current level (1 top-level item)
    from_bytes = int.from_bytes
    while True:
        while remaining == 0:
            if not stack:
                return False
            remaining = stack.pop()
        remaining -= 1
        head = data[pos]
        major, info = head >> 5, head & 0x1F
        pos += 1
        if info < 24:
            arg = info
        else:
            n = 1 << (info - 24)
            arg = from_bytes(data[pos:pos + n], "big")
            pos += n
        if major == 2 or major == 3:
            pos += arg
        elif major == 4 or major == 5:
            count = arg if major == 4 else 2 * arg
            if count:
                stack.append(remaining)
                if len(stack) > max_depth:
                    return True
                remaining = count
            elif len(stack) >= max_depth:  # an empty container still counts as a level
                return True
        elif major == 6:
            remaining += 1  # tag 42: its byte string follows (always a scalar)
        # majors 0, 1, 7: the header is the whole item
