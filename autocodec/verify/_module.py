"""Manifests and the module bytes they vouch for.

Invariants:
- A ``VerifiedManifest`` exists only for a canonical manifest envelope signed by the manifest's
  own ``publisher`` key, not revoked (publisher, manifest or module), not expired at the
  fixed time of the check, declaring ABI v1, and naming its module by a builtin
  cryptographic hash (never the identity multihash).
- ``verify_module`` accepts module bytes only if they are at most the cap, exactly the
  manifest's ``size``, and hash to the manifest's module CID (one raw block, or over 1 MiB the
  root of their UnixFS file DAG: ``_moduledag``); ``fetch_module`` never reads more than
  ``size + 1`` bytes of a raw module from the source, and reads a module DAG block by block
  under ``_moduledag``'s bounds; ``fetch_vectors`` never more than ``max_vectors_bytes + 1``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._gotime import format_unix_time
from ..cid import CID, decode_varint
from ..config import DEFAULT_LIMITS, TrustLimits
from ..errors import (
    ExpiredError,
    HashMismatch,
    InvalidDocument,
    ModuleRejected,
    ModuleTooLarge,
    NotTrusted,
    RevokedError,
    UnknownHash,
)
from ..log import get_logger
from ._canonical import _HASHES, IDENTITY, check_cid
from ._documents import ABI_VERSION, Manifest
from ._envelope import open_envelope
from ._fetch import Fetch, fetch_verified, read_capped
from ._moduledag import ModuleBlocks, is_dag, module_blocks, read_module

if TYPE_CHECKING:  # pragma: no cover
    from ._sigmemo import SignatureMemo


def _log() -> Any:
    """The verify logger, bound at call time so `log.configure` always applies."""
    return get_logger("verify")


@dataclass(frozen=True, slots=True)
class VerifiedManifest:
    """A manifest whose publisher signature checked out, and its envelope."""

    cid: CID
    manifest: Manifest
    envelope: bytes


def check_content_hash(cid: CID, what: str) -> None:
    """Refuse CIDs that cannot prove integrity: identity or non-builtin multihashes."""
    code, _ = decode_varint(cid.multihash, 0)
    if code == IDENTITY:
        raise HashMismatch(f"{what} {cid} uses the identity multihash, which proves nothing")
    if code not in _HASHES:
        raise UnknownHash(code, f"{what} {cid} uses multihash 0x{code:x}, not a builtin trusted hash")


def verify_manifest(data: bytes, *, now: int, limits: TrustLimits = DEFAULT_LIMITS.trust,
                    revoked: Collection[str] = (), expect: tuple[str, int | str] | None = None,
                    set_name: str = "-", memo: SignatureMemo | None = None) -> VerifiedManifest:
    """Check a manifest envelope (already fetched by CID) at the fixed time ``now``.

    ``memo`` spares re-checking a publisher signature already verified for this envelope CID;
    revocation, expiry, ABI and the index's expectation are checked on every call.
    """
    env = open_envelope(data, "manifest", max_bytes=limits.max_document_bytes, max_signatures=limits.max_signatures)
    m = Manifest.from_value(env.document, max_module_bytes=limits.max_module_bytes)
    # a module DAG a manifest names by CIDv0 is revoked as its CIDv1 (how revocations are kept)
    for target, what in ((str(env.cid), "manifest"), (str(m.module.to_v1()), "module")):
        if target in revoked:
            _log().warning("trust.manifest", decision="reject", document=str(env.cid), publisher=m.publisher,
                         set=set_name, policy="revoked", reason=what)
            raise RevokedError(f"{what} {target} was revoked")
    env.require([m.publisher], 1, role="publisher", set_name=set_name, revoked=revoked, memo=memo)
    if m.abi != ABI_VERSION:
        raise ModuleRejected(f"manifest {env.cid} declares ABI {m.abi}; this autocodec speaks ABI {ABI_VERSION}")
    check_content_hash(m.module, "manifest module")
    if m.expires is not None and now >= m.expires:
        _log().warning("trust.manifest", decision="reject", document=str(env.cid), publisher=m.publisher,
                     set=set_name, policy="expiry", expires=m.expires, now=now)
        raise ExpiredError(f"manifest {env.cid} ({m.name} {m.version}) expired at "
                           f"{format_unix_time(m.expires)}, now is {format_unix_time(now)}")
    if expect is not None and not m.provides(*expect):
        raise NotTrusted(
            f"manifest {env.cid} is a {m.kind} for {list(m.codes) or m.name!r}, "
            f"but the index lists it for {expect[0]} {expect[1]!r}",
            hint="the set's index and the manifest disagree; ask the set's maintainers to fix it",
        )
    _log().info("trust.manifest", decision="accept", document=str(env.cid), publisher=m.publisher, set=set_name,
              module=str(m.module), kind=m.kind, policy="publisher-signature")
    return VerifiedManifest(env.cid, m, bytes(data))


def verify_module(manifest: Manifest, module: bytes, *, limits: TrustLimits = DEFAULT_LIMITS.trust) -> None:
    """Raise unless ``module`` is exactly the module ``manifest`` vouches for."""
    if manifest.abi != ABI_VERSION:
        raise ModuleRejected(f"manifest declares ABI {manifest.abi}; this autocodec speaks ABI {ABI_VERSION}")
    check_content_hash(manifest.module, "module")
    if len(module) > limits.max_module_bytes:
        raise ModuleTooLarge(f"module is {len(module)} bytes, over the {limits.max_module_bytes}-byte cap")
    if len(module) != manifest.size:
        raise HashMismatch(f"module is {len(module)} bytes, its manifest says {manifest.size}")
    if is_dag(manifest.module):
        if module_blocks(module).cid != manifest.module:
            raise HashMismatch(f"module bytes are not the UnixFS file {manifest.module}")
        return
    check_cid(manifest.module, module, what="module")


def fetch_module(manifest: Manifest, fetch: Fetch, *, limits: TrustLimits = DEFAULT_LIMITS.trust) -> bytes:
    """Fetch the module of ``manifest`` (reading at most ``size + 1`` bytes of a raw one) and verify it."""
    return fetch_module_blocks(manifest, fetch, limits=limits).data


def fetch_module_blocks(manifest: Manifest, fetch: Fetch, *,
                        limits: TrustLimits = DEFAULT_LIMITS.trust) -> ModuleBlocks:
    """``fetch_module``, with the blocks its CID names (one raw block, or every block of its DAG)."""
    check_content_hash(manifest.module, "module")
    if manifest.abi != ABI_VERSION:
        raise ModuleRejected(f"manifest declares ABI {manifest.abi}; this autocodec speaks ABI {ABI_VERSION}")
    if is_dag(manifest.module):
        read = read_module(manifest.module, fetch, size=manifest.size, limits=limits)
        verify_module(manifest, read.data, limits=limits)  # laid out as published: one CID, one set of bytes
        return read
    cap = min(manifest.size, limits.max_module_bytes)
    try:
        result: Any = fetch(manifest.module)
        data = read_capped(result, cap, f"module {manifest.module}")
    except InvalidDocument as exc:
        raise ModuleRejected(exc.message) from None
    verify_module(manifest, data, limits=limits)
    return ModuleBlocks(manifest.module, data, ((manifest.module, data),))


def fetch_vectors(manifest: Manifest, fetch: Fetch, *, limits: TrustLimits = DEFAULT_LIMITS.trust) -> bytes | None:
    """The test vectors a manifest names (None if it names none), capped and hash-checked."""
    if manifest.vectors is None:
        return None
    check_content_hash(manifest.vectors, "test vectors")
    return fetch_verified(fetch, manifest.vectors, limits.max_vectors_bytes, "test vectors")


def check_module_info(manifest: Manifest, info: Any) -> None:
    """Raise unless a module's own metadata (``loader.inspect_module``) agrees with its manifest."""
    mismatches = []
    if getattr(info, "abi", None) != manifest.abi:
        mismatches.append(f"abi {getattr(info, 'abi', None)} != {manifest.abi}")
    if getattr(info, "kind", None) != manifest.kind:
        mismatches.append(f"kind {getattr(info, 'kind', None)!r} != {manifest.kind!r}")
    if sorted(getattr(info, "codes", ()) or ()) != sorted(manifest.codes):
        mismatches.append(f"codes {list(getattr(info, 'codes', ()) or ())} != {list(manifest.codes)}")
    if mismatches:
        raise NotTrusted(f"module {manifest.module} does not match its manifest: {'; '.join(mismatches)}")
