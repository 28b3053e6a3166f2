"""A trustless HTTP gateway (IPFS Trustless Gateway spec, specs.ipfs.tech/http-gateways/trustless-gateway/).

One block: ``GET /ipfs/{cid}?format=raw`` with ``Accept: application/vnd.ipld.raw``; a DAG:
``?format=car`` with ``Accept: application/vnd.ipld.car``; an IPNS record: ``GET
/ipns/{name}?format=ipns-record`` with ``Accept: application/vnd.ipfs.ipns-record``. Both the
query and the header are sent, as the spec allows either and some gateways honour only one.

Invariants:
- the gateway is untrusted: bytes are verified by the ``Fetcher``; this module only checks
  that the answer *is* what a trustless gateway sends: a 2xx whose ``Content-Type`` is the
  asked media type. Anything else (a deserialized JSON or HTML page, a 406) is
  ``NotTrustless``, said as such, never reported as a hash mismatch;
- a non-2xx answer whose body starts with one of boxo's ``KNOWN_NOT_FOUND`` texts is
  ``BlockNotFound``, whatever its status, as boxo's HTTP retrieval takes it;
- redirects are never followed (a redirect to another host, a private address or ``file://`` is
  one ``FetchError`` naming where it pointed); a 429 is final for this gateway (``Retry-After``
  is not waited for), a 502/503/504 is retried within the deadline;
- every fetch ends within ``limits.deadline_s`` (all attempts and bytes), no socket operation
  waits more than ``limits.timeout_s``, and bodies are capped (``max_block_bytes`` for a block,
  ``max_car_bytes`` for a CAR, 10 KiB for an IPNS record, which the caller verifies);
- a URL with a user name or password (``https://user:token@host``) is refused without being shown:
  no credentials are ever sent to a gateway, and the URL names the source in every error and log
  record, which ``serve`` passes on to its clients.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .._inputs import need_text, of_type
from ..cid import CID
from ..config import DEFAULT_LIMITS, FetchLimits
from ..errors import BlockNotFound, ConfigError, FetchError, NameNotFound, NotTrustless, SourceUnavailable
from ._base import with_retries
from ._car import check_car_root
from ._http import Deadline, exchange, printable

RAW = "application/vnd.ipld.raw"
CAR = "application/vnd.ipld.car"
IPNS_RECORD = "application/vnd.ipfs.ipns-record"
MAX_IPNS_RECORD_BYTES = 10 * 1024  # the IPNS record spec's limit
KNOWN_NOT_FOUND = (b"ipld: could not find node", b"peer does not have", b"getting pieces containing cid",
                   b"failed to load root node")
"""Error bodies that mean "not found" whatever the status (some gateways send 500 for 404): boxo
v0.43.0's HTTP block retrieval (bitswap/network/httpnet ``isKnownNotFoundError``) reads them so."""


