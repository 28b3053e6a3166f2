"""The explorer: ``GET /explore/{cid}[/path]``, an HTML page for a block of any codec.

The page shows the path walked (each step a link back), the CID's parts (version, codec,
multihash function and digest), the block's size, its decoded node with every field (links
are anchors: the main one extends the walked path, a second one opens the linked CID alone),
the raw bytes in hex, and the provenance of the decoder (builtin, or the extension module's
name, version, publisher DID and set, run in the wasmtime sandbox). Static CSS/JS are package
data under ``static/`` (no build step), served at ``/explore-static/``. The same page (``page``) is
the gateway's HTML view of a DAG-CBOR or DAG-JSON block asked for by a browser under ``/ipfs/``.

Invariants:
- Blocks are read and resolved exactly as ``/ipfs/`` does (``_gateway_locate.locate``: verified, only
  from configured sources); nothing from the block reaches the page unescaped.
- Every explorer response (pages, index, errors, static files) carries ``nosniff`` and the
  Content-Security-Policy of ``_page_headers``.
- The page is bounded: at most ``MAX_HEX`` bytes shown in hex, ``MAX_ITEMS`` items per map or
  list, ``MAX_DEPTH`` levels of nesting, ``MAX_VALUES`` values in all, ``MAX_STRING``
  characters of any one string or key and ``MAX_TEXT`` characters of strings and keys in all
  (the rest is counted, not shown): a 2 MiB block of nested lists or one long string is a page
  of some hundred KiB, not of tens of MB. Where nesting stops, a link opens the value there on a
  page of its own (while its path is addressable).
- Pages: ``?page=N`` (1 first; the bare URL is page 1) shows items ``(N-1)*MAX_ITEMS`` onward of
  the page's list or map, with previous/next links (plain ``<a href>``: no script needed). A
  page's work is its ``MAX_ITEMS`` items (a map is skipped through, not rendered, up to them);
  a nested list or map cut at ``MAX_ITEMS`` links to the next page of the value's own page (while
  its path is addressable). On a UnixFS directory or HAMT, ``?page=N`` pages its entries
  instead (``_entry_page``: a HAMT's shards are read only up to the page's entries, its total
  said once the walk has counted it; the node is shown on page 1); on any other dag-pb node it
  pages the node's ``Links`` (its fields are no path: a dag-pb path names UnixFS entries). A
  malformed page number, or one past the last page, is a 400.
- Every link's path is the page's path (the in-block remainder included) extended once; the
  page's own downloads answer in full (a CAR of the block alone; DAG-JSON only if it decoded).
- Every page's ``<head>`` is ``_page_head.page_head`` (a viewport, no icon request).
- A link whose field name cannot be a path segment (empty, ``.``, ``..``, holding ``/``) or
  whose path would be over the gateway's segment limit opens by CID: every link leads to the
  block it names.
- A value reads as ``ipfs dag get`` (Kubo 0.43.1) writes it: floats in its shortest form (a
  whole one labelled a float), integers exact, and each control character, bidi control or
  character drawn as nothing (``_visible``) of a string, key, name, the walked path or an
  error's message (a module's may echo the block) as its JSON escape, marked (HTML would drop a
  NUL and fold tab and LF into a space; an override would draw a name's end reversed; ``a``
  and ``a<U+200B>`` would look the same).
- Text from a block or a path is isolated for bidi (``unicode-bidi: isolate`` in the CSS): an
  override (U+202E) inside one name cannot reorder the breadcrumbs or headings around it.
"""

from __future__ import annotations

import html
import http
import itertools
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import errors
from ..cid import CID
from ..dag import parse_path
from ._gateway_locate import MAX_SEGMENTS
from ._paths import content_path, href_path
from ._paths import shown as display_text
from ._page_head import page_head

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Resolution, Runtime
    from ._gateway_locate import Target

STATIC = Path(__file__).with_name("static")
MAX_HEX = 4096
MAX_ITEMS = 500
MAX_DEPTH = 24
MAX_VALUES = 5000
MAX_STRING = 1024
MAX_TEXT = 65536
_NOT_SEGMENTS = ("", ".", "..")


