"""``go_printable_text``'s fast path (``str.isprintable``) holds only while this Python's Unicode is
not newer than Go's tables' (15.0.0): the project allows Python 3.13 (Unicode 15.1.0) and 3.14
(16.0.0), whose ``isprintable`` takes characters Go 1.26's ``strconv.IsPrint`` refuses, so Kubo
escapes them. A newer Unicode is simulated by ``unicodedata.unidata_version``; Go's answer by a
``go_printable`` that refuses the character."""

from __future__ import annotations

import unicodedata

import pytest

from autocodec import _gounicode


def _fresh_cache() -> None:
    within = getattr(_gounicode, "_isprintable_within_go", None)
    if within is not None:
        within.cache_clear()


@pytest.fixture
def newer_python(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(unicodedata, "unidata_version", "16.0.0")
    monkeypatch.setattr(_gounicode, "go_printable", lambda ch: ch != "\u00e9")
    _fresh_cache()
    yield
    _fresh_cache()


def test_a_newer_python_unicode_asks_go_s_ranges_for_every_character(newer_python: None) -> None:
    assert "\u00e9".isprintable()
    assert _gounicode.go_printable_text("caf\u00e9") is False
    assert _gounicode.go_printable_text("caf\u00e8") is True


def test_this_python_takes_the_fast_path_and_ascii_is_go_s_rule() -> None:
    _fresh_cache()
    ours = tuple(int(part) for part in unicodedata.unidata_version.split("."))
    assert _gounicode._isprintable_within_go() is (ours <= (15, 0, 0))
    assert _gounicode.go_printable_text("abc ~") and not _gounicode.go_printable_text("a\x7f")
    assert _gounicode.go_printable_text("\u00e9t\u00e9") and not _gounicode.go_printable_text("\u00e9\n")
