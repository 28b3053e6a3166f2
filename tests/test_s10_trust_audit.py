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
3. ``decide_module`` (blocks that name their decoder by module CID, IPVM task modules) fell back
   to the module CID's allow-list rule after the pinned set's manifest for that module was
   refused as revoked: revoking a publisher stopped ``resolve`` and ``authorize`` but not a
   self-describing block naming its module, when the user had also allow-listed the module's CID.
   Revocation wins there too now.
4. ``trust revoke Qm...`` (the CIDv0 ``ipfs add`` prints for a module DAG over 1 MiB) recorded
   the text as given; manifests name the module by its CIDv1, so the revocation matched nothing
   and the module kept running. CID targets are now kept as CIDv1 (rows recorded before too).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec import CID
from autocodec.errors import BlockNeeded, NotTrusted, RevokedError, RootChainError
from autocodec.registry import Runtime
from autocodec.verify import TrustStore, verify_manifest
from tests import _cli
from tests._cli import run_cli
from tests._s10_trust_lineage import CODE, Lineage
from tests._world import DAY, NOW, World


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


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


# --- 3. a revoked publisher's module named by CID, allow-listed by CID --------------------------


def test_a_module_allow_listed_by_cid_does_not_outrank_its_revoked_publisher(home: Path) -> None:
    w = World()
    m = w.manifest()
    module = verify_manifest(w.blocks[m], now=NOW).manifest.module
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, m)]), w.fetch, root_cid=w.anchor, now=NOW)
        store.allow(str(module))
        assert store.decide_module(module, now=NOW).policy == "pinned-set"
        store.revoke(w.publisher.did, "key stolen")
        with pytest.raises(RevokedError):  # the manifest and the code: refused before too
            store.authorize(w.blocks[m], now=NOW)
        with pytest.raises(RevokedError):
            store.resolve("codec", CODE, now=NOW)
        # before: the module CID's allow-list rule took over ('allow-list:module')
        assert store.decide_module(module, now=NOW) is None


def test_guard_a_module_allow_listed_by_cid_still_runs_when_its_set_expired(home: Path) -> None:
    w = World()
    m = w.manifest()
    module = verify_manifest(w.blocks[m], now=NOW).manifest.module
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, m)], expires=NOW + DAY), w.fetch,
                  root_cid=w.anchor, now=NOW)
        store.allow(str(module))
        assert store.decide_module(module, now=NOW + 2 * DAY).policy == "allow-list:module"


def test_an_envelope_block_stops_decoding_once_its_modules_publisher_is_revoked(tmp_path: Path) -> None:
    """The runtime's path (what `serve` and `decode` run): a self-describing block naming the
    set's bencode module, allow-listed by CID too, decodes until the publisher is revoked."""
    from autocodec.registry._selfdescribing import ENVELOPE_CODEC, wrap
    from tests._trust_world import BENCODE_BLOCK, build

    world = build(tmp_path)
    with Runtime(world.user_home, default_set=False, offline=True) as rt:
        rt.trust.allow(str(world.codec_module))
        block = rt.put(wrap(world.codec_module, BENCODE_BLOCK), ENVELOPE_CODEC)
        assert rt.decode(block) == {"age": 36, "name": b"Bob"}
        rt.trust.revoke(world.publisher_did, "key stolen")
        with pytest.raises(NotTrusted):  # before: decoded, policy allow-list:module
            rt.decode(block)


# --- 4. a module DAG revoked by the CIDv0 that `ipfs add` prints -------------------------------


def _big_module_set(store: TrustStore) -> tuple[World, CID]:
    """A pinned set listing a module over 1 MiB: a UnixFS file DAG, named by its CIDv1 dag-pb root."""
    w = World()
    m = w.manifest(module=w.module + bytes(1_200_000))
    store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, m)]), w.fetch, root_cid=w.anchor, now=NOW)
    module = verify_manifest(w.blocks[m], now=NOW).manifest.module
    assert module.version == 1 and module.codec == 0x70
    return w, module


def _v0(cid: CID) -> str:
    from autocodec.cid import b58encode

    return b58encode(cid.multihash)  # CIDv0: the bare sha2-256 multihash, base58btc ("Qm...")


def test_revoking_a_module_dag_by_its_cidv0_revokes_it(home: Path) -> None:
    with TrustStore.open(home) as store:
        _w, module = _big_module_set(store)
        assert store.resolve("codec", CODE, now=NOW) is not None
        assert store.revoke(_v0(module), "flawed") == str(module)  # recorded as the CIDv1 manifests name
        # before: recorded as 'Qm...', matched nothing, and the module kept serving
        with pytest.raises(RevokedError, match=f"module {module}"):
            store.resolve("codec", CODE, now=NOW)


def test_a_cidv0_revocation_an_earlier_release_recorded_counts(home: Path) -> None:
    with TrustStore.open(home) as store:
        _w, module = _big_module_set(store)
        with store._write() as conn:  # the row as the code before this change wrote it
            conn.execute("INSERT INTO trust_revoked VALUES (?, 'cid', 'flawed', ?)", (_v0(module), NOW))
        with pytest.raises(RevokedError, match=f"module {module}"):
            store.resolve("codec", CODE, now=NOW)


def test_allowing_a_module_by_its_cidv0_allows_the_module(home: Path) -> None:
    with TrustStore.open(home) as store:
        _w, module = _big_module_set(store)
        store.allow(_v0(module))
        assert store.module_allowed(module)
