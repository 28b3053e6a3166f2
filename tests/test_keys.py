"""Keys: did:key encoding, strict Ed25519 verification, the key files and the ``key`` CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec.cid import b58decode
from autocodec.cli import main
from autocodec.errors import ConfigError, InvalidInput, KeyNotFound
from autocodec.verify import InvalidKey, KeyRing, PublicKey, SigningKey, did_of

# RFC 8032 section 7.1, TEST 1 (also RFC 8037 appendix A.1): seed, public key, empty message.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
    "d25bf5f0595bbe24655141438e7a100b"
)

# did:key examples published with their base58 public keys (W3C CCG did:key test data).
DID_KEY_VECTORS = [
    ("did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", "8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K"),
    ("did:key:z6MkwJSaEMnE4u6LiqrZV1BJHSkc9x8S4mTm3ArNL1m19BZR", "HrBXe7XnjMbscM1roSDTSMCcLNraetDQM9wSVjnzDxn3"),
]


def test_rfc8032_test_1_sign_and_verify() -> None:
    k = SigningKey.from_seed(RFC8032_SEED)
    assert k.public.raw == RFC8032_PUB
    assert k.sign(b"") == RFC8032_SIG
    assert k.public.verify(RFC8032_SIG, b"")
    assert not k.public.verify(RFC8032_SIG, b"x")


@pytest.mark.parametrize(("did", "pub58"), DID_KEY_VECTORS)
def test_did_key_vectors(did: str, pub58: str) -> None:
    raw = b58decode(pub58)
    assert did_of(raw) == did
    assert PublicKey.from_did(did).raw == raw


def test_signature_shape_checks() -> None:
    k = SigningKey.from_seed(RFC8032_SEED)
    assert not k.public.verify(RFC8032_SIG[:63], b"")
    assert not k.public.verify(RFC8032_SIG + b"\0", b"")
    non_canonical_r = (2**255 - 19 + 1).to_bytes(32, "little")  # y = p + 1 >= p
    assert not k.public.verify(non_canonical_r + RFC8032_SIG[32:], b"")


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_random_public_keys_are_valid_or_invalid_key(raw: bytes) -> None:
    try:
        pk = PublicKey(raw)
    except InvalidKey:
        return
    assert PublicKey.from_did(pk.did) == pk


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_random_did_strings_never_crash(text: str) -> None:
    try:
        PublicKey.from_did(text)
    except InvalidKey:
        pass


def test_keyring_generate_load_and_modes(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    k = ring.generate("alice")
    pem = tmp_path / "keys" / "alice.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert ring.load("alice").did == k.did == ring.did("alice")
    assert b"PRIVATE KEY" in pem.read_bytes()
    with pytest.raises(ConfigError, match="exists"):
        ring.generate("alice")
    with pytest.raises(KeyNotFound):
        ring.load("bob")
    for bad in ["../alice", "a/b", "", ".hidden", "x" * 65]:
        with pytest.raises(InvalidInput):
            ring.generate(bad)


def test_keyring_passphrase(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    k = ring.generate("enc", b"correct horse")
    assert b"ENCRYPTED" in (tmp_path / "keys" / "enc.pem").read_bytes()
    with pytest.raises(ConfigError, match="encrypted"):
        ring.load("enc")
    with pytest.raises(ConfigError, match="passphrase"):
        ring.load("enc", b"wrong")
    assert ring.load("enc", b"correct horse").did == k.did
    assert [(e.name, e.encrypted) for e in ring.list()] == [("enc", True)]


def test_keyring_refuses_group_readable_and_symlinked_keys(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.generate("alice")
    pem = tmp_path / "keys" / "alice.pem"
    for mode in (0o640, 0o604, 0o660):
        pem.chmod(mode)
        with pytest.raises(ConfigError, match="too open"):
            ring.load("alice")
    pem.chmod(0o600)
    os.symlink(pem, tmp_path / "keys" / "link.pem")
    with pytest.raises(ConfigError):
        ring.load("link")


def test_tampered_did_file_does_not_change_signing_identity(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    k = ring.generate("alice")
    other = SigningKey.generate()
    (tmp_path / "keys" / "alice.did").write_text(other.did)
    assert ring.load("alice").did == k.did  # the identity comes from the private key


def test_malformed_key_file_is_a_config_error(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.dir.mkdir()
    path = ring.dir / "junk.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    os.close(fd)
    with pytest.raises(ConfigError):
        ring.load("junk")


def test_cli_key_gen_list_show(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["key", "gen", "alice"]) == 0
    did = capsys.readouterr().out.strip()
    assert PublicKey.from_did(did).did == did
    monkeypatch.setenv("PASS", "s3cret")
    assert main(["key", "gen", "bob", "--passphrase-env", "PASS"]) == 0
    capsys.readouterr()
    assert main(["key", "show", "alice"]) == 0
    assert capsys.readouterr().out.strip() == did
    assert main(["key", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"alice\t{did}" and lines[1].startswith("bob\tdid:key:z6Mk") and lines[1].endswith("(encrypted)")
    assert main(["key", "show", "nobody"]) == 1
    assert "KeyNotFound" in capsys.readouterr().err
    assert main(["key", "gen", "carol", "--passphrase-env", "UNSET_VARIABLE_X"]) == 1
    err = capsys.readouterr().err
    assert "UNSET_VARIABLE_X" in err and "Traceback" not in err


_KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from autocodec.verify import KeyRing
ring = KeyRing(Path(sys.argv[1]))
ring.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
fd_path = ring._write_temp(sys.argv[2], b"-----BEGIN PRIVATE KEY-----\\n")
print(fd_path, flush=True)
time.sleep(60)
"""

