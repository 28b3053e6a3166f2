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
