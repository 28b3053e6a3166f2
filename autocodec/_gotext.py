"""Go's quoting of text, as Kubo's messages and outputs write it: ``strconv.Quote`` (``%q``)
and its escapes. Used by the command line, the gateway and the DAG resolver alike, so it sits
below all of them.

Invariant: a character is escaped exactly when Go would (not printable by Go's Unicode tables,
``_gounicode.go_printable``; ``\\``; and ``"`` when quoting); a byte that is not UTF-8 (a
surrogate escape, as ``os.fsdecode`` gives it) reads as ``\\xNN``.
"""

from __future__ import annotations

from ._gounicode import go_printable

_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\"}


def escaped_byte(ch: str) -> bool:
    """Whether ``ch`` stands for a byte that is not UTF-8 (a surrogate escape)."""
    return "\udc80" <= ch <= "\udcff"


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote`` (``%q``): double quotes, ``"`` and ``\\`` escaped, non-printable
    characters as Go escapes them, a byte that is not UTF-8 as ``\\xNN``."""
    return '"' + go_escape(text, quote=True) + '"'


def go_escape(text: str, *, quote: bool, ascii_only: bool = False) -> str:
    """``text`` with Go's escapes and no quotes around it (``quote``: ``"`` escaped too;
    ``ascii_only``: every character outside printable ASCII escaped, as ``QuoteToASCII``)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch == '"' and quote:
            out.append('\\"')
        elif (0x20 <= code < 0x7F) if ascii_only else go_printable(ch):
            out.append(ch)
        elif code < 0x80 or escaped_byte(ch):
            out.append(f"\\x{code & 0xFF:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def go_escape_ascii(text: str) -> str:
    """``text`` as Go's ``strconv.QuoteToASCII`` writes it, without the outer quotes (boxo's
    ``debugStr`` of a path in an error): printable ASCII as it is, ``"`` and ``\\`` escaped, the
    rest escaped, a byte that is not UTF-8 (a surrogate escape) as ``\\xNN``."""
    return go_escape(text, quote=True, ascii_only=True)
