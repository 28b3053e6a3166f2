"""Remembered signature checks kept in the home (``trust_signatures``): a ``SignatureMemo``.

Invariant: only a check ``PublicKey.verify`` accepted is remembered (``_sigmemo``); a busy or
read-only home only costs a check again, never a wrong answer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .._inputs import as_cid
from ..cid import CID
from ..config import Limits
from ..errors import StoreError
from ._trust_db import TrustDatabase


class SignatureMemoTables(TrustDatabase):
    """The trust database as a ``SignatureMemo``: this process's set, then the home's table."""

    def __init__(self, blocks: Any, limits: Limits, *, owns_blocks: bool = False) -> None:
        super().__init__(blocks, limits, owns_blocks=owns_blocks)
        self._signatures: set[tuple[str, str]] = set()

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
