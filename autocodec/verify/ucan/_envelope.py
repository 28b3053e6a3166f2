"""Reading a UCAN envelope's heads without decoding its payload, and parsing only the tokens of a
container that a known principal vouches for.

Why: decoding a token (``parse_token``: DAG-CBOR decode, canonical re-encode) costs 20-100 ms
per MiB, and an executor receives megabytes from callers it does not know yet. The envelope
``[signature, {"h": header, tag: payload}]`` is canonical DAG-CBOR, so the payload's keys come
in length-then-bytes order: ``aud``, ``cmd``, ``exp`` (and ``iat``) precede ``iss``, and ``prf``
and ``sub`` follow it, all before the large fields (``args``, ``pol``, ``meta``). Reading the
heads up to them costs a few dozen bytes, whatever the token's size.

Invariants:
- ``peek`` reads the envelope's heads and the payload's scalar fields (and lists of scalars,
  such as ``prf``), stepping over anything else head by head without building it, at most
  ``MAX_HEADS`` heads for all the tokens of a request beside ``FLOOR_HEADS`` for each
  (``HeadBudget``); it raises only
  ``InvalidToken``. What it returns is unauthenticated: it only
  decides what is worth decoding; ``parse_token`` and validation decide what the token says.
- The bytes from ``Envelope.signed_at`` are the exact bytes the signature covers when the token is canonical (a
  non-canonical token is refused by ``parse_token`` afterwards, whatever its signature).
- ``parse_vouched`` decodes a token only when it is vouched for: issued by ``root`` or by the
  audience of a delegation already decoded, or named by CID (``prf``, a revocation's ``revoke``
  and ``path``) by a token already decoded; and only after its signature verified. A token
  nobody vouches for costs its heads and, when some token names CIDs, one SHA-256 of its bytes.
- ``stub`` makes a ``Token`` of heads alone, for finding out which chain check an unvouched
  chain fails (its error name); a stub's placeholders never reach a policy check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...cid import CID
from ...errors import AutocodecError
from .._canonical import document_cid
from .._ed25519 import PublicKey
from ._errors import InvalidToken
from ._token import _ACCEPTED_TAGS, VARSIG_ED25519_DAG_CBOR, Token, check_payload, parse_token

MAX_HEADS = 32768
"""CBOR heads ``peek`` reads for all the tokens of one request (``HeadBudget``), about 16 ms at
0.5 us a head: enough to step over the policies and arguments of ordinary tokens (a statement is
about four heads), where decoding a 4 MiB request took 170-200 ms."""

_SHAPE = "UCAN token is not [signature, {h, tag: payload}]"


class _Skipped:
    """A field value ``peek`` stepped over (a map, a list of containers...) without building it."""

    def __repr__(self) -> str:
        return "SKIPPED"


SKIPPED = _Skipped()


FLOOR_HEADS = 64
"""Heads every token may read whatever the shared budget has left: enough for the fields before
``args`` and ``pol`` (``iss`` among them), so one token's large fields cannot hide who issued
the next one (which decides whether it is decoded)."""


class HeadBudget:
    """CBOR heads left to read for one request's envelopes: each token's first ``FLOOR_HEADS``
    (``peek`` sets ``floor``), then the shared ``heads``; ``peek`` stops reading a payload (its
    ``complete`` is False) when both are spent. At most ``heads + FLOOR_HEADS`` per token read."""

    def __init__(self, heads: int = MAX_HEADS) -> None:
        self.heads = heads
        self.floor = 0

    def spend(self) -> None:
        if self.floor > 0:
            self.floor -= 1
            return
        self.heads -= 1
        if self.heads < 0:
            raise _Spent


class _Spent(Exception):
    """``HeadBudget`` ran out: internal to ``peek``."""


@dataclass(frozen=True)
class Envelope:
    """A token's heads, read by ``peek``: nothing here is authenticated yet."""

    data: bytes
    signature: bytes
    header: bytes
    signed_at: int
    """Offset of the signed bytes (the inner map ``{h, tag: payload}``) in ``data``."""
    tag: str
    kind: str
    fields: dict[str, Any]
    """The payload's fields: scalars (text, bytes, integers, null, booleans, links) as they are,
    lists and maps of them (two levels deep at most) built, anything else ``SKIPPED``."""
    complete: bool
    """Whether every field was read (False: the request's ``HeadBudget`` ran out first)."""

    @property
    def iss(self) -> str | None:
        iss = self.fields.get("iss")
        return iss if isinstance(iss, str) else None

    @property
    def cid(self) -> CID:
        return document_cid(self.data)

    def signature_holds(self) -> bool:
        """Whether the issuer's Ed25519 key signed the signed bytes (False for an issuer that is no Ed25519 did:key)."""
        iss = self.iss
        if iss is None:
            return False
        try:
            key = PublicKey.from_did(iss)
        except AutocodecError:
            return False
        return key.verify(self.signature, self.data[self.signed_at:])


