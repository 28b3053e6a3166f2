"""For the tests of bounded work on hostile DAGs: ``raw_leaf`` puts a raw block in a store and
gives its CID; ``Counted`` is a store's ``get`` that counts the blocks read.
"""

from __future__ import annotations

from autocodec import builtin
from autocodec.cid import CID
from autocodec.store import BlockStore


def raw_leaf(store: BlockStore, data: bytes) -> CID:
    cid = builtin.cid_for(data, "raw")
    store.put(cid, data)
    return cid


class Counted:
    """The store's ``get``, counting the blocks read (the work a refusal took)."""

    def __init__(self, store: BlockStore) -> None:
        self.store, self.reads = store, 0

    def __call__(self, cid: CID) -> bytes:
        self.reads += 1
        return self.store.get(cid)
