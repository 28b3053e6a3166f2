"""A newcomer's stumbles with set CIDs of the wrong kind, set revocation and trust targets.

A real publisher home (one signed set listing the bencode codec from wasm-src/, a real Ed25519
key) and a real user home that pins the set's bundle CAR; every command runs through the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from autocodec import CID, builtin
from autocodec.cli import main
from autocodec.registry import Runtime, add_manifest, export_set, init_set, publish_module, publish_set
from autocodec.verify import KeyRing

from ._cli import refusal_line
from .conftest import WASM_SRC


@dataclass(frozen=True)
class World:
    publisher: Path
    user: Path
    bundle: Path
    set_id: CID
    index: CID
    manifest: CID
    raw: CID


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("friction")
    with Runtime(tmp / "publisher", default_set=False) as pub:
        key = KeyRing(pub.home.keys_dir).generate("pub")
        set_id = init_set(pub, "myset", [key], ["pub"]).root_cid
        manifest = publish_module(pub, WASM_SRC / "bencode" / "bencode.wasm", key).manifest_cid
        add_manifest(pub, "myset", manifest)
        publish_set(pub, "myset", [key])
        index, _ = export_set(pub, "myset", tmp / "myset.car")
        raw = builtin.cid_for(b"just some bytes", "raw")
        pub.store.put(raw, b"just some bytes")
    assert main(["--home", str(tmp / "user"), "pin", "add", str(tmp / "myset.car")]) == 0
    return World(tmp / "publisher", tmp / "user", tmp / "myset.car", set_id, index, manifest, raw)


def _run(capsysbinary: pytest.CaptureFixture[bytes], home: Path, *args: str) -> tuple[int, bytes, str]:
    capsysbinary.readouterr()
    code = main(["--home", str(home), *args])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


def test_pin_add_of_a_set_id_says_it_is_the_root_not_the_index(world: World,
                                                                capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Before: SignatureError 'envelope holds ...root..., expected ...index...: cannot be replayed'."""
    line = refusal_line(*_run(capsysbinary, world.publisher, "pin", "add", str(world.set_id)))
    assert line.startswith(f"autocodec: WrongDocument: {world.set_id} is the root of set 'myset' (the set's id)")
    assert "`autocodec set publish` printed" in line and "/ipns/NAME" in line and "replayed" not in line


@pytest.mark.parametrize("which", ["raw", "manifest"])
def test_pin_add_of_another_kind_of_cid_names_its_kind(world: World, which: str,
                                                       capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    cid = world.raw if which == "raw" else world.manifest
    line = refusal_line(*_run(capsysbinary, world.publisher, "pin", "add", str(cid)))
    words = "is a raw block (codec raw)" if which == "raw" else "is a module's manifest"
    assert f"WrongDocument: {cid} {words}, not an extension set's index" in line


@pytest.mark.parametrize("which", ["raw", "set_id", "index"])
def test_set_add_of_what_is_not_a_manifest_names_its_kind(world: World, which: str,
                                                          capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Before, a raw block was 'InvalidDocument: manifest envelope is not valid DAG-CBOR ... ask its
    publisher for a valid one', and a set's root or index a SignatureError about replay."""
    cid = {"raw": world.raw, "set_id": world.set_id, "index": world.index}[which]
    line = refusal_line(*_run(capsysbinary, world.publisher, "set", "add", "myset", str(cid)))
    words = {"raw": "is a raw block (codec raw)", "set_id": "is the root of set 'myset' (the set's id)",
             "index": "is an extension set's index"}[which]
    assert f"WrongDocument: {cid} {words}, not a module's manifest" in line
    assert "the manifest CID `autocodec publish` printed" in line


@pytest.mark.parametrize("which", ["set_id", "index"])
def test_trust_revoke_of_a_pinned_set_is_refused_and_records_nothing(world: World, which: str,
                                                                     capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Before: 'revoked CID', recorded for good, and the set kept serving."""
    cid = world.set_id if which == "set_id" else world.index
    line = refusal_line(*_run(capsysbinary, world.user, "trust", "revoke", str(cid)))
    assert "pinned set 'myset' itself" in line and "`autocodec pin rm myset`" in line
    code, out, _ = _run(capsysbinary, world.user, "trust", "ls")
    assert code == 0 and b"revoked (0):" in out


def test_trust_revoke_help_says_it_cannot_be_lifted(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["trust", "revoke", "--help"])
    assert "permanent: no command lifts a revocation" in " ".join(capsys.readouterr().out.split())


def test_trust_revoke_of_nonsense_names_both_dids_and_cids(world: World,
                                                          capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    line = refusal_line(*_run(capsysbinary, world.user, "trust", "revoke", "nonsense"))
    assert "'nonsense' is neither a publisher's DID nor a CID" in line and "did:key:" in line


def test_pin_add_override_after_a_plain_pin_says_what_it_took_over(world: World, tmp_path: Path,
                                                                   capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Before: 'already at myset v1 ...' only, though myset now served bencode in place of the
    default set. A new home pins the default set, which lists bencode too, first."""
    user = tmp_path / "user"
    code, out, err = _run(capsysbinary, user, "pin", "add", str(world.bundle))
    assert code == 0 and "does not serve codec bencode (set 'autocodec-default')" in err
    code, out, _ = _run(capsysbinary, user, "pin", "add", str(world.bundle), "--override")
    line = out.decode()
    assert code == 0 and line.startswith("already at myset v1 ")
    assert "; now serves codec bencode (from set 'autocodec-default')" in line
    code, out, _ = _run(capsysbinary, user, "resolve", "codec", "bencode")
    assert code == 0 and b"set: myset\n" in out
    code, out, _ = _run(capsysbinary, user, "pin", "add", str(world.bundle), "--override")
    assert code == 0 and b"now serves" not in out  # nothing changed this time: nothing said


def test_resolve_of_a_revoked_code_has_a_policy_word_not_a_class_name(
        world: World, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Before: 'policy: RevokedError' where the others read 'pinned-set', 'no-pinned-set-lists-it'."""
    from autocodec.registry._resolution import refusal_policy
    from autocodec import errors

    user = tmp_path / "user"
    assert _run(capsysbinary, user, "init")[0] == 0
    code, out, _ = _run(capsysbinary, user, "resolve", "codec", "bencode", "--json")
    manifest = builtin.decode(out, "dag-json")["manifest"]
    assert _run(capsysbinary, user, "trust", "revoke", str(manifest))[0] == 0
    code, out, _ = _run(capsysbinary, user, "resolve", "codec", "bencode")
    assert code == 1 and b"  policy: revoked\n" in out
    code, out, _ = _run(capsysbinary, user, "resolve", "codec", "bencode", "--json")
    assert code == 1 and builtin.decode(out, "dag-json")["policy"] == "revoked"
    for cls in (errors.ExpiredError, errors.ModuleDowngrade, errors.NotTrusted, errors.Untrusted,
                errors.DelegationError, errors.SignatureError):
        word = refusal_policy(cls("x"))
        assert word == word.lower() and "error" not in word and " " not in word
