"""Revoked UCAN delegations, kept in the home's SQLite database so every process sees them.

Invariants:
- A revocation is recorded only from a ``/ucan/revoke`` invocation (ucan-wg/revocation: ``args``
  ``{"revoke": CID, "path": [CID, ...]}``) whose signature verifies and whose issuer issued the
  revoked delegation or one of the delegations of its path witness above it, or is the store's
  ``owner`` (an executor's own key); the path must be signed delegations forming the delegation's
  chain (each one's audience issued the next, the first issued by its subject, every non-null
  ``sub`` that subject), so an unrelated token cannot make someone a revoker. The invocation's
  bytes (at most ``MAX_REVOCATION_BYTES``) are kept as the evidence.
- A revocation may act on delegated authority (ucan-wg/revocation, "Delegating Revocation"): its
  ``prf`` is then a chain of ``/ucan/revoke`` delegations (the command exactly) from R to its
  issuer, about subject R (the revocation's ``sub``; R issued the root about itself), valid as
  ``validate_invocation`` validates any chain at ``now`` (signatures, time bounds, alignment, the
  policies over the revocation's ``args``; ``record`` also refuses one whose chain holds a
  delegation revoked in its table, scoped as any chain). It is recorded as R's revocation, so R must be a
  revoker as above, and it cuts exactly the chains R's own would. The chain's tokens are kept
  beside the invocation as evidence, within the same ``MAX_REVOCATION_BYTES``.
- A revocation is an invocation, so it is taken only within its own time bounds (``exp``,
  ``nbf``; ucan-wg/invocation: an invocation is checked for them before it is executed) at the
  ``now`` it is checked and recorded, on its own authority as on delegated authority, as
  ``RemoteExecutor.accept_revocation`` takes one (``Expired``, ``TooEarly``). Once recorded it is
  honoured for its delegation's lifetime (ucan-wg/revocation: revocations are irreversible, a
  monotonically-growing set): nothing reads its own ``exp`` again, and only the delegation's
  expiry evicts it, so no one undoes it by waiting. The builder (``revocation``) gives it no ``exp``.
- A ``relayed`` revocation (passed on by a peer executor, which recorded it: ``ipvm._gossip``) is
  taken past its own ``exp``, since the fact it records stands for the delegation's lifetime and
  its ``exp`` bounds only when it may be taken first: it is checked as of ``min(now, exp)``
  (``taken_at``), so it must have been valid at some moment (its ``nbf`` still holds; a
  revocation before its ``nbf`` is ``TooEarly`` relayed or not). Every other check stands at
  ``now``: the signatures, the path, the revoker, and the ``/ucan/revoke`` chain of a delegated
  one, whose delegations must be within their bounds at ``now`` too (a chain expired since cannot
  sign a revocation dated back into its lifetime).
- A revocation is scoped as ucan-wg/revocation's "Store" section says: revoker R's revocation of
  delegation D voids D only in the proof chains that also hold a delegation R issued (its
  ``delegators``); a chain reaching D without passing through R keeps working ("Scope": another
  valid chain still grants the capability). ``revokers(D)`` gives every R, so the table keeps one
  row per delegation and revoker; ``is_revoked`` says whether anyone revoked D, and
  ``revoked_in_every_chain`` whether that voids D in every chain (R is D's issuer or its subject)
  or only in those through R (an upstream R; with a powerline above D, even an R whose own root
  about itself is D's path: chains about R only).
- ``is_revoked`` and ``revokers`` read the table on every call (a revocation by another process
  counts at once).
- A revoked delegation stays revoked while it can validate: its revocation is evicted only
  ``EVICT_AFTER_S`` after the delegation expired (the spec's "Eviction"), and the table holds at
  most ``max_rows`` rows (further revocations, but the owner's, are ``RateLimited``). Recording
  one again is harmless (``record`` says it was not new).
- The table is the ``ucan-revocations`` wing of the home's versioned schema (``store/_schema.py``;
  v1 is ``_COLUMNS``): ``record`` runs the wing's steps in its own transaction, and a home whose
  recorded version is newer than this code knows is refused (``StoreError``) by every write and by
  an instance's first read. A table made before the scheme (bare DDL of earlier releases) becomes
  v1 as it is; ``_upgrade`` still brings the older layouts up at every write.
- Reads never write: a home where nothing was revoked yet (no table) has no revocation, and a
  read does not wait for another process's write. ``record`` takes the write lock at once
  (``BEGIN IMMEDIATE``) and waits for it up to ``busy_timeout_ms`` (the store's limit). A SQLite
  error is a ``StoreError`` (``translate_sqlite_error``): "locked by another process" when the
  wait ran out, never a bare ``sqlite3`` exception.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..._inputs import as_cid, as_path, need_iterable, whole_number
from ...cid import CID
from ...config import DEFAULT_LIMITS
from ._build import REVOKE_COMMAND, REVOKER_HINT
from ...errors import RateLimited
from .._canonical import encode
from ._errors import InvalidClaim, InvalidToken, UcanError
from ._token import Token, need_time, need_token
from ._validate import MAX_CHAIN, check_time, validate_invocation

_COLUMNS = """(
    delegation TEXT NOT NULL,
    revoker TEXT NOT NULL,
    invocation BLOB NOT NULL,
    at INTEGER NOT NULL,
    exp INTEGER,
    authority BLOB,
    PRIMARY KEY (delegation, revoker)
)"""
_DDL = f"CREATE TABLE IF NOT EXISTS ucan_revocations {_COLUMNS}"
WING = "ucan-revocations"
"""The table's wing in the home's versioned schema (v1: ``_DDL``; never edit it, add a step)."""
MAX_REVOCATIONS = 100_000
"""Rows a revocation table holds before refusing revocations by anyone but the owner (``RateLimited``)."""
EVICT_AFTER_S = 300
"""A revocation is evicted this long after its delegation expired (a clock-skew buffer; ucan-wg/revocation,
"Eviction"): an expired delegation is refused anyway."""
MAX_PATH = MAX_CHAIN
"""The longest path witness (a chain holds at most ``MAX_CHAIN`` delegations)."""
MAX_REVOCATION_BYTES = 16 * 1024
"""The largest revocation kept, its invocation and the delegations of its ``prf`` together (each row
holds their bytes as evidence): a revocation and a 32-delegation path witness need a few KiB, a
delegated revocation's chain of ``/ucan/revoke`` delegations about 300 bytes a delegation more."""
AUTHORITY_HINT = ("act on a chain of /ucan/revoke delegations from a revoker of the delegation (its issuer, one "
                  "above it, or the executor) to the revocation's issuer, about that revoker, valid now and whose "
                  "policies allow revoking this delegation, given root first")
