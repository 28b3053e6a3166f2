"""Kubo's command-line conventions, shared by the commands that copy Kubo's: boolean options
(``--name``, ``--name=false``) and the way Kubo prints names (``cmdenv.EscNonPrint``)."""

from __future__ import annotations

import argparse


def bool_flag(parser: argparse.ArgumentParser, short: str | None, name: str, default: bool | None,
              help: str) -> None:
    """A Kubo boolean option: ``--name`` sets it, ``--name=false`` / ``--no-name`` clear it."""
    dest = name.replace("-", "_")
    flags = [f"--{name}", *([short] if short else [])]
    parser.add_argument(*flags, dest=dest, action="store_const", const=True, default=default, help=help)
    spellings = [f"--{name}=true", *([f"{short}=true"] if short else [])]
    parser.add_argument(*spellings, dest=dest, action="store_const", const=True, help=argparse.SUPPRESS)
    spellings = [f"--no-{name}", f"--{name}=false", *([f"{short}=false"] if short else [])]
    parser.add_argument(*spellings, dest=dest, action="store_const", const=False, help=argparse.SUPPRESS)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\"}


def _escaped_byte(ch: str) -> bool:
    return "\udc80" <= ch <= "\udcff"


def kubo_escape(name: str) -> str:
    """A name as Kubo prints it (cmdenv.EscNonPrint): Go's strconv.Quote without the quotes,
    and with ``"`` left as is, when the name holds a backslash or a non-printable character.
    A byte that is not UTF-8 (a surrogate escape from ``os.listdir``) reads as U+FFFD in Go,
    which is printable: alone it is written as the byte it is, and quoted it is ``\\xNN``."""
    if "\\" not in name and (name.isprintable() or all(ch.isprintable() or _escaped_byte(ch) for ch in name)):
        return name
    out = []
    for ch in name:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif _escaped_byte(ch):
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return "".join(out)
