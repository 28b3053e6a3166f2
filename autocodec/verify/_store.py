"""The local trust store: pinned sets, versions seen, revocations and the user's allow-list.

State lives in the home database (``trust_*`` tables, wing ``trust`` of the block store's
schema); every envelope it relies on is kept as a verified block in the same database.

Invariants:
- ``apply_update`` is all or nothing: one SQLite transaction writes the documents, versions
  and entries of a ``VerifiedSet``; a crash (even SIGKILL) half-way leaves the previous state
  intact and usable.
- Per set and role, the stored version never goes down: ``apply_update`` re-checks the
  versions under the write lock, so a stale or concurrent ``VerifiedSet`` cannot roll back,
  and an update of a set unpinned meanwhile is refused (it cannot undo the unpin); so is one
  whose documents, modules or publishers were revoked meanwhile, or that lowers a module's
  version without its publisher's mark (``_downgrades``, the one place of that rule).
- Unpinning keeps the versions seen: a set pinned again (by any root of its lineage) is
  verified against the state it was left in, under its first anchor, never from scratch.
- Decisions (``resolve``, ``authorize``) use one fixed ``now``; a set whose root or any active
  index has expired at ``now`` decides nothing (freeze attack) until it is updated.
- Revocation beats every other policy: a revoked key, manifest or module is refused even if a
  pinned set lists it or the allow-list names it. A revoked index or delegation key counts for
  nothing in decisions too: a stored index that no longer meets its role's threshold without
  it (the top index, or the delegated index that listed the entry) decides nothing, as
  ``verify_set`` would refuse it (``RevokedError``). A revoked root key counts for nothing in
  the rotations already applied either: a set with a rotation (anchor to stored root) short of
  a threshold without it decides nothing and takes no update (``_rotations_stand``).
- ``revoke`` refuses what would change nothing: a pinned set's own documents and its
  superseded ones (roots before its anchor, indexes older than its pinned version).
- Every decision is logged (``verify`` logger) with the document, publisher, set and policy.
- A manifest's publisher signature verified once (at pin or update time, or by an earlier
  call) is remembered in ``trust_signatures`` keyed by (manifest CID, key) and not re-checked
  (``_sigmemo``); revocation and expiry are still decided on every call.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, cast

from .._gotime import format_unix_time
from .._forks import watch
from .._inputs import as_bytes, as_cid, need_iterable, pair, whole_number
from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import (
    AutocodecError,
    ExpiredError,
    InvalidCID,
    InvalidInput,
    NotTrusted,
    RevokedError,
    RollbackError,
    RootChainError,
    SetNotFound,
    StoreError,
    ThresholdNotMet,
    WrongDocument,
)
from ..home import Home
from ..log import get_logger
from ._documents import CODED_KINDS, MODULE_KINDS, EntryKey, Index, Manifest
from ._ed25519 import PublicKey
from ._envelope import open_envelope
from ._kinds import check_codec, check_kind
from ._fetch import Fetch, fetch_verified
from ._module import VerifiedManifest, verify_manifest
from ._rowtypes import row_cid, row_int
from ._sigmemo import SCHEMA as MIGRATION_4

if TYPE_CHECKING:  # pragma: no cover - _update is imported by the methods that pin or update (start-up)
    from ._documents import Root
    from ._update import TrustedState, VerifiedSet


def _log() -> Any:
    """The verify logger, bound at call time so `log.configure` always applies."""
    return get_logger("verify")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS trust_sets (
        set_id TEXT PRIMARY KEY, name TEXT NOT NULL, root_cid TEXT NOT NULL,
        root_version INTEGER NOT NULL, index_cid TEXT, pinned_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS trust_versions (
        set_id TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL, cid TEXT NOT NULL,
        expires INTEGER NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (set_id, role))""",
    """CREATE TABLE IF NOT EXISTS trust_entries (
        set_id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, role TEXT NOT NULL,
        manifest_cid TEXT NOT NULL, module_cid TEXT NOT NULL, publisher TEXT NOT NULL,
        PRIMARY KEY (set_id, kind, key))""",
    "CREATE INDEX IF NOT EXISTS trust_entries_manifest ON trust_entries (manifest_cid)",
    """CREATE TABLE IF NOT EXISTS trust_revoked (
        target TEXT PRIMARY KEY, what TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS trust_allow (
        id INTEGER PRIMARY KEY, did TEXT, module_cid TEXT, ranges TEXT NOT NULL, at INTEGER NOT NULL,
        CHECK ((did IS NULL) <> (module_cid IS NULL)))""",
)

MIGRATION_2 = (
    # One counter that every trust write bumps in its own transaction: what a runtime polls to
    # know that a generation is stale (this process or another), whatever else the database does.
    "CREATE TABLE IF NOT EXISTS trust_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO trust_epoch VALUES (1, 0)",
    # Delegations' versions move to their own namespace (a delegation named like a top role
    # can no longer reach that role's floor; issue 16, item 5).
    "UPDATE trust_versions SET role = 'delegation/' || role WHERE role NOT IN ('root', 'index') "
    "AND role NOT LIKE 'delegation/%'",
    "UPDATE trust_entries SET role = 'delegation/' || role WHERE role NOT IN ('root', 'index') "
    "AND role NOT LIKE 'delegation/%'",
)

MIGRATION_3 = (
    # Sets the user allowed to take over codes and names that earlier pinned sets serve.
    "CREATE TABLE IF NOT EXISTS trust_overrides (set_id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
)

INDEXES = (
    "CREATE INDEX IF NOT EXISTS trust_entries_kind_key ON trust_entries (kind, key)",
)
"""Wing ``trust-indexes`` step 1: the index ``resolve`` looks entries up by (``_RESOLVE``
filters on kind and key; the primary key leads with the set, so each resolve scanned every
entry). A wing of its own rather than trust step 5: it changes no table, and a home that got it
stays open to releases that know trust v4 (they refuse a newer trust schema)."""

INDEXES_2 = (
    "CREATE INDEX IF NOT EXISTS trust_entries_module ON trust_entries (module_cid)",
)
"""Wing ``trust-indexes`` step 2: the index ``decide_module`` looks entries up by (a block that
names its decoder by module CID; ``_DECIDE_MODULE`` filtered on ``module_cid`` and scanned every
entry: 50,000 entries, 5.9 ms a decision)."""

_DECIDE_MODULE = ("SELECT e.manifest_cid FROM trust_entries e JOIN trust_sets s USING (set_id) "
                  "WHERE e.module_cid = ? ORDER BY s.rowid DESC")

_RANGE = re.compile(r"\s*(0x[0-9a-fA-F]+|\d+)\s*(?:-\s*(0x[0-9a-fA-F]+|\d+)\s*)?")
_MAX_RANGES = 64


def parse_ranges(text: str | None) -> tuple[tuple[int, int], ...]:
    """``"0x300000-0x3fffff,0x78"`` -> ``((0x300000, 0x3fffff), (0x78, 0x78))``; None -> ().

    A text that names no code at all (``""``, blanks) is refused: read as "no restriction" it
    would grant every code, the opposite of what a range list means.
    """
    if text is None:
        return ()
    if type(text) is not str:
        raise InvalidInput(f"a code range list is text such as 0x300000-0x3fffff,0x78, not {type(text).__name__}")
    if not text.strip():
        raise InvalidInput("the code range list is empty",
                           hint="name the codes, e.g. 0x300000-0x3fffff or 0x78,0x7b; leave it out to allow every code")
    out = []
    for part in text.split(",")[: _MAX_RANGES + 1]:
        m = _RANGE.fullmatch(part)
        if not m:
            raise InvalidInput(f"bad code range {part.strip()[:40]!r}", hint="write LO-HI or CODE, e.g. 0x300000-0x3fffff")
        lo = int(m.group(1), 0)
        hi = int(m.group(2), 0) if m.group(2) else lo
        if lo > hi or hi >= 1 << 63:
            raise InvalidInput(f"bad code range {part.strip()[:40]!r}: empty or too large")
        out.append((lo, hi))
    if len(out) > _MAX_RANGES:
        raise InvalidInput(f"at most {_MAX_RANGES} code ranges")
    return tuple(out)


