"""The library's trust store refuses an unmarked module downgrade as ``pin update`` does.

The module-version rule (a set version may not list, for a key the pinned version lists, an
older module of the same name unless its publisher marked the rollback) ran only in the
registry's ``pin update``: a library user calling ``TrustStore.update`` (or ``pin`` of a newer
version, or ``verify`` then ``apply_update``) took the older module. The rule now runs where
every set version is applied (``apply_update``, under the write lock), and ``pin update`` runs
the same function first, before any module is fetched. Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec import CID
from autocodec.errors import ModuleDowngrade
from autocodec.verify import Index, IndexEntry, TrustStore, sign
from tests import _cli
from tests._world import DAY, NOW, World

CODE = 0x300001


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _marked_index(w: World, version: int, manifest: CID) -> CID:
    """A top index listing ``manifest`` for CODE with the publisher's downgrade mark."""
    idx = Index("test-set", "index", version, NOW + 30 * DAY, w.roots[-1][0],
                (IndexEntry("codec", CODE, manifest, downgrade=True),), {})
    cid, data = sign(idx, w.index_keys[:2])
    return w.put(cid, data)


def _pinned(store: TrustStore, w: World, high: CID) -> CID:
    store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, high)]), w.fetch, root_cid=w.anchor, now=NOW)
    return store.sets()[0].set_id


def test_update_pin_and_apply_update_refuse_an_unmarked_downgrade(home: Path) -> None:
    w = World()
    high = w.manifest(name="c", version="2.0.0")
    low = w.manifest(name="c", version="1.0.0")
    with TrustStore.open(home) as store:
        set_id = _pinned(store, w, high)
        with pytest.raises(ModuleDowngrade, match="2.0.0 to 1.0.0"):
            store.update(set_id, w.index(2, [("codec", CODE, low)]), w.fetch, now=NOW)
        with pytest.raises(ModuleDowngrade):
            store.pin(w.blocks[w.anchor], w.index(3, [("codec", CODE, low)]), w.fetch, root_cid=w.anchor, now=NOW)
        verified, anchor = store.verify(w.index(4, [("codec", CODE, low)]), w.fetch, now=NOW)
        with pytest.raises(ModuleDowngrade):
            store.apply_update(verified, anchor_envelope=anchor, now=NOW)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == high  # the pinned version keeps serving
        assert store.sets()[0].index_version == 1


def test_a_marked_downgrade_another_module_and_an_upgrade_are_applied(home: Path) -> None:
    w = World()
    high = w.manifest(name="c", version="2.0.0")
    with TrustStore.open(home) as store:
        set_id = _pinned(store, w, high)
        higher = w.manifest(name="c", version="2.1.0")
        store.update(set_id, w.index(2, [("codec", CODE, higher)]), w.fetch, now=NOW)
        other = w.manifest(name="another-codec", version="0.1.0")  # another module, not a rollback
        store.update(set_id, w.index(3, [("codec", CODE, other)]), w.fetch, now=NOW)
        back = w.manifest(name="another-codec", version="0.0.9")
        store.update(set_id, _marked_index(w, 4, back), w.fetch, now=NOW)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == back