def _e(text: object) -> str:
    return html.escape(display_text(str(text)), quote=True)


# controls, line and paragraph separators, bidi embeddings, overrides, isolates and marks, and the
# characters drawn as nothing (Unicode's Default_Ignorable_Code_Point, DerivedCoreProperties.txt)
# except those that shape text: ZWNJ/ZWJ (U+200C-D), variation selectors, emoji tag characters
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                      "\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0"
                      "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e001f\U000e0080-\U000e00ff"
                      "\U000e01f0-\U000e0fff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL_COST = 8


def _visible(text: str) -> tuple[str, int]:
    """``text`` escaped, each control character (C0, DEL, C1, U+2028, U+2029), bidi embedding,
    override, isolate or mark (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) and each
    character drawn as nothing (zero-width space, word joiner, BOM, soft hyphen, Hangul fillers;
    not ZWNJ/ZWJ or variation selectors, which shape the text around them) as its JSON escape
    (``\\n``, ``\\u0000``, ``\\u202e``, ``\\u200b``) marked ``ctl``, and how many there were.
    As text, HTML drops a NUL, turns CR into LF and the page folds tab and LF into one space, so
    keys ``ab``, ``a<NUL>b``, ``a<TAB>b`` and ``a b`` looked the same (runs of spaces are kept by
    the CSS, ``pre-wrap``), as did ``ab`` and ``a<U+200B>b``; an override drew
    ``invoice<U+202E>fdp.exe`` as ``invoiceexe.pdf`` inside its (isolated) cell."""
    parts, last, count = [], 0, 0
    for found in _CONTROL.finditer(text):
        char = found.group()
        parts.append(_e(text[last:found.start()]))
        parts.append(f'<span class="ctl">{_SHORT.get(char) or _unicode_escape(char)}</span>')
        last, count = found.end(), count + 1
    if not count:
        return _e(text), 0
    parts.append(_e(text[last:]))
    return "".join(parts), count


def _unicode_escape(char: str) -> str:
    """JSON's escape of ``char`` (a surrogate pair past U+FFFF)."""
    code = ord(char)
    if code <= 0xFFFF:
        return "\\u%04x" % code
    code -= 0x10000
    return "\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def _href(segments: list[str], origin: str = "") -> str:
    return f"{origin}/explore/" + href_path(segments)


def _addressable(segments: list[str]) -> bool:
    """Whether ``segments`` survive a trip through a URL path (``parse_path`` cleans and splits)."""
    return len(segments) <= MAX_SEGMENTS and all(s not in _NOT_SEGMENTS and "/" not in s for s in segments)


def _page_href(path: list[str], number: int, origin: str = "") -> str:
    """The explorer URL of page ``number`` of the value at ``path`` (page 1 is the bare path)."""
    return _href(path, origin) + ("" if number == 1 else f"?page={number}")


