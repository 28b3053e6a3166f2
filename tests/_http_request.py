"""One plain HTTP request to a server (``fetch_raw``: its own connection, redirects not followed, a
30 s client timeout), answered as a ``RawReply`` whose body is always the bytes read. Shared by the
tests that send odd requests to ``autocodec serve``; the gateway-vs-Kubo comparisons use
tests/_gateway_http.py, which also checks the body against Content-Length.
"""

from __future__ import annotations

import http.client
import urllib.parse
from dataclasses import dataclass


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch_raw(base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> RawReply:
    """One request on its own connection (no redirects followed), with a client timeout."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return RawReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
