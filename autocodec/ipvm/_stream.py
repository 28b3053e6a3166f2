"""The job stream: a per-home, hash-linked IPLD log of the receipts this node produced.

Entry block (DAG-CBOR, stored in the block store like any block)::

    {"ipvm/stream@1": {"seq": 7, "prev": <link to entry 6> | null, "receipt": <link>,
                       "ran": <link: the invocation>, "source": "remote" | "cron:NAME" | "event:NAME",
                       "issuer": "did:key:..." | null, "at": 1767225600}}

Invariants:
- ``seq`` counts from 1 without gaps and each entry links the previous one, so a reader who
  has entry N can verify everything before it from the blocks alone (a CAR of the stream is
  self-checking); the ``ipvm_stream`` table only indexes ``seq -> entry CID``.
- Appends are serialized by one SQLite transaction (``BEGIN IMMEDIATE``), so two processes of
  one home never write two entries with the same ``seq``.
- Reads (``since``) take no write lock: a reader never waits for, nor fails beside, a writer.
- ``at`` is informative (wall clock); nothing validates against it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..errors import InvalidInput

TAG = "ipvm/stream@1"
MAX_LIMIT = 10_000  # entries one read returns at most
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS ipvm_stream (
        seq INTEGER PRIMARY KEY,
        entry BLOB NOT NULL,
        receipt BLOB NOT NULL
    )""",
]


@dataclass(frozen=True)
class StreamEntry:
    seq: int
    cid: CID
    receipt: CID
    ran: CID
    source: str
    issuer: str | None
    at: int

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "entry": str(self.cid), "receipt": str(self.receipt), "ran": str(self.ran),
                "source": self.source, "issuer": self.issuer, "at": self.at}


class JobStream:
    """Append and read the home's job stream (backed by its block store)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        store.ensure_schema("ipvm-stream", 1, SCHEMA)

    def append(self, receipt: CID, ran: CID, *, source: str, issuer: str | None = None) -> StreamEntry:
        """Add one receipt to the log; the new entry."""
        from ..builtin import cid_for, encode

        at = int(time.time())
        with self.store.transaction() as conn:
            row = conn.execute("SELECT seq, entry FROM ipvm_stream ORDER BY seq DESC LIMIT 1").fetchone()
            seq = 1 if row is None else int(row[0]) + 1
            prev = None if row is None else CID(bytes(row[1]))
            value = {TAG: {"seq": seq, "prev": prev, "receipt": receipt, "ran": ran, "source": source,
                           "issuer": issuer, "at": at}}
            block = encode(value, "dag-cbor")
            cid = cid_for(block, "dag-cbor")
            self.store.put(cid, block)
            conn.execute("INSERT INTO ipvm_stream (seq, entry, receipt) VALUES (?, ?, ?)",
                         (seq, bytes(cid), bytes(receipt)))
        return StreamEntry(seq, cid, receipt, ran, source, issuer, at)

    def since(self, seq: int = 0, limit: int = 1000) -> list[StreamEntry]:
        """Entries with a ``seq`` above ``seq``, oldest first, at most ``limit`` (and at most
        ``MAX_LIMIT``), read from their blocks. ``seq`` is a sequence number in ``[0, 2^63)`` and
        ``limit`` a whole number of at least 1; anything else is ``InvalidInput``."""
        from ..builtin import decode

        _check_page(seq, limit)
        rows = self.store.read_rows(  # a read: never waits for another process's write
            "SELECT seq, entry FROM ipvm_stream WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, min(limit, MAX_LIMIT)))
        out: list[StreamEntry] = []
        for number, raw in rows:
            cid = CID(bytes(raw))
            body = decode(self._entry_block(int(number), cid), "dag-cbor")[TAG]
            out.append(StreamEntry(int(number), cid, body["receipt"], body["ran"], body["source"], body["issuer"],
                                   int(body["at"])))
        return out



    def _entry_block(self, seq: int, cid: CID) -> bytes:
        """The bytes of entry ``seq``; a block removed from the store (``block rm``) or damaged
        there is its error naming the entry and how to read past it, never a bare store error."""
        from ..errors import BlockNotFound, StoreCorrupt

        try:
            return bytes(self.store.get(cid))
        except (BlockNotFound, StoreCorrupt) as exc:
            raise type(exc)(f"job stream entry {seq} (block {cid}) is no longer readable in this node's store: "
                            f"{exc.message}",
                            hint=f"read on after it (start after sequence number {seq}), or put the entry "
                                 "block back (from a CAR of the stream)") from None


def _check_page(seq: Any, limit: Any) -> None:
    """``seq`` a stream position (0: from the start) and ``limit`` a page size of at least 1."""
    if type(seq) is not int or not 0 <= seq < 1 << 63:
        raise InvalidInput(f"a job stream read starts after a sequence number from 0 to 2^63 - 1, not {seq!r}"[:200],
                           hint="give 0 to read from the start, or the last sequence number already read")
    if type(limit) is not int or limit < 1:
        raise InvalidInput(f"a job stream read returns at least 1 entry, so its limit is a whole number >= 1, "
                           f"not {limit!r}"[:200], hint=f"give a limit from 1 to {MAX_LIMIT}")
