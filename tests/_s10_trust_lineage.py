"""A pinned set whose root lineage has an earlier root between its anchor and a stolen rotation.

Root v2 (the anchor a pin by index takes) lets one of three root keys rotate the root; v3 is a
rotation signed by root-b alone (the publisher's own); v4 is a thief's, signed by a stolen root-a
and the thief's key, handing every role to the thief, with index v2 listing the thief's codec.
A home pins v2 and updates to the thief's v4 before anyone knows; revoking root-a must then stop
the set. Real documents and Ed25519 keys (``tests/_world.py``).
"""

from __future__ import annotations

from pathlib import Path

from autocodec import CID
from autocodec.registry import Runtime
from tests._world import NOW, World, key

CODE = 0x300001


class Lineage:
    """The documents, and a home that pinned them (``pin``)."""

    def __init__(self) -> None:
        self.w = w = World()
        a, b, c = w.root_keys
        self.anchor, _ = w.make_root(2, threshold=1, signers=[a, b, c])
        self.good = w.manifest(name="good-codec")
        self.index1 = w.index(1, [("codec", CODE, self.good)])
        self.between, _ = w.make_root(3, threshold=1, signers=[b])
        self.stolen = a
        thief = key("rogue")
        self.bad = w.manifest(name="bad-codec", publisher=thief)
        self.thiefs, _ = w.make_root(4, root_keys=[thief], threshold=1, index_keys=[thief], index_threshold=1,
                                     signers=[a, thief])
        self.index2 = w.index(2, [("codec", CODE, self.bad)], signers=[thief])

    def pin(self, home: Path) -> None:
        """``home`` pins the set at v2 and takes the thief's update (nothing revoked yet)."""
        with Runtime(home, default_set=False, offline=True) as rt:
            for cid, data in self.w.blocks.items():
                rt.store.put(cid, data)
            rt.pins.add(str(self.index1), now=NOW)
            assert rt.pins.ls()[0].set_id == self.anchor
            (done,) = rt.pins.update("test-set", index=self.index2, now=NOW)
            assert not isinstance(done, Exception), done
            assert rt.trust.resolve("codec", CODE, now=NOW).manifest_cid == self.bad  # the theft worked

    def root_cids(self) -> list[CID]:
        return [self.anchor, self.between, self.thiefs]