class GatewaySource:
    """Blocks and DAGs from one trustless HTTP gateway."""

    def __init__(self, url: str, *, limits: FetchLimits | None = None) -> None:
        of_type(limits, FetchLimits, "GatewaySource's limits")
        url = need_text(url, "a gateway URL").strip().rstrip("/")
        try:
            parts = urlsplit(url)
            _port = parts.port  # raises on a port out of range
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment
            credentials = "@" in parts.netloc
        except ValueError:
            ok = credentials = False
        if credentials:
            raise ConfigError(f"a gateway URL with a user name or password ({_without_userinfo(url)[:200]!r}): "
                              "credentials are never sent to a gateway, and the URL is shown in errors and logs",
                              hint="give the gateway's URL without user:password@") from None
        if not ok or len(url) > 2048 or not url.isprintable():
            raise ConfigError(f"not a gateway URL: {_without_userinfo(url)[:200]!r}",
                              hint="give a URL like http://127.0.0.1:8080")
        self.url = url
        self.name = f"gateway:{url}"
        self.limits = limits or DEFAULT_LIMITS.fetch

    def _fetch(self, cid: CID | str, fmt: str, media: str, cap: int) -> bytes:
        what = f"{self.name} (?format={fmt})"
        namespace = "ipns" if fmt == "ipns-record" else "ipfs"

        def attempt(deadline: Deadline) -> bytes:
            answer = exchange("GET", f"{self.url}/{namespace}/{cid}?format={fmt}", what=what, deadline=deadline,
                              read_timeout=self.limits.timeout_s, cap=cap, headers={"Accept": media})
            status = answer.status
            if not 200 <= status < 300 and answer.body.startswith(KNOWN_NOT_FOUND):
                raise BlockNotFound(f"{self.name} does not have it (HTTP {status}{_message(answer.body)})")
            if status in (404, 410):
                raise BlockNotFound(f"{self.name} does not have it (HTTP {status})")
            if status == 406:
                raise NotTrustless(f"{self.name} is not a trustless gateway: it refused {media} for {cid} (HTTP 406)")
            if 300 <= status < 400:
                where = printable(answer.headers.get("location", ""), 200)
                raise FetchError(f"{self.name} redirected the request for {cid} (HTTP {status})"
                                 f"{f' to {where}' if where else ''}; redirects are not followed",
                                 hint="give the gateway's final address, or use another gateway")
            if status == 429:
                # Retry-After is not waited for: the fetch's deadline is the bound, the next source is tried
                raise FetchError(f"{self.name} is limiting its request rate (HTTP 429) and did not send {cid}",
                                 hint="try again later, or use another gateway")
            if status in (502, 503, 504):
                # Kubo answers 504 when the block is not found within its own retrieval timeout
                raise SourceUnavailable(f"{self.name} answered HTTP {status} for {cid}{_message(answer.body)}")
            if not 200 <= status < 300:
                raise FetchError(f"{self.name} refused {cid} as {fmt} (HTTP {status}){_message(answer.body)}")
            if answer.content_type != media:
                got = answer.content_type or "no Content-Type"
                raise NotTrustless(f"{self.name} is not a trustless gateway: asked for {cid} as {media} "
                                   f"(?format={fmt}), it answered {got}")
            return answer.body

        return with_retries("", self.limits, attempt)

    def get(self, cid: CID) -> bytes:
        return self._fetch(cid, "raw", RAW, self.limits.max_block_bytes)

    def export_dag(self, root: CID) -> bytes:
        """The CAR of the DAG under ``root``: its header names ``root`` alone, it parses to its end,
        every block hashes to its CID and every linked block is there; blocks the DAG does not
        link are dropped (``check_car_root``)."""
        return check_car_root(self._fetch(root, "car", CAR, self.limits.max_car_bytes), root, self.name)

    def ipns_record(self, name: str) -> bytes:
        """The IPNS record the gateway has for ``name`` (a k51... name; unverified bytes).
        ``NameNotFound`` when it has none: a 404 or 410, or Kubo's 500 "routing: not found"."""
        try:
            return self._fetch(name, "ipns-record", IPNS_RECORD, MAX_IPNS_RECORD_BYTES)
        except BlockNotFound as exc:
            raise NameNotFound(f"{self.name} has no IPNS record of {name} ({exc.message.rpartition('(')[2]}") from None
        except FetchError as exc:
            if type(exc) is not FetchError or "routing: not found" not in exc.message:
                raise
            raise NameNotFound(f"{self.name} found no IPNS record of {name} (routing: not found)") from None


def _message(body: bytes) -> str:
    """The first line of an error body, printable and short ('' if none)."""
    text = body[:300].decode("utf-8", "replace").strip().splitlines()
    line = printable(text[0] if text else "", 200)
    return f": {line}" if line else ""


def _without_userinfo(url: str) -> str:
    """``url`` with what precedes the last ``@`` of its authority shown as ``***`` (plain text
    work: it also serves for URLs ``urlsplit`` refuses)."""
    scheme, sep, rest = url.partition("//")
    if not sep:
        scheme, rest = "", url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    if "@" not in authority:
        return url
    return f"{scheme}{sep}***@{authority.rpartition('@')[2]}{rest[end:]}"
