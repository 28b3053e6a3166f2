"""The UnixFS v1 ``Data`` protobuf: the bytes inside a dag-pb node's ``Data`` field.

Spec: https://github.com/ipfs/specs/blob/main/UNIXFS.md ::

    message Data {
      required DataType Type = 1;  // Raw 0, Directory 1, File 2, Metadata 3, Symlink 4, HAMTShard 5
      optional bytes Data = 2;
      optional uint64 filesize = 3;
      repeated uint64 blocksizes = 4;
      optional uint64 hashType = 5;
      optional uint64 fanout = 6;
      optional uint32 mode = 7;
      optional UnixTime mtime = 8;
    }

Invariants:
- ``encode`` writes fields in field-number order with minimal varints, ``Data`` only when
  non-empty and ``blocksizes`` unpacked, exactly as Kubo and js-ipfs do, so the node bytes
  (and so the CIDs) equal theirs.
- ``decode`` accepts any valid encoding of the message (packed or unpacked blocksizes,
  fields in any order) and skips what protobuf-go, Kubo 0.43.1's reader, skips: a field of
  a number it does not know, or of a known number in another wire type (groups included),
  in the message and in its mtime; an mtime given twice is merged (each part parsed alone,
  the second's fields over the first's, as protobuf merges a message field); an mtime whose nanoseconds are given but not 1 to
  999,999,999 is read as no mtime (boxo's ``ModTime``). It refuses the rest with ``InvalidBlock``: truncation,
  wire types 6 and 7, a stray or mismatched end of group, field numbers outside 1 to
  2^29-1, a missing or unknown Type, varints over 64 bits.
- ``reify(strict=True)``, for path lookups, reads as go-unixfsnode's decoder reads for Kubo's
  resolver: also a known field in another wire type or given twice makes the node plain DAG-PB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InvalidBlock

RAW, DIRECTORY, FILE, METADATA, SYMLINK, HAMT_SHARD = range(6)
TYPE_NAMES = {RAW: "raw", DIRECTORY: "directory", FILE: "file", METADATA: "metadata",
              SYMLINK: "symlink", HAMT_SHARD: "hamt-sharded directory"}
_MAX_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class UnixfsData:
    type: int
    data: bytes = b""
    filesize: int | None = None
    blocksizes: tuple[int, ...] = field(default_factory=tuple)
    hash_type: int | None = None
    fanout: int | None = None
    mode: int | None = None
    """UnixFS 1.5: the POSIX mode bits (permissions in the low 12)."""
    mtime: tuple[int, int] | None = None
    """UnixFS 1.5: seconds since the epoch (may be negative) and nanoseconds."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode(node: UnixfsData) -> bytes:
    out = bytearray(b"\x08")
    out += _varint(node.type)
    if node.data:
        out += b"\x12" + _varint(len(node.data)) + node.data
    if node.filesize is not None:
        out += b"\x18" + _varint(node.filesize)
    for size in node.blocksizes:
        out += b"\x20" + _varint(size)
    if node.hash_type is not None:
        out += b"\x28" + _varint(node.hash_type)
    if node.fanout is not None:
        out += b"\x30" + _varint(node.fanout)
    if node.mode is not None:
        out += b"\x38" + _varint(node.mode)
    if node.mtime is not None:
        seconds, nanos = node.mtime
        time = b"\x08" + _varint(seconds & _MAX_U64) + (b"\x15" + nanos.to_bytes(4, "little") if nanos else b"")
        out += b"\x42" + _varint(len(time)) + time
    return bytes(out)


