"""DNSLink: the content path a domain names in its ``_dnslink`` TXT record, read as Kubo reads it.

``/ipns/example.com`` is looked up as the TXT records of ``_dnslink.example.com`` (only there:
boxo dropped the bare-domain fallback) through the resolver ``sources._dns`` chooses for it.
Each value is read as boxo's namesys reads it: a path (``/ipfs/CID...``, ``/ipns/NAME...``), a
bare CID (``/ipfs/CID``), or ``dnslink=`` followed by either; values of any other form, and
paths in any namespace but ``/ipfs/`` and ``/ipns/``, are ignored.

Invariants:
- Exactly one usable value answers; none is a ``DnsLinkError``, more than one a
  ``DnsLinkAmbiguous`` (one of them: Kubo's two errors, told apart by type), and a failed
  lookup a ``DnsError``. Nothing a domain names is trusted further
  than DNS itself: DNSLink is a pointer, and the content under it is verified by CID as always.
- An answer is reused in this process for its TTL (60 s when the resolver gives none, as Kubo's
  namesys cache does), so a server resolving one domain per request asks DNS once per TTL; a
  reused answer carries the TTL it has left (so ``Cache-Control`` never outlives the record).
"""

from __future__ import annotations

import posixpath
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..cid import CID
from ..config import FetchLimits
from ..errors import DnsError, DnsLinkError, InvalidCID
from ..log import get_logger
from ..sources._dns import is_domain_name, lookup_txt

log = get_logger("registry")
DEFAULT_TTL_S = 60  # boxo namesys' DefaultResolverCacheTTL, for answers without a TTL
_CACHE_MAX = 1024


class DnsLinkAmbiguous(DnsLinkError):
    """A domain whose ``_dnslink`` TXT records name more than one content path (boxo's
    ``ErrMultipleDNSLinkRecords``); a ``DnsLinkError`` of any other type found none."""

    hint = "the domain's owner keeps one dnslink= TXT record and removes the others"


@dataclass(frozen=True, slots=True)
class DnsLink:
    """What a domain's DNSLink names, and for how long that answer may be reused."""

    domain: str
    value: str  # /ipfs/CID[/path] or /ipns/NAME[/path], cleaned as boxo's path.NewPath cleans it
    ttl_s: int


class DnsLinks:
    """DNSLink lookups through one map of resolvers, with their answers cached for their TTL."""

    def __init__(self, resolvers: Mapping[str, str], limits: FetchLimits) -> None:
        self.resolvers = dict(resolvers)
        self.limits = limits
        self._cache: dict[str, tuple[DnsLink, float]] = {}
        self._absent: dict[str, float] = {}  # domains without a usable DNSLink, until when
        self._lock = threading.Lock()

    def lookup(self, domain: str) -> DnsLink:
        """The content path ``domain``'s DNSLink names (see the module invariants)."""
        if not is_domain_name(domain):
            raise DnsLinkError(f"not a valid domain name: {domain[:100]!r}")
        key = domain.rstrip(".").lower()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[1] > now:  # the time it has left, as go-doh-resolver's cache answers
            return replace(hit[0], ttl_s=int(hit[1] - now)) if hit[0].ttl_s else hit[0]
        answer = lookup_txt(f"_dnslink.{key}.", self.resolvers, self.limits)
        paths = [p for p in (dnslink_entry(v) for v in answer.values) if p is not None]
        if not paths:
            raise DnsLinkError(f"DNSLink lookup for {key!r} found no TXT record naming /ipfs/ or /ipns/ content "
                               f"at _dnslink.{key}")
        if len(paths) > 1:
            raise DnsLinkAmbiguous(f"DNSLink lookup for {key!r} returned more than one content path "
                                   f"({', '.join(p[:80] for p in paths[:3])})")
        found = DnsLink(key, paths[0], answer.ttl_s)
        log.info("dnslink.lookup", domain=key, value=found.value[:200], ttl_s=found.ttl_s)
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[key] = (found, now + (found.ttl_s or DEFAULT_TTL_S))
        return found


    def has(self, domain: str) -> bool:
        """Whether ``domain`` has a usable DNSLink now; an absence (or a failed lookup) is
        remembered for ``DEFAULT_TTL_S``, so a server asked about a host on every request asks
        DNS about it once a minute."""
        key = domain.rstrip(".").lower()
        now = time.monotonic()
        with self._lock:
            until = self._absent.get(key)
        if until is not None and until > now:
            return False
        try:
            self.lookup(key)
        except (DnsLinkError, DnsError):
            with self._lock:
                if len(self._absent) >= _CACHE_MAX:
                    self._absent.clear()
                self._absent[key] = now + DEFAULT_TTL_S
            return False
        return True


def dnslink_entry(text: str) -> str | None:
    """The ``/ipfs/`` or ``/ipns/`` path one TXT value names, or None (boxo's ``parseEntry``
    followed by its namespace filter)."""
    found = _path(text) or _bare_cid(text)
    if found is None:
        key, sep, rest = text.partition("=")
        if sep and key == "dnslink":
            found = _path(rest) or _bare_cid(rest)
    if found is None or not found.startswith(("/ipfs/", "/ipns/")):
        return None
    return found


def _path(text: str) -> str | None:
    """``text`` as boxo's ``path.NewPath`` takes it (cleaned, its trailing slash kept), or None."""
    if not text.startswith("/"):
        return None
    segments = [s for s in posixpath.normpath(text).split("/") if s]
    if len(segments) < 2:
        return None
    cleaned = "/" + "/".join(segments) + ("/" if text.endswith("/") else "")
    if segments[0] in ("ipfs", "ipld"):
        return cleaned if _cid(segments[1]) is not None else None
    return cleaned if segments[0] == "ipns" else None


def _bare_cid(text: str) -> str | None:
    cid = _cid(text)
    return None if cid is None else f"/ipfs/{cid}"


def _cid(text: str) -> CID | None:
    """``text`` as go-cid's ``cid.Decode`` reads it, or None. ``CID.parse`` forgives whitespace
    around a CID; go-cid does not, so ``dnslink=/ipfs/CID `` (a trailing space, or a tab, which
    go-doh-resolver hands over as ``\\009``) names nothing in Kubo and nothing here."""
    if any(c.isspace() for c in text):
        return None
    try:
        return CID.parse(text)
    except InvalidCID:
        return None


__all__ = ["DEFAULT_TTL_S", "DnsLink", "DnsLinkAmbiguous", "DnsLinks", "dnslink_entry"]
