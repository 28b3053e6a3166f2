"""Trust: nothing runs unless it verifies back to what the user chose to trust.

Modelled on The Update Framework (roles, thresholds, expiry, monotonic versions, one fixed
start time per update) with CIDs as target identifiers; shapes in docs/trust.md, threat model
in SECURITY.md. Private modules hold one concept each:

- ``_ed25519``  did:key Ed25519 keys, strict verification (no small-order keys, ``S < L``)
- ``_keyring``  private keys as 0600 files in the home folder
- ``_canonical`` canonical DAG-CBOR, size caps, CID checks with builtin hashes
- ``_envelope`` DSSE-style envelopes with per-kind type tags and threshold counting
- ``_documents`` root, index and manifest shapes
- ``_sign``     producing signed documents
- ``_fetch``    bounded, verified fetching through ``fetch(cid)``
- ``_module``   manifest and module-bytes checks
- ``_update``   verifying a set update (root chain, indexes, delegations, manifests)
- ``_store``    the local trust store (pinned sets, versions, revocations, allow-list)
- ``_sigmemo``  remembered signature checks, keyed by (envelope CID, key)
- ``_ipns``     IPNS names and records: parsed, verified as boxo verifies them, signed
- ``_libp2p_key`` libp2p public keys and peer IDs (Ed25519, RSA, secp256k1, ECDSA)
- ``_pbwire``   the protobuf wire format, read as protobuf-go reads it

``_keyring``, ``_sign`` and ``_update`` are loaded on first use of one of their names.

Typical use (the registry)::

    state = trust_anchor(root_bytes, cid=root_cid)              # or store.state(set_id)
    verified = verify_set(state, index_cid, fetch, now=now)     # raises Untrusted subclasses
    store.apply_update(verified)                                # all or nothing
    decision = store.resolve("codec", 0x78)                     # Decision | None
    wasm = fetch_module(decision.manifest, fetch)               # size- and hash-checked
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attributes
from ._documents import (
    ABI_VERSION,
    CODED_KINDS,
    MODULE_KINDS,
    Delegation,
    Index,
    IndexEntry,
    Manifest,
    Role,
    Root,
)
from ._ed25519 import InvalidKey, PublicKey, did_of
from ._envelope import Envelope, open_envelope, pae, payload_type
from ._fetch import Fetch, fetch_verified, read_capped
from ._module import (
    VerifiedManifest,
    check_module_info,
    fetch_module,
    fetch_module_blocks,
    fetch_vectors,
    verify_manifest,
    verify_module,
)
from ._trust_decide import outranked_refusal
from ._moduledag import MODULE_BLOCK_BYTES, ModuleBlocks, dag_cids, is_dag, module_blocks, read_module
from ._store import (
    AllowRule,
    Decision,
    SetInfo,
    TrustStore,
    format_ranges,
    parse_ranges,
)

if TYPE_CHECKING:  # pragma: no cover - loaded on first use (``__getattr__``): a decode needs none of them
    from ._keyring import KeyEntry as KeyEntry
    from ._keyring import KeyRing as KeyRing
    from ._keyring import SigningKey as SigningKey
    from ._sign import module_cid as module_cid
    from ._sign import sign as sign
    from ._update import TrustedState as TrustedState
    from ._update import VerifiedSet as VerifiedSet
    from ._update import trust_anchor as trust_anchor
    from ._update import verify_set as verify_set

_LAZY = {
    "KeyEntry": "_keyring", "KeyRing": "_keyring", "SigningKey": "_keyring",
    "module_cid": "_sign", "sign": "_sign",
    "TrustedState": "_update", "VerifiedSet": "_update", "trust_anchor": "_update", "verify_set": "_update",
}


_load = lazy_attributes(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    """Keys, signing and set updates are imported on first use (start-up of a decode)."""
    return _load(name)

__all__ = [
    "ABI_VERSION",
    "CODED_KINDS",
    "MODULE_KINDS",
    "AllowRule",
    "Decision",
    "Delegation",
    "Envelope",
    "Fetch",
    "Index",
    "IndexEntry",
    "InvalidKey",
    "KeyEntry",
    "KeyRing",
    "Manifest",
    "PublicKey",
    "Role",
    "Root",
    "SetInfo",
    "SigningKey",
    "TrustStore",
    "TrustedState",
    "VerifiedManifest",
    "VerifiedSet",
    "check_module_info",
    "did_of",
    "fetch_module",
    "fetch_module_blocks",
    "MODULE_BLOCK_BYTES",
    "ModuleBlocks",
    "dag_cids",
    "is_dag",
    "module_blocks",
    "read_module",
    "fetch_vectors",
    "fetch_verified",
    "format_ranges",
    "module_cid",
    "open_envelope",
    "outranked_refusal",
    "pae",
    "parse_ranges",
    "payload_type",
    "read_capped",
    "sign",
    "trust_anchor",
    "verify_manifest",
    "verify_module",
    "verify_set",
]
