"""IPLD paths and DAG walks over every codec: what ``autocodec dag`` and ``Runtime.get/resolve/walk`` use.

``parse_path`` reads ``[/ipfs/|/ipld/]CID[/seg...]`` (any multibase); ``resolve`` follows a path
across links of any codec the runtime decodes (builtin or Wasm extension) to the last block and
the remainder inside it (``resolve_cid``: only where it lands, as ``dag resolve``);
``walk``/``stat``/``export_car`` visit a whole DAG, following every
codec's links. All take a *source* with ``get``/``decode_block``/``links``: a ``Runtime``.
"""

from __future__ import annotations

from ._path import DagPath, base_of, parse_path
from ._resolve import BlockSource, Resolved, UnknownUnixfsType, UnreadableListIndex, block_at, resolve, resolve_cid
from ._walk import DagStat, DagStatSummary, Exported, WalkSource, export_car, runtime_links, stat, walk

__all__ = [
    "BlockSource",
    "DagPath",
    "DagStat",
    "DagStatSummary",
    "Exported",
    "Resolved",
    "UnknownUnixfsType",
    "UnreadableListIndex",
    "WalkSource",
    "base_of",
    "block_at",
    "export_car",
    "parse_path",
    "resolve",
    "resolve_cid",
    "runtime_links",
    "stat",
    "walk",
]