"""What a refused delegated revocation hints (ucan-wg/revocation, "Delegating Revocation")."""


class Revocations:
    """The revocation table of one home database."""

    def __init__(self, db_path: Path, *, busy_timeout_ms: int | None = None, max_rows: int = MAX_REVOCATIONS) -> None:
        self._db_path = as_path(db_path, "Revocations")
        self._max_rows = whole_number(max_rows, "Revocations' max_rows")
        timeout = (DEFAULT_LIMITS.store.busy_timeout_ms if busy_timeout_ms is None
                   else whole_number(busy_timeout_ms, "Revocations' busy_timeout_ms"))
        self._timeout_s = max(0, timeout) / 1000
        from ...store import WingDatabase, register_migration

        self._schema = register_migration(WING, 1, (_DDL,))
        self._db = WingDatabase(self._db_path, self._timeout_s, self._schema)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of one read; none when nothing was ever revoked here (the table is made by ``record``)."""
        with self._db.connect("read the UCAN revocations") as conn:
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if str(exc).startswith("no such table: ucan_revocations"):
                    return []
                raise

    def record(self, revocation: Token, delegation: Token, proofs: tuple[Token, ...] = (), *,
               owner: str | None = None, now: int | None = None, authority: Iterable[Token] = (),
               also: Callable[[sqlite3.Connection], None] | None = None, relayed: bool = False) -> bool:
        """Record ``revocation`` (a ``/ucan/revoke`` invocation) of ``delegation``, checked by
        ``check_revocation`` at ``now`` (``owner`` may revoke any delegation; ``authority`` holds the
        delegations its ``prf`` names, when it acts on delegated authority; ``relayed``: a peer's,
        taken past its own ``exp``). True when it is new here, False when the same revoker had already revoked the delegation (a replay is harmless; a
        revocation by another revoker is new: it voids the chains through that revoker too). Evicts
        the revocations of delegations expired ``EVICT_AFTER_S`` ago; at ``max_rows`` a revocation
        by anyone but ``owner`` is ``RateLimited``. ``also(conn)`` runs inside the same transaction
        when the revocation is new (its error undoes the record): what must be written with it."""
        revocation = need_token(revocation, "record's revocation")  # the call named, as every API input is
        delegation = need_token(delegation, "record's delegation")
        now = int(time.time()) if now is None else whole_number(now, "record's now")
        checked = _check(revocation, delegation, proofs, authority, owner, now, self.revokers, relayed=relayed)
        with self._db.write("record the UCAN revocation") as conn:  # waits for another writer up to the busy timeout
            added = self._insert(conn, checked, delegation, owner, now)
            if added and also is not None:
                also(conn)
        return added

    def _insert(self, conn: sqlite3.Connection, checked: _Checked, delegation: Token, owner: str | None,
                now: int) -> bool:
        """One revocation written inside the caller's transaction (the wing's schema applied or the
        table upgraded first)."""
        from ...store import migrate_in

        migrate_in(conn, (self._schema,))
        _upgrade(conn)
        if conn.execute("SELECT 1 FROM ucan_revocations WHERE delegation = ? AND revoker = ?",
                        (str(delegation.cid), checked.revoker)).fetchone():
            return False
        conn.execute("DELETE FROM ucan_revocations WHERE exp IS NOT NULL AND exp < ?", (now - EVICT_AFTER_S,))
        (count,) = conn.execute("SELECT count(*) FROM ucan_revocations").fetchone()
        if count >= self._max_rows and checked.revoker != owner:
            raise RateLimited(f"this node holds {count} revocations of unexpired delegations (its limit)",
                              hint="retry once some revoked delegations have expired, or ask the node's owner "
                                   "to revoke the delegation above")
        evidence = encode([token.data for token in checked.chain]) if checked.chain else None
        conn.execute("INSERT INTO ucan_revocations (delegation, revoker, invocation, at, exp, authority) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (str(delegation.cid), checked.revoker, checked.revocation.data, now, delegation.exp, evidence))
        return True

    def is_revoked(self, cid: CID) -> bool:
        """Whether delegation ``cid`` (a CID or its text, in any base) was revoked here by anyone:
        maybe only in the chains through its revoker (``revoked_in_every_chain`` tells)."""
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
    ``exp`` (before eviction) and ``authority`` (before delegated revocations), and key rows by
    delegation and revoker (before scoping, one revocation per delegation was kept). The rows are
    kept as they were."""
    info = conn.execute("PRAGMA table_info(ucan_revocations)").fetchall()  # read once: ADD COLUMN keeps the key
    columns = {row[1] for row in info}
    if "exp" not in columns:
        conn.execute("ALTER TABLE ucan_revocations ADD COLUMN exp INTEGER")
    if "authority" not in columns:
        conn.execute("ALTER TABLE ucan_revocations ADD COLUMN authority BLOB")
    keyed = [name for _, name in sorted((r[5], r[1]) for r in info if r[5])]
    if keyed != ["delegation", "revoker"]:
        conn.execute(f"CREATE TABLE ucan_revocations_new {_COLUMNS}")
        conn.execute("INSERT INTO ucan_revocations_new (delegation, revoker, invocation, at, exp, authority) "
                     "SELECT delegation, revoker, invocation, at, exp, authority FROM ucan_revocations")
        conn.execute("DROP TABLE ucan_revocations")
        conn.execute("ALTER TABLE ucan_revocations_new RENAME TO ucan_revocations")


