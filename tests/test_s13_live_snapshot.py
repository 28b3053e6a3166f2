"""Live trust decisions read one committed state (``TrustDatabase.snapshot``); a pin that finds
its set already at a version records the version the trust store holds; a generation ends when
what it depends on changes (trust epoch, a decision's expiry), not on its age or a refresh that
changed nothing.

A real set is published twice (v1: bencode 1.0.0, index expiring in 30 days; v2: bencode 1.0.1,
index expiring in 10 days) and v1 is pinned from a bundle path. The update to v2 is committed by
another runtime on the same home (its own connections) in the middle of a decision or a pin.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocodec.abi import Kind
from autocodec.cid import CID
from autocodec.ipvm import Executor
from autocodec.registry import Runtime, add_manifest, export_set, init_set, pin_add, publish_module, publish_set
from autocodec.registry._live import RefreshStatus
from autocodec.registry._pins import pin_update
from autocodec.registry._resolver import Resolver
from autocodec.verify import KeyRing, TrustStore
from tests._trust_world import build

WASM = Path(__file__).resolve().parents[1] / "wasm-src"
SET = "snapshot"
BENCODE = 0x63


@dataclass
class World:
    user: Path
    bundle: Path
    v1: CID
    publish_v2: Callable[[], CID]


def _world(tmp: Path) -> World:
    bundle = tmp / "set.car"
    pub = Runtime(tmp / "publisher", default_set=False)
    key = KeyRing(pub.home.keys_dir).generate("pub")
    init_set(pub, SET, [key], ["pub"])
    add_manifest(pub, SET, publish_module(pub, WASM / "bencode" / "bencode.wasm", key, version="1.0.0").manifest_cid)
    v1 = publish_set(pub, SET, [key], expires_days=30)
    export_set(pub, SET, bundle)
    pub.close()
    with Runtime(tmp / "user", default_set=False) as user:
        pin_add(user, str(bundle))

    def publish_v2() -> CID:
        """Sign v2 and put its bundle where v1 was pinned from (the set's update channel)."""
        with Runtime(tmp / "publisher", default_set=False) as again:
            add_manifest(again, SET, publish_module(again, WASM / "bencode" / "bencode.wasm", key,
                                                    version="1.0.1").manifest_cid)
            v2 = publish_set(again, SET, [key], expires_days=10)
            export_set(again, SET, bundle)
        return v2

    return World(tmp / "user", bundle, v1, publish_v2)


def _update_elsewhere(world: World) -> None:
    """Another runtime on the user's home updates the set to what the bundle now holds."""
    with Runtime(world.user, default_set=False) as other:
        [result] = pin_update(other, SET)
        assert not isinstance(result, Exception), result
        assert result.changed


class Interleaved(TrustStore):
    """A trust store that runs ``between`` once, after the decision read the serving entry and
    before it reads the set's freshness: a real update committed at the worst moment."""

    between: Callable[[], None] | None = None

    def _fresh(self, set_id: str, name: str, now: int) -> int | None:
        hook, self.between = self.between, None
        if hook is not None:
            hook()
        return super()._fresh(set_id, name, now)


def test_a_decision_never_pairs_one_versions_entry_with_the_next_ones_expiry(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.publish_v2()
    store = Interleaved.open(world.user)
    try:
        before = store.resolve("codec", BENCODE)
        assert before is not None
        store.between = lambda: _update_elsewhere(world)
        during = store.resolve("codec", BENCODE)
        assert store.between is None  # the update did run in the middle
        after = store.resolve("codec", BENCODE)
        assert after is not None and during is not None
        assert after.manifest_cid != before.manifest_cid and after.valid_until != before.valid_until
        # old code: v1's manifest with v2's (earlier) expiry, a state no commit ever held
        assert (during.manifest_cid, during.valid_until) in {(before.manifest_cid, before.valid_until),
                                                             (after.manifest_cid, after.valid_until)}
    finally:
        store.close()


def test_snapshots_nest_and_see_the_next_commit(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.publish_v2()
    store = TrustStore.open(world.user)
    try:
        with store.snapshot():
            first = store.resolve("codec", BENCODE)
            _update_elsewhere(world)
            assert store.resolve("codec", BENCODE) == first  # the outer snapshot holds
        second = store.resolve("codec", BENCODE)
        assert first is not None and second is not None and second.manifest_cid != first.manifest_cid
    finally:
        store.close()


def test_a_pin_already_at_its_version_keeps_the_newer_version_committed_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = _world(tmp_path)
    v1_bundle = tmp_path / "v1.car"
    v1_bundle.write_bytes(world.bundle.read_bytes())
    v2 = world.publish_v2()
    with Runtime(world.user, default_set=False) as user:
        pins: Any = user.pins
        fetch_modules = pins._fetch_modules
        state = {"ran": False}

        def fetch_then_update(*args: Any, **kwargs: Any) -> Any:  # after the pin read the stored version
            if not state["ran"]:
                state["ran"] = True
                _update_elsewhere(world)
            return fetch_modules(*args, **kwargs)

        monkeypatch.setattr(pins, "_fetch_modules", fetch_then_update)
        result = pin_add(user, str(v1_bundle))  # v1 again: "already at" it when it looked
        assert state["ran"] and not result.changed
        rows = user.store.read_rows("SELECT index_cid FROM registry_pins")
        assert [CID.parse(r[0]) for r in rows] == [v2]
        assert [p.index_cid for p in user.pins.ls()] == [v2]
    assert result.index_cid == world.v1


def test_a_refresh_that_finds_nothing_new_keeps_the_generation_and_one_after_a_change_does_not(
        tmp_path: Path) -> None:
    world = _world(tmp_path)
    with Runtime(world.user, default_set=False) as rt:
        served = rt.resolve("codec", BENCODE)
        gen = rt.generation()
        assert [o.status for o in rt.refresh()] == [RefreshStatus.CURRENT]
        assert rt.generation() is gen  # old code: a new one, every adapter made again
        assert gen.cached(("resolution", Kind.CODEC, BENCODE)) == served
        with TrustStore.open(world.user) as other:  # another connection revokes: the refresh sees it at once
            other.revoke(str(served.manifest), reason="test")
        assert [o.status for o in rt.refresh()] == [RefreshStatus.CURRENT]
        assert rt.generation() is not gen
        assert rt.resolve("codec", BENCODE).refused is not None


def test_a_generation_ends_when_what_it_decided_on_expires_not_when_it_is_old(tmp_path: Path) -> None:
    world = _world(tmp_path)
    with Runtime(world.user, default_set=False) as rt:
        clock, wall = [1000.0], [time.time()]
        resolver = Resolver(rt.trust, rt.sandbox, rt.fetcher, rt.limits, change_hint=rt.store.data_version,
                            clock=lambda: clock[0], wall_clock=lambda: wall[0])
        gen = resolver.generation()
        decision = resolver.resolve("codec", BENCODE)
        assert decision.module is not None and gen.expires_at < math.inf
        clock[0] += 3600.0  # an hour later, nothing changed: old code started a new one after 60 s
        assert resolver.generation() is gen
        wall[0] = gen.expires_at  # the set's index expires: the next poll ends it
        clock[0] += 1.0
        assert resolver.generation() is not gen
        assert resolver.resolve("codec", BENCODE).refused is not None


def test_an_ipvm_trust_decision_ends_its_generation_at_its_expiry(tmp_path: Path) -> None:
    world = build(tmp_path)
    with Runtime(world.user_home, default_set=False) as rt:
        decision = rt.trust.decide_module(world.task_module)
        assert decision is not None and decision.valid_until is not None
        gen = rt.generation()
        assert gen.expires_at == math.inf
        assert Executor(rt)._is_trusted(world.task_module)
        assert rt.generation() is gen and gen.expires_at == decision.valid_until  # old code: never (inf)
