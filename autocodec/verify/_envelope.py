"""Signature envelopes: DSSE-style pre-authentication encoding over canonical DAG-CBOR.

Envelope (DAG-CBOR map; shapes in docs/trust.md)::

    {"payloadType": "application/vnd.autocodec.<kind>+dag-cbor",
     "payload": <canonical DAG-CBOR bytes of the document>,
     "signatures": [{"keyid": "did:key:z6Mk...", "sig": <64 bytes>}, ...]}

Invariants:
- A signature covers ``PAE(payloadType, payload)`` = ``"DSSEv1" SP LEN(type) SP type SP
  LEN(body) SP body`` (DSSE protocol, github.com/secure-systems-lab/dsse), and each document
  kind has its own type: a signature made for a manifest never verifies as one over an index
  or a root.
- ``open_envelope`` checks, in order: size cap, canonical envelope, expected payload type,
  canonical payload, signature count cap; only then are signatures looked at.
- ``signers`` counts a key once however often it signed, ignores keys outside the role, and
  never counts a revoked key.
- With a ``memo``, a signature already known valid for this envelope CID and key is not
  checked again (the answer of a content-addressed signature never changes); revocation is
  still checked before the memo is consulted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..errors import InvalidDocument, RevokedError, SignatureError, ThresholdNotMet
from ..log import get_logger
from ._canonical import decode_canonical, document_cid, encode
from ._ed25519 import InvalidKey, PublicKey

if TYPE_CHECKING:  # pragma: no cover - _keyring needs cryptography only to sign
    from ._keyring import SigningKey
    from ._sigmemo import SignatureMemo

KINDS = ("root", "index", "manifest")
def _log() -> Any:
    """The verify logger, bound at call time so `log.configure` always applies."""
    return get_logger("verify")


def payload_type(kind: str) -> str:
    """The DSSE payload type of a document kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    return f"application/vnd.autocodec.{kind}+dag-cbor"


def pae(ptype: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    t = ptype.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


@dataclass(frozen=True, slots=True)
class Envelope:
    """An opened (not yet threshold-checked) envelope."""

    cid: CID
    kind: str
    payload: bytes
    document: Any
    signatures: tuple[tuple[str, bytes], ...]

    def signers(self, keys: Collection[str], *, revoked: Collection[str] = (),
                memo: SignatureMemo | None = None) -> set[str]:
        """The distinct DIDs in ``keys`` with a valid signature (revoked keys excluded)."""
        message = pae(payload_type(self.kind), self.payload)
        found: set[str] = set()
        for keyid, sig in self.signatures:
            if keyid in found or keyid not in keys or keyid in revoked:
                continue
            if memo is not None and memo.known(self.cid, keyid):
                found.add(keyid)
                continue
            try:
                ok = PublicKey.from_did(keyid).verify(sig, message)
            except InvalidKey:
                ok = False
            if ok:
                found.add(keyid)
                if memo is not None:
                    memo.remember(self.cid, keyid)
        return found

    def require(self, keys: Collection[str], threshold: int, *, role: str, set_name: str,
                revoked: Collection[str] = (), memo: SignatureMemo | None = None) -> set[str]:
        """Raise unless at least ``threshold`` distinct, unrevoked ``keys`` signed."""
        good = self.signers(keys, revoked=revoked, memo=memo)
        if len(good) >= threshold:
            _log().info("trust.signatures", decision="accept", document=str(self.cid), kind=self.kind,
                      set=set_name, role=role, keys=sorted(good), threshold=threshold)
            return good
        revoked_signers = self.signers(keys, memo=memo) & set(revoked)
        _log().warning("trust.signatures", decision="reject", document=str(self.cid), kind=self.kind,
                     set=set_name, role=role, keys=sorted(good), revoked=sorted(revoked_signers),
                     threshold=threshold)
        if revoked_signers and len(good | revoked_signers) >= threshold:
            raise RevokedError(
                f"{self.kind} {self.cid} of set {set_name!r} is signed by revoked key(s) "
                f"{', '.join(sorted(revoked_signers))}"
            )
        if not good and not any(k in keys for k, _ in self.signatures):
            raise ThresholdNotMet(
                f"{self.kind} {self.cid} of set {set_name!r} carries no signature by a key of role {role!r}"
            )
        raise ThresholdNotMet(
            f"{self.kind} {self.cid} of set {set_name!r}: {len(good)} valid signature(s) by keys of role "
            f"{role!r}, {threshold} needed"
        )


def seal(kind: str, document: Any, keys: Iterable[SigningKey]) -> bytes:
    """Sign ``document`` (a data-model value) with each key; returns the envelope bytes."""
    payload = encode(document)
    ptype = payload_type(kind)
    message = pae(ptype, payload)
    sigs = [{"keyid": k.did, "sig": k.sign(message)} for k in keys]
    return encode({"payloadType": ptype, "payload": payload, "signatures": sigs})


def open_envelope(data: bytes, kind: str, *, max_bytes: int, max_signatures: int) -> Envelope:
    """Parse an envelope expected to hold a document of ``kind`` (no signature check yet)."""
    value = decode_canonical(data, max_bytes=max_bytes, what=f"{kind} envelope")
    if not isinstance(value, dict) or set(value) != {"payloadType", "payload", "signatures"}:
        raise InvalidDocument(f"{kind} envelope must be a map of payloadType, payload, signatures")
    expected = payload_type(kind)
    if value["payloadType"] != expected:
        raise SignatureError(
            f"envelope holds {str(value['payloadType'])[:80]!r}, expected {expected!r}: "
            "a signature over another kind of document cannot be replayed here"
        )
    payload = value["payload"]
    if not isinstance(payload, bytes):
        raise InvalidDocument(f"{kind} envelope payload must be bytes")
    document = decode_canonical(payload, max_bytes=max_bytes, what=f"{kind} payload")
    sigs = value["signatures"]
    if not isinstance(sigs, list):
        raise InvalidDocument(f"{kind} envelope signatures must be a list")
    if len(sigs) > max_signatures:
        raise InvalidDocument(f"{kind} envelope has {len(sigs)} signatures, over the cap of {max_signatures}")
    parsed: list[tuple[str, bytes]] = []
    for item in sigs:
        if (not isinstance(item, dict) or set(item) != {"keyid", "sig"}
                or not isinstance(item["keyid"], str) or not isinstance(item["sig"], bytes)):
            raise InvalidDocument(f"{kind} envelope signature entries must be {{keyid: str, sig: bytes}}")
        parsed.append((item["keyid"], item["sig"]))
    return Envelope(document_cid(bytes(data)), kind, payload, document, tuple(parsed))
