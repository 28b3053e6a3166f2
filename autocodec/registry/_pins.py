"""The user's side of extension sets: pin, list, update, unpin.

A pin is made from a set version's CID (its top index) found in the local store, an IPFS
node, a gateway or a bundle CAR, or from an IPNS name that points at it. Where it was found
is remembered, so ``update`` can look there for newer versions.

Invariants:
- Pinning is trust on first use of what the user named: the index's root is the anchor, and
  it must be signed by its own root role; everything else is verified against it.
- All or nothing: the set is verified, then every module it lists is fetched and checked
  against its manifest, and only then is the trust store changed (one transaction). A bad
  module (e.g. one byte changed in a bundle) refuses the whole pin or update, naming it.
- Versions never go down (the trust store refuses rollbacks); an update to the version
  already pinned is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..errors import AutocodecError, FetchError, IntegrityError, NotFound, SetNotFound
from ..log import get_logger
from ..progress import Progress, no_progress

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import VerifiedSet
    from ._runtime import Runtime

log = get_logger("registry")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_pins ("
    " set_id TEXT PRIMARY KEY, name TEXT NOT NULL, location_kind TEXT NOT NULL, location TEXT NOT NULL,"
    " node TEXT, index_cid TEXT NOT NULL, pinned_at INTEGER NOT NULL)",
]


@dataclass(frozen=True)
class Location:
    """Where a set was found: ``car`` (a path), ``ipns`` (a name on ``node``), ``node``, ``gateway``, ``store``."""

    kind: str
    where: str
    node: str | None = None

    def describe(self) -> str:
        return f"{self.kind}:{self.where}" + (f" via {self.node}" if self.node and self.kind == "ipns" else "")


@dataclass(frozen=True)
class PinResult:
    set_id: CID
    name: str
    index_cid: CID
    version: int
    changed: bool
    modules: int
    location: Location


def _ensure(runtime: "Runtime") -> None:
    runtime.store.ensure_schema("registry-pins", 1, SCHEMA)


def _fetcher_for(runtime: "Runtime", location: Location) -> Any:
    """``fetch(cid)`` over the location first (verified by the trust layer), then the runtime's sources."""
    from ..sources import CarSource, GatewaySource, NodeSource

    extra: Any = None
    if location.kind == "car":
        extra = CarSource(location.where, limits=runtime.limits)
    elif location.kind in ("node", "ipns") and location.node:
        extra = NodeSource(location.node, limits=runtime.limits.fetch)
    elif location.kind == "gateway":
        extra = GatewaySource(location.where, limits=runtime.limits.fetch)

    def fetch(cid: CID) -> bytes:
        if runtime.store.has(cid):
            return runtime.store.get(cid)
        if extra is not None:
            try:
                return extra.get(cid)
            except AutocodecError:
                pass
        return runtime.fetcher.get(cid)

    return fetch


def _head(runtime: "Runtime", location: Location) -> CID | None:
    """The newest set version a location offers (None if it cannot say)."""
    if location.kind == "car":
        from ..sources import CarSource

        path = Path(location.where)
        if not path.exists():
            raise FetchError(f"the bundle {path} the set was pinned from is gone")
        source = CarSource(path, limits=runtime.limits)
        source.all_blocks()
        if len(source.roots) != 1:
            raise IntegrityError(f"{path} must have exactly one root (the set's index), it has {len(source.roots)}")
        return source.roots[0]
    if location.kind == "ipns":
        return resolve_ipns(location.node or "", location.where, runtime)
    return None


def resolve_ipns(node: str, name: str, runtime: "Runtime") -> CID:
    from ..sources import NodeSource

    source = NodeSource(node, limits=runtime.limits.fetch)
    answer = source._request("/name/resolve", (name,), decoder="json")  # noqa: SLF001 - same wing family
    items = answer if isinstance(answer, list) else [answer]
    path = str((items[0] or {}).get("Path", "")) if items else ""
    if not path.startswith("/ipfs/"):
        raise FetchError(f"{name} did not resolve to an /ipfs/ path on {node} (got {path!r})")
    return CID.parse(path[len("/ipfs/"):].split("/")[0])


