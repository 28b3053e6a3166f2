"""Adversarial audit of trust and pins (session 10): the attacks that got through, fixed.

1. A gap in a pinned set's root lineage hid a revoked root key's rotation. ``block rm`` (no
   ``--force``) removed a root between the anchor and the stored root, since ``needed`` listed
   only the anchor and the newest root; the revoked-key walk then stopped at the gap, found no
   rotation, and the thief's set kept serving after ``trust revoke``. Now every root of the
   lineage is needed (``block rm`` refuses it; ``pin repair`` fetches it back), and a gap with a
   key revoked fails closed (``RevokedError`` naming the missing root).
2. The same gap let an unpinned set be pinned again past a root revoked after the unpin: the
   revoked-root check read only the roots the home held, and an unpinned set's blocks are not
   needed (``block rm`` removes them). Now the walk from the kept root back to the anchor fetches
   a root the home lost, by CID, from where the version was found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import BlockNeeded, RevokedError, RootChainError
from autocodec.registry import Runtime
from autocodec.verify import TrustStore
from tests._cli import run_cli
from tests._s10_trust_lineage import CODE, Lineage
from tests._world import NOW


@pytest.fixture(autouse=True)
def _fresh_log_stream() -> None:
    from autocodec import log

    log.configure()


@pytest.fixture
def lineage(tmp_path: Path) -> tuple[Lineage, Path]:
    t = Lineage()
    home = tmp_path / "home"
    t.pin(home)
    return t, home


def test_every_root_of_the_lineage_is_needed_so_block_rm_keeps_it(lineage: tuple[Lineage, Path]) -> None:
    t, home = lineage
    with Runtime(home, default_set=False, offline=True) as rt:
        needed = rt.pins.needed()
        assert all(cid in needed for cid in t.root_cids()), needed
        with pytest.raises(BlockNeeded, match="earlier root of set 'test-set'"):
            rt.pins.guard_removal([t.between])
    refused = run_cli(home, "block", "rm", str(t.between), check=False)  # what a user runs
    assert refused.returncode == 1 and b"BlockNeeded" in refused.stderr, refused.stderr
    with TrustStore.open(home) as store:
        assert store.blocks.has(t.between)


def test_a_gap_in_the_lineage_fails_closed_once_a_key_is_revoked(lineage: tuple[Lineage, Path]) -> None:
    t, home = lineage
    with TrustStore.open(home) as store:
        store.revoke(t.stolen.did, "root key stolen")
        with pytest.raises(RevokedError, match="root v4"):
            store.resolve("codec", CODE, now=NOW)
        assert store.blocks.delete(t.between)  # `block rm --force`, or a damaged home
    with TrustStore.open(home) as store:  # a process started after (a complete walk is kept per process)
        # before: the walk stopped at the gap, saw no rotation, and the thief's codec was served
        with pytest.raises(RevokedError, match=f"root {t.between} of set 'test-set' is not in the home") as err:
            store.resolve("codec", CODE, now=NOW)
        assert "pin repair test-set" in (err.value.hint or "")
        with pytest.raises(RevokedError, match="is not in the home"):  # and takes no update either
            store.update(store.sets()[0].set_id, t.index2, t.w.fetch, now=NOW)


def test_pin_repair_fetches_the_lost_root_back(lineage: tuple[Lineage, Path]) -> None:
    t, home = lineage
    with Runtime(home, default_set=False, offline=True) as rt:
        rt.trust.revoke(t.stolen.did, "root key stolen")
        assert rt.store.delete(t.between)
        assert rt.pins.missing() == [t.between]
        rt.pins._fetcher_for = lambda _location: t.w.fetch  # where the set was found: the publisher's blocks
        [repaired] = rt.pins.repair()
        assert not isinstance(repaired, Exception) and rt.store.has(t.between), repaired
        with pytest.raises(RevokedError, match="root v4"):  # the refusal says why again
            rt.trust.resolve("codec", CODE, now=NOW)


@pytest.mark.parametrize("revoke", ["nothing", "a manifest"])
def test_guard_a_gap_changes_nothing_while_no_key_is_revoked(lineage: tuple[Lineage, Path], revoke: str) -> None:
    t, home = lineage
    with TrustStore.open(home) as store:
        if revoke == "a manifest":
            store.revoke(str(t.good), "an old manifest")
        assert store.blocks.delete(t.between)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == t.bad


def test_a_root_revoked_after_the_unpin_refuses_pinning_again_though_the_home_lost_it(
        lineage: tuple[Lineage, Path]) -> None:
    t, home = lineage
    with TrustStore.open(home) as store:
        store.unpin(store.sets()[0].set_id)
        store.revoke(str(t.between), "a bad root")
        with pytest.raises(RevokedError, match=f"root {t.between}"):  # held: refused before too
            store.pin(t.w.blocks[t.anchor], t.index2, t.w.fetch, root_cid=t.anchor, now=NOW)
        assert store.blocks.delete(t.between)  # not needed once unpinned: `block rm` removes it
        # before: pinned again, and the thief's codec served
        with pytest.raises(RevokedError, match=f"root {t.between}"):
            store.pin(t.w.blocks[t.anchor], t.index2, t.w.fetch, root_cid=t.anchor, now=NOW)
        assert store.sets() == []
        lost = dict(t.w.blocks)
        del lost[t.between]  # nowhere to fetch it from: refused, saying which root
        with pytest.raises(RootChainError, match=f"its root {t.between} is neither in the store"):
            store.pin(t.w.blocks[t.anchor], t.index2, lost.__getitem__, root_cid=t.anchor, now=NOW)
