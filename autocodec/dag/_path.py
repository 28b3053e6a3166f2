"""Content paths: ``[/ipfs/|/ipld/|ipfs://]CID[/segment...]``, parsed as Kubo parses them.

``uri_to_path`` turns a native IPFS URI (``ipfs://``, ``ipns:``, ``IPLD://``...) into its content path.

Source of the rules: boxo ``path.NewPath``/``StringToSegments`` and Kubo's
``cmdutils.PathOrCidPath`` (v0.43): a string that is not a ``/namespace/...`` path is read as
``/ipfs/`` + the string; the path is cleaned lexically like Go's ``path.Clean`` (repeated
slashes collapse, ``.`` drops, ``..`` removes the segment before it).

Invariants:
- ``DagPath.root`` is a valid CID in whatever multibase it was written; ``root_text`` keeps the
  text so outputs can answer in the same base (Kubo's ``dag resolve`` does).
- ``segments`` never holds an empty, ``.`` or ``..`` segment.
- The namespace is ``ipfs`` (UnixFS-aware: directory and HAMT names) or ``ipld`` (plain IPLD
  data-model pathing); ``/ipns/`` names are refused with what to do instead (the CLI resolves
  them first: ``cli/_ipns_paths.py``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ..cid import CID, spaced_cid_text
from ..errors import InvalidCID, InvalidPath

NAMESPACES = ("ipfs", "ipld")
_URI_SCHEMES = ("ipfs", "ipns", "ipld")


def uri_to_path(text: str) -> str:
    """A native IPFS URI as the content path it names: ``ipfs://CID/sub`` and ``ipfs:CID/sub``
    are ``/ipfs/CID/sub`` (``ipns``, ``ipld`` alike); any other text is returned unchanged.
    The scheme is matched case-insensitively over ASCII, one ``//`` after it is dropped, and the
    rest is kept byte for byte (a CIDv0 or a DNSLink name keeps its case): boxo's
    ``NewPathFromURI``, which Kubo 0.43.1's commands apply to their path arguments."""
    for scheme in _URI_SCHEMES:
        n = len(scheme)
        if len(text) > n and text[n] == ":" and text[:n].isascii() and text[:n].lower() == scheme:
            rest = text[n + 1:]
            return f"/{scheme}/" + (rest[2:] if rest.startswith("//") else rest)
    return text


@dataclass(frozen=True, slots=True)
class DagPath:
    """A parsed content path: namespace, root CID and the segments below it."""

    namespace: str
    root: CID
    segments: tuple[str, ...]
    root_text: str

    def __str__(self) -> str:
        return "/".join((f"/{self.namespace}", self.root_text, *self.segments))


def _clean(text: str) -> list[str]:
    cleaned = posixpath.normpath("/" + text.lstrip("/"))
    return [seg for seg in cleaned.split("/") if seg]


def parse_path(path: "str | CID | DagPath") -> DagPath:
    """Parse a CID or a content path; ``InvalidPath``/``InvalidCID`` naming what is wrong.
    White space around the root CID is refused, as Kubo's paths refuse it (``"  CID"`` is an
    invalid path to ``ipfs cat`` and to the gateway; ``cid.spaced_cid_text``)."""
    if isinstance(path, DagPath):
        return path
    if isinstance(path, CID):
        return DagPath("ipfs", path, (), str(path))
    if not isinstance(path, str):
        raise InvalidPath(f"not a path: {type(path).__name__}")
    text = uri_to_path(path)
    if text.startswith("/ipns/"):
        raise InvalidPath(f"{path[:80]!r} is an IPNS name, not a content path",
                          hint="resolve the name to /ipfs/CID first (`autocodec name resolve` verifies its record; "
                               "the CLI's content commands do it themselves)")
    if not text.startswith("/"):
        text = "/ipfs/" + text
    segments = _clean(text)
    if len(segments) < 2 or segments[0] not in NAMESPACES:
        shown = segments[0] if segments else ""
        raise InvalidPath(f"{path[:80]!r}: unknown namespace {shown!r}" if len(segments) >= 2
                          else f"{path[:80]!r} has no root CID")
    namespace, root_text, *rest = segments
    try:
        if spaced_cid_text(root_text):  # CID.parse would drop it: Kubo's paths keep it
            raise InvalidCID(f"cannot parse CID {root_text[:80]!r}: it has white space around it")
        root = CID.parse(root_text)
    except InvalidCID as exc:
        raise InvalidCID(f"in path {path[:80]!r}: {exc.message}") from None
    return DagPath(namespace, root, tuple(rest), root_text)


def base_of(text: str) -> str | None:
    """The ``--cid-base`` name of a CID string's multibase (``None`` for a CIDv0 or unknown)."""
    if len(text) == 46 and text.startswith("Qm"):
        return None
    return _PREFIX_NAMES.get(text[:1])


_PREFIX_NAMES = {
    "0": "base2", "7": "base8", "9": "base10", "f": "base16", "F": "base16upper", "b": "base32",
    "B": "base32upper", "c": "base32pad", "C": "base32padupper", "v": "base32hex", "V": "base32hexupper",
    "t": "base32hexpad", "T": "base32hexpadupper", "k": "base36", "K": "base36upper", "z": "base58btc",
    "Z": "base58flickr", "m": "base64", "M": "base64pad", "u": "base64url", "U": "base64urlpad",
}
