"""Go's quoting (``autocodec._gotext``), against the outputs Go's strconv documentation shows
(the ``Quote`` and ``QuoteToASCII`` examples) and Go's rules for what it escapes."""

from __future__ import annotations

from autocodec._gotext import go_escape, go_escape_ascii, go_quote

DINER = "\"Fran & Freddie's Diner\t\u263a\""


def test_quote_and_quote_to_ascii_are_gos_examples() -> None:
    assert go_quote(DINER) == '"\\"Fran & Freddie\'s Diner\\t\u263a\\""'
    assert go_escape_ascii(DINER) == '\\"Fran & Freddie\'s Diner\\t\\u263a\\"'


def test_what_each_form_escapes() -> None:
    text = "a\\\x7f\u00a0\U0001f600\udcff"  # backslash, DEL, no-break space (not printable in Go), emoji, byte 0xff
    assert go_escape(text, quote=False) == "a\\\\\\x7f\\u00a0\U0001f600\\xff"
    assert go_escape_ascii(text) == "a\\\\\\x7f\\u00a0\\U0001f600\\xff"
    assert go_escape('"', quote=False) == '"' and go_escape('"', quote=True) == '\\"'