@dataclass(frozen=True)
class _Checked:
    """A revocation that may be recorded: who revokes (``revoker``) and on which delegated authority."""

    revocation: Token
    proofs: tuple[Token, ...]
    revoker: str
    """The issuer of the revocation, or the root issuer of its ``prf`` chain."""
    chain: tuple[Token, ...]
    """The ``/ucan/revoke`` delegations of its ``prf``, root first (none: it revokes on its own authority)."""


def check_revocation(revocation: Token, delegation: Token, proofs: tuple[Token, ...] = (), *,
                     owner: str | None = None, authority: Iterable[Token] = (),
                     now: int | None = None, relayed: bool = False) -> tuple[Token, ...]:
    """Refuse (a ``UcanError``) unless ``revocation`` is a signed ``/ucan/revoke`` invocation of at most
    ``MAX_REVOCATION_BYTES``, within its own time bounds at ``now`` (``Expired``, ``TooEarly``),
    whose ``args.revoke`` names ``delegation`` (signed) and whose ``args.path`` names ``proofs``
    (signed delegations, root first, forming ``delegation``'s chain), by a revoker on that chain or
    ``owner``: its issuer, or, when its ``prf`` names delegations (found in ``authority``), the
    root issuer of that valid ``/ucan/revoke`` chain at ``now`` (``revoker``). ``relayed`` (a peer
    executor passed it on): its own time bounds are checked at ``taken_at`` instead, so it is taken
    past its ``exp``. Returns ``proofs`` as a tuple."""
    now = int(time.time()) if now is None else need_time(now, "check_revocation's now")
    return _check(revocation, delegation, proofs, authority, owner, now, relayed=relayed).proofs