def _decode_time(parts: list[bytes | memoryview], strict: bool = False) -> tuple[int, int] | None:
    """``UnixTime {required int64 Seconds = 1; optional fixed32 FractionalNanoseconds = 2}``,
    given in one or more ``parts`` (each parsed alone, then merged as protobuf-go merges a
    message field: a field in a later part wins); None (no mtime) when the nanoseconds are
    given but not 1 to 999,999,999, as boxo's ``ModTime`` reads them for Kubo 0.43.1
    (measured: ``get`` then writes the time of the call). ``strict`` (``_fields``): a field 1
    or 2 in another wire type or given twice is refused."""
    seconds: int | None = None
    nanos: int | None = None
    seen: set[int] = set()
    for buf in parts:
        pos = 0
        while pos < len(buf):
            key, pos = _read_varint(buf, pos)
            if strict and key >> 3 in (1, 2):
                if key not in (0x08, 0x15) or key in seen:
                    raise InvalidBlock(f"unixfs: mtime field {key >> 3} in wire type {key & 7} or given twice")
                seen.add(key)
            if key == 0x08:
                value, pos = _read_varint(buf, pos)
                seconds = value - (1 << 64) if value >> 63 else value
            elif key == 0x15:
                if pos + 4 > len(buf):
                    raise InvalidBlock("unixfs: mtime's nanoseconds run past the end")
                nanos, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
            else:
                pos = _skip(buf, pos, key, strict)
    if seconds is None:
        raise InvalidBlock("unixfs: mtime has no Seconds")
    if nanos is None:
        return seconds, 0
    return (seconds, nanos) if 0 < nanos < 1_000_000_000 else None


