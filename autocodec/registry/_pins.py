"""The user's side of extension sets: pin, list, update, repair, unpin (``Pins``).

A pin is made from a set version's CID (its top index) found in the local store, an IPFS
node, a gateway or a bundle CAR, or from an IPNS name that points at it (its records fetched
from a gateway or the node and verified here: ``_ipns``). Where it was found is remembered
(table ``registry_pins``, owned here), so ``update`` can look there again.

Invariants:
- One pin path: every pin and update goes through ``TrustStore.verify`` (which picks the
  trusted state by the roots' CIDs, never by a name) and ``TrustStore.apply_update``; a set's
  identity is its anchor root's CID (``set_id``). ``update`` moves a pinned set forward only:
  a version found where the set was pinned from (or named by ``index``) that belongs to
  another set (another lineage, or another pinned set) is refused (``RootChainError``), never
  pinned by trust on first use, so a bundle path, IPNS name or DNSLink now pointing elsewhere
  can withhold updates, not add a set.
- All or nothing: the set is verified, then every module it lists is fetched and checked
  against its manifest, and only then is the trust store changed (one transaction). A bad
  module (e.g. one byte changed in a bundle) refuses the whole pin or update, naming it.
- Versions never go down (the trust store refuses rollbacks); an update to the version
  already pinned is a no-op, but still re-fetches any of its blocks the store lost.
- Module versions do not go down either unless the set's publisher marked it: an update whose
  index lists, for a key, an older version of the module pinned for it, unmarked, is refused
  (``ModuleDowngrade``, ``verify._downgrades``) before anything is fetched or changed; the
  trust store's ``apply_update`` runs the same rule again under its write lock.
- Every change ends with ``on_change()`` (the runtime starts a new generation).
- Where a set was found (``registry_pins``) is written in the trust store's transaction of
  the update: a process killed at any point leaves both the old or both the new. Its
  ``index_cid`` is the version the trust store holds when that row commits (a pin that found
  the set already at its version never writes back an older one another process replaced),
  and no row is written for a set unpinned meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..config import Limits
from ..errors import (AutocodecError, BlockNeeded, BlockNotFound, FetchError, IntegrityError, InvalidInput, NotFound,
                      RootChainError, SetNotFound)
from ..log import get_logger
from ..progress import Progress, no_progress
from ._ipns import IpnsNames
from ._protocols import BlockSource, Fetch

if TYPE_CHECKING:  # pragma: no cover
    from ..settings import Settings
    from ..store import BlockStore
    from ..verify import TrustStore, VerifiedManifest, VerifiedSet
    from ._runtime import Runtime

log = get_logger("registry")

RAW_CODEC = 0x55
"""Blocks without links: Kubo's walks list them without reading them."""

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_pins ("
    " set_id TEXT PRIMARY KEY, name TEXT NOT NULL, location_kind TEXT NOT NULL, location TEXT NOT NULL,"
    " node TEXT, index_cid TEXT NOT NULL, pinned_at INTEGER NOT NULL)",
]


@dataclass(frozen=True)
class Location:
    """Where a set was found: ``car`` (a path), ``ipns`` (a name looked up on ``node``),
    ``ipns-gateway`` (a name whose records come from the gateway in ``node``), ``node``,
    ``gateway``, ``store``."""

    kind: str
    where: str
    node: str | None = None

    def describe(self) -> str:
        """Where, as it may be shown: a node URL without credentials (releases before the one
        that kept them in memory only stored ``--node`` URLs as given, password included)."""
        from ..sources import without_userinfo

        if self.kind in ("ipns", "ipns-gateway"):
            return f"ipns:{self.where}" + (f" via {without_userinfo(self.node)}" if self.node else "")
        return f"{self.kind}:{without_userinfo(self.where) if self.kind == 'node' else self.where}"


