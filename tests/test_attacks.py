"""The attack suite: one named test per attack on the trust layer (TUF conformance style).

Every test builds real documents signed with real Ed25519 keys, serves them through a
``fetch(cid)`` over a dict of blocks, and checks that autocodec refuses the attack with the
right ``Untrusted`` (or ``InvalidDocument``/``IntegrityError``) subclass.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import decode, encode
from autocodec.errors import (
    ConfigError,
    DelegationError,
    ExpiredError,
    FetchError,
    HashMismatch,
    InvalidDocument,
    ModuleRejected,
    NotTrusted,
    RevokedError,
    RollbackError,
    RootChainError,
    SetNotFound,
    SignatureError,
    ThresholdNotMet,
    Untrusted,
)
from autocodec.verify import (
    Delegation,
    InvalidKey,
    KeyRing,
    PublicKey,
    Role,
    Root,
    SigningKey,
    TrustedState,
    TrustStore,
    fetch_module,
    payload_type,
    trust_anchor,
    verify_manifest,
    verify_module,
    verify_set,
)
from autocodec.verify._canonical import document_cid
from autocodec.verify._ed25519 import L, P
from tests import _cli
from tests._world import DAY, NOW, YEAR, World, key, resign_envelope

REPO = Path(__file__).resolve().parents[1]


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


@pytest.fixture
def world() -> World:
    return World()


# --- rollback, freeze and rotation attacks on an update, as one data table ---------------------
#
# Each row: an attack, the refusal it must meet, and a scenario that builds it in a fresh World
# and returns (top index to verify, trusted state before the update or None for the anchor,
# the update's start time). Attacks that need a home or a clock live below the table.


def _seen(world: World, index: CID) -> TrustedState:
    """The trusted state after a client verified ``index``."""
    v = world.verify(index)
    return TrustedState(world.anchor, v.root, v.root_cid, v.versions, v.cids)


def _index_older_version(w: World) -> Scenario:
    m = w.manifest()
    v1 = w.index(1, [("codec", 0x300001, m)])
    return v1, _seen(w, w.index(2, [("codec", 0x300001, m)])), NOW


def _index_same_version_other_content(w: World) -> Scenario:
    seen = _seen(w, w.index(3, [("codec", 0x300001, w.manifest())]))
    return w.index(3, []), seen, NOW


def _root_older_version(w: World) -> Scenario:
    old_index = w.index(1)  # signed under root v1
    w.make_root(2)
    return old_index, _seen(w, w.index(2)), NOW


def _lower_index_under_higher_root(w: World) -> Scenario:
    seen = _seen(w, w.index(5))
    w.make_root(2)
    return w.index(4), seen, NOW  # a newer root does not license an older index


def _expired_index(w: World) -> Scenario:
    return w.index(1, expires=NOW), None, NOW  # expiry is judged at the update's start: NOW - 1 would pass


def _expired_root(w: World) -> Scenario:
    w.make_root(2, expires=NOW - 1)
    return w.index(1), None, NOW


def _expired_manifest(w: World) -> Scenario:
    return w.index(1, [("codec", 0x300001, w.manifest(expires=NOW - 1))]), None, NOW


_NEW_ROOT_KEYS = ("extra-0", "extra-1", "extra-2")


def _rotation_without_old_keys(w: World) -> Scenario:
    new = [key(n) for n in _NEW_ROOT_KEYS]
    w.make_root(2, root_keys=new, signers=new[:2])
    return w.index(1), None, NOW


def _rotation_without_new_keys(w: World) -> Scenario:
    w.make_root(2, root_keys=[key(n) for n in _NEW_ROOT_KEYS], signers=w.root_keys[:2])
    return w.index(1), None, NOW


def _root_jump(w: World) -> Scenario:
    w.make_root(3, previous=w.root_cid)
    return w.index(1), None, NOW


def _root_fork(w: World) -> Scenario:
    fork, _ = w.make_root(1, expires=NOW + 2 * YEAR)
    return w.index(1, root=fork), None, NOW


def _root_of_another_set(w: World) -> Scenario:
    w.make_root(2, set_name="other-set")
    return w.index(1), None, NOW


Scenario = tuple[CID, "TrustedState | None", int]

UPDATE_ATTACKS: list[tuple[str, type[Exception], Callable[[World], Scenario]]] = [
    ("rollback-index-to-older-version", RollbackError, _index_older_version),
    ("rollback-index-same-version-different-content", RollbackError, _index_same_version_other_content),
    ("rollback-root-to-older-version", RollbackError, _root_older_version),
    ("rollback-lower-index-under-higher-root", RollbackError, _lower_index_under_higher_root),
    ("freeze-expired-index-at-fixed-start-time", ExpiredError, _expired_index),
    ("freeze-expired-root", ExpiredError, _expired_root),
    ("freeze-expired-manifest", ExpiredError, _expired_manifest),
    ("rotation-without-old-root-keys", ThresholdNotMet, _rotation_without_old_keys),
    ("rotation-without-new-root-keys", ThresholdNotMet, _rotation_without_new_keys),
    ("rotation-jump-n-to-n-plus-2", RootChainError, _root_jump),
    ("rotation-fork-same-version", RootChainError, _root_fork),
    ("rotation-root-of-another-set", RootChainError, _root_of_another_set),
]


@pytest.mark.parametrize("scenario, refusal", [(s, e) for _, e, s in UPDATE_ATTACKS],
                         ids=[name for name, _, _ in UPDATE_ATTACKS])
def test_update_attack_refused(world: World, scenario: Callable[[World], Scenario], refusal: type[Exception]) -> None:
    index, state, now = scenario(world)
    with pytest.raises(refusal):
        world.verify(index, state, now=now)


def test_update_attack_table_scenarios_verify_without_the_attack(world: World) -> None:
    """The table's fixtures are sound: the same world verifies an honest update (so each row
    fails only because of its attack), and an expired index verifies one second earlier."""
    world.verify(world.index(1))
    world.verify(world.index(2, expires=NOW), now=NOW - 1)


FREEZES = [(name, scenario) for name, refusal, scenario in UPDATE_ATTACKS if refusal is ExpiredError]


@pytest.mark.parametrize("scenario", [s for _, s in FREEZES], ids=[name for name, _ in FREEZES])
def test_an_expiry_is_said_as_a_date(world: World, scenario: Callable[[World], Scenario]) -> None:
    """The refusal named its times as seconds since 1970 ("expired at 1796431502; the update
    started at 1796431600"); a user reads a date."""
    index, state, now = scenario(world)
    with pytest.raises(ExpiredError) as info:
        world.verify(index, state, now=now)
    assert re.search(r"expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info.value.message), info.value.message


# --- rollback ---------------------------------------------------------------------------------


def test_fast_forward_recovered_by_rotating_index_keys(world: World, home: Path) -> None:
    """Stolen index keys pushed version 1000; rotating the index keys in a new root recovers."""
    with TrustStore.open(home) as store:
        v1 = store.pin(world.blocks[world.anchor], world.index(1000), world.fetch, root_cid=world.anchor, now=NOW)
        with pytest.raises(RollbackError):  # without rotation the floor holds
            store.update(v1.set_id, world.index(2), world.fetch, now=NOW)
        new_index_keys = [key("extra-3"), key("extra-4"), key("extra-5")]
        world.make_root(2, index_keys=new_index_keys)
        recovered = store.update(v1.set_id, world.index(2, signers=new_index_keys[:2]), world.fetch, now=NOW)
        assert recovered.reset == {"index"}
        assert store.state(v1.set_id).versions["index"] == 2
        # the old keys cannot sign any more, and the floor holds again from here on
        with pytest.raises(ThresholdNotMet):
            store.update(v1.set_id, world.index(3), world.fetch, now=NOW)
        with pytest.raises(RollbackError):
            store.update(v1.set_id, world.index(1, signers=new_index_keys[:2]), world.fetch, now=NOW)


# --- freeze -----------------------------------------------------------------------------------


def test_freeze_uses_one_fixed_time_for_the_whole_update(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    idx = world.index(1, expires=NOW + 10)
    clock = iter(range(NOW, NOW + 1000, 5))
    monkeypatch.setattr(time_module, "time", lambda: next(clock))
    # the clock advances past the expiry while verifying; the start time alone decides
    verified = verify_set(world.state(), idx, world.fetch)
    assert verified.checked_at == NOW


@pytest.mark.parametrize("refusal", ["expired", "revoked"])
def test_a_code_whose_serving_set_is_refused_is_not_taken_over_by_another_pinned_set(
        world: World, home: Path, refusal: str) -> None:
    """Set A, pinned first, serves a code that set B lists too (the user was told B does not
    serve it). When A's entry was refused (A's index lapsed, its updates withheld; or its
    manifest revoked), B's module served the code unasked: a freeze of A handed the code to B.
    Now A's refusal is raised until the user lets B take over."""
    mine = world.manifest()
    index_a = world.index(1, [("codec", 0x300001, mine)], expires=NOW + DAY)
    root_b, _ = world.make_root(1, root_keys=[key("extra-3"), key("extra-4"), key("extra-5")], set_name="other-set")
    theirs = world.manifest(name="theirs", module=world.module + b"\x02")
    index_b = world.index(1, [("codec", 0x300001, theirs)], root=root_b, expires=NOW + YEAR, set_name="other-set")
    later = NOW + DAY if refusal == "expired" else NOW
    with TrustStore.open(home) as store:
        store.pin(world.blocks[world.anchor], index_a, world.fetch, root_cid=world.anchor, now=NOW)
        b = store.pin(world.blocks[root_b], index_b, world.fetch, root_cid=root_b, now=NOW)
        assert store.resolve("codec", 0x300001, now=NOW).manifest_cid == mine
        if refusal == "revoked":
            store.revoke(str(mine), "bad build")
        with pytest.raises(ExpiredError if refusal == "expired" else RevokedError) as info:
            store.resolve("codec", 0x300001, now=later)
        assert "set 'other-set' lists it too" in info.value.hint
        store.set_override(b.set_id, now=later)  # the user's decision
        assert store.resolve("codec", 0x300001, now=later).manifest_cid == theirs


def test_freeze_stored_set_expired_decides_nothing(world: World, home: Path) -> None:
    m = world.manifest()
    idx = world.index(1, [("codec", 0x300001, m)], expires=NOW + DAY)
    with TrustStore.open(home) as store:
        store.pin(world.blocks[world.anchor], idx, world.fetch, root_cid=world.anchor, now=NOW)
        assert store.resolve("codec", 0x300001, now=NOW).manifest_cid == m
        with pytest.raises(ExpiredError):
            store.resolve("codec", 0x300001, now=NOW + DAY)


def test_freeze_a_running_resolver_stops_serving_a_set_when_its_index_expires(world: World, home: Path) -> None:
    """A decision kept by a running process ends with the documents it relied on: at the index's
    expiry the next resolution is refused, though no trust write happened and the generation is
    young (it used to be kept for up to a minute past the expiry)."""
    from autocodec.loader import Sandbox
    from autocodec.registry import Resolver
    from autocodec.store import BlockStore

    m = world.manifest()
    expires = NOW + DAY
    wall = [float(NOW)]
    with BlockStore.open(home) as blocks, TrustStore.open(home, blocks=blocks) as store:
        store.pin(world.blocks[world.anchor], world.index(1, [("codec", 0x300001, m)], expires=expires),
                  world.fetch, root_cid=world.anchor, now=NOW)
        resolver = Resolver(store, Sandbox(store.limits.sandbox), blocks, store.limits, poll_s=0.0,
                            wall_clock=lambda: wall[0])
        assert resolver.resolve("codec", 0x300001).manifest == m
        wall[0] = expires - 1
        assert resolver.resolve("codec", 0x300001).manifest == m
        wall[0] = expires
        refused = resolver.resolve("codec", 0x300001)
        assert refused.module is None and refused.policy == "expired", refused


@pytest.mark.slow
def test_freeze_a_running_runtime_stops_serving_a_set_at_its_expiry_in_real_time(world: World, home: Path) -> None:
    """The same with the real clock and a real runtime: a set whose index expires a few seconds
    from now serves until then and is refused after, with no write, refresh or restart."""
    import time

    from autocodec.registry import Runtime

    m = world.manifest()
    expires = int(time.time()) + 8
    with Runtime(home, default_set=False) as rt:
        rt.trust.pin(world.blocks[world.anchor], world.index(1, [("codec", 0x300001, m)], expires=expires),
                     world.fetch, root_cid=world.anchor)
        rt.trust_changed()
        assert rt.resolve("codec", 0x300001).manifest == m
        while time.time() < expires + 0.2:
            time.sleep(0.2)
        refused = rt.resolve("codec", 0x300001)
        assert refused.module is None and refused.policy == "expired", refused


# --- mix and match, arbitrary software, endless data -------------------------------------------


def test_mix_and_match_manifest_from_other_set_version_refused(world: World) -> None:
    old = world.manifest(version="1.0.0")
    new = world.manifest(version="1.1.0", module=world.module + b"\x00")
    world.index(1, [("codec", 0x300001, old)])
    v2 = world.index(2, [("codec", 0x300001, new)])
    # a mirror answers the v2 manifest's CID with the v1 manifest
    world.blocks[new] = world.blocks[old]
    with pytest.raises(HashMismatch):
        world.verify(v2)


def test_arbitrary_software_module_bytes_not_matching_cid_refused(world: World) -> None:
    m = world.manifest()
    vm = verify_manifest(world.blocks[m], now=NOW)
    evil = bytearray(world.module)
    evil[-1] ^= 0x01
    with pytest.raises(HashMismatch):
        verify_module(vm.manifest, bytes(evil))
    world.blocks[vm.manifest.module] = bytes(evil)
    with pytest.raises(HashMismatch):
        fetch_module(vm.manifest, world.fetch)
    assert fetch_module(vm.manifest, lambda c: world.module) == world.module


def test_endless_data_oversized_document_aborted_at_cap(world: World) -> None:
    idx = world.index(1)
    cap = 1 << 20
    read = 0

    def endless(_cid: CID):
        nonlocal read
        while True:
            read += 65536
            yield b"\xa0" * 65536

    with pytest.raises(InvalidDocument, match="cap"):
        verify_set(world.state(), idx, endless, now=NOW)
    assert read <= cap + 65536  # stopped at the cap, not at the end of the (endless) stream


def test_endless_data_oversized_module_aborted_at_manifest_size(world: World) -> None:
    vm = verify_manifest(world.blocks[world.manifest()], now=NOW)
    pulled = 0

    class Endless:
        def read(self, n: int) -> bytes:
            nonlocal pulled
            pulled = n
            return world.module + b"\x00" * (n - len(world.module))

    with pytest.raises(ModuleRejected):
        fetch_module(vm.manifest, lambda c: Endless())
    assert pulled == vm.manifest.size + 1


def test_endless_data_oversized_test_vectors_aborted_at_cap(world: World) -> None:
    from autocodec.verify import fetch_vectors

    vectors = encode([{"input": b"blob 0\x00", "output": {"kind": "blob"}}], "dag-cbor")
    vcid = world.put(document_cid(vectors), vectors)
    vm = verify_manifest(world.blocks[world.manifest(vectors=vcid)], now=NOW)
    assert fetch_vectors(vm.manifest, world.fetch) == vectors
    pulled = 0

    def endless(_cid: CID):
        nonlocal pulled
        while True:
            pulled += 1 << 20
            yield b"\0" * (1 << 20)

    with pytest.raises(InvalidDocument, match="cap"):
        fetch_vectors(vm.manifest, endless)
    assert pulled <= (16 << 20) + (1 << 20)


def test_endless_data_manifest_claiming_huge_module_refused(world: World) -> None:
    with pytest.raises(InvalidDocument, match="size"):
        world.manifest(size=(8 << 20) + 1)


# --- signatures and thresholds -------------------------------------------------------------------


def test_threshold_not_met_for_index(world: World) -> None:
    idx = world.index(1, signers=world.index_keys[:1])
    with pytest.raises(ThresholdNotMet):
        world.verify(idx)


def test_duplicate_signatures_of_one_key_counted_once(world: World) -> None:
    k = world.index_keys[0]
    idx = world.index(1, signers=[k, k, k])
    with pytest.raises(ThresholdNotMet):
        world.verify(idx)


def test_signature_by_untrusted_key_does_not_count(world: World) -> None:
    idx = world.index(1, signers=[world.index_keys[0], key("rogue")])
    with pytest.raises(ThresholdNotMet):
        world.verify(idx)


def test_signature_from_other_document_does_not_verify(world: World) -> None:
    idx = world.index(1)
    env = decode(world.blocks[idx], "dag-cbor")
    doc = decode(env["payload"], "dag-cbor")
    doc["expires"] += YEAR  # an attacker extends the expiry, keeping the signatures
    env["payload"] = encode(doc, "dag-cbor")
    data = encode(env, "dag-cbor")
    forged = world.put(document_cid(data), data)
    with pytest.raises(ThresholdNotMet):
        world.verify(forged)


def test_revoked_key_signature_not_counted(world: World) -> None:
    idx = world.index(1)
    state = world.state()
    revoked = TrustedState(state.set_id, state.root, state.root_cid, state.versions, state.cids,
                           frozenset({world.index_keys[0].did}))
    with pytest.raises(RevokedError):
        world.verify(idx, revoked)


def test_revoked_manifest_refused(world: World, home: Path) -> None:
    m = world.manifest()
    idx = world.index(1, [("codec", 0x300001, m)])
    with TrustStore.open(home) as store:
        store.pin(world.blocks[world.anchor], idx, world.fetch, root_cid=world.anchor, now=NOW)
        store.revoke(str(m), "compromised build")
        with pytest.raises(RevokedError):
            store.resolve("codec", 0x300001, now=NOW)
        with pytest.raises(RevokedError):
            store.authorize(world.blocks[m], now=NOW)


def test_revoked_publisher_key_refused_even_if_allow_listed(world: World, home: Path) -> None:
    m = world.manifest()
    with TrustStore.open(home) as store:
        store.allow(world.publisher.did)
        assert store.authorize(world.blocks[m], now=NOW).policy.startswith("allow-list:publisher")
        store.revoke(world.publisher.did)
        with pytest.raises(RevokedError):
            store.authorize(world.blocks[m], now=NOW)


def test_manifest_not_signed_by_its_publisher_refused(world: World) -> None:
    m = world.manifest(signers=[key("rogue")])
    with pytest.raises(ThresholdNotMet):
        verify_manifest(world.blocks[m], now=NOW)


# --- delegations -------------------------------------------------------------------------------


def _delegated_world(world: World) -> tuple[SigningKey, Delegation]:
    d = key("delegate")
    dele = Delegation("vendor", Role((d.did,), 1), ("codec",), ((0x300000, 0x3FFFFF),))
    world.make_root(2, delegations=(dele,))
    return d, dele


def test_delegation_inside_its_range_accepted(world: World) -> None:
    d, _ = _delegated_world(world)
    m = world.manifest(codes=(0x300042,))
    sub = world.index(1, [("codec", 0x300042, m)], role="vendor", signers=[d])
    top = world.index(1, delegations={"vendor": sub})
    verified = world.verify(top)
    assert verified.entries[("codec", 0x300042)] == ("delegation/vendor", m)
    assert verified.versions["delegation/vendor"] == 1


def test_delegation_used_outside_its_range_refused(world: World) -> None:
    d, _ = _delegated_world(world)
    m = world.manifest(codes=(0x78,))  # git-raw: not the vendor's to hand out
    sub = world.index(1, [("codec", 0x78, m)], role="vendor", signers=[d])
    top = world.index(1, delegations={"vendor": sub})
    with pytest.raises(DelegationError):
        world.verify(top)


def test_delegation_used_for_another_kind_refused(world: World) -> None:
    d, _ = _delegated_world(world)
    m = world.manifest(kind="hasher", codes=(0x300042,))
    sub = world.index(1, [("hasher", 0x300042, m)], role="vendor", signers=[d])
    top = world.index(1, delegations={"vendor": sub})
    with pytest.raises(DelegationError):
        world.verify(top)


def test_delegated_index_signed_by_wrong_key_refused(world: World) -> None:
    _delegated_world(world)
    m = world.manifest(codes=(0x300042,))
    sub = world.index(1, [("codec", 0x300042, m)], role="vendor", signers=[key("rogue")])
    top = world.index(1, delegations={"vendor": sub})
    with pytest.raises(ThresholdNotMet):
        world.verify(top)


def test_index_pinning_undefined_delegation_refused(world: World) -> None:
    d = key("delegate")
    sub = world.index(1, [], role="vendor", signers=[d])
    top = world.index(1, delegations={"vendor": sub})
    with pytest.raises(DelegationError):
        world.verify(top)


# --- role confusion (issue 16, item 5): a role's name never reaches another role's state ---------


@pytest.mark.parametrize("name", ["root", "index"])
def test_delegation_named_like_a_top_role_refused(world: World, name: str) -> None:
    dele = Delegation(name, Role((key("delegate").did,), 1), ("codec",), ((0x300000, 0x3FFFFF),))
    with pytest.raises(InvalidDocument, match="reserved"):
        world.make_root(2, delegations=(dele,))
        world.verify(world.index(1))


@pytest.mark.parametrize("name", ["root", "index"])
def test_index_pinning_a_delegated_index_under_a_top_role_name_refused(world: World, name: str) -> None:
    sub = world.index(1, [], role="vendor", signers=[key("delegate")])
    with pytest.raises(InvalidDocument, match="reserved"):
        world.verify(world.index(1, delegations={name: sub}))


def test_delegated_key_signing_a_huge_version_cannot_freeze_the_set(world: World, home: Path) -> None:
    """One delegated key signs version 10**9 of its index: the root's and the top index's
    floors are untouched, so the owners' next root and index are still accepted."""
    d, _ = _delegated_world(world)
    with TrustStore.open(home) as store:
        first = store.pin(world.blocks[world.anchor], world.index(1), world.fetch, root_cid=world.anchor, now=NOW)
        huge = world.index(10**9, [], role="vendor", signers=[d])
        after = store.update(first.set_id, world.index(2, delegations={"vendor": huge}), world.fetch, now=NOW)
        versions = store.state(after.set_id).versions
        assert versions["delegation/vendor"] == 10**9
        assert versions["root"] == 2 and versions["index"] == 2
        world.make_root(3, delegations=world.roots[-1][1].delegations)
        moved = store.update(first.set_id, world.index(3), world.fetch, now=NOW)
        assert moved.root.version == 3 and store.state(first.set_id).versions["root"] == 3


def test_delegated_index_presented_as_the_top_index_refused(world: World) -> None:
    d, _ = _delegated_world(world)
    sub = world.index(1, [], role="vendor", signers=[d])
    with pytest.raises((ThresholdNotMet, InvalidDocument)):  # not signed by the index keys, role "vendor"
        world.verify(sub)
    posing = world.index(1, [], role="index", signers=[d])  # claims the top role; wrong keys
    with pytest.raises(ThresholdNotMet):
        world.verify(posing)


def test_top_index_presented_as_a_delegated_index_refused(world: World) -> None:
    _delegated_world(world)
    top_v1 = world.index(1)  # signed by the index keys, role "index"
    with pytest.raises((ThresholdNotMet, InvalidDocument)):
        world.verify(world.index(2, delegations={"vendor": top_v1}))


def test_delegation_versions_are_kept_per_delegation(world: World, home: Path) -> None:
    """Two delegations' floors never mix: v5 of one does not raise the other's floor."""
    a, b = key("delegate"), key("extra-0")
    dels = (Delegation("alpha", Role((a.did,), 1), ("codec",), ((0x300000, 0x30FFFF),)),
            Delegation("beta", Role((b.did,), 1), ("codec",), ((0x310000, 0x31FFFF),)))
    world.make_root(2, delegations=dels)
    with TrustStore.open(home) as store:
        subs = {"alpha": world.index(5, [], role="alpha", signers=[a]), "beta": world.index(1, [], role="beta",
                                                                                          signers=[b])}
        first = store.pin(world.blocks[world.anchor], world.index(1, delegations=subs), world.fetch,
                          root_cid=world.anchor, now=NOW)
        assert store.state(first.set_id).versions["delegation/beta"] == 1
        subs["beta"] = world.index(2, [], role="beta", signers=[b])
        store.update(first.set_id, world.index(2, delegations=subs), world.fetch, now=NOW)
        with pytest.raises(RollbackError):
            subs["alpha"] = world.index(4, [], role="alpha", signers=[a])
            store.update(first.set_id, world.index(3, delegations=subs), world.fetch, now=NOW)


def test_one_delegations_index_presented_as_anothers_refused(world: World) -> None:
    a, b = key("delegate"), key("extra-0")
    dels = (Delegation("alpha", Role((a.did,), 1), ("codec",), ((0x300000, 0x30FFFF),)),
            Delegation("beta", Role((b.did,), 1), ("codec",), ((0x310000, 0x31FFFF),)))
    world.make_root(2, delegations=dels)
    alphas = world.index(1, [], role="alpha", signers=[a])
    with pytest.raises((ThresholdNotMet, InvalidDocument)):  # beta's keys did not sign it, and its role is alpha
        world.verify(world.index(1, delegations={"beta": alphas}))
    relabelled = world.index(1, [], role="beta", signers=[a])  # alpha's key signing as beta
    with pytest.raises(ThresholdNotMet):
        world.verify(world.index(1, delegations={"beta": relabelled}))


def test_root_keys_cannot_act_as_the_index_role(world: World) -> None:
    """Roles are key sets, not privileges: the root keys sign no index unless the root names
    them as index keys too."""
    with pytest.raises(ThresholdNotMet):
        world.verify(world.index(1, signers=world.root_keys[:2]))


def test_index_of_the_root_role_type_refused(world: World) -> None:
    """A top index claiming the role name "root" is not the top index."""
    with pytest.raises((InvalidDocument, ThresholdNotMet)):
        world.verify(world.index(1, role="root"))


# --- root rotation -------------------------------------------------------------------------------


def test_root_rotation_signed_by_old_and_new_keys_accepted(world: World) -> None:
    new_keys = [key("extra-0"), key("extra-1"), key("extra-2")]
    world.make_root(2, root_keys=new_keys, signers=[*world.root_keys[:2], *new_keys[:2]])
    world.make_root(3, root_keys=new_keys, signers=new_keys[:2])
    verified = world.verify(world.index(1))
    assert verified.root.version == 3 and verified.versions["root"] == 3


def test_root_chain_longer_than_cap_refused(world: World) -> None:
    for v in range(2, 6):
        world.make_root(v)
    from dataclasses import replace

    from autocodec.config import TrustLimits

    with pytest.raises(RootChainError):
        verify_set(world.state(), world.index(1), world.fetch, now=NOW, limits=replace(TrustLimits(), max_root_chain=3))


def test_pinned_root_not_signed_by_its_own_keys_refused(world: World) -> None:
    cid, _ = world.make_root(1, signers=[key("rogue")])
    with pytest.raises(ThresholdNotMet):
        trust_anchor(world.blocks[cid], cid=cid)


# --- keys and encodings ----------------------------------------------------------------------------


def _small_order_encodings() -> list[bytes]:
    """All encodings of the 8 points of order dividing 8, canonical and not.

    y coordinates of the torsion points: 1 (identity), p-1 (order 2), 0 (order 4, x = +-sqrt(-1))
    and the two order-8 ones (RFC 8032 curve constants; list as in libsodium's blocklist).
    """
    y8 = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
    ys = [1, P - 1, 0, y8, P - y8]
    encodings = []
    for y in ys:
        for bit in (0, 1):
            encodings.append((y | (bit << 255)).to_bytes(32, "little"))
    for y in (0, 1):  # non-canonical: y + p still fits in 255 bits
        for bit in (0, 1):
            encodings.append(((y + P) | (bit << 255)).to_bytes(32, "little"))
    return encodings


def test_small_order_keys_refused() -> None:
    from autocodec.verify._ed25519 import _decode_point, is_small_order

    canonical = {_decode_point(e) for e in _small_order_encodings()} - {None}
    assert len(canonical) == 8 and all(is_small_order(pt) for pt in canonical)  # the whole torsion group
    for enc in _small_order_encodings():
        with pytest.raises(InvalidKey):
            PublicKey(enc)


def test_identity_key_forgery_refused_though_cryptography_accepts_it() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    identity = (1).to_bytes(32, "little")
    forged = identity + bytes(32)  # R = identity, S = 0: "valid" for every message
    Ed25519PublicKey.from_public_bytes(identity).verify(forged, b"any message")  # the library accepts
    with pytest.raises(InvalidKey):
        PublicKey(identity)


def test_small_order_key_in_root_document_refused(world: World) -> None:
    from autocodec.cid import b58encode

    bad_did = "did:key:z" + b58encode(b"\xed\x01" + (1).to_bytes(32, "little"))
    value = world.roots[0][1].to_value()
    value["roles"]["index"]["keys"] = [bad_did]
    value["roles"]["index"]["threshold"] = 1
    with pytest.raises(InvalidDocument, match="small order"):
        Root.from_value(value, max_keys=64, max_delegations=64)


def test_malformed_did_key_refused() -> None:
    good = key("root-a").did
    for bad in ["", "did:key:", "did:web:example.com", good[:-1], good + "1", good.replace("z6Mk", "z6Mz"),
                "did:key:z0OIl", "did:key:z" + "1" * 200]:
        with pytest.raises(InvalidKey):
            PublicKey.from_did(bad)


def test_signature_malleability_s_plus_l_refused() -> None:
    k = key("root-a")
    msg = b"message"
    sig = k.sign(msg)
    assert k.public.verify(sig, msg)
    s = int.from_bytes(sig[32:], "little")
    malleated = sig[:32] + (s + L).to_bytes(32, "little")
    assert not k.public.verify(malleated, msg)


def test_non_canonical_dag_cbor_payload_refused_before_signature_check(world: World) -> None:
    idx = world.index(1)
    env = decode(world.blocks[idx], "dag-cbor")
    payload: bytes = env["payload"]
    # re-encode the version (an int < 24) with a one-byte argument: same value, other bytes
    doc = decode(payload, "dag-cbor")
    needle = b"\x67version" + bytes([doc["version"]])
    assert needle in payload
    loose = payload.replace(needle, b"\x67version\x18" + bytes([doc["version"]]))
    cid, data = resign_envelope(world.blocks[idx], world.index_keys[:2], payload=loose)
    world.put(cid, data)  # validly signed by the index keys, over non-canonical bytes
    with pytest.raises(InvalidDocument, match="canonical|minimal"):
        world.verify(cid)


def test_non_canonical_envelope_refused(world: World) -> None:
    idx = world.index(1)
    data = world.blocks[idx]
    assert data[0] == 0xA3  # map(3)
    loose = b"\xb8\x03" + data[1:]  # the same map with a one-byte length argument
    cid = world.put(document_cid(loose), loose)
    with pytest.raises(InvalidDocument, match="canonical|minimal"):
        world.verify(cid)


def test_cross_document_replay_wrong_type_tag_refused(world: World) -> None:
    # a manifest signature presented as an index signature: the index keys' signatures are valid
    # over the manifest type, but the index check uses the index type tag
    idx = world.index(1)
    payload = decode(world.blocks[idx], "dag-cbor")["payload"]
    cid, data = resign_envelope(world.blocks[idx], world.index_keys[:2], ptype=payload_type("manifest"),
                                 payload=payload)
    world.put(cid, data)
    with pytest.raises(SignatureError):
        world.verify(cid)
    # relabelled as an index, the signatures (made over the manifest tag) do not verify
    env = decode(data, "dag-cbor")
    env["payloadType"] = payload_type("index")
    relabelled = encode(env, "dag-cbor")
    world.put(document_cid(relabelled), relabelled)
    with pytest.raises(ThresholdNotMet):
        world.verify(document_cid(relabelled))


def test_key_file_with_loose_permissions_refused(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.generate("alice")
    (tmp_path / "keys" / "alice.pem").chmod(0o644)
    with pytest.raises(ConfigError, match="too open"):
        ring.load("alice")
    (tmp_path / "keys" / "alice.pem").chmod(0o600)
    assert ring.load("alice").did == ring.did("alice")


# --- trust policy ---------------------------------------------------------------------------------


def test_validly_signed_module_in_no_pinned_set_refused(world: World, home: Path) -> None:
    m = world.manifest()
    with TrustStore.open(home) as store:
        with pytest.raises(NotTrusted):
            store.authorize(world.blocks[m], now=NOW)
        assert store.resolve("codec", 0x300001, now=NOW) is None


def test_allow_listed_publisher_outside_its_code_range_refused(world: World, home: Path) -> None:
    m = world.manifest(codes=(0x78,))
    with TrustStore.open(home) as store:
        store.allow(world.publisher.did, ((0x300000, 0x3FFFFF),))
        with pytest.raises(NotTrusted):
            store.authorize(world.blocks[m], now=NOW)


def test_identity_multihash_module_refused(world: World) -> None:
    identity_cid = CID.build(0x55, b"\x00" + bytes([len(world.module[:32])]) + world.module[:32])
    m = world.manifest(module_cid_override=identity_cid)
    with pytest.raises(HashMismatch, match="identity"):
        verify_manifest(world.blocks[m], now=NOW)


def test_wrong_abi_version_refused(world: World) -> None:
    m = world.manifest(abi=2)
    with pytest.raises(ModuleRejected):
        verify_manifest(world.blocks[m], now=NOW)


def test_index_listing_a_code_twice_refused(world: World) -> None:
    m = world.manifest()
    with pytest.raises(InvalidDocument, match="twice"):
        world.index(1, [("codec", 0x300001, m), ("codec", 0x300001, m)])
    # also when the duplicate hides in a delegated index
    d, _ = _delegated_world(world)
    sub = world.index(1, [("codec", 0x300001, m)], role="vendor", signers=[d])
    top = world.index(1, [("codec", 0x300001, m)], delegations={"vendor": sub})
    with pytest.raises(InvalidDocument, match="twice"):
        world.verify(top)


def test_manifest_kind_disagreeing_with_index_entry_refused(world: World) -> None:
    m = world.manifest(kind="hasher", codes=(0x300001,))
    idx = world.index(1, [("codec", 0x300001, m)])
    with pytest.raises(NotTrusted, match="hasher"):
        world.verify(idx)


def test_manifest_codes_disagreeing_with_index_entry_refused(world: World) -> None:
    m = world.manifest(codes=(0x300002,))
    idx = world.index(1, [("codec", 0x300001, m)])
    with pytest.raises(NotTrusted):
        world.verify(idx)


def test_index_of_another_set_refused(world: World) -> None:
    other_keys = [key("extra-3"), key("extra-4"), key("extra-5")]
    other_root, _ = world.make_root(1, root_keys=other_keys, set_name="other-set")
    foreign = world.index(1, root=other_root)  # same index keys, but under another set's root
    with pytest.raises(Untrusted):
        world.verify(foreign)


# --- crash safety -----------------------------------------------------------------------------------


_CRASH_CHILD = textwrap.dedent(
    """
    import os, pickle, signal, sys
    from autocodec.verify import TrustStore
    from autocodec.verify import _store

    home, payload = sys.argv[1], sys.argv[2]
    with open(payload, "rb") as fh:
        verified = pickle.load(fh)
    real = _store.TrustStore._write_entries

    def die_half_way(self, conn, v):
        real(self, conn, v)  # entries written, transaction not committed
        os.kill(os.getpid(), signal.SIGKILL)

    _store.TrustStore._write_entries = die_half_way
    store = TrustStore.open(home)
    store.apply_update(verified, now=1800000000)
    print("not reached")
    """
)


@pytest.mark.slow
def test_crash_during_update_keeps_old_state(world: World, home: Path, tmp_path: Path) -> None:
    import pickle

    m1 = world.manifest()
    m2 = world.manifest(codes=(0x300002,), name="second", module=world.module + b"\x01")
    with TrustStore.open(home) as store:
        v1 = store.pin(world.blocks[world.anchor], world.index(1, [("codec", 0x300001, m1)]), world.fetch,
                       root_cid=world.anchor, now=NOW)
        v2 = verify_set(store.state(v1.set_id), world.index(2, [("codec", 0x300002, m2)]), world.fetch, now=NOW)
    payload = tmp_path / "verified.pickle"
    payload.write_bytes(pickle.dumps(v2))
    proc = subprocess.run([sys.executable, "-c", _CRASH_CHILD, str(home), str(payload)],
                          capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "not reached" not in proc.stdout
    with TrustStore.open(home) as store:
        assert store.state(v1.set_id).versions["index"] == 1  # the old state, intact
        assert store.resolve("codec", 0x300001, now=NOW).manifest_cid == m1
        assert store.resolve("codec", 0x300002, now=NOW) is None
        store.apply_update(v2)  # and usable: the update applies cleanly afterwards
        assert store.resolve("codec", 0x300002, now=NOW).manifest_cid == m2
        assert store.resolve("codec", 0x300001, now=NOW) is None


_KILLED_PIN_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from autocodec.registry import Runtime, pin_add
    from autocodec.verify import TrustStore

    home, index = sys.argv[1], sys.argv[2]
    real = TrustStore.apply_update

    def die_once_applied(self, *args, **kwargs):
        real(self, *args, **kwargs)  # the set is committed: die before anything else runs
        os.kill(os.getpid(), signal.SIGKILL)

    TrustStore.apply_update = die_once_applied
    with Runtime(home, default_set=False) as rt:
        pin_add(rt, index)
    print("not reached")
    """
)


@pytest.mark.slow
def test_process_killed_right_after_a_pin_commits_leaves_where_the_set_was_found(world: World, home: Path) -> None:
    """A pin killed just after the trust store committed (SIGKILL) leaves a consistent home: the set
    and where it was found are both there (``pin update`` knows where to look), not a set whose
    origin is lost (it used to be listed as pinned from 'unknown', with no update channel)."""
    from autocodec.registry import Runtime, pin_ls

    index = world.index(1, [("codec", 0x300001, world.manifest())])
    with Runtime(home, default_set=False) as rt:
        for cid, data in world.blocks.items():
            rt.store.put(cid, data)
    proc = subprocess.run([sys.executable, "-c", _KILLED_PIN_CHILD, str(home), str(index)], capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Runtime(home, default_set=False) as rt:
        (pin,) = pin_ls(rt)
        assert pin.index_cid == index
        assert pin.location.kind == "store", pin.location


def test_stale_verified_set_cannot_roll_back_store(world: World, home: Path) -> None:
    with TrustStore.open(home) as store:
        v1 = store.pin(world.blocks[world.anchor], world.index(1), world.fetch, root_cid=world.anchor, now=NOW)
        stale = verify_set(store.state(v1.set_id), world.index(2), world.fetch, now=NOW)
        store.update(v1.set_id, world.index(3), world.fetch, now=NOW)
        with pytest.raises(RollbackError):
            store.apply_update(stale)
        assert store.state(v1.set_id).versions["index"] == 3


def test_update_racing_an_unpin_does_not_pin_the_set_again(world: World, home: Path) -> None:
    """An update verified before another process unpinned the set (``pin rm``) must not bring
    the set back when it is applied: the user's unpin stands."""
    with TrustStore.open(home) as store:
        v1 = store.pin(world.blocks[world.anchor], world.index(1), world.fetch, root_cid=world.anchor, now=NOW)
        pending = verify_set(store.state(v1.set_id), world.index(2), world.fetch, now=NOW)
        store.unpin(v1.set_id)
        with pytest.raises(SetNotFound, match="unpinned while this update was verified"):
            store.apply_update(pending, now=NOW)
        assert store.sets() == []


def test_pinning_again_after_unpin_never_goes_back_to_an_older_version(world: World, home: Path) -> None:
    """Unpin keeps the versions seen; pinning the set again from an older version under a newer
    root (a stale mirror) is a rollback, and a newer version pins it again under its first anchor."""
    with TrustStore.open(home) as store:
        v1 = store.pin(world.blocks[world.anchor], world.index(1), world.fetch, root_cid=world.anchor, now=NOW)
        root2, _ = world.make_root(2)
        older, newer = world.index(2), world.index(3)
        store.update(v1.set_id, newer, world.fetch, now=NOW)
        store.unpin(v1.set_id)
        with pytest.raises(RollbackError):
            store.pin(world.blocks[root2], older, world.fetch, root_cid=root2, now=NOW)
        assert store.sets() == []
        root3, _ = world.make_root(3)
        again = store.pin(world.blocks[root3], world.index(4), world.fetch, root_cid=root3, now=NOW)
        assert again.set_id == v1.set_id  # the same set, not a new anchor
        assert store.state(v1.set_id).versions == {"root": 3, "index": 4}


def test_tampered_index_bytes_never_verify(world: World) -> None:
    """Flip each byte of a valid index envelope and re-address it: every variant is refused."""
    m = world.manifest()
    idx = world.index(1, [("codec", 0x300001, m)])
    world.verify(idx)  # the untampered envelope verifies
    original = world.blocks[idx]
    state = world.state()
    for pos in range(len(original)):
        tampered = bytearray(original)
        tampered[pos] ^= 0x01
        cid = world.put(document_cid(bytes(tampered)), bytes(tampered))
        with pytest.raises((Untrusted, InvalidDocument, FetchError)):  # FetchError: a link was altered
            verify_set(state, cid, world.fetch, now=NOW)


_APPLY_CHILD = textwrap.dedent(
    """
    import pickle, sys
    from autocodec.errors import RollbackError
    from autocodec.verify import TrustStore

    home, payload = sys.argv[1], sys.argv[2]
    with open(payload, "rb") as fh:
        verified = pickle.load(fh)
    with TrustStore.open(home) as store:
        try:
            store.apply_update(verified)
        except RollbackError:
            sys.exit(3)
    """
)


@pytest.mark.slow
def test_concurrent_updates_never_roll_back(world: World, home: Path, tmp_path: Path) -> None:
    """Two processes race to apply v2 and v3: the store ends at v3 whatever the order."""
    import pickle

    with TrustStore.open(home) as store:
        v1 = store.pin(world.blocks[world.anchor], world.index(1), world.fetch, root_cid=world.anchor, now=NOW)
        state = store.state(v1.set_id)
    payloads = []
    for version in (2, 3):
        path = tmp_path / f"v{version}.pickle"
        path.write_bytes(pickle.dumps(verify_set(state, world.index(version), world.fetch, now=NOW)))
        payloads.append(path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", _APPLY_CHILD, str(home), str(p)], env=env,
                              stderr=subprocess.PIPE, text=True) for p in reversed(payloads)]
    codes = {p.wait(timeout=120) for p in procs}
    assert codes <= {0, 3}, [p.stderr.read() for p in procs if p.stderr]
    with TrustStore.open(home) as store:
        assert store.state(v1.set_id).versions["index"] == 3
