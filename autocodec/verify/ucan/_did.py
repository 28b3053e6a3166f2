"""Principals of UCAN 1.0 tokens: DIDs, checked for form (W3C DID syntax) and, for did:key, for
a public key of a known type.

Specs: W3C DID Core 1.0 section 3.1 (``did:METHOD:ID``, METHOD lower-case letters and digits, ID
made of ``ALPHA / DIGIT / "." / "-" / "_" / pct-encoded`` with ``:`` between parts), the did:key
method (w3c-ccg.github.io/did-method-key: base58btc ``z`` + varint multicodec key type + key).

Invariants:
- ``check_did`` refuses anything that is not a DID: a token addressed to it could never be
  used, and a typo would silently grant nothing (or to someone else).
- A did:key must decode to a key type the did:key method lists, with that type's key length;
  an Ed25519 key must also be a valid, not-small-order point (``PublicKey``). Other methods
  (did:web, did:plc...) are checked for form only: resolving them is not this module's job.
"""

from __future__ import annotations

import re

from ...cid import b58decode, decode_varint
from ...errors import AutocodecError
from .._ed25519 import PublicKey
from ._errors import InvalidToken

MAX_DID_CHARS = 2048
_DID = re.compile(r"did:([a-z0-9]+):((?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")

# multicodec code -> (key type, accepted raw key lengths; None: any length in 64..2048 bytes)
KEY_TYPES: dict[int, tuple[str, frozenset[int] | None]] = {
    0xED: ("Ed25519", frozenset({32})),
    0xE7: ("secp256k1", frozenset({33})),
    0x1200: ("P-256", frozenset({33})),
    0x1201: ("P-384", frozenset({49})),
    0x1202: ("P-521", frozenset({67})),
    0x1205: ("RSA", None),
    0xEA: ("BLS12-381 G1", frozenset({48})),
    0xEB: ("BLS12-381 G2", frozenset({96})),
}


HINT = "give the principal's DID exactly as its key prints it (did:key:z6Mk... for an Ed25519 key)"


def check_did(text: object, what: str = "principal") -> str:
    """``text`` if it is a DID (a did:key of a known key type); else ``InvalidToken`` naming ``what``."""
    if not isinstance(text, str) or len(text) > MAX_DID_CHARS or not _DID.fullmatch(text):
        raise InvalidToken(f"the {what} {str(text)[:80]!r} is not a DID (did:METHOD:ID)", hint=HINT)
    if text.startswith("did:key:"):
        problem = _did_key_problem(text)
        if problem is not None:
            raise InvalidToken(f"the {what} {text[:80]!r} is not a valid did:key: {problem}", hint=HINT)
    return text


def _did_key_problem(text: str) -> str | None:
    body = text[len("did:key:"):]
    if not body.startswith("z"):
        return "not base58btc (z...)"
    try:
        data = b58decode(body[1:])
        code, offset = decode_varint(data)
    except (ValueError, AutocodecError):
        return "not base58btc multicodec key bytes"
    known = KEY_TYPES.get(code)
    if known is None:
        return f"unknown key type 0x{code:x} (known: {', '.join(n for n, _ in KEY_TYPES.values())})"
    name, lengths = known
    size = len(data) - offset
    if (lengths is not None and size not in lengths) or (lengths is None and not 64 <= size <= 2048):
        return f"a {size}-byte key is not a {name} public key"
    if code == 0xED:
        try:
            PublicKey.from_did(text)
        except AutocodecError as exc:
            return exc.message
    return None
