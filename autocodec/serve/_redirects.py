"""A site's ``_redirects`` file, read and applied as Kubo v0.43.1's gateway does.

Specification: specs.ipfs.tech, "Web _redirects File Specification" (IPIP-0002); where it
leaves room, Kubo's reading (boxo's gateway, the go-ipfs-redirects-file parser, the urlpath
matcher, Go's ``bufio.Scanner`` and ``http.Redirect``) is followed; ``tests/test_redirects_kubo.py``
compares the answers with Kubo's.

- The file is ``_redirects`` at the root of the content path (``/ipfs/{root}/_redirects``) and
  is read only for a request on an origin of its own (the subdomain gateway, a DNSLink host),
  only for a path that does not exist, and only for a web answer (no ``format``).
- Lines are ``from to [status]``: ``from`` an absolute path whose segments may be ``:name``
  placeholders and whose last may be ``*`` (the splat); ``to`` an absolute path or an
  ``http``, ``https``, ``ipfs`` or ``ipns`` URL where ``:name`` and ``:splat`` are replaced;
  the status one of ``STATUSES`` (301 when left out). Empty lines and ``#`` comments are
  skipped. The first rule that matches wins.
- A file over ``MAX_BYTES`` (64 KiB), a line past the scanner's buffer, a malformed line, a
  forced rule (``200!``) or a ``_redirects`` that is no file is an error (``RedirectsError``,
  Kubo's words), answered 500. A 64 KiB file holds at most a few thousand rules, so matching
  one request is bounded.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

from .._gotext import go_quote

MAX_BYTES = 65536
STATUSES = frozenset({200, 301, 302, 303, 307, 308, 404, 410, 451})
ERROR_PAGES = frozenset({404, 410, 451})
_FIRST_BUFFER = 4096  # Go's bufio.Scanner: its first buffer, doubled up to MAX_BYTES
_TO_SCHEMES = frozenset({"http", "https", "ipfs", "ipns"})
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class RedirectsError(Exception):
    """A ``_redirects`` file Kubo refuses; ``str()`` is Kubo's message."""


@dataclass(frozen=True)
class Rule:
    """One line: ``source`` (the ``from`` path), ``to`` and ``status``."""

    source: str
    to: str
    status: int


def parse(data: bytes) -> list[Rule]:
    """The rules of a ``_redirects`` file, in order; ``RedirectsError`` as Kubo refuses it
    (the size limit is checked as Go's scanner meets it, so a malformed line read first wins)."""
    rules = []
    for raw, over in _scanned_lines(data):
        if over:
            raise RedirectsError(f"redirects file size cannot exceed {MAX_BYTES} bytes")
        line = _go_trim(raw.decode("utf-8", "surrogateescape"))
        if not line or line.startswith("#"):
            continue
        fields = _go_fields(line)
        if len(fields) <= 1:
            raise RedirectsError("missing 'to' path")
        if len(fields) > 3:
            raise RedirectsError("must match format 'from to [status]'")
        source = _checked(fields[0], _from_error(fields[0]), "from")
        to = _checked(fields[1], _to_error(fields[1]), "to")
        rules.append(Rule(source, to, _status(fields[2]) if len(fields) == 3 else 301))
    return rules


def first_match(rules: list[Rule], url_path: str) -> tuple[Rule, str] | None:
    """The first rule matching ``url_path`` (the decoded path below the root, ``/a/b``, no
    trailing slash) and its ``to`` with the placeholders filled; None when none matches."""
    for rule in rules:
        found = _match(rule.source.removesuffix("/"), url_path)
        if found is not None:
            params, splat = found
            to = rule.to
            for name in sorted(params, key=len, reverse=True):  # Go's order is a map's: any
                to = to.replace(":" + name, params[name])
            return rule, to.replace(":splat", splat)
    return None


