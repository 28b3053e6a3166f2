"""Bao verified streaming (BLAKE3 trees, 1 KiB chunks) through a ``verifier`` module.

``verifier()`` resolves the ``bao`` verifier module from the pinned sets (like any extension);
``bao_hash``, ``encode``/``encode_to``, ``decode`` and ``extract_slice`` stream in bounded
memory; a failed check raises ``VerificationFailed`` after only verified bytes were written.
The format is the reference implementation's (oconnor663/bao, docs/spec.md); with
``group_log`` (``leaf`` for slices) that of Iroh's bao-tree crate, chunk groups of 2^g chunks.
"""

from __future__ import annotations

from typing import Any

from ..loader._verifier import UNKNOWN_LENGTH, Verifier
from ._stream import VerificationFailed, bao_hash, decode, encode, encode_to, iter_decode
from ._blobs import BlobStore, blake3_cid, fetch, root_of
from ._tree import covered, extract_slice, iter_slice

__all__ = [
    "UNKNOWN_LENGTH", "BlobStore", "VerificationFailed", "Verifier", "bao_hash", "blake3_cid", "covered", "decode",
    "encode", "encode_to", "extract_slice", "fetch", "iter_decode", "iter_slice", "root_of", "verifier",
]


def verifier(runtime: Any = None, name: str = "bao") -> Verifier:
    """The verifier module ``name`` as the runtime's pinned sets resolve it (``verifier bao``)."""
    if runtime is None:
        from ..registry import Runtime

        runtime = Runtime()
    return Verifier(runtime.extension("verifier", name))