def _pages(count: int) -> int:
    """How many pages a list or map of ``count`` items fills (an empty one is one page)."""
    return max(1, -(-count // MAX_ITEMS))


def page_number(text: str | None) -> int:
    """The ``page`` query parameter as a page number (None: the first page)."""
    if text is None:
        return 1
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 9) or int(text) < 1:
        raise errors.InvalidInput(f"page {text[:40]!r} is not a page number",
                                  hint="give a whole number from 1 (the first page) up")
    return int(text)


def _why(shown: int) -> str:
    return "" if shown >= MAX_ITEMS else f" (the page shows at most {MAX_VALUES} values)"


class _Render:
    """Renders a data-model value as nested HTML, counting what it leaves out."""

    def __init__(self, base: list[str], by_path: bool = True, origin: str = "", start: int = 0,
                 paged_at: tuple[str, ...] = ()) -> None:
        self.base = base
        self.start = start  # the first item shown of the paged list or map (its page)
        self.paged_at = list(paged_at)  # where that is in the value: the top level, or a dag-pb node's Links
        self.origin = origin  # where the explorer is: "" on its own origin
        self.by_path = by_path  # False for dag-pb: /ipfs/ paths name UnixFS entries, not fields
        self.values_left = MAX_VALUES
        self.text_left = MAX_TEXT

    def text(self, text: str) -> str:
        """``text`` escaped (controls shown: ``_visible``), cut to ``MAX_STRING`` characters and to
        what is left of ``MAX_TEXT`` (a control costs ``_CONTROL_COST`` of it: its markup is longer)."""
        keep = max(0, min(len(text), MAX_STRING, self.text_left))
        shown, controls = _visible(text[:keep])
        self.text_left -= keep + controls * (_CONTROL_COST - 1)
        if keep == len(text):
            return shown
        return f'{shown}<span class="more"> &hellip; ({len(text) - keep} more characters)</span>'

    def _full(self) -> bool:
        return self.values_left <= 0

    def _more(self, left: int, what: str, at: list[str], index: int, shown: int) -> str:
        """Where a list or map stops at item ``index``: how many are left, and a link to the page
        of this value (``at``) holding that item, if a URL can name the value."""
        note = f"{left} more {what}{_why(shown)}"
        path = self.base + at
        paged = at == self.paged_at  # ?page=N of this URL pages it
        if (not paged and not (self.by_path and _addressable(path))) or (paged and index < self.start + MAX_ITEMS):
            return note  # no URL names the value, or the page that has the item is this one
        number = index // MAX_ITEMS + 1
        path = self.base if paged else path
        return (f'{note} <a class="page" href="{_e(_page_href(path, number, self.origin))}">'
                f"page {number} (from item {number * MAX_ITEMS - MAX_ITEMS})</a>")

    def _deeper(self, at: list[str]) -> str:
        """Where the page stops nesting: a link opening the value there on a page of its own
        (its path), unless no URL path can name it."""
        path = self.base + at
        if not (self.by_path and _addressable(path)):
            return '<span class="more">(nested deeper than shown)</span>'
        return (f'<a class="more deeper" href="{_e(_href(path, self.origin))}">(nested deeper than shown: '
                "open this value)</a>")

    def _map(self, value: dict[Any, Any], at: list[str], depth: int) -> str:
        start = self.start if at == self.paged_at else 0
        rows = []
        for i, (key, item) in enumerate(itertools.islice(value.items(), start, None), start):
            if i >= start + MAX_ITEMS or self._full():
                more = self._more(len(value) - i, "fields", at, i, i - start)
                rows.append(f'<tr><td colspan="2" class="more">{more}</td></tr>')
                break
            rows.append(f'<tr><th>{self.text(str(key))}</th>'
                        f'<td>{self.value(item, [*at, str(key)], depth + 1)}</td></tr>')
        return f'<table class="map">{"".join(rows)}</table>' if rows else '<span class="kind">{}</span>'

    def _list(self, value: list[Any], at: list[str], depth: int) -> str:
        start = self.start if at == self.paged_at else 0
        items = []
        for i in range(start, len(value)):
            if i >= start + MAX_ITEMS or self._full():
                items.append(f'<li class="more">{self._more(len(value) - i, "items", at, i, i - start)}</li>')
                break
            items.append(f'<li value="{i}">{self.value(value[i], [*at, str(i)], depth + 1)}</li>')
        return (f'<ol class="list" start="{start}">{"".join(items)}</ol>' if items
                else '<span class="kind">[]</span>')

    def value(self, value: Any, at: list[str], depth: int = 0) -> str:
        self.values_left -= 1
        if depth > MAX_DEPTH:
            return self._deeper(at)
        if isinstance(value, CID):
            path = self.base + at
            alone = f"{self.origin}/explore/{value}"
            here = _href(path, self.origin) if self.by_path and _addressable(path) else alone
            return (f'<a class="link" data-cid="{_e(value)}" href="{_e(here)}">{_e(value)}</a> '
                    f'<a class="bycid" title="open this CID alone" aria-label="open {_e(value)} alone" '
                    f'href="{_e(alone)}">&#8599;</a>')
        if isinstance(value, dict):
            return self._map(value, at, depth)
        if isinstance(value, list):
            return self._list(value, at, depth)
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            shown = data[:64].hex()
            more = f" &hellip; ({len(data)} bytes)" if len(data) > 64 else f" ({len(data)} bytes)"
            return f'<code class="bytes">0x{shown}</code><span class="kind">{more}</span>'
        if isinstance(value, str):
            return f'<span class="string">{self.text(value)}</span>'
        if value is None:
            return '<span class="null">null</span>'
        if isinstance(value, bool):
            return f'<span class="bool">{"true" if value else "false"}</span>'
        if isinstance(value, float):
            return _float(value)
        return f'<span class="number">{_e(value)}</span>'


def _float(value: float) -> str:
    """A float as Kubo's ``dag get`` and the page's own DAG-JSON download write it (Go's
    shortest form: ``10000000000000000``, ``1e+21``, ``1e-7``, ``-0``; Python's ``repr`` said
    ``1e+16``, ``1e-07``, ``-0.0``); one written as a whole number is labelled a float, as DAG-JSON
    cannot tell it from an integer."""
    from ..builtin._jsontext import format_float

    text = format_float(value)
    kind = "" if "." in text or "e" in text else '<span class="kind"> (float)</span>'
    return f'<span class="number float">{_e(text)}</span>{kind}'


def _cid_parts(cid: CID) -> str:
    from ..codes import codec_name, hash_name

    rows = [("version", f"CIDv{cid.version}"), ("codec", _named(codec_name(cid.codec), cid.codec)),
            ("multihash", f"{_named(hash_name(cid.hash_code), cid.hash_code)}, {len(cid.digest)} bytes"),
            ("digest", cid.digest.hex()), ("CIDv1 base32", str(cid.to_v1()))]
    if cid.version == 0:
        rows.append(("CIDv0", str(cid)))
    return "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows)


def _named(name: str, code: int) -> str:
    """``name (0xCODE)``; a code the multicodec table does not name (its name is the hex) says so."""
    code_text = f"0x{code:x}"
    return f"{code_text} (no name in the multicodec table)" if name == code_text else f"{name} ({code_text})"


def _provenance(runtime: "Runtime", cid: CID) -> str:
    res = runtime.resolve("codec", cid.codec)
    if not res.found:
        return f"<p>No trusted decoder for this codec: {_e(res.reason)}</p>{_refused(res)}{_hint(res.hint)}"
    if str(res.source) == "builtin":
        return ('<p class="provenance"><span class="badge">builtin</span> decoded by the built-in codec '
                "(native code in autocodec, not a module).</p>")
    rows = [("module", res.module), ("name", res.name), ("version", res.version), ("publisher", res.publisher),
            ("set", f"{res.set_name} v{res.set_version}" if res.set_name else None), ("set id", res.set_id),
            ("manifest", res.manifest), ("why", res.why)]
    body = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows if v is not None)
    return ('<p class="provenance"><span class="badge sandboxed">sandboxed</span> decoded by a WebAssembly '
            "module run in the wasmtime sandbox (fuel, memory and time limits).</p>"
            f'<table class="parts" id="provenance">{body}</table>')


