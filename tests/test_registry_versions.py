"""Registry version hygiene: a set's module versions go down only when its publisher says so
(``set add --allow-downgrade``, marked in the index), users' updates refuse an unmarked
rollback, and publishing a version twice never makes two different manifests of it. Real keys,
the shipped bencode module (version 1.0.1) and, for an older version, its bytes marked 1.0.0."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autocodec.cid import CID
from tests._cli import refusal_line, run_cli
from tests._wasm_tools import with_meta

REPO = Path(__file__).resolve().parents[1]
BENCODE = REPO / "wasm-src" / "bencode" / "bencode.wasm"
VECTORS = BENCODE.parent


def _publish(home: Path, wasm: Path, *extra: str, key: str = "me") -> str:
    return run_cli(home, "publish", str(wasm), "--key", key, "--vectors", str(VECTORS), *extra).stdout.decode().strip()


def _older(tmp: Path) -> Path:
    """bencode's module marked as version 1.0.0 (lower than the shipped 1.0.1)."""
    path = tmp / "old" / "bencode.wasm"
    path.parent.mkdir()
    path.write_bytes(with_meta(BENCODE.read_bytes(), version="1.0.0"))
    return path


def _publisher(tmp: Path) -> tuple[Path, str]:
    """A home with key ``me`` and set ``mine`` v1 listing bencode 1.0.1; returns it and the manifest."""
    home = tmp / "publisher"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "key", "gen", "me")
    manifest = _publish(home, BENCODE)
    run_cli(home, "set", "init", "mine", "--key", "me")
    run_cli(home, "set", "add", "mine", manifest)
    run_cli(home, "set", "publish", "mine")
    return home, manifest


# --- semver precedence ------------------------------------------------------------------------


def test_precedence_follows_semver_2() -> None:
    from autocodec.registry._versions import is_lower, precedence

    # semver.org section 11's own example, lowest first
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "2.0.0"]
    assert sorted(chain, key=precedence) == chain
    assert all(is_lower(a, b) and not is_lower(b, a) for a, b in zip(chain, chain[1:]))
    assert not is_lower("1.0.0+b", "1.0.0+a") and not is_lower("1.0.0+a", "1.0.0+b")  # build metadata: equal
    from autocodec.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not a semantic version"):
        precedence("1.0")


# --- the publisher: set add ---------------------------------------------------------------------


