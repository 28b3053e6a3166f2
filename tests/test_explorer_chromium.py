"""The explorer in a real headless Chromium (Debian's chromium + chromium-driver, WebDriver over
HTTP with urllib), against a running `autocodec serve`: click from a git commit to its tree to
a file, from an Ethereum mainnet header through its transaction trie to a transaction, and
through a UnixFS folder; screenshots are saved in the test's tmp folder (not committed).

tools/setup.d/50-chromium.sh installs the browser; without it the test skips (fails on CI).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._explorer_world import ExplorerWorld, build
from tests._kubo import free_port
from tests._serve_proc import ServeProcess

pytestmark = pytest.mark.slow
EXTRA_SESSIONS: list["Browser"] = []  # closed with the module's fixture

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-dev-shm-usage", "--window-size=1280,1400"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def _require_chromium() -> tuple[str, str]:
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    reason = "chromium and chromium-driver not installed (tools/setup.d/50-chromium.sh installs them with apt)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


class Browser:
    """A WebDriver session (W3C protocol) on a local chromedriver."""

    def __init__(self, driver_url: str, browser: str, profile: Path, prefs: dict[str, Any] | None = None,
                 phone: bool = False) -> None:
        """``phone``: a 375 px wide touch screen (Chromium's mobile emulation)."""
        self.base = driver_url
        options: dict[str, Any] = {"binary": browser, "args": [*FLAGS, f"--user-data-dir={profile}"]}
        if prefs:
            options["prefs"] = prefs
        if phone:
            options["mobileEmulation"] = {"deviceMetrics": {"width": 375, "height": 812, "pixelRatio": 2}}
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options,
                                                 "goog:loggingPrefs": {"browser": "ALL"}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"webdriver {method} {path}: {exc.read()[:500]!r}") from None

    def s(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url: str) -> None:
        self.s("POST", "/url", {"url": url})

    def find(self, css: str) -> str:
        return str(self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def type(self, css: str, text: str) -> None:
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def script(self, source: str) -> Any:
        return self.s("POST", "/execute/sync", {"script": source, "args": []})

    def click(self, css: str) -> None:
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def text(self, css: str) -> str:
        return str(self.s("GET", f"/element/{self.find(css)}/text"))

    def url(self) -> str:
        return str(self.s("GET", "/url"))

    def wait_for_url(self, suffix: str, timeout_s: float = 20.0) -> str:
        """The current URL once it ends with ``suffix``: a form submitted by a click may still be
        navigating when the click returns (the driver does not always wait for it)."""
        deadline = time.monotonic() + timeout_s
        while not (current := self.url()).endswith(suffix) and time.monotonic() < deadline:
            time.sleep(0.05)
        return current

    def console(self) -> list[str]:
        """The console's warnings and errors since the last call (failed requests included)."""
        entries = self.s("POST", "/se/log", {"type": "browser"})
        return [e["message"] for e in entries if e["level"] in ("WARNING", "SEVERE")]

    def width(self) -> tuple[int, int]:
        """``(scrollWidth, clientWidth)`` of the page: the first is larger when it scrolls sideways."""
        sizes = self.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        return int(sizes[0]), int(sizes[1])

    def source(self) -> str:
        return str(self.s("GET", "/source"))

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.s("GET", "/screenshot")))

    def close(self) -> None:
        try:
            self.s("DELETE", "")
        except AssertionError:
            pass