def revoker(revocation: Token, authority: Iterable[Token] = (), *, now: int | None = None,
            relayed: bool = False) -> str:
    """Whose revocation ``revocation`` is: its issuer, or, when its ``prf`` names a chain of
    ``/ucan/revoke`` delegations (from ``authority``), that chain's root issuer (its subject), once
    the chain validates at ``now`` (the revocation itself at ``taken_at``). Whether that principal
    may revoke the named delegation is ``check_revocation``'s question. A revocation over ``MAX_REVOCATION_BYTES`` with its authority
    (which ``check_revocation`` refuses) is ``InvalidToken`` before its chain is validated: no
    one makes this parse more policy than a revocation may hold."""
    revocation = need_token(revocation, "revoker's revocation")
    now = int(time.time()) if now is None else need_time(now, "revoker's now")
    authority = _tokens(authority, "the revocation's authority")
    _check_size(revocation, authority)
    return _delegated(revocation, authority, now, relayed=relayed)[0]


def taken_at(revocation: Token, now: int, *, relayed: bool = False) -> int:
    """The moment ``revocation``'s own time bounds are checked at: ``now``, or for a ``relayed`` one
    (a peer executor recorded it and passed it on) past its ``exp``, that ``exp``: the fact it
    records outlives it (ucan-wg/revocation: revocations are irreversible), so a peer that gets it
    late still honours it. Its ``nbf`` is checked either way."""
    return min(now, revocation.exp) if relayed and revocation.exp is not None else now


def _tokens(tokens: Iterable[Token], what: str) -> tuple[Token, ...]:
    need_iterable(tokens, what, "UCAN Tokens")
    return tuple(need_token(token, f"each of {what}") for token in tokens)