_LIVE_WRITER = """
import os, sys, time
from pathlib import Path
from autocodec import _partfiles
fd, path = _partfiles.create(Path(sys.argv[1]), "." + sys.argv[2] + ".", ".tmp", 0o600)
os.utime(path, (time.time() - 3600, time.time() - 3600))
print(path, flush=True)
time.sleep(60)
"""


def test_temporary_key_files_of_killed_writers_are_removed_by_the_next_key_write(tmp_path: Path) -> None:
    """A ``key gen`` SIGKILLed while its temporary file exists left a copy of the private key
    (``.NAME.????????.tmp``) that nothing removed. The next key written in that folder, under
    any name, removes such files once unlocked and over a minute old; a live writer's file stays."""
    import signal
    import subprocess
    import sys
    import time

    keys = tmp_path / "keys"
    leftovers = []
    for name in ("alice", "bob.work"):
        proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(keys), name], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout is not None
        path = Path(proc.stdout.readline().strip())
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert path.exists() and path.name.startswith(f".{name}.") and path.name.endswith(".tmp")
        os.utime(path, (time.time() - 120, time.time() - 120))
        leftovers.append(path)
    live = subprocess.Popen([sys.executable, "-c", _LIVE_WRITER, str(keys), "carol"], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert live.stdout is not None
        live_path = Path(live.stdout.readline().strip())
        young = keys / ".dave.abcdefgh.tmp"  # unlocked, but written a moment ago: perhaps about to be locked
        young.write_bytes(b"x")
        KeyRing(keys).generate("erin")
        assert [p for p in leftovers if p.exists()] == []
        assert live_path.exists() and young.exists()
        assert sorted(p.name for p in keys.iterdir() if not p.name.startswith(".")) == ["erin.did", "erin.pem"]
    finally:
        live.kill()
        live.wait()


def test_keyring_add_of_something_not_a_key_is_invalid_input_and_writes_nothing(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    for wrong in (b"\x00" * 32, "did:key:z6Mk", 7):
        with pytest.raises(InvalidInput, match="stores a SigningKey"):
            ring.add("k", wrong)  # type: ignore[arg-type]
    assert not (tmp_path / "keys").exists()
    key = SigningKey.from_seed(bytes(32))
    assert ring.add("k", key).did == key.did == ring.did("k")