@dataclass(frozen=True)
class PinResult:
    set_id: CID
    name: str
    index_cid: CID
    version: int
    changed: bool
    modules: int
    location: Location
    shadowed: tuple[tuple[str, int | str, str], ...] = ()
    """``add`` only: ``(kind, key, set name)`` of the entries another pinned set serves first."""
    overridden: bool = False
    """``add`` only: this call recorded the user's override (the set was not allowed to take over before)."""
    taken_over: tuple[tuple[str, int | str, str], ...] = ()
    """``add`` only: ``(kind, key, set name)`` of the entries this set serves now in place of the set
    named, because of this call's override."""


@dataclass(frozen=True)
class PinInfo:
    set_id: CID
    name: str
    index_cid: CID
    version: int | None
    expires: int
    entries: int
    location: Location


Canary = Callable[["VerifiedSet", Fetch], None]


def resolve_ipns(node: str, name: str, limits: "Limits | Runtime") -> CID:
    """The set version an IPNS name points at, in ``node``'s own answer (``name/resolve``;
    ``limits``: the runtime's, or a runtime). Pins verify records themselves (``_ipns``)."""
    from ..sources import NodeSource

    if not isinstance(limits, Limits):
        limits = limits.limits

    source = NodeSource(node, limits=limits.fetch)
    path = source.resolve_name(name)
    if not path.startswith("/ipfs/"):
        raise FetchError(f"{name} did not resolve to an /ipfs/ path on {source.addr} (got {path[:200]!r})")
    return CID.parse(path[len("/ipfs/"):].split("/")[0])


