"""Finding the links of a block, for DAG walks (CAR export, later pinning and fetching).

Invariants:
- A ``LinkFinder`` is ``(cid, data) -> iterable of CIDs``, in the order the block lists them.
  It must return an empty iterable for a codec it does not know (the block is still kept,
  just not walked), and raise ``InvalidBlock`` for a block it knows to be malformed.
- ``builtin_links`` walks DAG-CBOR, DAG-JSON and DAG-PB with the builtin decoders; the
  registry passes a finder that also runs extension ``links``/``decode``.
- The value walk is iterative, so a deeply nested block cannot raise ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..cid import CID

LinkFinder = Callable[[CID, bytes], Iterable[CID]]

_WALKED_CODECS = frozenset({0x70, 0x71, 0x0129})  # dag-pb, dag-cbor, dag-json


def links_in(value: Any) -> list[CID]:
    """Every CID in a data-model value, in document order (map values in key order)."""
    found: list[CID] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, CID):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def value_links(codec: int, value: Any) -> list[CID]:
    """The links ``builtin_links`` finds, in a block of ``codec`` decoded already to ``value``."""
    return links_in(value) if codec in _WALKED_CODECS else []


def builtin_links(cid: CID, data: bytes, *, strict: bool = False) -> list[CID]:
    """Links of a dag-pb/dag-cbor/dag-json block; ``[]`` for any other codec. A DAG-CBOR block
    not in canonical form is read as Kubo reads it unless ``strict`` (``builtin.decode``)."""
    codec = cid.codec
    if codec not in _WALKED_CODECS:
        return []
    from ..builtin import decode

    return links_in(decode(data, codec, strict=strict))