def format_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"0x{lo:x}" if lo == hi else f"0x{lo:x}-0x{hi:x}" for lo, hi in ranges) or "*"


_SERVING_ORDER = "o.set_id IS NOT NULL DESC, CASE WHEN o.set_id IS NULL THEN s.rowid ELSE -s.rowid END"
"""Which of the pinned sets listing one entry serves it: those allowed to override first, the
latest pinned of them; then the others, the earliest pinned (``resolve``)."""

_RESOLVE = ("SELECT e.set_id, s.name, e.manifest_cid, o.set_id IS NOT NULL, e.role, s.root_cid FROM trust_entries e "
            "JOIN trust_sets s USING (set_id) LEFT JOIN trust_overrides o ON o.set_id = e.set_id "
            "WHERE e.kind = ? AND e.key = ? ORDER BY " + _SERVING_ORDER)
"""The pinned sets listing ``(kind, key)``, the serving one first (runs on every ``resolve``)."""


def _key_text(key: int | str) -> str:
    """A code or name as the entries hold it; ``InvalidInput`` for a value of another type (a
    list or None was looked up as its repr and found nothing, silently)."""
    if type(key) is int or type(key) is str:
        return str(key)
    raise InvalidInput(f"a module is looked up by its code (int) or name (str), not {type(key).__name__}")


def _when(now: int | None, what: str) -> int:
    """``now`` (whole seconds since the epoch) or the current time: a str or float was stored
    as the row's time as it was."""
    return int(time.time()) if now is None else whole_number(now, f"{what}'s now")


def _need_fetch(fetch: Any, what: str) -> Fetch:
    """``fetch`` when it is callable (a CID to untrusted bytes); else ``InvalidInput``: an object
    of another type was met at the first document as a ``FetchError`` blaming the source."""
    if not callable(fetch):
        raise InvalidInput(f"{what} needs a fetch function (a CID to bytes), not {type(fetch).__name__}")
    return cast(Fetch, fetch)


def _kind(kind: str) -> str:
    """``kind`` when it is one of ``MODULE_KINDS``; else ``InvalidInput`` (looked up as it
    was, any other value found nothing, silently)."""
    if kind not in MODULE_KINDS:
        raise InvalidInput(f"a module kind is one of {', '.join(MODULE_KINDS)}, not {kind!r}"[:200])
    return str(kind)


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a module may run: which manifest, which set (if any) and which policy decided."""

    module: CID
    policy: str
    manifest_cid: CID | None = None
    manifest: Manifest | None = None
    set_id: CID | None = None
    set_name: str | None = None
    valid_until: int | None = None
    """The earliest expiry (Unix seconds) of what decided: the set's root and active indexes and
    the manifest; None if nothing that decided expires. From then on the decision must be made
    again (a running process that keeps it past this time serves an expired set)."""


@dataclass(frozen=True, slots=True)
class _Rotation:
    """One root rotation of a pinned set's lineage: root ``cid`` (``version``) and the root keys
    and thresholds it had to meet, the previous root's and its own."""

    cid: str
    version: int
    old_keys: tuple[str, ...]
    old_threshold: int
    keys: tuple[str, ...]
    threshold: int


def _earliest(*times: int | None) -> int | None:
    found = [t for t in times if t is not None]
    return min(found) if found else None


@dataclass(frozen=True, slots=True)
class SetInfo:
    set_id: CID
    name: str
    root_version: int
    index_version: int | None
    index_cid: CID | None
    expires: int
    """The earliest expiry of the set's root and active indexes."""
    entries: int


@dataclass(frozen=True, slots=True)
class AllowRule:
    target: str
    ranges: tuple[tuple[int, int], ...]

    def covers(self, manifest: Manifest) -> bool:
        if not self.ranges:
            return True
        if manifest.kind not in CODED_KINDS:
            return False
        return all(any(lo <= c <= hi for lo, hi in self.ranges) for c in manifest.codes)


