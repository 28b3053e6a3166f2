"""Producing signed documents (the publisher's side).

Invariants:
- ``sign`` round-trips: the envelope it returns opens with ``open_envelope`` and the document
  parses back to an equal value, so a publisher cannot emit what a client would refuse for
  shape reasons (the document is validated through ``from_value`` before signing).
- Module CIDs are CIDv1 ``raw`` (0x55) with sha2-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..cid import CID
from ..config import DEFAULT_LIMITS, TrustLimits
from ._canonical import document_cid
from ._documents import Index, Manifest, Root
from ._envelope import seal
from ._keyring import SigningKey

RAW = 0x55


def raw_module_cid(module: bytes) -> CID:
    """The CID of module bytes as one block: CIDv1, raw, sha2-256."""
    return CID.build(RAW, b"\x12\x20" + hashlib.sha256(module).digest())


def module_cid(module: bytes) -> CID:
    """The CID a manifest uses for module bytes: ``raw_module_cid`` up to 1 MiB, else the root of
    the UnixFS file DAG ``ipfs add --cid-version=1`` makes of them (``_moduledag``)."""
    from ._moduledag import module_blocks

    return module_blocks(module).cid


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
