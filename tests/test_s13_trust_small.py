"""A resolution's set version and ``TrustStore.sets()`` are read from one committed state, and a
read that fails inside a snapshot is an error, never a read of another state.

The world is tests/test_s13_live_snapshot.py's: a real set, v1 pinned (bencode 1.0.0), v2 signed
(bencode 1.0.1) and applied by another runtime on the same home at the worst moment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autocodec.errors import StoreError
from autocodec.loader import Sandbox
from autocodec.registry._resolution import Resolution
from autocodec.registry._resolver import Resolver
from autocodec.store import BlockStore
from autocodec.verify import Decision, TrustStore
from tests.test_s13_live_snapshot import BENCODE, _update_elsewhere, _world


class AfterDecision(TrustStore):
    """Runs ``between`` once, right after a decision is made (before anything else is read)."""

    between: Callable[[], None] | None = None

    def resolve(self, kind: str, key: int | str, *, now: int | None = None) -> Decision | None:
        decision = super().resolve(kind, key, now=now)
        hook, self.between = self.between, None
        if hook is not None:
            hook()
        return decision


class AfterSetsRow(TrustStore):
    """Runs ``between`` once, after ``sets()`` read the pinned sets' rows and before their versions."""

    between: Callable[[], None] | None = None

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        rows = super()._rows(sql, params)
        if sql.startswith("SELECT set_id, name, root_version, index_cid FROM trust_sets"):
            hook, self.between = self.between, None
            if hook is not None:
                hook()
        return rows


def _resolved(store: TrustStore, blocks: BlockStore) -> Resolution:
    """A resolution of bencode by a new resolver (its own generation: nothing memoized)."""
    return Resolver(store, Sandbox(store.limits.sandbox), blocks, store.limits, poll_s=0.0).resolve("codec", BENCODE)


def test_a_resolutions_set_version_is_the_one_its_decision_read(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.publish_v2()
    with BlockStore.open(world.user) as blocks, AfterDecision.open(world.user, blocks=blocks) as store:
        before = _resolved(store, blocks)
        store.between = lambda: _update_elsewhere(world)
        during = _resolved(store, blocks)
        assert store.between is None  # the update ran between the decision and the version read
        after = _resolved(store, blocks)
    assert (before.version, after.version) == ("1.0.0", "1.0.1")
    assert before.set_version is not None and after.set_version is not None
    assert before.set_version < after.set_version
    # old code: 1.0.0's manifest with v2's set version (the version was read after the decision)
    assert (during.manifest, during.set_version) in {(before.manifest, before.set_version),
                                                     (after.manifest, after.set_version)}


def test_sets_reads_one_committed_state(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.publish_v2()
    store = AfterSetsRow.open(world.user)
    try:
        [before] = store.sets()
        store.between = lambda: _update_elsewhere(world)
        [during] = store.sets()
        assert store.between is None
        [after] = store.sets()
    finally:
        store.close()
    assert before.index_cid != after.index_cid and before.index_version != after.index_version
    # old code: v1's index CID beside v2's index version and expiry
    assert during in {before, after}


def test_a_read_failing_inside_a_snapshot_raises_and_never_reads_a_later_state(tmp_path: Path) -> None:
    world = _world(tmp_path)
    world.publish_v2()
    store = TrustStore.open(world.user)
    try:
        with store.snapshot():
            first = store.epoch()
            _update_elsewhere(world)  # committed after the snapshot began
            assert store.epoch() == first
            store._local.snap.close()  # a real SQLite error on the snapshot's next read
            with pytest.raises(StoreError, match="failed part way through") as caught:
                store.epoch()  # old code: read again outside the snapshot, the later epoch
            assert caught.value.hint is not None and "try again" in caught.value.hint
        assert store.epoch() > first  # the next snapshot (and read) sees the update, on a new connection
        with store.snapshot():
            assert store.epoch() > first
        decision = store.resolve("codec", BENCODE)
        assert decision is not None and decision.manifest is not None and decision.manifest.version == "1.0.1"
    finally:
        store.close()


def test_a_home_on_a_read_only_mount_still_decides(tmp_path: Path) -> None:
    """A read-only folder without the WAL files: the snapshot's connection cannot read, so the
    decision's reads go to the block store unpinned (nothing can commit there) rather than fail."""
    from tests._read_only_mount import read_only_mount

    world = _world(tmp_path)
    assert not list(world.user.rglob("*-wal")) and not list(world.user.rglob("*-shm"))
    with read_only_mount(world.user), BlockStore.open(world.user) as blocks:
        assert blocks.read_only
        with TrustStore.open(world.user, blocks=blocks) as store:
            with store.snapshot():
                assert getattr(store._local, "snap", None) is None  # it could not begin: unpinned
            resolution = _resolved(store, blocks)
            assert resolution.version == "1.0.0" and resolution.set_version == store.sets()[0].index_version
