"""The explorer: ``GET /explore/{cid}[/path]``, an HTML page for a block of any codec.

The page shows the path walked (each step a link back), the CID's parts (version, codec,
multihash function and digest), the block's size, its decoded node with every field (links
are anchors: the main one extends the walked path, a second one opens the linked CID alone),
the raw bytes in hex, and the provenance of the decoder (builtin, or the extension module's
name, version, publisher DID and set, run in the wasmtime sandbox). Static CSS/JS are package
data under ``static/`` (no build step), served at ``/explore-static/``.

Invariants:
- Blocks are read and resolved exactly as ``/ipfs/`` does (``_gateway.locate``: verified, only
  from configured sources); nothing from the block reaches the page unescaped.
- Every explorer response (pages, index, errors, static files) carries ``nosniff`` and the
  Content-Security-Policy of ``_page_headers``.
- The page is bounded: at most ``MAX_HEX`` bytes shown in hex, ``MAX_ITEMS`` items per map or
  list and ``MAX_DEPTH`` levels of nesting (the rest is counted, not shown).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import errors
from ..cid import CID
from ..dag import parse_path
from ._gateway import content_path, href_path
from ._gateway import shown as display_text

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

STATIC = Path(__file__).with_name("static")
MAX_HEX = 4096
MAX_ITEMS = 500
MAX_DEPTH = 24


def _e(text: object) -> str:
    return html.escape(display_text(str(text)), quote=True)


def _href(segments: list[str]) -> str:
    return "/explore/" + href_path(segments)


class _Render:
    """Renders a data-model value as nested HTML, counting what it leaves out."""

    def __init__(self, base: list[str], by_path: bool = True) -> None:
        self.base = base
        self.by_path = by_path  # False for dag-pb: /ipfs/ paths name UnixFS entries, not fields

    def value(self, value: Any, at: list[str], depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            return '<span class="more">(nested deeper than shown)</span>'
        if isinstance(value, CID):
            here = _href(self.base + at) if self.by_path else f"/explore/{value}"
            return (f'<a class="link" data-cid="{_e(value)}" href="{_e(here)}">{_e(value)}</a> '
                    f'<a class="bycid" title="open this CID alone" href="/explore/{_e(value)}">&#8599;</a>')
        if isinstance(value, dict):
            rows = []
            for i, (key, item) in enumerate(value.items()):
                if i >= MAX_ITEMS:
                    rows.append(f'<tr><td colspan="2" class="more">{len(value) - MAX_ITEMS} more fields</td></tr>')
                    break
                rows.append(f'<tr><th>{_e(key)}</th><td>{self.value(item, [*at, str(key)], depth + 1)}</td></tr>')
            return f'<table class="map">{"".join(rows)}</table>' if rows else '<span class="kind">{}</span>'
        if isinstance(value, list):
            items = []
            for i, item in enumerate(value):
                if i >= MAX_ITEMS:
                    items.append(f'<li class="more">{len(value) - MAX_ITEMS} more items</li>')
                    break
                items.append(f'<li value="{i}">{self.value(item, [*at, str(i)], depth + 1)}</li>')
            return f'<ol class="list" start="0">{"".join(items)}</ol>' if items else '<span class="kind">[]</span>'
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            shown = data[:64].hex()
            more = f" &hellip; ({len(data)} bytes)" if len(data) > 64 else f" ({len(data)} bytes)"
            return f'<code class="bytes">0x{shown}</code><span class="kind">{more}</span>'
        if isinstance(value, str):
            return f'<span class="string">{_e(value)}</span>'
        if value is None:
            return '<span class="null">null</span>'
        if isinstance(value, bool):
            return f'<span class="bool">{"true" if value else "false"}</span>'
        return f'<span class="number">{_e(value)}</span>'


def _cid_parts(cid: CID) -> str:
    from ..codes import codec_name, hash_name

    rows = [("version", f"CIDv{cid.version}"), ("codec", f"{codec_name(cid.codec)} (0x{cid.codec:x})"),
            ("multihash", f"{hash_name(cid.hash_code)} (0x{cid.hash_code:x}), {len(cid.digest)} bytes"),
            ("digest", cid.digest.hex()), ("CIDv1 base32", str(cid.to_v1()))]
    if cid.version == 0:
        rows.append(("CIDv0", str(cid)))
    return "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows)


def _provenance(runtime: "Runtime", cid: CID) -> str:
    res = runtime.resolve("codec", cid.codec)
    if not res.found:
        return f"<p>No trusted decoder for this codec: {_e(res.reason)}</p>"
    if str(res.source) == "builtin":
        return ('<p class="provenance"><span class="badge">builtin</span> decoded by the built-in codec '
                "(native code in autocodec, not a module).</p>")
    rows = [("module", res.module), ("name", res.name), ("version", res.version), ("publisher", res.publisher),
            ("set", f"{res.set_name} v{res.set_version}" if res.set_name else None), ("set id", res.set_id),
            ("manifest", res.manifest), ("why", res.reason)]
    body = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows if v is not None)
    return ('<p class="provenance"><span class="badge sandboxed">sandboxed</span> decoded by a WebAssembly '
            "module run in the wasmtime sandbox (fuel, memory and time limits).</p>"
            f'<table class="parts" id="provenance">{body}</table>')


def _hex(data: bytes) -> str:
    lines = []
    for off in range(0, min(len(data), MAX_HEX), 16):
        chunk = data[off:off + 16]
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{off:08x}  {chunk.hex(' '):<47}  {text}")
    more = f"\n&hellip; {len(data) - MAX_HEX} more bytes" if len(data) > MAX_HEX else ""
    return f'<pre class="hex" id="hex">{_e(chr(10).join(lines))}{more}</pre>'


def render(runtime: "Runtime", text: str) -> tuple[int, str]:
    """The explorer page for the path ``text`` (``CID[/seg...]``): ``(status, html)``; a block
    nothing decodes (501) or whose decoder is not trusted (403, e.g. revoked) is a page that
    still shows its CID, size, bytes and why."""
    from ._gateway import locate

    path = parse_path("/ipfs/" + text)
    target = locate(runtime, path)
    root = [path.root_text]
    crumbs = [f'<a href="{_e(_href(root))}">{_e(path.root_text)}</a>']
    for i, seg in enumerate(path.segments):
        crumbs.append(f'<a href="{_e(_href(root + list(path.segments[: i + 1])))}">{_e(seg)}</a>')
    walked = list(path.segments)
    renderer = _Render(root + walked, by_path=target.cid.codec != 0x70)
    try:
        node = runtime.decode_block(target.cid, target.data, verified=True)
        shown = renderer.value(target.value if target.remainder else node, list(target.remainder))
        status = 200
    except (errors.UnsupportedFormat, errors.Untrusted) as exc:  # the bytes are still worth showing
        from ._gateway import status_for_gateway

        shown = f'<p class="error" id="undecoded">Not decoded: {_e(exc.message)}</p>'
        status = status_for_gateway(exc)  # 501 nothing serves the codec, 403 its decoder is not trusted
    unixfs = _unixfs_note(runtime, target.cid, target.data, root + walked)
    inside = f" at <code>{_e('/'.join(target.remainder))}</code> inside the block" if target.remainder else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>explore {_e(target.cid)}</title><link rel="stylesheet" href="/explore-static/explorer.css"></head>
<body data-cid="{_e(target.cid)}">
<header><a class="home" href="/explore/{_e(target.cid)}">autocodec explorer</a>
<form id="go"><input name="cid" placeholder="CID or CID/path" aria-label="CID or path"><button>explore</button></form>
</header>
<main>
<nav class="crumbs" id="crumbs">{' / '.join(crumbs)}</nav>
<h1><code id="cid">{_e(target.cid)}</code>{inside}</h1>
<p class="actions"><a href="/ipfs/{_e(target.cid)}?format=raw">raw block</a> &middot;
<a href="/ipfs/{_e(target.cid)}?format=car">CAR</a> &middot;
<a href="/decode/{_e(target.cid)}">DAG-JSON</a></p>
<section><h2>CID</h2><table class="parts" id="parts">{_cid_parts(target.cid)}
<tr><th>size</th><td><code id="size">{len(target.data)}</code> bytes</td></tr></table></section>
<section><h2>Decoder</h2>{_provenance(runtime, target.cid)}</section>
{unixfs}
<section><h2>Node</h2><div class="node" id="node">{shown}</div></section>
<section><h2>Raw bytes <button type="button" id="toggle-hex">hide</button></h2>{_hex(target.data)}</section>
</main><script src="/explore-static/explorer.js"></script></body></html>"""
    return status, page


