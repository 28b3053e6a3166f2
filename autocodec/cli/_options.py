"""Option value types shared by the commands.

Invariant: an option that names one thing (a codec, a key, a node, a DID...) refuses an
explicit empty value as a usage error: it is never read as "not given", which would mean
"every one" (``block ls --codec ""``), a default (``run --key ""``) or no check at all
(``ucan validate --executor ""``).
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
