"""UCAN 1.0: delegations, invocations, the policy language, and chain validation.

Specs: ucan-wg/spec, delegation, invocation, revocation; ChainAgnostic/varsig. Conformance:
the working group's fixtures (tests/test_ucan.py).

- ``_token``    the Varsig envelope (canonical DAG-CBOR, Ed25519), parsing and sealing
- ``_policy``   selectors and policy statements (bounded, linear-time glob)
- ``_validate`` chain validation in the order that gives each failure its fixture name
- ``_did``      principals: DIDs, did:key of a known key type
- ``_build``    issuing delegations, invocations and revocations
- ``_revocations`` the revocation table: who may revoke what, eviction and bounds
- ``_errors``   one ``Untrusted`` subclass per UCAN error name
"""

from __future__ import annotations

from ._build import REVOKE_COMMAND, delegate, invoke, revocation, revoke_authority
from ._did import check_did
from ._errors import (
    ERRORS,
    Expired,
    InvalidAudience,
    InvalidClaim,
    InvalidSignature,
    InvalidSubject,
    InvalidToken,
    MatchError,
    Revoked,
    TooEarly,
    UcanError,
    UnavailableProof,
)
from ._policy import ABSENT, Absent, EvalBudget, check_policy, failing_statement, glob_match, matches, parse_selector, select
from ._revocations import Revocations, check_revocation, revoked_cid, revoked_in_every_chain, revoker
from ._token import (
    DELEGATION_TAG,
    INVOCATION_TAG,
    RECEIPT_TAG,
    Token,
    parse_token,
    seal,
)
from ._validate import (
    Validated,
    command_covers,
    validate_delegation,
    validate_invocation,
)

__all__ = [
    "ABSENT",
    "DELEGATION_TAG",
    "ERRORS",
    "INVOCATION_TAG",
    "RECEIPT_TAG",
    "REVOKE_COMMAND",
    "Absent",
    "EvalBudget",
    "Expired",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidSignature",
    "InvalidSubject",
    "InvalidToken",
    "MatchError",
    "Revocations",
    "Revoked",
    "Token",
    "TooEarly",
    "UcanError",
    "UnavailableProof",
    "Validated",
    "check_did",
    "check_policy",
    "check_revocation",
    "command_covers",
    "delegate",
    "failing_statement",
    "glob_match",
    "invoke",
    "matches",
    "parse_selector",
    "parse_token",
    "revocation",
    "revoke_authority",
    "revoked_cid",
    "revoked_in_every_chain",
    "revoker",
    "seal",
    "select",
    "validate_delegation",
    "validate_invocation",
]
