"""UCAN 1.0 tokens: the Varsig envelope, its signature, and the delegation / invocation payloads.

Specs: ucan-wg/spec (envelope), ucan-wg/delegation, ucan-wg/invocation (payload fields),
ChainAgnostic/varsig (header). A token is canonical DAG-CBOR::

    [ signature: bytes, { "h": varsig header, "ucan/dlg@1.0.0" | "ucan/inv@1.0.0": payload } ]

and the signature is over the canonical DAG-CBOR bytes of the inner map (the "signature payload").

Invariants:
- ``parse_token`` refuses bytes over ``MAX_TOKEN_BYTES``, non-canonical DAG-CBOR, any header but
  Ed25519 + DAG-CBOR (``34 01 ed01 ed01 13 71``), an unknown type tag, and payloads whose fields
  have the wrong kinds, or an ``aud``/``sub`` that is not a DID (``_did``); it does not check the signature (``Token.check_signature`` does), so a
  validator can report the fixture's error order.
- A ``Token``'s ``cid`` is CIDv1 dag-cbor sha2-256 of its exact bytes: the identity that ``prf``
  lists and revocations name.
- Only the builtin strict Ed25519 (``verify._ed25519``) verifies signatures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..._inputs import bytes_like, need_text, whole_number
from ...cid import CID
from ...errors import AutocodecError, InvalidInput
from .._canonical import decode_canonical, document_cid, encode
from .._ed25519 import PublicKey
from .._keyring import SigningKey
from ._did import check_did
from ._errors import InvalidSignature, InvalidToken

MAX_TOKEN_BYTES = 1 << 20
"""Largest token accepted (invocation arguments included)."""

VARSIG_ED25519_DAG_CBOR = bytes([0x34, 0x01, 0xED, 0x01, 0xED, 0x01, 0x13, 0x71])
"""varsig v1: Ed25519 key, Ed25519 curve, SHA2-512, payload encoded as DAG-CBOR."""

DELEGATION_TAG = "ucan/dlg@1.0.0"
INVOCATION_TAG = "ucan/inv@1.0.0"
RECEIPT_TAG = "ucan/rct@1.0.0"
_ACCEPTED_TAGS = {
    DELEGATION_TAG: "dlg", "ucan/dlg@1.0.0-rc.1": "dlg",
    INVOCATION_TAG: "inv", "ucan/inv@1.0.0-rc.1": "inv",
    RECEIPT_TAG: "rct",
}
_MAX_TIME = 2**53 - 1


@dataclass(frozen=True)
class Token:
    """One parsed UCAN envelope (signature not yet checked)."""

    data: bytes
    cid: CID
    signature: bytes
    header: bytes
    tag: str
    kind: str
    """"dlg", "inv" or "rct"."""
    payload: Mapping[str, Any]

    @property
    def iss(self) -> str:
        return str(self.payload["iss"])

    @property
    def sub(self) -> str | None:
        sub = self.payload.get("sub")
        return None if sub is None else str(sub)

    @property
    def aud(self) -> str | None:
        aud = self.payload.get("aud")
        return None if aud is None else str(aud)

    @property
    def cmd(self) -> str:
        return str(self.payload["cmd"])

    @property
    def exp(self) -> int | None:
        exp = self.payload.get("exp")
        return None if exp is None else int(exp)

    @property
    def nbf(self) -> int | None:
        nbf = self.payload.get("nbf")
        return None if nbf is None else int(nbf)

    def signed_bytes(self) -> bytes:
        """The bytes the signature covers: the canonical DAG-CBOR of ``{h, tag: payload}``, which is
        the envelope's second item as ``data`` holds it (``parse_token`` refused any other byte
        form), so it is sliced out rather than encoded again (30 ms per MiB)."""
        size = len(self.signature)
        head = 1 if size < 24 else 2 if size < 256 else 3 if size < 65536 else 5 if size < 2**32 else 9
        return self.data[1 + head + size:]

    @property
    def what(self) -> str:
        """``delegation CID``, ``invocation CID`` or ``receipt CID``, for messages."""
        return f"{ {'dlg': 'delegation', 'inv': 'invocation'}.get(self.kind, 'receipt')} {self.cid}"

    def check_signature(self) -> None:
        """Raise ``InvalidSignature`` unless the issuer's key signed this token."""
        try:
            key = PublicKey.from_did(self.iss)
        except AutocodecError as exc:
            raise InvalidSignature(f"{self.what}: issuer is not an Ed25519 did:key: {exc.message}") from None
        if not key.verify(self.signature, self.signed_bytes()):
            raise InvalidSignature(f"{self.what}: signature does not verify for {self.iss}")


def need_token(value: Any, what: str) -> Token:
    """``value`` when it is a parsed ``Token``; else ``InvalidInput`` naming ``what`` (bytes are
    parsed with ``parse_token`` first)."""
    if isinstance(value, Token):
        return value
    how = ": parse its bytes with parse_token" if isinstance(value, (bytes, bytearray, memoryview)) else ""
    raise InvalidInput(f"{what} needs a UCAN Token, not {type(value).__name__}{how}")


def need_time(now: Any, what: str) -> int:
    """``now`` as whole seconds since the epoch; else ``InvalidInput``. A float, NaN or str is
    never taken: NaN compares False with every bound, so an expired token would validate."""
    if type(now) is int and 0 <= now < MAX_TIME:
        return now
    return whole_number(now, what, most=MAX_TIME - 1)


MAX_TIME = 2**53
"""Times past this (about 285 million years) are refused: a token's exp is an integer that
JavaScript implementations can still read exactly."""


