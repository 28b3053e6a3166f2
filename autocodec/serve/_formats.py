"""The response formats of the gateway: the media types a request may ask for, the one it asks
for (``negotiate``: ``?format=`` and ``Accept``), where an Accept-chosen format lives
(``_content_location``) and the ETag of a block in a format (``format_etag``), as Kubo v0.43.1
(boxo) names them.

Its one job: naming formats; how each one is answered is the gateway's (``_gateway``).
"""

from __future__ import annotations

import urllib.parse

from aiohttp import web

from ..cid import CID
from ._gateway_error import GatewayError
from ._goparse import parse_media_type

RAW, CAR = "application/vnd.ipld.raw", "application/vnd.ipld.car"
DAG_JSON, DAG_CBOR = "application/vnd.ipld.dag-json", "application/vnd.ipld.dag-cbor"
JSON, CBOR = "application/json", "application/cbor"
TAR, IPNS_RECORD = "application/x-tar", "application/vnd.ipfs.ipns-record"
FORMATS = {"raw": RAW, "car": CAR, "dag-json": DAG_JSON, "dag-cbor": DAG_CBOR, "json": JSON, "cbor": CBOR,
           "tar": TAR, "ipns-record": IPNS_RECORD}
_SERVED = frozenset(FORMATS.values())
"""The media types a request may name; another explicit one (``_EXPLICIT``) is Kubo's 400."""
_EXPLICIT = ("application/vnd.ipld", "application/x-tar", "application/json", "application/cbor",
             "application/vnd.ipfs")
# the codecs each data format serves as stored (multicodec table)
_MATCHING = {DAG_JSON: (0x0129,), DAG_CBOR: (0x71,), JSON: (0x0200, 0x0129), CBOR: (0x51, 0x71)}
_CODEC_TYPES = {0x0129: (DAG_JSON, "json", "inline"), 0x71: (DAG_CBOR, "cbor", "attachment"),
                0x0200: (JSON, "json", "inline"), 0x51: (CBOR, "cbor", "attachment")}
# the codec a converted answer is written in (the extension, docs/gateway.md): generic CBOR is the
# ``cbor`` codec, maps in the order decoded, as Kubo v0.43.1's ``dag get --output-codec cbor`` writes
# them (it refuses links); generic JSON stays DAG-JSON text, valid JSON that can show links
_ENCODE_AS = {DAG_JSON: "dag-json", DAG_CBOR: "dag-cbor", JSON: "dag-json", CBOR: "cbor"}


def negotiate(request: web.Request) -> tuple[str | None, dict[str, str]]:
    """The response media type asked for and its parameters (see ``_gateway``'s docstring); a 400
    ``GatewayError`` when the Accept element it takes is not a media type Go can parse."""
    accept_type: str | None = None
    accept_params: dict[str, str] = {}
    for header in request.headers.getall("Accept", []):
        for value in header.split(","):
            text = value.strip()
            if text.startswith(_EXPLICIT):
                try:
                    accept_type, accept_params = parse_media_type(text)
                except ValueError as exc:
                    raise GatewayError(400, f"error while processing the Accept header: {exc}") from None
                break
        if accept_type:
            break
    fmt = request.query.get("format")
    if fmt and fmt in FORMATS:
        chosen = FORMATS[fmt]
        return chosen, accept_params if accept_type == chosen else {}
    return accept_type, accept_params


_FORMAT_PARAMS = {media: name for name, media in FORMATS.items()}


def _content_location(request: web.Request, media: str, params: dict[str, str]) -> str | None:
    """``Content-Location`` of an answer whose format the ``Accept`` header chose (boxo's
    ``addContentLocation``): the path with ``?format=`` set and the Accept's parameters as
    ``{format}-{name}`` where the query has none, keys sorted; None when the query named the
    format itself. Caches then tell the formats of one URL apart."""
    name = _FORMAT_PARAMS.get(media, "")
    if request.query.get("format") == name and name:
        return None
    query: dict[str, list[str]] = {}
    for key, value in request.query.items():
        query.setdefault(key, []).append(value)
    query["format"] = [name]
    for key, value in params.items():
        query.setdefault(f"{name}-{key}", [value])
    pairs = [(key, value) for key in sorted(query) for value in query[key]]
    return urllib.parse.unquote(request.raw_path.partition("?")[0]) + "?" + urllib.parse.urlencode(pairs)


def format_etag(cid: CID, media: str | None) -> str:
    """The ETag of ``cid`` answered as ``media`` (None: as its codec's own type where it has
    one, else plain), as boxo's ``getEtag`` names it: ``"{cid}"``, ``"{cid}.{short type}"``
    (``raw``, ``dag-json``, ...), a TAR's weak ``W/"{cid}.x-tar"``."""
    media = media or _CODEC_TYPES.get(cid.codec, (None,))[0]
    if media is None:
        return f'"{cid}"'
    short = media[max(media.rfind("/"), media.rfind(".")) + 1:]
    return f'{"W/" if media == TAR else ""}"{cid}.{short}"'


CONVERSION_REVISION = 2
"""Bumped whenever this gateway writes a converted answer differently for the same decoder (2:
``cbor`` keeps the decoded map order, bd8ab88; 1 wrote sorted DAG-CBOR)."""


def converted_etag(cid: CID, media: str, decoder: str) -> str:
    """The ETag of ``cid`` converted to ``media`` (the ``autocodec-convert`` extension):
    ``"{cid}.{short type}.autocodec-{revision}-{decoder}"``. ``decoder`` names what decoded it
    (``builtin-{package version}``, or the module's CID), so an answer whose bytes may differ,
    another decoder or another revision of the writer, never shares an ETag with an earlier one;
    never a spec answer's ETag."""
    return f'{format_etag(cid, media).removesuffix(chr(34))}.autocodec-{CONVERSION_REVISION}-{decoder}"'
