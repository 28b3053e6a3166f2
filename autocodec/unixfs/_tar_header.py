"""One TAR member header, byte for byte as Go's ``archive/tar`` Writer (go1.26, Kubo v0.43.1's
``ipfs get -a`` and gateway ``?format=tar``) writes it for the fields boxo's ``TarWriter`` sets:
name, link name, mode, size, whole-second modification time and type; uid, gid and owner names
empty, no device numbers.

Go's rules, from its ``archive/tar`` (``writer.go``, ``format.go``, ``strconv.go``):
- USTAR when every field fits: ASCII without NUL; a name over 100 bytes split at a ``/`` into a
  prefix of at most 155 bytes and a rest of 1-100; a link name of at most 100 bytes; numbers in
  octal within their fields (size < 8 GiB, 0 <= mtime < 8^11).
- Otherwise PAX: an extended header first (type ``x``, named ``DIR/PaxHeaders.0/BASE`` with
  non-ASCII bytes dropped, cut to 100 bytes and trailing ``/`` removed; mode, uid, gid and mtime
  0, no magic owner or device fields) holding the records ``path``, ``linkpath``, ``size``,
  ``mtime`` that did not fit, sorted by key, each ``"LEN KEY=VALUE\\n"``; then the main header
  with the fields' ASCII bytes (cut to their width) and 0 for a number that did not fit.
- Octal numbers are zero-padded to their width less one, then NUL; the checksum is six octal
  digits, NUL, space; USTAR and PAX headers carry ``ustar\\0`` and ``00``.
"""

from __future__ import annotations

import posixpath

_BLOCK = 512
_NAME, _LINK, _PREFIX = 100, 100, 155


def header(name: bytes, kind: bytes, *, mode: int, size: int, mtime: int, linkname: bytes = b"") -> bytes:
    """The header block(s) of one member (``kind``: ``b"0"`` file, ``b"5"`` directory,
    ``b"2"`` symlink); names hold no NUL (the caller refuses them) and ``mode`` is below 8^7
    (the caller keeps its 0o7777 bits, as boxo does: from 8^7 Go would write a GNU header)."""
    records: dict[str, bytes] = {}
    ustar = True
    split = _split_ustar(name)
    if not _ascii(name) or len(name) > _NAME:
        records["path"] = name
        ustar = ustar and split is not None
    if not _ascii(linkname) or len(linkname) > _LINK:
        records["linkpath"] = linkname
        ustar = False
    if not _fits_octal(12, size):
        records["size"] = str(size).encode()
        ustar = False
    if not _fits_octal(12, mtime):
        records["mtime"] = str(mtime).encode()
        ustar = False
    if ustar:
        prefix, rest = split if split is not None else (b"", name)
        return _block(rest, kind, mode, size, mtime, linkname, prefix=prefix, magic=True)
    data = b"".join(_record(key, records[key]) for key in sorted(records))
    directory, base = posixpath.split(name)
    joined = posixpath.normpath(posixpath.join(directory, b"PaxHeaders.0", base))
    if joined.startswith(b"//"):  # POSIX normpath keeps two leading slashes, Go's path.Clean keeps one
        joined = joined[1:]
    pax_name = _to_ascii(joined)[:_NAME].rstrip(b"/")
    extended = _block(pax_name, b"x", 0, len(data), 0, b"", owner_fields=False, magic=True)
    padding = bytes(-len(data) % _BLOCK)
    main = _block(_to_ascii(name), kind, mode, size, mtime, _to_ascii(linkname), magic=True)
    return extended + data + padding + main


def _block(name: bytes, kind: bytes, mode: int, size: int, mtime: int, linkname: bytes, *,
           prefix: bytes = b"", owner_fields: bool = True, magic: bool) -> bytes:
    b = bytearray(_BLOCK)
    _string(b, 0, 100, name)
    _octal(b, 100, 8, mode)
    _octal(b, 108, 8, 0)
    _octal(b, 116, 8, 0)
    _octal(b, 124, 12, size)
    _octal(b, 136, 12, mtime)
    b[156:157] = kind
    _string(b, 157, 100, linkname)
    if owner_fields:  # uname and gname stay empty
        _octal(b, 329, 8, 0)
        _octal(b, 337, 8, 0)
    _string(b, 345, 155, prefix)
    if magic:
        b[257:265] = b"ustar\x0000"
    b[148:156] = b" " * 8
    b[148:155] = b"%06o\x00" % sum(b)
    return bytes(b)


def _string(b: bytearray, at: int, width: int, s: bytes) -> None:
    """Go's ``formatter.formatString``: copied, cut to the width, NUL-ended when shorter; a cut
    that leaves a ``/`` last ends where the slashes before it begin."""
    b[at:at + min(len(s), width)] = s[:width]
    if len(s) < width:
        b[at + len(s)] = 0
    if len(s) > width and b[at + width - 1] == ord("/"):
        b[at + len(s[:width - 1].rstrip(b"/"))] = 0


def _octal(b: bytearray, at: int, width: int, value: int) -> None:
    """Go's ``formatter.formatOctal``: zero-padded to width - 1 digits; 0 when it does not fit."""
    digits = b"%o" % (value if _fits_octal(width, value) else 0)
    _string(b, at, width, digits.rjust(width - 1, b"0"))


def _fits_octal(width: int, value: int) -> bool:
    return 0 <= value < 1 << (3 * (width - 1))


def _ascii(s: bytes) -> bool:
    return all(0 < c < 0x80 for c in s)


def _to_ascii(s: bytes) -> bytes:
    return bytes(c for c in s if 0 < c < 0x80)


def _split_ustar(name: bytes) -> tuple[bytes, bytes] | None:
    """Go's ``splitUSTARPath``: a name over 100 bytes as (prefix, rest) split at a ``/``."""
    length = len(name)
    if length <= _NAME or not _ascii(name):
        return None
    if length > _PREFIX + 1:
        length = _PREFIX + 1
    elif name[length - 1:length] == b"/":
        length -= 1
    i = name.rfind(b"/", 0, length)
    rest = len(name) - i - 1
    if i <= 0 or rest > _NAME or rest == 0 or i > _PREFIX:
        return None
    return name[:i], name[i + 1:]


def _record(key: str, value: bytes) -> bytes:
    """Go's ``formatPAXRecord``: ``"LEN KEY=VALUE\\n"``, LEN counting itself."""
    size = len(key) + len(value) + 3
    size += len(str(size))
    record = b"%d %s=%s\n" % (size, key.encode(), value)
    if len(record) != size:
        record = b"%d %s=%s\n" % (len(record), key.encode(), value)
    return record