def _read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise InvalidBlock("unixfs: truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 63:
            raise InvalidBlock("unixfs: varint longer than 64 bits")
    if value > _MAX_U64:
        raise InvalidBlock("unixfs: varint over 64 bits")
    return value, pos


def _skip(buf: bytes | memoryview, pos: int, key: int, strict: bool = False) -> int:
    """The position after the field whose tag ``key`` was read before ``pos``, skipped as
    protobuf-go skips a field it does not know (a group up to its matching end, nested
    groups too, iteratively); a tag it cannot skip is ``InvalidBlock``. ``strict`` (go-unixfsnode's
    decoder, ``protowire.ConsumeFieldValue``) also skips field numbers 2^29 to 2^31-1."""
    groups: list[int] = []
    limit = 1 << (31 if strict else 29)
    while True:
        number, wire = key >> 3, key & 7
        if not 1 <= number < limit or wire in (6, 7):
            raise InvalidBlock(f"unixfs: a field numbered {number} of wire type {wire} is not protobuf")
        if wire == 0:
            _value, pos = _read_varint(buf, pos)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > len(buf):
                raise InvalidBlock("unixfs: a fixed-size field runs past the end")
        elif wire == 2:
            _where, pos = _span(buf, pos)
        elif wire == 3:
            groups.append(number)
        elif not groups or groups.pop() != number:
            raise InvalidBlock(f"unixfs: an end of group {number} that no group of that number opened")
        if not groups:
            return pos
        if pos >= len(buf):
            raise InvalidBlock("unixfs: a group runs past the end")
        key, pos = _read_varint(buf, pos)


def _strict_field(number: int, wire: int, seen: set[tuple[int, int]]) -> None:
    """go-unixfsnode's refusals of a known field ``number`` read in ``wire`` after ``seen``."""
    if wire != _WIRE[number] and not (number == 4 and wire == 2):
        raise InvalidBlock(f"unixfs: field {number} in wire type {wire}, not {_WIRE[number]}")
    if (number, wire) in seen and (number, wire) != (4, 0) or number == 4 and (4, 2 - wire) in seen:
        raise InvalidBlock(f"unixfs: field {number} given twice")
    seen.add((number, wire))


def _span(buf: bytes | memoryview, pos: int) -> tuple[tuple[int, int], int]:
    """Where the length-delimited field at ``pos`` lies in ``buf``, and the position after it."""
    length, pos = _read_varint(buf, pos)
    if length > len(buf) - pos:
        raise InvalidBlock("unixfs: a length-delimited field runs past the end")
    return (pos, pos + length), pos + length


def _read_bytes(buf: bytes | memoryview, pos: int) -> tuple[bytes | memoryview, int]:
    (start, end), pos = _span(buf, pos)
    return buf[start:end], pos


def decode(buf: bytes) -> UnixfsData:
    kind, (start, end), rest = _fields(buf)
    return UnixfsData(kind, buf[start:end], *rest)


def decode_view(buf: memoryview) -> tuple[UnixfsData, memoryview]:
    """``decode``, with the ``Data`` field returned as a view into ``buf`` (no copy: for a file's
    bytes on their way out) and left empty in the ``UnixfsData``."""
    kind, (start, end), rest = _fields(buf)
    return UnixfsData(kind, b"", *rest), buf[start:end]


_Rest = tuple[int | None, tuple[int, ...], int | None, int | None, int | None, tuple[int, int] | None]


LINK_NAMED = frozenset({DIRECTORY, METADATA, SYMLINK})
"""The UnixFS types a path goes through by link name (the first link of that name), as
go-unixfsnode reifies them for Kubo v0.43.1's resolver: a directory, and the types it reads
as plain DAG-PB (metadata, symlink)."""


def reify(raw: object, *, strict: bool = False) -> UnixfsData | None:
    """A DAG-PB node's ``Data`` for every reader of a node that may or may not be UnixFS: None
    when the node is plain DAG-PB (no ``Data``, or ``Data`` that is no UnixFS message), else its
    UnixFS message. ``strict`` for the ``/ipfs/`` path resolvers, which Kubo 0.43.1 runs through
    go-unixfsnode's own decoder (``_fields``' ``strict``: a HAMT shard with a known field in
    another wire type is plain DAG-PB there, its links looked up by name); without it as
    protobuf-go reads it for Kubo's ``ls`` (such a shard is listed as a shard). Both measured.
    A message whose Type is past the spec's 0 to 5 comes back with that type and nothing else
    read; the caller decides (Kubo resolves no path through it, but lists its links)."""
    if not isinstance(raw, bytes):
        return None
    try:
        kind, (start, end), rest = _fields(raw, any_type=True, strict=strict)
    except InvalidBlock:
        return None
    return UnixfsData(kind, raw[start:end], *rest) if kind in TYPE_NAMES else UnixfsData(kind)


def by_link_name(meta: UnixfsData | None) -> bool:
    """True when a path segment is looked up among a node's link names (``reify``'s None, or
    a type in ``LINK_NAMED``); a file has no path below it, a HAMT is walked by hash."""
    return meta is None or meta.type in LINK_NAMED


_WIRE = {1: 0, 2: 2, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 2}
"""Each known field's wire type (``blocksizes``, 4, may also be packed: 2)."""


def _fields(buf: bytes | memoryview, any_type: bool = False,
            strict: bool = False) -> tuple[int, tuple[int, int], _Rest]:
    """The message's Type, the span of its (last) Data field, and its other fields in
    ``UnixfsData``'s order after ``data``; a Type past the spec's is refused unless ``any_type``.
    ``strict`` reads as go-unixfsnode's ``DecodeUnixFSData`` (``reify``): a known field in another
    wire type, one given twice (``blocksizes`` unpacked excepted), a packed ``blocksizes``
    beside another, a mode over 32 bits or an mtime field so given is ``InvalidBlock``."""
    kind: int | None = None
    span = (0, 0)
    filesize: int | None = None
    hash_type: int | None = None
    fanout: int | None = None
    mode: int | None = None
    mtime_parts: list[bytes | memoryview] = []  # an mtime given twice is merged (``_decode_time``)
    blocksizes: list[int] = []
    pos = 0
    seen: set[tuple[int, int]] = set()  # strict: the (field, wire type) pairs read
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if strict and number in _WIRE:
            _strict_field(number, wire, seen)
        if number in (1, 3, 5, 6, 7) and wire == 0:
            value, pos = _read_varint(buf, pos)
            if number == 1:
                kind = value
            elif number == 3:
                filesize = value
            elif number == 5:
                hash_type = value
            elif number == 6:
                fanout = value
            else:
                if strict and value >> 32:
                    raise InvalidBlock("unixfs: a mode over 32 bits")
                mode = value
        elif number == 4 and wire == 0:
            value, pos = _read_varint(buf, pos)
            blocksizes.append(value)
        elif number == 4 and wire == 2:  # packed
            packed, pos = _read_bytes(buf, pos)
            inner = 0
            while inner < len(packed):
                value, inner = _read_varint(packed, inner)
                blocksizes.append(value)
        elif number in (2, 8) and wire == 2:
            if number == 2:
                span, pos = _span(buf, pos)
            else:
                value_bytes, pos = _read_bytes(buf, pos)
                mtime_parts.append(value_bytes)
        else:
            pos = _skip(buf, pos, key, strict)
    if kind is None:
        raise InvalidBlock("unixfs: the Data message has no Type")
    if kind not in TYPE_NAMES and not any_type:
        raise InvalidBlock(f"unixfs: unknown node type {kind}")
    mtime = _decode_time(mtime_parts, strict) if mtime_parts else None
    return kind, span, (filesize, tuple(blocksizes), hash_type, fanout, mode, mtime)
