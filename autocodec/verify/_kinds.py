"""Telling a CID of the wrong kind apart from a bad document, before parsing it as one.

A set's root (its id), index and manifests are all signed DAG-CBOR envelopes; their CIDs look
alike and are easily swapped. ``check_codec`` refuses a CID whose codec cannot hold a document;
``check_kind`` names the kind of document a block holds when it is another known one. Both
raise ``WrongDocument`` (nothing is changed) and otherwise return, leaving every other fault to
``open_envelope``: they never accept what it would refuse.
"""

from __future__ import annotations

from typing import Any

from ..cid import CID
from ..codes import codec_name
from ..errors import AutocodecError, WrongDocument
from ._canonical import decode_canonical
from ._envelope import KINDS, payload_type

DAG_CBOR = 0x71

_WHAT = {"root": "an extension set's root", "index": "an extension set's index", "manifest": "a module's manifest"}
"""Each document kind in words."""

_WANTED = {
    "index": "give the set's index CID, the one `autocodec set publish` printed, or its /ipns/NAME",
    "manifest": "give the manifest CID `autocodec publish` printed",
    "root": "give the set's id, the one `autocodec set init` printed",
}
"""What to give instead, by the kind expected."""


def check_codec(cid: CID, kind: str) -> None:
    """Refuse ``cid`` when its codec is not DAG-CBOR, the codec every signed document has."""
    if cid.codec != DAG_CBOR:
        name = codec_name(cid.codec)
        block = "a raw block" if name == "raw" else f"a {name} block"
        raise WrongDocument(f"{cid} is {block} (codec {name}), not {_WHAT[kind]}", hint=_WANTED[kind])


def check_kind(cid: CID, data: bytes, kind: str, *, max_bytes: int) -> None:
    """Refuse ``data`` (the block of ``cid``) when it is a signed document of another kind."""
    check_codec(cid, kind)
    given, document = _peek(data, max_bytes)
    if given is None or given == kind:
        return
    if given == "root":
        name = document.get("set") if isinstance(document, dict) else None
        of = f" of set {name!r}" if isinstance(name, str) else ""
        raise WrongDocument(f"{cid} is the root{of} (the set's id), not {_WHAT[kind]}", hint=_WANTED[kind])
    raise WrongDocument(f"{cid} is {_WHAT[given]}, not {_WHAT[kind]}", hint=_WANTED[kind])


def _peek(data: bytes, max_bytes: int) -> tuple[str | None, Any]:
    """The kind of signed document ``data`` holds and its payload, or ``(None, None)`` when it is
    not a well-formed envelope of a known kind (``open_envelope`` then says what is wrong)."""
    try:
        value = decode_canonical(data, max_bytes=max_bytes, what="document")
    except AutocodecError:
        return None, None
    if not isinstance(value, dict):
        return None, None
    given = next((k for k in KINDS if value.get("payloadType") == payload_type(k)), None)
    payload = value.get("payload")
    try:
        return given, decode_canonical(payload, max_bytes=max_bytes, what="payload") if isinstance(payload, bytes) else None
    except AutocodecError:
        return given, None