def test_set_add_refuses_a_lower_version_unless_allowed(tmp_path: Path) -> None:
    """``set add`` of bencode 1.0.0 over 1.0.1 staged it without a word."""
    home, first = _publisher(tmp_path)
    older = _publish(home, _older(tmp_path))
    proc = run_cli(home, "set", "add", "mine", older, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "ModuleDowngrade" in line and "bencode 1.0.1" in line and "back to 1.0.0" in line, line
    assert "higher version" in line and "--allow-downgrade" in line, line
    assert first in run_cli(home, "set", "show", "mine").stdout.decode()  # nothing staged

    from autocodec.errors import ModuleDowngrade, RollbackError
    from autocodec.registry import Runtime, add_manifest, entries, remove_entry

    assert issubclass(ModuleDowngrade, RollbackError)
    with Runtime(home) as rt:
        with pytest.raises(ModuleDowngrade):
            add_manifest(rt, "mine", CID.parse(older))  # the library refuses it too
        ((kind, code, _),) = entries(rt, "mine")
        remove_entry(rt, "mine", kind, code)
        with pytest.raises(ModuleDowngrade):  # unstaged, but the published version still lists 1.0.1
            add_manifest(rt, "mine", CID.parse(older))

    proc = run_cli(home, "set", "add", "mine", older, "--allow-downgrade")
    assert "deliberate downgrade" in proc.stderr.decode()
    assert run_cli(home, "set", "show", "mine").stdout.decode().splitlines()[1].endswith(f"{older}\tdowngrade")
    index = run_cli(home, "set", "publish", "mine").stdout.decode().strip()
    entry = _index_entries(home, index)[0]
    assert entry.downgrade and str(entry.manifest) == older

    # the mark stays with the entry in later versions; a higher version drops it
    again = run_cli(home, "set", "publish", "mine").stdout.decode().strip()
    assert _index_entries(home, again)[0].downgrade
    run_cli(home, "set", "add", "mine", first)  # 1.0.1 again: up, unmarked
    latest = run_cli(home, "set", "publish", "mine").stdout.decode().strip()
    assert not _index_entries(home, latest)[0].downgrade


def _index_entries(home: Path, index: str) -> list["object"]:
    from autocodec.registry import Runtime
    from autocodec.registry._sets import _read_index

    with Runtime(home) as rt:
        return list(_read_index(rt, rt.get(CID.parse(index))).entries)


def test_an_unmarked_index_entry_keeps_its_encoding() -> None:
    """Entries without the mark encode as before (no field), so existing indexes keep their CIDs;
    a mark other than true is malformed."""
    from autocodec.errors import InvalidDocument
    from autocodec.verify import IndexEntry

    cid = CID.parse("bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
    assert IndexEntry("codec", 0x300001, cid).to_value() == {"kind": "codec", "code": 0x300001, "manifest": cid}
    marked = IndexEntry("codec", 0x300001, cid, True).to_value()
    assert marked["downgrade"] is True and IndexEntry.from_value(marked).downgrade
    with pytest.raises(InvalidDocument, match="downgrade"):
        IndexEntry.from_value({**marked, "downgrade": False})


# --- the publisher: publish ---------------------------------------------------------------------


def test_publish_twice_answers_the_same_manifest_or_refuses_other_bytes(tmp_path: Path) -> None:
    """Publishing bencode 1.0.1 twice signed a second, different manifest; other bytes under
    1.0.1 were signed too."""
    home = tmp_path / "h"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "key", "gen", "me")
    first = _publish(home, BENCODE)
    proc = run_cli(home, "publish", str(BENCODE), "--key", "me", "--vectors", str(VECTORS))
    assert proc.stdout.decode().strip() == first
    assert "already published with these bytes" in proc.stderr.decode()

    changed = tmp_path / "changed" / "bencode.wasm"
    changed.parent.mkdir()
    changed.write_bytes(with_meta(BENCODE.read_bytes(), description="the same version, other bytes"))
    proc = run_cli(home, "publish", str(changed), "--key", "me", "--vectors", str(VECTORS), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "VersionTaken" in line and "bencode 1.0.1" in line and "new version" in line, line

    from autocodec.registry import Runtime
    from autocodec.errors import VersionTaken
    from autocodec.verify import module_cid

    with Runtime(home) as rt:
        assert not rt.store.has(module_cid(changed.read_bytes()))  # nothing stored
        from autocodec.registry import publish_module
        from autocodec.verify import KeyRing

        key = KeyRing(rt.home.keys_dir).load("me")
        with pytest.raises(VersionTaken):
            publish_module(rt, changed, key, vectors=VECTORS)
        assert publish_module(rt, changed, key, vectors=VECTORS, version="1.0.2").manifest.version == "1.0.2"
        # a manifest lasting longer than the one signed is a renewal: signed anew, then answered again
        renewed = publish_module(rt, BENCODE, key, vectors=VECTORS, expires_days=None, now=int(time.time()))
        assert renewed.existing and str(renewed.manifest_cid) == first  # the first never expires
        short = publish_module(rt, BENCODE, key, vectors=VECTORS, version="1.0.3", expires_days=1)
        longer = publish_module(rt, BENCODE, key, vectors=VECTORS, version="1.0.3", expires_days=30)
        assert not longer.existing and longer.manifest_cid != short.manifest_cid
        assert publish_module(rt, BENCODE, key, vectors=VECTORS, version="1.0.3", expires_days=2).existing


# --- the user: pin update -----------------------------------------------------------------------


def test_pin_update_refuses_an_unmarked_module_downgrade(tmp_path: Path) -> None:
    """A newer set version listing bencode 1.0.0 where the pinned one lists 1.0.1 was applied;
    now it is refused unless the publisher marked it, and the pinned version keeps serving."""
    from autocodec.registry import Runtime, get_set
    from autocodec.registry._sets import _write_car_file, set_blocks
    from autocodec.verify import Index, IndexEntry, KeyRing, sign

    publisher, _ = _publisher(tmp_path)
    bundle = tmp_path / "mine.car"
    run_cli(publisher, "set", "export", "mine", "-o", str(bundle))
    user = tmp_path / "user"
    run_cli(user, "init", "--no-default-set")
    run_cli(user, "pin", "add", str(bundle))

    older = _publish(publisher, _older(tmp_path))
    with Runtime(publisher) as rt:  # v2 as a publisher without the check (or with the keys and ill will) signs it
        state = get_set(rt, "mine")
        (listed,) = _index_entries(publisher, str(state.index_cid))
        index = Index(set="mine", role="index", version=2, expires=int(time.time()) + 86400, root=state.root_cid,
                      entries=(IndexEntry(listed.kind, listed.key, CID.parse(older)),))  # type: ignore[attr-defined]
        index_cid, envelope = sign(index, [KeyRing(rt.home.keys_dir).load("me")], limits=rt.limits.trust)
        rt.store.put(index_cid, envelope)
        _write_car_file(bundle, index_cid, set_blocks(rt, index_cid))
    proc = run_cli(user, "pin", "update", "mine", check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert "ModuleDowngrade" in err and "from bencode 1.0.1 to 1.0.0" in err and "did not mark" in err, err
    assert "\tv1\t" in run_cli(user, "pin", "ls").stdout.decode()  # the pinned version keeps serving

    run_cli(publisher, "set", "add", "mine", older, "--allow-downgrade")
    run_cli(publisher, "set", "publish", "mine")
    run_cli(publisher, "set", "export", "mine", "-o", str(bundle))
    run_cli(user, "pin", "update", "mine")
    assert "\tv2\t" in run_cli(user, "pin", "ls").stdout.decode()


def test_set_add_reads_the_latest_index_once_however_many_codes(tmp_path: Path) -> None:
    """``set add`` of a manifest of N codes read (and parsed) the set's latest index N times, and
    once more when it refused a downgrade. Reads are counted at the real store's SQLite
    connection (a block read selects its key)."""
    from autocodec.errors import ModuleDowngrade
    from autocodec.registry import Runtime, add_manifest, get_set, init_set, publish_module, publish_set
    from autocodec.verify import SigningKey

    codes = [0x300000 + i for i in range(6)]

    def module(version: str) -> Path:
        path = tmp_path / version / "bencode.wasm"
        path.parent.mkdir()
        path.write_bytes(with_meta(BENCODE.read_bytes(), version=version, codes=codes))
        return path

    with Runtime(tmp_path / "home", default_set=False) as rt:
        key = SigningKey.generate()
        init_set(rt, "mine", [key], ["me"])
        cids = {v: publish_module(rt, module(v), key, vectors=VECTORS).manifest_cid for v in ("1.0.0", "1.0.1", "1.1.0")}
        add_manifest(rt, "mine", cids["1.0.1"])
        publish_set(rt, "mine", [key])
        index_key = bytes(get_set(rt, "mine").index_cid.to_v1()).hex()  # type: ignore[union-attr]
        reads: list[str] = []
        rt.store._db().set_trace_callback(lambda sql: reads.append(sql) if index_key in sql.lower() else None)

        with pytest.raises(ModuleDowngrade, match="bencode 1.0.1 for codec"):
            add_manifest(rt, "mine", cids["1.0.0"])
        assert len(reads) == 1, reads
        reads.clear()
        assert add_manifest(rt, "mine", cids["1.1.0"]) == [("codec", code) for code in codes]
        assert len(reads) == 1, reads
