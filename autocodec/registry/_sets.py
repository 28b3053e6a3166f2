"""The publisher's side of an extension set: init, add, remove, publish, rotate keys, export.

A set's working state (its keys by name, thresholds, current root, last index version and
the entries staged for the next index) lives in the home's database, tables ``registry_set*``.

Invariants:
- ``publish`` signs index version N+1 with a threshold of the index role, fresh expiry,
  naming the current root; what it prints (the index envelope's CID) identifies that
  version of the set, and is what users pin. Signed and recorded as the set's version are two
  steps (``_pending``): a number is never signed for two contents, and never goes down.
- ``rotate_keys`` signs root N+1 (``previous`` root N) with a threshold of root N's root keys
  and every new key, as readers require (TUF 5.3.4); later indexes are signed under it.
- ``export`` writes one CAR whose root is that index: the whole root chain, the index,
  every manifest, module and vectors document it lists; so the bundle verifies offline. An
  index past its expiry is not exported (every home would refuse to pin it).
- ``add`` never stages, under one module name and version, module bytes other than those the
  entry it replaces names (users would hold two modules both called ``NAME VERSION``).
- ``add`` never stages, for a key, a module of lower version (semver precedence) than the
  module of the same name the set lists for it, staged or in its latest published version,
  unless the caller says the rollback is deliberate (``allow_downgrade``). Such an entry
  carries the mark (table ``registry_set_downgrades``) into every index that lists it, as
  ``"downgrade": true``: users' updates refuse an unmarked rollback (``_pins``). Replacing or
  removing the entry drops its mark; the same manifest added again keeps it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..cid import CID
from .._gotime import format_unix_time
from ..errors import ExpiredError, InvalidInput, ModuleDowngrade, NotFound, SetNotFound
from ..log import get_logger
from ._publish import check_lifetime
from ._signers import check_role_keys, check_signers
from ._versions import is_lower, precedence

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Index, Manifest, Root, SigningKey
    from ._runtime import Runtime

log = get_logger("registry")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_sets ("
    " name TEXT PRIMARY KEY, keys TEXT NOT NULL, threshold INTEGER NOT NULL, root_cid TEXT NOT NULL,"
    " root_version INTEGER NOT NULL, index_version INTEGER NOT NULL DEFAULT 0, index_cid TEXT,"
    " expires_days REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registry_set_entries ("
    " name TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, manifest_cid TEXT NOT NULL,"
    " PRIMARY KEY (name, kind, key))",
]

DOWNGRADES_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_set_downgrades ("
    " name TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, manifest_cid TEXT NOT NULL,"
    " PRIMARY KEY (name, kind, key))",
]
"""Staged entries the publisher marked as deliberate rollbacks (the mark holds for that manifest only)."""

DAY = 86400


@dataclass(frozen=True)
class SetState:
    name: str
    key_names: tuple[str, ...]
    threshold: int
    root_cid: CID
    root_version: int
    index_version: int
    index_cid: CID | None
    expires_days: float


def _ensure(runtime: "Runtime") -> None:
    runtime.store.ensure_schema("registry-sets", 1, SCHEMA)
    runtime.store.ensure_schema("registry-set-downgrades", 1, DOWNGRADES_SCHEMA)


def get_set(runtime: "Runtime", name: str) -> SetState:
    _ensure(runtime)
    row = runtime.store.read_row("SELECT * FROM registry_sets WHERE name = ?", (name,))
    if row is None:
        raise SetNotFound(f"no extension set named {name!r} is being published from this home",
                          hint="create the set first (`autocodec set init`)")
    return SetState(row[0], tuple(json.loads(row[1])), row[2], CID.parse(row[3]), row[4], row[5],
                    CID.parse(row[6]) if row[6] else None, row[7])


def check_set_name(name: object) -> None:
    """``InvalidInput`` unless ``name`` is a set name documents take (``abi.NAME``); checked before
    any key or document is touched (the root document would refuse it as malformed, with a hint
    to ask the set's publisher, who is the caller here)."""
    from ..abi import NAME

    if not isinstance(name, str) or not NAME.fullmatch(name):
        text = str(name)
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise InvalidInput(f"{shown!r} is not a set name: lowercase letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit, at most 64 characters",
                           hint="choose a name of that shape")


def init_set(runtime: "Runtime", name: str, keys: Sequence["SigningKey"], key_names: Sequence[str], *,
             threshold: int = 1, expires_days: float = 365.0, now: int | None = None) -> SetState:
    """Create a set: root v1 whose root and index roles are ``keys`` with ``threshold``."""
    from ..verify import Role, Root, sign

    check_set_name(name)
    _ensure(runtime)
    now = int(time.time()) if now is None else now
    check_lifetime(expires_days)
    check_role_keys(key_names, [k.did for k in keys], threshold)
    if runtime.store.read_row("SELECT 1 FROM registry_sets WHERE name = ?", (name,)):
        raise InvalidInput(f"a set named {name!r} already exists in this home",
                           hint="choose another name, or publish the existing set's next version")
    role = Role(tuple(k.did for k in keys), threshold)
    root = Root(set=name, version=1, expires=int(now + expires_days * DAY), root=role, index=role)
    root_cid, envelope = sign(root, keys, limits=runtime.limits.trust)
    runtime.store.put(root_cid, envelope)
    with runtime.store.transaction() as conn:
        conn.execute("INSERT INTO registry_sets VALUES (?, ?, ?, ?, ?, 0, NULL, ?)",
                     (name, json.dumps(list(key_names)), threshold, str(root_cid), 1, expires_days))
    log.info("set.init", set=name, root=str(root_cid), keys=[k.did for k in keys], threshold=threshold)
    return get_set(runtime, name)


def add_manifest(runtime: "Runtime", name: str, manifest_cid: CID, *,
                 allow_downgrade: bool = False) -> list[tuple[str, int | str]]:
    """Stage a manifest for the next index, for every code (or the name) it provides.

    ``allow_downgrade``: the publisher's decision that a lower version than the set lists for
    a key is deliberate; without it such a manifest is refused (``ModuleDowngrade``), and with
    it the entries that lower a version are marked so in the indexes that list them."""
    from ..verify import verify_manifest

    from ..verify._kinds import check_codec, check_kind

    get_set(runtime, name)
    check_codec(manifest_cid, "manifest")  # a raw block's CID is refused before anything is fetched
    data = runtime.get(manifest_cid)
    check_kind(manifest_cid, data, "manifest", max_bytes=runtime.limits.trust.max_document_bytes)
    vm = verify_manifest(data, now=int(time.time()), limits=runtime.limits.trust, set_name=name)
    m = vm.manifest
    keys: list[int | str] = list(m.codes) if m.codes else [m.name]
    for key in keys:
        _refuse_other_bytes(runtime, name, m, manifest_cid, key)
    lowered = _lowered_from(runtime, name, m, keys)
    if lowered and not allow_downgrade:
        _refuse_downgrade(name, m, manifest_cid, *next(iter(lowered.items())))
    with runtime.store.transaction() as conn:
        for key in keys:
            conn.execute("INSERT OR REPLACE INTO registry_set_entries VALUES (?, ?, ?, ?)",
                         (name, m.kind, str(key), str(manifest_cid)))
            conn.execute("DELETE FROM registry_set_downgrades WHERE name = ? AND kind = ? AND key = ? "
                         "AND manifest_cid != ?", (name, m.kind, str(key), str(manifest_cid)))
        for key in lowered:  # the same manifest added again keeps its mark
            conn.execute("INSERT OR IGNORE INTO registry_set_downgrades VALUES (?, ?, ?, ?)",
                         (name, m.kind, str(key), str(manifest_cid)))
    log.info("set.add", set=name, manifest=str(manifest_cid), kind=m.kind, codes=keys, publisher=m.publisher,
             downgrades=list(lowered))
    return [(m.kind, k) for k in keys]


def _listed_cids(runtime: "Runtime", name: str, kind: str, keys: list[int | str]) -> dict[str, set[CID]]:
    """``key as text -> manifest CIDs`` the set lists for ``(kind, key)``, for each of ``keys``:
    staged for the next version, and in its latest published version (a key removed from the
    staged list is still listed there). The latest index is read once, whatever ``keys``."""
    state = get_set(runtime, name)
    listed: dict[str, set[CID]] = {str(key): set() for key in keys}
    for key, cids in listed.items():
        row = runtime.store.read_row("SELECT manifest_cid FROM registry_set_entries WHERE name = ? AND kind = ? "
                                     "AND key = ?", (name, kind, key))
        if row is not None:
            cids.add(CID.parse(row[0]))
    if state.index_cid is not None:
        index = _read_index(runtime, runtime.get(state.index_cid))
        for e in index.entries:
            if e.kind == kind and str(e.key) in listed:
                listed[str(e.key)].add(e.manifest)
    return listed


def _lowered_from(runtime: "Runtime", name: str, new: "Manifest", keys: list[int | str]) -> dict[int | str, "Manifest"]:
    """``key -> listed manifest`` for each of ``keys`` (in their order) where ``new`` would lower
    the version of a listed manifest of the same module name and kind (the highest such when
    several). Modules of other names are another module, whose versions do not compare. Each
    listed manifest is read once however many keys list it."""
    read: dict[CID, "Manifest"] = {}

    def manifest(cid: CID) -> "Manifest":
        if cid not in read:
            read[cid] = _read_manifest(runtime, runtime.get(cid))
        return read[cid]

    lowered: dict[int | str, "Manifest"] = {}
    listed = _listed_cids(runtime, name, new.kind, keys)
    for key in keys:
        older = [m for m in map(manifest, sorted(listed[str(key)], key=str))
                 if m.name == new.name and is_lower(new.version, m.version)]
        highest = max(older, key=lambda m: precedence(m.version), default=None)
        if highest is not None:
            lowered[key] = highest
    return lowered


def _refuse_downgrade(name: str, new: "Manifest", new_cid: CID, key: int | str, old: "Manifest") -> None:
    """``ModuleDowngrade``: ``new`` would take ``key`` back from the listed ``old``."""
    from ..codes import entry_name

    raise ModuleDowngrade(
        f"set {name!r} lists {old.name} {old.version} for {new.kind} {entry_name(new.kind, key)}; manifest "
        f"{new_cid} would take it back to {new.version}",
        hint="publish the module under a higher version; if going back is deliberate, say so when adding it "
             "(allow the downgrade), and users' updates accept it")


def downgrade_marks(runtime: "Runtime", name: str) -> set[tuple[str, str, CID]]:
    """``(kind, key, manifest)`` of the staged entries marked as deliberate rollbacks."""
    _ensure(runtime)
    rows = runtime.store.read_rows("SELECT kind, key, manifest_cid FROM registry_set_downgrades WHERE name = ?",
                                   (name,))
    return {(kind, key, CID.parse(m)) for kind, key, m in rows}


def _refuse_other_bytes(runtime: "Runtime", name: str, new: "Manifest", new_cid: CID, key: int | str) -> None:
    """``InvalidInput`` when the entry ``new`` would replace names the same module name and
    version with other module bytes: users would hold two different modules both called
    ``NAME VERSION``. The same module again (another signature, a longer expiry) may replace it."""
    from ..codes import entry_name

    row = runtime.store.read_row("SELECT manifest_cid FROM registry_set_entries WHERE name = ? AND kind = ? AND key = ?",
                                 (name, new.kind, str(key)))
    if row is None or row[0] == str(new_cid):
        return
    old = _read_manifest(runtime, runtime.get(CID.parse(row[0])))
    if old.name == new.name and old.version == new.version and old.module != new.module:
        raise InvalidInput(
            f"set {name!r} already lists {old.name} {old.version} for {new.kind} {entry_name(new.kind, key)} "
            f"with module {old.module}; manifest {new_cid} ships other bytes ({new.module}) under the same version",
            hint="give the changed module a new version (module.json's \"version\") and publish it again")


def remove_entry(runtime: "Runtime", name: str, kind: str, key: int | str) -> None:
    get_set(runtime, name)
    with runtime.store.transaction() as conn:
        gone = conn.execute("DELETE FROM registry_set_entries WHERE name = ? AND kind = ? AND key = ?",
                            (name, kind, str(key))).rowcount
        conn.execute("DELETE FROM registry_set_downgrades WHERE name = ? AND kind = ? AND key = ?",
                     (name, kind, str(key)))
    if not gone:
        raise InvalidInput(f"set {name!r} has no {kind} entry for {key}",
                           hint="the set's staged entries are listed by `autocodec set show NAME`")


def entries(runtime: "Runtime", name: str) -> list[tuple[str, int | str, CID]]:
    from ..verify._documents import CODED_KINDS

    get_set(runtime, name)
    rows = runtime.store.read_rows("SELECT kind, key, manifest_cid FROM registry_set_entries WHERE name = ? "
                                   "ORDER BY kind, key", (name,))
    return [(k, int(key) if k in CODED_KINDS else key, CID.parse(m)) for k, key, m in rows]


def published_entries(runtime: "Runtime", name: str) -> list[tuple[str, int | str, CID]] | None:
    """The entries of the set's latest published index, in ``entries``' order; None when it was
    never published. ``entries`` is what the next version will list (staged by ``add_manifest``
    and ``remove_entry``); the two differ until ``publish_set``."""
    state = get_set(runtime, name)
    if state.index_cid is None:
        return None
    index = _read_index(runtime, runtime.get(state.index_cid))
    return sorted(((e.kind, e.key, e.manifest) for e in index.entries), key=lambda e: (e[0], str(e[1])))


def publish_set(runtime: "Runtime", name: str, keys: Sequence["SigningKey"], *, expires_days: float | None = None,
                now: int | None = None, record: bool = True) -> CID:
    """Sign index version N+1 of the set; returns its CID (the set version's identifier).

    ``record=False`` leaves the set's version at N and keeps the index pending (``_pending``)
    until ``record_set_version``: a step that may fail after signing (putting it on a node)
    comes in between. A pending index listing the same is signed again by no one: it is
    answered (the same CID); one listing otherwise is followed by the next number."""
    from ..verify import Index, IndexEntry, sign
    from ._pending import keep_pending, pending, reusable

    state = get_set(runtime, name)
    now = int(time.time()) if now is None else now
    days = expires_days if expires_days is not None else state.expires_days
    check_lifetime(days)
    check_signers(name, _current_root(runtime, state).index, keys)
    marks = downgrade_marks(runtime, name)
    listed = [IndexEntry(kind, key, mcid, (kind, str(key), mcid) in marks) for kind, key, mcid in entries(runtime, name)]
    if not listed:
        raise InvalidInput(f"set {name!r} lists nothing yet", hint="add manifests with `autocodec set add NAME MANIFEST_CID`")
    waiting = pending(runtime, name)
    spent = max(state.index_version, waiting.version if waiting is not None else 0)
    index = Index(set=name, role="index", version=spent + 1, expires=int(now + days * DAY),
                  root=state.root_cid, entries=tuple(listed))
    live = waiting if waiting is not None and waiting.version > state.index_version else None
    if live is not None and not runtime.store.has(live.index_cid):  # removed from the store: its number stays spent
        live = None
    signed = _read_index(runtime, runtime.store.get(live.index_cid)) if live is not None else None
    if live is not None and signed is not None and reusable(live, signed, index, days, now):
        index, index_cid = signed, live.index_cid  # the number is spent on it: the same again
    else:
        index_cid, envelope = sign(index, keys, limits=runtime.limits.trust)
        runtime.store.put(index_cid, envelope)
        keep_pending(runtime, name, index.version, index_cid, days)
    log.info("set.sign", set=name, index=str(index_cid), version=index.version, entries=len(listed),
             expires=index.expires)
    if record:
        record_set_version(runtime, name, index_cid)
    return index_cid


def record_set_version(runtime: "Runtime", name: str, index_cid: CID) -> None:
    """Make the index ``publish_set`` signed (``record=False``) the set's latest version."""
    from ._pending import record_pending

    version = record_pending(runtime, name, index_cid)
    log.info("set.publish", set=name, index=str(index_cid), version=version)


def rotate_keys(runtime: "Runtime", name: str, signers: Sequence["SigningKey"], new_keys: Sequence["SigningKey"],
                new_key_names: Sequence[str], *, threshold: int = 1, expires_days: float | None = None,
                now: int | None = None) -> SetState:
    """Sign root N+1 of the set, whose root and index roles are ``new_keys`` with ``threshold``.

    ``signers`` must hold a threshold of root N's root keys; the new root is signed by them and
    by every new key, so it verifies as the next link of the chain. Nothing is signed when a
    check fails. Users follow it on their next update; the next ``publish_set`` signs with the
    new keys.
    """
    from ..verify import Role, Root, sign

    state = get_set(runtime, name)
    now = int(time.time()) if now is None else now
    days = expires_days if expires_days is not None else state.expires_days
    check_lifetime(days)
    check_role_keys(new_key_names, [k.did for k in new_keys], threshold)
    current = _current_root(runtime, state)
    check_signers(name, current.root, signers, role_name="root")
    role = Role(tuple(k.did for k in new_keys), threshold)
    root = Root(set=name, version=current.version + 1, expires=int(now + days * DAY), root=role, index=role,
                delegations=current.delegations, previous=state.root_cid)
    by_did = {k.did: k for k in [*signers, *new_keys]}
    root_cid, envelope = sign(root, by_did.values(), limits=runtime.limits.trust)
    runtime.store.put(root_cid, envelope)
    with runtime.store.transaction() as conn:
        conn.execute("UPDATE registry_sets SET keys = ?, threshold = ?, root_cid = ?, root_version = ? WHERE name = ?",
                     (json.dumps(list(new_key_names)), threshold, str(root_cid), root.version, name))
    log.info("set.rotate", set=name, root=str(root_cid), version=root.version, keys=list(role.keys),
             threshold=threshold)
    return get_set(runtime, name)


def _current_root(runtime: "Runtime", state: SetState) -> "Root":
    """The set's current root document, read back from the home's block store."""
    from ..verify import Root, open_envelope

    limits = runtime.limits.trust
    env = open_envelope(runtime.get(state.root_cid), "root", max_bytes=limits.max_document_bytes,
                        max_signatures=limits.max_signatures)
    return Root.from_value(env.document, max_keys=limits.max_role_keys, max_delegations=limits.max_delegations)


def _read_index(runtime: "Runtime", data: bytes) -> "Index":
    """The index document in the envelope ``data`` (parsed within the trust limits, not verified)."""
    from ..verify import Index, open_envelope

    limits = runtime.limits.trust
    env = open_envelope(data, "index", max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
    return Index.from_value(env.document, max_entries=limits.max_index_entries, max_delegations=limits.max_delegations)


def _read_manifest(runtime: "Runtime", data: bytes) -> "Manifest":
    """The manifest document in the envelope ``data`` (parsed within the trust limits, not verified)."""
    from ..verify import Manifest, open_envelope

    limits = runtime.limits.trust
    env = open_envelope(data, "manifest", max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
    return Manifest.from_value(env.document, max_module_bytes=limits.max_module_bytes)


@dataclass(frozen=True, slots=True)
class SetParts:
    """The blocks of one set version (``blocks``, each once, in walk order) and, among them, the
    modules' CIDs (a DAG's root) and the test vectors' CIDs, each once."""

    blocks: list[tuple[CID, bytes]]
    modules: list[CID]
    vectors: list[CID]


def set_blocks(runtime: "Runtime", index_cid: CID) -> list[tuple[CID, bytes]]:
    """Every block of one set version: root chain, index, manifests, modules (each block of a
    module DAG), vectors."""
    return set_parts(runtime, index_cid).blocks


def set_parts(runtime: "Runtime", index_cid: CID) -> SetParts:
    """``set_blocks``, with which of them are modules and which test vectors."""
    from ..verify import Root, open_envelope

    limits = runtime.limits.trust
    out: dict[CID, bytes] = {}
    modules: dict[CID, None] = {}
    vectors: dict[CID, None] = {}

    def take(cid: CID) -> bytes:
        data = runtime.get(cid)
        out[cid] = data
        return data

    index = _read_index(runtime, take(index_cid))
    root_cid: CID | None = index.root
    while root_cid is not None:
        env = open_envelope(take(root_cid), "root", max_bytes=limits.max_document_bytes,
                            max_signatures=limits.max_signatures)
        root_cid = Root.from_value(env.document, max_keys=limits.max_role_keys,
                                   max_delegations=limits.max_delegations).previous
    for cid in index.delegations.values():
        take(cid)
    for entry in index.entries:
        if entry.manifest in out:
            continue
        manifest = _read_manifest(runtime, take(entry.manifest))
        modules[manifest.module] = None
        for block in _module_cids(runtime, manifest.module, manifest.size):
            take(block)
        if manifest.vectors is not None:
            vectors[manifest.vectors] = None
            take(manifest.vectors)
    return SetParts(list(out.items()), list(modules), list(vectors))


def _module_cids(runtime: "Runtime", module: CID, size: int) -> list[CID]:
    """The blocks a manifest's module CID names: itself, or every block of its UnixFS file DAG
    (a module over 1 MiB), root first, walked within the bounds of a module of ``size`` bytes."""
    from ..verify import dag_cids, is_dag

    if not is_dag(module):
        return [module]
    return list(dag_cids(module, runtime.get, size=size, limits=runtime.limits.trust))


def _write_car_file(target: Path, root: CID, blocks: list[tuple[CID, bytes]]) -> None:
    """A CAR of ``blocks`` at ``target``, whole or not at all (``_partfiles.write_whole``):
    exports to one path at once each put a whole file there (the last stays); what a killed
    export left is removed by a later one."""
    from .._partfiles import write_whole
    from ..store import CarWriter

    def write(stream: BinaryIO) -> None:
        writer = CarWriter(stream, [root])
        for cid, data in blocks:
            writer.write(cid, data)

    write_whole(target, write)


def export_set(runtime: "Runtime", name: str, out: BinaryIO | str | Path) -> tuple[CID, int]:
    """Write the set's latest published version as one CAR; returns (index CID, blocks). A
    path is written as a whole file or not at all (``_write_car_file``)."""
    from ..store import CarWriter

    state = get_set(runtime, name)
    if state.index_cid is None:
        raise NotFound(f"set {name!r} has never been published: it has no version to export",
                       hint="publish a version of the set first")
    index = _read_index(runtime, runtime.get(state.index_cid))
    if int(time.time()) >= index.expires:
        raise ExpiredError(f"set {name!r} v{index.version} expired at {format_unix_time(index.expires)}: no home "
                           "would pin it", hint=f"sign a fresh version (`autocodec set publish {name}`), then export again")
    blocks = set_blocks(runtime, state.index_cid)
    if isinstance(out, (str, Path)):
        _write_car_file(Path(out), state.index_cid, blocks)
    else:
        writer = CarWriter(out, [state.index_cid])
        for cid, data in blocks:
            writer.write(cid, data)
    log.info("set.export", set=name, index=str(state.index_cid), blocks=len(blocks))
    return state.index_cid, len(blocks)
