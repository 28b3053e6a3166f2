"""HTTP ``Range`` and conditional requests, read as Kubo v0.43.1 reads them: boxo's syntax
check of a ``Range`` header (``parseRangeWithoutLength``, a 400), then Go's content server
(``parseRange`` against the size, a 416; ``checkPreconditions``, RFC 9110 13.2.2: a 304 or 412,
and whether ``If-Range`` lets a range apply).

Its one job: deciding from a request's headers which bytes to send and with what status; the
answers' bodies are the gateway's (``_gateway``).
"""

from __future__ import annotations

from aiohttp import web

from ._gateway_error import GatewayError
from ._goparse import etag_listed, parse_http_time, parse_int64, scan_etag


class UnsatisfiableRange(GatewayError):
    """A 416 because every range starts past the end of the content (answered with
    ``Content-Range: bytes */size``, as Go's content server answers it)."""


def parse_range(header: str, size: int, *, head: bool = False) -> tuple[int, int] | None:
    """The span a ``Range`` header asks of content of ``size`` bytes, read as Kubo v0.43.1
    reads it: the inclusive offsets of the first range that overlaps the content
    (``(size, size - 1)``, no bytes, for a zero-length suffix), or None for all of it (no
    range left, ranges longer together than the content).

    Two readers in turn, as in Kubo: on GET, boxo first checks the syntax of every element
    (``parseRangeWithoutLength``; a malformed header is a 400); then Go's content server
    (``parseRange``, GET and HEAD) reads it against the size, skipping an element that starts
    past the end before its end is read: what it cannot read is a 416, and ranges that all
    start past the end an ``UnsatisfiableRange`` (unless the content is empty: all of it). On
    GET, a suffix first in the header of empty content is all of it, where Kubo's is a 500."""
    if not head:
        check_range_syntax(header)
    elements = _range_elements(header)
    if elements is None:
        raise GatewayError(416, "invalid range")
    spans: list[tuple[int, int]] = []
    past_end = False
    for index, (start, end) in enumerate(elements):
        if not start:  # a suffix: the last ``end`` bytes
            count = _suffix_count(end)
            if count is None:
                raise GatewayError(416, "invalid range")
            if not size and count and not head and not index:
                # Kubo's 500 (boxo seeks to the first range first): no bytes to name, all of it;
                # later in the header, and on HEAD, Go's content server's ``0--1/0``, as Kubo's
                return None
            spans.append((size - min(count, size), size - 1))
            continue
        first = parse_int64(start)
        if first is None or first < 0:
            raise GatewayError(416, "invalid range")
        if first >= size:
            past_end = True
            continue
        last = parse_int64(end) if end else size - 1
        if last is None or first > last:
            raise GatewayError(416, "invalid range")
        spans.append((first, min(last, size - 1)))
    if past_end and not spans and size:
        raise UnsatisfiableRange(416, "invalid range: failed to overlap")  # Go's errNoOverlap, Kubo's text
    if not spans or sum(end - start + 1 for start, end in spans) > size:
        return None
    return spans[0]


def check_range_syntax(header: str) -> None:
    """boxo's ``parseRangeWithoutLength``: every element of a ``bytes=`` header well formed (a
    suffix of a non-negative count, int64 offsets, an end not before its start), else a 400."""
    elements = _range_elements(header)
    if elements is None or not all(_well_formed(start, end) for start, end in elements):
        raise GatewayError(400, "invalid range request: invalid range")


def _defaults_range_check(request: web.Request) -> None:
    """boxo's ``serveDefaults`` (a GET with no format: files, listings, redirects, blocks as
    stored) reads the ``Range`` syntax before the path: a malformed one is a 400 there, not the
    404, 301, 501 or listing the path would give (a HEAD is not checked)."""
    if request.method == "GET" and request.headers.get("Range"):
        check_range_syntax(request.headers["Range"])


_HTTP_SPACE = " \t"


def _suffix_count(end: str) -> int | None:
    """The byte count of a suffix element (``-end``), or None (Go takes no sign of its own)."""
    return parse_int64(end) if end[:1] not in ("", "-") else None


