"""How a module's bytes are named on IPFS: one raw block, or past 1 MiB the UnixFS file DAG.

Shared by the sandbox (``loader``: a module loaded under a CID must be the bytes it names), the
trust wing (``verify``: manifests, reading module DAGs) and publishing (``registry``); it depends
only on ``cid`` and ``unixfs``. Why 1 MiB: measured with two peered Kubo 0.43.1 nodes
(tests/test_bigmod_nodes.py), ``ipfs block put`` refuses a block over 2 MiB without
``--allow-big-block`` and bitswap moves a 3.99 MiB block but never a 4 MiB one; Kubo's own answer
is UnixFS chunking.

Invariants:
- A module of at most ``MODULE_BLOCK_BYTES`` is one raw block, CIDv1 raw sha2-256: every module
  and manifest made before module DAGs keeps its CID.
- A larger module is the UnixFS file DAG ``ipfs add --cid-version=1`` makes of the same bytes
  (256 KiB raw leaves, balanced layout, CIDv1 dag-pb root, ``unixfs.file_blocks``), so its CID is
  the one a Kubo user gets for the .wasm file; one CID names one layout of the bytes.
- The root of the last module DAG built is remembered with its bytes, by identity (``bytes``
  only: immutable, and held while remembered, so no other object can take its id), and
  ``module_cid`` of those very bytes answers it without building the DAG again: a publish, or
  a fetch verified then loaded, builds it once (the sandbox's CID check asks again).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .cid import CID

RAW = 0x55
DAG_PB = 0x70
MODULE_BLOCK_BYTES = 1 << 20
"""The largest module kept as one raw block (half Kubo 0.43.1's 2 MiB ``block put`` line)."""


@dataclass(frozen=True, slots=True)
class ModuleBlocks:
    """A module's bytes, its CID and the blocks that CID names (the root last)."""

    cid: CID
    data: bytes
    blocks: tuple[tuple[CID, bytes], ...]


def raw_module_cid(module: bytes) -> CID:
    """The CID of module bytes as one block: CIDv1, raw, sha2-256."""
    return CID.build(RAW, b"\x12\x20" + hashlib.sha256(module).digest())


def is_dag(cid: CID) -> bool:
    """Whether ``cid`` names a module DAG (dag-pb) rather than one raw block."""
    return cid.codec == DAG_PB


def module_blocks(wasm: bytes) -> ModuleBlocks:
    """The CID and blocks of module bytes as published (see the invariants)."""
    if len(wasm) <= MODULE_BLOCK_BYTES:
        cid = raw_module_cid(wasm)
        return ModuleBlocks(cid, wasm, ((cid, wasm),))
    from .unixfs import AddOptions, file_blocks

    root, blocks = file_blocks(wasm, AddOptions(cid_version=1))
    if type(wasm) is bytes:
        global _last
        _last = (wasm, root)
    return ModuleBlocks(root, wasm, tuple(blocks))


_last: tuple[bytes, CID] | None = None
"""The bytes of the last module DAG built and its root (see the invariants)."""


def module_cid(wasm: bytes) -> CID:
    """The CID a manifest uses for module bytes (``module_blocks``'s, without keeping the blocks
    of a module at or under ``MODULE_BLOCK_BYTES``)."""
    if len(wasm) <= MODULE_BLOCK_BYTES:
        return raw_module_cid(wasm)
    last = _last
    if last is not None and last[0] is wasm:
        return last[1]
    return module_blocks(wasm).cid
