"""IPNS names that pinned sets follow: records fetched, verified here, and never taken backwards.

A set pinned by name (``pin add /ipns/NAME``) is looked up again on every ``pin update`` and
live refresh. The record comes from a trustless gateway (``?format=ipns-record``) or from the
node (``name/get``); either way it is verified here (``verify._ipns``: the name's key signed
it, it has not expired) before its value is followed. The best record seen for each name is
kept (table ``registry_ipns``, owned here).

Invariants:
- A record whose sequence is below the one kept for its name is refused (``RollbackError``):
  a gateway cannot replay an old, validly signed record to hold a set back. An equal sequence
  is accepted (a republished record), and the kept record changes only to a newer one (boxo's
  ``Select`` order).
- Only an ``/ipfs/CID`` value (no path under it) names a set version.
- A node that cannot give records (an offline Kubo answers ``name/get`` only online) is asked
  to resolve the name itself (``name/resolve``); the node verified the record then, not this
  process, and the log says so (``verified_by="node"``). A gateway's word is never taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cid import CID
from ..config import Limits
from ..errors import AutocodecError, FetchError, InvalidCID, RollbackError
from ..log import get_logger
from ..verify._ipns import IpnsName, IpnsRecord, VerifiedRecord, newest, validate

if TYPE_CHECKING:  # pragma: no cover
    from ..store import BlockStore

log = get_logger("registry")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_ipns ("
    " name TEXT PRIMARY KEY, sequence TEXT NOT NULL, record BLOB NOT NULL, checked_at INTEGER NOT NULL)",
]


@dataclass(frozen=True)
class Followed:
    """Where a name pointed when it was looked up, and who verified the record."""

    name: str
    index_cid: CID
    sequence: int | None
    verified_by: str  # "autocodec" (the record was checked here) or "node"


class IpnsNames:
    """The IPNS records of one home: fetch, verify, keep the best per name."""

    def __init__(self, store: "BlockStore", limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            self.store.ensure_schema("registry-ipns", 1, SCHEMA)
            self._ready = True

    def kept(self, name: IpnsName) -> IpnsRecord | None:
        """The best record seen for ``name`` (not checked again: see ``verified``)."""
        self._ensure()
        row = self.store.read_row("SELECT record FROM registry_ipns WHERE name = ?", (str(name),))
        return IpnsRecord.parse(bytes(row[0])) if row is not None else None

    def verified(self, name: IpnsName, *, now: float | None = None) -> VerifiedRecord | None:
        """The kept record for ``name`` if it still verifies now (not expired), else None."""
        record = self.kept(name)
        if record is None:
            return None
        try:
            return validate(record, name, now_ns=_ns(now))
        except AutocodecError:
            return None

    def accept(self, name: IpnsName, raw: bytes, *, now: float | None = None) -> VerifiedRecord:
        """Verify ``raw`` for ``name``; refuse a rollback; keep it if it is the newest seen."""
        self._ensure()
        record = IpnsRecord.parse(raw)
        checked = validate(record, name, now_ns=_ns(now))
        with self.store.transaction() as conn:
            row = conn.execute("SELECT record FROM registry_ipns WHERE name = ?", (str(name),)).fetchone()
            previous = IpnsRecord.parse(bytes(row[0])) if row is not None else None
            if previous is not None and checked.sequence < previous.sequence():
                raise RollbackError(f"the IPNS record offered for {name} has sequence {checked.sequence}, "
                                    f"below the {previous.sequence()} already seen: an old record replayed")
            if previous is None or newest([previous, record]) is record:
                conn.execute("INSERT OR REPLACE INTO registry_ipns VALUES (?, ?, ?, ?)",
                             (str(name), str(checked.sequence), raw, int(time.time() if now is None else now)))
        return checked

    def follow(self, text: str, *, node: str | None = None, gateway: str | None = None,
               now: float | None = None) -> Followed:
        """The set version ``/ipns/NAME`` points at, from ``gateway`` or else ``node``."""
        from ..sources import GatewaySource, NodeSource

        name = IpnsName.parse(text)
        if gateway:
            raw = GatewaySource(gateway, limits=self.limits.fetch).ipns_record(str(name))
            where = f"gateway {gateway}"
        elif node:
            source = NodeSource(node, limits=self.limits.fetch)
            try:
                raw = source.ipns_record(str(name))
            except FetchError as exc:  # e.g. an offline node: it resolves only what it holds
                path = source.resolve_name(name.path)
                cid = _set_version(name, path, f"node {node}")
                log.info("ipns.follow", name=str(name), index=str(cid), verified_by="node", reason=exc.message[:200])
                return Followed(str(name), cid, None, "node")
            where = f"node {node}"
        else:
            raise AutocodecError(f"no node or gateway to look {name.path} up on", hint="give a node or a gateway")
        checked = self.accept(name, raw, now=now)
        cid = _set_version(name, checked.value, where)
        log.info("ipns.follow", name=str(name), index=str(cid), sequence=checked.sequence, where=where,
                 verified_by="autocodec")
        return Followed(str(name), cid, checked.sequence, "autocodec")


def _set_version(name: IpnsName, path: str, where: str) -> CID:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] != "ipfs":
        raise FetchError(f"{name.path} points at {path[:200]!r} on {where}, not at a set version (/ipfs/CID)")
    try:
        return CID.parse(parts[1])
    except InvalidCID as exc:
        raise FetchError(f"{name.path} points at {path[:200]!r} on {where}: {exc.message}") from None


def _ns(now: float | None) -> int | None:
    return None if now is None else int(now * 1_000_000_000)