def _refused(res: "Resolution") -> str:
    """The module a refusal refused (as its pinned set lists it), under a heading saying so."""
    if res.refused is None:
        return ""
    r = res.refused
    rows = [("module", r.module), ("name", r.name), ("version", r.version), ("publisher", r.publisher),
            ("set", f"{r.set_name} v{r.set_version}" if r.set_version is not None else r.set_name),
            ("set id", r.set_id), ("manifest", r.manifest)]
    body = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows)
    return f'<p>Refused (not run):</p><table class="parts refused" id="refused">{body}</table>'


def _hex(data: bytes) -> str:
    lines = []
    for off in range(0, min(len(data), MAX_HEX), 16):
        chunk = data[off:off + 16]
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{off:08x}  {chunk.hex(' '):<47}  {text}")
    more = f"\n&hellip; {len(data) - MAX_HEX} more bytes" if len(data) > MAX_HEX else ""
    return f'<pre class="hex" id="hex">{_e(chr(10).join(lines))}{more}</pre>'


def render(runtime: "Runtime", text: str, number: int = 1) -> tuple[int, str]:
    """The explorer page for the path ``text`` (``CID[/seg...]``): ``(status, html)``; a block
    nothing decodes (501) or whose decoder is not trusted (403, e.g. revoked) is a page that
    still shows its CID, size, bytes and why."""
    from ._gateway_locate import locate

    return page(runtime, locate(runtime, parse_path("/ipfs/" + text)), number=number)


