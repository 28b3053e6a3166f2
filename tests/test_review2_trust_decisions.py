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
from tests._world import NOW, World, key

CODE = 0x300001


@pytest.fixture(autouse=True)
def _fresh_log_stream() -> None:
    from autocodec import log

    log.configure()


def _counting_index_opens(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every index envelope ``_store`` opens from now on (the real function, counted)."""
    import autocodec.verify._store as store_module

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
