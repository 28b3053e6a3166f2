"""The block store behaves like a dict from CID to bytes under any sequence of operations, read
as Kubo's blockstore reads it: a CID no row holds is found under another CID of its multihash,
and a removal removes the multihash."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from autocodec import CID
from autocodec.builtin import cid_for
from autocodec.errors import BlockNotFound, HashMismatch
from autocodec.store import BlockStore

payloads = st.binary(max_size=64)
hashes = st.sampled_from(["sha2-256", "sha2-512", "blake2b-256", "identity"])
codecs = st.sampled_from(["raw", 0x78, 0x90])  # builtin and extension codec codes alike


class StoreModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ac-model-"))
        self.store = BlockStore.open(self.dir)
        self.model: dict[CID, bytes] = {}
        self.known: list[CID] = []

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _remember(self, cid: CID) -> None:
        if cid not in self.known:
            self.known.append(cid)

    @rule(data=payloads, codec=codecs, hash=hashes)
    def put(self, data: bytes, codec: object, hash: str) -> None:
        cid = cid_for(data, codec, hash)  # type: ignore[arg-type]
        self.store.put(cid, data)
        self._remember(cid)
        if hash != "identity":
            self.model[cid] = data

    @rule(items=st.lists(st.tuples(payloads, hashes), max_size=8))
    def put_many(self, items: list[tuple[bytes, str]]) -> None:
        blocks = [(cid_for(d, "raw", h), d) for d, h in items]
        assert self.store.put_many(blocks) == len(blocks)
        for cid, d in blocks:
            self._remember(cid)
            if cid.hash_code != 0:
                self.model[cid] = d

    @rule(data=payloads, other=payloads)
    def put_wrong_bytes(self, data: bytes, other: bytes) -> None:
        cid = cid_for(data, "raw")
        if data != other:
            try:
                self.store.put(cid, other)
            except HashMismatch:
                return
            raise AssertionError("a block that does not match its CID was accepted")

    @rule(index=st.integers(min_value=0, max_value=1000))
    def delete(self, index: int) -> None:
        if not self.known:
            return
        cid = self.known[index % len(self.known)]
        assert self.store.delete(cid) == any(c.multihash == cid.multihash for c in self.model)
        for same in [c for c in self.model if c.multihash == cid.multihash]:
            del self.model[same]

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = BlockStore.open(self.dir)

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert set(self.store) == set(self.model)
        assert len(self.store) == len(self.model)
        by_multihash = {c.multihash: data for c, data in self.model.items()}
        for cid in self.known:
            if cid.hash_code == 0:
                assert self.store.get(cid) == cid.digest
            elif cid.multihash in by_multihash:
                assert self.store.has(cid)
                assert self.store.get(cid) == by_multihash[cid.multihash]
                stat = self.store.stat(cid)
                assert (stat.size, stat.codec) == (len(by_multihash[cid.multihash]), cid.codec)
            else:
                assert not self.store.has(cid)
                try:
                    self.store.get(cid)
                except BlockNotFound:
                    pass
                else:
                    raise AssertionError("get of a deleted block succeeded")


StoreModel.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestStoreModel = StoreModel.TestCase
