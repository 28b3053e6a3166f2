"""CAR (Content Addressable aRchive) files: a strict streaming reader and a writer.

Spec: CARv1 and CARv2 (ipld.io/specs/transport/car/carv1 and .../carv2). A CARv1 is
``varint(len) header`` with header the DAG-CBOR map ``{"version": 1, "roots": [CID...]}``,
then sections ``varint(len) CID block``. A CARv2 is the 11-byte pragma (a v1-style header
``{"version": 2}``), a 40-byte header (16 bytes characteristics, then u64 LE data offset,
data size and index offset) and a CARv1 payload at the data offset; its index is ignored.

Invariants:
- The reader holds at most one section in memory (plus a 64 KiB read buffer); every length
  is checked against a limit *before* anything is allocated for it: the header against
  ``limits.store.max_car_header_bytes``, a section against ``limits.decode.max_block_bytes``
  plus the largest CID.
- Every malformation is an ``InvalidCar`` naming the byte offset: truncation, a bad or
  over-long varint, a zero-length section, a bad CID, a header that is not the expected map.
  The reader does not verify hashes; the store does, on ``put``.
- A section length with no byte after it (the file or the CARv2 payload ends right after the
  varint) ends the CAR, as Kubo 0.43.1's go-car reads it (its ``io.ReadFull`` of the section
  reads nothing and says EOF); a section cut after any of its bytes is truncation.
- The writer emits canonical framing (minimal varints, DAG-CBOR header with sorted keys).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from ..cid import CID, MAX_DIGEST_BYTES, MAX_VARINT_BYTES, decode_varint, encode_varint
from ..config import DEFAULT_LIMITS, Limits
from .._inputs import bytes_like, need_cid, need_stream, of_type, whole_number
from ..errors import InvalidCar, InvalidCID, InvalidInput
from .._nonblocking import read_some, write_all

_READ_CHUNK = 64 * 1024
_MAX_CID_BYTES = 1 + 3 * MAX_VARINT_BYTES + MAX_DIGEST_BYTES
_V2_PRAGMA = bytes.fromhex("0aa16776657273696f6e02")
_V2_HEADER = struct.Struct("<16sQQQ")
_MAX_V2_FIELD = (1 << 63) - 1


class _Input:
    """A read buffer over a binary stream that tracks the absolute offset and an end bound."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._pos = 0  # offset into _buf
        self.offset = 0  # absolute offset of _buf[_pos] in the stream
        self.end: int | None = None  # absolute offset not to read past (CARv2 payload)
        self._eof = False

    def _fill(self, need: int) -> bool:
        """Ensure ``need`` bytes are buffered; False if the stream (or bound) ends first."""
        want = need if self.end is None else max(0, min(need, self.end - self.offset))
        while len(self._buf) - self._pos < want and not self._eof:
            if self._pos:
                del self._buf[: self._pos]
                self._pos = 0
            try:
                chunk = read_some(self._stream, max(_READ_CHUNK, need - len(self._buf)))
            except OSError as exc:
                raise InvalidCar(f"cannot read the CAR at byte {self.offset}: {exc}") from None
            if not chunk:
                self._eof = True
            else:
                self._buf += chunk
        return want == need and len(self._buf) - self._pos >= need

    def at_end(self) -> bool:
        if self.end is not None and self.offset >= self.end:
            return True
        return not self._fill(1)

    def read(self, n: int, what: str) -> bytes:
        if not self._fill(n):
            raise InvalidCar(f"truncated CAR: {what} at byte {self.offset} needs {n} bytes")
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        self.offset += n
        return out

    def varint(self, what: str) -> int:
        start = self.offset
        self._fill(MAX_VARINT_BYTES)
        avail = len(self._buf) - self._pos
        if self.end is not None:
            avail = min(avail, self.end - self.offset)
        window = bytes(self._buf[self._pos : self._pos + min(avail, MAX_VARINT_BYTES)])
        try:
            value, used = decode_varint(window, 0)
        except ValueError as exc:
            kind = "truncated CAR" if "truncated" in str(exc) else "malformed CAR"
            raise InvalidCar(f"{kind}: {what} varint at byte {start}: {exc}") from None
        self._pos += used
        self.offset += used
        return value

    def skip(self, n: int, what: str) -> None:
        while n:
            step = min(n, _READ_CHUNK)
            self.read(step, what)
            n -= step


def _decode_header(raw: bytes, offset: int, limits: Limits) -> dict[str, object]:
    """The header map, read as Kubo (go-car) reads it (``_car_header``: CBOR not necessarily
    canonical or even minimal, keys in any order or repeated, a stray tag, trailing bytes),
    and only the fields of the CARv1 spec's ``CarHeader`` struct (``version``, ``roots``).
    ``limits``: the header's size was bounded by the caller (``max_car_header_bytes``)."""
    from ._car_header import decode_header

    header = decode_header(raw, offset)
    if not isinstance(header, dict) or "version" not in header:
        raise InvalidCar(f"malformed CAR header at byte {offset}: not a map with a version")
    unknown = sorted(set(header) - _HEADER_FIELDS)
    if unknown:
        raise InvalidCar(f"malformed CAR header at byte {offset}: unknown field {unknown[0]!r} "
                         "(a header has only version and roots)")
    return header


