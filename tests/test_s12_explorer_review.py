"""Review of the explorer audit (dc7d49a, 7954559, a9e81bf): what its escapes of control
characters and bidi overrides left unreachable or unshown.

Pages are read in process (aiohttp test client, ``tests/_explorer_pages.py``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.registry import Runtime
from tests._explorer_pages import explorer_get


@pytest.fixture
def runtime(tmp_path: Path) -> Any:
    with Runtime(tmp_path / "home", default_set=False) as rt:
        yield rt


def test_a_link_under_a_key_holding_a_line_feed_opens(runtime: Runtime) -> None:
    """The page links a CID under the key ``a<LF>b`` (and pages into a map there) by the path
    ``/explore/ROOT/a%0Ab``, and shows that key as ``a\\nb``; the explorer's route read its path
    with ``.``, which stops at a line feed, so that link answered Go's plain ``404 page not
    found`` (every other control character, ``%09``, ``%00``, was reached)."""
    child = runtime.put(builtin.encode({"leaf": 1}, "dag-cbor"), "dag-cbor")
    root = runtime.put(builtin.encode({"a\nb": child, "c\rd": child}, "dag-cbor"), "dag-cbor")
    [(status, _, page)] = explorer_get(runtime, f"/explore/{root}")
    assert status == 200
    hrefs = [html.unescape(h) for h in re.findall(r'<a class="link" data-cid="[^"]*" href="([^"]*)"', page)]
    assert hrefs == [f"/explore/{root}/a%0Ab", f"/explore/{root}/c%0Dd"]
    for href, escape in zip(hrefs, ("\\n", "\\r")):
        [(status, _, linked)] = explorer_get(runtime, href)
        assert status == 200, linked[:200]
        assert f'data-cid="{child}"' in linked
        crumbs = linked.split('id="crumbs">', 1)[1].split("</nav>", 1)[0]
        assert crumbs.endswith(f'<span class="ctl">{escape}</span>{"b" if escape == chr(92) + "n" else "d"}</a>')


@pytest.mark.slow
def test_a_long_string_alone_wraps_on_a_phone(tmp_path: Path) -> None:
    """The page of a string alone (``/explore/CID/key``) wraps a word of 2,000 characters in the
    node's box on a 375 px phone, as the same string does in a map's cell; before, that box was
    9,090 px wide (it scrolls sideways inside the page: ``div.node { overflow-x: auto }``).
    Arabic, Hebrew, a ZWJ emoji sequence and combining marks are drawn as their text."""

    from tests._serve_proc import ServeProcess
    from tests.test_explorer_chromium import Browser, _require_chromium, chromedriver

    browser_bin, driver_bin = _require_chromium()
    words = ["مرحبا بالعالم", "שלום עולם", "\U0001f469\u200d\U0001f469\u200d\U0001f467 family", "e\u0301te\u0301"]
    with Runtime(tmp_path / "home", default_set=False) as rt:
        cid = rt.put(builtin.encode({"long": "v" * 2000, "words": words}, "dag-cbor"), "dag-cbor")
    with chromedriver(driver_bin) as driver_url, ServeProcess(tmp_path / "home", tmp_path) as server:
        phone = Browser(driver_url, browser_bin, tmp_path / "profile", phone=True)
        try:
            phone.open(f"{server.url}/explore/{cid}/long")
            sizes = phone.script("const n = document.getElementById('node');"
                                 "return [n.scrollWidth, n.clientWidth]")
            page_width = phone.width()
            phone.open(f"{server.url}/explore/{cid}/words")
            drawn = phone.script("return Array.from(document.querySelectorAll('#node li'))"
                                 ".map(li => li.innerText)")
        finally:
            phone.close()
    assert page_width == (375, 375)
    assert sizes[0] == sizes[1], sizes
    assert drawn == words


def _echo_error_module(tmp: Path) -> Path:
    """tests/hostile/ok_echo.wat whose error for input starting 0xff is that input itself: a
    module's message may echo the block it failed on."""
    import wasmtime

    from tests._wat import HOSTILE, custom_section, metadata

    source = (HOSTILE / "ok_echo.wat").read_text()
    fixed = "(then (return (call $ret (i32.const 64) (i32.const 28) (i32.const 1))))"
    assert source.count(fixed) == 1
    source = source.replace(fixed, "(then (return (call $ret (local.get $p) (local.get $n) (i32.const 1))))")
    path = tmp / "echo-error.wasm"
    path.write_bytes(wasmtime.wat2wasm(source)
                     + custom_section("autocodec.module", builtin.encode(metadata(name="echoerr"), "dag-cbor")))
    return path


def test_a_modules_error_message_shows_its_controls_and_overrides(runtime: Runtime, tmp_path: Path) -> None:
    """The 'Not decoded' paragraph and the error page of a path through the block show a
    module's message (at most 300 bytes, from the block here) with its control characters and
    bidi overrides as escapes, as the node's own text is shown; before, ``invoice<U+202E>fdp.exe``
    was obeyed there and a NUL written raw into the page."""
    from tests._wat import ECHO_CODE

    runtime.add_local_module(_echo_error_module(tmp_path))
    data = b"\xff" + "name 'invoice\u202efdp.exe' a\x00b\nc".encode()
    cid = runtime.cid_for(data, ECHO_CODE)
    runtime.store.put(cid, data)
    [(status, _, page), (status2, _, error)] = explorer_get(runtime, f"/explore/{cid}", f"/explore/{cid}/x")
    assert status == status2 == 500
    shown = ('invoice<span class="ctl">\\u202e</span>fdp.exe&#x27; a<span class="ctl">\\u0000</span>b'
             '<span class="ctl">\\n</span>c</p>')
    assert re.search(r'id="undecoded"[^>]*>Not decoded \(GuestError\): [^<]*' + re.escape(shown), page), page[-900:]
    assert re.search(r'id="error"[^>]*><code>GuestError</code>: [^<]*' + re.escape(shown), error), error
    assert "\u202e" not in page + error and "\x00" not in page + error


def test_the_search_form_sent_to_explore_without_its_slash_keeps_the_cid(runtime: Runtime) -> None:
    """``/explore?cid=X`` (a form or a link written without the slash) was sent to ``/explore/``,
    the CID dropped: now ``/explore/?cid=X``, which sends it on to the CID's page."""
    cid = runtime.put(builtin.encode({"a": 1}, "dag-cbor"), "dag-cbor")
    [(status, location, _), (status2, location2, _), (status3, location3, _)] = explorer_get(
        runtime, f"/explore?cid={cid}", "/explore", f"/explore/?cid={cid}")
    assert (status, location) == (302, f"/explore/?cid={cid}")
    assert (status2, location2) == (302, "/explore/")
    assert (status3, location3) == (303, f"/explore/{cid}")
    [(_, encoded, _)] = explorer_get(runtime, "/explore?cid=a%26b%25c")  # kept as sent, not decoded
    assert encoded == "/explore/?cid=a%26b%25c"
