"""Untrusted text made safe for a terminal (issue 16 item 12).

Invariant: ``clean`` removes every C0/C1 control character (ESC, CSI, BEL, backspace, DEL...)
except tab and newline, and the Unicode bidi overrides that reorder what a reader sees, so
a module name, a path segment or an error message from a peer cannot move the cursor,
recolour the terminal or disguise text. Printable text passes unchanged.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` without control characters (tab and newline kept)."""
    return _CONTROL.sub("", text)


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``"1 block"``, ``"2 blocks"``, ``"0 blocks"``: ``number`` and ``noun`` in its English plural
    (``plural``, else an ``s`` added) unless ``number`` is 1. For this program's own messages; a
    line copied from Kubo keeps Kubo's words (``dag import``'s ``Imported 1 blocks``)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
