"""A root key revoked after it signed a rotation counts for nothing in that rotation either.

A thief of a threshold of a set's root keys signs a new root that hands every role (root,
index) to keys of their own, then indexes under it; the user updates (nothing is revoked yet),
learns of the theft and runs ``trust revoke`` on the stolen key. ``verify_set`` never counts a
revoked key for a root it meets from then on, but the rotation already applied stood: its new
keys are the thief's, none of them revoked, so the set kept serving the thief's modules, took
their later indexes and roots as updates, and pinned again from the state it was left in.

Each path below is a real attack on the code before this change; the guards at the end pass on
both (a key revoked before the rotation arrives, and a revoked key whose rotations had
unrevoked signers to spare). Real documents and Ed25519 keys (``tests/_world.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec import CID
from autocodec.errors import NotTrusted, RevokedError
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World, key

CODE = 0x300001


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


class Theft:
    """A set whose root v2 lets root-a alone rotate the root; a thief of root-a rotates to v3."""

    def __init__(self) -> None:
        self.w = w = World()
        a, b, c = w.root_keys
        # v2: one of three root keys rotates the root; signed by all three (spare signers)
        self.root2, _ = w.make_root(2, threshold=1, signers=[a, b, c])
        self.stolen = a
        self.good = w.manifest(name="good-codec")
        self.index1 = w.index(1, [("codec", CODE, self.good)])
        self.thief = key("rogue")
        self.bad = w.manifest(name="bad-codec", publisher=self.thief)
        self.root3, _ = w.make_root(3, root_keys=[self.thief], threshold=1, index_keys=[self.thief],
                                    index_threshold=1, signers=[a, self.thief])
        self.index2 = w.index(2, [("codec", CODE, self.bad)], signers=[self.thief])

    def pinned_and_taken_over(self, store: TrustStore) -> None:
        """Pinned at v2 and updated to the thief's v3 before anyone knew, then root-a revoked."""
        w = self.w
        store.pin(w.blocks[w.anchor], self.index1, w.fetch, root_cid=w.anchor, now=NOW)
        store.update(store.sets()[0].set_id, self.index2, w.fetch, now=NOW)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == self.bad  # the theft worked
        store.revoke(self.stolen.did, "root key stolen")


def test_a_revoked_root_key_stops_the_rotation_it_signed_in_decisions(home: Path) -> None:
    t = Theft()
    with TrustStore.open(home) as store:
        t.pinned_and_taken_over(store)
        with pytest.raises(RevokedError, match="root v3") as err:
            store.resolve("codec", CODE, now=NOW)
        assert t.stolen.did in err.value.message and "pin rm" in (err.value.hint or "")
        with pytest.raises(NotTrusted):  # no pinned set vouches for it any more, nor the allow-list
            store.authorize(t.w.blocks[t.bad], now=NOW)
        assert store.decide_module(_module_of(t), now=NOW) is None


def _module_of(t: Theft) -> CID:
    from autocodec.verify import verify_manifest

    return verify_manifest(t.w.blocks[t.bad], now=NOW).manifest.module


def test_a_revoked_root_key_stops_the_thiefs_later_indexes_and_roots(home: Path) -> None:
    t = Theft()
    w = t.w
    with TrustStore.open(home) as store:
        t.pinned_and_taken_over(store)
        set_id = store.sets()[0].set_id
        index3 = w.index(3, [("codec", CODE, t.bad)], signers=[t.thief])  # a new index, same root
        with pytest.raises(RevokedError, match="root v3"):
            store.update(set_id, index3, w.fetch, now=NOW)
        root4, _ = w.make_root(4, root_keys=[t.thief], threshold=1, index_keys=[t.thief], index_threshold=1,
                               signers=[t.thief])  # the thief rotates on, signed by keys of their own only
        with pytest.raises(RevokedError, match="root v3"):
            store.update(set_id, w.index(4, [("codec", CODE, t.bad)], root=root4, signers=[t.thief]), w.fetch,
                         now=NOW)
        with pytest.raises(RevokedError, match="root v3"):  # verify alone (what pin update runs first)
            store.verify(index3, w.fetch, now=NOW)
        assert store.sets()[0].index_version == 2


