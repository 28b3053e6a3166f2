"""UnixFS v1 import and export: ``autocodec add`` and ``autocodec cat``.

Files are chunked (``size-N`` natively; ``fastcdc-MIN-AVG-MAX`` and ``buzhash`` by the
sandboxed Wasm chunker modules) and stored as balanced dag-pb DAGs exactly as Kubo and
js-ipfs lay them out, so the same bytes and options give the same root CID as a reference
IPFS node.  See the private modules' docstrings for the invariants.
"""

from __future__ import annotations

from ._add import Added, Adder, AddOptions, add_bytes, add_path
from ._cat import cat
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
    "iter_chunks",
    "parse_chunker",
    "resolve",
]
