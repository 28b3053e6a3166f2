"""Revoked UCAN delegations, kept in the home's SQLite database so every process sees them.

Invariants:
- A revocation is recorded only from a ``/ucan/revoke`` invocation whose signature verifies
  and whose issuer issued the revoked delegation or one of the proofs above it
  (ucan-wg/revocation); the proofs must be signed delegations forming its chain (each one's
  audience issued the next), so an unrelated token cannot make someone a revoker. The
  invocation's bytes are kept as the evidence.
- ``is_revoked`` reads the table on every call (a revocation by another process counts at once).
- Revocations are never removed: a revoked delegation stays revoked.
"""

from __future__ import annotations

import sqlite3
import time
from itertools import pairwise
from pathlib import Path

from ...cid import CID
from ._build import REVOKE_COMMAND
from ._errors import InvalidClaim, InvalidToken
from ._token import Token

_DDL = """CREATE TABLE IF NOT EXISTS ucan_revocations (
    delegation TEXT PRIMARY KEY,
    revoker TEXT NOT NULL,
    invocation BLOB NOT NULL,
    at INTEGER NOT NULL
)"""


class Revocations:
    """The revocation table of one home database."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._db_path, timeout=30)
        conn.execute(_DDL)
        return conn

    def record(self, revocation: Token, delegation: Token, proofs: tuple[Token, ...] = ()) -> None:
        """Record ``revocation`` (a verified ``/ucan/revoke`` invocation) of ``delegation``."""
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
                                   f"token: the proofs are not delegation {delegation.cid}'s chain")
        if revocation.iss not in {delegation.iss, *(p.iss for p in proofs)}:
            raise InvalidClaim(f"{revocation.iss} issued neither delegation {delegation.cid} nor a proof above it")
        with self._connect() as conn:
            conn.execute("INSERT OR IGNORE INTO ucan_revocations VALUES (?, ?, ?, ?)",
                         (str(delegation.cid), revocation.iss, revocation.data, int(time.time())))

    def is_revoked(self, cid: CID) -> bool:
        with self._connect() as conn:
            row = conn.execute("SELECT 1 FROM ucan_revocations WHERE delegation = ?", (str(cid),)).fetchone()
        return row is not None

    def list(self) -> list[tuple[str, str, int]]:
        with self._connect() as conn:
            return [(str(d), str(r), int(a)) for d, r, a in
                    conn.execute("SELECT delegation, revoker, at FROM ucan_revocations ORDER BY at")]
