"""The builtin codec and hasher tables that other wings query.

Invariants:
- ``CODECS`` maps a multicodec code to a codec object with ``name``, ``code``,
  ``decode(data, limits) -> value`` and ``encode(value, limits) -> bytes``; ``HASHERS`` maps a
  multihash code to a ``Hasher``. Both are filled at import and never change afterwards
  (extensions are plugged in by the registry wing, which catches ``UnknownCodec`` /
  ``UnknownHash``; builtin stays pure).
- ``codec_for`` / ``hasher_for`` accept a code, a table name or ``0x..`` text and raise
  ``UnknownCodec`` / ``UnknownHash`` carrying the code when there is no builtin.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..codes import codec_code, hash_code
from ..config import DecodeLimits
from ..errors import EncodeError, InvalidBlock, UnknownCodec, UnknownHash
from ._dagcbor import Cbor, DagCbor
from ._dagjson import DagJson, Json
from ._dagpb import DagPb
from ._hashers import HASHERS, Hasher


class Codec(Protocol):
    name: str
    code: int

    def decode(self, data: bytes, limits: DecodeLimits) -> Any: ...

    def encode(self, value: Any, limits: DecodeLimits) -> bytes: ...


class Raw:
    """raw (0x55): the block is one bytes value."""

    name = "raw"
    code = 0x55

    @staticmethod
    def decode(data: bytes, limits: DecodeLimits) -> bytes:
        if len(data) > limits.max_block_bytes:
            raise InvalidBlock(f"raw: block of {len(data)} bytes is over max_block_bytes ({limits.max_block_bytes})")
        return bytes(data)

    @staticmethod
    def encode(value: Any, limits: DecodeLimits) -> bytes:
        if type(value) is not bytes:
            raise EncodeError(f"raw: only bytes can be encoded, not {type(value).__name__}")
        return value


CODECS: dict[int, Codec] = {c.code: c for c in (Raw, DagCbor, DagJson, DagPb, Json, Cbor)}


def codec_for(codec: str | int) -> Codec:
    if type(codec) is not int and type(codec) is not str:
        raise UnknownCodec(repr(codec))
    code = codec if type(codec) is int else codec_code(codec)
    try:
        return CODECS[code]
    except KeyError:
        raise UnknownCodec(code) from None


def hasher_for(hash_name: str | int) -> Hasher:
    if type(hash_name) is not int and type(hash_name) is not str:
        raise UnknownHash(repr(hash_name))
    code = hash_name if type(hash_name) is int else hash_code(hash_name)
    try:
        return HASHERS[code]
    except KeyError:
        raise UnknownHash(code) from None


__all__ = ["CODECS", "HASHERS", "Codec", "Hasher", "codec_for", "hasher_for"]
