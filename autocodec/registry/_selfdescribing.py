"""Self-describing blocks: the decoder travels with the data.

Format (codec ``autocodec-envelope``, private-use multicodec 0x3ac0de)::

    varint(1)  varint(len(module CID))  module CID bytes  payload bytes

The module is a codec module; ``Runtime.decode`` decodes the payload with it, but only if
that module is trusted: listed by a pinned set (through a manifest that verifies), or
allow-listed by CID. Otherwise the error names the module and how to allow it.

Invariants: the envelope is parsed strictly (version 1, minimal varints, a valid CID);
nothing in the payload is looked at before the module is trusted.
"""

from __future__ import annotations

from ..cid import CID, decode_varint, encode_varint
from ..errors import InvalidBlock

ENVELOPE_CODEC = 0x3AC0DE
VERSION = 1


def wrap(module: CID, payload: bytes) -> bytes:
    """The envelope bytes for ``payload`` decodable by ``module``."""
    raw = bytes(module)
    return encode_varint(VERSION) + encode_varint(len(raw)) + raw + bytes(payload)


def unwrap(data: bytes) -> tuple[CID, bytes]:
    """(module CID, payload) of an envelope; ``InvalidBlock`` if malformed."""
    try:
        version, off = decode_varint(data, 0)
        size, off = decode_varint(data, off)
    except ValueError as exc:
        raise InvalidBlock(f"malformed autocodec envelope: {exc}") from None
    if version != VERSION:
        raise InvalidBlock(f"autocodec envelope version {version} is not supported (only {VERSION})")
    if size > 256 or off + size > len(data):
        raise InvalidBlock("malformed autocodec envelope: module CID length out of range")
    try:
        module = CID(data[off:off + size])
    except Exception as exc:  # InvalidCID
        raise InvalidBlock(f"malformed autocodec envelope: {exc}") from None
    return module, data[off + size:]
