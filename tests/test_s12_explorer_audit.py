"""Audit of the explorer as a hostile publisher and as a user (s12): what the page shows of a
block is what Kubo 0.43.1's ``ipfs dag get`` says of it, value for value.

The fast rows read the pages in process (aiohttp test client); the slow ones put the same
block into Kubo and read both (``tests/_kubo.py``).
"""

from __future__ import annotations

import html
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.registry import Runtime
from tests._explorer_pages import explorer_get
from tests._kubo import KuboRepo, require_kubo
from tests._serve_proc import ServeProcess
from tests.test_explorer_chromium import Browser, _require_chromium, chromedriver

# floats as Kubo 0.43.1 `ipfs dag get` writes them (measured: dag put --input-codec dag-cbor)
KUBO_FLOATS = {"negz": (-0.0, "-0"), "one": (1.0, "1"), "tiny": (5e-324, "5e-324"), "x": (0.1, "0.1"),
               "e15": (1e15, "1000000000000000"), "e16": (1e16, "10000000000000000"),
               "e20": (1e20, "100000000000000000000"), "e21": (1e21, "1e+21"), "s": (1e-7, "1e-7"),
               "s6": (1e-6, "0.000001"), "h": (123456.789, "123456.789"),
               "f53": (2.0 ** 53 + 2, "9007199254740994"), "big": (1e300, "1e+300")}


@pytest.fixture
def runtime(tmp_path: Path) -> Any:
    with Runtime(tmp_path / "home", default_set=False) as rt:
        yield rt


def _numbers(page: str) -> dict[str, str]:
    """Each top-level field of the node whose value is a number: its text on the page."""
    node = page.split('id="node">', 1)[1].split("</div>", 1)[0]
    rows = re.findall(r'<tr><th>([^<]*)</th><td><span class="number[^"]*">([^<]*)</span>', node)
    return {html.unescape(k): html.unescape(v) for k, v in rows}


def test_floats_and_big_ints_read_as_kubos_dag_get_writes_them(runtime: Runtime) -> None:
    """Floats are written as ``ipfs dag get`` and the page's own DAG-JSON download write them
    (before: Python's repr, ``1e+16``, ``1e-07``, ``-0.0``, ``1.0``: the same block read three
    ways on one page); a float written as a whole number says it is one; integers up to
    2^64-1 and down to -2^64 are exact (no JS Number rounding: the page is written server side)."""
    value = {k: f for k, (f, _) in KUBO_FLOATS.items()} | {"u64": 2 ** 64 - 1, "n64": -(2 ** 64), "i53": 2 ** 53 + 1}
    cid = runtime.put(builtin.encode(value, "dag-cbor"), "dag-cbor")
    [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}")
    assert status == 200
    shown = _numbers(page)
    assert shown == {k: text for k, (_, text) in KUBO_FLOATS.items()} | {
        "u64": "18446744073709551615", "n64": "-18446744073709551616", "i53": "9007199254740993"}
    dag_json = builtin.encode(value, "dag-json").decode()
    assert all(f'"{k}":{text}' in dag_json for k, (_, text) in KUBO_FLOATS.items())  # the download says the same
    node = page.split('id="node">', 1)[1]
    assert '<span class="number float">1</span><span class="kind"> (float)</span>' in node
    assert '<span class="number float">0.1</span><' in node and '<span class="number">9007199254740993</span><' in node
    [(_, _, alone)] = explorer_get(runtime, f"/explore/{cid}/e16")  # the page of the value alone
    assert '<span class="number float">10000000000000000</span>' in alone


# keys a hostile publisher makes look alike: HTML drops a NUL, turns CR into LF, and the page
# folded tab, LF and runs of spaces into one space (measured in Chromium: all read "a b" or "ab")
# and characters drawn as nothing: a zero-width space, a soft hyphen, a word joiner, a BOM, a
# Hangul filler, a left-to-right mark, a tag character (U+E0001, past U+FFFF)
LOOKALIKE_KEYS = ["ab", "a\x00b", "a b", "a  b", " ab", "a\tb", "a\nb", "a\rb", "a\x85b", "a\u2028b", "a\x7fb",
                  "a\u200bb", "a\u00adb", "a\u2060b", "a\ufeffb", "a\u3164b", "a\u200eb", "a\U000e0001b"]

