"""UnixFS v1 import and export: ``autocodec add`` and ``autocodec cat``.

Files are chunked (``size-N`` natively; ``rabin[-MIN-AVG-MAX]``, ``buzhash`` and this
project's ``fastcdc-MIN-AVG-MAX`` by the sandboxed Wasm chunker modules) and stored as
balanced or trickle dag-pb DAGs, directories as plain or HAMT-sharded nodes, exactly as Kubo
v0.43.1's ``ipfs add`` lays them out: the same bytes and options give the same CIDs (see
docs/unixfs.md and tests/test_unixfs_kubo.py).  ``cat`` checks sizes at every node before
streaming.  See the private modules' docstrings for the invariants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attributes
from ._cat import cat, cat_views, check_file
from ._resolve import resolve

if TYPE_CHECKING:  # pragma: no cover - loaded on first use (``__getattr__``): cat needs none of them
    from ._add import Added as Added
    from ._add import Adder as Adder
    from ._add import AddOptions as AddOptions
    from ._add import add_bytes as add_bytes
    from ._add import add_path as add_path
    from ._add import file_blocks as file_blocks
    from ._chunk import DEFAULT_CHUNKER as DEFAULT_CHUNKER
    from ._chunk import ChunkerSpec as ChunkerSpec
    from ._chunk import iter_chunks as iter_chunks
    from ._chunk import parse_chunker as parse_chunker
    from ._layout import MAX_LINKS as MAX_LINKS
    from ._layout import FileBuilder as FileBuilder
    from ._layout import Link as Link

_LAZY = {
    "Added": "_add", "Adder": "_add", "AddOptions": "_add", "add_bytes": "_add", "add_path": "_add", "file_blocks": "_add",
    "DEFAULT_CHUNKER": "_chunk", "ChunkerSpec": "_chunk", "iter_chunks": "_chunk", "parse_chunker": "_chunk",
    "MAX_LINKS": "_layout", "FileBuilder": "_layout", "Link": "_layout",
}
_load = lazy_attributes(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    """The adding side is imported on first use of one of its names (start-up of a ``cat``)."""
    return _load(name)

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
    "cat_views",
    "check_file",
    "file_blocks",
    "iter_chunks",
    "parse_chunker",
    "resolve",
]
