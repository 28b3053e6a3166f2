"""A set document revoked by CID before it was seen is refused when an update offers it.

``trust revoke CID`` records any CID that is not already one of a pinned set's own documents
(those are unpinned, not revoked). An index or root revoked that way (a version announced as
malicious, not yet fetched) must not be taken by a later ``pin update`` or live refresh:
revocation wins over every other policy. Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import RevokedError, WrongDocument
from autocodec.verify import Delegation, Role, TrustStore
from tests import _cli
from tests._world import NOW, World, key


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _pinned(world: World, store: TrustStore) -> object:
    store.pin(world.blocks[world.anchor], world.index(1), world.fetch, root_cid=world.anchor, now=NOW)
    return store.sets()[0].set_id


def test_an_index_revoked_before_it_was_seen_is_refused(home: Path) -> None:
    w = World()
    with TrustStore.open(home) as store:
        set_id = _pinned(w, store)
        bad = w.index(2, [("codec", 0x300001, w.manifest())])
        store.revoke(str(bad), "announced as malicious")
        with pytest.raises(RevokedError, match=str(bad)):
            store.update(set_id, bad, w.fetch, now=NOW)  # type: ignore[arg-type]
        assert store.sets()[0].index_version == 1
        store.update(set_id, w.index(3), w.fetch, now=NOW)  # type: ignore[arg-type]  # another version is fine
        assert store.sets()[0].index_version == 3


def test_a_root_revoked_before_it_was_seen_is_refused(home: Path) -> None:
    w = World()
    with TrustStore.open(home) as store:
        set_id = _pinned(w, store)
        root2, _ = w.make_root(2)
        store.revoke(str(root2), "announced as malicious")
        with pytest.raises(RevokedError, match=str(root2)):
            store.update(set_id, w.index(2), w.fetch, now=NOW)  # type: ignore[arg-type]
        assert store.sets()[0].root_version == 1


def test_a_delegated_index_revoked_before_it_was_seen_is_refused(home: Path) -> None:
    w = World()
    delegate = key("delegate")
    w.make_root(2, delegations=(Delegation("vendor", Role((delegate.did,), 1), ("codec",), ((0x300000, 0x3FFFFF),)),))
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1), w.fetch, root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        sub = w.index(1, [("codec", 0x300042, w.manifest(codes=(0x300042,)))], role="vendor", signers=[delegate])
        store.revoke(str(sub), "announced as malicious")
        with pytest.raises(RevokedError, match=str(sub)):
            store.update(set_id, w.index(2, delegations={"vendor": sub}), w.fetch, now=NOW)


def test_a_pinned_sets_own_index_still_cannot_be_revoked(home: Path) -> None:
    w = World()
    with TrustStore.open(home) as store:
        _pinned(w, store)
        with pytest.raises(WrongDocument):
            store.revoke(str(w.index(1)))
