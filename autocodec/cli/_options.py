"""Option value types shared by the commands.

Invariant: an option that names one thing (a codec, a key, a node, a DID...) refuses an
explicit empty value as a usage error: it is never read as "not given", which would mean
"every one" (``block ls --codec ""``), a default (``run --key ""``) or no check at all
(``ucan validate --executor ""``). The exceptions are Kubo's own options where Kubo reads an
empty value as its default (``or_default``: ``block put --cid-codec=`` is raw, ``add --hash=``
sha2-256), kept so that a Kubo command line means the same here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def nonempty(what: str) -> Callable[[str], str]:
    """An argparse ``type``: the text as given, unless it is empty (``what`` says what to give)."""

    def check(text: str) -> str:
        if text == "":
            raise argparse.ArgumentTypeError(f"the value is empty (give {what}, or leave the option out)")
        return text

    return check


def or_default(default: str) -> Callable[[str], str]:
    """An argparse ``type`` for a Kubo option that Kubo reads as its default when given empty
    (checked against Kubo 0.43.1: ``block put --cid-codec= --mhtype=``, ``add --hash=``,
    ``dag put --hash=``): the text as given, or ``default`` for an empty one."""

    def read(text: str) -> str:
        return text or default

    return read


def whole_number(text: str) -> int | None:
    """A number as an option gives it: decimal with leading zeros allowed (as Go's and Rust's
    parsers read it) or after a ``0x``/``0o``/``0b`` prefix; None for anything else. A number
    past 2^64 by its digits alone comes back as 2^64 without ``int()`` of its thousands of
    digits: callers check the range."""
    body, base = text, 10
    if text[:2].lower() in ("0x", "0o", "0b"):
        body, base = text[2:], {"x": 16, "o": 8, "b": 2}[text[1].lower()]
    digits = "0123456789abcdef"[:base]
    if not body or any(c not in digits for c in body.lower()):
        return None
    significant = body.lstrip("0") or "0"
    return int(significant, base) if len(significant) <= 64 else 1 << 64
