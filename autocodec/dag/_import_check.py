"""The decode check of ``dag import``: a block under a builtin codec must decode, as Kubo's does.

Kubo 0.43.1's ``ipfs dag import`` decodes every block and stops at the first one that does not
decode: ``import failed at block "CID": <the decoder's words>`` (exit 1, measured, with and
without ``--pin-roots=false``), and refuses a codec it has no decoder for the same way.

Invariants:
- A block whose codec is builtin (``autocodec.builtin.has_codec``: dag-pb, dag-cbor, dag-json,
  raw, json, cbor) is decoded by the native decoder, read as Kubo reads it unless the limits ask
  for ``strict_blocks``; one that does not decode raises ``InvalidBlock`` in Kubo's words.
- A block of any other codec is let through undecoded (``NOT_DECODED``): a pinned extension
  module may decode it later, the point of autocodec (a written-down difference, docs/cli.md).
- Raw blocks are not decoded (any bytes are a raw block).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ..builtin import CODECS, decode
from ..builtin._dagcbor import decode_small
from ..cid import CID
from ..config import DecodeLimits
from ..errors import InvalidBlock

NOT_DECODED: Final = object()
"""What ``decode_for_import`` gives for a block it does not decode (raw, or not builtin)."""

_RAW, _DAG_CBOR = 0x55, 0x71
Decoder = Callable[[bytes, DecodeLimits], Any]


def _dag_cbor_relaxed(data: bytes, limits: DecodeLimits) -> Any:
    """DAG-CBOR as Kubo reads it: a canonical block by the short C path (``decode_small``), any
    other by ``decode``'s relaxed reading (same value or error as ``decode(strict=False)``)."""
    try:
        return decode_small(data, limits)
    except InvalidBlock:
        return decode(data, _DAG_CBOR, limits=limits, strict=False)


def _decoders(strict: bool) -> dict[int, Decoder]:
    """Each builtin codec but raw (any bytes are a raw block): its decode function."""
    table: dict[int, Decoder] = {}
    for code, codec in CODECS.items():
        if code != _RAW:
            table[code] = codec.decode if strict else getattr(codec, "decode_relaxed", codec.decode)
    if not strict:
        table[_DAG_CBOR] = _dag_cbor_relaxed
    return table


_TABLES = {True: _decoders(True), False: _decoders(False)}


def decode_for_import(cid: CID, data: bytes, limits: DecodeLimits) -> Any:
    """The value of a block under a builtin codec, ``NOT_DECODED`` for raw or any other codec;
    ``InvalidBlock`` ``import failed at block "CID": ...`` when it does not decode."""
    fn = _TABLES[limits.strict_blocks].get(cid.codec)
    if fn is None:
        return NOT_DECODED
    try:
        return fn(data, limits)
    except InvalidBlock as exc:
        raise InvalidBlock(f'import failed at block "{cid}": {exc.message}',
                           hint="the blocks before it are kept; export the DAG again from a source you trust") from None
