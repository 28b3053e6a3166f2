"""Decisions after a revocation cost what they cost before it, and still see every revocation.

``resolve`` and ``authorize`` refuse an entry whose pinned index no longer meets its role's
threshold once revoked keys are left out (``TrustStore._still_signed``). Which role keys
validly signed a stored index never changes (both documents are content-addressed), so the
index's envelope is decoded and its signatures checked once per process, not on every decision:
a user who revoked a retired key of a 2-of-3 role must not pay a full index decode per code.
Revocations made afterwards still count at once. Real documents, real Ed25519 keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autocodec.errors import RevokedError
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World, key

CODE = 0x300001


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _counting_index_opens(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every index envelope ``_store`` opens from now on (the real function, counted)."""
    import autocodec.verify._trust_standing as store_module

    real = store_module.open_envelope
    opened: list[Any] = []

    def counted(data: bytes, kind: str, **kw: Any) -> Any:
        if kind == "index":
            opened.append(kind)
        return real(data, kind, **kw)

    monkeypatch.setattr(store_module, "open_envelope", counted)
    return opened


def test_a_revoked_key_the_threshold_does_not_need_costs_one_index_decode(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World()
    w.make_root(2, index_threshold=1)
    codes = [CODE + i for i in range(40)]
    entries = [("codec", c, w.manifest(codes=(c,), name=f"codec-{i}")) for i, c in enumerate(codes)]
    idx = w.index(1, entries, signers=w.index_keys[:2])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        store.revoke(w.index_keys[2].did, "retired: a role key that signed nothing")
        opened = _counting_index_opens(monkeypatch)
        for _ in range(3):  # a runtime's new generation resolves every code again
            for c in codes:
                assert store.resolve("codec", c, now=NOW) is not None
        for _kind, _code, m in entries:
            assert store.authorize(w.blocks[m], now=NOW).policy == "pinned-set"
        assert len(opened) <= 1, f"the pinned index was decoded {len(opened)} times for {4 * len(codes)} decisions"


def test_revocations_made_after_a_decision_still_count_at_once(home: Path) -> None:
    w = World()
    w.make_root(2, index_threshold=1)
    m = w.manifest()
    idx = w.index(1, [("codec", CODE, m)], signers=w.index_keys[:2])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        store.revoke(key("rogue").did, "unrelated")
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == m
        store.revoke(w.index_keys[0].did, "one of the two signers")
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == m  # index-b alone meets 1 of 3
        store.revoke(w.index_keys[1].did, "the other signer")
        with pytest.raises(RevokedError, match="revoked"):
            store.resolve("codec", CODE, now=NOW)
        with TrustStore.open(home) as other:  # a fresh process agrees
            with pytest.raises(RevokedError):
                other.resolve("codec", CODE, now=NOW)


# --- a legitimate user who revoked a key is served again once the publisher acts ------------


def test_a_rotation_away_from_a_revoked_key_serves_again_through_several_roots(home: Path) -> None:
    w = World()
    w.make_root(2, index_threshold=1)
    stolen = w.index_keys[0]
    m = w.manifest()
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, m)], signers=[stolen]), w.fetch,
                  root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        store.revoke(stolen.did, "index key stolen")
        with pytest.raises(RevokedError):
            store.resolve("codec", CODE, now=NOW)
        fresh = [key("extra-0"), key("extra-1"), key("extra-2")]
        w.make_root(3, index_keys=fresh, index_threshold=2)  # the stolen key rotated out, threshold raised
        w.make_root(4, index_keys=fresh[:2], index_threshold=1)  # then lowered, one key fewer
        store.update(set_id, w.index(1, [("codec", CODE, m)], signers=fresh[1:2]), w.fetch, now=NOW)
        assert store.sets()[0].root_version == 4
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == m
        assert store.authorize(w.blocks[m], now=NOW).policy == "pinned-set"


def test_a_dropped_delegation_whose_key_was_revoked_leaves_the_rest_served(home: Path) -> None:
    from autocodec.verify import Delegation, Role

    w = World()
    delegate = key("delegate")
    w.make_root(2, delegations=(Delegation("vendor", Role((delegate.did,), 1), ("codec",), ((0x300000, 0x3FFFFF),)),))
    top_m = w.manifest()
    vendor_m = w.manifest(codes=(0x300042,), name="vendor-codec")
    sub = w.index(1, [("codec", 0x300042, vendor_m)], role="vendor", signers=[delegate])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, top_m)], delegations={"vendor": sub}), w.fetch,
                  root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        store.revoke(delegate.did, "vendor key stolen")
        store.update(set_id, w.index(2, [("codec", CODE, top_m)]), w.fetch, now=NOW)  # the delegation dropped
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == top_m
        assert store.resolve("codec", 0x300042, now=NOW) is None
