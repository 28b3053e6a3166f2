"""Revoked UCAN delegations, kept in the home's SQLite database so every process sees them.

Invariants:
- A revocation is recorded only from a ``/ucan/revoke`` invocation (ucan-wg/revocation: ``args``
  ``{"revoke": CID, "path": [CID, ...]}``) whose signature verifies and whose issuer issued the
  revoked delegation or one of the delegations of its path witness above it, or is the store's
  ``owner`` (an executor's own key); the path must be signed delegations forming the delegation's
  chain (each one's audience issued the next, the first issued by its subject, every non-null
  ``sub`` that subject), so an unrelated token cannot make someone a revoker. The invocation's
  bytes (at most ``MAX_REVOCATION_BYTES``) are kept as the evidence.
- A revocation is scoped as ucan-wg/revocation's "Store" section says: revoker R's revocation of
  delegation D voids D only in the proof chains that also hold a delegation R issued (its
  ``delegators``); a chain reaching D without passing through R keeps working ("Scope": another
  valid chain still grants the capability). ``revokers(D)`` gives every R, so the table keeps one
  row per delegation and revoker; ``is_revoked`` says whether anyone revoked D.
- ``is_revoked`` and ``revokers`` read the table on every call (a revocation by another process
  counts at once).
- A revoked delegation stays revoked while it can validate: its revocation is evicted only
  ``EVICT_AFTER_S`` after the delegation expired (the spec's "Eviction"), and the table holds at
  most ``max_rows`` rows (further revocations, but the owner's, are ``RateLimited``). Recording
  one again is harmless (``record`` says it was not new).
- Reads never write: a home where nothing was revoked yet (no table) has no revocation, and a
  read does not wait for another process's write. ``record`` takes the write lock at once
  (``BEGIN IMMEDIATE``) and waits for it up to ``busy_timeout_ms`` (the store's limit). A SQLite
  error is a ``StoreError`` (``translate_sqlite_error``): "locked by another process" when the
  wait ran out, never a bare ``sqlite3`` exception.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..._inputs import as_cid, as_path, need_iterable, whole_number
from ...cid import CID
from ...config import DEFAULT_LIMITS
from ._build import REVOKE_COMMAND, REVOKER_HINT
from ...errors import RateLimited
from ._errors import InvalidClaim, InvalidToken
from ._token import Token, need_token
from ._validate import MAX_CHAIN

_COLUMNS = """(
    delegation TEXT NOT NULL,
    revoker TEXT NOT NULL,
    invocation BLOB NOT NULL,
    at INTEGER NOT NULL,
    exp INTEGER,
    PRIMARY KEY (delegation, revoker)
)"""
_DDL = f"CREATE TABLE IF NOT EXISTS ucan_revocations {_COLUMNS}"
MAX_REVOCATIONS = 100_000
"""Rows a revocation table holds before refusing revocations by anyone but the owner (``RateLimited``)."""
EVICT_AFTER_S = 300
"""A revocation is evicted this long after its delegation expired (a clock-skew buffer; ucan-wg/revocation,
"Eviction"): an expired delegation is refused anyway."""
MAX_PATH = MAX_CHAIN
"""The longest path witness (a chain holds at most ``MAX_CHAIN`` delegations)."""
MAX_REVOCATION_BYTES = 16 * 1024
"""The largest revocation invocation kept (each row holds its bytes as evidence): a revocation and a
32-delegation path witness need a few KiB."""


class Revocations:
    """The revocation table of one home database."""

    def __init__(self, db_path: Path, *, busy_timeout_ms: int | None = None, max_rows: int = MAX_REVOCATIONS) -> None:
        self._db_path = as_path(db_path, "Revocations")
        self._max_rows = whole_number(max_rows, "Revocations' max_rows")
        timeout = (DEFAULT_LIMITS.store.busy_timeout_ms if busy_timeout_ms is None
                   else whole_number(busy_timeout_ms, "Revocations' busy_timeout_ms"))
        self._timeout_s = max(0, timeout) / 1000

    @contextmanager
    def _connect(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A connection of its own (autocommit), closed afterwards; SQLite errors as ``StoreError``."""
        from ...store import translate_sqlite_error

        try:
            with closing(sqlite3.connect(self._db_path, timeout=self._timeout_s, isolation_level=None)) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, doing) from exc

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of one read; none when nothing was ever revoked here (the table is made by ``record``)."""
        with self._connect("read the UCAN revocations") as conn:
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if str(exc).startswith("no such table: ucan_revocations"):
                    return []
                raise

    def record(self, revocation: Token, delegation: Token, proofs: tuple[Token, ...] = (), *,
               owner: str | None = None, now: int | None = None) -> bool:
        """Record ``revocation`` (a ``/ucan/revoke`` invocation) of ``delegation``, checked by
        ``check_revocation`` (``owner`` may revoke any delegation). True when it is new here,
        False when the same issuer had already revoked the delegation (a replay is harmless; a
        revocation by another issuer is new: it voids the chains through that issuer too). Evicts the
        revocations of delegations expired ``EVICT_AFTER_S`` ago; at ``max_rows`` a revocation
        by anyone but ``owner`` is ``RateLimited``."""
        revocation = need_token(revocation, "record's revocation")  # the call named, as every API input is
        delegation = need_token(delegation, "record's delegation")
        proofs = check_revocation(revocation, delegation, proofs, owner=owner)
        now = int(time.time()) if now is None else whole_number(now, "record's now")
        with self._connect("record the UCAN revocation") as conn:
            conn.execute("BEGIN IMMEDIATE")  # waits for another writer up to the busy timeout
            try:
                added = self._insert(conn, revocation, delegation, owner, now)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):  # the original error is the one to report
                        conn.execute("ROLLBACK")
                raise
        return added

    def _insert(self, conn: sqlite3.Connection, revocation: Token, delegation: Token, owner: str | None,
                now: int) -> bool:
        """One revocation written inside the caller's transaction (the table made or upgraded first)."""
        conn.execute(_DDL)
        _upgrade(conn)
        if conn.execute("SELECT 1 FROM ucan_revocations WHERE delegation = ? AND revoker = ?",
                        (str(delegation.cid), revocation.iss)).fetchone():
            return False
        conn.execute("DELETE FROM ucan_revocations WHERE exp IS NOT NULL AND exp < ?", (now - EVICT_AFTER_S,))
        (count,) = conn.execute("SELECT count(*) FROM ucan_revocations").fetchone()
        if count >= self._max_rows and revocation.iss != owner:
            raise RateLimited(f"this node holds {count} revocations of unexpired delegations (its limit)",
                              hint="retry once some revoked delegations have expired, or ask the node's owner "
                                   "to revoke the delegation above")
        conn.execute("INSERT INTO ucan_revocations (delegation, revoker, invocation, at, exp) VALUES (?, ?, ?, ?, ?)",
                     (str(delegation.cid), revocation.iss, revocation.data, now, delegation.exp))
        return True

    def is_revoked(self, cid: CID) -> bool:
        """Whether delegation ``cid`` (a CID or its text, in any base) was revoked here."""
        cid = as_cid(cid, "is_revoked")
        return bool(self._read("SELECT 1 FROM ucan_revocations WHERE delegation = ?", (str(cid),)))

    def revokers(self, cid: CID) -> frozenset[str]:
        """The issuers (DIDs) whose revocation of delegation ``cid`` is recorded here (none: not revoked).
        A revocation voids ``cid`` only in a chain that holds a delegation one of them issued."""
        cid = as_cid(cid, "revokers")
        return frozenset(str(r) for (r,) in
                         self._read("SELECT revoker FROM ucan_revocations WHERE delegation = ?", (str(cid),)))

    def list(self) -> list[tuple[str, str, int]]:
        return [(str(d), str(r), int(a)) for d, r, a in
                self._read("SELECT delegation, revoker, at FROM ucan_revocations ORDER BY at")]


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a table made by an older version up to ``_COLUMNS`` inside the caller's transaction: add
    ``exp`` (before eviction) and key rows by delegation and revoker (before scoping, one revocation
    per delegation was kept). The rows are kept as they were."""
    if "exp" not in {row[1] for row in conn.execute("PRAGMA table_info(ucan_revocations)")}:
        conn.execute("ALTER TABLE ucan_revocations ADD COLUMN exp INTEGER")
    keyed = [row[1] for row in sorted((r[5], r[1]) for r in conn.execute("PRAGMA table_info(ucan_revocations)")
                                      if r[5])]
    if keyed != ["delegation", "revoker"]:
        conn.execute(f"CREATE TABLE ucan_revocations_new {_COLUMNS}")
        conn.execute("INSERT INTO ucan_revocations_new (delegation, revoker, invocation, at, exp) "
                     "SELECT delegation, revoker, invocation, at, exp FROM ucan_revocations")
        conn.execute("DROP TABLE ucan_revocations")
        conn.execute("ALTER TABLE ucan_revocations_new RENAME TO ucan_revocations")


def check_revocation(revocation: Token, delegation: Token, proofs: tuple[Token, ...] = (), *,
                     owner: str | None = None) -> tuple[Token, ...]:
    """Refuse (a ``UcanError``) unless ``revocation`` is a signed ``/ucan/revoke`` invocation of at most
    ``MAX_REVOCATION_BYTES`` whose ``args.revoke`` names ``delegation`` (signed) and whose ``args.path``
    names ``proofs`` (signed delegations, root first, forming ``delegation``'s chain), issued by an
    issuer on that chain or by ``owner``. Returns ``proofs`` as a tuple."""
    revocation = need_token(revocation, "the revocation")
    delegation = need_token(delegation, "the revoked delegation")
    need_iterable(proofs, "the revocation's proofs", "UCAN Tokens")
    proofs = tuple(need_token(proof, "each of the revocation's proofs") for proof in proofs)
    if revocation.kind != "inv" or revocation.cmd != REVOKE_COMMAND:
        raise InvalidToken(f"{revocation.cid} is not a {REVOKE_COMMAND} invocation")
    if len(revocation.data) > MAX_REVOCATION_BYTES:
        raise InvalidToken(f"revocation {revocation.cid} is {len(revocation.data)} bytes, over "
                           f"{MAX_REVOCATION_BYTES}", hint="a revocation names a delegation and its path, nothing more")
    if delegation.kind != "dlg":
        raise InvalidToken(f"{delegation.cid} is not a delegation")
    revocation.check_signature()
    delegation.check_signature()
    for proof in proofs:  # the proofs must be the delegation's own chain, root first, each signed
        if proof.kind != "dlg":
            raise InvalidToken(f"{proof.cid} is not a delegation")
        proof.check_signature()
    if revoked_cid(revocation) != delegation.cid:
        raise InvalidClaim(f"revocation {revocation.cid} does not name delegation {delegation.cid}")
    if witness_path(revocation) != [proof.cid for proof in proofs]:
        raise InvalidClaim(f"revocation {revocation.cid}'s path does not name the proofs given, root first",
                           hint=REVOKER_HINT)
    for above, below in pairwise((*proofs, delegation)):
        if above.aud != below.iss:
            raise InvalidClaim(f"proof {above.cid} is to {above.aud}, not to {below.iss} who issued the next "
                               f"token: the proofs are not delegation {delegation.cid}'s chain", hint=REVOKER_HINT)
    _check_rooted(proofs, delegation)
    if revocation.iss != owner and revocation.iss not in {delegation.iss, *(p.iss for p in proofs)}:
        raise InvalidClaim(f"{revocation.iss} issued neither delegation {delegation.cid} nor a proof above it",
                           hint=REVOKER_HINT)
    return proofs


def revoked_cid(revocation: Token) -> CID:
    """The delegation a ``/ucan/revoke`` invocation names (``args.revoke``); ``InvalidToken`` if no link."""
    args = revocation.payload.get("args")
    cid = args.get("revoke") if isinstance(args, dict) else None
    if not isinstance(cid, CID):
        raise InvalidToken(f"revocation {revocation.cid} has no args.revoke link to the revoked delegation",
                           hint=f'a {REVOKE_COMMAND} invocation\'s args are {{"revoke": CID, "path": [CID, ...]}}')
    return cid


def witness_path(revocation: Token) -> list[CID]:
    """The delegation path witness of a ``/ucan/revoke`` invocation (``args.path``, root first; [] if none)."""
    args = revocation.payload.get("args")
    path = args.get("path", []) if isinstance(args, dict) else []
    if not isinstance(path, list) or not all(isinstance(cid, CID) for cid in path) or len(path) > MAX_PATH:
        raise InvalidToken(f"revocation {revocation.cid}'s args.path is not a list of at most {MAX_PATH} "
                           "delegation links", hint=REVOKER_HINT)
    return list(path)


def _check_rooted(proofs: tuple[Token, ...], delegation: Token) -> None:
    """``InvalidClaim`` unless ``proofs`` (root first) are a chain a validator could accept above
    ``delegation``: the root issued by its subject and every non-null ``sub`` that subject. A
    delegation anyone can sign to the delegation's issuer (``aud`` aligned, about some other
    subject) is no proof of authority over it, so it never makes its signer a revoker."""
    if not proofs:
        return
    root = proofs[0]
    if root.sub is None or root.iss != root.sub:
        raise InvalidClaim(f"proof {root.cid} is not a root delegation (issued by its own subject), so the proofs "
                           f"are not delegation {delegation.cid}'s chain", hint=REVOKER_HINT)
    for token in (*proofs[1:], delegation):
        if token.sub is not None and token.sub != root.sub:
            raise InvalidClaim(f"{token.cid} is about {token.sub}, but its chain is rooted at {root.sub}: the "
                               f"proofs are not delegation {delegation.cid}'s chain", hint=REVOKER_HINT)