def _match(pattern: str, path: str) -> tuple[dict[str, str], str] | None:
    """urlpath's ``Match``: each ``/``-separated segment equal, or taken by a ``:name``; a last
    ``*`` takes the rest (at least one more segment, maybe empty)."""
    segments = pattern.split("/")
    trailing = segments[-1] == "*"
    if trailing:
        segments.pop()
    params: dict[str, str] = {}
    rest = path
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        cut = rest.find("/")
        if cut < 0:
            if not last or trailing:
                return None
            head, rest = rest, ""
        else:
            if last and not trailing:
                return None
            head, rest = rest[:cut], rest[cut + 1:]
        if segment.startswith(":"):
            params[segment[1:]] = head
        elif head != segment:
            return None
    return params, rest


def _scanned_lines(data: bytes) -> Iterator[tuple[bytes, bool]]:
    """Lines as Go's ``bufio.Scanner`` (``ScanLines``: ``\\n`` ends a line, one ``\\r`` before
    it is dropped) gives them from an ``io.LimitedReader`` of ``MAX_BYTES + 1`` bytes, each
    with whether the limit was reached by then; ``RedirectsError`` for a line longer than
    the scanner's largest buffer."""
    src = data[:MAX_BYTES + 1]
    token = base = read = size = 0  # next line's offset, the buffer's, bytes read, buffer size
    eof = False
    while True:
        if read > token or eof:
            cut = src.find(b"\n", token, read)
            if cut >= 0 or (eof and read > token):
                end = cut if cut >= 0 else read
                line = src[token:end]
                token = end + 1 if cut >= 0 else read
                yield (line[:-1] if line.endswith(b"\r") else line), read > MAX_BYTES
                continue
            if eof:
                return
        if token > base and (read - base == size or token - base > size // 2):
            base = token  # the scanner moves the unread bytes to its buffer's start
        if read - base == size:
            if size >= MAX_BYTES:
                raise RedirectsError("bufio.Scanner: token too long")
            size, base = min(size * 2 or _FIRST_BUFFER, MAX_BYTES), token
        count = min(size - (read - base), len(src) - read)
        eof = count == 0
        read += count


def _go_trim(text: str) -> str:
    """``strings.TrimSpace``: Go's white space, not Python's (``\\x1c``-``\\x1f`` stay)."""
    start, end = 0, len(text)
    while start < end and _is_go_space(text[start]):
        start += 1
    while end > start and _is_go_space(text[end - 1]):
        end -= 1
    return text[start:end]


def _go_fields(text: str) -> list[str]:
    """``strings.Fields``: the runs of characters that are not Go white space."""
    fields, current = [], ""
    for char in text:
        if _is_go_space(char):
            if current:
                fields.append(current)
            current = ""
        else:
            current += char
    return [*fields, current] if current else fields


def _is_go_space(char: str) -> bool:
    return char in _GO_SPACE or (char > "\xff" and char.isspace())


def _checked(value: str, error: str | None, part: str) -> str:
    if error is not None:
        raise RedirectsError(f"parsing '{part}': {error}")
    return value


def _from_error(text: str) -> str | None:
    """Why go-ipfs-redirects-file refuses a ``from`` path, or None."""
    stars = text.count("*")
    if stars and not text.endswith("*"):
        return "path must end with asterisk"
    if stars > 1:
        return "path can have at most one asterisk"
    if (error := _url_error(text)) is not None:
        return error
    return None if text.startswith("/") else "path must begin with '/'"


def _to_error(text: str) -> str | None:
    """Why it refuses a ``to`` path or URL, or None."""
    if (error := _url_error(text)) is not None:
        return error
    if not text.startswith("/") and _scheme(text).lower() not in _TO_SCHEMES:
        return "invalid URL scheme"
    return None


def _url_error(text: str) -> str | None:
    """The commonest refusals of Go's ``url.Parse``, in its words (control characters, a
    malformed %-escape, a scheme that is none)."""
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if any(c < " " or c == "\x7f" for c in text):
        return f"parse {quoted}: net/url: invalid control character in URL"
    if text.startswith(":"):
        return f"parse {quoted}: missing protocol scheme"
    if (bad := _ESCAPE.search(text.partition("#")[0])) is not None:
        return f"parse {quoted}: invalid URL escape {go_quote(text[bad.start():bad.start() + 3])}"
    if not _scheme(text) and ":" in text.split("/", 1)[0].partition("?")[0].partition("#")[0]:
        return f"parse {quoted}: first path segment in URL cannot contain colon"
    return None


def _scheme(text: str) -> str:
    """Go's ``getScheme``: letters, then letters, digits, ``+-.``, up to a ``:``; else none."""
    for index, char in enumerate(text):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-.") and index:
            continue
        return text[:index] if char == ":" and index else ""
    return ""


def _status(text: str) -> int:
    """The status field as go-ipfs-redirects-file reads it (``strconv.Atoi``, then the list)."""
    if text.endswith("!"):
        raise RedirectsError(f'parsing status "{text}": forced redirects (or "shadowing") are not supported')
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise RedirectsError(f'parsing status "{text}": strconv.Atoi: parsing "{text}": invalid syntax')
    code = int(text)
    if not -(2 ** 63) <= code < 2 ** 63:
        raise RedirectsError(f'parsing status "{text}": strconv.Atoi: parsing "{text}": value out of range')
    if code not in STATUSES:
        raise RedirectsError(f'parsing status "{text}": status code {code} is not supported')
    return code


# --- the redirect itself (Go's net/http and net/url, as boxo calls them) -----------------------

_QUERY_SAFE = "-_.~"  # Go's QueryEscape keeps letters, digits and these; a space is "+"


def location(to: str, raw_query: str) -> str:
    """The ``Location`` of a redirect to ``to`` for a request with ``raw_query``: the
    request's query merged after ``to``'s (keys sorted, as Go's ``Values.Encode``), then
    cleaned as Go's ``http.Redirect`` cleans a path (``go_redirect`` escapes it for the header)."""
    if raw_query:
        to = _with_query(to, raw_query)
    if not _scheme(to) and not to.startswith("//"):
        path, sep, query = to.partition("?")
        cleaned = _go_clean(path)
        to = (cleaned + "/" if path.endswith("/") and not cleaned.endswith("/") else cleaned) + sep + query
    return to


def _with_query(to: str, raw_query: str) -> str:
    """``to`` re-written as Go's ``URL.String`` with the merged query."""
    head, _, fragment = to.partition("#")
    base, _, own = head.partition("?")
    pairs = _go_query(own) + _go_query(raw_query)
    order = sorted({key for key, _ in pairs})
    encoded = "&".join(f"{_query_escape(key)}={_query_escape(value)}" for key in order
                       for name, value in pairs if name == key)
    from ._paths import _PATH_SAFE, _VALID_ENCODED

    scheme = _scheme(base)
    prefix, path = "", base
    if scheme and base[len(scheme):].startswith("://"):
        rest = base[len(scheme) + 3:]
        cut = rest.find("/")
        prefix, path = (base, "") if cut < 0 else (base[:len(scheme) + 3 + cut], rest[cut:])
    elif scheme:
        prefix, path = base[:len(scheme) + 1], base[len(scheme) + 1:]
    if not all(c in _VALID_ENCODED for c in path):
        path = urllib.parse.quote(urllib.parse.unquote_to_bytes(path), safe=_PATH_SAFE)
    return prefix + path + (f"?{encoded}" if encoded else "") + (f"#{fragment}" if fragment else "")


def _go_query(text: str) -> list[tuple[str, str]]:
    """``url.ParseQuery``'s pairs, in order (a pair that does not decode is skipped)."""
    pairs = []
    for part in text.split("&"):
        if not part or ";" in part:
            continue
        key, _, value = part.partition("=")
        if _ESCAPE.search(key) or _ESCAPE.search(value):
            continue
        pairs.append((urllib.parse.unquote_plus(key, errors="surrogateescape"),
                      urllib.parse.unquote_plus(value, errors="surrogateescape")))
    return pairs


def _query_escape(text: str) -> str:
    return urllib.parse.quote_plus(text, safe=_QUERY_SAFE, errors="surrogateescape")


def _go_clean(path: str) -> str:
    """Go's ``path.Clean`` (``/a/../b/./c`` is ``/b/c``; empty is ``.``)."""
    import posixpath

    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


__all__ = ["ERROR_PAGES", "MAX_BYTES", "STATUSES", "RedirectsError", "Rule", "first_match", "location", "parse"]
