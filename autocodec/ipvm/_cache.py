"""The receipt cache: invocation CID -> receipt CID, in the home database.

Invariants:
- The index is only a shortcut: receipts and invocations are ordinary blocks in the block
  store (shared by CAR export or IPFS like any others), and ``rebuild`` recreates the index
  from the receipt blocks present.
- A receipt is indexed only after its block is stored and its signature verified; ``get``
  re-verifies the stored block before returning it, so a cache hit is as trustworthy as a
  fresh run by the same executor.
- Lookups read without the write lock (``read_rows``): another process importing or writing
  never makes a lookup wait, nor fail as "locked".
- Only receipts by executors the caller names are used (by default the home's own executor):
  someone else's receipt is a claim, not a fact, until ``receipt verify --rerun`` checks it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .._inputs import of_type
from ..cid import CID
from ..errors import AutocodecError, BlockNotFound
from ..log import get_logger
from ._receipt import TAG, Receipt

SCHEMA = (
    (
        "CREATE TABLE IF NOT EXISTS ipvm_receipts ("
        " invocation TEXT NOT NULL, executor TEXT NOT NULL, receipt TEXT NOT NULL,"
        " PRIMARY KEY (invocation, executor))"
    ),
)
_log = get_logger("ipvm")


class ReceiptCache:
    """Memoized receipts of one home, keyed by (invocation CID, executor DID)."""

    def __init__(self, store: Any) -> None:
        from ..store import BlockStore

        of_type(store, BlockStore, "ReceiptCache's store")
        self.store = store
        store.ensure_schema("ipvm", 1, SCHEMA)

    def get(self, invocation: CID, executors: Collection[str], *, prefer: str | None = None
            ) -> tuple[CID, Receipt] | None:
        """A verified cached receipt for ``invocation`` by one of ``executors`` (``prefer``'s first), or None."""
        rows = self.store.read_rows(  # a read: never waits for another process's write
            "SELECT executor, receipt FROM ipvm_receipts WHERE invocation = ? ORDER BY executor", (str(invocation),))
        rows.sort(key=lambda row: row[0] != prefer)
        for executor, text in rows:
            if executor not in executors:
                continue
            cid = CID.parse(text)
            try:
                receipt = Receipt.verify_block(self.store.get(cid))
            except (BlockNotFound, AutocodecError) as exc:
                _log.warning("cache.stale", invocation=str(invocation), receipt=text, reason=str(exc))
                continue
            if receipt.ran == invocation and receipt.issuer == executor:
                return cid, receipt
        return None

    def put(self, cid: CID, block: bytes, receipt: Receipt) -> None:
        """Store the receipt block and index it (one transaction)."""
        with self.store.transaction() as conn:
            self.store.put(cid, block)
            conn.execute("INSERT OR REPLACE INTO ipvm_receipts (invocation, executor, receipt) VALUES (?, ?, ?)",
                         (str(receipt.ran), receipt.issuer, str(cid)))

    def rebuild(self) -> int:
        """Index every verifying receipt block in the store; returns how many were indexed."""
        from ..builtin import decode

        found: list[tuple[str, str, str]] = []
        for cid in list(self.store.cids()):
            if cid.codec != 0x71:
                continue
            try:
                data = self.store.get(cid)
                if TAG.encode() not in data:
                    continue
                value = decode(data, "dag-cbor")
                if not (isinstance(value, dict) and TAG in value):
                    continue
                receipt = Receipt.verify_block(data)
            except AutocodecError:
                continue
            found.append((str(receipt.ran), receipt.issuer, str(cid)))
        with self.store.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO ipvm_receipts (invocation, executor, receipt) VALUES (?, ?, ?)",
                             found)
        return len(found)