def page(runtime: "Runtime", target: "Target", origin: str = "", number: int = 1) -> tuple[int, str]:
    """The explorer page of ``target`` (a path ``_gateway_locate.locate`` resolved): ``(status, html)``
    as ``render``; every link, the stylesheet, the script and the search form point to the
    explorer at ``origin`` (``""``: this origin; the bare host when the page is answered on a
    content origin, as the gateway's HTML view of a DAG-CBOR or DAG-JSON block may be);
    ``number`` is the page of the value's items shown (``InvalidInput`` past its last page)."""
    path = target.path
    root = [path.root_text]
    crumbs = [f'<a href="{_e(_href(root, origin))}">{_e(path.root_text)}</a>']  # isolated for bidi: explorer.css
    for i, seg in enumerate(path.segments):
        crumbs.append(f'<a href="{_e(_href(root + list(path.segments[: i + 1]), origin))}">{_visible(seg)[0]}</a>')
    walked = list(path.segments)
    # a UnixFS directory's pages are pages of its entries; its node is shown on page 1
    unixfs, paged = _unixfs_note(runtime, target.cid, target.data, root + walked, origin, number)
    node_number = 1 if paged else number
    # a dag-pb node that is no directory: its pages are pages of its Links (its one list)
    links_paged = target.cid.codec == 0x70 and not paged and not target.remainder
    renderer = _Render(root + walked, by_path=target.cid.codec != 0x70, origin=origin,
                       start=(node_number - 1) * MAX_ITEMS, paged_at=("Links",) if links_paged else ())
    pager = ""
    try:
        node = runtime.decode_block(target.cid, target.data, verified=True)
        value = target.value if target.remainder else node
        pager = _pager(value.get("Links", []) if links_paged and isinstance(value, dict) else value, node_number,
                       root + walked, origin)
        shown = renderer.value(value, []) if node_number == number else _node_on_first(root + walked, origin)
        status = 200
    except (errors.UnsupportedFormat, errors.Untrusted, errors.InvalidBlock, errors.SandboxError) as exc:
        from ._app import public_text
        from ._gateway_error import status_for_gateway

        # the bytes are still worth showing: 501 nothing serves the codec, 403 its decoder is not
        # trusted (e.g. revoked), 500 the bytes are not a block of their codec (as /ipfs/ answers)
        shown = (f'<p class="error" id="undecoded" data-error="{_kind(exc)}">Not decoded '
                 f"({_kind(exc)}): {_visible(public_text(exc.told, runtime))[0]}</p>"
                 f"{_hint(public_text(exc.hint, runtime))}")
        status = status_for_gateway(exc)
    inside = f" at <code>{_visible('/'.join(target.remainder))[0]}</code> inside the block" if target.remainder else ""
    page = f"""<!DOCTYPE html>
<html lang="en">{page_head(f"explore {target.cid}", origin)}
<body data-cid="{_e(target.cid)}">
{_header(origin)}
<main>
<nav class="crumbs" id="crumbs">{' / '.join(crumbs)}</nav>
<h1><code id="cid">{_e(target.cid)}</code>{inside}</h1>
{_actions(target.cid, origin, decoded=status == 200)}
<section><h2>CID</h2><table class="parts" id="parts">{_cid_parts(target.cid)}
<tr><th>size</th><td><code id="size">{len(target.data)}</code> bytes</td></tr></table></section>
<section><h2>Decoder</h2>{_provenance(runtime, target.cid)}</section>
{unixfs}
<section><h2>Node</h2>{pager}<div class="node" id="node">{shown}</div>{pager.replace(' id="pages"', '')}</section>
<section><h2>Raw bytes <button type="button" id="toggle-hex" aria-controls="hex" aria-expanded="true">hide</button></h2>{_hex(target.data)}</section>
</main><script src="{origin}/explore-static/explorer.js"></script></body></html>"""
    return status, page