_HEADER_FIELDS = frozenset({"version", "roots"})

_BOUND_HINT = ("the file may be sound: this is a bound of autocodec's on CAR headers (Kubo reads headers up to "
               "32 MiB); raise it under [limits.store] in config.toml to read this CAR")


def _version(header: dict[str, object]) -> int | None:
    """The header's version when it is an integer (a float or a bool is not, as in go-car)."""
    version = header.get("version")
    return version if type(version) is int else None


def _split_section(section: bytes, offset: int) -> tuple[CID, bytes]:
    """Split a section into its CID and block bytes."""
    try:
        if section[:2] == b"\x12\x20":
            n = 34
        else:
            version, off = decode_varint(section, 0)
            if version != 1:
                raise ValueError(f"CID version {version}")
            _codec, off = decode_varint(section, off)
            _code, off = decode_varint(section, off)
            size, off = decode_varint(section, off)
            if size > MAX_DIGEST_BYTES:
                raise ValueError(f"digest of {size} bytes")
            n = off + size
        if n > len(section):
            raise ValueError("the CID runs past the end of its section")
        # Every part was just parsed with minimal varints and the digest fits: no re-validation.
        cid = CID._unchecked(section[:n])
    except (ValueError, InvalidCID) as exc:
        msg = exc.message if isinstance(exc, InvalidCID) else str(exc)
        raise InvalidCar(f"malformed CAR: bad CID in the section at byte {offset}: {msg}") from None
    return cid, section[n:]


class CarReader:
    """Reads a CARv1 or CARv2 stream: ``roots`` at once, then blocks by iterating.

    Iterating yields ``(cid, block_bytes)`` in file order; ``offset`` is the number of bytes
    consumed so far (for progress), ``section_offset`` the byte offset in the stream of the
    section last yielded (its length varint; see ``read_section_at``). ``bare_length_at`` is
    the offset of a section length the input ended right after (go-car's end of the CAR, taken
    so here), else ``None``: a reader of a stream that must be whole (a fetched DAG) refuses it.
    """

    def __init__(self, stream: BinaryIO, *, limits: Limits | None = None) -> None:
        need_stream(stream, "read", "CarReader")
        of_type(limits, Limits, "CarReader's limits")
        self.limits = limits or DEFAULT_LIMITS
        self._in = _Input(stream)
        self.version, self.roots = self._read_header()
        self._started = False
        self.section_offset = 0
        self.bare_length_at: int | None = None

    @property
    def offset(self) -> int:
        return self._in.offset

    def _read_v1_header(self) -> tuple[dict[str, object], int]:
        src = self._in
        start = src.offset
        if src.at_end():
            raise InvalidCar("empty CAR: no header")
        size = src.varint("header length")
        cap = self.limits.store.max_car_header_bytes
        if size == 0:
            raise InvalidCar(f"malformed CAR: zero-length header at byte {start}")
        if size > cap:
            raise InvalidCar(f"CAR header of {size} bytes at byte {start} is over the {cap}-byte limit "
                             "(limits.store.max_car_header_bytes, a bound of autocodec's)", hint=_BOUND_HINT)
        raw = src.read(size, "header")
        return _decode_header(raw, start, self.limits), start

    def _read_header(self) -> tuple[int, list[CID]]:
        header, start = self._read_v1_header()
        version = _version(header)
        if version == 2 and self._in.offset == len(_V2_PRAGMA):
            self._enter_v2_payload()
            header, start = self._read_v1_header()
            version = _version(header)
            if version != 1:
                raise InvalidCar(f"malformed CARv2: the payload at byte {start} is not a CARv1")
            outer = 2
        elif version == 1:
            outer = 1
        elif version == 2:  # a header saying 2 that is not the 11-byte CARv2 pragma (go-car takes it: bounds.md)
            raise InvalidCar(f"malformed CAR: its header says version 2, but a CARv2 file starts with the 11-byte "
                             f"CARv2 pragma, followed by its own header (this header is {self._in.offset} bytes "
                             "written otherwise)")
        else:
            raise InvalidCar(f"unsupported CAR version {header.get('version')!r} (autocodec reads CARv1 and CARv2)")
        roots = header.get("roots")
        if roots is None:  # absent or null: no roots (go-car reads both so)
            roots = []
        if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
            raise InvalidCar(f"malformed CAR header at byte {start}: roots must be a list of CIDs")
        cap = self.limits.store.max_car_roots
        if len(roots) > cap:
            raise InvalidCar(f"CAR header lists {len(roots)} roots, over the limit of {cap} "
                             "(limits.store.max_car_roots, a bound of autocodec's)", hint=_BOUND_HINT)
        return outer, roots

    def _enter_v2_payload(self) -> None:
        src = self._in
        fields = src.read(_V2_HEADER.size, "CARv2 header")
        _characteristics, data_offset, data_size, index_offset = _V2_HEADER.unpack(fields)
        for name, value in (("data offset", data_offset), ("data size", data_size), ("index offset", index_offset)):
            if value > _MAX_V2_FIELD:  # over a signed 64-bit offset: no file has it (go-car refuses too)
                raise InvalidCar(f"malformed CARv2 header: {name} {value} is past any file's end")
        if data_offset < src.offset or data_size == 0:
            raise InvalidCar(f"malformed CARv2 header: data offset {data_offset}, size {data_size}")
        src.skip(data_offset - src.offset, "CARv2 padding")
        src.end = data_offset + data_size

    def __iter__(self) -> Iterator[tuple[CID, bytes]]:
        if self._started:
            raise RuntimeError("a CarReader can be iterated once")
        self._started = True
        src = self._in
        cap = self.limits.decode.max_block_bytes + _MAX_CID_BYTES
        while not src.at_end():
            start = src.offset
            size = src.varint("section length")
            if size == 0:
                raise InvalidCar(f"malformed CAR: zero-length section at byte {start}")
            if size > cap:
                raise InvalidCar(f"CAR section of {size} bytes at byte {start} is over the {cap}-byte limit")
            if src.at_end():  # a length and nothing after it: the end, as go-car (Kubo) reads it
                self.bare_length_at = start
                return
            section = src.read(size, "section")
            self.section_offset = start
            yield _split_section(section, start)


