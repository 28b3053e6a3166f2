"""Answers of one block: raw, as stored in its data format, converted (opt-in), or its HTML view.

Invariants:
- A block is served as stored only in a format its codec already is (IPIP-0524: no conversion);
  any other is a 406 (a 400 for the generic json/cbor, as Kubo), unless the request opts in to
  ``autocodec-convert`` (docs/gateway.md): then the codec's trusted decoder is named in
  ``X-Autocodec-*`` headers and the answer is revalidated (``CONVERTED_CACHE``), not immutable.
- A DAG-CBOR or DAG-JSON block's HTML view is served only once the block decodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .. import __version__, errors
from ..cid import CID
from ._formats import _CODEC_TYPES, _ENCODE_AS, _MATCHING, CBOR, JSON, RAW, converted_etag, format_etag
from ._gateway_body import _whole_body
from ._gateway_error import GatewayError
from ._gateway_headers import (CONVERTED_CACHE, _base_headers, _block_disposition, _dag_page_etag, _disposition,
                               _immutable, _resolved_headers, provenance_headers)
from ._gateway_locate import Target
from ._gateway_request import converting, query_filename
from ._gateway_view import _slashed_location
from ._page_headers import explorer_origin, html_page_headers
from ._ranges import not_modified
from ._subdomain import go_redirect

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

def _raw_response(request: web.Request, target: Target) -> web.Response:
    etag = f'"{target.cid_text}.raw"'
    headers = {**_immutable(target, etag), "X-Content-Type-Options": "nosniff",
               "Content-Disposition": _disposition("attachment", query_filename(request) or f"{target.cid_text}.bin")}
    return _whole_body(request, headers, target.data, RAW, _resolved_headers(request))



async def _data_response(request: web.Request, runtime: "Runtime", target: Target, media: str) -> web.Response:
    from ._app import _run

    code = target.cid.codec
    convert = converting(request)
    if code in _MATCHING[media]:
        etag = format_etag(target.cid, media)
        headers = {**_immutable(target, etag), "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": _block_disposition(request, target.cid)}
        return _whole_body(request, headers, target.data, media, _resolved_headers(request))
    if not convert:
        from ..codes import codec_name

        if media in (JSON, CBOR):  # Kubo v0.43.1's answer to the generic formats
            raise GatewayError(400, f'converting a "{codec_name(code)}" block to {media} is not supported: fetch '
                                    "the raw block with ?format=raw, or opt in to this gateway's extension with "
                                    "&autocodec-convert=1", _base_headers(target))
        raise GatewayError(406, f'format "{media}" requested but block has codec "{codec_name(code)}": codec '
                                "conversion is not in the gateway spec; fetch the raw block with ?format=raw, or "
                                "opt in to this gateway's extension with &autocodec-convert=1", _base_headers(target))

    provenance = await _run(request, provenance_headers, runtime, code)
    decoder = provenance.get("X-Autocodec-Module") or f"builtin-{__version__}"
    # the decoder of a codec can change at a set refresh: caches revalidate (cheap: a 304 by ETag)
    headers = {**_base_headers(target), "Etag": converted_etag(target.cid, media, decoder),
               "Cache-Control": CONVERTED_CACHE, **provenance, "X-Content-Type-Options": "nosniff"}
    if provenance["X-Autocodec-Decoder"] != "none" and not_modified(request, headers["Etag"]):
        return web.Response(status=304, headers={k: headers[k] for k in ("Etag", "Cache-Control")})

    def work() -> bytes:
        from .. import builtin

        value = runtime.decode_block(target.cid, target.data, verified=True)
        try:
            return builtin.encode(value, _ENCODE_AS[media])
        except errors.EncodeError as exc:  # links in a value asked for as plain CBOR, which has none (as in Kubo)
            raise GatewayError(406, f"{exc}; ask for ?format=dag-cbor&autocodec-convert=1, which writes links",
                               _base_headers(target)) from None

    body = await _run(request, work)
    return web.Response(body=body, headers=headers, content_type=media)


_DAG_PAGE_CODECS = (0x71, 0x0129)


def _wants_dag_page(request: web.Request, cid: CID) -> bool:
    """Whether a request with no format asked for is answered with the HTML view of a DAG-CBOR
    or DAG-JSON block, as Kubo v0.43.1 decides it: the (first) ``Accept`` header holds
    ``text/html`` anywhere, case and all, and ``download`` is not ``true``."""
    return (cid.codec in _DAG_PAGE_CODECS and "text/html" in request.headers.get("Accept", "")
            and request.query.get("download") != "true")


async def _dag_page_response(request: web.Request, runtime: "Runtime", target: Target,
                             trailing_slash: bool) -> web.Response:
    """A browser's answer for a DAG-CBOR or DAG-JSON block, as Kubo's: the block must decode
    (else a 500); without a trailing slash a 301 to it carrying the block's headers and no body
    (Go writes none once a type is set); else the explorer's page of the block, ``text/html``,
    ETag ``_dag_page_etag``, no Cache-Control or Content-Disposition (Kubo's dag-index-html),
    ``Range`` ignored. A HEAD has the GET's headers (Kubo 0.43.1 answers it 500)."""
    from ._app import _run
    from ._explorer import page

    cid = target.cid
    await _run(request, lambda: runtime.decode_block(cid, target.data, verified=True))
    if not trailing_slash:  # with the block's type set, as Kubo's: Go's redirect writes no body then
        headers = {**_immutable(target, format_etag(cid, None)), "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": _block_disposition(request, cid)}
        return go_redirect(request, _slashed_location(request), 301, headers, _CODEC_TYPES[cid.codec][0])
    explorer = explorer_origin(request)
    status, text = await _run(request, page, runtime, target, explorer)
    headers = {**_base_headers(target), "Etag": _dag_page_etag(cid), **html_page_headers(explorer)}
    return web.Response(status=status, text=text, headers=headers, content_type="text/html")
