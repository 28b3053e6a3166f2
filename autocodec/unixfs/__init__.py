"""UnixFS v1 import and export: ``autocodec add`` and ``autocodec cat``.

Files are chunked (``size-N`` natively; ``rabin[-MIN-AVG-MAX]``, ``buzhash`` and this
project's ``fastcdc-MIN-AVG-MAX`` by the sandboxed Wasm chunker modules) and stored as
balanced or trickle dag-pb DAGs, directories as plain or HAMT-sharded nodes, exactly as Kubo
v0.43.1's ``ipfs add`` lays them out: the same bytes and options give the same CIDs (see
docs/unixfs.md and tests/test_unixfs_kubo.py).  ``cat`` checks sizes at every node before
streaming.  See the private modules' docstrings for the invariants.
"""

from __future__ import annotations

from ._add import Added, Adder, AddOptions, add_bytes, add_path
from ._cat import cat, check_file
from ._chunk import DEFAULT_CHUNKER, ChunkerSpec, iter_chunks, parse_chunker
from ._layout import MAX_LINKS, FileBuilder, Link
from ._resolve import resolve

__all__ = [
    "DEFAULT_CHUNKER",
    "MAX_LINKS",
    "Added",
    "AddOptions",
    "Adder",
    "ChunkerSpec",
    "FileBuilder",
    "Link",
    "add_bytes",
    "add_path",
    "cat",
    "check_file",
    "iter_chunks",
    "parse_chunker",
    "resolve",
]
