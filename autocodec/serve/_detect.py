"""The Content-Type Kubo's gateway gives a UnixFS file whose name names no type, read from its start.

boxo (Kubo v0.43.1's gateway) detects a file's type, when the file is answered from its first
byte, with the gabriel-vasile/mimetype library (v1.4.15) over the first 4096 bytes, not with Go's
``http.DetectContentType`` (which it leaves to ranges that start later; ``_content_type.sniff``). That
library walks a tree of detectors: binary signatures first, then, for text (no binary byte in the
first 4096 bytes, or a byte order mark), text kinds: markup, scripts by their ``#!`` line, JSON
(an object or array; the whole input when shorter than the limit, else a valid prefix of one),
newline-delimited JSON, CSV and TSV (at least two records of the same width), vCard, iCalendar,
RTF, WebVTT; plain text gets a charset (``utf-8``, else ``iso-8859-1`` or ``windows-1252``).

This module answers the same for those kinds, written from the library's documented behaviour
and checked against Kubo's gateway (``tests/test_gateway_kubo.py::test_sniffed_types_get_kubos_answer``).
Kinds it does not tell apart (SubRip, WARC, Netpbm, e-mail, GEDCOM, JSON and XML dialects such
as GeoJSON or RSS, and most binary formats) are plain text or ``application/octet-stream`` here;
docs/gateway.md names them.
"""

from __future__ import annotations

LIMIT = 4096  # the library's read limit: boxo reads this many bytes of a file to detect its type