class Pins:
    """Pins of one home: its own SQL, the trust store's one update path, and the fetches."""

    def __init__(self, store: "BlockStore", trust: "TrustStore", sources: BlockSource, limits: Limits,
                 settings: "Settings", *, on_change: Callable[[], object] = lambda: None) -> None:
        self.store = store
        self.trust = trust
        self.sources = sources
        self.limits = limits
        self.settings = settings
        self.on_change = on_change
        self.names = IpnsNames(store, limits, settings.dns_resolvers)
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            self.store.ensure_schema("registry-pins", 1, SCHEMA)
            self._ready = True

    # --- where blocks come from ----------------------------------------------------------------

    def _fetcher_for(self, location: Location) -> Fetch:
        """``fetch(cid)`` over the location first (verified by the trust layer), then the sources."""
        from ..sources import CarSource, Deadline, Fetcher, GatewaySource, NodeSource, operation_deadline

        whole = Deadline(self.limits.fetch.operation_deadline_s)  # all fetches of this set operation
        extra: Any = None
        if location.kind == "car":
            extra = CarSource(location.where, limits=self.limits)
        elif location.kind in ("node", "ipns") and location.node:
            extra = NodeSource(location.node, limits=self.limits.fetch)
        elif location.kind == "gateway":
            extra = GatewaySource(location.where, limits=self.limits.fetch)
        elif location.kind == "ipns-gateway" and location.node:
            extra = GatewaySource(location.node, limits=self.limits.fetch)
        fallback: BlockSource = self.sources
        if extra is not None and isinstance(self.sources, Fetcher):
            # the location is often a configured source too (serve --node ADDR following a set pinned
            # from ADDR): asked once, as an online node that lacks a block takes deadline_s to say so
            fallback = self.sources.without(extra.name)

        def fetch(cid: CID) -> bytes:
            if self.store.has(cid):
                return self.store.get(cid)
            with operation_deadline(whole):
                first: AutocodecError | None = None
                if extra is not None:
                    try:
                        data: bytes = extra.get(cid)
                        return data
                    except AutocodecError as exc:
                        first = exc  # the location failed: the configured sources may still have it
                try:
                    return fallback.get(cid)
                except BlockNotFound:
                    if first is None:
                        raise
                    # say why the location failed, not "no source configured"; and which block: a
                    # source's own message ("node:... does not have it") leaves that to its caller
                    if isinstance(first, (BlockNotFound, FetchError)) and str(cid) not in first.message:
                        raise type(first)(f"block {cid}: {first.message}", hint=first.hint) from None
                    raise first from None

        return fetch

    def _head(self, location: Location, now: int | None = None) -> CID | None:
        """The newest set version a location offers (None if it cannot say)."""
        if location.kind == "car":
            from ..sources import CarSource

            path = Path(location.where)
            if not path.exists():
                raise FetchError(f"the bundle {path} the set was pinned from is gone")
            source = CarSource(path, limits=self.limits)
            source.scan()
            if len(source.roots) != 1:
                raise IntegrityError(f"{path} must have exactly one root (the set's index), it has {len(source.roots)}")
            return source.roots[0]
        if location.kind == "ipns":
            return self.names.follow(location.where, node=location.node or "", now=now)
        if location.kind == "ipns-gateway":
            return self.names.follow(location.where, gateway=location.node or "", now=now)
        return None

    def _fetch_modules(self, verified: "VerifiedSet", fetch: Fetch, progress: Progress) -> int:
        """Fetch and check every module (and vectors) the set lists and store them, before the
        set's trust state commits; returns how many manifests were handled.

        Each distinct module and vectors block is fetched once, however many manifests name it,
        and goes to the store as it is checked (``put_many`` batches), so memory stays bounded by
        one block and one batch whatever the set lists (a set of 10,000 manifests naming one
        4 MiB module held every copy at once). A failure stores the blocks checked before it and
        commits no trust state: those blocks are content-addressed and harmless, and unpinned."""
        manifests = list(verified.manifests.values())
        self.store.put_many(self._checked_blocks(verified.name, manifests, fetch, progress))
        return len(manifests)

    def _checked_blocks(self, set_name: str, manifests: "list[VerifiedManifest]", fetch: Fetch,
                        progress: Progress) -> "Iterator[tuple[CID, bytes]]":
        """``(CID, bytes)`` of each module and vectors block the manifests name, once each, checked."""
        from ..verify import fetch_module_blocks, fetch_vectors

        seen: set[CID] = set()
        for i, vm in enumerate(manifests):
            m = vm.manifest
            if m.module not in seen:
                try:
                    module = fetch_module_blocks(m, fetch, limits=self.limits.trust)
                except AutocodecError as exc:
                    raise type(exc)(f"module {m.module} ({m.name} {m.version}) of set {set_name!r}: "
                                    f"{exc.message}") from None
                seen.add(m.module)
                yield from module.blocks  # one raw block, or every block of the module's DAG
                del module
            if m.vectors is not None and m.vectors not in seen:
                try:
                    vectors = fetch_vectors(m, fetch, limits=self.limits.trust)  # capped and hash-checked
                except NotFound:
                    vectors = None  # vectors are for canaries; a live update refuses a module without them
                if vectors is not None:
                    seen.add(m.vectors)
                    yield m.vectors, vectors
            progress(i + 1, len(manifests), "modules")

    # --- pin, update, unpin -------------------------------------------------------------------

    def add(self, target: str, *, node: str | None = None, gateway: str | None = None,
            progress: Progress = no_progress, now: int | None = None, override: bool = False) -> PinResult:
        """Pin a set version (CID), an IPNS name pointing at one, or a bundle CAR file.

        ``override``: the user's decision that this set may take over codes and names that
        sets pinned earlier serve (without it, they keep serving them)."""
        self._ensure()
        now = int(time.time()) if now is None else now
        if node:
            from ..sources import named_node

            node = named_node(node)  # stored and shown without a URL's credentials (kept in memory only)
        path = Path(target)
        if target.endswith(".car") or (path.exists() and path.is_file()):
            location = Location("car", str(path.resolve()))
            index_cid = self._head(location)
        elif target.startswith("/ipns/"):
            if gateway or not (node or self.settings.node) and self.settings.gateways:
                location = Location("ipns-gateway", target, gateway or self.settings.gateways[0])
            elif node or self.settings.node:
                location = Location("ipns", target, node or self.settings.node)
            else:
                raise InvalidInput("an IPNS name needs a gateway or a node to look its record up on",
                                   hint="give a trustless gateway's URL or a node's address")
            index_cid = self._head(location, now)
        else:
            index_cid = CID.parse(target)
            if node:
                location = Location("node", node, node)
            elif gateway:
                location = Location("gateway", gateway)
            else:
                location = Location("store", "")
        assert index_cid is not None
        result = self._apply(index_cid, location, progress=progress, now=now)
        if override:  # after the pin: until then the set serves only what no other set serves
            result = self._override(result, now)
        self._accepts_default_set(result)
        return replace(result, shadowed=tuple(self.trust.served_by_others(result.set_id)))

    def _override(self, result: PinResult, now: int) -> PinResult:
        """Record that the set of ``result`` may take over what earlier sets serve; returns
        ``result`` saying whether that is new and which entries it took over."""
        new = result.set_id not in self.trust.overrides()
        before = self.trust.served_by_others(result.set_id)
        self.trust.set_override(result.set_id, True, now=now)
        self.on_change()
        after = set(self.trust.served_by_others(result.set_id))
        return replace(result, overridden=new, taken_over=tuple(e for e in before if e not in after))

    def _accepts_default_set(self, result: PinResult) -> None:
        """The package's own default set pinned from its own CAR (again, after ``rm``, or in a
        home that declined it) is the default set accepted: it follows the package from then on
        (``registry_meta``: ``pinned``; ``_upgrade``)."""
        from ._default import DEFAULT_SET_CAR, DEFAULT_SET_CID

        if (result.location.kind != "car" or result.index_cid != DEFAULT_SET_CID
                or Path(result.location.where) != DEFAULT_SET_CAR.resolve()):
            return
        with self.store.transaction() as conn:  # no row yet: offer_default_set records it
            conn.execute("UPDATE registry_meta SET value = 'pinned' WHERE key = 'default-set'")

    def _apply(self, index_cid: CID, location: Location, *, progress: Progress, now: int,
               canary: Canary | None = None, of: "PinInfo | None" = None) -> PinResult:
        """Verify, fetch and apply the set version ``index_cid``; ``of``: the pinned set this is
        an update of (refused, nothing changed, unless the version is of that very set)."""
        fetch = self._fetcher_for(location)
        verified, anchor = self.trust.verify(index_cid, fetch, now=now)
        if of is not None and verified.set_id != of.set_id:
            raise RootChainError(
                f"{location.describe()} offers {index_cid}, a version of set {verified.name!r} (anchored at "
                f"{verified.set_id}), not of pinned set {of.name!r} ({of.set_id}): nothing changed",
                hint=f"set {of.name!r} keeps its pinned version; to trust the other set too, pin it (`autocodec pin add`)")
        current = None
        try:
            current = self.trust.state(verified.set_id).cids.get("index")
        except SetNotFound:
            pass
        if current is not None and current != verified.index_cid:
            from ..verify._downgrades import refuse_unmarked_downgrades  # apply_update runs it again, locked

            refuse_unmarked_downgrades(current, verified, fetch, self.limits)  # before any module is fetched
        modules = self._fetch_modules(verified, fetch, progress)
        changed = current != verified.index_cid
        if changed and canary is not None:
            canary(verified, fetch)  # raises CanaryFailed: nothing applied
        def record(conn: Any) -> None:
            # index_cid: the version the trust store holds as this transaction commits, not the one
            # found here: another process may have applied a newer one since ``current`` was read
            conn.execute("INSERT OR REPLACE INTO registry_pins SELECT ?, ?, ?, ?, ?, COALESCE(s.index_cid, ?), "
                         "COALESCE((SELECT pinned_at FROM registry_pins WHERE set_id = ?), ?) "
                         "FROM trust_sets s WHERE s.set_id = ?",
                         (str(verified.set_id), verified.name, location.kind, location.where, location.node,
                          str(verified.index_cid), str(verified.set_id), now, str(verified.set_id)))

        self._ensure()
        if changed:  # where the set was found commits with the set (a kill in between lost it)
            self.trust.apply_update(verified, anchor_envelope=anchor, now=now, also=record)
        else:
            with self.store.transaction() as conn:
                record(conn)
        self.on_change()
        log.info("pin", set=verified.name, set_id=str(verified.set_id), index=str(verified.index_cid),
                 version=verified.index.version, changed=changed, location=location.describe(), modules=modules,
                 policy="verified-set-all-or-nothing")
        return PinResult(verified.set_id, verified.name, verified.index_cid, verified.index.version, changed,
                         modules, location)

    def ls(self) -> list[PinInfo]:
        self._ensure()
        rows = {r[0]: r for r in self.store.read_rows("SELECT * FROM registry_pins")}  # no wait on a writer
        out = []
        for info in self.trust.sets():
            row = rows.get(str(info.set_id))
            location = Location(row[2], row[3], row[4]) if row else Location("unknown", "")
            out.append(PinInfo(info.set_id, info.name, info.index_cid or info.set_id, info.index_version,
                               info.expires, info.entries, location))
        return out

    def find(self, which: str) -> PinInfo:
        """The pinned set ``which`` names: its name, or its set id or version's index CID in any
        base; ``InvalidInput`` for an empty name (it named every set in ``update``)."""
        if type(which) is not str or not which.strip():
            raise InvalidInput(f"a pinned set is named by its name or CID, not {which!r}"[:200],
                               hint="name one of the pinned sets by its name, set id or version CID")
        try:
            cid: str | None = str(CID.parse(which.strip()))
        except AutocodecError:  # a name
            cid = None
        for pin in self.ls():
            if which == pin.name or cid in (str(pin.set_id), str(pin.index_cid)):
                return pin
        raise SetNotFound(f"no pinned set {which!r}")

    def update(self, which: str | None = None, *, index: CID | None = None, progress: Progress = no_progress,
               now: int | None = None, canary: Canary | None = None) -> list[PinResult | AutocodecError]:
        """Look for newer versions of one or every pinned set where each was found; apply verified
        ones. A set already at its newest version gets back any of its blocks the store lost.
        ``index`` without ``which``: that version updates the pinned set it is a version of, and
        no other set is reported on (one refusal when it is a version of none)."""
        now = int(time.time()) if now is None else now
        pins = [self.find(which)] if which is not None else self.ls()
        if index is not None and which is None:
            return self._update_owner(index, pins, progress=progress, now=now, canary=canary)
        results: list[PinResult | AutocodecError] = []
        for pin in pins:
            try:
                head = index or self._head(pin.location, now)
                if head is None or head == pin.index_cid:
                    if self.missing(pin):
                        results.append(self.repair_one(pin, progress=progress, now=now))
                        continue
                if head is None:
                    raise InvalidInput(
                        f"set {pin.name!r} was pinned from {pin.location.describe()}, which has no update channel",
                        hint="give the new version's index CID, or pin an IPNS name or a bundle path")
                if head == pin.index_cid:
                    listed = len(self.trust.manifests_of(pin.set_id))  # as a pin of this version counts them
                    results.append(PinResult(pin.set_id, pin.name, head, pin.version or 0, False, listed,
                                             pin.location))
                    continue
                results.append(self._apply(head, pin.location, progress=progress, now=now, canary=canary, of=pin))
            except AutocodecError as exc:
                log.warning("pin.update", set=pin.name, decision="refuse", reason=exc.message,
                            policy=type(exc).__name__)
                results.append(exc)
        return results

    def _update_owner(self, index: CID, pins: "list[PinInfo]", *, progress: Progress, now: int,
                      canary: Canary | None) -> list[PinResult | AutocodecError]:
        """``update(index=...)`` of every set: the pinned set ``index`` is a version of takes it, as
        ``update`` of that one set would; other pins are not reported on. Which set that is, is
        read from its root chain (verified, manifests not fetched), its blocks from the store,
        where any pin was found, or the sources (each block checked against its CID)."""
        fetchers = [self._fetcher_for(pin.location) for pin in pins] or [self._fetcher_for(Location("store", ""))]

        def fetch(cid: CID) -> bytes:
            for fetcher in fetchers[:-1]:
                try:
                    return fetcher(cid)
                except AutocodecError:
                    continue
            return fetchers[-1](cid)

        try:
            owner, _anchor = self.trust.verify(index, fetch, now=now, manifests=False)
        except AutocodecError as exc:
            log.warning("pin.update", index=str(index), decision="refuse", reason=exc.message, policy=type(exc).__name__)
            return [exc]
        for pin in pins:
            if pin.set_id == owner.set_id:
                return self.update(str(pin.set_id), index=index, progress=progress, now=now, canary=canary)
        return [RootChainError(f"{index} is a version of set {owner.name!r} (anchored at {owner.set_id}), which is "
                               "not pinned: nothing changed", hint="to trust that set, pin it (`autocodec pin add`)")]

    def rm(self, which: str) -> PinInfo:
        """Unpin a set. Removing the default set declines it from then on (``registry_meta``:
        ``default-set = declined``, a value every release reads so): a set pinned under its name
        afterwards is the user's, never moved to the shipped one (``_upgrade``), unless it is
        the package's own, pinned from the package's CAR (``add``)."""
        from ._default import DEFAULT_SET_NAME

        pin = self.find(which)
        self.trust.unpin(pin.set_id)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM registry_pins WHERE set_id = ?", (str(pin.set_id),))
            if pin.name == DEFAULT_SET_NAME:
                conn.execute("UPDATE registry_meta SET value = 'declined' WHERE key = 'default-set' "
                             "AND value = 'pinned'")
        self.on_change()
        log.info("pin.rm", set=pin.name, set_id=str(pin.set_id))
        return pin

    def offer_default_set(self, accept: bool, pin: Callable[[], object]) -> None:
        """Pin the package's default set (``pin()``) the first time a runtime opens this home,
        unless declined. The choice is recorded (``registry_meta``: ``pinned`` or ``declined``,
        which ``rm`` of the default set writes too), so a home created with ``default_set=False``
        (``autocodec init --no-default-set``), or one whose user unpinned it, stays that way."""
        self.store.ensure_schema("registry-meta", 1, [
            "CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"])
        row = self.store.read_row("SELECT value FROM registry_meta WHERE key = 'default-set'")
        if row is not None:
            return
        from ._default import DEFAULT_SET_NAME

        # a set of that name already pinned is the default set a home took before the choice was
        # recorded (before 8cd45aa): pinning again would be refused as another lineage; _upgrade moves it
        if accept and not any(info.name == DEFAULT_SET_NAME for info in self.trust.sets()):
            pin()
        with self.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO registry_meta VALUES ('default-set', ?)",
                         ("pinned" if accept else "declined",))

    # --- the blocks pinned sets need (issue 16, item 12) ---------------------------------------

    def needed(self, pin: PinInfo | None = None) -> dict[CID, str]:
        """Every block a pinned set needs, with what it is: its documents (root chain, indexes,
        manifests), the modules they list and their vectors. For one pin, or for all. The root
        chain is every root from the anchor to the pinned one (``lineage_roots``): with a key
        revoked, a set whose chain has a gap decides nothing (a rotation before it is unknown)."""
        from ..verify import Manifest, open_envelope

        limits = self.limits.trust
        out: dict[CID, str] = {}
        for info in [pin] if pin is not None else self.ls():
            state = self.trust.state(info.set_id)
            out[info.set_id] = f"root of set {info.name!r}"
            for role, cid in state.cids.items():
                out[cid] = f"{role} of set {info.name!r}"
            for cid in self.trust.lineage_roots(info.set_id):
                out.setdefault(cid, f"earlier root of set {info.name!r}")
            for cid in self.trust.manifests_of(info.set_id):
                out[cid] = f"manifest of set {info.name!r}"
                if not self.store.has(cid):  # listed, not read: repair fetches it back
                    continue
                env = open_envelope(self.store.get(cid), "manifest", max_bytes=limits.max_document_bytes,
                                    max_signatures=limits.max_signatures)
                m = Manifest.from_value(env.document, max_module_bytes=limits.max_module_bytes)
                out[m.module] = f"module {m.name} {m.version} of set {info.name!r}"
                self._module_dag(out, m, info.name)
                if m.vectors is not None:
                    out[m.vectors] = f"vectors of {m.name} {m.version} in set {info.name!r}"
        return out

    def _module_dag(self, out: dict[CID, str], m: Any, set_name: str) -> None:
        """Add to ``out`` the blocks under a module DAG's root (a module over 1 MiB) that the
        store's nodes reach; a node the store lacks is listed, not followed. Walked within the
        bounds of a module of the manifest's ``size`` (``verify.dag_cids``)."""
        from ..verify import dag_cids, is_dag

        if not is_dag(m.module):
            return
        for cid in dag_cids(m.module, self.store.get, size=m.size, limits=self.limits.trust):
            out.setdefault(cid, f"block of module {m.name} {m.version} of set {set_name!r}")

    def indirect(self, pins: "list[PinInfo] | None" = None) -> Iterator[tuple[CID, PinInfo]]:
        """Kubo's indirect pins in this model: ``(block, the pin needing it)`` for each block a
        pinned set needs (``needed``) other than the pinned versions' index CIDs (the recursive
        pins), each once (through the first set that needs it), sets in ``ls`` order.

        A needed block not in the store raises ``BlockNotFound`` in Kubo's offline words, as
        Kubo's ``pin ls`` fails for a block it must read for its links, unless the block is raw
        (a module, vectors): Kubo lists a raw leaf without reading it, lost or not. Memory: one
        set's ``needed`` and the CIDs listed so far (a set lists a bounded number of manifests)."""
        pins = self.ls() if pins is None else pins
        seen = {bytes(pin.index_cid.to_v1()) for pin in pins}  # the recursive pins are not indirect
        for pin in pins:
            for cid in self.needed(pin):
                key = bytes(cid.to_v1())
                if key in seen:
                    continue
                if cid.codec != RAW_CODEC and not self.store.has(cid):
                    raise BlockNotFound(f"block was not found locally (offline): ipld: could not find {cid}",
                                        hint=f"fetch the lost blocks of set {pin.name!r} back with "
                                             "`autocodec pin repair`")
                seen.add(key)
                yield cid, pin

    def bad_blocks(self, pin: PinInfo, verify: Callable[[CID, bytes], None]) -> list[tuple[CID, str]]:
        """``(block, why)`` for each block ``pin`` needs that the store lacks, holds damaged, or
        whose bytes do not hash to its CID (``verify`` raises ``AutocodecError`` then)."""
        bad: list[tuple[CID, str]] = []
        for cid in self.needed(pin):
            try:
                verify(cid, self.store.get(cid))
            except BlockNotFound:
                bad.append((cid, f"block was not found locally (offline): ipld: could not find {cid}"))
            except AutocodecError as exc:
                bad.append((cid, exc.message))
        return bad

    def guard_removal(self, cids: "list[CID]", *, needed: "dict[CID, str] | None" = None) -> None:
        """Raise ``BlockNeeded`` (naming the set and what the block is) if a pinned set needs any
        of ``cids``, or a block of the same multihash (the store removes a multihash, under every
        CID of it, as Kubo's blockstore); the caller removes nothing then. ``needed`` is
        ``needed()`` if the caller already holds it (one reading of the pins for many checks)."""
        needed = self.needed() if needed is None else needed
        by_multihash = {cid.multihash: cid for cid in needed}
        for cid in cids:
            what = needed.get(cid)
            if what is not None:
                raise BlockNeeded(f"block {cid} is the {what}; removing it would break that pinned set")
            same = by_multihash.get(cid.multihash)
            if same is not None:
                raise BlockNeeded(f"block {cid} has the bytes of {same}, the {needed[same]}; "
                                  "removing it would break that pinned set")

    def missing(self, pin: PinInfo | None = None) -> list[CID]:
        """Blocks a pinned set needs that the store no longer holds."""
        return [cid for cid in self.needed(pin) if not self.store.has(cid)]

    def repair_one(self, pin: PinInfo, *, progress: Progress = no_progress, now: int | None = None) -> PinResult:
        """Fetch back the blocks of the pinned version of a set that the store lost (from where
        the set was found, then the configured sources); each is verified against its CID.
        The trust state is not changed."""
        fetch = self._fetcher_for(pin.location)
        lost = self.missing(pin)
        blocks: list[tuple[CID, bytes]] = []
        for i, cid in enumerate(lost):
            blocks.append((cid, fetch(cid)))
            progress(i + 1, len(lost), "blocks")
        self.store.put_many(blocks)  # verified against each CID on the way in
        # a manifest fetched back may name a module still to fetch, a root fetched back the root
        # before it: again while each round brings back something (bounded by the root chain cap)
        for _ in range(self.limits.trust.max_root_chain + 1):
            fetched = {cid for cid, _ in blocks}
            left = [cid for cid in self.missing(pin) if cid not in fetched]
            if not left:
                break
            extra = [(cid, fetch(cid)) for cid in left]
            self.store.put_many(extra)
            blocks += extra
        log.info("pin.repair", set=pin.name, set_id=str(pin.set_id), blocks=len(blocks),
                 location=pin.location.describe())
        return PinResult(pin.set_id, pin.name, pin.index_cid, pin.version or 0, False, len(blocks), pin.location)

    def repair(self, which: str | None = None, *, progress: Progress = no_progress) -> list[PinResult | AutocodecError]:
        """``repair_one`` for one or every pinned set; errors are returned, not raised."""
        results: list[PinResult | AutocodecError] = []
        for pin in [self.find(which)] if which is not None else self.ls():
            try:
                results.append(self.repair_one(pin, progress=progress))
            except AutocodecError as exc:
                results.append(exc)
        return results