def parse_token(data: bytes) -> Token:
    """Parse a token's bytes; raises ``InvalidToken`` for anything that is not a UCAN 1.0 envelope
    (``InvalidInput`` for an argument that is not bytes-like: ``bytes(5)`` is no token's bytes)."""
    data = bytes(bytes_like(data, "parse_token"))
    try:
        value = decode_canonical(data, max_bytes=MAX_TOKEN_BYTES, what="UCAN token")
    except AutocodecError as exc:
        raise InvalidToken(exc.message) from None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes)
            and isinstance(value[1], dict)):
        raise InvalidToken("UCAN token is not [signature, {h, tag: payload}]")
    signature, inner = value
    header = inner.get("h")
    if not isinstance(header, bytes):
        raise InvalidToken("UCAN token has no varsig header 'h'")
    if header != VARSIG_ED25519_DAG_CBOR:
        raise InvalidToken(f"unsupported varsig header {header.hex()} (supported: Ed25519 over DAG-CBOR)")
    tags = [key for key in inner if key != "h"]
    if len(inner) != 2 or len(tags) != 1 or tags[0] not in _ACCEPTED_TAGS:
        raise InvalidToken(f"UCAN token has no known type tag (got {sorted(map(str, tags))[:3]})")
    tag = tags[0]
    kind = _ACCEPTED_TAGS[tag]
    payload = inner[tag]
    if not isinstance(payload, dict):
        raise InvalidToken(f"UCAN {kind} payload is not a map")
    check_payload(kind, payload)
    return Token(bytes(data), document_cid(bytes(data)), signature, header, tag, kind, payload)


def check_payload(kind: str, payload: Mapping[str, Any]) -> None:
    """``InvalidToken`` unless ``payload`` has the fields of a UCAN ``kind`` ("dlg", "inv", "rct") with their kinds."""
    def want(field: str, types: tuple[type, ...], *, required: bool = True, nullable: bool = False) -> None:
        if field not in payload:
            if required:
                raise InvalidToken(f"UCAN {kind} payload lacks '{field}'")
            return
        value = payload[field]
        if value is None and nullable:
            return
        if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
            raise InvalidToken(f"UCAN {kind} field '{field}' has the wrong kind ({type(value).__name__})")

    if kind == "rct":
        want("iss", (str,))
        want("ran", (CID,))
        want("out", (dict,))
        return
    want("iss", (str,))
    want("cmd", (str,))
    want("nonce", (bytes,))
    want("exp", (int,), nullable=True)
    want("nbf", (int,), required=False)
    want("meta", (dict,), required=False)
    if kind == "dlg":
        want("aud", (str,))
        want("sub", (str,), nullable=True)
        want("pol", (list,))
    else:
        want("sub", (str,))
        want("aud", (str,), required=False)
        want("args", (dict,))
        want("prf", (list,))
        want("iat", (int,), required=False)
        want("cause", (CID,), required=False)
        if not all(isinstance(p, CID) for p in payload["prf"]):
            raise InvalidToken("UCAN invocation 'prf' must list delegation CIDs")
    for field in ("aud", "sub"):  # principals: DIDs (a did:key of a known key type)
        if payload.get(field) is not None:
            check_did(payload[field], f"{field} of the UCAN {kind}")
    for field in ("exp", "nbf", "iat"):
        value = payload.get(field)
        if isinstance(value, int) and not -_MAX_TIME <= value <= _MAX_TIME:
            raise InvalidToken(f"UCAN {kind} field '{field}' is outside the 53-bit range")
    check_command(payload["cmd"], kind=kind)


def check_command(cmd: str, *, kind: str = "token") -> None:
    """Commands are ``/`` or slash-separated lower-case segments with no trailing slash."""
    if cmd == "/":
        return
    if not cmd.startswith("/") or cmd.endswith("/") or "//" in cmd or cmd != cmd.lower():
        raise InvalidToken(f"UCAN {kind} command {cmd[:80]!r} is malformed (e.g. /wasm/run)",
                           hint="write the command as lower-case segments after slashes, with no trailing "
                                "slash: / or /wasm/run")


def need_key(key: Any, what: str) -> None:
    """``InvalidInput`` unless ``key`` signs (a ``SigningKey``: a ``did`` and a ``sign`` method)."""
    if not (isinstance(getattr(key, "did", None), str) and callable(getattr(key, "sign", None))):
        raise InvalidInput(f"{what} needs a SigningKey, not {type(key).__name__}")


def seal(key: SigningKey, tag: str, payload: Mapping[str, Any]) -> Token:
    """Sign ``payload`` under ``tag`` with ``key`` and return the parsed, canonical token
    (``InvalidInput`` for arguments of another type, ``InvalidToken`` for a payload no UCAN holds)."""
    need_key(key, "seal")
    need_text(tag, "seal's tag")
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"seal's payload needs a mapping, not {type(payload).__name__}")
    header = VARSIG_ED25519_DAG_CBOR
    signature = key.sign(encode({"h": header, tag: dict(payload)}))
    data = encode([signature, {"h": header, tag: dict(payload)}])
    if len(data) > MAX_TOKEN_BYTES:  # parse_token would refuse it as if someone had sent it
        raise InvalidInput(f"the token would be {len(data)} bytes, over the {MAX_TOKEN_BYTES}-byte cap of a UCAN "
                           "token", hint="keep the payload small: refer to large data by CID rather than holding it")
    token = parse_token(data)
    token.check_signature()
    return token
