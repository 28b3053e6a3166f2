"""Remembered signature checks: "envelope X carries a valid signature by key K".

An envelope is content-addressed (its CID covers payload type, payload and every signature),
so whether it carries a valid Ed25519 signature by ``K`` can never change: the answer may be
remembered, keyed by ``(envelope CID, K)``. This spares a command the import of
``cryptography`` and the curve arithmetic when a set's manifests were already checked (at pin
time, or by an earlier command).

Invariants:
- Only positive results are remembered, and only after ``PublicKey.verify`` returned True in
  this process (or in a process that wrote the home's table the same way).
- A memo answers only "was this signature valid"; revocation, expiry, thresholds, roles and
  payload checks are decided on every call, exactly as without it, so a revoked key or
  manifest is refused whatever the memo says.
"""

from __future__ import annotations

from typing import Protocol

from ..cid import CID

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS trust_signatures (document TEXT NOT NULL, keyid TEXT NOT NULL, "
    "PRIMARY KEY (document, keyid)) WITHOUT ROWID",
)
"""Trust schema step 4: the home's remembered signature checks."""


class SignatureMemo(Protocol):
    """Where verified ``(envelope CID, key DID)`` pairs are remembered."""

    def known(self, document: CID, keyid: str) -> bool:
        """True only if this envelope's signature by ``keyid`` was verified before."""
        ...

    def remember(self, document: CID, keyid: str) -> None:
        """Record a signature that ``PublicKey.verify`` just accepted (best effort)."""
        ...


class MemorySignatures:
    """A process-local ``SignatureMemo`` (a set of pairs)."""

    def __init__(self) -> None:
        self._pairs: set[tuple[str, str]] = set()

    def known(self, document: CID, keyid: str) -> bool:
        return (str(document), keyid) in self._pairs

    def remember(self, document: CID, keyid: str) -> None:
        self._pairs.add((str(document), keyid))
