"""The gateway's UnixFS reading: ``entity-bytes`` and ``Range`` arithmetic, and the UnixFS
reads it uses re-exported from the UnixFS wing (what a block is, directories and HAMTs:
``autocodec.unixfs._dir``; byte ranges of files: ``autocodec.unixfs._ranges``).

Spec: range semantics of ``entity-bytes`` from the trustless gateway spec (``from:to``
inclusive, negative offsets count from the end, ``*`` is the end).
"""

from __future__ import annotations

import re

from ..unixfs._dir import DAG_PB, RAW, Node, Source, classify, entries, hamt_blocks, iter_entries
from ..unixfs._ranges import file_range, read_range
from .._goint import parse_int64
from .._gotext import go_quote

__all__ = ["DAG_PB", "RAW", "Node", "Source", "classify", "entries", "file_range", "hamt_blocks",
           "iter_entries", "parse_entity_bytes", "read_range", "resolve_range"]


def parse_entity_bytes(spec: str) -> tuple[int, int | None]:
    """``entity-bytes`` ``from:to`` as boxo's ``NewDagByteRange`` reads it: int64 offsets (a
    negative one counts from the end), ``to`` may be ``*`` (None); ``ValueError`` in boxo's
    words (Go's ``strconv`` ones for a number) for anything else, or ``from`` after ``to``
    where both have one sign."""
    parts = spec.split(":")
    if len(parts) != 2:
        raise ValueError("range must have two numbers separated with ':'")
    first = _go_int64(parts[0])
    last = None if parts[1] == "*" else _go_int64(parts[1])
    if last is not None and (first < 0) == (last < 0) and first > last:
        raise ValueError("cannot have an entity-bytes range where 'from' is after 'to'")
    return first, last


def _go_int64(text: str) -> int:
    """``text`` as Go's ``strconv.ParseInt(text, 10, 64)`` reads it; ``ValueError`` in its words."""
    value = parse_int64(text)
    if value is None:
        why = "value out of range" if _DIGITS.fullmatch(text) else "invalid syntax"
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: {why}")
    return value


_DIGITS = re.compile(r"[+-]?[0-9]+")


def resolve_range(size: int, spec: str) -> tuple[int, int] | None:
    """``entity-bytes`` ``from:to`` as inclusive offsets clamped to a file of ``size`` bytes,
    or ``None`` when the range holds no byte. ``ValueError`` for a malformed spec."""
    first, last = parse_entity_bytes(spec)
    start = max(0, size + first) if first < 0 else first
    end = size - 1 if last is None else size + last if last < 0 else last
    end = min(end, size - 1)
    if size == 0 or start > end:
        return None
    return start, end
