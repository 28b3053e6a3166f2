"""Go's ``mime.TypeByExtension`` on this host, which Kubo's gateway types a file by name with.

Go's tables, built as its ``mime`` package builds them on Unix: its own table first; then the
first shared-mime-info ``globs2`` file found (``/usr/local/share/mime/globs2``,
``/usr/share/mime/globs2``), whose first entry for an extension wins and never replaces Go's
own; only when there is none, the ``mime.types`` files, each entry replacing what came before.
A text type without a charset gets ``charset=utf-8``. The lookup is by the exact extension,
then by its lower case.

Invariant: the tables are read once, on first use, and not changed after.
"""

from __future__ import annotations

import functools
from pathlib import Path

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


def _with_charset(kind: str) -> str | None:
    """A type as Go's ``setExtensionType`` stores it, or None where it cannot read it."""
    bare = kind.partition(";")[0].strip()
    major, slash, minor = bare.partition("/")
    if not (major and slash and minor) or any(ch in bare for ch in " \t\"()<>@,:\\[]?="):
        return None
    if bare.lower().startswith("text/") and "charset=" not in kind.lower():
        return f"{kind}; charset=utf-8"
    return kind


def _read(path: str) -> list[str] | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return None


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(exact, lower-cased) extension -> type, as Go builds ``mimeTypes`` and ``mimeTypesLower``."""
    exact, lower = dict(_BUILTIN), dict(_BUILTIN)

    def store(extension: str, kind: str) -> None:
        stored = _with_charset(kind)
        if stored is not None:
            exact[extension] = stored
            lower[extension.lower()] = stored

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
            words = line.split()
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
    return exact.get(extension) or lower.get(extension.lower())