def test_a_revoked_root_key_refuses_pinning_the_set_again_from_the_state_it_was_left_in(home: Path) -> None:
    t = Theft()
    w = t.w
    with TrustStore.open(home) as store:
        t.pinned_and_taken_over(store)
        store.unpin(store.sets()[0].set_id)
        index3 = w.index(3, [("codec", CODE, t.bad)], signers=[t.thief])
        with pytest.raises(RevokedError, match="root v3"):
            store.pin(w.blocks[w.anchor], index3, w.fetch, root_cid=w.anchor, now=NOW)
        assert store.sets() == []


# --- guards: these pass on the code before the change too ------------------------------------


def test_guard_a_root_key_revoked_before_the_rotation_arrives_refuses_it(home: Path) -> None:
    t = Theft()
    w = t.w
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], t.index1, w.fetch, root_cid=w.anchor, now=NOW)
        store.revoke(t.stolen.did, "root key stolen")
        with pytest.raises(RevokedError):
            store.update(store.sets()[0].set_id, t.index2, w.fetch, now=NOW)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == t.good


def test_guard_a_revoked_root_key_with_spare_signers_changes_nothing(home: Path) -> None:
    w = World()
    a, b, c = w.root_keys
    root2, _ = w.make_root(2, signers=[a, b, c])  # threshold 2 of 3, signed by all three
    good = w.manifest()
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, good)], root=root2), w.fetch,
                  root_cid=w.anchor, now=NOW)
        store.revoke(a.did, "root key lost")
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == good
        store.update(store.sets()[0].set_id, w.index(2, [("codec", CODE, good)], root=root2), w.fetch, now=NOW)
        assert store.sets()[0].index_version == 2


def test_a_root_key_revoked_by_another_connection_reaches_an_open_runtime(tmp_path: Path) -> None:
    """The library runtime (what ``serve`` runs) keeps its decisions per generation; the
    revocation, written through another connection to the home, must end the thief's entry there
    within the trust poll interval, with no refresh."""
    import time

    from autocodec.registry import Runtime

    t = Theft()
    home = tmp_path / "home"
    with Runtime(home, default_set=False, offline=True) as rt:
        for cid, data in t.w.blocks.items():
            rt.store.put(cid, data)
        rt.pins.add(str(t.index1), now=NOW)
        (done,) = rt.pins.update("test-set", index=t.index2, now=NOW)
        assert not isinstance(done, Exception), done
        assert rt.resolve("codec", CODE).manifest == t.bad
        with TrustStore.open(home) as other:
            other.revoke(t.stolen.did, "root key stolen")
        deadline = time.monotonic() + 5
        while (now := rt.resolve("codec", CODE)).manifest == t.bad:
            assert time.monotonic() < deadline, "the revocation never reached the open runtime"
            time.sleep(0.02)
        assert now.refused is not None and "root v3" in now.reason, now


def test_a_rotation_walk_that_missed_a_root_is_not_remembered(home: Path) -> None:
    """``_rotations`` remembers a set's rotations once per process; a walk that ended at a root the
    home did not hold (removed, not fetched yet) left out the rotations before it, and was
    remembered: the revoked-key check skipped them for the life of the process."""
    t = Theft()
    with TrustStore.open(home) as store:
        t.pinned_and_taken_over(store)
        root2 = store.blocks.get(t.root2)
        assert store.blocks.delete(t.root2)
        with pytest.raises(RevokedError, match="is not in the home"):  # a gap fails closed (test_s10_trust_audit)
            store.resolve("codec", CODE, now=NOW)
        store.blocks.put(t.root2, root2)
        with pytest.raises(RevokedError, match="root v3"):
            store.resolve("codec", CODE, now=NOW)
