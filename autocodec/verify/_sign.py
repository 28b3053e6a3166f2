"""Producing signed documents (the publisher's side).

Invariants:
- ``sign`` round-trips: the envelope it returns opens with ``open_envelope`` and the document
  parses back to an equal value, so a publisher cannot emit what a client would refuse for
  shape reasons (the document is validated through ``from_value`` before signing).
- Module CIDs are ``autocodec.modcid``'s: one raw block (CIDv1 raw sha2-256) up to 1 MiB,
  else the root of the UnixFS file DAG ``ipfs add --cid-version=1`` makes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..cid import CID
from ..config import DEFAULT_LIMITS, TrustLimits
from ..modcid import module_cid, raw_module_cid
from ._canonical import document_cid
from ._documents import Index, Manifest, Root
from ._envelope import seal
from ._keyring import SigningKey

__all__ = ["module_cid", "raw_module_cid", "sign"]


def sign(document: Root | Index | Manifest, keys: Iterable[SigningKey],
         *, limits: TrustLimits = DEFAULT_LIMITS.trust) -> tuple[CID, bytes]:
    """Sign a document with every key; returns ``(envelope CID, envelope bytes)``."""
    value = document.to_value()
    if isinstance(document, Root):
        kind = "root"
        Root.from_value(value, max_keys=limits.max_role_keys, max_delegations=limits.max_delegations)
    elif isinstance(document, Index):
        kind = "index"
        Index.from_value(value, max_entries=limits.max_index_entries, max_delegations=limits.max_delegations)
    elif isinstance(document, Manifest):
        kind = "manifest"
        Manifest.from_value(value, max_module_bytes=limits.max_module_bytes)
    else:
        raise TypeError(f"cannot sign a {type(document).__name__}")
    data = seal(kind, value, keys)
    return document_cid(data), data
