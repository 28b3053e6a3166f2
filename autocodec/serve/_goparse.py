"""Request values read as Go's standard library reads them in Kubo's gateway (boxo).

Where a request is malformed, what Kubo answers is decided by these readers, not by the
gateway spec; the gateway uses them so that its answers to malformed requests are Kubo's:
- ``parse_int64``: ``strconv.ParseInt(text, 10, 64)`` (``autocodec._goint``, shared with path
  indexes);
- ``parse_media_type``: ``mime.ParseMediaType`` for one ``Accept`` element (a lower-cased
  ``type/subtype``, then ``; key=value`` parameters with token or quoted values; a duplicate
  name with a different value, or a parameter that does not parse, is an error; a trailing
  ``;`` is not; RFC 2231 continuations are kept as the keys they are);
- ``parse_http_time``: ``http.ParseTime`` (RFC 1123 with GMT, RFC 850, asctime);
- ``etag_listed``: the loop of Go's ``checkIfMatch``/``checkIfNoneMatch`` over an ETag list
  (``*`` matches, a malformed element ends the list).
All are pure functions of their text.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .._goint import parse_int64

__all__ = ["etag_listed", "parse_http_time", "parse_int64", "parse_media_type", "scan_etag"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+")
"""RFC 2045 token characters: Go's ``isTokenChar`` (ASCII above space, below DEL, no tspecials)."""
_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
_SPACE = " \t\r\n\v\f"


def parse_media_type(text: str) -> tuple[str, dict[str, str]]:
    """The lower-cased media type and parameters (keys lower-cased) of ``text``;
    ``ValueError`` with Go's message where ``mime.ParseMediaType`` fails."""
    base = text.partition(";")[0]
    media = base.strip(_SPACE).lower()
    _check_media_type(media)
    params: dict[str, str] = {}
    rest = text[len(base):]
    while rest := rest.lstrip(_SPACE):
        parsed = _media_param(rest)
        if parsed is None:
            if rest.strip(_SPACE) == ";":
                break  # a trailing semicolon is not an error
            raise ValueError("mime: invalid media parameter")
        key, value, rest = parsed
        if params.get(key, value) != value:
            raise ValueError("mime: duplicate parameter name")
        params[key] = value
    return media, params


def _check_media_type(media: str) -> None:
    kind = _TOKEN.match(media)
    if kind is None:
        raise ValueError("mime: no media type")
    rest = media[kind.end():]
    if not rest:
        return
    if not rest.startswith("/"):
        raise ValueError("mime: expected slash after first token")
    sub = _TOKEN.match(rest, 1)
    if sub is None:
        raise ValueError("mime: expected token after slash")
    if sub.end() != len(rest):
        raise ValueError("mime: unexpected content after media subtype")


def _media_param(text: str) -> tuple[str, str, str] | None:
    """``; key=value`` at the start of ``text``: key (lower-cased), value, what follows."""
    rest = text.lstrip(_SPACE)
    if not rest.startswith(";"):
        return None
    rest = rest[1:].lstrip(_SPACE)
    key = _TOKEN.match(rest)
    if key is None:
        return None
    rest = rest[key.end():].lstrip(_SPACE)
    if not rest.startswith("="):
        return None
    rest = rest[1:].lstrip(_SPACE)
    if rest.startswith('"'):
        quoted = _quoted(rest)
        return None if quoted is None else (key.group().lower(), *quoted)
    value = _TOKEN.match(rest)
    if value is None:
        return None
    return key.group().lower(), value.group(), rest[value.end():]


def _quoted(text: str) -> tuple[str, str] | None:
    """A quoted string at the start of ``text`` and what follows, as Go's ``consumeValue``
    reads it: a backslash escapes only a tspecial (else it is itself), CR or LF or no closing
    quote fail."""
    out: list[str] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), text[i + 1:]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _TSPECIALS:
            out.append(text[i + 1])
            i += 2
            continue
        if char in "\r\n":
            return None
        out.append(char)
        i += 1
    return None


_HTTP_TIME_FORMATS = ("%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y")


def parse_http_time(text: str) -> int | None:
    """An HTTP date as Unix seconds, read as Go's ``http.ParseTime`` reads it, or None (an
    empty text, as most requests' absent header is read, at once: no format matches it)."""
    if not text:
        return None
    for form in _HTTP_TIME_FORMATS:
        try:
            return int(datetime.strptime(text, form).replace(tzinfo=timezone.utc).timestamp())
        except ValueError:
            continue
    return None


def scan_etag(text: str) -> tuple[str, str]:
    """The ETag (``"..."`` or ``W/"..."``) at the start of ``text`` and what follows, or
    ``("", "")`` where none is (Go's ``scanETag``)."""
    text = text.strip(_SPACE)
    start = 2 if text.startswith("W/") else 0
    if len(text) - start < 2 or text[start] != '"':
        return "", ""
    for i in range(start + 1, len(text)):
        code = ord(text[i])
        if code == 0x22:
            return text[:i + 1], text[i + 1:]
        if not (code == 0x21 or 0x23 <= code <= 0x7E or code >= 0x80):
            return "", ""
    return "", ""


def etag_listed(header: str, etag: str, *, weak: bool) -> bool:
    """Whether the ETag list ``header`` holds ``*`` or ``etag`` (weak comparison: ``W/`` aside;
    strong: equal and not weak), read element by element until one does not parse."""
    rest = header
    while rest := rest.strip(_SPACE):
        if rest[0] == ",":
            rest = rest[1:]
            continue
        if rest[0] == "*":
            return True
        tag, rest = scan_etag(rest)
        if not tag:
            break
        if (tag.removeprefix("W/") == etag.removeprefix("W/")) if weak else (tag == etag and tag[0] == '"'):
            return True
    return False