class TrustStore:
    """Trust state of one home folder. Open with ``TrustStore.open(home)``; close when done."""

    def __init__(self, blocks: Any, limits: Limits, *, owns_blocks: bool = False) -> None:
        self.blocks = blocks
        self.limits = limits
        self._owns_blocks = owns_blocks
        self._writes = 0
        self._reader: sqlite3.Connection | None = None
        self._no_reader = False
        self._reader_lock = threading.Lock()
        self._signatures: set[tuple[str, str]] = set()
        self._role_of: dict[tuple[str, str], tuple[tuple[str, ...], int]] = {}  # _role_keys
        self._signed: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}  # _index_signers
        self._steps: dict[tuple[str, str], tuple[frozenset[str], tuple[_Rotation, ...]]] = {}  # _rotations
        self._inherited: sqlite3.Connection | None = None  # the parent's reader, in a forked child
        watch(self)

    def _after_fork_in_child(self) -> None:
        """In a forked child: the parent's read connection is set aside, never used nor closed
        here; reads go to the block store, which refuses in a child (``StoreError``)."""
        self._inherited, self._reader = self._reader, None
        self._no_reader = True
        self._reader_lock = threading.Lock()

    @classmethod
    def open(cls, home: Home | str | None = None, *, limits: Limits | None = None, blocks: Any = None) -> TrustStore:
        """Open the trust tables in ``home``'s database (or in an already open ``BlockStore``)."""
        from ..store import BlockStore

        limits = limits or DEFAULT_LIMITS
        owns = blocks is None
        if blocks is None:
            blocks = BlockStore.open(home if isinstance(home, Home) else Home.resolve(home), limits=limits)
        try:
            from ..store import register_migration

            register_migration("trust", 1, SCHEMA)  # both steps known before any migration runs
            register_migration("trust", 2, MIGRATION_2)
            register_migration("trust", 3, MIGRATION_3)
            blocks.ensure_schema("trust", 4, MIGRATION_4)
            register_migration("trust-indexes", 1, INDEXES)
            blocks.ensure_schema("trust-indexes", 2, INDEXES_2)
        except BaseException:
            if owns:
                blocks.close()
            raise
        return cls(blocks, limits, owns_blocks=owns)

    def close(self) -> None:
        """Close the database, unless the caller passed in a ``BlockStore`` it still owns. Reads
        after this go to the block store (``StoreError`` once it is closed); none reopens the
        read-only connection, which nothing would close again."""
        with self._reader_lock:
            self._no_reader = True
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        if self._owns_blocks:
            self.blocks.close()

    def __enter__(self) -> Self:
        if getattr(self.blocks, "closed", False):  # its own, closed by close(); or the caller's, closed
            raise StoreError("the trust store's database is closed", hint="open it again with TrustStore.open")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction of the trust state: it advances the trust epoch in the same
        transaction, and counts the change in ``writes`` once it has committed."""
        with self.blocks.transaction() as conn:
            yield conn
            conn.execute("UPDATE trust_epoch SET n = n + 1 WHERE id = 1")
        self._writes += 1

    @property
    def writes(self) -> int:
        """Trust changes committed through this object (in-process; no database read)."""
        return self._writes

    def epoch(self) -> int:
        """A counter that grows with every committed change of the trust state, from any process.

        Two equal readings mean no pin, update, unpin, revocation or allow-list change was
        committed in between; this is what invalidates a runtime's generation. 0 on a read-only
        home made before the counter (``blocks.behind``): nothing here can change it.
        """
        if "trust" in getattr(self.blocks, "behind", {}):
            return 0
        rows = self._rows("SELECT n FROM trust_epoch WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    def _read_connection(self) -> sqlite3.Connection | None:
        """A read-only connection of this object's own (None if the database has no file)."""
        if self._reader is None and not self._no_reader:
            try:
                uri = Path(self.blocks.path).absolute().as_uri() + "?mode=ro"
                self._reader = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None,
                                               timeout=self.limits.store.busy_timeout_ms / 1000)
            except (sqlite3.Error, AttributeError, TypeError, ValueError):
                self._no_reader = True
        return self._reader

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of one read of committed trust state.

        Reads go through a read-only connection: in WAL mode a read takes no write lock and
        never waits for a writer (another process importing blocks holds the write lock for a
        while), so polling and resolving cost a request nothing. Every write of this object
        is committed before it reads again, so it reads its own writes.
        """
        with self._reader_lock:
            conn = self._read_connection()
            if conn is not None:
                try:
                    return list(conn.execute(sql, params).fetchall())
                except sqlite3.Error:  # e.g. a read-only folder without the WAL files: read as a writer
                    conn.close()
                    self._reader = None
                    self._no_reader = True
        with self.blocks.transaction() as conn2:
            rows: list[Any] = conn2.execute(sql, params).fetchall()
        return rows

    # --- remembered signature checks (a SignatureMemo) -------------------------------------

    def known(self, document: CID, keyid: str) -> bool:
        """True if ``document``'s signature by ``keyid`` was verified before (here or in the home)."""
        pair = (str(as_cid(document, "a remembered signature's document")), keyid)
        if pair in self._signatures:
            return True
        if self._rows("SELECT 1 FROM trust_signatures WHERE document = ? AND keyid = ?", pair):
            self._signatures.add(pair)
            return True
        return False

    def remember(self, document: CID, keyid: str) -> None:
        """Remember a signature ``PublicKey.verify`` just accepted: in this object, and in the
        home unless the database is busy or read-only (a short write that never waits)."""
        pair = (str(as_cid(document, "a remembered signature's document")), keyid)
        self._signatures.add(pair)
        from ..store import connect_writable

        try:  # the store's pragmas (its WAL bound), as every wing's direct connection has them
            conn = connect_writable(Path(self.blocks.path), 0)
        except (sqlite3.Error, StoreError, AttributeError, TypeError, ValueError):
            return
        try:
            conn.execute("INSERT OR IGNORE INTO trust_signatures VALUES (?, ?)", pair)
        except sqlite3.Error:
            pass  # busy or read-only: it is checked again next time
        finally:
            conn.close()

    # --- revocation and allow-list ---------------------------------------------------------

    @staticmethod
    def _target(target: str) -> tuple[str, str]:
        """Normalise a DID or CID; returns (text, "key" | "cid")."""
        if isinstance(target, CID):
            return str(target), "cid"
        if type(target) is not str:
            raise InvalidInput(f"a trust target is a publisher's DID or a CID, not {type(target).__name__}")
        target = target.strip()
        if target.startswith("did:"):
            return PublicKey.from_did(target).did, "key"
        try:
            return str(CID.parse(target)), "cid"
        except InvalidCID as exc:
            why = str(exc).partition(": ")[2] or str(exc)  # CID.parse's words after "cannot parse CID '...'"
            raise InvalidInput(f"{target[:80]!r} is neither a publisher's DID nor a CID: {why}",
                               hint="give a publisher's did:key:z6Mk... or the CID of a manifest or module") from None

    def _set_of(self, cid: str) -> str | None:
        """The name of the pinned set whose id, root (any of its lineage the home holds, as
        ``_kept_state`` reads it) or index (the versions stored) ``cid`` is."""
        rows = self._rows(
            "SELECT name FROM trust_sets WHERE set_id = ?1 OR root_cid = ?1 OR index_cid = ?1 UNION ALL "
            "SELECT s.name FROM trust_versions v JOIN trust_sets s USING (set_id) WHERE v.cid = ?1", (cid,))
        if rows:
            return str(rows[0][0])
        for set_id, name, root_cid in self._rows("SELECT set_id, name, root_cid FROM trust_sets"):
            lineage = self._lineage(row_cid(set_id, "trust_sets.set_id"), row_cid(root_cid, "trust_sets.root_cid"))
            if cid in {str(root) for root in lineage}:
                return str(name)
        return None

    def _before_anchor(self, set_id: CID) -> list[CID]:
        """The roots a pinned set's anchor names as before it (its ``previous`` links, through the
        blocks the home holds, and the first one it does not hold): none is ever trusted again."""
        from ._update import _open_root

        out: list[CID] = []
        cid: CID | None = set_id
        while cid is not None and len(out) <= self.limits.trust.max_root_chain and self.blocks.has(cid):
            try:
                cid = _open_root(self.blocks.get(cid), self.limits.trust)[1].previous
            except AutocodecError:
                break
            if cid is not None:
                out.append(cid)
        return out

    def _superseded(self, cid: str) -> tuple[str, str] | None:
        """``(what, set name)`` when ``cid`` is a pinned set's document that no update can bring
        back: a root before its anchor, or a held index (top or delegated) under one of its roots
        that is older than its pinned version of that role or signed under an older root. A
        revocation of such a CID would change nothing."""
        from ._documents import delegation_role

        target = as_cid(cid, "a revocation's target")
        held: Index | None = None
        if self.blocks.has(target):
            limits = self.limits.trust
            try:
                env = open_envelope(self.blocks.get(target), "index", max_bytes=limits.max_document_bytes,
                                    max_signatures=limits.max_signatures)
                held = Index.from_value(env.document, max_entries=limits.max_index_entries,
                                        max_delegations=limits.max_delegations)
            except AutocodecError:
                held = None  # not an index
        for set_id, name, root_cid in self._rows("SELECT set_id, name, root_cid FROM trust_sets"):
            anchor = row_cid(set_id, "trust_sets.set_id")
            before = self._before_anchor(anchor)
            if target in before:
                return f"root {target}, older than the anchor of pinned set {name!r}", str(name)
            if held is None or held.set != name:
                continue
            if held.root != row_cid(root_cid, "trust_sets.root_cid"):
                if held.root in before or held.root in self._lineage(anchor, row_cid(root_cid, "trust_sets.root_cid")):
                    return f"index {target}, signed under an older root than pinned set {name!r}'s", str(name)
                continue
            role = "index" if held.role == "index" else delegation_role(held.role)
            stored = self._rows("SELECT version FROM trust_versions WHERE set_id = ? AND role = ?", (set_id, role))
            if stored and held.version <= row_int(stored[0][0], "trust_versions.version"):
                return f"index {target} (v{held.version}), older than the version of pinned set {name!r}", str(name)
        return None

    def revoke(self, target: str, reason: str = "", *, now: int | None = None) -> str:
        """Revoke a key (DID) or a manifest/module (CID), for good: nothing lifts a revocation.
        Returns the normalised target. A pinned set's own CID (its id, a root or an index) is
        refused (``WrongDocument``), nothing recorded: a set is unpinned, not revoked."""
        text, what = self._target(target)
        name = self._set_of(text) if what == "cid" else None
        if name is not None:
            raise WrongDocument(f"{text} is pinned set {name!r} itself (its id, root or index), not a key, manifest "
                                "or module: revoking it would change nothing, the set would keep serving",
                                hint=f"to stop trusting the set, unpin it: `autocodec pin rm {name}`")
        old = self._superseded(text) if what == "cid" else None
        if old is not None:
            raise WrongDocument(f"{old[0]}: no update can bring it back (the anchor is trusted by its CID and "
                                "versions never go back), so revoking it would change nothing",
                                hint=f"to stop trusting the set, unpin it: `autocodec pin rm {old[1]}`")
        if type(reason) is not str:
            raise InvalidInput(f"revoke's reason is text, not {type(reason).__name__}")
        at = _when(now, "revoke")
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO trust_revoked VALUES (?, ?, ?, ?)", (text, what, reason[:500], at))
        _log().info("trust.revoke", target=text, what=what, reason=reason, policy="user")
        return text

    def revoked(self) -> frozenset[str]:
        return frozenset(r[0] for r in self._rows("SELECT target FROM trust_revoked"))

    def revocations(self) -> list[tuple[str, str, str, int]]:
        return [tuple(r) for r in self._rows("SELECT target, what, reason, at FROM trust_revoked ORDER BY at, target")]

    def allow(self, target: str, ranges: tuple[tuple[int, int], ...] | None = None, *,
              now: int | None = None) -> str:
        """Allow a publisher (DID) for every code (``ranges`` None) or only for ``ranges``, or
        one module (CID). An empty ``ranges`` is refused: it would be read back as "every code"."""
        text, what = self._target(target)
        if what == "cid" and ranges:
            raise InvalidInput("code ranges apply to publishers (DIDs), not to a module CID")
        if ranges is not None and what == "key":
            if not ranges:
                raise InvalidInput("an empty code range list would allow every code",
                                   hint="name the codes the publisher may serve, or give none to allow every code")
            need_iterable(ranges, "allow's ranges", "(LO, HI) code pairs")
            ranges = tuple(r if type(r) is tuple and len(r) == 2 else pair(r, "allow's ranges", "(LO, HI) code pairs")
                           for r in ranges)
            for lo, hi in ranges:
                if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi < 1 << 63):
                    raise InvalidInput(f"bad code range {lo!r}-{hi!r}: empty, negative or too large")
        ranges = ranges or ()
        at = _when(now, "allow")
        with self._write() as conn:
            col = "did" if what == "key" else "module_cid"
            conn.execute(f"DELETE FROM trust_allow WHERE {col} = ?", (text,))
            conn.execute(
                "INSERT INTO trust_allow (did, module_cid, ranges, at) VALUES (?, ?, ?, ?)",
                (text if what == "key" else None, text if what == "cid" else None, format_ranges(ranges), at),
            )
        _log().info("trust.allow", target=text, ranges=format_ranges(ranges), policy="user")
        return text

    def allowed(self) -> list[AllowRule]:
        rows = self._rows("SELECT COALESCE(did, module_cid), ranges FROM trust_allow ORDER BY id")
        return [AllowRule(t, () if r == "*" else parse_ranges(r)) for t, r in rows]

    # --- sets --------------------------------------------------------------------------------

    def sets(self) -> list[SetInfo]:
        out = []
        for set_id, name, root_version, index_cid in self._rows(
                "SELECT set_id, name, root_version, index_cid FROM trust_sets ORDER BY pinned_at, set_id"):
            vers = [(r, row_int(v, "trust_versions.version"), row_int(e, "trust_versions.expires"))
                    for r, v, e in self._rows(
                        "SELECT role, version, expires FROM trust_versions WHERE set_id = ? AND active = 1", (set_id,))]
            count = self._rows("SELECT COUNT(*) FROM trust_entries WHERE set_id = ?", (set_id,))[0][0]
            index_version = next((v for r, v, _ in vers if r == "index"), None)
            out.append(SetInfo(row_cid(set_id, "trust_sets.set_id"), str(name),
                               row_int(root_version, "trust_sets.root_version"), index_version,
                               row_cid(index_cid, "trust_sets.index_cid") if index_cid else None,
                               min((e for _, _, e in vers), default=0), count))
        return out

    def state(self, set_id: CID) -> TrustedState:
        """What is trusted for a pinned set (raises ``SetNotFound``)."""
        from ._update import TrustedState, _open_root

        set_id = as_cid(set_id, "a pinned set's id")
        row = self._rows("SELECT root_cid FROM trust_sets WHERE set_id = ?", (str(set_id),))
        if not row:
            raise SetNotFound(f"no pinned set {set_id}")
        root_cid = row_cid(row[0][0], "trust_sets.root_cid")
        _env, root = _open_root(self.blocks.get(root_cid), self.limits.trust)
        versions, cids = self._versions(set_id)
        return TrustedState(set_id, root, root_cid, versions, cids, self.revoked())

    def _versions(self, set_id: CID) -> tuple[dict[str, int], dict[str, CID]]:
        """Per role, the highest version seen of a set and its document's CID."""
        vers = self._rows("SELECT role, version, cid FROM trust_versions WHERE set_id = ?", (str(set_id),))
        return ({str(r): row_int(v, "trust_versions.version") for r, v, _ in vers},
                {str(r): row_cid(c, "trust_versions.cid") for r, _, c in vers})

    def _kept(self) -> dict[CID, CID]:
        """Sets unpinned earlier whose versions are kept: anchor (``set_id``) -> newest root seen."""
        return {row_cid(s, "trust_versions.set_id"): row_cid(c, "trust_versions.cid") for s, c in self._rows(
            "SELECT set_id, cid FROM trust_versions WHERE role = 'root' "
            "AND set_id NOT IN (SELECT set_id FROM trust_sets) ORDER BY version")}

    def _kept_state(self, set_id: CID, root_cid: CID, fetch: Fetch) -> tuple[TrustedState, bytes]:
        """The trusted state an unpinned set was left in (its newest root and every version seen),
        and its anchor envelope: pinning it again verifies against this, never from scratch.
        ``RevokedError`` if the user revoked a root of that state (its anchor, newest root or one
        between that the home holds) after the unpin."""
        from ._update import TrustedState, _open_root

        limits = self.limits.trust

        def block(cid: CID, what: str) -> bytes:
            if self.blocks.has(cid):
                return bytes(self.blocks.get(cid))
            try:
                return fetch_verified(fetch, cid, limits.max_document_bytes, what)
            except AutocodecError as exc:
                raise RootChainError(
                    f"set {set_id} was pinned before, up to root {root_cid}; that root is neither in the store nor "
                    f"where this version was found ({exc.message}), so its versions cannot be checked",
                    hint="pin the set from a place that also holds its newest root") from None

        _env, root = _open_root(block(root_cid, "root"), limits)
        anchor = block(set_id, "root")
        revoked = self.revoked()
        for cid in self._lineage(set_id, root_cid):  # revocable once unpinned: the user's word wins
            if str(cid) in revoked:
                _log().warning("trust.document", decision="reject", document=str(cid), kind="root", set=str(set_id),
                               policy="revoked")
                raise RevokedError(f"root {cid} of set {root.set!r}, unpinned earlier, was revoked: the set "
                                   "cannot be pinned again", hint="pin another set; a revocation is for good")
        versions, cids = self._versions(set_id)
        return self._standing(TrustedState(set_id, root, root_cid, versions, cids, revoked), pinned=False), anchor

    def _lineage(self, set_id: CID, root_cid: CID) -> dict[CID, int]:
        """The roots of a pinned set this home holds: the current one and every ``previous``
        before it (stored, verified blocks), with their versions."""
        from ._update import _open_root

        out: dict[CID, int] = {}
        cid: CID | None = root_cid
        while cid is not None and cid not in out and len(out) <= self.limits.trust.max_root_chain:
            if not self.blocks.has(cid):
                break
            _env, root = _open_root(self.blocks.get(cid), self.limits.trust)
            out[cid] = root.version
            cid = root.previous
        out.setdefault(set_id, 1)
        return out

    def anchor_for(self, root_cid: CID, fetch: Fetch, *, root_envelope: bytes | None = None,
                   replacing: CID | None = None) -> tuple[TrustedState, bytes | None]:
        """The trusted state an index under root ``root_cid`` must verify against, and the root
        envelope to store as a new anchor (None when a pinned set already owns that root).

        A set's identity is its roots' CIDs, never its name: the root is matched against the
        lineage of every pinned set (its stored roots, and the ``previous`` links of the new
        root up to ``limits.trust.max_root_chain``). Links read from unverified roots only
        choose which trusted state to verify against; they decide nothing (an index under a
        root older than the trusted one is then refused by ``verify_set`` as a rollback). A root
        outside every lineage under the name of a pinned set is a different set (refused), unless
        that set is ``replacing`` (``replace`` unpins it in the same transaction); anything else
        is pinned as a new anchor (trust on first use of what the user named).
        """
        from ._update import _open_root, trust_anchor

        root_cid = as_cid(root_cid, "anchor_for")
        fetch = _need_fetch(fetch, "anchor_for")
        replacing = None if replacing is None else as_cid(replacing, "anchor_for's replacing")
        if root_envelope is not None:
            root_envelope = as_bytes(root_envelope, "anchor_for's root_envelope")
        limits = self.limits.trust
        known: dict[CID, str] = {}
        names: dict[str, str] = {}
        for set_id, set_name, current in self._rows("SELECT set_id, name, root_cid FROM trust_sets"):
            if replacing is None or set_id != str(replacing):
                names[set_name] = set_id
            for known_cid in self._lineage(row_cid(set_id, "trust_sets.set_id"), row_cid(current, "trust_sets.root_cid")):
                known[known_cid] = set_id
        kept: dict[CID, tuple[CID, CID]] = {}  # root -> (anchor, newest root) of a set unpinned earlier
        for kept_id, kept_root in self._kept().items():
            for kept_cid in self._lineage(kept_id, kept_root):
                kept[kept_cid] = (kept_id, kept_root)
        first: bytes | None = None
        name: str | None = None
        cid: CID | None = root_cid
        for _ in range(limits.max_root_chain + 1):
            if cid is None:
                break
            hit = known.get(cid)
            if hit is not None:
                # verify_set refuses an older root's index
                return self._standing(self.state(row_cid(hit, "trust_sets.set_id"))), None
            if cid in kept:  # pinned before and unpinned: its versions still bind (never back)
                return self._kept_state(*kept[cid], fetch)
            try:
                data = root_envelope if (cid == root_cid and root_envelope is not None) else fetch_verified(
                    fetch, cid, limits.max_document_bytes, "root")
                _env, root = _open_root(data, limits)
            except AutocodecError:
                if cid == root_cid:
                    raise
                break  # an older root is unavailable: the lineage cannot reach a pinned set
            if cid == root_cid:
                first, name = data, root.set
            cid = root.previous
        assert first is not None and name is not None
        if name in names:
            raise RootChainError(f"root {root_cid} is not in the lineage of pinned set {name!r} "
                                 f"(anchored at {names[name]})",
                                 hint="unpin that set first (`autocodec pin rm NAME`) if you mean to trust this root")
        return trust_anchor(first, cid=root_cid, limits=limits, revoked=self.revoked()), first

    def verify(self, index_cid: CID, fetch: Fetch, *, now: int | None = None, root_envelope: bytes | None = None,
               root_cid: CID | None = None, manifests: bool = True,
               replacing: CID | None = None) -> tuple[VerifiedSet, bytes | None]:
        """Verify the set version whose top index is ``index_cid`` against what is trusted:
        the pinned set whose lineage holds its root, or a new anchor. Stores nothing; returns the
        verified set and the anchor envelope to store with it (None for a pinned set).
        ``replacing``: a pinned set whose name the new anchor may take (see ``replace``)."""
        from ._update import verify_set

        index_cid = as_cid(index_cid, "verify")
        fetch = _need_fetch(fetch, "verify")
        now = _when(now, "verify")
        root_cid = None if root_cid is None else as_cid(root_cid, "verify's root_cid")
        limits = self.limits.trust
        if root_cid is None:
            check_codec(index_cid, "index")  # a raw block's CID is refused before anything is fetched
            data = fetch_verified(fetch, index_cid, limits.max_document_bytes, "index")
            check_kind(index_cid, data, "index", max_bytes=limits.max_document_bytes)  # e.g. the set's id
            index_env = open_envelope(data, "index", max_bytes=limits.max_document_bytes,
                                      max_signatures=limits.max_signatures)
            root_cid = Index.from_value(index_env.document, max_entries=limits.max_index_entries,
                                        max_delegations=limits.max_delegations).root
        state, anchor = self.anchor_for(root_cid, fetch, root_envelope=root_envelope, replacing=replacing)
        return verify_set(state, index_cid, fetch, now=now, limits=limits, manifests=manifests), anchor

    def pin(self, root_envelope: bytes, index_cid: CID, fetch: Fetch, *, root_cid: CID | None = None,
            now: int | None = None) -> VerifiedSet:
        """Pin a set by a root chosen out of band and bring it up to ``index_cid``."""
        from ._update import _open_root

        root_envelope = as_bytes(root_envelope, "pin's root_envelope")
        index_cid = as_cid(index_cid, "pin")
        root_cid = None if root_cid is None else as_cid(root_cid, "pin's root_cid")
        now = _when(now, "pin")
        if root_cid is None:
            root_cid = _open_root(root_envelope, self.limits.trust)[0].cid
        verified, anchor = self.verify(index_cid, fetch, now=now, root_envelope=root_envelope, root_cid=root_cid)
        self.apply_update(verified, anchor_envelope=anchor, now=now)
        return verified

    def update(self, set_id: CID, index_cid: CID, fetch: Fetch, *, now: int | None = None) -> VerifiedSet:
        """Verify and apply the update of a pinned set whose new top index is ``index_cid``."""
        from ._update import verify_set

        index_cid = as_cid(index_cid, "update")
        fetch = _need_fetch(fetch, "update")
        now = _when(now, "update")
        verified = verify_set(self._standing(self.state(set_id)), index_cid, fetch, now=now, limits=self.limits.trust)
        self.apply_update(verified, now=now)
        return verified

    def apply_update(self, verified: VerifiedSet, *, anchor_envelope: bytes | None = None,
                     now: int | None = None, also: Callable[[Any], object] | None = None) -> None:
        """Store a ``VerifiedSet`` in one transaction (all or nothing); refuses rollbacks.

        ``also(conn)`` runs inside that transaction, after the set is written: a caller's own
        record of the update (where the set was found) commits with it or not at all."""
        set_id = str(verified.set_id)
        now = int(time.time()) if now is None else now
        with self._write() as conn:
            if anchor_envelope is None and not conn.execute(
                    "SELECT 1 FROM trust_sets WHERE set_id = ?", (set_id,)).fetchone():
                # an update of a set unpinned meanwhile (another process): applying it would undo the unpin
                raise SetNotFound(f"set {verified.name!r} ({set_id}) was unpinned while this update was verified; "
                                  "nothing was applied",
                                  hint="pin the set again if you mean to trust it")
            self._not_revoked_since(conn, verified, anchor_envelope is not None)
            pinned = conn.execute("SELECT index_cid FROM trust_sets WHERE set_id = ?", (set_id,)).fetchone()
            if pinned is not None and pinned[0] and pinned[0] != str(verified.index_cid):
                from ._downgrades import refuse_unmarked_downgrades

                refuse_unmarked_downgrades(row_cid(pinned[0], "trust_sets.index_cid"), verified, self.blocks.get,
                                           self.limits)
            stored = {r: (v, c) for r, v, c in conn.execute(
                "SELECT role, version, cid FROM trust_versions WHERE set_id = ?", (set_id,))}
            stored_root = stored.get("root", (0, ""))[0]
            for role, version in verified.versions.items():
                old = stored.get(role)
                if stored_root < verified.reset_at.get(role, 0):
                    continue  # keys rotated by a root newer than the stored one: floor reset
                if old and (old[0] > version or (old[0] == version and old[1] != str(verified.cids[role]))):
                    raise RollbackError(f"{role} v{version} of set {verified.name!r} would replace v{old[0]} stored")
            if anchor_envelope is not None:
                self.blocks.put(verified.set_id, anchor_envelope)
            for cid, (_kind, data) in verified.documents.items():
                self.blocks.put(cid, data)
            conn.execute(
                "INSERT INTO trust_sets VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (set_id) DO UPDATE SET "
                "name = excluded.name, root_cid = excluded.root_cid, root_version = excluded.root_version, "
                "index_cid = excluded.index_cid, updated_at = excluded.updated_at",
                (set_id, verified.name, str(verified.root_cid), verified.root.version, str(verified.index_cid),
                 now, now))
            conn.execute("UPDATE trust_versions SET active = 0 WHERE set_id = ?", (set_id,))
            for role, version in verified.versions.items():
                conn.execute("INSERT OR REPLACE INTO trust_versions VALUES (?, ?, ?, ?, ?, ?)",
                             (set_id, role, version, str(verified.cids[role]), verified.expires.get(role, 0),
                              int(role in verified.expires)))
            conn.execute("DELETE FROM trust_entries WHERE set_id = ?", (set_id,))
            self._write_entries(conn, verified)
            if also is not None:
                also(conn)
        _log().info("trust.store", decision="accept", set=verified.name, document=str(verified.index_cid),
                  versions=verified.versions, policy="all-or-nothing")

    @staticmethod
    def _not_revoked_since(conn: Any, verified: VerifiedSet, new_anchor: bool) -> None:
        """``RevokedError`` if, in the write transaction ``conn``, a document of ``verified`` (a
        root, index or manifest; the anchor when it is new), a module or a publisher key it lists
        is revoked: a revocation committed while the update was verified (``pin update`` fetches
        modules and runs the canary in between). Revoked role keys are left to decisions, which
        count them for nothing (``_still_signed``)."""
        revoked = {str(r[0]) for r in conn.execute("SELECT target FROM trust_revoked")}
        if not revoked:
            return
        found = [(kind, str(cid)) for cid, (kind, _data) in verified.documents.items() if str(cid) in revoked]
        found += [("root", str(verified.set_id))] if new_anchor and str(verified.set_id) in revoked else []
        for vm in verified.manifests.values():
            found += [(what, target) for what, target in (("module", str(vm.manifest.module)),
                                                          ("publisher key", vm.manifest.publisher))
                      if target in revoked]
        if found:
            what, target = found[0]
            _log().warning("trust.store", decision="reject", set=verified.name, document=target, policy="revoked")
            raise RevokedError(f"{what} {target} of set {verified.name!r} was revoked while this update was "
                               "verified; nothing was applied",
                               hint="the pinned version keeps serving; update again once the set offers a version "
                                    "that is not revoked")

    def _write_entries(self, conn: Any, verified: VerifiedSet) -> None:
        rows = []
        signed: set[tuple[str, str]] = set()  # every VerifiedManifest passed its publisher signature
        for (kind, key), (role, mcid) in verified.entries.items():
            vm = verified.manifests.get(mcid)
            if vm is None:
                data = self.blocks.get(mcid) if self.blocks.has(mcid) else None
                if data is None:
                    raise NotTrusted(f"manifest {mcid} was not verified with the set; cannot store the entry")
                vm = verify_manifest(data, now=verified.checked_at, limits=self.limits.trust, expect=(kind, key),
                                     set_name=verified.name)
            signed.add((str(vm.cid), vm.manifest.publisher))
            rows.append((str(verified.set_id), kind, _key_text(key), role, str(mcid), str(vm.manifest.module),
                         vm.manifest.publisher))
        conn.executemany("INSERT INTO trust_entries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT OR IGNORE INTO trust_signatures VALUES (?, ?)", sorted(signed))

    # --- decisions ---------------------------------------------------------------------------

    def _fresh(self, set_id: str, name: str, now: int) -> int | None:
        """Raise ``ExpiredError`` if the set's root or an active index expired at ``now``; else
        the earliest of their expiries (None if the set has no active document)."""
        earliest: int | None = None
        for role, cid, expires in self._rows(
                "SELECT role, cid, expires FROM trust_versions WHERE set_id = ? AND active = 1", (set_id,)):
            expires = row_int(expires, "trust_versions.expires")
            earliest = _earliest(earliest, expires)
            if now >= expires:
                _log().warning("trust.decision", decision="reject", set=name, document=cid, role=role,
                             policy="expiry", expires=expires, now=now)
                raise ExpiredError(f"{role} {cid} of set {name!r} expired at {format_unix_time(expires)}",
                                   hint="update the set (`autocodec pin update`)")
        return earliest

    def _role_keys(self, root_cid: str, role: str) -> tuple[tuple[str, ...], int]:
        """``role``'s keys and threshold under root ``root_cid`` (a content-addressed document:
        computed once per process). A role the root does not define gets no keys and threshold
        0, which every index meets: no stored state has one (``verify_set`` refuses an index
        pinning a delegation its root does not define, and an update marks the roles it leaves
        out inactive)."""
        hit = self._role_of.get((root_cid, role))
        if hit is not None:
            return hit
        from ._update import _open_root

        root = _open_root(self.blocks.get(row_cid(root_cid, "trust_sets.root_cid")), self.limits.trust)[1]
        delegation = None if role == "index" else root.delegation(role.removeprefix("delegation/"))
        hit = ((root.index.keys, root.index.threshold) if role == "index" else
               ((), 0) if delegation is None else (delegation.role.keys, delegation.role.threshold))
        if len(self._role_of) >= 1024:  # a bound; an entry is cheap to compute again
            self._role_of.clear()
        self._role_of[(root_cid, role)] = hit
        return hit

    def _index_signers(self, index_cid: str, keys: tuple[str, ...], kind: str = "index") -> frozenset[str]:
        """Which of ``keys`` validly signed the stored document ``index_cid`` (an index, or a
        root with ``kind="root"``), revoked or not: content-addressed, so its envelope is decoded
        and its signatures checked once per process, not on every decision."""
        hit = self._signed.get((index_cid, keys))
        if hit is not None:
            return hit
        limits = self.limits.trust
        env = open_envelope(self.blocks.get(row_cid(index_cid, "trust_versions.cid")), kind,
                            max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
        hit = frozenset(env.signers(keys, memo=self))
        if len(self._signed) >= 1024:
            self._signed.clear()
        self._signed[(index_cid, keys)] = hit
        return hit

    def _rotations(self, set_id: str, root_cid: str) -> tuple[frozenset[str], tuple[_Rotation, ...]]:
        """The root rotations from anchor ``set_id`` to the stored root ``root_cid``, oldest
        first, and every root key they name: read from the home's verified blocks (pins keep a
        set's roots; one it no longer holds ends the walk) once per process, as roots are
        content-addressed; a walk that ended before the anchor is not remembered."""
        hit = self._steps.get((set_id, root_cid))
        if hit is not None:
            return hit
        from ._update import _open_root

        limits = self.limits.trust
        roots: list[tuple[str, Root]] = []
        cid: CID | None = row_cid(root_cid, "trust_sets.root_cid")
        seen: set[CID] = set()
        while cid is not None and cid not in seen and len(roots) <= limits.max_root_chain and self.blocks.has(cid):
            seen.add(cid)
            root = _open_root(self.blocks.get(cid), limits)[1]
            roots.append((str(cid), root))
            cid = None if str(cid) == set_id else root.previous
        complete = bool(roots) and roots[-1][0] == set_id  # the walk reached the anchor
        roots.reverse()
        steps = tuple(_Rotation(cid_text, new.version, old.root.keys, old.root.threshold, new.root.keys,
                                new.root.threshold) for (_, old), (cid_text, new) in zip(roots, roots[1:]))
        hit = (frozenset(k for step in steps for k in (*step.old_keys, *step.keys)), steps)
        if not complete:  # a root not held (yet): walk again next time, when it may be stored
            return hit
        if len(self._steps) >= 1024:
            self._steps.clear()
        self._steps[(set_id, root_cid)] = hit
        return hit

    def _rotations_stand(self, set_id: str, name: str, root_cid: str, revoked: frozenset[str], *,
                         pinned: bool = True) -> None:
        """``RevokedError`` if a root rotation of the set's stored lineage (anchor to newest
        root) falls short, without revoked keys, of the previous root's threshold or of its own,
        as ``verify_set`` would refuse it now: a thief of root keys who rotated the set to keys of
        their own before the user revoked the stolen one must not keep it. The anchor is trusted
        by its CID (the user pinned it), not by its signatures. Costs set arithmetic unless a
        revoked key is a root key of the lineage; then each such rotation's signatures once per
        process (``_index_signers``)."""
        keys, steps = self._rotations(set_id, root_cid)
        if revoked.isdisjoint(keys):
            return
        for step in steps:
            named = tuple(sorted({*step.old_keys, *step.keys}))
            if revoked.isdisjoint(named):
                continue
            signers = self._index_signers(step.cid, named, "root")
            good = signers - revoked
            if len(good & set(step.old_keys)) >= step.old_threshold and len(good & set(step.keys)) >= step.threshold:
                continue
            used = sorted(signers & revoked)
            _log().warning("trust.decision", decision="reject", set=name, document=step.cid, role="root",
                           policy="revoked-root-key", revoked=used)
            raise RevokedError(
                f"root v{step.version} {step.cid} of set {name!r} was signed by revoked key(s) {', '.join(used)}; "
                "without them it falls short of the root keys it needed, so it and everything after it count "
                "for nothing", hint="no update of this set can mend it (its later keys came from that root): "
                + (f"unpin it (`autocodec pin rm {name}`) and " if pinned else "")
                + "pin a new root (a set of its own) that its publisher gives you out of band")

    def _standing(self, state: TrustedState, *, pinned: bool = True) -> TrustedState:
        """``state`` when every root rotation it rests on stands without revoked keys
        (``_rotations_stand``), the trusted state an update may start from; else ``RevokedError``."""
        self._rotations_stand(str(state.set_id), state.root.set, str(state.root_cid), frozenset(state.revoked),
                              pinned=pinned)
        return state

    def _still_signed(self, set_id: str, name: str, root_cid: str, role: str, revoked: frozenset[str]) -> None:
        """``RevokedError`` (or ``ThresholdNotMet``) if revocations leave the set's active top
        index, or the active index of ``role`` (the delegation that listed an entry), short of
        its role's threshold under the stored root ``root_cid``: what ``verify_set`` refuses, no
        decision may rely on. Without revocations this reads nothing; with them, one query and
        set arithmetic over the role's keys (``_role_keys``), and over the index's signers
        (``_index_signers``) only when a revoked key is one of those keys."""
        if not revoked:
            return
        self._rotations_stand(set_id, name, root_cid, revoked)
        for listing, cid in self._rows("SELECT role, cid FROM trust_versions WHERE set_id = ? AND active = 1 "
                                       "AND role IN ('index', ?)", (set_id, role)):
            keys, threshold = self._role_keys(root_cid, str(listing))
            if revoked.isdisjoint(keys) or len(self._index_signers(str(cid), keys) - revoked) >= threshold:
                continue
            limits = self.limits.trust  # refused: the envelope once more, for require's own words and log
            env = open_envelope(self.blocks.get(row_cid(cid, "trust_versions.cid")), "index",
                                max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
            try:
                env.require(keys, threshold, role=str(listing), set_name=name, revoked=revoked, memo=self)
            except (RevokedError, ThresholdNotMet) as exc:
                exc.hint = ("the set decides nothing until a version signed by its unrevoked keys is applied: "
                            "update the set (`autocodec pin update`)")
                raise

    def _check_revoked(self, vm: VerifiedManifest, revoked: frozenset[str], set_name: str | None) -> None:
        m = vm.manifest
        for target, what in ((str(vm.cid), "manifest"), (str(m.module), "module"), (m.publisher, "publisher key")):
            if target in revoked:
                _log().warning("trust.decision", decision="reject", document=str(vm.cid), publisher=m.publisher,
                             set=set_name, policy="revoked", target=target)
                raise RevokedError(f"{what} {target} is revoked")

    def _manifest(self, cid: CID, now: int, revoked: frozenset[str], set_name: str,
                  expect: EntryKey | None) -> VerifiedManifest:
        return verify_manifest(self.blocks.get(cid), now=now, limits=self.limits.trust, revoked=revoked,
                               expect=expect, set_name=set_name, memo=self)

    def resolve(self, kind: str, key: int | str, *, now: int | None = None) -> Decision | None:
        """The trusted manifest for ``(kind, code|name)``, or None if no pinned set lists it.

        The first pinned set that lists it serves it: a set pinned later takes over a code or
        name another pinned set serves only if the user said so (``set_override``; ``pin add
        --override``), so a new set cannot silently replace the hashers that verify blocks or
        the codecs that decode them. Among sets allowed to override, the most recently pinned
        wins. Only the serving set decides: when its entry is refused (its index expired, its
        manifest, module or publisher revoked) that refusal is raised, and no other set that
        lists the code takes over unasked (a publisher who could withhold the serving set's
        updates until it expired would otherwise gain the code for a set of their own).
        """
        now = int(time.time()) if now is None else now
        rows = self._rows(_RESOLVE, (_kind(kind), _key_text(key)))
        if not rows:
            _log().info("trust.decision", decision="none", kind=kind, code=key, policy="no-pinned-set-lists-it")
            return None
        revoked = self.revoked()
        set_id, name, mcid, overrides, role, root_cid = rows[0]
        try:
            fresh_until = self._fresh(set_id, name, now)
            self._still_signed(str(set_id), str(name), str(root_cid), str(role), revoked)
            vm = self._manifest(row_cid(mcid, "trust_entries.manifest_cid"), now, revoked, name, (kind, key))
            self._check_revoked(vm, revoked, name)
        except (ExpiredError, RevokedError, ThresholdNotMet, NotTrusted) as exc:
            exc.entry = (str(set_id), str(name), str(mcid))
            if len(rows) > 1:  # the user's way out, when they trust the other set for it
                exc.hint = (f"{exc.hint}; set {rows[1][1]!r} lists it too and serves it only once the user "
                            "lets that set take over (pinned again, allowed to override)")
            raise
        _log().info("trust.decision", decision="accept", document=mcid, publisher=vm.manifest.publisher,
                    set=name, module=str(vm.manifest.module), kind=kind, code=key, policy="pinned-set",
                    overrides=bool(overrides), listed_by=len(rows))
        return Decision(vm.manifest.module, "pinned-set", vm.cid, vm.manifest, row_cid(set_id, "trust_sets.set_id"), name,
                        _earliest(fresh_until, vm.manifest.expires))

    def served_by_others(self, set_id: CID) -> list[tuple[str, int | str, str]]:
        """``(kind, key, set name)`` for each entry of pinned set ``set_id`` that another pinned
        set serves first in ``resolve``'s order (pinned earlier, or allowed to override), so
        this set does not serve it. Refusals found at resolve time (expiry, revocation) are not
        weighed: this is what the pins say, not what would load now."""
        rows = self._rows(
            "SELECT e.kind, e.key, e.set_id, s.name FROM trust_entries e JOIN trust_sets s USING (set_id) "
            "LEFT JOIN trust_overrides o ON o.set_id = e.set_id WHERE EXISTS (SELECT 1 FROM trust_entries m "
            "WHERE m.set_id = ? AND m.kind = e.kind AND m.key = e.key) ORDER BY e.kind, e.key, " + _SERVING_ORDER,
            (str(set_id),))
        first: dict[tuple[str, str], tuple[str, str]] = {}
        for kind, key, serving, name in rows:
            first.setdefault((str(kind), str(key)), (str(serving), str(name)))
        return [(kind, int(key) if kind in CODED_KINDS else key, name)
                for (kind, key), (serving, name) in first.items() if serving != str(set_id)]

    def authorize(self, manifest: VerifiedManifest | bytes, *, now: int | None = None) -> Decision:
        """Decide whether a manifest obtained outside a set update may be used.

        Allowed if (after revocation checks) a fresh pinned set lists this very manifest, or the
        user allow-listed its module CID, or its publisher for all of its codes.
        """
        now = int(time.time()) if now is None else now
        revoked = self.revoked()
        # a VerifiedManifest was checked at some earlier time: expiry is decided again at this now
        vm = verify_manifest(manifest.envelope if isinstance(manifest, VerifiedManifest) else manifest, now=now,
                             limits=self.limits.trust, revoked=revoked)
        self._check_revoked(vm, revoked, None)
        m = vm.manifest
        for set_id, name, role, root_cid in self._rows(
                "SELECT e.set_id, s.name, e.role, s.root_cid FROM trust_entries e JOIN trust_sets s USING (set_id) "
                "WHERE e.manifest_cid = ? ORDER BY s.pinned_at", (str(vm.cid),)):
            try:
                fresh_until = self._fresh(set_id, name, now)
                self._still_signed(str(set_id), str(name), str(root_cid), str(role), revoked)
            except (ExpiredError, RevokedError, ThresholdNotMet):
                continue
            return self._decide(vm, "pinned-set", row_cid(set_id, "trust_sets.set_id"), name, fresh_until)
        for rule in self.allowed():
            if rule.target == str(m.module):
                return self._decide(vm, "allow-list:module")
            if rule.target == m.publisher and rule.covers(m):
                return self._decide(vm, f"allow-list:publisher[{format_ranges(rule.ranges)}]")
        _log().warning("trust.decision", decision="reject", document=str(vm.cid), publisher=m.publisher,
                     module=str(m.module), policy="not-in-pinned-set-or-allow-list")
        raise NotTrusted(f"module {m.module} ({m.name} {m.version}, published by {m.publisher}) is in no pinned "
                         "set and its publisher is not allow-listed for its codes",
                         hint=f"pin a set that lists it, or `autocodec trust add {m.publisher}` if you trust the publisher")

    def _decide(self, vm: VerifiedManifest, policy: str, set_id: CID | None = None,
                set_name: str | None = None, fresh_until: int | None = None) -> Decision:
        _log().info("trust.decision", decision="accept", document=str(vm.cid), publisher=vm.manifest.publisher,
                  module=str(vm.manifest.module), set=set_name, policy=policy)
        return Decision(vm.manifest.module, policy, vm.cid, vm.manifest, set_id, set_name,
                        _earliest(fresh_until, vm.manifest.expires))

    def decide_module(self, module: CID, *, now: int | None = None) -> Decision | None:
        """May the module with this CID run? (for blocks that name their decoder by CID)

        Yes if a fresh pinned set lists a manifest for it that still verifies (most recently
        pinned first), or if the user allow-listed the module CID itself; else None.
        """
        module = as_cid(module, "decide_module")
        for (mcid,) in self._rows(_DECIDE_MODULE, (str(module),)):
            try:
                return self.authorize(self.blocks.get(row_cid(mcid, "trust_entries.manifest_cid")), now=now)
            except (ExpiredError, RevokedError, NotTrusted):
                continue
        if self.module_allowed(module):
            _log().info("trust.decision", decision="accept", module=str(module), policy="allow-list:module")
            return Decision(module, "allow-list:module")
        return None

    def unpin(self, set_id: CID) -> None:
        """Stop trusting a pinned set (one transaction). The highest versions seen are kept,
        so pinning it again can never go back to an older version."""
        set_id = as_cid(set_id, "unpin")
        with self._write() as conn:
            gone = self._unpin_rows(conn, set_id)
        if not gone:
            raise SetNotFound(f"no pinned set {set_id}")
        _log().info("trust.unpin", set=str(set_id), policy="user")

    @staticmethod
    def _unpin_rows(conn: Any, set_id: CID) -> int:
        gone: int = conn.execute("DELETE FROM trust_sets WHERE set_id = ?", (str(set_id),)).rowcount
        conn.execute("DELETE FROM trust_entries WHERE set_id = ?", (str(set_id),))
        conn.execute("UPDATE trust_versions SET active = 0 WHERE set_id = ?", (str(set_id),))
        conn.execute("DELETE FROM trust_overrides WHERE set_id = ?", (str(set_id),))
        return gone

    def replace(self, old: CID, verified: VerifiedSet, *, anchor_envelope: bytes | None,
                now: int | None = None, also: Callable[[Any], object] | None = None) -> None:
        """Unpin ``old`` and pin ``verified`` (verified with ``replacing=old``) in one transaction:
        a crash leaves one or the other pinned, never neither. The new set takes the old one's
        place among pinned sets (its row and pinned time), so which set serves a code listed by
        several (``resolve``: the first pinned, unless overridden) is what it was. ``SetNotFound``
        (nothing changed) if ``old`` was unpinned meanwhile; ``apply_update``'s refusals otherwise."""
        old = as_cid(old, "replace")
        with self._write() as conn:
            place = conn.execute("SELECT rowid, pinned_at FROM trust_sets WHERE set_id = ?", (str(old),)).fetchone()
            if place is None or not self._unpin_rows(conn, old):
                raise SetNotFound(f"set {old} was unpinned while its replacement was verified; nothing was applied")
            self.apply_update(verified, anchor_envelope=anchor_envelope, now=now, also=also)
            conn.execute("UPDATE trust_sets SET rowid = ?, pinned_at = ? WHERE set_id = ?",
                         (place[0], place[1], str(verified.set_id)))
        _log().info("trust.replace", set=verified.name, old=str(old), new=str(verified.set_id), policy="default-set")

    def set_override(self, set_id: CID, allow: bool = True, *, now: int | None = None) -> None:
        """The user's decision that pinned set ``set_id`` may (or may no longer) take over codes
        and names that earlier pinned sets serve (see ``resolve``)."""
        set_id = self.state(set_id).set_id  # parsed; SetNotFound unless pinned
        at = _when(now, "set_override")
        with self._write() as conn:
            if allow:
                conn.execute("INSERT OR REPLACE INTO trust_overrides VALUES (?, ?)", (str(set_id), at))
            else:
                conn.execute("DELETE FROM trust_overrides WHERE set_id = ?", (str(set_id),))
        _log().info("trust.override", set=str(set_id), allow=allow, policy="user")

    def overrides(self) -> frozenset[CID]:
        """Pinned sets the user allowed to take over codes other pinned sets serve."""
        return frozenset(row_cid(r[0], "trust_overrides.set_id") for r in self._rows("SELECT set_id FROM trust_overrides"))

    def manifests_of(self, set_id: CID) -> list[CID]:
        """The manifests a pinned set lists (from its verified entries)."""
        set_id = as_cid(set_id, "manifests_of")
        return [row_cid(r[0], "trust_entries.manifest_cid") for r in self._rows(
            "SELECT DISTINCT manifest_cid FROM trust_entries WHERE set_id = ? ORDER BY manifest_cid", (str(set_id),))]

    def listed(self, kind: str) -> list[str]:
        """Every code (or name) of ``kind`` some pinned set lists, sorted; whether each decides
        now (expiry, revocation) is ``resolve``'s question."""
        return [r[0] for r in self._rows("SELECT DISTINCT key FROM trust_entries WHERE kind = ? ORDER BY key",
                                                (_kind(kind),))]

    def module_allowed(self, module: CID) -> bool:
        """True if the user allow-listed this module CID itself (and it is not revoked)."""
        text = str(as_cid(module, "module_allowed"))
        if text in self.revoked():
            return False
        return any(r.target == text for r in self.allowed())

    def __iter__(self) -> Iterator[SetInfo]:
        return iter(self.sets())
