"""Content paths and URIs as text, read and written as Go and boxo (Kubo v0.43.1's gateway) do.

Its one job: the characters a path keeps or escapes (``_PATH_SAFE``, ``_PATH_SEGMENT_SAFE``,
``_VALID_ENCODED``, ``_BAD_ESCAPE``), cleaning a path (``_clean``), decoding a request's
content path to its bytes (``content_path``), and writing a path back for a page, an href or an
``Ipfs-Uri`` header (``shown``, ``href_path``, ``ipfs_uri``, ``content_uri``). Nothing here
reads a block or decides an answer.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse

from aiohttp import web

from ..cid import CID

_PATH_SEGMENT_SAFE = "$&+:=@"
"""What Go's ``url.PathEscape`` leaves as it is besides letters, digits and ``-._~``."""
_PATH_SAFE = "/$&+,:;=@"
"""What Go's ``url.URL.EscapedPath`` leaves as it is besides letters, digits and ``-._~``."""
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_VALID_ENCODED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@!'()*[]%")
"""What Go's ``validEncoded`` takes in a path as sent (else the decoded path is escaped again)."""
_ALL_VALID_ENCODED = re.compile(r"[A-Za-z0-9\-_.~$&+,/:;=@!'()*\[\]%]*")
"""Matches (``fullmatch``) a text of ``_VALID_ENCODED`` characters only, without a loop in Python."""


def _clean(path: str) -> str:
    """``path`` as Go's ``cleanPath`` (and ``http.Redirect``) leave it: no ``.``, ``..`` or
    empty segments, rooted, a trailing slash kept."""
    clean = "/" + posixpath.normpath(path).lstrip("/")
    return clean + "/" if path.endswith("/") and clean != "/" else clean


_URI_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def content_path(request: web.Request, prefix: str = "/ipfs/") -> str:
    """The path after ``prefix`` with its escapes decoded to bytes, as Go's ``PathUnescape``
    gives them to Kubo, and the bytes that are not UTF-8 kept as surrogate escapes (PEP 383),
    as DAG-PB names that are not UTF-8 are read (``builtin._dagpb``): such a name is reached
    byte for byte. (aiohttp's own decoding leaves such an escape as its text.)"""
    raw = request.raw_path.partition("?")[0]
    if not raw.startswith(prefix):  # an escaped prefix: aiohttp's reading of it
        return str(request.match_info["path"])
    return urllib.parse.unquote(raw[len(prefix):], errors="surrogateescape")


def shown(text: str) -> str:
    """``text`` for display: each byte that is not UTF-8 (a surrogate escape) as U+FFFD."""
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def href_path(segments: "tuple[str, ...] | list[str]") -> str:
    """Path segments as an href: each percent-encoded as its bytes (escaped ones included)."""
    return "/".join(urllib.parse.quote(seg, safe=_PATH_SEGMENT_SAFE, errors="surrogateescape") for seg in segments)


def ipfs_uri(root: CID, raw_path: str) -> str | None:
    """The ``Ipfs-Uri`` header of the content path sent as ``raw_path`` (IPIP-0548, as boxo
    writes it): ``ipfs://``, the root as CIDv1 in base32, then the path's segments after the
    root, decoded and cleaned as boxo cleans a content path, each percent-encoded but for RFC
    3986 unreserved bytes, the trailing slash kept; None past 8192 characters."""
    return content_uri(f"ipfs://{root.to_v1()}", raw_path)


def content_uri(head: str, raw_path: str) -> str | None:
    """``head`` (``ipfs://CID`` or ``ipns://NAME``) and the segments of ``raw_path`` after its
    namespace and root, as ``ipfs_uri`` writes them; None past 8192 characters."""
    path = urllib.parse.unquote_to_bytes(raw_path).decode("latin-1")  # byte for byte: no UTF-8 is assumed
    segments = _clean(path).encode("latin-1").split(b"/")[3:]  # "", the namespace, the root
    uri = head + "".join("/" + _uri_segment(segment) for segment in segments)
    return uri if len(uri) <= 8192 else None


def _uri_segment(segment: bytes) -> str:
    if segment in (b".", b".."):
        return "%2E" * len(segment)
    return "".join(chr(b) if chr(b) in _URI_UNRESERVED else f"%{b:02X}" for b in segment)
