"""The protobuf wire format, read as protobuf-go reads it (for IPNS records and libp2p keys).

Facts from the protobuf encoding guide (protobuf.dev/programming-guides/encoding): a message
is a run of ``(field number << 3 | wire type)`` keys, each followed by a varint (0), 8 bytes
(1), a length-prefixed run (2), a group up to its end key (3/4) or 4 bytes (5).

Invariants: ``read_fields`` takes what protobuf-go's ``proto.Unmarshal`` takes (varints of up
to 10 bytes, minimal or not; fields in any order and repeated; groups) and refuses what it
refuses (field number 0 or over 2^29 - 1, wire types 6 and 7, a stray end-group, an overflowing
varint, a length past the end) with ``ValueError``; it never reads past ``data``.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FIELD_NUMBER = (1 << 29) - 1
_MAX_GROUP_DEPTH = 32


@dataclass(frozen=True)
class Field:
    """One field as it stood on the wire: number, wire type, value (int or bytes), its raw bytes."""

    number: int
    wire: int
    value: int | bytes
    raw: bytes


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """A varint of at most 10 bytes (64 bits) at ``pos``: (value, position after it)."""
    value = shift = 0
    for i in range(10):
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        if i == 9 and byte > 1:
            raise ValueError("variable length integer overflow")
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise ValueError("variable length integer overflow")


def _skip(data: bytes, pos: int, number: int, wire: int, depth: int) -> tuple[int | bytes, int]:
    """The value of one field whose key was read; (value, position after it)."""
    if wire == 0:
        return read_varint(data, pos)
    if wire in (1, 5):
        size = 8 if wire == 1 else 4
        if pos + size > len(data):
            raise ValueError("truncated fixed-size field")
        return int.from_bytes(data[pos:pos + size], "little"), pos + size
    if wire == 2:
        length, pos = read_varint(data, pos)
        if length > len(data) - pos:
            raise ValueError("length-delimited field runs past the end")
        return data[pos:pos + length], pos + length
    if wire == 3:
        if depth >= _MAX_GROUP_DEPTH:
            raise ValueError("groups nested too deep")
        start = pos
        while True:
            inner, wire_inner, after = _key(data, pos)
            if wire_inner == 4:
                if inner != number:
                    raise ValueError("mismatched end group")
                return data[start:pos], after
            _value, pos = _skip(data, after, inner, wire_inner, depth + 1)
    if wire == 4:
        raise ValueError("unexpected end group")
    raise ValueError(f"invalid wire type {wire}")


def _key(data: bytes, pos: int) -> tuple[int, int, int]:
    key, pos = read_varint(data, pos)
    number, wire = key >> 3, key & 7
    if number == 0 or number > MAX_FIELD_NUMBER:
        raise ValueError(f"invalid field number {number}")
    return number, wire, pos


def read_fields(data: bytes) -> list[Field]:
    """Every field of a message, in wire order (see the module invariants)."""
    fields: list[Field] = []
    pos = 0
    while pos < len(data):
        start = pos
        number, wire, pos = _key(data, pos)
        value, pos = _skip(data, pos, number, wire, 0)
        fields.append(Field(number, wire, value, data[start:pos]))
    return fields


def varint_size(value: int) -> int:
    """Bytes of ``value`` as a minimal varint."""
    return max(1, (value.bit_length() + 6) // 7)


def last_value(fields: list[Field], number: int, wire: int) -> int | bytes | None:
    """The last value of field ``number`` read with ``wire`` type (protobuf: the last one wins)."""
    found: int | bytes | None = None
    for field in fields:
        if field.number == number and field.wire == wire:
            found = field.value
    return found