def _unixfs_note(runtime: "Runtime", cid: CID, data: bytes, at: list[str]) -> str:
    from . import _unixfs

    if cid.codec != _unixfs.DAG_PB:
        return ""
    try:
        node = _unixfs.classify(cid, data)
        if node.kind in ("directory", "hamt"):
            listing = _unixfs.entries(runtime, cid, data, runtime.limits, MAX_ITEMS)
            rows = "".join(f'<tr><td><a class="entry" href="{_e(_href(at + [name]))}">{_e(name)}</a></td>'
                           f'<td><code>{_e(link)}</code></td><td>{_e("" if size is None else size)}</td></tr>'
                           for name, link, size in listing)
            return (f'<section><h2>UnixFS {node.kind}</h2><table class="entries" id="entries">{rows}</table>'
                    f'<p><a href="/ipfs/{_e(cid)}/">open in the path gateway</a></p></section>')
        if node.kind == "file":
            return (f"<section><h2>UnixFS file</h2><p>{node.size} bytes &middot; "
                    f'<a href="/ipfs/{_e(cid)}">open the file</a></p></section>')
    except errors.AutocodecError as exc:
        return f"<section><h2>UnixFS</h2><p>not readable as UnixFS: {_e(exc.message)}</p></section>"
    return ""


async def explore(request: web.Request) -> web.Response:
    from ._app import RUNTIME, _run, public_text
    from ._gateway import status_for_gateway

    runtime = request.app[RUNTIME]
    text = content_path(request, "/explore/")
    if not text:
        return web.Response(text=_index_page(), content_type="text/html")
    try:
        status, page = await _run(request, render, runtime, text)
    except Exception as exc:  # noqa: BLE001 - shown as a page with a status, never a traceback
        status = status_for_gateway(exc)
        message = public_text(exc.message, runtime) if isinstance(exc, errors.AutocodecError) else \
            getattr(exc, "text", "unexpected error (see the server log)")
        hint = public_text(exc.hint, runtime) if isinstance(exc, errors.AutocodecError) else ""
        page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>explore: error</title>'
                f'<link rel="stylesheet" href="/explore-static/explorer.css"></head><body><main>'
                f'<h1>{status}</h1><p class="error" id="error">{_e(message)}</p><p>{_e(hint)}</p>'
                f'<p><a href="/explore/">explorer</a></p></main></body></html>')
        runtime.metrics.inc("errors_total", route="explore", error=type(exc).__name__)
    runtime.metrics.inc("explore_total")
    return web.Response(text=page, status=status, content_type="text/html")  # headers: _page_headers


def _index_page() -> str:
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>autocodec explorer</title>'
            '<link rel="stylesheet" href="/explore-static/explorer.css"></head><body><header>'
            '<a class="home" href="/explore/">autocodec explorer</a><form id="go"><input name="cid" '
            'placeholder="CID or CID/path" aria-label="CID or path"><button>explore</button></form></header>'
            "<main><p>Give a CID of any codec the server's pinned sets decode.</p></main>"
            '<script src="/explore-static/explorer.js"></script></body></html>')


async def _to_index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/explore/")


def setup_explorer(app: web.Application) -> None:
    """Register ``GET /explore/{path}`` and the static files under ``/explore-static/``."""
    from ._page_headers import add_page_headers

    app.on_response_prepare.append(add_page_headers)
    app.router.add_get("/explore/{path:.*}", explore)
    app.router.add_get("/explore", _to_index)
    app.router.add_static("/explore-static/", STATIC, follow_symlinks=False)
