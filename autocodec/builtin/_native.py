"""The optional C helpers (``_cscan``), bound and ready, or None when not built.

Invariants: each name is either the C function or None (callers keep a pure-Python twin with
the same results); ``link`` is bound to ``autocodec.CID`` before anyone can call it.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..cid import CID

link: Callable[[bytes], CID] | None = None
cbor_exceeds: Callable[[bytes, int], int] | None = None
cbor_scan: Callable[..., int] | None = None  # (data, max_depth, budget, content=True) -> int
json_depth: Callable[[bytes, int], int] | None = None
check: Callable[[Any, int, int], None] | None = None
pb_decode: Callable[[bytes], Any] | None = None
cbor_decode: Callable[[bytes], Any] | None = None  # ValueError: not in its subset, re-run cbrrr
decode_records: Callable[[bytes, int, int], Any] | None = None  # (values, todo) or None
cbor_write: Callable[[Any, int], bytes] | None = None  # the CBOR (0x51) writer, map order kept (a checked value)
fast_depth = 0  # cbor_decode refuses values nested deeper than this (0: no cbor_decode)
CHECK_LINKS, CHECK_BYTES, CHECK_CBOR_INTS = 1, 2, 4
CHECK_KEY_ORDER = 8  # check() then returns whether every map is in DAG-CBOR key order (None: a stale build)

_cscan: Any
try:
    _cscan = importlib.import_module(f"{__package__}._cscan")  # a C extension: no stubs for mypy to read
except ImportError:  # pragma: no cover - built by setup.py; absent without a C compiler
    _cscan = None

if _cscan is not None:
    cbor_exceeds = _cscan.cbor_exceeds
    cbor_scan = getattr(_cscan, "cbor_scan", None)  # None in a stale build: the Python twin counts
    json_depth = _cscan.json_depth
    try:
        _cscan.bind(CID)
        link = _cscan.link
        check = _cscan.check  # needs the bound CID class to accept links
        pb_decode = getattr(_cscan, "pb_decode", None)  # None in a stale build
        cbor_decode = getattr(_cscan, "cbor_decode", None)
        fast_depth = getattr(_cscan, "FAST_DEPTH", 0) if cbor_decode is not None else 0
        decode_records = getattr(_cscan, "decode_records", None)
        cbor_write = getattr(_cscan, "cbor_write", None)  # None in a stale build
    except TypeError:  # pragma: no cover - CID no longer keeps its bytes in a `_raw` slot
        link = None
