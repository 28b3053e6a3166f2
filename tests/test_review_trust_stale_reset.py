"""A stale verified update cannot use an older key rotation to roll a role back.

Fast-forward recovery (TUF 5.3.11) resets a role's version floor when a new root changes that
role's keys. ``apply_update`` re-checks versions under the write lock so that a ``VerifiedSet``
computed against an older state cannot roll the store back; the reset it carries must then
count only for rotations newer than the root already stored. Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import RollbackError
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World, key


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def test_a_stale_update_cannot_roll_back_through_a_rotation_the_store_already_took(home: Path) -> None:
    w = World()
    first = w.index(1)  # under root v1, index keys index-a/b/c
    new_keys = [key("extra-0"), key("extra-1")]
    root2, _ = w.make_root(2, index_keys=new_keys, index_threshold=1)  # rotates the index keys
    root3, _ = w.make_root(3, index_keys=new_keys, index_threshold=1)  # keeps them
    high = w.index(50, root=root2, signers=new_keys[:1])
    low = w.index(10, root=root3, signers=new_keys[:1])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], first, w.fetch, root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        stale, _anchor = store.verify(low, w.fetch, now=NOW)  # verified against root v1: the rotation resets "index"
        assert "index" in stale.reset
        store.update(set_id, high, w.fetch, now=NOW)  # another process: root v2, index v50
        with pytest.raises(RollbackError):  # v2 -> v3 rotates nothing: index v10 is below v50
            store.update(set_id, low, w.fetch, now=NOW)
        with pytest.raises(RollbackError):  # nor may the stale verification apply it
            store.apply_update(stale, now=NOW)
        info = store.sets()[0]
        assert (info.root_version, info.index_version) == (2, 50)


def test_a_stale_update_still_recovers_through_a_rotation_the_store_has_not_taken(home: Path) -> None:
    w = World()
    first = w.index(1)
    new_keys = [key("extra-0"), key("extra-1")]
    w.make_root(2)  # keeps the index keys
    root3, _ = w.make_root(3, index_keys=new_keys, index_threshold=1)  # rotates them
    high = w.index(50, root=w.roots[1][0])
    low = w.index(10, root=root3, signers=new_keys[:1])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], first, w.fetch, root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        stale, _anchor = store.verify(low, w.fetch, now=NOW)
        store.update(set_id, high, w.fetch, now=NOW)  # root v2, index v50 under the old keys
        store.apply_update(stale, now=NOW)  # the v3 rotation is newer than what is stored: the floor resets
        info = store.sets()[0]
        assert (info.root_version, info.index_version) == (3, 10)
