"""The trust layer working as intended: pin, update, resolve, authorize, store, logs, CLI.

The attacks live in tests/test_attacks.py; this file checks the paths that must succeed, the
document schemas, and that hostile bytes only ever produce typed errors.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec import CID
from autocodec.builtin import decode, encode
from autocodec.cli import main
from autocodec.config import TrustLimits
from autocodec.errors import AutocodecError, InvalidDocument, NotTrusted, SetNotFound
from autocodec.verify import (
    Delegation,
    Index,
    Manifest,
    Role,
    Root,
    TrustStore,
    check_module_info,
    fetch_module,
    module_cid,
    open_envelope,
    pae,
    payload_type,
    sign,
    verify_manifest,
)
from tests import _cli
from tests._world import DAY, NOW, YEAR, World, key

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def test_pae_matches_the_dsse_definition() -> None:
    # DSSE protocol.md: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert len({payload_type(k) for k in ("root", "index", "manifest")}) == 3


def test_envelope_round_trip_and_signer_counting() -> None:
    w = World()
    cid, data = sign(w.roots[0][1], w.root_keys)
    env = open_envelope(data, "root", max_bytes=1 << 20, max_signatures=64)
    assert env.cid == cid and Root.from_value(env.document, max_keys=64, max_delegations=64) == w.roots[0][1]
    assert env.signers({k.did for k in w.root_keys}) == {k.did for k in w.root_keys}
    assert env.signers({w.root_keys[0].did}) == {w.root_keys[0].did}
    assert env.signers(set(), revoked=()) == set()


def test_full_pin_update_resolve_cycle(home: Path) -> None:
    w = World()
    m1 = w.manifest(codes=(0x300001, 0x300002))
    idx1 = w.index(1, [("codec", 0x300001, m1), ("codec", 0x300002, m1)])
    with TrustStore.open(home) as store:
        v1 = store.pin(w.blocks[w.anchor], idx1, w.fetch, root_cid=w.anchor, now=NOW)
        assert v1.set_id == w.anchor and v1.name == "test-set"
        d = store.resolve("codec", 0x300002, now=NOW)
        assert d is not None and d.policy == "pinned-set" and d.set_id == w.anchor and d.manifest_cid == m1
        assert fetch_module(d.manifest, w.fetch) == w.module
        # the publisher rotates the root keys and ships a new index
        new_keys = [key("extra-0"), key("extra-1"), key("extra-2")]
        w.make_root(2, root_keys=new_keys, signers=[*w.root_keys[:2], *new_keys[:2]])
        m2 = w.manifest(codes=(0x300001,), version="1.1.0", module=w.module + b"\x00")
        v2 = store.update(w.anchor, w.index(2, [("codec", 0x300001, m2)]), w.fetch, now=NOW + 1)
        assert v2.root.version == 2
        state = store.state(w.anchor)
        assert state.root.version == 2 and state.versions == {"root": 2, "index": 2}
        assert store.resolve("codec", 0x300001, now=NOW + 1).manifest_cid == m2
        assert store.resolve("codec", 0x300002, now=NOW + 1) is None
        [info] = store.sets()
        assert (info.name, info.root_version, info.index_version, info.entries) == ("test-set", 2, 2, 1)
        assert info.expires == NOW + 30 * DAY
        # pinning the same anchor again continues from the stored state (no rollback to v1)
        store.pin(w.blocks[w.anchor], w.index(3, [("codec", 0x300001, m2)]), w.fetch, root_cid=w.anchor, now=NOW + 2)
        assert store.state(w.anchor).versions["index"] == 3
    with TrustStore.open(home) as store:  # persisted
        assert store.state(w.anchor).versions["index"] == 3
        with pytest.raises(SetNotFound):
            store.state(CID.parse(str(m1)))


def test_delegated_entries_are_stored_and_resolved(home: Path) -> None:
    w = World()
    d = key("delegate")
    w.make_root(2, delegations=(Delegation("vendor", Role((d.did,), 1), ("codec",), ((0x300000, 0x3FFFFF),)),))
    m = w.manifest(codes=(0x3000AA,))
    sub = w.index(1, [("codec", 0x3000AA, m)], role="vendor", signers=[d])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, delegations={"vendor": sub}), w.fetch, root_cid=w.anchor, now=NOW)
        assert store.resolve("codec", 0x3000AA, now=NOW).manifest_cid == m
        assert store.state(w.anchor).versions["delegation/vendor"] == 1


def test_authorize_policies(home: Path) -> None:
    w = World()
    in_set = w.manifest()
    other = w.manifest(codes=(0x300009,), name="other", module=w.module + b"\x01")
    by_module = w.manifest(codes=(0x78,), name="git", module=w.module + b"\x02")
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", 0x300001, in_set)]), w.fetch, root_cid=w.anchor, now=NOW)
        assert store.authorize(w.blocks[in_set], now=NOW).policy == "pinned-set"
        with pytest.raises(NotTrusted):
            store.authorize(w.blocks[other], now=NOW)
        store.allow(w.publisher.did, ((0x300000, 0x3FFFFF),))
        assert store.authorize(w.blocks[other], now=NOW).policy == "allow-list:publisher[0x300000-0x3fffff]"
        with pytest.raises(NotTrusted):
            store.authorize(w.blocks[by_module], now=NOW)  # 0x78 is outside the publisher's range
        vm = verify_manifest(w.blocks[by_module], now=NOW)
        store.allow(str(vm.manifest.module))
        assert store.module_allowed(vm.manifest.module)
        assert store.authorize(vm, now=NOW).policy == "allow-list:module"


def test_real_module_end_to_end_through_the_sandbox(home: Path) -> None:
    """A signed git-raw manifest, pinned, resolved, fetched, inspected and run."""
    from autocodec.loader import Sandbox, inspect_module

    wasm = GIT_RAW.read_bytes()
    w = World()
    w.module = wasm
    m = w.manifest(codes=(0x78,), name="git-raw")
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", 0x78, m)]), w.fetch, root_cid=w.anchor, now=NOW)
        decision = store.resolve("codec", 0x78, now=NOW)
    module = fetch_module(decision.manifest, w.fetch)
    info = inspect_module(module)
    check_module_info(decision.manifest, info)
    assert info.cid == module_cid(module) == decision.module
    blob = b"blob 6\x00hello\n"
    assert Sandbox().load(module, cid=decision.module).codec().decode(blob) is not None
    with pytest.raises(NotTrusted):
        check_module_info(replace(decision.manifest, codes=(0x79,)), info)


def test_fetch_may_return_streams() -> None:
    w = World()
    idx = w.index(1)
    from autocodec.verify import trust_anchor, verify_set

    state = trust_anchor(w.blocks[w.anchor], cid=w.anchor)
    v1 = verify_set(state, idx, lambda c: io.BytesIO(w.blocks[c]), now=NOW)
    v2 = verify_set(state, idx, lambda c: iter([w.blocks[c][:10], w.blocks[c][10:]]), now=NOW)
    assert v1.index == v2.index


def test_decisions_are_logged_with_document_publisher_set_and_policy(home: Path) -> None:
    import structlog
    from structlog.testing import capture_logs

    from autocodec import log

    saved = structlog.get_config()
    log.configure(level="info")
    try:
        with capture_logs() as records:
            w = World()
            m = w.manifest()
            with TrustStore.open(home) as store:
                store.pin(w.blocks[w.anchor], w.index(1, [("codec", 0x300001, m)]), w.fetch, root_cid=w.anchor,
                          now=NOW)
                store.resolve("codec", 0x300001, now=NOW)
                with pytest.raises(NotTrusted):
                    store.authorize(w.blocks[w.manifest(codes=(0x300005,), module=b"\0asm\1\0\0\0")], now=NOW)
    finally:
        structlog.configure(**saved)
    decisions = [r for r in records if r.get("event") == "trust.decision"]
    accept = next(r for r in decisions if r["decision"] == "accept")
    assert accept["logger"] == "verify" and accept["document"] == str(m) and accept["set"] == "test-set"
    assert accept["publisher"] == w.publisher.did and accept["policy"] == "pinned-set"
    reject = next(r for r in decisions if r["decision"] == "reject")
    assert reject["policy"] == "not-in-pinned-set-or-allow-list" and reject["publisher"] == w.publisher.did
    assert any(r.get("event") == "trust.update" and r["policy"] == "tuf-update" for r in records)


# --- document schemas ------------------------------------------------------------------------------


def _root_value() -> dict:
    return World().roots[0][1].to_value()


@pytest.mark.parametrize("mutate, match", [
    (lambda v: v.update(extra=1), "unknown field"),
    (lambda v: v.pop("expires"), "lacks"),
    (lambda v: v.update(version=0), "version"),
    (lambda v: v.update(version=True), "version"),
    (lambda v: v.update(type="index"), "root document"),
    (lambda v: v["roles"]["root"].update(threshold=0), "threshold"),
    (lambda v: v["roles"]["root"].update(threshold=4), "threshold"),
    (lambda v: v["roles"]["root"]["keys"].append(v["roles"]["root"]["keys"][0]), "twice"),
    (lambda v: v.update(previous=None, version=2), "previous"),
    (lambda v: v.update(set="Bad Name"), "set name"),
    (lambda v: v["roles"].pop("index"), "lacks"),
])
def test_root_schema_rejections(mutate, match: str) -> None:
    value = _root_value()
    mutate(value)
    with pytest.raises(InvalidDocument, match=match):
        Root.from_value(value, max_keys=64, max_delegations=64)


def test_delegation_schema_rejections() -> None:
    d = key("delegate").did
    ok = {"name": "vendor", "keys": [d], "threshold": 1, "kinds": ["codec"], "ranges": [[1, 2]]}
    Delegation.from_value(ok, 64)
    for bad in [{**ok, "ranges": [[3, 2]]}, {**ok, "ranges": []}, {**ok, "kinds": ["chunker"]},
                {**ok, "name": "index"}, {**ok, "kinds": []}, {**ok, "ranges": [[1]]}]:
        with pytest.raises(InvalidDocument):
            Delegation.from_value(bad, 64)


def test_manifest_schema_rejections() -> None:
    w = World()
    value = decode(decode(w.blocks[w.manifest()], "dag-cbor")["payload"], "dag-cbor")
    Manifest.from_value(value, max_module_bytes=8 << 20)
    for change in [{"kind": "linker"}, {"codes": []}, {"codes": [1, 1]}, {"version": "1.0"},
                   {"publisher": "did:key:zabc"}, {"size": 0}, {"module": "bafy"}, {"build": {"toolchain": "zig"}},
                   {"issued": -1}]:
        with pytest.raises(InvalidDocument):
            Manifest.from_value({**value, **change}, max_module_bytes=8 << 20)
    chunker = {**value, "kind": "chunker", "codes": []}
    assert Manifest.from_value(chunker, max_module_bytes=8 << 20).provides("chunker", "test-codec")


def test_index_caps_from_trust_limits() -> None:
    w = World()
    m = w.manifest()
    idx = Index("test-set", "index", 1, NOW + DAY, w.root_cid,
                tuple(__import__("autocodec.verify", fromlist=["IndexEntry"]).IndexEntry("codec", c, m) for c in range(5)))
    with pytest.raises(InvalidDocument, match="at most 4"):
        sign(idx, w.index_keys[:2], limits=replace(TrustLimits(), max_index_entries=4))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_hostile_envelope_bytes_only_raise_typed_errors(data: bytes) -> None:
    for kind in ("root", "index", "manifest"):
        try:
            open_envelope(data, kind, max_bytes=1 << 20, max_signatures=64)
        except AutocodecError:
            pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers(-10, 2**40) | st.text(max_size=8) | st.binary(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20))
def test_hostile_documents_only_raise_invalid_document(value) -> None:
    for parse in (lambda v: Root.from_value(v, max_keys=64, max_delegations=64),
                  lambda v: Index.from_value(v, max_entries=100, max_delegations=64),
                  lambda v: Manifest.from_value(v, max_module_bytes=1 << 20)):
        try:
            parse(value)
        except InvalidDocument:
            pass
    # and through a fully signed envelope
    env = encode({"payloadType": payload_type("manifest"), "payload": encode(value, "dag-cbor"),
                  "signatures": []}, "dag-cbor")
    try:
        verify_manifest(env, now=NOW)
    except AutocodecError:
        pass


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_trust_add_ls_revoke(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = World()
    m = w.manifest()
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", 0x300001, m)], expires=NOW + 100 * YEAR), w.fetch,
                  root_cid=w.anchor, now=NOW)
    did = w.publisher.did
    assert main(["trust", "add", did, "--codes", "0x300000-0x3fffff,0x78"]) == 0
    assert "0x300000-0x3fffff,0x78" in capsys.readouterr().out
    assert main(["trust", "revoke", str(m), "--reason", "bad build"]) == 0
    assert main(["trust", "ls"]) == 0
    out = capsys.readouterr().out
    assert "pinned sets (1):" in out and "test-set" in out and str(w.anchor) in out
    assert f"{did}\tcodes 0x300000-0x3fffff,0x78" in out
    assert f"{m}\tcid" in out and "bad build" in out
    assert f"{did}\tcodes 0x300000-0x3fffff,0x78\n" in out  # allowed, and not revoked
    # a key allowed then revoked was listed under "allowed" as if it still were: the revocation wins
    assert main(["trust", "revoke", did, "--reason", "leaked"]) == 0
    assert main(["trust", "ls"]) == 0
    assert f"{did}\tcodes 0x300000-0x3fffff,0x78\t(revoked: refused)\n" in capsys.readouterr().out
    for bad in (["trust", "add", "did:key:z6MkNOPE"], ["trust", "add", did, "--codes", "9-1"],
                ["trust", "revoke", "not-a-cid"], ["trust", "add", str(m), "--codes", "1"]):
        assert main(bad) == 1
        err = capsys.readouterr().err
        assert err.startswith("autocodec: ") and "Traceback" not in err


_EDITED_ROWS = {
    "expires-text": "UPDATE trust_versions SET expires = 'soon' WHERE role = 'index'",
    "version-text": "UPDATE trust_versions SET version = 'two' WHERE role = 'index'",
    "root-version-real": "UPDATE trust_sets SET root_version = 1.5",
    "root-cid-garbage": "UPDATE trust_sets SET root_cid = 'garbage'",
    "manifest-cid-blob": "UPDATE trust_entries SET manifest_cid = x'0155'",
}


@pytest.mark.parametrize("sql", list(_EDITED_ROWS.values()), ids=list(_EDITED_ROWS))
def test_trust_rows_edited_by_hand_are_a_typed_error(home: Path, sql: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A trust row whose type or value this code never writes (edited by hand, damaged on disk)
    is a ``StoreCorrupt`` naming the column, one line and exit 1 in the CLI, never a TypeError."""
    import sqlite3

    from autocodec.errors import StoreCorrupt

    w = World()
    m = w.manifest()
    with TrustStore.open(home) as store:
        pinned = store.pin(w.blocks[w.anchor], w.index(1, [("codec", 0x300001, m)], expires=NOW + 100 * YEAR),
                           w.fetch, root_cid=w.anchor, now=NOW)
        conn = sqlite3.connect(store.blocks.path)
        conn.execute(sql)
        conn.commit()
        conn.close()
        with pytest.raises(StoreCorrupt, match=r"trust_\w+\.\w+ holds"):
            store.sets()
            store.state(pinned.set_id)
            store.resolve("codec", 0x300001, now=NOW)
    for args in (["pin", "ls"], ["trust", "ls"], ["resolve", "codec", "0x300001"]):
        code = main(args)
        err = capsys.readouterr().err
        assert "Traceback" not in err and "TypeError" not in err, err
        if code:
            assert code == 1 and err.startswith("autocodec: ") and len(err.strip().splitlines()) == 1, err
