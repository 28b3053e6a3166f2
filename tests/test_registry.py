"""The registry end to end: publish, sets, pins, resolution, self-describing blocks, substitution.

Real modules from wasm-src/, real keys, real signatures, real homes; the CLI is run as a
separate process where the acceptance criteria name commands.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from autocodec import CID, NotTrusted, RollbackError, UnknownCodec, builtin
from autocodec.errors import AutocodecError
from autocodec.registry import (
    Runtime,
    add_manifest,
    export_set,
    init_set,
    pin_add,
    pin_ls,
    pin_rm,
    pin_update,
    publish_module,
    publish_set,
)
from autocodec.registry._publish import VectorsFailed
from autocodec.registry._selfdescribing import ENVELOPE_CODEC, wrap
from autocodec.verify import KeyRing
from tests._cli import published_set, run_cli
from tests._git_corpus import one_commit
from tests._wasm_tools import with_meta

REPO = Path(__file__).resolve().parents[1]
WASM = REPO / "wasm-src"
GIT_RAW = WASM / "git-raw" / "git-raw.wasm"


def _git_object(tmp: Path) -> tuple[CID, bytes, Path]:
    cid, block = one_commit(tmp / "repo", "registry test", {"x": "x\n"}, name="Grace", email="g@example.org",
                            date="1600000000 -0500")
    path = tmp / "commit.obj"
    path.write_bytes(block)
    return cid, block, path


@pytest.fixture
def publisher(tmp_path: Path):
    rt = Runtime(tmp_path / "publisher", default_set=False)
    key = KeyRing(rt.home.keys_dir).generate("pub")
    yield rt, key
    rt.close()


def _publish_set(rt: Runtime, key, modules: list[Path], name: str = "s") -> CID:
    init_set(rt, name, [key], ["pub"])
    for module in modules:
        add_manifest(rt, name, publish_module(rt, module, key).manifest_cid)
    return publish_set(rt, name, [key])


@pytest.mark.slow
def test_cli_publish_set_export_pin_decode_update_and_tampered_bundle(tmp_path: Path) -> None:
    pub, user, other = tmp_path / "pub", tmp_path / "user", tmp_path / "other"
    bundle = tmp_path / "bundle.car"
    manifest, set_cid = published_set(pub, "gitset", GIT_RAW)
    run_cli(pub, "set", "export", "gitset", "-o", str(bundle))

    # A second, fresh home: pin the bundle and decode a real git commit stored there.
    cid, block, path = _git_object(tmp_path)
    run_cli(user, "pin", "add", str(bundle), "--override")  # the home's default set also serves git-raw
    assert set_cid in run_cli(user, "pin", "ls").stdout.decode()
    stored = run_cli(user, "block", "put", "--codec", "git-raw", "--hash", "sha1", str(path)).stdout.decode().strip()
    assert stored == str(cid)
    decoded = json.loads(run_cli(user, "decode", str(cid)).stdout)
    assert decoded["message"] == "registry test\n" and decoded["author"]["timezone"] == "-0500"
    explained = run_cli(user, "resolve", "codec", "git-raw").stdout.decode()
    assert manifest in explained and "gitset" in explained

    # v2 of the module; `pin update` moves to it.
    v2 = tmp_path / "git-raw-v2.wasm"
    v2.write_bytes(with_meta(GIT_RAW.read_bytes(), version="90.0.0"))  # new bytes whatever the committed version
    manifest2 = run_cli(pub, "publish", str(v2), "--key", "k", "--vectors", str(GIT_RAW.parent)).stdout.decode().strip()
    run_cli(pub, "set", "add", "gitset", manifest2)
    run_cli(pub, "set", "publish", "gitset")
    run_cli(pub, "set", "export", "gitset", "-o", str(bundle))
    assert "v2" in run_cli(user, "pin", "update").stdout.decode()
    assert manifest2 in run_cli(user, "resolve", "codec", "git-raw").stdout.decode()

    # One byte of the module changed in the bundle: refused, naming the module.
    data = bytearray(bundle.read_bytes())
    module = v2.read_bytes()
    at = bytes(data).index(module[1000:1064]) + 10
    data[at] ^= 0x01
    tampered = tmp_path / "tampered.car"
    tampered.write_bytes(bytes(data))
    refused = run_cli(other, "pin", "add", str(tampered), check=False)
    assert refused.returncode == 1
    message = refused.stderr.decode()
    assert len(message.strip().splitlines()) == 1 and "Traceback" not in message
    from autocodec.verify import module_cid

    assert str(module_cid(module)) in message
    assert "gitset" not in run_cli(other, "pin", "ls").stdout.decode()


@pytest.mark.slow
def test_init_then_decode_git_object_with_no_module_flag(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cid, _block, path = _git_object(tmp_path)
    run_cli(home, "init")
    assert str(cid) == run_cli(home, "block", "put", "--codec", "git-raw", "--hash", "sha1", str(path)).stdout.decode().strip()
    decoded = json.loads(run_cli(home, "decode", str(cid)).stdout)
    assert decoded["committer"]["name"] == "Grace" and decoded["parents"] == []


def test_publish_refuses_a_module_failing_its_vectors(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    impostor = tmp_path / "impostor.wasm"  # bencode code claiming git-raw: git vectors fail
    impostor.write_bytes(with_meta((WASM / "bencode" / "bencode.wasm").read_bytes(), name="git-raw", codes=[0x78]))
    with pytest.raises(VectorsFailed, match="fails"):
        publish_module(rt, impostor, key, vectors=GIT_RAW.parent)
    assert not list(rt.store.cids()) or all(c.codec != 0x55 for c in rt.store.cids())


def test_resolution_explains_builtin_extension_and_nothing(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    _publish_set(rt, key, [GIT_RAW])
    export_set(rt, "s", tmp_path / "b.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        assert user.resolve("codec", "dag-cbor").source == "builtin"
        assert user.resolve("codec", "git-raw").source == "none"
        pin_add(user, str(tmp_path / "b.car"))
        res = user.resolve("codec", 0x78)
        assert (res.source, res.set_name, res.publisher, res.set_version) == ("extension", "s", key.did, 1)
        nothing = user.resolve("hasher", "keccak-256")
        assert nothing.source == "none" and "no pinned extension set" in nothing.reason
        with pytest.raises(UnknownCodec):
            user.decode_block(CID.build(0x90, b"\x12\x20" + hashlib.sha256(b"x").digest()), b"x")


def test_repinning_an_older_version_is_a_rollback_even_under_an_older_root(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    _publish_set(rt, key, [GIT_RAW])
    export_set(rt, "s", tmp_path / "v1.car")
    add_manifest(rt, "s", publish_module(rt, WASM / "bencode" / "bencode.wasm", key).manifest_cid)
    publish_set(rt, "s", [key])
    export_set(rt, "s", tmp_path / "v2.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        assert pin_add(user, str(tmp_path / "v2.car")).version == 2
        with pytest.raises(RollbackError):
            pin_add(user, str(tmp_path / "v1.car"))
        assert [p.version for p in pin_ls(user)] == [2]


def test_pin_update_from_bundle_path_and_unpin(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    _publish_set(rt, key, [GIT_RAW])
    bundle = tmp_path / "b.car"
    export_set(rt, "s", bundle)
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(bundle))
        (same,) = pin_update(user)
        assert not isinstance(same, AutocodecError) and not same.changed
        add_manifest(rt, "s", publish_module(rt, WASM / "bencode" / "bencode.wasm", key).manifest_cid)
        publish_set(rt, "s", [key])
        export_set(rt, "s", bundle)
        (moved,) = pin_update(user)
        assert not isinstance(moved, AutocodecError) and moved.changed and moved.version == 2
        assert user.resolve("codec", "bencode").source == "extension"
        pin_rm(user, "s")
        assert user.resolve("codec", "bencode").source == "none"


def test_missing_bundle_for_update_is_a_clear_error(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    _publish_set(rt, key, [GIT_RAW])
    bundle = tmp_path / "b.car"
    export_set(rt, "s", bundle)
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(bundle))
        bundle.unlink()
        (result,) = pin_update(user)
        assert isinstance(result, AutocodecError) and "gone" in result.message


def test_self_describing_block_needs_a_trusted_module(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    bencode = (WASM / "bencode" / "bencode.wasm").read_bytes()
    with Runtime(tmp_path / "user", default_set=False) as user:
        module = user.put(bencode, "raw")
        payload = b"d3:agei36e4:name3:Bobe"
        envelope = wrap(module, payload)
        cid = user.put(envelope, ENVELOPE_CODEC)
        with pytest.raises(NotTrusted, match=str(module)) as refused:
            user.decode(cid)
        assert f"autocodec trust add {module}" in refused.value.hint
        user.trust.allow(str(module))
        user.trust_changed()
        assert user.decode(cid) == {"age": 36, "name": b"Bob"}


def test_native_substitution_only_after_vectors_agree(publisher, tmp_path: Path) -> None:
    rt, key = publisher
    _publish_set(rt, key, [WASM / "dag-cbor" / "dag-cbor.wasm"])
    export_set(rt, "s", tmp_path / "b.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(tmp_path / "b.car"))
        module = user.resolve("codec", 0x71)
        assert module.source == "builtin"  # a builtin always serves its own code first
        wasm_module = next(c for c in user.store.cids() if c.codec == 0x55)
        payload = builtin.encode({"a": [1, 2.5, None], "l": CID.parse("bafkqaaa")}, "dag-cbor")
        cid = user.put(wrap(wasm_module, payload), ENVELOPE_CODEC)
        assert user.decode(cid) == {"a": [1, 2.5, None], "l": CID.parse("bafkqaaa")}
        from autocodec.registry._standin import BuiltinStandIn

        assert isinstance(user.module_codec(wasm_module), BuiltinStandIn)


def test_default_set_matches_wasm_src_and_package_pin(tmp_path: Path) -> None:
    from autocodec.registry._default import DEFAULT_SET_CAR, DEFAULT_SET_CID
    from autocodec.sources import CarSource
    from autocodec.verify import module_cid

    source = CarSource(DEFAULT_SET_CAR)
    blocks = source.all_blocks()
    assert source.roots == [DEFAULT_SET_CID]
    shipped = {cid for cid in blocks if cid.codec == 0x55}
    committed = {module_cid(p.read_bytes()): p.name for p in WASM.glob("*/*.wasm")}
    assert shipped == set(committed), (
        "the default set is stale: run `python tools/make_default_set.py` after changing wasm-src modules")
    with Runtime(tmp_path / "home") as rt:  # a new home pins it, with no network
        (pin,) = pin_ls(rt)
        assert pin.name == "autocodec-default"
        for kind, code in (("codec", "git-raw"), ("codec", "eth-block"), ("codec", "bitcoin-block"),
                           ("codec", "bencode"), ("hasher", "keccak-256"), ("hasher", "blake3")):
            assert rt.resolve(kind, code).source == "extension", (kind, code)


def test_tampered_default_set_car_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.registry import _default

    fake = tmp_path / "default-set.car"
    data = bytearray(_default.DEFAULT_SET_CAR.read_bytes())
    data[-5] ^= 0xFF
    fake.write_bytes(bytes(data))
    monkeypatch.setattr(_default, "DEFAULT_SET_CAR", fake)
    with pytest.raises(AutocodecError):
        Runtime(tmp_path / "home")



@pytest.mark.slow
def test_block_rm_refuses_what_a_pinned_set_needs_and_pin_repair_fetches_it_back(tmp_path: Path) -> None:
    """Issue 16, item 12: `block rm` keeps the blocks of pinned sets unless forced; `pin repair`
    (and `pin update` of a set already current) fetch them back from where the set was found."""
    home = tmp_path / "home"
    run_cli(home, "init")
    with Runtime(home) as rt:
        needed = rt.pins.needed()
        module = next(cid for cid, what in needed.items() if what.startswith("module keccak-256"))
        manifest = next(cid for cid, what in needed.items() if what.startswith("manifest"))
    refused = run_cli(home, "block", "rm", str(module), check=False)
    assert refused.returncode == 1 and b"BlockNeeded" in refused.stderr and b"keccak-256" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    # the store removes a multihash (as Kubo's blockstore): the module's bytes under another codec are needed too
    alias = CID.build(0x71, module.multihash)
    refused = run_cli(home, "block", "rm", str(alias), check=False)
    assert refused.returncode == 1 and f"has the bytes of {module}".encode() in refused.stderr, refused.stderr
    with Runtime(home) as rt:
        assert rt.store.has(module) and rt.store.get(alias) == rt.store.get(module)
    run_cli(home, "block", "rm", "--force", str(module), str(manifest))
    with Runtime(home) as rt:
        assert not rt.store.has(module) and set(rt.pins.missing()) == {module, manifest}
    out = run_cli(home, "pin", "repair").stdout.decode()
    assert "2 blocks fetched back" in out, out
    with Runtime(home) as rt:
        assert rt.store.has(module) and rt.store.has(manifest) and rt.pins.missing() == []
        assert rt.hash(b"abc", "keccak-256").hex().endswith(
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")  # keccak-256("abc")
    run_cli(home, "block", "rm", "--force", str(module))
    run_cli(home, "pin", "update")  # already current: it repairs
    with Runtime(home) as rt:
        assert rt.store.has(module)


def test_loaded_module_is_checked_against_every_manifest_it_is_used_under(publisher, tmp_path: Path) -> None:
    """Issue 16, item 9: a module listed under its honest manifest (bencode, 0x63) and under a
    second manifest claiming a code it does not declare (0x300001) must not serve 0x300001,
    even after the honest listing loaded it."""
    import time as _time

    from autocodec.verify import Manifest, sign

    rt, key = publisher
    bencode = WASM / "bencode" / "bencode.wasm"
    honest = publish_module(rt, bencode, key)
    lie = Manifest(kind="codec", name="bencode", codes=(0x300001,), module=honest.module_cid,
                   size=bencode.stat().st_size, version="1.0.0", publisher=key.did, issued=int(_time.time()) - 60,
                   abi=1, expires=None, source=None, build={"toolchain": "zig", "version": "0.17.1"},
                   vectors=honest.manifest.vectors, supersedes=None)
    lie_cid, lie_envelope = sign(lie, [key])
    rt.store.put(lie_cid, lie_envelope)
    init_set(rt, "s", [key], ["pub"])
    add_manifest(rt, "s", honest.manifest_cid)
    add_manifest(rt, "s", lie_cid)
    publish_set(rt, "s", [key])
    export_set(rt, "s", tmp_path / "b.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(tmp_path / "b.car"))
        block = b"d1:ai1ee"
        assert user.decode(user.put(block, 0x63)) == {"a": 1}  # the honest listing loads the module
        with pytest.raises(NotTrusted, match="does not match its manifest"):
            user.decode(user.put(block, 0x300001))


@pytest.mark.parametrize("kind, name, code", [("codec", "bencode", 0x63), ("hasher", "keccak-256", 0x1B)])
def test_a_later_set_takes_over_a_served_code_only_by_the_users_decision(publisher, tmp_path: Path, kind: str,
                                                                        name: str, code: int) -> None:
    """Issue 16, item 12: pinning a set must not silently replace the hasher that verifies blocks
    (or a codec) that another pinned set serves; `pin add --override` is that decision."""
    rt, key = publisher
    _publish_set(rt, key, [WASM / name / f"{name}.wasm"], name="first")
    export_set(rt, "first", tmp_path / "first.car")
    other = tmp_path / f"{name}-2.wasm"
    committed = json.loads((WASM / name / "module.json").read_text())["version"]
    other.write_bytes(with_meta((WASM / name / f"{name}.wasm").read_bytes(), version="90.0.0"))
    init_set(rt, "second", [key], ["pub"])
    add_manifest(rt, "second", publish_module(rt, other, key, vectors=WASM / name).manifest_cid)
    publish_set(rt, "second", [key])
    export_set(rt, "second", tmp_path / "second.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(tmp_path / "first.car"))
        pin_add(user, str(tmp_path / "second.car"))
        served = user.resolve(kind, code)
        assert (served.set_name, served.version) == ("first", committed)  # no decision: the first keeps it
        pin_add(user, str(tmp_path / "second.car"), override=True)
        served = user.resolve(kind, code)
        assert (served.set_name, served.version) == ("second", "90.0.0")
        pin_rm(user, "second")
        assert user.resolve(kind, code).set_name == "first"
        pin_add(user, str(tmp_path / "second.car"))  # pinned again: the earlier decision is gone
        assert user.resolve(kind, code).set_name == "first"


def test_opening_a_runtime_does_not_wait_for_another_processs_writer(tmp_path: Path) -> None:
    """Every open asks whether the default set was offered: a read, so a writer elsewhere
    (an import in another process holding the write lock) never makes it wait."""
    import sqlite3
    import time as _time
    from dataclasses import replace as _replace

    from autocodec.config import DEFAULT_LIMITS, StoreLimits

    with Runtime(tmp_path / "home", default_set=False) as rt:
        path = rt.store.path
        assert rt.pins.ls() == []  # the pins schema exists from here on
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        limits = _replace(DEFAULT_LIMITS, store=_replace(DEFAULT_LIMITS.store, busy_timeout_ms=3000))
        assert isinstance(limits.store, StoreLimits)
        started = _time.monotonic()
        with Runtime(tmp_path / "home", default_set=False, limits=limits) as rt:
            # reads go on beside the writer (WAL); only writes would wait for it
            assert not rt.store.has(CID.parse("bafkreiblau4z23vqronx64wc4lsjvwneunhhji7kqxgkls725fhui43kdq"))
        took = _time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert took < 1.5, f"opening waited {took:.1f} s for the other writer"


def test_listing_pins_and_sets_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    """``pins ls`` and the publisher's set lookups are reads: beside another process's writer
    (an import holding the write lock) they answer instead of failing with "locked" after the
    busy timeout, as they did while they took a write transaction."""
    import sqlite3
    from dataclasses import replace as _replace

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import SetNotFound
    from autocodec.registry._sets import get_set

    with Runtime(tmp_path / "home") as rt:  # pins the default set
        path = rt.store.path
        pinned = [p.name for p in rt.pins.ls()]
        with pytest.raises(SetNotFound):  # (creates the publisher's tables: a write, once per home)
            get_set(rt, "not-here")
    assert pinned
    limits = _replace(DEFAULT_LIMITS, store=_replace(DEFAULT_LIMITS.store, busy_timeout_ms=200))
    with Runtime(tmp_path / "home", limits=limits) as rt:
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            assert [p.name for p in rt.pins.ls()] == pinned
            with pytest.raises(SetNotFound):
                get_set(rt, "not-here")
        finally:
            writer.execute("ROLLBACK")
            writer.close()


@pytest.mark.parametrize("days", [0, -5, -0.5])
def test_a_lifetime_that_has_already_ended_is_refused(publisher, days: float) -> None:  # noqa: ANN001
    """0 or fewer days would sign a document already expired (``--expires-days 0`` even signed a
    manifest that never expires, as if no lifetime had been given)."""
    from autocodec.errors import InvalidInput

    rt, key = publisher
    with pytest.raises(InvalidInput, match="already expired"):
        publish_module(rt, GIT_RAW, key, expires_days=days)
    with pytest.raises(InvalidInput, match="already expired"):
        init_set(rt, "s", [key], ["pub"], expires_days=days)
    init_set(rt, "s", [key], ["pub"])
    add_manifest(rt, "s", publish_module(rt, GIT_RAW, key, expires_days=1).manifest_cid)
    with pytest.raises(InvalidInput, match="already expired"):
        publish_set(rt, "s", [key], expires_days=days)
    assert publish_set(rt, "s", [key], expires_days=0.5) is not None


@pytest.mark.parametrize("revoke", ["manifest", "publisher"])
def test_a_refused_resolution_names_the_module_it_refused(tmp_path: Path, revoke: str) -> None:
    """A revoked manifest (or publisher key) of the default set: ``resolve`` says which module,
    name, version, publisher, set and set version it refused (``refused``, in ``why`` and in
    ``to_value``), yet nothing about it serves: not found, no ``module``, ``loaded`` refuses.
    Before, the refusal named only the manifest CID (or the publisher)."""
    with Runtime(tmp_path / "home") as rt:
        serving = rt.resolve("codec", "git-raw")
        rt.trust.revoke(str(serving.manifest) if revoke == "manifest" else str(serving.publisher), "test")
        res = rt.resolve("codec", "git-raw")
        assert not res.found and res.module is None and res.manifest is None and res.policy == "revoked"
        assert res.refused is not None
        assert (res.refused.manifest, res.refused.module, res.refused.name, res.refused.version,
                res.refused.publisher, res.refused.set_name, res.refused.set_id, res.refused.set_version) == (
            serving.manifest, serving.module, "git-raw", serving.version, serving.publisher, serving.set_name,
            serving.set_id, serving.set_version)
        for text in (f"git-raw {serving.version}", str(serving.module), str(serving.publisher),
                     f"set {serving.set_name!r} v{serving.set_version}"):
            assert text in res.why
        for text in (str(serving.manifest), str(serving.publisher)):  # each named once (it was twice)
            assert res.why.count(text) == 1, res.why
        value = builtin.decode(builtin.encode(res.to_value(), "dag-json"), "dag-json")
        assert value["refused"]["module"] == serving.module and value["refused"]["name"] == "git-raw"
        assert "module" not in value and value["source"] == "none"
        with pytest.raises(NotTrusted):
            rt.resolver.loaded(res)
        with pytest.raises(NotTrusted):
            rt.resolver.adapter("codec", "git-raw")
        assert rt.resolve("codec", "dag-cbor").refused is None


def test_a_refusal_no_pinned_set_explains_has_no_refused_module(tmp_path: Path) -> None:
    """Nothing listed: no ``refused``, and the reason is unchanged."""
    with Runtime(tmp_path / "home", default_set=False) as rt:
        res = rt.resolve("codec", "git-raw")
        assert not res.found and res.refused is None and "refused" not in res.to_value()
