"""A CAR header's CBOR read as Kubo 0.43.1 reads it (go-car v2.17's ``ReadHeader``: go-ipld-cbor's
``DecodeInto``, refmt 0.90's CBOR decoder, into the struct ``{version uint64, roots []cid.Cid}``).

Measured against ``ipfs dag import`` (tests/test_review4_dag_car_header.py), that reader is looser
than DAG-CBOR, and this one is as loose:
- any head may be longer than needed (``0x18 0x01`` for 1, ``0xb8 0x02`` for a map of two,
  ``0xda 0 0 0 42`` for tag 42): nothing hashes a header;
- bytes after the first item are ignored;
- a key given twice keeps its last value;
- one tag on an item is ignored whatever its number, so a root is any byte string that starts
  with the identity multibase byte ``0x00`` then a CID, tagged 42 or not; two tags are refused.

It refuses what refmt refuses: indefinite lengths, a break, reserved heads, simple values other
than false/true/null/undefined, and nesting past ``MAX_DEPTH`` (deeper than any header field).
The caller checks the fields (``_car._decode_header``).
"""

from __future__ import annotations

import struct

from ..cid import CID
from ..errors import AutocodecError, InvalidCar

MAX_DEPTH = 16
"""Nesting a header may have: its fields need 3 (map, roots list, root); deeper ones are refused
by Kubo's struct too, so refusing them early changes no answer."""


class _HeaderError(Exception):
    """Why the header's bytes are not CBOR this reader takes."""


def read_header_value(raw: bytes) -> object:
    """The first CBOR item of ``raw`` as Python values (maps as dicts, byte strings as bytes, text as
    str); raises ``_HeaderError``."""
    value, _ = _item(raw, 0, 0)
    return value


def _head(raw: bytes, pos: int) -> tuple[int, int, int]:
    """(major type, argument, next offset) of the head at ``pos``; the argument may be non-minimal."""
    if pos >= len(raw):
        raise _HeaderError("unexpected end of the header")
    byte = raw[pos]
    major, info = byte >> 5, byte & 0x1F
    if info < 24:
        return major, info, pos + 1
    if info > 27:
        if info == 31 and major in (2, 3, 4, 5):
            raise _HeaderError("indefinite-length encoding rejected")
        raise _HeaderError(f"invalid major byte 0x{byte:02x}")
    size = 1 << (info - 24)
    if pos + 1 + size > len(raw):
        raise _HeaderError("unexpected end of the header")
    return major, int.from_bytes(raw[pos + 1:pos + 1 + size], "big"), pos + 1 + size


def _item(raw: bytes, pos: int, depth: int) -> tuple[object, int]:
    if depth > MAX_DEPTH:
        raise _HeaderError(f"nested over {MAX_DEPTH} levels")
    start = pos
    major, arg, pos = _head(raw, pos)
    if major == 6:  # one tag, whatever its number, is skipped (refmt keeps it aside)
        if pos < len(raw) and raw[pos] >> 5 == 6:
            raise _HeaderError("multiple tags on one item")
        return _item(raw, pos, depth + 1)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if arg > len(raw) - pos:
            raise _HeaderError("unexpected end of the header")
        chunk = raw[pos:pos + arg]
        return (chunk if major == 2 else chunk.decode("utf-8", "surrogateescape")), pos + arg
    if major == 4:
        items: list[object] = []
        for _ in range(arg):  # each item is at least a byte: a false count ends at the header's end
            value, pos = _item(raw, pos, depth + 1)
            items.append(value)
        return items, pos
    if major == 5:
        found: dict[object, object] = {}
        for _ in range(arg):
            key, pos = _item(raw, pos, depth + 1)
            if not isinstance(key, str):
                raise _HeaderError("a map key that is not text")
            found[key], pos = _item(raw, pos, depth + 1)  # a key again: the last value stays
        return found, pos
    simple = raw[start] & 0x1F
    if simple in (20, 21):
        return simple == 21, pos
    if simple in (22, 23):
        return None, pos
    if simple in (25, 26, 27):
        fmt = {25: ">e", 26: ">f", 27: ">d"}[simple]
        return struct.unpack(fmt, raw[start + 1:pos])[0], pos
    raise _HeaderError(f"invalid major byte 0x{raw[start]:02x}")


def decode_header(raw: bytes, offset: int) -> dict[str, object]:
    """The header map with its roots as CIDs (``roots`` null or absent: left as it is), as Kubo
    reads it; ``InvalidCar`` for what Kubo refuses (the field checks are the caller's)."""
    try:
        header = read_header_value(raw)
    except _HeaderError as exc:
        raise InvalidCar(f"malformed CAR header at byte {offset}: {exc}") from None
    if not isinstance(header, dict):
        raise InvalidCar(f"malformed CAR header at byte {offset}: not a map with a version")
    roots = header.get("roots")
    if isinstance(roots, list):
        header["roots"] = [_root(r, offset) for r in roots]
    return header


def _root(value: object, offset: int) -> object:
    """A root's bytes as a CID (``0x00`` then the CID's bytes); anything else is left for the
    caller's "roots must be a list of CIDs"."""
    if not isinstance(value, bytes):
        return value
    if value[:1] != b"\x00":
        raise InvalidCar(f"malformed CAR header at byte {offset}: a root's bytes do not start with 0x00 "
                         "(the identity multibase prefix of a CID link)")
    try:
        return CID(value[1:])
    except AutocodecError as exc:
        raise InvalidCar(f"malformed CAR header at byte {offset}: a root is not a CID: {exc.message}") from None
