"""IPNS names that pinned sets follow: records fetched, verified here, and never taken backwards.

A set pinned by name (``pin add /ipns/NAME``) is looked up again on every ``pin update`` and
live refresh. The record comes from a trustless gateway (``?format=ipns-record``) or from the
node (``name/get``); either way it is verified here (``verify._ipns``: the name's key signed
it, it has not expired) before its value is followed. The best record seen for each name is
kept (table ``registry_ipns``, owned here).

Invariants:
- A record whose sequence is below the one kept for its name is refused (``RollbackError``):
  a gateway cannot replay an old, validly signed record to hold a set back. An equal sequence
  is accepted (a republished record), the kept record changes only to a newer one (boxo's
  ``Select`` order), and the name's value is always the kept (best) record's: an equal-sequence
  record with an earlier validity, as a second publisher of the key may sign, does not answer
  over the one kept (Kubo's record store keeps the better one and resolves to it).
- ``publish`` allocates a name's next sequence, signs the record and notes the sequence as
  signed (table ``registry_ipns_signed``) in one write transaction, keeping the record in it too
  unless told not to (``keep=False``: a record for a node is kept by ``keep`` once the node took
  it, so a refused one leaves the kept record as it was). A sequence, once signed, is never
  allocated again, even when its record was never kept (a process killed on the way, a node
  that refused it). A record signed here takes a sequence above every one kept or signed
  here, or (a refresh) repeats the kept record's sequence and value with a later validity:
  concurrent publishers of one name in this home (threads or processes) never sign two values
  under one sequence, and no new value is signed under a sequence the home knows of. It cannot
  know of a sequence used by another publisher holding the same key: having signed N for B (a
  record the node refused, so not kept), the home may take in the other's record at N for A,
  and a refresh of A then signs N for A too, so the home has signed N for two values (the
  pair (N, A) was already signed by the other). A sequence given must be above the kept and
  the signed ones (Kubo's ``name publish --sequence``).
- Only an ``/ipfs/CID`` value (no path under it) names a set version.
- A node that cannot give records (an offline Kubo answers ``name/get`` only online) is asked
  to resolve the name itself (``name/resolve``); the node verified the record then, not this
  process, and the log says so (``verified_by="node"``); an answer that is no path (no
  ``Path``) is the node's ``FetchError``. A gateway's word is never taken.
- A name that is not an IPNS name but a domain is read from its DNSLink (``registry._dnslink``),
  as Kubo's namesys does; names, domains and their paths chain up to ``MAX_NAME_HOPS`` in all
  (a longer chain, as a loop makes, is a ``NameLoop``: the name cannot be resolved).
  A set may be followed by domain: DNS is trusted for nothing but the pointer, and every version
  it points at is checked as a set update (roots, thresholds, versions, expiry) like any other.
- Pins always look a name up afresh; paths (``cat /ipns/NAME/...``) use the kept record while
  its TTL runs since it was last checked, and, when no source answers, until it expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cid import CID
from ..config import Limits
from ..errors import (AutocodecError, FetchError, InvalidCID, NameNotFound, NodeAccessDenied, NotFound,
                      RollbackError)
from ..log import get_logger
from ..sources._dns import is_domain_name
from ..verify._ipns import (InvalidIpnsName, InvalidIpnsRecord, IpnsName, IpnsRecord, VerifiedRecord, newest,
                           sequence_of, validate)
from ._dnslink import DnsLinks

if TYPE_CHECKING:  # pragma: no cover
    from ..store import BlockStore

log = get_logger("registry")
MAX_NAME_HOPS = 32  # boxo namesys' DefaultDepthLimit

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_ipns ("
    " name TEXT PRIMARY KEY, record BLOB NOT NULL, checked_at INTEGER NOT NULL)",
]
SIGNED_SCHEMA = [  # the highest sequence this home signed per name, kept or not
    "CREATE TABLE IF NOT EXISTS registry_ipns_signed (name TEXT PRIMARY KEY, sequence INTEGER NOT NULL)",
]


class NameLoop(NotFound):
    """A name that cannot be resolved: its value leads through names pointing at names (IPNS
    records, DNSLinks) past ``MAX_NAME_HOPS`` without reaching content, as a chain that loops
    back to itself does (Kubo's "recursion limit exceeded"). The names' values are at fault,
    not the path asked for."""

    hint = "the names on the way point at each other; their owners point one of them at content (/ipfs/CID)"


@dataclass(frozen=True)
class Followed:
    """Where a name pointed when it was looked up, and who verified the record."""

    name: str
    value: str  # the content path, e.g. /ipfs/bafy...
    sequence: int | None
    verified_by: str  # "autocodec", "autocodec (kept)" (the home's record, checked again) or "node"


class IpnsNames:
    """The IPNS records of one home: fetch, verify, keep the best per name."""

    def __init__(self, store: "BlockStore", limits: Limits, dns_resolvers: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.dnslinks = DnsLinks(dns_resolvers or {}, limits.fetch)
        self.limits = limits
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            self.store.ensure_schema("registry-ipns", 1, SCHEMA)
            self.store.ensure_schema("registry-ipns-signed", 1, SIGNED_SCHEMA)
            self._ready = True

    def kept(self, name: IpnsName) -> IpnsRecord | None:
        """The best record seen for ``name`` (not checked again: see ``verified``)."""
        self._ensure()
        row = self.store.read_row("SELECT record FROM registry_ipns WHERE name = ?", (str(name),))
        return IpnsRecord.parse(bytes(row[0])) if row is not None else None

    def verified(self, name: IpnsName, *, now: float | None = None) -> VerifiedRecord | None:
        """The kept record for ``name`` if it still verifies now (not expired), else None."""
        return self._kept_verified(name, time.time() if now is None else now)[0]

    def accept(self, name: IpnsName, raw: bytes, *, now: float | None = None) -> VerifiedRecord:
        """Verify ``raw`` for ``name``; refuse a rollback; keep it if it is the newest seen (and
        note that the name was checked now, which starts its TTL again)."""
        self._ensure()
        record = IpnsRecord.parse(raw)
        checked = validate(record, name, now_ns=_ns(now))
        at = int(time.time() if now is None else now)
        with self.store.transaction() as conn:
            row = conn.execute("SELECT record FROM registry_ipns WHERE name = ?", (str(name),)).fetchone()
            previous = IpnsRecord.parse(bytes(row[0])) if row is not None else None
            if previous is not None and checked.sequence < sequence_of(previous):
                raise RollbackError(f"the IPNS record offered for {name} has sequence {checked.sequence}, "
                                    f"below the {sequence_of(previous)} already seen: an old record replayed")
            if previous is None or newest([previous, record]) is record:
                conn.execute("INSERT OR REPLACE INTO registry_ipns VALUES (?, ?, ?)", (str(name), raw, at))
            else:
                conn.execute("UPDATE registry_ipns SET checked_at = ? WHERE name = ?", (at, str(name)))
                # the kept record ranks above this one (equal sequence, later validity): it answers.
                # It is valid now, as its validity is later than this valid record's.
                checked = validate(previous, name, now_ns=_ns(now))
        return checked

    def publish(self, name: IpnsName, make: Callable[[int], bytes], *, sequence: int | None = None,
                value: str | None = None, eol_ns: int | None = None, keep: bool = True,
                now: float | None = None) -> VerifiedRecord:
        """Make (``make(sequence)``), verify and, with ``keep``, keep a new record of one of the
        home's names (without: see ``keep``).

        Unless ``sequence`` is given, it is 0 for a first record, the kept record's again when
        ``value`` and ``eol_ns`` (the path and end of validity ``make`` signs) are given, the value
        is the kept record's, the new record ranks above it (a refresh of the validity or TTL, as
        boxo's publisher keeps the sequence "unless the value changes") and no later sequence was
        signed here, else one past the highest kept or signed. It is read, the record made, the
        sequence noted as signed (and the record kept) in one write transaction of the home's
        database, so concurrent publishers of this home (threads or processes) never sign two
        values under one sequence; a refresh signs only the (sequence, value) pair the kept record
        holds (see the module invariants for a key shared with another publisher). Only
        the record returned is signed.
        """
        self._ensure()
        with self.store.transaction() as conn:
            row = conn.execute("SELECT record FROM registry_ipns WHERE name = ?", (str(name),)).fetchone()
            kept = IpnsRecord.parse(bytes(row[0])) if row is not None else None
            kept_sequence = sequence_of(kept) if kept is not None else None
            row = conn.execute("SELECT sequence FROM registry_ipns_signed WHERE name = ?", (str(name),)).fetchone()
            signed = int(row[0]) if row is not None else None
            last = max((n for n in (kept_sequence, signed) if n is not None), default=None)
            refresh = (kept is not None and last == kept_sequence and value is not None and eol_ns is not None
                       and _same_value(kept, value) and _refreshed_by(kept, eol_ns))
            if sequence is None:
                sequence = 0 if last is None else last if refresh else last + 1
            elif last is not None and sequence <= last:
                where = "below" if sequence < last else "the same as"
                raise RollbackError(f"sequence {sequence} for {name} is {where} the {last} already seen in this home: "
                                    "a new record's must be greater than the current one's",
                                    hint=f"give a sequence of at least {last + 1}, or let it be allocated")
            raw = make(sequence)
            if signed is None or sequence > signed:
                conn.execute("INSERT OR REPLACE INTO registry_ipns_signed VALUES (?, ?)", (str(name), sequence))
            if keep:
                return self.accept(name, raw, now=now)  # nested: a savepoint of this transaction
            return validate(IpnsRecord.parse(raw), name, now_ns=_ns(now))

    def keep(self, name: IpnsName, raw: bytes, *, now: float | None = None) -> VerifiedRecord:
        """Keep a record ``publish`` made with ``keep=False`` (once a node took it): as ``accept``,
        except that a record ranking below the kept one (a later publish kept meanwhile) leaves
        that one kept and answering."""
        try:
            return self.accept(name, raw, now=now)
        except RollbackError:
            kept = self.verified(name, now=now)
            if kept is None:  # pragma: no cover - the later record expired in between
                raise
            return kept

    def current(self, name: IpnsName, *, node: str | None = None, gateway: str | None = None,
                now: float | None = None) -> VerifiedRecord:
        """The record of ``name``, verified here: the kept one while its TTL runs since it was last
        checked, else one fetched from ``gateway`` or ``node`` (its record, never its word), else
        the kept one until it expires (as ``lookup`` with ``fresh=False``)."""
        from ..sources import GatewaySource, NodeSource

        now_s = time.time() if now is None else now
        kept, checked_at = self._kept_verified(name, now_s)
        if kept is not None and now_s - checked_at < kept.ttl_ns / 1e9:
            return kept
        try:
            if gateway:
                raw = GatewaySource(gateway, limits=self.limits.fetch).ipns_record(str(name))
            elif node:
                raw = NodeSource(node, limits=self.limits.fetch).ipns_record(str(name))
            elif kept is not None:
                return kept
            else:
                raise NotFound(f"no valid IPNS record for {name} in this home, and no node or gateway to "
                               "look it up on", hint="give a trustless gateway's URL or a node's address")
        except (FetchError, NameNotFound) as exc:
            if kept is None:
                raise
            log.warning("ipns.lookup", name=str(name), decision="kept-record", reason=exc.message[:200])
            return kept
        return self.accept(name, raw, now=now)

    def lookup(self, text: str, *, node: str | None = None, gateway: str | None = None,
               now: float | None = None, fresh: bool = True) -> Followed:
        """Where ``/ipns/NAME`` points, by a record verified here, from ``gateway`` or else
        ``node`` (see the module invariants for a node without records). Unless ``fresh``,
        the kept record answers while its TTL runs since it was last checked (Kubo's cache
        rule), and again, until it expires, when no source answers."""
        from ..sources import GatewaySource, NodeSource

        name = IpnsName.parse(text)
        now_s = time.time() if now is None else now
        kept: VerifiedRecord | None = None
        if not fresh:
            kept, checked_at = self._kept_verified(name, now_s)
            if kept is not None and now_s - checked_at < kept.ttl_ns / 1e9:
                return Followed(str(name), kept.value, kept.sequence, "autocodec (kept)")
        try:
            if gateway:
                raw = GatewaySource(gateway, limits=self.limits.fetch).ipns_record(str(name))
                where = f"gateway {gateway}"
            elif node:
                source = NodeSource(node, limits=self.limits.fetch)
                try:
                    raw = source.ipns_record(str(name))
                except FetchError as exc:  # e.g. an offline node: it resolves only what it holds
                    if isinstance(exc, NodeAccessDenied):  # not the node's limit but its credentials':
                        raise  # say so, rather than take its unverified word for the name
                    path = source.resolve_name(name.path)
                    if not path.startswith("/"):  # Kubo answers {"Path": "/ipfs/..."}; "" is no Path at all
                        raise FetchError(f"the IPFS node at {source.addr} answered name/resolve of {name} with no "
                                         f"path ({path[:80]!r})",
                                         hint="the node's answer is not Kubo's: ask another node or a gateway") from None
                    log.info("ipns.lookup", name=str(name), value=path[:200], verified_by="node",
                             reason=exc.message[:200])
                    return Followed(str(name), path, None, "node")
                where = f"node {source.addr}"
            else:
                if kept is not None:
                    return Followed(str(name), kept.value, kept.sequence, "autocodec (kept)")
                raise NotFound(f"no valid IPNS record for {name} in this home, and no node or gateway to look it up on",
                               hint="give a trustless gateway's URL or a node's address")
        except (FetchError, NameNotFound) as exc:
            if kept is None:
                raise
            log.warning("ipns.lookup", name=str(name), decision="kept-record", reason=exc.message[:200])
            return Followed(str(name), kept.value, kept.sequence, "autocodec (kept)")
        checked = self.accept(name, raw, now=now)
        log.info("ipns.lookup", name=str(name), value=checked.value[:200], sequence=checked.sequence, where=where,
                 verified_by="autocodec")
        return Followed(str(name), checked.value, checked.sequence, "autocodec")

    def resolve(self, path: str, *, node: str | None = None, gateway: str | None = None,
                now: float | None = None, fresh: bool = True) -> str:
        """The content path ``/ipns/NAME[/rest]`` reaches, each name's value by ``value_of``."""
        return self.walk(path, lambda name: (self.value_of(name, node=node, gateway=gateway, now=now,
                                                          fresh=fresh), 0))[0]

    @staticmethod
    def walk(path: str, hop: Callable[[str], tuple[str, int]]) -> tuple[str, int]:
        """The path ``/ipns/NAME[/rest]`` reaches when ``hop(name)`` gives each name's value and
        TTL: the rest joined under each value (as boxo's ``joinPaths``: a value stands as it is
        when nothing follows the name), names pointing at names followed up to
        ``MAX_NAME_HOPS`` (Kubo's depth limit; a ``NameLoop`` past that); and the smallest
        TTL on the way."""
        first, ttl = path, None
        for _ in range(MAX_NAME_HOPS):
            name, _, rest = path[len("/ipns/"):].partition("/")
            value, hop_ttl = hop(name)
            ttl = hop_ttl if ttl is None else min(ttl, hop_ttl)
            path = value.rstrip("/") + f"/{rest}" if rest else value
            if not path.startswith("/ipns/"):
                return path, ttl
        raise NameLoop(f"{first[:200]} leads through more than {MAX_NAME_HOPS} names, so it cannot be resolved")

    def value_of(self, name: str, *, node: str | None = None, gateway: str | None = None,
                 now: float | None = None, fresh: bool = True) -> str:
        """What one ``/ipns/`` name points at: an IPNS name's record (``lookup``), else, for a
        domain, its DNSLink (boxo's order: a name that parses as IPNS is never looked up in DNS)."""
        parsed = parse_name(name)
        if isinstance(parsed, str):
            return self.dnslinks.lookup(parsed).value
        return self.lookup(name, node=node, gateway=gateway, now=now, fresh=fresh).value

    def follow(self, text: str, *, node: str | None = None, gateway: str | None = None,
               now: float | None = None) -> CID:
        """The set version ``/ipns/NAME`` points at now (always looked up afresh), or, for
        ``/ipns/DOMAIN``, the one its DNSLink leads to (through names, each record verified)."""
        body = text[len("/ipns/"):] if text.startswith("/ipns/") else text
        parsed = parse_name(body)
        if isinstance(parsed, str):
            value = self.resolve(f"/ipns/{parsed}", node=node, gateway=gateway, now=now)
            return _set_version(f"/ipns/{parsed}", value, f"DNSLink of {parsed}")
        found = self.lookup(body, node=node, gateway=gateway, now=now)
        if not gateway and node:
            from ..sources import public_node

            node = public_node(node)  # the message names the node, never its URL's credentials
        return _set_version(parsed.path, found.value, gateway or node or "")

    def _kept_verified(self, name: IpnsName, now_s: float) -> tuple[VerifiedRecord | None, float]:
        self._ensure()
        row = self.store.read_row("SELECT record, checked_at FROM registry_ipns WHERE name = ?", (str(name),))
        if row is None:
            return None, 0.0
        try:
            return validate(IpnsRecord.parse(bytes(row[0])), name, now_ns=_ns(now_s)), float(row[1])
        except AutocodecError:
            return None, 0.0


def parse_name(text: str) -> IpnsName | str:
    """The name of an ``/ipns/`` path: an IPNS name, else (boxo's order: only what is not one)
    a domain to read the DNSLink of, returned as it is; ``InvalidIpnsName`` when neither."""
    try:
        return IpnsName.parse(text)
    except InvalidIpnsName:
        if not is_domain_name(text):
            raise
        return text


def _set_version(name: str, path: str, where: str) -> CID:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != "ipfs":
        raise FetchError(f"{name} points at {path[:200]!r} on {where}, not at a set version (/ipfs/CID)")
    try:
        return CID.parse(parts[1])
    except InvalidCID as exc:
        raise FetchError(f"{name} points at {path[:200]!r} on {where}: {exc.message}") from None


def _ns(now: float | None) -> int | None:
    return None if now is None else int(now * 1_000_000_000)


def _same_value(record: IpnsRecord, value: str) -> bool:
    """Whether ``record`` points at ``value`` (False where its value cannot be read)."""
    try:
        return record.value() == value
    except InvalidIpnsRecord:
        return False


def _refreshed_by(kept: IpnsRecord, eol_ns: int) -> bool:
    """Whether a record signed now (a V2 signature) at ``kept``'s sequence, valid until
    ``eol_ns``, ranks above ``kept`` (``newest``) without signing it: ``kept`` has no V2
    signature or an earlier validity. An equal validity (ranked by the signed bytes) is no
    refresh: the next sequence is taken, which ranks above whatever those bytes are."""
    if not kept.fields.get(8):
        return True
    try:
        return eol_ns > kept.validity_ns()
    except InvalidIpnsRecord:
        return True