@contextlib.contextmanager
def chromedriver(driver_bin: str) -> Iterator[str]:
    """A chromedriver on a free loopback port, waited for until it says it is ready (30 s at
    most); its URL. Stopped on exit."""
    port = free_port()
    driver = subprocess.Popen([driver_bin, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as resp:
                    if json.loads(resp.read())["value"]["ready"]:
                        break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        driver.terminate()
        driver.wait(timeout=20)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Any:
    browser_bin, driver_bin = _require_chromium()
    tmp = tmp_path_factory.mktemp("explorer")
    world = build(tmp)
    with chromedriver(driver_bin) as driver_url, ServeProcess(world.home, tmp) as server:
        browser = Browser(driver_url, browser_bin, tmp / "profile")
        try:
            yield world, server, browser, tmp
        finally:
            browser.close()
            for extra in EXTRA_SESSIONS:
                extra.close()


def test_git_commit_to_tree_to_file(setup: Any) -> None:
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    browser.open(f"{server.url}/explore/{w.commit}")
    assert browser.text("#cid") == str(w.commit)
    assert "first commit" in browser.text("#node")
    assert w.publisher_did in browser.text("#provenance")  # the pinned set's publisher decoded it
    assert "sandboxed" in browser.source() and "git-raw" in browser.text("#provenance")
    assert "git-raw (0x78)" in browser.text("#parts")
    browser.click(f'a.link[data-cid="{w.tree}"]')
    assert browser.wait_for_url(f"/explore/{w.commit}/tree").endswith(f"/explore/{w.commit}/tree")
    assert browser.text("#cid") == str(w.tree)
    assert "tree" in browser.text("#crumbs")
    browser.screenshot(tmp / "git-tree.png")
    browser.click(f'a.link[data-cid="{w.blob}"]')
    assert browser.wait_for_url(f"/explore/{w.commit}/tree/{w.blob_name}/hash").endswith(f"/explore/{w.commit}/tree/{w.blob_name}/hash")
    assert browser.text("#cid") == str(w.blob)
    assert "README.md" in browser.text("#crumbs")
    assert "blob 16.# explor" in browser.text("#hex")  # the object's bytes (header, NUL, "# explorer test")
    browser.screenshot(tmp / "git-file.png")
    assert (tmp / "git-file.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ethereum_header_to_a_transaction(setup: Any) -> None:
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    browser.open(f"{server.url}/explore/{w.eth_header}")
    assert browser.text("#cid") == str(w.eth_header)
    assert "keccak-256 (0x1b)" in browser.text("#parts")
    assert "eth-block" in browser.text("#provenance")
    browser.click(f'a.link[data-cid="{w.tx_root}"]')
    assert browser.wait_for_url(f"/explore/{w.eth_header}/TxRootCID").endswith(f"/explore/{w.eth_header}/TxRootCID")
    assert "TrieBranchNode" in browser.text("#node")
    for _ in range(8):  # down the trie by the first child link until a leaf holds a transaction
        if browser.find_all("#node th") and "Transaction" in [browser.s("GET", f"/element/{e}/text")
                                                             for e in browser.find_all("#node th")]:
            break
        browser.click("#node a.link")
    else:
        raise AssertionError(f"no transaction reached: {browser.url()}")
    node = browser.text("#node")
    assert "Transaction" in node and "Recipient" in node and "AccountNonce" in node, node[:500]
    assert "/TxRootCID/" in browser.url()
    browser.screenshot(tmp / "eth-transaction.png")
    assert (tmp / "eth-transaction.png").stat().st_size > 10_000


def test_unixfs_folder_entries_are_clickable(setup: Any) -> None:
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    browser.open(f"{server.url}/explore/{w.folder}")
    assert "hello.txt" in browser.text("#entries")
    assert "builtin" in browser.source()
    browser.click('#entries a.entry[href$="/hello.txt"]')
    assert browser.wait_for_url(f"/explore/{w.folder}/hello.txt").endswith(f"/explore/{w.folder}/hello.txt")
    assert "hello from" in browser.text("#hex")  # a dag-pb file node holding its data inline
    assert "UnixFS file" in browser.source()
    browser.open(f"{server.url}/explore/{w.folder}/inner")
    browser.click('#entries a.entry[href$="/data.json"]')
    assert "data.json" in browser.text("#crumbs")
    browser.screenshot(tmp / "unixfs.png")


def test_a_bad_cid_is_a_page_not_a_traceback(setup: Any) -> None:
    world, server, browser, tmp = setup
    browser.open(f"{server.url}/explore/not-a-cid")
    assert "400" in browser.text("h1")
    assert "Traceback" not in browser.source()


HOSTILE = "</script><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def test_block_content_and_unixfs_names_never_become_markup(setup: Any) -> None:
    """A DAG-JSON string and key holding ``</script>`` and an ``<img onerror>``, and a UnixFS
    entry named with HTML, rendered in Chromium: shown as text, no element made of them, no
    script of theirs run (the title is untouched), the page framed by nothing (CSP)."""
    from tests._cli import run_cli

    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    doc = tmp / "hostile.json"
    doc.write_text(json.dumps({"x": HOSTILE, HOSTILE: [1]}))
    block = run_cli(w.home, "dag", "put", "--store-codec", "dag-json", str(doc)).stdout.decode().split()[-1]
    folder = tmp / "hostile-folder"
    folder.mkdir()
    name = "<img src=x onerror=\"document.title='pwned'\">.txt"
    (folder / name).write_text("x")
    added = run_cli(w.home, "add", "-r", "--quieter", str(folder)).stdout.decode().split()[-1]

    def script(source: str) -> Any:
        return browser.s("POST", "/execute/sync", {"script": source, "args": []})

    browser.open(f"{server.url}/explore/{block}")
    assert script("return document.title") == f"explore {block}"
    assert script("return document.querySelectorAll('#node img, #node script, body > script').length") == 1
    strings = script("return Array.from(document.querySelectorAll('#node .string, #node th'))"
                     ".map(e => e.textContent)")
    assert strings.count(HOSTILE) == 2, strings
    browser.open(f"{server.url}/explore/{added}")
    assert script("return document.title") == f"explore {added}"
    assert script("return document.querySelectorAll('#entries img').length") == 0
    assert name in browser.text("#entries")
    browser.screenshot(tmp / "hostile.png")


def test_a_users_path_search_box_links_back_and_forward(setup: Any) -> None:
    """A CID typed into the search box (with ``ipfs://``, a path and spaces), a link clicked,
    back and forward; then junk typed: the error page is typed and has the box again (before,
    an error page was a bare status heading with no way on but a link to the index)."""
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    browser.open(f"{server.url}/explore/")
    assert browser.text("h1") == "autocodec explorer"
    browser.type("#go input", f"  ipfs://{w.commit}/tree  ")
    browser.click("#go button")
    assert browser.wait_for_url(f"/explore/{w.commit}/tree").endswith(f"/explore/{w.commit}/tree") and browser.text("#cid") == str(w.tree)
    browser.click(f'a.link[data-cid="{w.blob}"]')
    assert browser.text("#cid") == str(w.blob)
    browser.s("POST", "/back", {})
    assert browser.wait_for_url(f"/explore/{w.commit}/tree").endswith(f"/explore/{w.commit}/tree") and browser.text("#cid") == str(w.tree)
    browser.s("POST", "/forward", {})
    assert browser.text("#cid") == str(w.blob)
    browser.type("#go input", "not a cid/../x?y#z")
    browser.click("#go button")
    assert browser.text("h1") == "400 Bad Request"
    assert browser.script("return document.getElementById('error').dataset.error") == "InvalidCID"
    assert browser.script("return document.title") == "explore: 400 Bad Request"
    browser.type("#go input", str(w.eth_header))
    browser.click("#go button")
    assert browser.text("#cid") == str(w.eth_header)


def test_the_search_box_works_without_javascript(setup: Any) -> None:
    """The page says it works without its script: in a Chromium with JavaScript off, a CID and
    path typed into the box opens its page (the form had no action: it reloaded the page)."""
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    plain = Browser(browser.base, shutil.which("chromium") or "chromium", tmp / "profile-nojs",
                    prefs={"profile.managed_default_content_settings.javascript": 2})
    EXTRA_SESSIONS.append(plain)
    plain.open(f"{server.url}/explore/{w.folder}")
    plain.type("#go input", f"/ipfs/{w.commit}/tree")
    plain.click("#go button")
    landed = plain.wait_for_url(f"/explore/{w.commit}/tree")
    assert landed.endswith(f"/explore/{w.commit}/tree"), landed
    assert plain.text("#cid") == str(w.tree)
    plain.click("#toggle-hex")  # the script is off: the button does nothing, the bytes stay
    assert plain.text("#hex")


def test_a_bidi_override_in_a_name_cannot_reorder_the_crumbs(setup: Any) -> None:
    """A field named with U+202E (right-to-left override) on the walked path: each crumb is
    still drawn right of the one before it (before, the override ran on past its crumb and
    drew the following crumbs reversed, to its left: the path shown was not the path)."""
    from tests._cli import run_cli

    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    doc = tmp / "bidi.json"
    evil = "\u202etxt.exe"
    doc.write_text(json.dumps({evil: {"/": str(w.commit)}}))
    block = run_cli(w.home, "dag", "put", "--store-codec", "dag-json", str(doc)).stdout.decode().split()[-1]
    browser.open(f"{server.url}/explore/{block}")
    browser.click(f'a.link[data-cid="{w.commit}"]')
    browser.click(f'a.link[data-cid="{w.tree}"]')
    assert browser.text("#cid") == str(w.tree)
    lefts = browser.script("return Array.from(document.querySelectorAll('#crumbs a'))"
                           ".map(a => a.getBoundingClientRect().left)")
    assert len(lefts) == 3 and lefts == sorted(lefts), lefts
    browser.screenshot(tmp / "bidi.png")


def test_hostile_values_stay_text_and_long_ones_stay_in_the_window(setup: Any) -> None:
    """``javascript:`` and ``data:`` URLs, a NUL, a very long key, string and list item: the
    only anchors in the node are links to CIDs on this explorer, the URLs are shown as text,
    and nothing makes the page wider than the window."""
    from tests._cli import run_cli

    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    doc = tmp / "long.json"
    doc.write_text(json.dumps({"js": "javascript:alert(1)", "data": "data:text/html,<b>x</b>", "nul": "a\u0000b",
                               "k" * 900: "v" * 900, "list": ["x" * 900, {"/": str(w.commit)}],
                               "https://example.org/": "https://example.org/"}))
    block = run_cli(w.home, "dag", "put", "--store-codec", "dag-json", str(doc)).stdout.decode().split()[-1]
    browser.open(f"{server.url}/explore/{block}")
    hrefs = browser.script("return Array.from(document.querySelectorAll('#node a')).map(a => a.getAttribute('href'))")
    assert hrefs == [f"/explore/{block}/list/1", f"/explore/{w.commit}"], hrefs
    strings = browser.script("return Array.from(document.querySelectorAll('#node .string')).map(e => e.textContent)")
    assert "javascript:alert(1)" in strings and "data:text/html,<b>x</b>" in strings
    widths = browser.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths
    browser.screenshot(tmp / "long.png")


def _deep_documents(home: Path, tmp: Path) -> list[str]:
    """A map and a list nested 100 levels deep, stored as DAG-JSON blocks: their CIDs."""
    from tests._cli import run_cli

    cids = []
    for name, wrap in (("deep-map", lambda v: {"d": v}), ("deep-list", lambda v: [v])):
        value: Any = "bottom"
        for _ in range(100):
            value = wrap(value)
        (tmp / f"{name}.json").write_text(json.dumps(value))
        out = run_cli(home, "dag", "put", "--store-codec", "dag-json", str(tmp / f"{name}.json")).stdout
        cids.append(out.decode().split()[-1])
    return cids


def _pages(w: ExplorerWorld, deep: list[str]) -> list[str]:
    """Explorer pages of every kind: the index, a git commit, an Ethereum header (a sandboxed
    module's provenance), a UnixFS folder, an error page, and two 100-level documents; and the
    gateway's HTML pages: a folder's listing and an error page."""
    return ["/explore/", f"/explore/{w.commit}", f"/explore/{w.eth_header}", f"/explore/{w.folder}",
            "/explore/not-a-cid", *(f"/explore/{cid}" for cid in deep), f"/ipfs/{w.folder}/", "/ipfs/not-a-cid"]


def test_no_page_logs_an_error_in_the_console(setup: Any) -> None:
    """Each kind of page loads with nothing in the console but, on an error page, its own
    status (before, every page logged a failed request: /favicon.ico, a 404)."""
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    browser.console()
    for path in _pages(w, _deep_documents(w.home, tmp)):
        browser.open(server.url + path)
        logged = [m for m in browser.console() if not m.startswith(f"{server.url}{path} - Failed to load resource")]
        assert logged == [], (path, logged)


def test_every_page_fits_a_phone_and_a_deep_one_the_desktop(setup: Any) -> None:
    """On a 375 px phone each page is laid out at the phone's width and never scrolls sideways:
    long CIDs, digests and DIDs wrap and deep nesting scrolls inside the node's box (before,
    the index and error pages had no viewport, so were laid out 980 px wide; other pages were
    616-662 px wide). On the desktop the 100-level map no longer makes the page 3,375 px wide."""
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    phone = Browser(browser.base, shutil.which("chromium") or "chromium", tmp / "profile-phone", phone=True)
    EXTRA_SESSIONS.append(phone)
    deep = _deep_documents(w.home, tmp)
    for path in _pages(w, deep):
        phone.open(server.url + path)
        assert phone.width() == (375, 375), (path, phone.width())
    phone.screenshot(tmp / "phone-deep.png")
    phone.open(f"{server.url}/explore/{w.folder}")  # a short name is not broken for the CID beside it
    lines = phone.script("return Array.from(document.querySelectorAll('#entries a.entry'))"
                         ".map(a => [a.textContent, a.getClientRects().length])")
    assert lines and all(count == 1 for _, count in lines), lines
    for cid in deep:
        browser.open(f"{server.url}/explore/{cid}")
        scrolled, window = browser.width()
        assert scrolled <= window, (cid, scrolled, window)


def test_the_keyboard_reaches_every_link_and_toggles_the_bytes(setup: Any) -> None:
    """Tab alone goes through the search box, every link of the page in order and the bytes'
    button; Space on the button hides the bytes and says so to assistive technology
    (``aria-expanded``, which it lacked: a screen reader heard only "hide, button")."""
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    browser.open(f"{server.url}/explore/{w.commit}")
    expected = browser.script("return Array.from(document.querySelectorAll('a[href], input, button'))"
                              ".map(e => e.getAttribute('href') || e.tagName)")
    reached = []
    for _ in range(len(expected)):
        _press(browser, "\ue004")  # Tab
        reached.append(browser.script("const e = document.activeElement; return e.getAttribute('href') || e.tagName"))
    assert reached == expected, (reached, expected)
    assert browser.script("return document.activeElement.id") == "toggle-hex"
    assert browser.script("return document.activeElement.getAttribute('aria-controls')") == "hex"
    for expanded in ("false", "true"):
        _press(browser, " ")
        assert browser.script("return document.activeElement.getAttribute('aria-expanded')") == expanded
        assert browser.script("return getComputedStyle(document.getElementById('hex')).display") == (
            "none" if expanded == "false" else "block")


def _press(browser: Browser, key: str) -> None:
    browser.s("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})


def test_a_long_list_pages_forward_and_back_without_javascript(setup: Any) -> None:
    """A list of 1200 numbers, in a Chromium with JavaScript off: "next 500" opens page 2
    (items 500-999, ?page=2 in the URL), next again the last page (no next link), "previous 500"
    goes back. The item numbers shown are the list's own indexes."""
    from autocodec import builtin
    from autocodec.registry import Runtime

    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    with Runtime(w.home, default_set=False) as rt:
        cid = rt.put(builtin.encode(list(range(1200)), "dag-cbor"), "dag-cbor")
    plain = Browser(browser.base, shutil.which("chromium") or "chromium", tmp / "profile-nojs-pages",
                    prefs={"profile.managed_default_content_settings.javascript": 2})
    EXTRA_SESSIONS.append(plain)
    shown = "return Array.from(document.querySelectorAll('#node > ol > li[value]'), li => +li.value)"
    plain.open(f"{server.url}/explore/{cid}")
    assert plain.script(shown) == list(range(500))
    plain.click("#pages a[rel=next]")
    assert plain.wait_for_url("?page=2").endswith(f"/explore/{cid}?page=2")
    assert plain.script(shown) == list(range(500, 1000)) and "page 2 of 3" in plain.text("#pages")
    plain.click("#pages a[rel=next]")
    assert plain.wait_for_url("?page=3").endswith("?page=3")
    assert plain.script(shown) == list(range(1000, 1200)) and not plain.find_all("#pages a[rel=next]")
    plain.click("#pages a[rel=prev]")
    assert plain.wait_for_url("?page=2").endswith("?page=2") and plain.script(shown) == list(range(500, 1000))
    plain.screenshot(tmp / "explorer-pages.png")


def test_a_big_hamt_folder_pages_to_its_end_without_javascript(setup: Any) -> None:
    """A folder of 1200 files added by ``autocodec add`` as a HAMT (sharded past 1000 links,
    fanout 16), in a Chromium with JavaScript off: the entries table shows 500 names a page and
    "next 500" links walk to the last page (no next link there, whose pager counts 1200); every
    name is seen once. Before, the table stopped at 500 and said the path gateway lists them all."""
    world, server, browser, tmp = setup
    w: ExplorerWorld = world
    folder = tmp / "many"
    folder.mkdir()
    for i in range(1200):
        (folder / f"f{i:04d}.txt").write_text(str(i))
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    added = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(w.home), "add", "-r", "-Q",
                            "--max-directory-links=1000", "--max-hamt-fanout=16", str(folder)],
                           capture_output=True, env=env, timeout=300, check=True)
    root = added.stdout.decode().strip()
    plain = Browser(browser.base, shutil.which("chromium") or "chromium", tmp / "profile-nojs-entries",
                    prefs={"profile.managed_default_content_settings.javascript": 2})
    EXTRA_SESSIONS.append(plain)
    names = "return Array.from(document.querySelectorAll('#entries a.entry'), a => a.textContent)"
    plain.open(f"{server.url}/explore/{root}")
    assert "UnixFS hamt" in plain.source()
    seen: list[str] = []
    for number in range(1, 5):
        shown = plain.script(names)
        assert len(shown) == (500 if number < 3 else 200), (number, len(shown))
        seen += shown
        if not plain.find_all("#pages a[rel=next]"):
            break
        plain.click("#pages a[rel=next]")
        assert plain.wait_for_url(f"?page={number + 1}").endswith(f"/explore/{root}?page={number + 1}")
    assert number == 3 and "of 1200 (page 3 of 3)" in plain.text("#pages")
    assert sorted(seen) == [f"f{i:04d}.txt" for i in range(1200)]
    plain.screenshot(tmp / "explorer-entries.png")