# Unicode 15's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), less what shapes the text
# around it (ZWNJ, ZWJ, variation selectors, the emoji tag characters U+E0020-U+E007F)
_IGNORABLE = [(0xAD, 0xAD), (0x34F, 0x34F), (0x61C, 0x61C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
              (0x200B, 0x200B), (0x200E, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
              (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE001F),
              (0xE0080, 0xE00FF), (0xE01F0, 0xE0FFF)]


def _json_escape(c: str) -> str:
    if ord(c) <= 0xFFFF:
        return f"\\u{ord(c):04x}"
    return "".join(f"\\u{unit:04x}" for unit in struct.unpack(">2H", c.encode("utf-16-be")))


def _escaped(text: str) -> str:
    """``text`` as the page shows it: each control character, bidi control and character drawn
    as nothing as its JSON escape."""
    short = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(short.get(c) or (_json_escape(c) if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F
                                    or c in "\u2028\u2029" or any(a <= ord(c) <= b for a, b in _IGNORABLE)
                                    else c) for c in text)


def _lookalike_block() -> bytes:
    return builtin.encode({**{k: i for i, k in enumerate(LOOKALIKE_KEYS)}, "s": "x\x00\x01y\r\n"}, "dag-cbor")


def test_control_characters_and_spaces_are_shown_not_dropped(runtime: Runtime) -> None:
    """Each control character of a key, string or UnixFS name is shown as its JSON escape,
    marked (before: a NUL was written raw, which HTML drops, so ``a<NUL>b`` read ``ab``; tab and
    LF were folded into a space); the escapes count toward the page's text bound."""
    cid = runtime.put(_lookalike_block(), "dag-cbor")
    [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}")
    assert status == 200
    node = page.split('id="node">', 1)[1].split("</div>", 1)[0]
    keys = re.findall(r"<tr><th>(.*?)</th>", node)
    assert "a<span class=\"ctl\">\\u0000</span>b" in keys and "a<span class=\"ctl\">\\t</span>b" in keys
    assert '<span class="string">x<span class="ctl">\\u0000</span><span class="ctl">\\u0001</span>y' in node
    assert "\x00" not in page and "\r" not in node
    shown = [html.unescape(re.sub(r"<[^>]+>", "", k)) for k in keys]
    assert sorted(shown) == sorted(_escaped(k) for k in [*LOOKALIKE_KEYS, "s"]) and len(set(shown)) == len(shown)
    bomb = runtime.put(builtin.encode(["a\x00" * 40000], "dag-cbor"), "dag-cbor")  # markup is bounded too
    [(status, _, page)] = explorer_get(runtime, f"/explore/{bomb}")
    assert status == 200 and len(page) < 512 * 1024 and "more characters" in page


def test_characters_that_shape_text_are_left_as_they_are(runtime: Runtime) -> None:
    """ZWJ in an emoji sequence and in Devanagari, ZWNJ in Persian, a variation selector and an
    emoji flag's tag characters draw something (or change what is drawn): not escaped, while a
    zero-width space beside them is."""
    shaped = ["\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u0915\u094d\u200d\u0937", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
              "\u2764\ufe0f", "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"]
    cid = runtime.put(builtin.encode({k: 1 for k in [*shaped, "\u2764\ufe0f\u200b"]}, "dag-cbor"), "dag-cbor")
    [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}")
    keys = re.findall(r"<tr><th>(.*?)</th>", page.split('id="node">', 1)[1])
    assert status == 200 and sorted(keys) == sorted([*shaped, '\u2764\ufe0f<span class="ctl">\\u200b</span>'])


def _kubo_dag_get(tmp: Path, block: bytes, cid: str) -> Any:
    """``ipfs dag get`` of ``block`` put into a fresh Kubo repo, numbers kept as Kubo's text."""
    require_kubo()
    repo = KuboRepo.create(tmp / "kubo")
    put = repo.ipfs("dag", "put", "--input-codec", "dag-cbor", "--store-codec", "dag-cbor", input=block)
    assert put.stdout.decode().strip() == cid
    text = repo.ipfs("dag", "get", cid).stdout.decode()
    return json.loads(text, parse_float=str, parse_int=str)


@pytest.mark.slow
@pytest.mark.ipfs
def test_chromium_shows_what_kubo_dag_get_reads(tmp_path: Path) -> None:
    """The same DAG-CBOR block in Kubo 0.43.1 (``dag get``) and on the explorer in headless
    Chromium: every key and string the browser draws (``innerText``) is Kubo's, with control
    characters as their escapes, all distinct; every number is Kubo's text. Before, Chromium drew
    ``ab``, ``a<NUL>b`` as ``ab`` and ``a b``, ``a  b``, ``a<TAB>b``, ``a<LF>b``, ``a<CR>b`` as
    ``a b``, and ``1e+16`` where Kubo says ``10000000000000000``."""
    browser_bin, driver_bin = _require_chromium()
    floats = {k: f for k, (f, _) in KUBO_FLOATS.items()}
    value = {**{k: i for i, k in enumerate(LOOKALIKE_KEYS)}, "str": "x\x00\x01y\r\n \u202e<script>`'\"",
             **floats, "i63": 2 ** 63 - 1, "n63": -(2 ** 63), "i53": 2 ** 53 + 1}
    assert len(value) == len(LOOKALIKE_KEYS) + 1 + len(floats) + 3  # no key overwrites another (one did)
    block = builtin.encode(value, "dag-cbor")
    with Runtime(tmp_path / "home", default_set=False) as rt:
        cid = str(rt.put(block, "dag-cbor"))
    kubo = _kubo_dag_get(tmp_path, block, cid)
    with chromedriver(driver_bin) as driver_url, ServeProcess(tmp_path / "home", tmp_path) as server:
        browser = Browser(driver_url, browser_bin, tmp_path / "profile")
        try:
            browser.open(f"{server.url}/explore/{cid}")
            rows = browser.script("return Array.from(document.querySelectorAll('#node > table > tbody > tr'))"
                                  ".map(r => [r.cells[0].innerText, r.cells[1].innerText,"
                                  " r.cells[0].textContent + r.cells[1].textContent])")
            browser.screenshot(tmp_path / "lookalikes.png")
        finally:
            browser.close()
    drawn = {key: text for key, text, _ in rows}
    # what is drawn is the text itself: no character Chromium leaves out of innerText (an override)
    assert [key + text for key, text, _ in rows] == [content for _, _, content in rows]
    assert len(drawn) == len(rows) == len(kubo)  # no two keys drawn alike
    expected = {_escaped(k): (_escaped(v) if k == "str" else v) for k, v in kubo.items()}
    assert {k: v.removesuffix(" (float)") for k, v in drawn.items()} == expected
    assert drawn["one"] == "1 (float)" and drawn["negz"] == "-0 (float)" and drawn["i63"] == "9223372036854775807"


def test_the_walked_path_shows_control_characters_too(runtime: Runtime) -> None:
    """The crumbs and the heading of a value inside a block show a control character of the
    path as the node does (before: ``a<TAB>b`` and ``a<NUL>b`` were written raw there, drawn as
    ``a b`` and ``ab``, like the keys beside them)."""
    cid = runtime.put(_lookalike_block(), "dag-cbor")
    for key, escape in (("a\tb", "\\t"), ("a\x00b", "\\u0000")):
        [(status, _, page)] = explorer_get(runtime, f"/explore/{cid}/a%{ord(key[1]):02X}b")
        assert status == 200, page[-400:]
        crumbs = page.split('id="crumbs">', 1)[1].split("</nav>", 1)[0]
        assert crumbs.endswith(f'">a<span class="ctl">{escape}</span>b</a>'), crumbs
        assert f'at <code>a<span class="ctl">{escape}</span>b</code> inside the block' in page
        assert key not in page


def test_a_bidi_override_in_a_name_is_shown_not_obeyed(runtime: Runtime, tmp_path: Path) -> None:
    """A UnixFS file named ``invoice<U+202E>fdp.exe`` (drawn ``invoiceexe.pdf`` where the
    override is obeyed, as it was inside its isolated cell) and a key with U+2066 are shown
    with the override as its escape, in the entries, the node and the crumbs."""
    from autocodec.unixfs import add_path

    folder = tmp_path / "spoof"
    folder.mkdir()
    (folder / "invoice\u202efdp.exe").write_text("x")
    root = add_path(runtime.store, folder, recursive=True)[-1].cid
    cid = runtime.put(builtin.encode({"a\u2066b": {"c\u202ed": 1}}, "dag-cbor"), "dag-cbor")
    [(status, _, page), (status2, _, inner)] = explorer_get(runtime, f"/explore/{root}", f"/explore/{cid}/a%E2%81%A6b")
    assert status == status2 == 200
    entries = page.split('id="entries">', 1)[1].split("</table>", 1)[0]
    assert '>invoice<span class="ctl">\\u202e</span>fdp.exe</a>' in entries and "\u202e" not in page
    assert '>a<span class="ctl">\\u2066</span>b</a></nav>' in inner and "<th>c<span class=\"ctl\">\\u202e</span>d</th>" in inner