def _head(data: bytes, i: int) -> tuple[int, int, int]:
    """``(major type, argument, index after the head)`` of the CBOR item at ``i``; indefinite
    lengths and reserved values (which DAG-CBOR forbids) are ``InvalidToken``."""
    if i >= len(data):
        raise InvalidToken(f"{_SHAPE}: it ends early")
    first = data[i]
    major, info = first >> 5, first & 31
    if info < 24:
        return major, info, i + 1
    if info > 27:
        raise InvalidToken(f"{_SHAPE}: an indefinite or reserved CBOR head at byte {i}")
    size = 1 << (info - 24)
    if i + 1 + size > len(data):
        raise InvalidToken(f"{_SHAPE}: it ends early")
    return major, int.from_bytes(data[i + 1:i + 1 + size], "big"), i + 1 + size


def _string(data: bytes, i: int, major: int) -> tuple[bytes, int]:
    """The byte or text string whose head is at ``i`` (of ``major`` 2 or 3), and the index after it."""
    got, size, at = _head(data, i)
    if got != major or at + size > len(data):
        raise InvalidToken(_SHAPE)
    return data[at:at + size], at + size


def _text(data: bytes, i: int) -> tuple[str, int]:
    raw, at = _string(data, i, 3)
    try:
        return raw.decode("utf-8"), at
    except UnicodeDecodeError:
        raise InvalidToken(f"{_SHAPE}: a text string is not UTF-8") from None


def peek(data: bytes, budget: HeadBudget | None = None) -> Envelope:
    """The heads of a token's bytes (``InvalidToken`` for bytes that are not a UCAN envelope with
    the Ed25519 varsig header and a known type tag); nothing is decoded beyond scalar fields
    and lists of them, and at most ``budget``'s heads are read (a fresh ``HeadBudget`` if None)."""
    data = bytes(data)
    budget = HeadBudget() if budget is None else budget
    major, count, i = _head(data, 0)
    if (major, count) != (4, 2):
        raise InvalidToken(_SHAPE)
    signature, signed_at = _string(data, i, 2)
    major, count, i = _head(data, signed_at)
    if (major, count) != (5, 2):
        raise InvalidToken(_SHAPE)
    key, i = _text(data, i)
    if key != "h":
        raise InvalidToken("UCAN token has no varsig header 'h'")
    header, i = _string(data, i, 2)
    if header != VARSIG_ED25519_DAG_CBOR:
        raise InvalidToken(f"unsupported varsig header {header.hex()} (supported: Ed25519 over DAG-CBOR)")
    tag, i = _text(data, i)
    if tag not in _ACCEPTED_TAGS:
        raise InvalidToken(f"UCAN token has no known type tag (got {tag[:40]!r})")
    major, count, i = _head(data, i)
    if major != 5:
        raise InvalidToken(f"UCAN {_ACCEPTED_TAGS[tag]} payload is not a map")
    fields: dict[str, Any] = {}
    complete = True
    budget.floor = FLOOR_HEADS
    try:
        for _ in range(count):
            budget.spend()
            name, i = _text(data, i)
            fields[name], i = _value(data, i, budget)
    except _Spent:
        complete = False
    return Envelope(data, signature, header, signed_at, tag, _ACCEPTED_TAGS[tag], fields, complete)


def _value(data: bytes, i: int, budget: HeadBudget, depth: int = 0) -> tuple[Any, int]:
    """The value at ``i`` and the index after it: a scalar, or a list or text-keyed map nested at
    most ``_DEPTH`` deep with scalars inside (a revocation's ``args``, ``prf``), else ``SKIPPED``."""
    value, at = _scalar(data, i, budget)
    if value is not SKIPPED:
        return value, at
    major, count, at = _head(data, i)
    if major not in (4, 5) or depth >= _DEPTH:
        return SKIPPED, _skip(data, i, budget)
    items: list[Any] = []
    for k in range(count if major == 4 else 2 * count):
        if major == 5 and k % 2 == 0 and (at >= len(data) or data[at] >> 5 != 3):
            return SKIPPED, _skip(data, i, budget)  # a key that is not text: not DAG-CBOR
        item, after = _value(data, at, budget, depth + 1)
        if item is SKIPPED:  # stepped over from the start again: at most twice per level
            return SKIPPED, _skip(data, i, budget)
        items.append(item)
        at = after
    return (items if major == 4 else dict(zip(items[::2], items[1::2], strict=True))), at


_DEPTH = 2
"""Deepest nesting ``_value`` builds (a map of lists of scalars)."""


