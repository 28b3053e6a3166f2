"""Expiry at the boundary second, on every decision path, at the ``now`` the caller gives.

A root, index or manifest whose ``expires`` is T serves at T-1 and is refused at T, as TUF's
freeze check words it (the expiry must be *higher* than the fixed start time; theupdateframework.io
specification, 5.3.10 and 5.4-5.6) and as ``verify_set`` refuses it. ``authorize`` given a
``VerifiedManifest`` (checked at some earlier time) decided with that earlier check: a manifest
expired at the decision's ``now`` was accepted (fails on the old code). Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import ExpiredError
from autocodec.verify import TrustStore, verify_manifest
from tests import _cli
from tests._world import DAY, NOW, World

CODE = 0x300001


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


@pytest.mark.parametrize("which", ["root", "index", "manifest"])
def test_resolve_serves_the_second_before_the_expiry_and_refuses_at_it(home: Path, which: str) -> None:
    w = World()
    at = NOW + 5 * DAY
    root_cid, _ = w.make_root(2, expires=at if which == "root" else NOW + 300 * DAY)
    m = w.manifest(expires=at if which == "manifest" else None)
    index = w.index(1, [("codec", CODE, m)], root=root_cid, expires=at if which == "index" else NOW + 30 * DAY)
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], index, w.fetch, root_cid=w.anchor, now=NOW)
        decision = store.resolve("codec", CODE, now=at - 1)
        assert decision.valid_until == at  # a running process decides again from this second on
        with pytest.raises(ExpiredError):
            store.resolve("codec", CODE, now=at)
        with pytest.raises(ExpiredError):  # an update started at that second agrees
            store.verify(index, w.fetch, now=at)


def test_authorize_decides_a_verified_manifest_at_its_own_now(home: Path) -> None:
    w = World()
    at = NOW + 5 * DAY
    m = w.manifest(expires=at)
    vm = verify_manifest(w.blocks[m], now=NOW)  # checked before the expiry
    with TrustStore.open(home) as store:
        store.allow(str(vm.manifest.module))
        assert store.authorize(vm, now=at - 1).policy == "allow-list:module"
        with pytest.raises(ExpiredError):
            store.authorize(w.blocks[m], now=at)
        with pytest.raises(ExpiredError):
            store.authorize(vm, now=at)
