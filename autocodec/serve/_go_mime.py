"""Go's ``mime.TypeByExtension`` on this host, which Kubo's gateway types a file by name with.

Go's tables, built as its ``mime`` package builds them on Unix: its own table first; then the
first shared-mime-info ``globs2`` file found (``/usr/local/share/mime/globs2``,
``/usr/share/mime/globs2``), whose first entry for an extension wins and never replaces Go's
own; only when there is none, the ``mime.types`` files, each entry replacing what came before.
Lines are split as Go's ``bufio.Scanner`` splits them (at LF, one CR before it dropped), a
mime.types line at Go's white space. A type is kept only where Go's ``mime.ParseMediaType``
reads it; a ``text/`` one (case-sensitive, as Go) without a charset is written as Go's
``FormatMediaType`` writes it: lower-cased with ``; charset=utf-8`` (``text/x-iMelody`` is
``text/x-imelody; charset=utf-8``), or empty (no type) where it carries parameters. The lookup
is by the exact extension, then by its lower case.

Invariant: the tables are read once, on first use, and not changed after.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from ._goparse import _TOKEN, parse_media_type

# Go's own table (mime/type.go builtinTypesLower in Go 1.26, which Kubo 0.43.1 is built with:
# go1.26.8), type -> the extensions it names; a type here is never replaced by the host's globs2.
_BUILTIN_BY_TYPE = {
    "application/postscript": "ai eps ps",
    "application/vnd.android.package-archive": "apk",
    "image/apng": "apng",
    "image/avif": "avif",
    "application/octet-stream": "bin com exe",
    "image/bmp": "bmp",
    "text/css; charset=utf-8": "css",
    "text/csv; charset=utf-8": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html; charset=utf-8": "ehtml htm html shtml",
    "message/rfc822": "eml",
    "audio/flac": "flac",
    "image/gif": "gif",
    "application/gzip": "gz",
    "image/vnd.microsoft.icon": "ico",
    "text/calendar; charset=utf-8": "ics",
    "image/jpeg": "jfif jpeg jpg pjp pjpeg",
    "text/javascript; charset=utf-8": "js mjs",
    "application/json": "json",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
    "audio/ogg": "oga ogg opus",
    "video/ogg": "ogv",
    "application/pdf": "pdf",
    "image/png": "png",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/rdf+xml": "rdf",
    "application/rtf": "rtf",
    "image/svg+xml": "svg",
    "text/plain; charset=utf-8": "text txt",
    "image/tiff": "tif tiff",
    "text/vtt; charset=utf-8": "vtt",
    "application/wasm": "wasm",
    "audio/wav": "wav",
    "audio/webm": "webm",
    "image/webp": "webp",
    "text/xml; charset=utf-8": "xbl xml xsl",
    "image/x-xbitmap": "xbm",
    "application/xhtml+xml": "xht xhtml",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
}
_BUILTIN = {f".{extension}": kind for kind, names in _BUILTIN_BY_TYPE.items() for extension in names.split()}
_GLOBS = ("/usr/local/share/mime/globs2", "/usr/share/mime/globs2")
_TYPE_FILES = ("/etc/mime.types", "/etc/apache2/mime.types", "/etc/apache/mime.types", "/etc/httpd/conf/mime.types")


_GO_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
"""Go's ``unicode.IsSpace``, which ``strings.Fields`` splits at (Python's ``str.split`` also
splits at U+001C..U+001F)."""


def _with_charset(kind: str) -> str | None:
    """A type as Go's ``setExtensionType`` stores it ("" is no type), or None where Go's
    ``ParseMediaType`` refuses it (nothing stored)."""
    try:
        _, params = parse_media_type(kind)
    except ValueError:
        return None
    if kind.startswith("text/") and not params.get("charset"):
        # FormatMediaType(kind, {charset: utf-8}): ``kind`` whole must be type/subtype tokens
        return f"{kind.lower()}; charset=utf-8" if _TOKEN.fullmatch(kind[5:]) else ""
    return kind


def _go_lower(text: str) -> str:
    """Go's ``strings.ToLower``: each code point by its simple lower case (``İ`` is ``i``, a
    final ``Σ`` is ``σ``; Python's ``str.lower`` writes ``i̇`` and ``ς``), a byte that is not
    UTF-8 (a surrogate escape) as U+FFFD."""
    if text.isascii():
        return text.lower()
    return "".join("i" if char == "\u0130" else "\ufffd" if "\udc80" <= char <= "\udcff" else char.lower()
                   for char in text)


def _read(path: str) -> list[str] | None:
    """The lines of ``path`` as Go's ``bufio.Scanner`` gives them, or None where it cannot be read."""
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(exact, lower-cased) extension -> type, as Go builds ``mimeTypes`` and ``mimeTypesLower``."""
    exact, lower = dict(_BUILTIN), dict(_BUILTIN)

    def store(extension: str, kind: str) -> None:
        stored = _with_charset(kind)
        if stored is not None:
            exact[extension] = stored
            lower[_go_lower(extension)] = stored

    for path in _GLOBS:
        lines = _read(path)
        if lines is None:
            continue
        for line in lines:  # weight:type:glob[:flags], heaviest first
            fields = line.split(":")
            if len(fields) < 3 or not fields[0] or len(fields[2]) < 3 or fields[0][0] == "#" \
                    or not fields[2].startswith("*."):
                continue
            extension = fields[2][1:]
            if any(ch in extension for ch in "?*[") or extension in exact:
                continue
            store(extension, fields[1])
        return exact, lower
    for path in _TYPE_FILES:
        for line in _read(path) or ():
            words = [word for word in _GO_SPACE.split(line) if word]
            if len(words) <= 1 or words[0].startswith("#"):
                continue
            for extension in words[1:]:
                if extension.startswith("#"):
                    break
                store("." + extension, words[0])
    return exact, lower


def type_by_extension(extension: str) -> str | None:
    """The type Go's ``mime.TypeByExtension(extension)`` gives on this host (``extension`` with
    its dot), or None."""
    exact, lower = _tables()
    if extension in exact:  # Go answers the exact hit, even an empty one, before the lower case
        return exact[extension] or None
    return lower.get(_go_lower(extension)) or None