def _verify(runtime: "Runtime", index_cid: CID, fetch: Any, *, now: int, anchor: Any = None) -> "VerifiedSet":
    from ..verify import Index, open_envelope, trust_anchor, verify_set

    limits = runtime.limits.trust
    if anchor is None:
        raw = fetch(index_cid)
        from ..verify._fetch import read_capped

        data = read_capped(raw, limits.max_document_bytes, f"index {index_cid}")
        env = open_envelope(data, "index", max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
        index = Index.from_value(env.document, max_entries=limits.max_index_entries,
                                 max_delegations=limits.max_delegations)
        pinned = [s for s in runtime.trust.sets() if s.name == index.set]
        if pinned:
            # A set of this name is pinned: continue from what is stored, so an older version
            # (even one under an older root) is a rollback, never a fresh trust-on-first-use.
            anchor = runtime.trust.state(pinned[0].set_id)
        else:
            root_data = read_capped(fetch(index.root), limits.max_document_bytes, f"root {index.root}")
            anchor = (trust_anchor(root_data, cid=index.root, limits=limits, revoked=runtime.trust.revoked()),
                      root_data)
    state = anchor[0] if isinstance(anchor, tuple) else anchor
    return verify_set(state, index_cid, fetch, now=now, limits=limits), anchor


def _fetch_modules(runtime: "Runtime", verified: "VerifiedSet", fetch: Any, progress: Progress) -> int:
    """Fetch and check every module (and vectors) the set lists; store them. All before any commit."""
    from ..verify import fetch_module, fetch_vectors

    manifests = list(verified.manifests.values())
    blocks: list[tuple[CID, bytes]] = []
    for i, vm in enumerate(manifests):
        m = vm.manifest
        try:
            wasm = fetch_module(m, fetch, limits=runtime.limits.trust)
        except AutocodecError as exc:
            raise type(exc)(f"module {m.module} ({m.name} {m.version}) of set {verified.name!r}: {exc.message}") from None
        blocks.append((m.module, wasm))
        try:
            vectors = fetch_vectors(m, fetch, limits=runtime.limits.trust)  # capped and hash-checked
        except NotFound:
            vectors = None  # vectors are for canaries; a live update refuses a module without them
        if vectors is not None:
            blocks.append((m.vectors, vectors))
        progress(i + 1, len(manifests), "modules")
    runtime.store.put_many(blocks)
    return len(manifests)


def pin_add(runtime: "Runtime", target: str, *, node: str | None = None, gateway: str | None = None,
            progress: Progress = no_progress, now: int | None = None) -> PinResult:
    """Pin a set version (CID), an IPNS name pointing at one, or a bundle CAR file."""
    _ensure(runtime)
    now = int(time.time()) if now is None else now
    path = Path(target)
    if target.endswith(".car") or (path.exists() and path.is_file()):
        location = Location("car", str(path.resolve()))
        index_cid = _head(runtime, location)
    elif target.startswith("/ipns/"):
        if not (node or runtime.settings.node):
            raise AutocodecError("an IPNS name needs a node to resolve it", hint="give --node ADDR")
        location = Location("ipns", target, node or runtime.settings.node)
        index_cid = _head(runtime, location)
    else:
        index_cid = CID.parse(target)
        if node:
            location = Location("node", node, node)
        elif gateway:
            location = Location("gateway", gateway)
        else:
            location = Location("store", "")
    assert index_cid is not None
    return _apply(runtime, index_cid, location, progress=progress, now=now)


Canary = Callable[["VerifiedSet", Any], None]


def _apply(runtime: "Runtime", index_cid: CID, location: Location, *, progress: Progress, now: int,
           anchor: Any = None, canary: Canary | None = None) -> PinResult:
    fetch = _fetcher_for(runtime, location)
    verified, anchor = _verify(runtime, index_cid, fetch, now=now, anchor=anchor)
    current = None
    try:
        current = runtime.trust.state(verified.set_id).cids.get("index")
    except SetNotFound:
        pass
    modules = _fetch_modules(runtime, verified, fetch, progress)
    changed = current != verified.index_cid
    if changed and canary is not None:
        canary(verified, fetch)  # raises CanaryFailed: nothing applied
    if changed:
        anchor_envelope = anchor[1] if isinstance(anchor, tuple) else None
        runtime.trust.apply_update(verified, anchor_envelope=anchor_envelope, now=now)
    with runtime.store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO registry_pins VALUES (?, ?, ?, ?, ?, ?, COALESCE("
                     "(SELECT pinned_at FROM registry_pins WHERE set_id = ?), ?))",
                     (str(verified.set_id), verified.name, location.kind, location.where, location.node,
                      str(verified.index_cid), str(verified.set_id), now))
    runtime.trust_changed()
    log.info("pin", set=verified.name, set_id=str(verified.set_id), index=str(verified.index_cid),
             version=verified.index.version, changed=changed, location=location.describe(), modules=modules,
             policy="verified-set-all-or-nothing")
    return PinResult(verified.set_id, verified.name, verified.index_cid, verified.index.version, changed, modules,
                     location)


@dataclass(frozen=True)
class PinInfo:
    set_id: CID
    name: str
    index_cid: CID
    version: int | None
    expires: int
    entries: int
    location: Location


def pin_ls(runtime: "Runtime") -> list[PinInfo]:
    _ensure(runtime)
    with runtime.store.transaction() as conn:
        rows = {r[0]: r for r in conn.execute("SELECT * FROM registry_pins").fetchall()}
    out = []
    for info in runtime.trust.sets():
        row = rows.get(str(info.set_id))
        location = Location(row[2], row[3], row[4]) if row else Location("unknown", "")
        out.append(PinInfo(info.set_id, info.name, info.index_cid or info.set_id, info.index_version,
                           info.expires, info.entries, location))
    return out


def _find(runtime: "Runtime", which: str) -> PinInfo:
    for pin in pin_ls(runtime):
        if which in (pin.name, str(pin.set_id), str(pin.index_cid)):
            return pin
    raise SetNotFound(f"no pinned set {which!r}")


def pin_update(runtime: "Runtime", which: str | None = None, *, index: CID | None = None,
               progress: Progress = no_progress, now: int | None = None,
               canary: Canary | None = None) -> list[PinResult | AutocodecError]:
    """Look for newer versions of one or every pinned set where each was found; apply verified ones."""
    now = int(time.time()) if now is None else now
    pins = [_find(runtime, which)] if which else pin_ls(runtime)
    results: list[PinResult | AutocodecError] = []
    for pin in pins:
        try:
            head = index or _head(runtime, pin.location)
            if head is None:
                raise AutocodecError(
                    f"set {pin.name!r} was pinned from {pin.location.describe()}, which has no update channel",
                    hint="give the new version with `autocodec pin update NAME --index CID`, or pin an IPNS name or a bundle path")
            state = runtime.trust.state(pin.set_id)
            if head == pin.index_cid:
                results.append(PinResult(pin.set_id, pin.name, head, pin.version or 0, False, 0, pin.location))
                continue
            results.append(_apply(runtime, head, pin.location, progress=progress, now=now, anchor=state,
                                  canary=canary))
        except AutocodecError as exc:
            log.warning("pin.update", set=pin.name, decision="refuse", reason=exc.message, policy=type(exc).__name__)
            results.append(exc)
    return results


def pin_rm(runtime: "Runtime", which: str) -> PinInfo:
    pin = _find(runtime, which)
    runtime.trust.unpin(pin.set_id)
    with runtime.store.transaction() as conn:
        conn.execute("DELETE FROM registry_pins WHERE set_id = ?", (str(pin.set_id),))
    runtime.trust_changed()
    log.info("pin.rm", set=pin.name, set_id=str(pin.set_id))
    return pin