# --- the functional API (kept for callers; each call goes to ``runtime.pins``) ----------------


def pin_add(runtime: "Runtime", target: str, *, node: str | None = None, gateway: str | None = None,
            progress: Progress = no_progress, now: int | None = None, override: bool = False) -> PinResult:
    """Pin a set version (CID), an IPNS name pointing at one, or a bundle CAR file (``override``:
    it may take over codes that earlier pinned sets serve)."""
    return runtime.pins.add(target, node=node, gateway=gateway, progress=progress, now=now, override=override)


def pin_ls(runtime: "Runtime") -> list[PinInfo]:
    return runtime.pins.ls()


def pin_update(runtime: "Runtime", which: str | None = None, *, index: CID | None = None,
               progress: Progress = no_progress, now: int | None = None,
               canary: Canary | None = None) -> list[PinResult | AutocodecError]:
    """Look for newer versions of one or every pinned set where each was found; apply verified ones."""
    return runtime.pins.update(which, index=index, progress=progress, now=now, canary=canary)


def pin_rm(runtime: "Runtime", which: str) -> PinInfo:
    return runtime.pins.rm(which)


def pin_repair(runtime: "Runtime", which: str | None = None, *,
               progress: Progress = no_progress) -> list[PinResult | AutocodecError]:
    """Fetch back blocks that pinned sets need and the store lost (e.g. after ``block rm --force``)."""
    return runtime.pins.repair(which, progress=progress)
