"""``Pins.needed`` lists a lost manifest without reading it, whatever its CID's codec.

An index names its manifests by CID, and a manifest's CID is checked by its multihash only, so
a set may name one under a raw CID. ``needed`` is what ``pin repair`` (``missing``) and
``block rm`` (``guard_removal``) read: a lost manifest there must be listed, never read (reading
it raised ``BlockNotFound``, so the repair that would fetch it back failed the same way).
"""

from __future__ import annotations

from pathlib import Path

from autocodec.cid import CID
from autocodec.registry import Runtime, pin_add
from tests._world import World

RAW = 0x55


def test_a_lost_manifest_under_a_raw_cid_is_listed_as_needed_and_missing(home: Path) -> None:
    world = World()
    signed = world.manifest()
    manifest = world.put(CID.build(RAW, signed.multihash), world.blocks[signed])  # the same bytes, raw
    index = world.index(1, [("codec", 0x300001, manifest)])
    with Runtime(home, default_set=False) as rt:
        rt.store.put_many(list(world.blocks.items()))
        pin_add(rt, str(index))
        rt.store.delete(manifest)
        assert rt.pins.needed()[manifest] == "manifest of set 'test-set'"
        assert rt.pins.missing() == [manifest]
        (pin,) = rt.pins.ls()
        assert [cid for cid, _why in rt.pins.bad_blocks(pin, rt.verify_block)] == [manifest]