def _pager(value: Any, number: int, path: list[str], origin: str) -> str:
    """Links to the previous and next page of a list or map over ``MAX_ITEMS`` items (empty for
    one page); ``InvalidInput`` for a page past the last."""
    count = len(value) if isinstance(value, (list, dict)) else 0
    last = _pages(count)
    if number > last:
        what = "this list or map" if isinstance(value, (list, dict)) else "a value that is no list or map"
        raise errors.InvalidInput(f"page {number} is past the last page ({last}) of {what}",
                                  hint=f"open a page from 1 to {last}")
    if last == 1:
        return ""
    first = (number - 1) * MAX_ITEMS
    kind = "items" if isinstance(value, list) else "fields"
    links = [f"{kind} {first}&ndash;{min(first + MAX_ITEMS, count) - 1} of {count} (page {number} of {last})"]
    if number > 1:
        links.append(f'<a class="page" rel="prev" href="{_e(_page_href(path, number - 1, origin))}">'
                     f"previous {MAX_ITEMS}</a>")
    if number < last:
        links.append(f'<a class="page" rel="next" href="{_e(_page_href(path, number + 1, origin))}">'
                     f"next {MAX_ITEMS}</a>")
    return f'<nav class="pages" id="pages" aria-label="pages">{" &middot; ".join(links)}</nav>'


def _node_on_first(path: list[str], origin: str) -> str:
    """What the Node section says on page 2 onward of a directory's entries (the block's node,
    the same on every page, is shown once)."""
    return (f'<p class="more" id="node-on-first">The block\'s node is shown on '
            f'<a href="{_e(_page_href(path, 1, origin))}">page 1</a>.</p>')


def _actions(cid: CID, origin: str, decoded: bool) -> str:
    """The block's downloads: raw, a CAR of this block alone (``dag-scope=block``: a whole-DAG
    CAR is cut off mid-stream at the first child not held) and, when it decoded, DAG-JSON."""
    at = f"{origin}/ipfs/{_e(cid)}"
    links = [f'<a href="{at}?format=raw">raw block</a>', f'<a href="{at}?format=car&amp;dag-scope=block">CAR</a>']
    if decoded:
        links.append(f'<a href="{origin}/decode/{_e(cid)}">DAG-JSON</a>')
    return f'<p class="actions">{" &middot; ".join(links)}</p>'


@dataclass(frozen=True)
class _EntryPage:
    """One page of a UnixFS directory's entries: ``rows`` are entries ``first`` onward (at most
    ``MAX_ITEMS``), ``more`` whether any follow; ``total`` is the count of all entries when the
    walk saw them all (always for a plain directory; for a HAMT only on its last page)."""

    rows: list[tuple[str, CID, int | None]]
    first: int
    more: bool
    total: int | None


def _entry_page(runtime: "Runtime", cid: CID, data: bytes, number: int, count: int | None) -> _EntryPage:
    """Page ``number`` of the entries of the directory or HAMT ``cid``, in the order the path
    gateway lists them (``_unixfs.iter_entries``: Kubo's); ``count`` is a plain directory's
    (its links), None for a HAMT's (unknown until read). Past the last page: no rows, and the
    total. Work: a plain directory's links are all in its block; a HAMT's shards are read in
    order only until the entry after the page (to know whether a next page exists), so page N
    reads the shards holding its first ``N * MAX_ITEMS + 1`` entries and holds one page in
    memory. That walk is bounded by the runtime's limits as every HAMT walk is
    (``limits.unixfs.max_dag_depth``; at most about two shards per entry, ``_check_shards``)
    and by the page number's nine digits; it never reads past the HAMT's last shard."""
    from . import _unixfs

    first = (number - 1) * MAX_ITEMS
    rows: list[tuple[str, CID, int | None]] = []
    seen = 0
    for entry in _unixfs.iter_entries(runtime, cid, data, runtime.limits):
        if seen >= first:
            rows.append(entry)
        seen += 1
        if len(rows) > MAX_ITEMS:
            return _EntryPage(rows[:MAX_ITEMS], first, True, count)
    return _EntryPage(rows, first, False, seen)


