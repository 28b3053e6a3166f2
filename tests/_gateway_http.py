"""The one HTTP request the gateway comparisons send: ``fetch_checked`` a path from a gateway as it
answers (redirects not followed, an error status kept as a ``CheckedReply`` rather than raised); a body
shorter than its Content-Length is ``None``. ``GatewaySides``: Kubo's gateway and ours, to send one
request to both. Shared by the gateway-vs-Kubo test modules.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass, field


@dataclass
class CheckedReply:
    status: int
    headers: dict[str, str]
    body: bytes | None


def fetch_checked(base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> CheckedReply:
    req = urllib.request.Request(base + path, headers=headers or {}, method=method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kw: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as resp:
            try:
                body: bytes | None = resp.read()
            except http.client.IncompleteRead:
                body = None  # shorter than its Content-Length (a Kubo bug, named where a test meets it)
            return CheckedReply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, body)
    except urllib.error.HTTPError as exc:
        return CheckedReply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@dataclass
class GatewaySides:
    """Kubo's gateway and ``autocodec serve`` at their base URLs, over the same content (``ids``:
    names for its CIDs)."""

    kubo_url: str
    ours_url: str
    ids: dict[str, str] = field(default_factory=dict)

    def both(self, path: str, headers: dict[str, str] | None = None,
             method: str = "GET") -> tuple[CheckedReply, CheckedReply]:
        """Kubo's answer and ours to one request; ``{name}`` in ``path`` is ``ids[name]``."""
        path = path.format(**self.ids)
        return fetch_checked(self.kubo_url, path, headers, method), fetch_checked(self.ours_url, path, headers, method)
