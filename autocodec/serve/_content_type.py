"""The Content-Type of a UnixFS file served by the gateway: from its name, else from its bytes,
as Kubo v0.43.1 (boxo's mimetype detection from a file's first byte, Go's
``http.DetectContentType`` for a range that starts later) types it.

Its one job: ``content_type_for`` and the sniffing it falls back on (``sniff``).
"""

from __future__ import annotations

from ._detect import detect
from ._go_mime import type_by_extension as go_type_by_extension

_SNIFF = ((b"%PDF-", "application/pdf"), (b"%!PS-Adobe-", "application/postscript"),
          (b"\xfe\xff", "text/plain; charset=utf-16be"), (b"\xff\xfe", "text/plain; charset=utf-16le"),
          (b"\xef\xbb\xbf", "text/plain; charset=utf-8"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"\x1f\x8b\x08", "application/gzip"),
          (b"PK\x03\x04", "application/zip"), (b"\x00asm", "application/wasm"))
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<h1", b"<div",
              b"<font", b"<table", b"<a", b"<style", b"<title", b"<b", b"<br", b"<p", b"<!--")


def sniff(head: bytes) -> str:
    """A content type from the first bytes of a range that does not start at the file's first
    byte, as Go's ``http.DetectContentType`` reads them for Kubo's content server (its common
    signatures, then its text-or-binary rule); from the first byte, ``_detect.detect``."""
    lowered = head.lstrip(b"\t\n\x0c\r ").lower()
    for tag in _HTML_TAGS:
        if lowered.startswith(tag) and lowered[len(tag):len(tag) + 1] in (b" ", b">"):
            return "text/html; charset=utf-8"
    if lowered.startswith(b"<?xml"):
        return "text/xml; charset=utf-8"
    for magic, kind in _SNIFF:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # Go's http.DetectContentType (which Kubo uses): text unless a byte is binary data
    if any(b <= 0x08 or b == 0x0B or 0x0E <= b <= 0x1A or 0x1C <= b <= 0x1F for b in head[:512]):
        return "application/octet-stream"
    return "text/plain; charset=utf-8" if head else "text/plain"  # nothing to sniff: Kubo's bare text/plain


def type_by_file_name(name: str) -> str | None:
    """The type a name's extension gives, as Kubo's ``mime.TypeByExtension(path.Ext(name))`` finds
    it on this host (``_go_mime``): the last extension only (``a.tar.gz`` and ``page.html.gz`` are
    gzip, never tar or HTML). The name is never read as a URL: ``data:text/html,x`` has no
    extension."""
    dot = name.rfind(".")
    if dot < 0 or "/" in name[dot:]:
        return None
    return go_type_by_extension(name[dot:])


def content_type_for(name: str, head: bytes, from_start: bool = False) -> str:
    """Content-Type of a file: from its name's extension when known, else from its bytes: for
    an answer from the file's first byte ``from_start`` (``head``: its first ``_detect.LIMIT``
    bytes) as boxo's mimetype library detects it, else as Go's content server sniffs ``head``."""
    guessed = type_by_file_name(name)
    if guessed is None:
        return detect(head) if from_start else sniff(head)
    if guessed.startswith(("text/html;", "text/html ")):  # boxo leaves the charset of HTML to the browser
        return "text/html"
    return guessed