def _check_entry_page(listed: _EntryPage, number: int) -> None:
    """``InvalidInput`` for a page past the last (no entries on it; page 1 of an empty
    directory is a page), as the value pager answers past a list's last page."""
    if number > 1 and not listed.rows and listed.total is not None:
        last = _pages(listed.total)
        raise errors.InvalidInput(f"page {number} is past the last page ({last}) of this directory",
                                  hint=f"open a page from 1 to {last}")


def _entry_pager(listed: _EntryPage, number: int, path: list[str], origin: str) -> str:
    """Previous/next links around a page of entries (empty when one page holds them all); a
    HAMT's total is said only once the walk has counted it (on its last page)."""
    if number == 1 and not listed.more:
        return ""
    span = f"entries {listed.first}&ndash;{listed.first + len(listed.rows) - 1}"
    if listed.total is not None:
        span += f" of {listed.total} (page {number} of {_pages(listed.total)})"
    else:
        span += f" (page {number}; more follow)"
    links = [span]
    if number > 1:
        links.append(f'<a class="page" rel="prev" href="{_e(_page_href(path, number - 1, origin))}">'
                     f"previous {MAX_ITEMS}</a>")
    if listed.more:
        links.append(f'<a class="page" rel="next" href="{_e(_page_href(path, number + 1, origin))}">'
                     f"next {MAX_ITEMS}</a>")
    return f'<nav class="pages" id="pages" aria-label="pages of entries">{" &middot; ".join(links)}</nav>'


def _entry_rows(listed: _EntryPage, at: list[str], origin: str) -> str:
    """The table rows of a page of entries: each name links to its path, or to its CID when the
    name cannot be a path segment (as links in a node do)."""
    clip = _Render(at, origin=origin)
    rows = []
    for name, link, size in listed.rows:
        href = _href(at + [name], origin) if _addressable(at + [name]) else f"{origin}/explore/{link}"
        rows.append(f'<tr><td><a class="entry" href="{_e(href)}">{clip.text(name)}</a></td>'
                    f'<td><code>{_e(link)}</code></td><td>{_e("" if size is None else size)}</td></tr>')
    return "".join(rows)


def _unixfs_note(runtime: "Runtime", cid: CID, data: bytes, at: list[str], origin: str = "",
                 number: int = 1) -> tuple[str, bool]:
    """The UnixFS section of a dag-pb block's page and whether ``number`` paged its entries (a
    directory or HAMT: ``?page=N`` is then a page of entries, not of the node, even where the
    walk fails on the way, e.g. at a shard not held: the section says why); ``InvalidInput``
    for a page past the last."""
    from . import _unixfs

    if cid.codec != _unixfs.DAG_PB:
        return "", False
    kind = "other"
    try:
        node = _unixfs.classify(cid, data)
        kind = node.kind
        if node.kind == "file":
            return (f"<section><h2>UnixFS file</h2><p>{node.size} bytes &middot; "
                    f'<a href="{origin}/ipfs/{_e(cid)}">open the file</a></p></section>'), False
        if node.kind not in ("directory", "hamt"):
            return "", False
        listed = _entry_page(runtime, cid, data, number, len(node.links) if node.kind == "directory" else None)
    except errors.AutocodecError as exc:
        from ._app import public_text

        return (f"<section><h2>UnixFS</h2><p>not readable as UnixFS: {_visible(public_text(exc.told, runtime))[0]}</p>"
                "</section>"), kind in ("directory", "hamt")
    _check_entry_page(listed, number)
    pager = _entry_pager(listed, number, at, origin)
    below = pager.replace(' id="pages"', "")
    return (f'<section><h2>UnixFS {node.kind}</h2>{pager}<table class="entries" id="entries">'
            f"{_entry_rows(listed, at, origin)}</table>{below}"
            f'<p><a href="{origin}/ipfs/{_e(cid)}/">open in the path gateway</a></p></section>'), True


def _header(origin: str = "") -> str:
    """The header of every page: the search form works without the script (``GET /explore/?cid=``
    is redirected to the page; the script only spares the round trip, going where the form goes)."""
    return (f'<header><a class="home" href="{origin}/explore/">autocodec explorer</a>'
            f'<form id="go" action="{origin}/explore/" method="get" role="search"><input name="cid" '
            'placeholder="CID or CID/path" aria-label="CID or path"><button>explore</button></form></header>')