def _scalar(data: bytes, i: int, budget: HeadBudget) -> tuple[Any, int]:
    """The scalar at ``i`` and the index after it; ``(SKIPPED, i)`` for a container."""
    budget.spend()
    major, arg, at = _head(data, i)
    if major == 0:
        return arg, at
    if major == 1:
        return -1 - arg, at
    if major == 2:
        return _string(data, i, 2)
    if major == 3:
        return _text(data, i)
    if major == 7 and arg in (20, 21, 22):
        return {20: False, 21: True, 22: None}[arg], at
    if major == 6 and arg == 42:
        raw, after = _string(data, at, 2)
        try:
            return (CID.parse(raw[1:]) if raw.startswith(b"\x00") else SKIPPED), after
        except (AutocodecError, ValueError):
            return SKIPPED, after
    return SKIPPED, i


def _skip(data: bytes, i: int, budget: HeadBudget) -> int:
    """The index after the item at ``i``, stepping over its heads (strings in one step) without
    building it; iterative, so nesting costs no stack."""
    pending = 1
    while pending:
        budget.spend()
        major, arg, i = _head(data, i)
        pending -= 1
        if major in (2, 3):
            if i + arg > len(data):
                raise InvalidToken(f"{_SHAPE}: it ends early")
            i += arg
        elif major == 4:
            pending += arg
        elif major == 5:
            pending += 2 * arg
        elif major == 6:
            pending += 1
    return i


_PLACEHOLDERS: dict[str, Any] = {"pol": [], "args": {}, "meta": {}}
"""What a skipped container field stands for in a ``stub``."""
_NEVER_READ = ("pol", "meta")
"""Fields a ``stub`` never carries, even when ``peek`` built them: an unvouched policy is never
parsed nor evaluated (a stub's chain holds trivially true ones)."""


def stub(envelope: Envelope) -> Token | None:
    """A ``Token`` made of ``envelope``'s heads, with the real bytes and signature (so
    ``check_signature`` is the real check), an empty ``pol`` and ``meta``, and ``args`` when
    ``peek`` built them (else ``{}``): enough to find out which chain check an unvouched chain
    fails, never to grant anything (its policies are not its own). Its policy is always empty,
    which ``_validate.checked_token_policy`` never caches: a stub cannot lend it to the real
    delegation of the same CID.
    None when the heads were not all read; ``InvalidToken`` for fields of the wrong kinds."""
    if not envelope.complete:
        return None
    payload = {name: _PLACEHOLDERS[name] if name in _NEVER_READ or value is SKIPPED and name in _PLACEHOLDERS
               else value for name, value in envelope.fields.items()}
    check_payload(envelope.kind, payload)
    return Token(envelope.data, envelope.cid, envelope.signature, envelope.header, envelope.tag, envelope.kind,
                 payload)


def named_cids(token: Token) -> set[CID]:
    """The CIDs a decoded token names as the tokens it rests on: ``prf``, and a revocation's
    ``revoke`` and ``path`` (ucan-wg/revocation)."""
    named: set[CID] = set()
    prf = token.payload.get("prf")
    if isinstance(prf, list):
        named.update(cid for cid in prf if isinstance(cid, CID))
    args = token.payload.get("args")
    if token.kind == "inv" and isinstance(args, dict):
        if isinstance(args.get("revoke"), CID):
            named.add(args["revoke"])
        if isinstance(args.get("path"), list):
            named.update(cid for cid in args["path"] if isinstance(cid, CID))
    return named


def parse_vouched(items: Sequence[bytes], root: str, *, before: Callable[[list[Envelope]], None] | None = None
                  ) -> tuple[list[Token | None], list[Envelope]]:
    """Each item's ``Token`` when it is vouched for from ``root`` (see the module's invariants),
    else None, in the items' order; and every item's ``Envelope`` (read under one ``HeadBudget``).
    A vouched-for item whose signature does not verify is not decoded either (None), and vouches
    for nothing; an item that is no envelope is ``InvalidToken``."""
    budget = HeadBudget()
    envelopes = [peek(item, budget) for item in items]
    if before is not None:  # the caller's checks on the heads, before any signature
        before(envelopes)
    tokens: list[Token | None] = [None] * len(items)
    principals = {root}
    named: set[CID] = set()
    cids: list[CID] | None = None
    forged: set[int] = set()
    progress = True
    while progress:
        progress = False
        for at, envelope in enumerate(envelopes):
            if tokens[at] is not None:
                continue
            vouched = envelope.iss in principals
            if not vouched and named:
                if cids is None:  # hashed once, only when some decoded token names CIDs
                    cids = [env.cid for env in envelopes]
                vouched = cids[at] in named
            if not vouched or at in forged:
                continue
            if not envelope.signature_holds():  # never decoded; the caller's checks name it (stub)
                forged.add(at)
                continue
            token = tokens[at] = parse_token(envelope.data)
            if token.kind == "dlg" and token.aud is not None:
                principals.add(token.aud)
            named |= named_cids(token)
            progress = True
    return tokens, envelopes
