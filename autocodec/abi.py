"""The ABI's vocabulary in one place: module kinds and guest status codes (docs/abi.md).

Invariant: these enums are ``StrEnum``/``IntEnum``, so each member equals the plain value
the ABI and the stored documents use (``Kind.CODEC == "codec"``, ``Status.OK == 0``); code
that still passes plain strings or ints keeps working, and new code names the member.
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
"""A module's name (its ``autocodec.module`` section and its signed manifest), and the names
of sets, roles and delegations: lower case, digits, ``.``, ``_`` and ``-``, never ``/`` or a
leading dot, at most 64 characters (used as keys and in file names)."""

VERSION = re.compile(
    r"(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-[0-9A-Za-z.-]{1,64})?(\+[0-9A-Za-z.-]{1,64})?"
)
"""A module's version: semantic versioning 2.0.0 (semver.org), each number at most 9 digits."""

MAX_CODES = 64
"""Most codes one module (and its manifest) may serve; each listed once."""


class Kind(StrEnum):
    """What an extension module provides (the ``kind`` of its ``autocodec.module`` section)."""

    CODEC = "codec"
    HASHER = "hasher"
    CHUNKER = "chunker"
    CRYPTO = "crypto"
    TASK = "task"
    VERIFIER = "verifier"

    @property
    def coded(self) -> bool:
        """True for kinds keyed by a numeric code (multicodec, multihash, key type); chunkers
        tasks and verifiers are keyed by name."""
        return self in (Kind.CODEC, Kind.HASHER, Kind.CRYPTO)


class Status(IntEnum):
    """A guest call's status (docs/abi.md section 2)."""

    OK = 0
    ERR_INVALID = 1
    ERR_UNSUPPORTED = 2
    ERR_NOMEM = 3
    ERR_INTERNAL = 4


def parse_kind(text: str) -> Kind:
    """The ``Kind`` named ``text``; ``ValueError`` for anything else (callers turn it into
    their own typed error)."""
    return Kind(text)