_HEADER = _header()


def _typed_path(text: str) -> str:
    """What a user typed into the form (``CID[/path]``, ``/ipfs/CID``, ``ipfs://CID``) as the
    explorer's URL path, each segment percent-encoded (as the script does)."""
    text = text.strip()
    for prefix in ("ipfs://", "/ipfs/", "ipfs/", "/ipld/", "ipld/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return "/explore/" + "/".join(urllib.parse.quote(seg, safe="") for seg in text.split("/"))


async def explore(request: web.Request) -> web.Response:
    from ._app import RUNTIME, _run
    from ._gateway_error import status_for_gateway

    runtime = request.app[RUNTIME]
    text = content_path(request, "/explore/")
    if not text:
        typed = request.query.get("cid", "").strip()
        if typed:  # the search form, sent without the script
            raise web.HTTPSeeOther(_typed_path(typed))
        return web.Response(text=_index_page(), content_type="text/html")
    try:
        status, page = await _run(request, render, runtime, text, page_number(request.query.get("page")))
    except Exception as exc:  # noqa: BLE001 - shown as a page with a status, never a traceback
        status = status_for_gateway(exc)
        page = _error_page(status, exc, runtime)
        runtime.metrics.inc("errors_total", route="explore", error=type(exc).__name__)
    runtime.metrics.inc("explore_total")
    return web.Response(text=page, status=status, content_type="text/html")  # headers: _page_headers


def _error_page(status: int, exc: BaseException, runtime: "Runtime") -> str:
    """An error as a page: its status and reason, its type (``BlockNotFound``...), what went
    wrong and what to do next, and the search form to go on."""
    from ._app import public_text

    if isinstance(exc, errors.AutocodecError):
        kind, message, hint = _kind(exc), public_text(exc.told, runtime), public_text(exc.hint, runtime)
    else:  # an aiohttp HTTPException carries its text; anything else is not shown
        kind, message, hint = "InternalError", getattr(exc, "text", "unexpected error"), "see the server log"
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return (f'<!DOCTYPE html><html lang="en">{page_head(f"explore: {status} {reason}")}<body>{_HEADER}<main>'
            f'<h1>{status} {_e(reason)}</h1><p class="error" id="error" data-error="{_e(kind)}">'
            f'<code>{_e(kind)}</code>: {_visible(message)[0]}</p>{_hint(hint)}'
            '<p><a href="/explore/">explorer</a></p></main>'
            '<script src="/explore-static/explorer.js"></script></body></html>')


def _hint(hint: str) -> str:
    return f'<p class="hint">{_e(hint)}</p>' if hint else ""


def _kind(exc: errors.AutocodecError) -> str:
    """The error's public type: its nearest class in ``autocodec.errors`` (a wing's own
    subclass, e.g. the gateway's ``MissingPath``, is shown as the ``PathNotFound`` it is)."""
    return next(c.__name__ for c in type(exc).__mro__ if c.__module__ == errors.__name__)


def _index_page() -> str:
    return (f'<!DOCTYPE html><html lang="en">{page_head("autocodec explorer")}<body>{_HEADER}'
            "<main><h1>autocodec explorer</h1><p>Give a CID of any codec the server's pinned sets decode, "
            "with a path if you like (<code>CID/field/0</code>).</p></main>"
            '<script src="/explore-static/explorer.js"></script></body></html>')


async def _to_index(request: web.Request) -> web.Response:
    """``/explore`` to ``/explore/``, its query kept (``?cid=X``, the search form's)."""
    query = request.rel_url.raw_query_string
    raise web.HTTPFound(f"/explore/?{query}" if query else "/explore/")


def setup_explorer(app: web.Application) -> None:
    """Register ``GET /explore/{path}`` and the static files under ``/explore-static/``."""
    from ._page_headers import add_page_headers

    app.on_response_prepare.append(add_page_headers)
    app.router.add_get(r"/explore/{path:[\s\S]*}", explore)  # "." would stop at a LF (a key's %0A)
    app.router.add_get("/explore", _to_index)
    app.router.add_static("/explore-static/", STATIC, follow_symlinks=False)