_WS = b"\t\n\x0c\r "
_JSON_WS = b" \t\r\n"
_BOMS = (b"\xef\xbb\xbf", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xfe\xff", b"\xff\xfe")

# signatures the library checks before asking whether the bytes are text (prefix, type)
_BINARY = ((b"/* XPM */", "image/x-xpixmap"), (b"%PDF-", "application/pdf"), (b"%!PS-Adobe-", "application/postscript"),
           (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
           (b"GIF89a", "image/gif"), (b"#EXTM3U\n", "application/vnd.apple.mpegurl"),
           (b"#EXTM3U\r\n", "application/vnd.apple.mpegurl"), (b"\x1f\x8b", "application/gzip"),
           (b"\x00asm", "application/wasm"), (b"d8:announce", "application/x-bittorrent"))
_HTML_TAGS = (b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV", b"<FONT", b"<TABLE",
              b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P", b"<!--")

# scripts named by their #! line: (type, interpreters); "env NAME" and "env -S NAME" are read too
_SCRIPTS = (
    ("text/x-php", ("/usr/local/bin/php", "/usr/bin/php"), ("php",), False),
    ("text/javascript", ("/bin/node", "/usr/bin/node", "/bin/nodejs", "/usr/bin/nodejs"), ("node", "nodejs"), False),
    ("text/x-lua", ("/usr/bin/lua", "/usr/local/bin/lua"), ("lua",), True),
    ("text/x-perl", ("/usr/bin/perl",), ("perl",), True),
    ("text/x-python", ("/usr/bin/python", "/usr/local/bin/python"), ("python",), False),
    ("text/x-ruby", ("/usr/bin/ruby", "/usr/local/bin/ruby"), ("ruby",), False),
)
_TCL = ("text/x-tcl", ("/usr/bin/tcl", "/usr/local/bin/tcl", "/usr/bin/tclsh", "/usr/local/bin/tclsh",
                       "/usr/bin/wish", "/usr/local/bin/wish"), ("tcl", "tclsh", "wish"), False)
_SHELLS = ("sh", "bash", "csh", "dash", "ksh", "tcsh", "zsh")
_SHELL = ("text/x-shellscript", tuple(f"/bin/{s}" for s in _SHELLS) + tuple(
    f"/usr/local/bin/{s}" for s in _SHELLS if s != "sh"), tuple(s for s in _SHELLS if s != "sh"), True)


def detect(head: bytes) -> str:
    """The type of a file whose first ``min(size, LIMIT)`` bytes are ``head``."""
    raw = head[:LIMIT]
    truncated = len(head) >= LIMIT
    for magic, kind in _BINARY:
        if raw.startswith(magic):
            return kind
    if raw[:4] == b"PK\x03\x04":
        return "application/zip"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "image/webp"
    if not _is_text(raw):
        return "application/octet-stream"
    return _text_kind(raw, truncated) or _plain(raw)


def _is_text(raw: bytes) -> bool:
    if raw.startswith(_BOMS):
        return True
    return not any(b <= 0x08 or b == 0x0B or 0x0E <= b <= 0x1A or 0x1C <= b <= 0x1F for b in raw)


def _text_kind(raw: bytes, truncated: bool) -> str | None:
    markup = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    markup = markup.lstrip(_WS)
    if markup.startswith(b"<svg") and b"http://www.w3.org/2000/svg" in markup:
        return "image/svg+xml"
    if _tag(markup, _HTML_TAGS):
        return "text/html"
    if _tag(markup, (b"<?XML",)):
        return "text/xml; charset=utf-8"
    if _ci_prefix(raw, (b"<?PHP", b"<?\n", b"<?\r", b"<? ")):
        return "text/x-php"
    for kind, paths, names, whole_word in _SCRIPTS:
        if _shebang(raw, paths, names, whole_word):
            return kind
    first = raw.lstrip(_WS)[:1]
    if first in (b"{", b"[") and _json_matches(raw, truncated):
        return "application/json"
    if _ndjson(raw):
        return "application/x-ndjson"
    if raw.startswith(b"{\\rtf"):
        return "text/rtf"
    if _shebang(raw, *_TCL[1:]):
        return _TCL[0]
    if _separated(raw, b",", truncated):
        return "text/csv"
    if _separated(raw, b"\t", truncated):
        return "text/tab-separated-values"
    if _ci_prefix(raw, (b"BEGIN:VCARD\n", b"BEGIN:VCARD\r\n")):
        return "text/vcard"
    if _ci_prefix(raw, (b"BEGIN:VCALENDAR\n", b"BEGIN:VCALENDAR\r\n")):
        return "text/calendar"
    vtt = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if vtt == b"WEBVTT" or (vtt.startswith(b"WEBVTT") and vtt[6:7] in (b"\n", b"\r", b" ", b"\t")):
        return "text/vtt"
    if _shebang(raw, *_SHELL[1:]):
        return _SHELL[0]
    return None


def _plain(raw: bytes) -> str:
    """``text/plain`` and its charset, read from the first 1024 bytes as the library reads it."""
    sample = raw[:1024]
    if not sample:
        return "text/plain"
    for bom, name in zip(_BOMS, ("utf-8", "utf-32be", "utf-32le", "utf-16be", "utf-16le")):
        if sample.startswith(bom):
            return f"text/plain; charset={name}"
    cut = sample
    for i in range(len(sample) - 1, max(len(sample) - 4, -1), -1):  # a rune cut by the sample's end
        if sample[i] < 0x80:
            break
        if sample[i] >= 0xC0:
            cut = sample[:i]
            break
    try:
        cut.decode("utf-8")
        return "text/plain; charset=utf-8"
    except UnicodeDecodeError:
        pass
    # ISO-8859 text: printable ASCII, BEL..CR, ESC, and 0xA0..0xFF; NEL (0x85) makes it windows-1252
    if all(0x20 <= b <= 0x7E or 0x07 <= b <= 0x0D or b == 0x1B or b == 0x85 or b >= 0xA0 for b in sample):
        return "text/plain; charset=" + ("windows-1252" if 0x85 in sample else "iso-8859-1")
    return "text/plain"


def _upper_ascii(data: bytes) -> bytes:
    return bytes(b & 0xDF if 0x61 <= b <= 0x7A else b for b in data)


def _ci_prefix(raw: bytes, signatures: tuple[bytes, ...]) -> bool:
    """A signature (upper case letters match either case) and at least one byte after it."""
    return any(len(raw) > len(sig) and _upper_ascii(raw[:len(sig)]) == sig for sig in signatures)


def _tag(data: bytes, tags: tuple[bytes, ...]) -> bool:
    """A markup tag, either case, followed by white space or ``>``."""
    return any(len(data) > len(tag) and _upper_ascii(data[:len(tag)]) == tag and (data[len(tag)] in _WS or
                                                                                   data[len(tag)] == 0x3E)
               for tag in tags)


def _shebang(raw: bytes, paths: tuple[str, ...], names: tuple[str, ...], whole_word: bool) -> bool:
    """The first line is ``#!`` then (after white space) one of ``paths``, or ``/usr/bin/env``
    with runs of white space, an optional ``-S``, then one of ``names``; ``whole_word``: the name
    ends there (end of line or white space)."""
    line = raw.split(b"\n", 1)[0]
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.startswith(b"#!"):
        return False
    line = line[2:].lstrip(_WS)

    def ends(rest: bytes) -> bool:
        return not whole_word or not rest or rest[0] in _WS

    for path in paths:
        if line.startswith(path.encode()) and ends(line[len(path):]):
            return True
    if not line.startswith(b"/usr/bin/env") or line[12:13] == b"" or line[12] not in _WS:
        return False
    rest = line[12:].lstrip(_WS)
    for lead in (b"", b"-S"):
        if lead:
            if not rest.startswith(lead) or rest[2:3] == b"" or rest[2] not in _WS:
                continue
            candidate = rest[2:].lstrip(_WS)
        else:
            candidate = rest
        for name in names:
            if candidate.startswith(name.encode()) and ends(candidate[len(name):]):
                return True
    return False


# --- JSON -----------------------------------------------------------------------------------

_BAD, _END = "bad", "end"  # a scan stops at a byte no JSON text holds there, or at the input's end


def _json_scan(data: bytes) -> tuple[str, int]:
    """One JSON value with the space around it, in the grammar the detector reads (numbers may
    lead with ``.`` or zeros, strings may hold control bytes, a ``,`` may come before a closing
    bracket): ``("ok", end)``, or where it stopped (``_BAD`` or ``_END``) and at which byte."""
    n = len(data)
    closers: list[int] = []
    i = 0
    state = "value"  # value | after | first-or-close | key-or-close
    while True:
        while i < n and data[i] in _JSON_WS:
            i += 1
        if i >= n:
            return (_END, i) if state != "after" or closers else ("ok", i)
        c = data[i]
        if state == "after":
            if not closers:
                return "ok", i
            if c == 0x2C:
                i += 1
                state = "key-or-close" if closers[-1] == 0x7D else "first-or-close"
                continue
            if c != closers[-1]:
                return _BAD, i
            closers.pop()
            i += 1
            continue
        if state in ("first-or-close", "key-or-close") and c == closers[-1]:
            closers.pop()
            i += 1
            state = "after"
            continue
        if state == "key-or-close":
            if c != 0x22:
                return _BAD, i
            stop, i = _json_string(data, i + 1)
            if stop:
                return stop, i
            while i < n and data[i] in _JSON_WS:
                i += 1
            if i >= n:
                return _END, i
            if data[i] != 0x3A:
                return _BAD, i
            i += 1
            state = "value"
            continue
        # a value
        if c in b"[{":
            closers.append(0x5D if c == 0x5B else 0x7D)
            i += 1
            state = "first-or-close" if c == 0x5B else "key-or-close"
            continue
        if c == 0x22:
            stop, i = _json_string(data, i + 1)
        elif c in b"tfn":
            stop, i = _json_word(data, i, {0x74: b"true", 0x66: b"false", 0x6E: b"null"}[c])
        else:
            stop, i = _json_number(data, i)
        if stop:
            return stop, i
        state = "after"


def _json_string(data: bytes, i: int) -> tuple[str, int]:
    n = len(data)
    while i < n:
        c = data[i]
        i += 1
        if c == 0x22:
            return "", i
        if c != 0x5C:
            continue
        if i >= n:
            return _END, i
        escape = data[i]
        i += 1
        if escape == 0x75:
            for _ in range(4):
                if i >= n:
                    return _END, i
                if data[i] not in b"0123456789abcdefABCDEF":
                    return _BAD, i
                i += 1
        elif escape not in b'"\\/bfnrt':
            return _BAD, i - 1
    return _END, i


def _json_word(data: bytes, i: int, word: bytes) -> tuple[str, int]:
    for expected in word:
        if i >= len(data):
            return _END, i
        if data[i] != expected:
            return _BAD, i
        i += 1
    return "", i


def _json_number(data: bytes, i: int) -> tuple[str, int]:
    n = len(data)

    def digits(at: int) -> int:
        while at < n and 0x30 <= data[at] <= 0x39:
            at += 1
        return at

    start = i
    if data[i] == 0x2D:
        i += 1
    j = digits(i)
    seen = j > i
    if j < n and data[j] == 0x2E:
        k = digits(j + 1)
        seen, j = seen or k > j + 1, k
    if j >= n:
        return ("", j) if seen else (_END, j)
    if seen and data[j] in b"eE":
        j += 1
        if j < n and data[j] in b"+-":
            j += 1
        k = digits(j)
        if k >= n and k == j:
            return _END, k
        seen, j = k > j, k
    if not seen:
        return _BAD, max(j, start)
    return "", j


def _json_whole(line: bytes) -> bool:
    """The detector's parse took all of ``line``: one value and the space around it (or the
    empty line, or space and a lone opening bracket or quote, which its parser counts as read)."""
    if not line:
        return True
    if line.lstrip(_JSON_WS) in (b"[", b"{", b'"'):
        return True
    stop, end = _json_scan(line)
    return stop == "ok" and end == len(line)


def _json_prefix(line: bytes) -> bool:
    """No byte of ``line`` is wrong for a JSON text that goes on past it."""
    stop, end = _json_scan(line)
    return stop == _END or (stop == "ok" and end == len(line))


def _json_matches(raw: bytes, truncated: bool) -> bool:
    """An object or array: all of the input, or (cut at the read limit) a valid start of one."""
    if not truncated:
        return raw.lstrip(_JSON_WS) in (b"[", b"{") or _json_whole(raw)
    return bool(raw) and _json_prefix(raw)


def _ndjson(raw: bytes) -> bool:
    """Lines of JSON (a blank line passes), at least two, one an object or array; the last line
    may be cut by the read limit."""
    lines, containers = 0, 0
    rest = raw
    while rest:
        line, _, rest = rest.partition(b"\n")
        if line.endswith(b"\r"):
            line = line[:-1]
        if not (_json_prefix(line) if not rest else _json_whole(line)):
            return False
        containers += line.lstrip(_JSON_WS)[:1] in (b"[", b"{")
        lines += 1
    return lines > 1 and containers > 0


# --- CSV and TSV ----------------------------------------------------------------------------

class _Records:
    """Counts the fields of each record as the detector's CSV reader does: ``#`` lines and empty
    lines skipped, quoted fields may span lines, a stray byte after a closing quote is read as
    part of the field."""

    def __init__(self, data: bytes, comma: int) -> None:
        self.rest = data
        self.comma = comma

    def _line(self) -> tuple[bytes, bool]:
        cut = self.rest.find(b"\n")
        line, self.rest = (self.rest, b"") if cut < 0 else (self.rest[:cut + 1], self.rest[cut + 1:])
        if line.endswith(b"\r"):
            return line[:-1], False
        if line.endswith(b"\r\n"):
            return line[:-2], True
        return line, False

    def fields(self) -> int:
        finished = False
        while True:
            line, crlf = self._line()
            if finished:
                return 0
            finished = not self.rest and not line
            if line in (b"", b"\n") or line[0] == 0x23:
                continue
            break
        count = 0
        while True:
            if not line or line[0] != 0x22:
                count += 1
                at = line.find(bytes([self.comma]))
                if at < 0:
                    return count
                line = line[at + 1:]
                continue
            line = line[1:]
            while True:
                at = line.find(b'"')
                if at >= 0:
                    line = line[at + 1:]
                    after = line[0] if line else 0
                    if after == 0x22:
                        line = line[1:]
                    elif after == self.comma:
                        line = line[1:]
                        count += 1
                        break
                    elif line in (b"", b"\n"):
                        return count + 1
                elif line or crlf:
                    line, crlf = self._line()
                else:
                    return count + 1


def _separated(raw: bytes, comma: bytes, truncated: bool) -> bool:
    """At least two records (ten are enough) with the same number of fields, two or more; when
    the input was cut at the read limit, a short last record is forgiven."""
    records = _Records(raw, comma[0])
    width = records.fields()
    if width < 2:
        return False
    seen = 1
    while True:
        count = records.fields()
        if count == 0:
            break
        if count != width:
            if truncated and count < width and not records.rest:
                break  # the record the read limit cut
            return False
        seen += 1
        if seen >= 10:
            return True
    return seen >= 2
