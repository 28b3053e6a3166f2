"""Review of the s10 trust audit's commits (94fd8df, b82c88b, 58fdb08): what they refused or
missed that they should not have.

1. A manifest may name its module DAG by CIDv0 (a dag-cbor link holds either version); since
   58fdb08 keeps every CID target as CIDv1, ``trust revoke Qm...`` and ``trust add Qm...`` must
   match such a manifest too (before 58fdb08 the revoke matched; after it, neither did).
2. Pinning an unpinned set again read every root of the state it was left in, fetching a lost
   one, even with nothing revoked that could be a root: a home that lost a root and a place that
   never had it could no longer pin the set again (94fd8df).
3. A block naming an allow-listed module whose publisher is revoked is refused (b82c88b); the
   refusal said "you have not allowed" and told the user to allow it, which changes nothing.
4. ``trust ls`` read a CIDv0 revocation an earlier release recorded as given, beside the CIDv1
   every decision compares (so an allowed module revoked that way was not marked refused).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec import CID
from autocodec.cid import b58encode
from autocodec.errors import NotTrusted, RevokedError
from autocodec.modcid import module_cid
from autocodec.registry import Runtime
from autocodec.verify import TrustStore
from tests import _cli
from tests._cli import run_cli
from tests._s10_trust_lineage import CODE, Lineage
from tests._world import NOW, World


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _v0(cid: CID) -> str:
    return b58encode(cid.multihash)  # CIDv0: the bare sha2-256 multihash, base58btc ("Qm...")


def _set_naming_its_module_by_cidv0(store: TrustStore) -> tuple[World, CID, CID]:
    """A pinned set whose manifest names its module DAG (over 1 MiB) by CIDv0."""
    w = World()
    wasm = w.module + bytes(1_200_000)
    v0 = CID.parse(_v0(module_cid(wasm)))
    m = w.manifest(module=wasm, module_cid_override=v0)
    store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, m)]), w.fetch, root_cid=w.anchor, now=NOW)
    assert store.resolve("codec", CODE, now=NOW).module == v0
    return w, m, v0


def test_revoking_by_cidv0_refuses_a_manifest_naming_the_module_by_cidv0(home: Path) -> None:
    with TrustStore.open(home) as store:
        _w, _m, v0 = _set_naming_its_module_by_cidv0(store)
        store.revoke(str(v0), "flawed")  # kept as the CIDv1
        # 58fdb08: the manifest's 'Qm...' text matched no revocation, and the module kept serving
        with pytest.raises(RevokedError, match=f"module {v0.to_v1()} was revoked"):
            store.resolve("codec", CODE, now=NOW)


def test_allowing_by_cidv0_authorizes_a_manifest_naming_the_module_by_cidv0(home: Path) -> None:
    with TrustStore.open(home) as store:
        w, m, v0 = _set_naming_its_module_by_cidv0(store)
        store.unpin(store.sets()[0].set_id)
        store.allow(str(v0))
        # 58fdb08: the rule read back as CIDv1, the manifest's module as 'Qm...': NotTrusted
        assert store.authorize(w.blocks[m], now=NOW).policy == "allow-list:module"


@pytest.mark.parametrize("revoke", ["nothing", "a module"])
def test_pinning_again_needs_no_lost_root_while_no_root_can_be_revoked(tmp_path: Path, revoke: str) -> None:
    t = Lineage()
    home = tmp_path / "home"
    t.pin(home)
    with TrustStore.open(home) as store:
        store.unpin(store.sets()[0].set_id)
        if revoke == "a module":  # a raw module's CID can never name a root
            store.revoke(str(module_cid(b"another module")), "flawed")
        assert store.blocks.delete(t.between)  # not needed once unpinned: `block rm` removes it
        lost = dict(t.w.blocks)
        del lost[t.between]  # the place pinned from holds the versions, not the old roots
        # 94fd8df: RootChainError 'its root ... is neither in the store nor where this version was found'
        store.pin(t.w.blocks[t.anchor], t.index2, lost.__getitem__, root_cid=t.anchor, now=NOW)
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == t.bad


def test_the_refusal_of_an_allowed_module_with_a_revoked_publisher_says_why(tmp_path: Path) -> None:
    from autocodec.registry._selfdescribing import ENVELOPE_CODEC, wrap
    from tests._trust_world import BENCODE_BLOCK, build

    world = build(tmp_path)
    with Runtime(world.user_home, default_set=False, offline=True) as rt:
        rt.trust.allow(str(world.codec_module))
        block = rt.put(wrap(world.codec_module, BENCODE_BLOCK), ENVELOPE_CODEC)
        rt.trust.revoke(world.publisher_did, "key stolen")
        with pytest.raises(NotTrusted) as err:
            rt.decode(block)
    # b82c88b: 'which no pinned set lists and you have not allowed', hint `autocodec trust add <it>`
    assert "revoked key" in err.value.message and "outranks the allow-list" in err.value.message, err.value.message
    assert "trust add" not in (err.value.hint or ""), err.value.hint


def test_trust_ls_reads_a_cidv0_revocation_an_earlier_release_recorded_as_cidv1(home: Path) -> None:
    module = module_cid(World().module + bytes(1_200_000))  # a module DAG: CIDv1 dag-pb
    with TrustStore.open(home) as store:
        store.allow(str(module))
        with store._write() as conn:  # the row as the code before 58fdb08 wrote it
            conn.execute("INSERT INTO trust_revoked VALUES (?, 'cid', 'flawed', ?)", (_v0(module), NOW))
        store.revoke(str(module), "flawed again")
        assert [r[0] for r in store.revocations()] == [str(module)]  # once, as CIDv1
    out = run_cli(home, "trust", "ls").stdout.decode()
    assert f"{module}\tmodule\t(revoked: refused)" in out, out  # 58fdb08: not marked
    assert _v0(module) not in out, out


def test_the_refusal_of_an_allowed_task_module_with_a_revoked_publisher_says_why(tmp_path: Path) -> None:
    """The same refusal for an IPVM task (ipvm/_modules.trusted_module), which still said 'it is
    not allow-listed' with the hint to allow it, which changes nothing."""
    from autocodec.ipvm import Executor, Invocation
    from tests._trust_world import build

    world = build(tmp_path)
    with Runtime(world.user_home, default_set=False, offline=True) as rt:
        rt.trust.allow(str(world.task_module))
        job = Invocation(world.task_module, "select", [{"a": 1}, "a"])
        assert Executor(rt).run(job).receipt.value == 1
        rt.trust.revoke(world.publisher_did, "key stolen")
        with pytest.raises(NotTrusted) as err:
            Executor(rt).run(Invocation(world.task_module, "select", [{"a": 2}, "a"]))
    assert "revoked key" in err.value.message and "outranks the allow-list" in err.value.message, err.value.message
    assert "trust add" not in (err.value.hint or ""), err.value.hint