def _check(revocation: Token, delegation: Token, proofs: Iterable[Token], authority: Iterable[Token],
           owner: str | None, now: int, revokers: Callable[[CID], Collection[str]] | None = None, *,
           relayed: bool = False) -> _Checked:
    """``check_revocation``'s work; the checked revocation with its revoker and authority chain
    (``revokers``, a table's: a revoked ``/ucan/revoke`` delegation grants nothing, as in any chain)."""
    revocation = need_token(revocation, "the revocation")
    delegation = need_token(delegation, "the revoked delegation")
    proofs = _tokens(proofs, "the revocation's proofs")
    authority = _tokens(authority, "the revocation's authority")
    if revocation.kind != "inv" or revocation.cmd != REVOKE_COMMAND:
        raise InvalidToken(f"{revocation.cid} is not a {REVOKE_COMMAND} invocation")
    _check_size(revocation, authority)
    if delegation.kind != "dlg":
        raise InvalidToken(f"{delegation.cid} is not a delegation")
    revocation.check_signature()
    check_time(revocation, taken_at(revocation, now, relayed=relayed))  # once recorded, honoured until the
    # delegation expires; a peer's is checked as of its exp (it was recorded in time there)
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
    by, chain = _delegated(revocation, authority, now, revokers, relayed=relayed)
    if by != owner and by not in {delegation.iss, *(p.iss for p in proofs)}:
        acting = f"{revocation.iss}, acting for {by}," if chain else by
        raise InvalidClaim(f"{by} issued neither delegation {delegation.cid} nor a proof above it, so {acting} "
                           "may not revoke it", hint=AUTHORITY_HINT if chain else REVOKER_HINT)
    return _Checked(revocation, proofs, by, chain)


def _check_size(revocation: Token, authority: tuple[Token, ...]) -> None:
    """``InvalidToken`` when the revocation and the delegations its ``prf`` names exceed ``MAX_REVOCATION_BYTES``."""
    named = set(revocation.payload["prf"])
    size = len(revocation.data) + sum(len(token.data) for token in {t.cid: t for t in authority
                                                                     if t.cid in named}.values())
    if size > MAX_REVOCATION_BYTES:
        raise InvalidToken(f"revocation {revocation.cid} is {size} bytes with its authority, over "
                           f"{MAX_REVOCATION_BYTES}", hint="a revocation names a delegation and its path, and acts on "
                                                           "a short chain of /ucan/revoke delegations, nothing more")


def _delegated(revocation: Token, authority: tuple[Token, ...], now: int,
               revokers: Callable[[CID], Collection[str]] | None = None, *,
               relayed: bool = False) -> tuple[str, tuple[Token, ...]]:
    """The revoker and the ``/ucan/revoke`` chain it acts on: the issuer and () when ``prf`` is empty,
    else the chain's root issuer once ``validate_invocation`` accepts the revocation with it at
    ``taken_at`` and each delegation of the chain is within its bounds at ``now`` as well (a
    refusal re-raised as its own class, naming the revocation, with ``AUTHORITY_HINT``)."""
    if not revocation.payload["prf"]:
        return revocation.iss, ()
    try:
        for token in authority:
            if token.cid in revocation.payload["prf"] and token.kind == "dlg" and token.cmd != REVOKE_COMMAND:
                raise InvalidClaim(f"delegation {token.cid} grants {token.cmd}, not {REVOKE_COMMAND} itself: the "
                                   "authority to revoke is delegated only by name")
        chain = validate_invocation(revocation, authority, taken_at(revocation, now, relayed=relayed),
                                    revokers=revokers).chain
        for token in chain:  # a relayed one's authority still holds now: none is dated back into its lifetime
            check_time(token, now)
    except UcanError as exc:
        raise type(exc)(f"revocation {revocation.cid}'s delegated authority: {exc.message}",
                        hint=AUTHORITY_HINT) from None
    return chain[0].iss, chain


def revoked_in_every_chain(delegation: Token, revokers: Collection[str]) -> bool:
    """Whether a revocation of ``delegation`` by one of ``revokers`` (``Revocations.revokers``)
    voids it in every chain that holds it: a revoker is its issuer (each such chain holds the
    delegation itself) or its non-null subject (each such chain is rooted at a delegation the
    subject issued about itself). Any other revoker voids it only in the chains through them: a
    chain reaching its issuer another way, or, below a powerline (``sub`` null), one about
    another subject, still grants it."""
    delegation = need_token(delegation, "revoked_in_every_chain's delegation")
    need_iterable(revokers, "revoked_in_every_chain's revokers", "DIDs")
    return any(by == delegation.iss or (delegation.sub is not None and by == delegation.sub) for by in revokers)


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
