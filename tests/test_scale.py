"""Memory of whole-DAG walks grows by a bounded amount per block (docs/performance.md, 'At scale').

The walks (``dag export``, ``dag stat``) must keep one entry per block seen to visit each once;
these tests hold that entry small (the CIDv1's bytes, not a CID object around them) and check
that ``dag stat`` of one root keeps no second set. Measured with tracemalloc over a DAG of a
few thousand blocks in a real store: a property, not a timing.
"""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

import autocodec
from autocodec.cid import CID
from autocodec.dag import export_car, stat, walk

FANS, FAN = 40, 250  # 10,000 raw leaves under 40 DAG-CBOR lists under one root


def _cid(codec: int, data: bytes) -> CID:
    return CID(bytes([1, codec & 0x7F | 0x80, codec >> 7]) + b"\x12\x20" + hashlib.sha256(data).digest()
               if codec > 0x7F else bytes([1, codec]) + b"\x12\x20" + hashlib.sha256(data).digest())


def _cbor_links(links: list[CID]) -> bytes:
    """A DAG-CBOR list of links (tag 42, a 0x00-prefixed CID byte string each)."""
    n = len(links)
    head = bytes([0x80 | n]) if n < 24 else (bytes([0x98, n]) if n < 256 else bytes([0x99]) + n.to_bytes(2, "big"))
    return head + b"".join(b"\xd8\x2a\x58" + bytes([len(bytes(c)) + 1]) + b"\x00" + bytes(c) for c in links)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CID]:
    home = tmp_path_factory.mktemp("scale") / "home"
    blocks: list[tuple[CID, bytes]] = []
    fans = []
    for f in range(FANS):
        leaves = []
        for i in range(FAN):
            data = b"leaf %d %d" % (f, i)
            leaves.append(_cid(0x55, data))
            blocks.append((leaves[-1], data))
        node = _cbor_links(leaves)
        fans.append(_cid(0x71, node))
        blocks.append((fans[-1], node))
    root = _cbor_links(fans)
    blocks.append((_cid(0x71, root), root))
    with autocodec.Runtime(home) as rt:
        rt.store.put_many(blocks)
    return home, blocks[-1][0]


def _peak_per_block(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / (FANS * FAN + FANS + 1)


def test_a_walk_keeps_about_the_cid_bytes_per_block_seen(wide: tuple[Path, CID]) -> None:
    home, root = wide
    with autocodec.Runtime(home) as rt:
        def run() -> None:
            for _ in walk(rt, root):
                pass
        per_block = _peak_per_block(run)
    # a set of 36-byte CIDv1 keys: ~70 bytes an object plus its slot; a CID object each made it ~180
    assert per_block < 150, f"{per_block:.0f} bytes a block"


def test_dag_stat_of_one_root_keeps_one_set(wide: tuple[Path, CID]) -> None:
    home, root = wide
    with autocodec.Runtime(home) as rt:
        per_block = _peak_per_block(lambda: stat(rt, [root]))
        summary = stat(rt, [root])
    assert (summary.unique_blocks, summary.roots[0].blocks) == (FANS * FAN + FANS + 1,) * 2
    assert summary.total_size == summary.roots[0].size and summary.shared_size == 0
    assert per_block < 150, f"{per_block:.0f} bytes a block"


def test_dag_stat_of_two_roots_still_counts_shared_blocks_once(wide: tuple[Path, CID]) -> None:
    home, root = wide
    with autocodec.Runtime(home) as rt:
        summary = stat(rt, [root, root])
    assert summary.unique_blocks == FANS * FAN + FANS + 1
    assert summary.shared_size == summary.roots[0].size == summary.total_size


def test_export_memory_per_block_is_bounded(wide: tuple[Path, CID]) -> None:
    home, root = wide
    with autocodec.Runtime(home) as rt:
        per_block = _peak_per_block(lambda: export_car(rt, root, io.BytesIO()))
    # the CAR itself (~90 bytes a block here) is in the BytesIO; the seen set adds ~125 (~165 as CID objects)
    assert per_block < 240, f"{per_block:.0f} bytes a block"
