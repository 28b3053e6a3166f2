"""Revoked UCAN delegations, kept in the home's SQLite database so every process sees them.

Invariants:
- A revocation is recorded only from a ``/ucan/revoke`` invocation whose signature verifies
  and whose issuer issued the revoked delegation or one of the proofs above it
  (ucan-wg/revocation); the proofs must be signed delegations forming its chain (each one's
  audience issued the next, the first issued by its subject, every non-null ``sub`` that
  subject), so an unrelated token cannot make someone a revoker. The
  invocation's bytes are kept as the evidence.
- ``is_revoked`` reads the table on every call (a revocation by another process counts at once).
- Revocations are never removed: a revoked delegation stays revoked.
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
from ._errors import InvalidClaim, InvalidToken
from ._token import Token, need_token

_DDL = """CREATE TABLE IF NOT EXISTS ucan_revocations (
    delegation TEXT PRIMARY KEY,
    revoker TEXT NOT NULL,
    invocation BLOB NOT NULL,
    at INTEGER NOT NULL
)"""


class Revocations:
    """The revocation table of one home database."""

    def __init__(self, db_path: Path, *, busy_timeout_ms: int | None = None) -> None:
        self._db_path = as_path(db_path, "Revocations")
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

    def record(self, revocation: Token, delegation: Token, proofs: tuple[Token, ...] = ()) -> None:
        """Record ``revocation`` (a verified ``/ucan/revoke`` invocation) of ``delegation``."""
        revocation = need_token(revocation, "record's revocation")
        delegation = need_token(delegation, "record's delegation")
        need_iterable(proofs, "record's proofs", "UCAN Tokens")
        proofs = tuple(need_token(proof, "each of record's proofs") for proof in proofs)
        if revocation.kind != "inv" or revocation.cmd != REVOKE_COMMAND:
            raise InvalidToken(f"{revocation.cid} is not a {REVOKE_COMMAND} invocation")
        revocation.check_signature()
        if revocation.payload["args"].get("ucan") != delegation.cid:
            raise InvalidClaim(f"revocation {revocation.cid} does not name delegation {delegation.cid}")
        for proof in proofs:  # the proofs must be the delegation's own chain, root first, each signed
            if proof.kind != "dlg":
                raise InvalidToken(f"{proof.cid} is not a delegation")
            proof.check_signature()
        for above, below in pairwise((*proofs, delegation)):
            if above.aud != below.iss:
                raise InvalidClaim(f"proof {above.cid} is to {above.aud}, not to {below.iss} who issued the next "
                                   f"token: the proofs are not delegation {delegation.cid}'s chain", hint=REVOKER_HINT)
        _check_rooted(proofs, delegation)
        if revocation.iss not in {delegation.iss, *(p.iss for p in proofs)}:
            raise InvalidClaim(f"{revocation.iss} issued neither delegation {delegation.cid} nor a proof above it", hint=REVOKER_HINT)
        with self._connect("record the UCAN revocation") as conn:
            conn.execute("BEGIN IMMEDIATE")  # waits for another writer up to the busy timeout
            try:
                conn.execute(_DDL)
                conn.execute("INSERT OR IGNORE INTO ucan_revocations VALUES (?, ?, ?, ?)",
                             (str(delegation.cid), revocation.iss, revocation.data, int(time.time())))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):  # the original error is the one to report
                        conn.execute("ROLLBACK")
                raise

    def is_revoked(self, cid: CID) -> bool:
        """Whether delegation ``cid`` (a CID or its text, in any base) was revoked here."""
        cid = as_cid(cid, "is_revoked")
        return bool(self._read("SELECT 1 FROM ucan_revocations WHERE delegation = ?", (str(cid),)))

    def list(self) -> list[tuple[str, str, int]]:
        return [(str(d), str(r), int(a)) for d, r, a in
                self._read("SELECT delegation, revoker, at FROM ucan_revocations ORDER BY at")]


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
