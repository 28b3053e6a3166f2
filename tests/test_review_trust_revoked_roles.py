"""A revoked index or delegation key stops the index it signed, in decisions as in updates.

``verify_set`` never counts a revoked key towards a threshold, so after ``trust revoke`` of a
stolen index key an update (or a fresh pin of the very same set version) signed by it is
refused. A decision (``resolve``, ``authorize``, ``decide_module``: what a runtime and ``serve``
use) must agree: the pinned index that key signed no longer meets its threshold, so the
entries it lists decide nothing until an index signed by unrevoked keys is applied. Real
documents, real Ed25519 keys (``tests/_world.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import NotTrusted, RevokedError
from autocodec.verify import Delegation, Role, TrustStore
from tests import _cli
from tests._world import NOW, World, key

CODE = 0x300001


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _world_with_one_of_two_index_keys() -> World:
    w = World()
    w.make_root(2, index_threshold=1)  # index-a or index-b alone signs an index
    return w


def test_a_revoked_index_key_stops_the_index_it_signed(home: Path) -> None:
    w = _world_with_one_of_two_index_keys()
    stolen = w.index_keys[0]
    m = w.manifest(publisher=key("rogue"))  # what a thief of the index key lists
    idx = w.index(1, [("codec", CODE, m)], signers=[stolen])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        module = store.resolve("codec", CODE, now=NOW).module
        store.revoke(stolen.did, "index key stolen")
        with pytest.raises(RevokedError, match="revoked"):
            store.resolve("codec", CODE, now=NOW)
        with pytest.raises(NotTrusted):  # no pinned set vouches for it any more, nor the allow-list
            store.authorize(w.blocks[m], now=NOW)
        assert store.decide_module(module, now=NOW) is None
        # the update path agrees: the same version pinned afresh is refused for the same reason
        set_id = store.sets()[0].set_id
        store.unpin(set_id)
        with pytest.raises(RevokedError):
            store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)


def test_an_index_signed_by_unrevoked_keys_serves_again(home: Path) -> None:
    w = _world_with_one_of_two_index_keys()
    m = w.manifest()
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, m)], signers=[w.index_keys[0]]), w.fetch,
                  root_cid=w.anchor, now=NOW)
        store.revoke(w.index_keys[0].did, "index key stolen")
        with pytest.raises(RevokedError):
            store.resolve("codec", CODE, now=NOW)
        set_id = store.sets()[0].set_id
        store.update(set_id, w.index(2, [("codec", CODE, m)], signers=[w.index_keys[1]]), w.fetch, now=NOW)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == m


def test_a_revoked_key_the_threshold_does_not_need_changes_nothing(home: Path) -> None:
    w = _world_with_one_of_two_index_keys()
    m = w.manifest()
    idx = w.index(1, [("codec", CODE, m)], signers=w.index_keys[:2])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        store.revoke(w.index_keys[0].did, "retired")
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == m
        assert store.authorize(w.blocks[m], now=NOW).policy == "pinned-set"


def test_a_revoked_delegated_key_stops_its_entries_and_no_others(home: Path) -> None:
    w = World()
    delegate = key("delegate")
    w.make_root(2, delegations=(Delegation("vendor", Role((delegate.did,), 1), ("codec",), ((0x300000, 0x3FFFFF),)),))
    top_m = w.manifest(codes=(0x300001,))
    vendor_m = w.manifest(codes=(0x300042,), name="vendor-codec")
    sub = w.index(1, [("codec", 0x300042, vendor_m)], role="vendor", signers=[delegate])
    top = w.index(1, [("codec", 0x300001, top_m)], delegations={"vendor": sub})
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], top, w.fetch, root_cid=w.anchor, now=NOW)
        assert store.resolve("codec", 0x300042, now=NOW).manifest_cid == vendor_m
        store.revoke(delegate.did, "vendor key stolen")
        with pytest.raises(RevokedError, match="revoked"):
            store.resolve("codec", 0x300042, now=NOW)
        with pytest.raises(NotTrusted):
            store.authorize(w.blocks[vendor_m], now=NOW)
        assert store.resolve("codec", 0x300001, now=NOW).manifest_cid == top_m  # the top index still holds
        assert store.authorize(w.blocks[top_m], now=NOW).policy == "pinned-set"


def test_a_revoked_index_key_reaches_an_open_runtime_within_the_poll(home: Path) -> None:
    import time

    from autocodec.registry import Runtime
    from autocodec.registry._resolution import Source

    w = _world_with_one_of_two_index_keys()
    stolen = w.index_keys[0]
    idx = w.index(1, [("codec", CODE, w.manifest())], signers=[stolen])
    with Runtime(home, default_set=False, offline=True) as rt:
        rt.trust.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        assert rt.resolve("codec", CODE).source == Source.EXTENSION
        with TrustStore.open(home) as other:  # another connection, as another process revokes
            other.revoke(stolen.did, "index key stolen")
        time.sleep(rt.resolver.poll_s * 3)
        res = rt.resolve("codec", CODE)
        assert res.source == Source.NONE and res.policy == "revoked", res
        assert res.refused is not None and res.refused.manifest is not None
