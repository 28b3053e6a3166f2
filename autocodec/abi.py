"""The ABI's vocabulary in one place: module kinds and guest status codes (docs/abi.md).

Invariant: these enums are ``StrEnum``/``IntEnum``, so each member equals the plain value
the ABI and the stored documents use (``Kind.CODEC == "codec"``, ``Status.OK == 0``); code
that still passes plain strings or ints keeps working, and new code names the member.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