_MAX_FD = 2**31 - 1
"""The largest descriptor ``os.pread`` takes (a C int)."""
_MAX_OFFSET = 2**63 - 1
"""The largest file offset (an off_t)."""


def read_section_at(fd: int, offset: int, *, limits: Limits | None = None) -> tuple[CID, bytes]:
    """The ``(cid, block_bytes)`` of the section at byte ``offset`` of the open file ``fd`` (a
    ``CarReader``'s ``section_offset``), read with ``os.pread`` (the file position is untouched).

    The same checks as when iterating, with the same limits: a bad varint, an empty or over-long
    section, a bad CID or a file that ends first is an ``InvalidCar`` naming the offset. An
    ``OSError`` of the read is not caught. Nothing checks the section is one the file's framing
    reaches: the caller gives an offset a ``CarReader`` reported, and compares the CID.
    A descriptor or offset that is no whole number, or limits of another type, is ``InvalidInput``.
    """
    if type(fd) is not int or not 0 <= fd <= _MAX_FD:
        if callable(getattr(fd, "fileno", None)):
            raise InvalidInput(f"read_section_at needs a file descriptor (int), not {type(fd).__name__} "
                               "(give its fileno())")
        whole_number(fd, "read_section_at's file descriptor", most=_MAX_FD)
    if type(offset) is not int or not 0 <= offset <= _MAX_OFFSET:
        whole_number(offset, "read_section_at's offset", most=_MAX_OFFSET)
    of_type(limits, Limits, "read_section_at's limits")
    cap = (limits or DEFAULT_LIMITS).decode.max_block_bytes + _MAX_CID_BYTES
    head = os.pread(fd, MAX_VARINT_BYTES, offset)
    try:
        size, used = decode_varint(head, 0)
    except ValueError as exc:
        kind = "truncated CAR" if "truncated" in str(exc) else "malformed CAR"
        raise InvalidCar(f"{kind}: section length varint at byte {offset}: {exc}") from None
    if size == 0:
        raise InvalidCar(f"malformed CAR: zero-length section at byte {offset}")
    if size > cap:
        raise InvalidCar(f"CAR section of {size} bytes at byte {offset} is over the {cap}-byte limit")
    section = os.pread(fd, size, offset + used)
    if len(section) < size:  # a regular file's pread is short only at its end
        raise InvalidCar(f"truncated CAR: section at byte {offset + used} needs {size} bytes")
    return _split_section(section, offset)


class CarWriter:
    """Writes a CARv1: the header at construction, then one section per ``write``."""

    def __init__(self, out: BinaryIO, roots: Sequence[CID]) -> None:
        from ..builtin import encode

        need_stream(out, "write", "CarWriter")
        if isinstance(roots, (str, bytes, CID)) or not isinstance(roots, Iterable):
            raise InvalidInput(f"CarWriter's roots are a list of CIDs, not {type(roots).__name__}")
        self._out = out
        header = encode({"roots": [need_cid(r, "each of CarWriter's roots") for r in roots], "version": 1}, "dag-cbor")
        self.bytes_written = 0
        self._emit(encode_varint(len(header)) + header)

    def _emit(self, data: bytes) -> None:
        write_all(self._out, data)  # a part at a time, waiting while a non-blocking output is full
        self.bytes_written += len(data)

    def write(self, cid: CID, data: bytes) -> None:
        """One section: ``cid`` (a ``CID``) and ``data`` (bytes-like), written as they are."""
        raw = bytes(need_cid(cid, "CarWriter.write"))
        data = bytes_like(data, "CarWriter.write")
        self._emit(encode_varint(len(raw) + len(data)) + raw)
        self._emit(bytes(data))
