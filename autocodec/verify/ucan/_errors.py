"""UCAN 1.0 validation errors, one class per failure the conformance fixtures name.

Invariants:
- Every class is an ``Untrusted`` (a UCAN that does not validate grants nothing), and its
  ``name`` is the UCAN working group's error name (``InvalidClaim``, ``Expired``, ...), which
  the CLI prints and the HTTP executor returns.
- Malformed tokens (not DAG-CBOR, not an envelope, unknown varsig) are ``InvalidToken``, a
  cause distinct from a well-formed token that is not authorized.
"""

from __future__ import annotations

from ...errors import Untrusted


class UcanError(Untrusted):
    """A UCAN token or chain that does not validate."""

    hint = "ask the delegator for a valid delegation chain"

    @property
    def name(self) -> str:
        return type(self).__name__


class InvalidToken(UcanError):
    """Bytes that are not a UCAN 1.0 envelope (DAG-CBOR, varsig header, known payload tag)."""

    hint = "give a UCAN 1.0 token: a DAG-CBOR envelope, as a file of bytes or base64 text"


class InvalidSignature(UcanError):
    hint = "the token was altered or not signed by its issuer"


class InvalidClaim(UcanError):
    """The chain does not grant the command: no proof, a root not issued by the subject, a command outside the delegation."""

    hint = "invoke a command the chain grants, with a chain rooted at the subject"


class UnavailableProof(UcanError):
    hint = "give every delegation the invocation names in prf"


class Expired(UcanError):
    hint = "ask for a fresh delegation or invocation"


class TooEarly(UcanError):
    hint = "the token is not valid yet (nbf is in the future)"


class InvalidAudience(UcanError):
    """Principal misalignment: a delegation's aud is not the next issuer, or the executor is not the audience."""

    hint = "each delegation's audience must issue the next one, and the last one the invocation"


class InvalidSubject(UcanError):
    hint = "every delegation in the chain must be about the invocation's subject"


class MatchError(UcanError):
    """The invocation's arguments violate a delegation's policy."""

    hint = "invoke with arguments that the delegations' policies allow"


class Revoked(UcanError):
    """A delegation in the chain was revoked."""

    hint = "the delegation was revoked; ask its issuer for a new one"


ERRORS: dict[str, type[UcanError]] = {
    cls.__name__: cls
    for cls in (InvalidToken, InvalidSignature, InvalidClaim, UnavailableProof, Expired, TooEarly,
                InvalidAudience, InvalidSubject, MatchError, Revoked)
}
"""Error classes by their UCAN name."""
