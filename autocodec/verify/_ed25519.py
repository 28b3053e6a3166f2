"""Ed25519 public keys as did:key, and strict signature verification.

Specs: RFC 8032 (Ed25519), the did:key method (w3c-ccg.github.io/did-method-key: multicodec
``ed25519-pub`` 0xed as a varint, then the 32-byte key, base58btc with multibase prefix
``z``), "Taming the many EdDSAs" (Chalkias et al., 2020) for the strictness rules.

Invariants:
- A ``PublicKey`` only exists for a canonical encoding of a curve point that is not of small
  order: the 8 torsion points (identity, order 2, 4 and 8), non-canonical ``y >= p`` and a
  negative zero ``x`` are refused when the key is parsed, so no key can make a forged
  signature verify for every message (``cryptography`` alone accepts the identity point).
- ``verify`` refuses a signature whose ``S`` is not below the group order ``L`` (malleability)
  or whose ``R`` is not a canonical point encoding, before calling ``cryptography``.
- Only this builtin Ed25519 takes part in trust decisions; Wasm crypto extensions never do.
- ``cryptography`` is imported by the first ``verify`` call, not with this module: a command
  whose signatures are all remembered as checked (``_sigmemo``) never pays for it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .._inputs import as_bytes, bytes_like
from ..cid import b58decode, b58encode
from ..errors import InvalidInput

P = 2**255 - 19
"""The field prime."""
L = 2**252 + 27742317777372353535851937790883648493
"""The order of the prime-order subgroup."""
_D = (-121665 * pow(121666, P - 2, P)) % P
_SQRT_M1 = pow(2, (P - 1) // 4, P)

DID_PREFIX = "did:key:z"
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub (0xed) as an unsigned varint
_MAX_DID_CHARS = 128


class InvalidKey(InvalidInput):
    """A public key or did:key that is malformed, non-canonical or of small order."""

    hint = "give a did:key of an Ed25519 key (did:key:z6Mk...)"


def _decode_point(enc: bytes) -> tuple[int, int] | None:
    """Affine (x, y) for a canonical encoding, or None if it is not one (RFC 8032 5.1.3)."""
    if len(enc) != 32:
        return None
    y = int.from_bytes(enc, "little") & ((1 << 255) - 1)
    sign = enc[31] >> 7
    if y >= P:
        return None  # non-canonical y
    u = (y * y - 1) % P
    v = (_D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    if (v * x * x - u) % P != 0:
        x = (x * _SQRT_M1) % P
        if (v * x * x - u) % P != 0:
            return None  # not on the curve
    if x == 0 and sign:
        return None  # negative zero: non-canonical
    if x & 1 != sign:
        x = P - x
    return x, y


def is_small_order(point: tuple[int, int]) -> bool:
    """True if ``[8]point`` is the identity, i.e. the point lies in the torsion subgroup.

    Three doublings in projective coordinates (dbl-2008-hwcd for a = -1), no inversions.
    """
    x, y = point
    X, Y, Z = x, y, 1
    for _ in range(3):
        A, B = X * X % P, Y * Y % P
        C = 2 * Z * Z % P
        D = -A % P
        E = ((X + Y) * (X + Y) - A - B) % P
        G = (D + B) % P
        F = (G - C) % P
        H = (D - B) % P
        X, Y, Z = E * F % P, G * H % P, F * G % P
    return X == 0 and Y == Z


def check_public_key(raw: bytes) -> None:
    """Raise ``InvalidKey`` unless ``raw`` is a canonical, not-small-order Ed25519 key."""
    point = _decode_point(raw)
    if point is None:
        raise InvalidKey(f"not a canonical Ed25519 point: {bytes(raw[:32]).hex()}")
    if is_small_order(point):
        raise InvalidKey(f"Ed25519 key of small order refused: {raw.hex()}")


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A validated Ed25519 public key; ``did`` is its did:key form."""

    raw: bytes

    def __post_init__(self) -> None:
        if type(self.raw) is not bytes:  # len(5) or bytes("ab") failed as a TypeError
            object.__setattr__(self, "raw", as_bytes(self.raw, "an Ed25519 public key"))
        check_public_key(self.raw)

    @classmethod
    def from_did(cls, did: str) -> PublicKey:
        """Parse and validate a did:key (results are cached: keys recur in every document)."""
        return _from_did(did) if isinstance(did, str) else cls._parse_did(did)

    @classmethod
    def _parse_did(cls, did: str) -> PublicKey:
        if not isinstance(did, str) or len(did) > _MAX_DID_CHARS or not did.startswith(DID_PREFIX):
            raise InvalidKey(f"not an Ed25519 did:key: {str(did)[:80]!r}")
        try:
            body = b58decode(did[len(DID_PREFIX):])
        except ValueError as exc:
            raise InvalidKey(f"malformed did:key {did[:80]!r}: {exc}") from None
        if len(body) != 34 or body[:2] != _ED25519_PUB:
            raise InvalidKey(f"did:key is not a 32-byte ed25519-pub key: {did[:80]!r}")
        return cls(body[2:])

    @property
    def did(self) -> str:
        return DID_PREFIX + b58encode(_ED25519_PUB + self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Strict RFC 8032 verification: canonical R, ``S < L``, then the curve equation. A
        ``signature`` of any other type or length is False (documents carry it: a bad entry is
        skipped, not fatal); ``message`` is the caller's own, bytes-like or ``InvalidInput``."""
        if type(message) is not bytes:
            message = bytes_like(message, "PublicKey.verify's message")
        if not isinstance(signature, (bytes, bytearray)) or len(signature) != 64:
            return False
        if int.from_bytes(signature[32:], "little") >= L:
            return False  # malleable: S + L would verify too
        if int.from_bytes(signature[:32], "little") & ((1 << 255) - 1) >= P:
            return False  # non-canonical R (y >= p); a non-point R fails in the check below
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(bytes(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True


@functools.lru_cache(maxsize=4096)
def _from_did(did: str) -> PublicKey:
    return PublicKey._parse_did(did)


def did_of(raw_public_key: bytes) -> str:
    """The did:key of a raw 32-byte Ed25519 public key (validated)."""
    return PublicKey(raw_public_key).did
