"""What ``publish --to-node`` and ``set publish --to-node`` put on an IPFS node, and how they pin
it, so that the node alone serves a fresh home everything it needs, after ``ipfs repo gc`` too.

Invariants:
- ``NodePins.blocks`` holds every block to put, each once; ``recursive`` and ``direct`` name the
  pins, and together with what Kubo's recursive pins reach they cover every block.
- A module DAG (a module over 1 MiB) is pinned by its root, recursively: Kubo 0.43.1 walks
  dag-pb, so that one pin keeps every block of the DAG. Signed documents (index, roots,
  delegations, manifests) and a one-block module are pinned recursively as well: an envelope
  carries its document as bytes, so Kubo sees no link under it and the pin keeps that block.
- Test vectors are pinned directly, never recursively: their DAG-CBOR links name the cases'
  inputs and outputs, blocks nobody publishes, and Kubo 0.43.1's ``ipfs repo gc`` under a
  recursive pin whose links it cannot find aborts ("garbage collection aborted: could not
  retrieve some links") and removes nothing at all (measured: tests/test_s7_moddag_node.py).
- A vectors block the node already pins recursively (a node published to before f383ba1) is
  left pinned as it is, with a warning naming it and the mend: Kubo 0.43.1 refuses a direct pin
  of it ("already pinned recursively", measured), and the node keeps it either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cid import CID
from ..errors import FetchError
from ..log import get_logger
from ..modcid import DAG_PB, RAW

if TYPE_CHECKING:  # pragma: no cover
    from ..sources import NodeSource
    from ._publish import Published
    from ._runtime import Runtime

_log = get_logger("registry")
_RECURSIVE_ALREADY = "already pinned recursively"

@dataclass(frozen=True, slots=True)
class NodePins:
    """Blocks to put on a node, and the pins that keep them (see the invariants)."""

    blocks: tuple[tuple[CID, bytes], ...]
    recursive: tuple[CID, ...]
    direct: tuple[CID, ...]


def _pins(blocks: dict[CID, bytes], documents: list[CID], modules: list[CID], vectors: list[CID]) -> NodePins:
    recursive = dict.fromkeys([*documents, *modules])
    direct = tuple(c for c in dict.fromkeys(vectors) if c not in recursive)
    return NodePins(tuple(blocks.items()), tuple(recursive), direct)


def published_pins(get: Callable[[CID], bytes], published: "Published") -> NodePins:
    """A published module's manifest, module (every block of a DAG) and vectors, from ``get``."""
    cids = [published.manifest_cid, *(published.module_blocks or (published.module_cid,)), published.vectors_cid]
    blocks = {cid: get(cid) for cid in cids}
    return _pins(blocks, [published.manifest_cid], [published.module_cid], [published.vectors_cid])


def set_pins(runtime: "Runtime", index_cid: CID) -> NodePins:
    """Every block of one set version (``set_blocks``), with its pins."""
    from ._sets import set_parts

    parts = set_parts(runtime, index_cid)
    blocks = dict(parts.blocks)
    held = set(parts.modules) | set(parts.vectors)
    documents = [cid for cid in blocks if cid not in held and cid.codec not in (RAW, DAG_PB)]  # not a DAG's inner block
    return _pins(blocks, documents, parts.modules, parts.vectors)


def put_pinned(node: "NodeSource", pins: NodePins) -> int:
    """Put ``pins.blocks`` on ``node``, then pin them; returns the blocks put. A direct pin the
    node refuses because the block is pinned recursively already is left as it is (invariants)."""
    count = node.put_blocks(pins.blocks)
    if pins.recursive:
        node.pin(*pins.recursive)
    if pins.direct:
        try:
            node.pin(*pins.direct, recursive=False)
        except FetchError as exc:
            if _RECURSIVE_ALREADY not in exc.message:
                raise
            _pin_direct_one_by_one(node, pins.direct)
    return count


def _pin_direct_one_by_one(node: "NodeSource", cids: tuple[CID, ...]) -> None:
    """Pin each of ``cids`` directly, leaving those the node pins recursively already."""
    kept: list[str] = []
    for cid in cids:
        try:
            node.pin(cid, recursive=False)
        except FetchError as exc:
            if _RECURSIVE_ALREADY not in exc.message:
                raise
            kept.append(str(cid))
    _log.warning("tonode.vectors_pinned_recursively", node=node.addr, cids=kept,
                 detail="the node keeps them, but its `ipfs repo gc` aborts on their unpublished links; "
                        "for each: `ipfs pin rm CID` then `ipfs pin add --recursive=false CID` (docs/trust.md)")