def _range_elements(header: str) -> list[tuple[str, str]] | None:
    """The trimmed ``(start, end)`` texts of a ``bytes=`` header's non-empty elements (the unit
    is case-sensitive); None when it is not one or an element has no ``-``."""
    if not header.startswith("bytes="):
        return None
    out = []
    for part in header[6:].split(","):
        if part := part.strip(_HTTP_SPACE):
            start, sep, end = part.partition("-")
            if not sep:
                return None
            out.append((start.strip(_HTTP_SPACE), end.strip(_HTTP_SPACE)))
    return out


def _well_formed(start: str, end: str) -> bool:
    """Whether boxo's ``parseRangeWithoutLength`` takes the element: a suffix of a non-negative
    count, or int64 offsets with the end (if any) non-negative and not before the start."""
    if not start:
        return _suffix_count(end) is not None
    first = parse_int64(start)
    if first is None or not end:
        return first is not None
    last = parse_int64(end)
    return last is not None and 0 <= last and first <= last


def _preconditions(request: web.Request, headers: dict[str, str],
                   modtime: int | None) -> tuple[web.Response | None, bool]:
    """The conditional headers of a file request, decided as Go's ``checkPreconditions``
    (RFC 9110 13.2.2), which Kubo's content server runs: a 412 (``If-Match``, else
    ``If-Unmodified-Since``, fails) or a 304 (``If-None-Match`` names the ETag, else
    ``If-Modified-Since`` is not before ``modtime``), or None and whether a ``Range`` header
    still applies (no ``If-Range``, or one naming the ETag strongly or ``modtime`` exactly; with no
    ``modtime``, the Unix epoch, the time boxo gives Go's content server then, which Go's ``checkIfRange``
    compares as any other)."""
    etag, asked = headers["Etag"], request.headers
    passed = etag_listed(asked["If-Match"], etag, weak=False) if asked.get("If-Match") else None
    since = parse_http_time(asked.get("If-Unmodified-Since", ""))
    if passed is None and since is not None and modtime is not None:
        passed = modtime <= since
    if passed is False:  # the 200's headers but Accept-Ranges, which Go's content server sets later
        return web.Response(status=412, headers={k: v for k, v in headers.items() if k != "Accept-Ranges"}), False
    if asked.get("If-None-Match"):
        fresh = etag_listed(asked["If-None-Match"], etag, weak=True)
    else:
        since = parse_http_time(asked.get("If-Modified-Since", ""))
        fresh = since is not None and modtime is not None and modtime <= since
    if fresh:  # no representation metadata on a 304, no Last-Modified beside an ETag, no Accept-Ranges yet
        return web.Response(status=304, headers={k: v for k, v in headers.items()
                                                 if k not in ("Last-Modified", "Accept-Ranges")}), False
    if "Range" not in asked:
        return None, False
    if_range = asked.get("If-Range", "")
    if not if_range:
        return None, True
    tag, _ = scan_etag(if_range)
    if tag:
        return None, tag == etag and tag[0] == '"'
    return None, parse_http_time(if_range) == (0 if modtime is None else modtime)  # none: Kubo's epoch


def _asked_span(request: web.Request, headers: dict[str, str], size: int, ranged: bool,
                head_syntax: bool = False) -> tuple[tuple[int, int] | None, int] | web.Response:
    """The inclusive span of ``size`` bytes to send and the status: all of it (None when empty)
    and 200, or the span a ``Range`` header asks (``ranged``: ``_preconditions`` let it apply)
    and 206 with ``Content-Range`` set in ``headers``; a 416 response when it cannot be met."""
    span: tuple[int, int] | None = (0, size - 1) if size else None
    if not ranged:
        return span, 200
    try:
        asked = parse_range(request.headers["Range"], size, head=request.method == "HEAD" and not head_syntax)
    except GatewayError as exc:
        if exc.status != 416:
            raise
        if isinstance(exc, UnsatisfiableRange):
            headers["Content-Range"] = f"bytes */{size}"
        headers.pop("Accept-Ranges", None)  # Go's content server names it only with content; its error is nosniff
        return web.Response(status=416, text=exc.text + "\n", headers={**headers, "X-Content-Type-Options": "nosniff"})
    if asked is None:
        return span, 200
    headers["Content-Range"] = f"bytes {asked[0]}-{asked[1]}/{size}"
    return asked, 206


def not_modified(request: web.Request, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2) or ``*``, read as
    Go reads the list."""
    return etag_listed(request.headers.get("If-None-Match", ""), etag, weak=True)
