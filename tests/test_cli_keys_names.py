"""Keys, IPNS names, trust, UCAN and receipts: the rough edges a user hit (empty code ranges
granting everything, failed checks exiting 0, non-DID audiences, sequence races, self-pointing
names, encrypted keys that some commands could not use, half-written keys, bad key files,
out-of-range options), end to end through the CLI (a separate process per run) and through
the library where the fix lives there."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.errors import ConfigError, InvalidInput, StorageFull
from autocodec.verify import KeyRing, SigningKey, TrustStore, parse_ranges
from autocodec.verify._canonical import encode
from autocodec.verify._ipns import IpnsName, IpnsRecord, create_record
from autocodec.verify._libp2p_key import PublicKey as Libp2pKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    InvalidToken,
    check_did,
    delegate,
    invoke,
    parse_token,
    validate_delegation,
)
from autocodec.verify.ucan._token import VARSIG_ED25519_DAG_CBOR

from . import _homes
from ._cli import run_cli

CID = "bafkqaaa"  # the empty identity CID: content every home holds


def _one_line_error(proc: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err, proc.stdout[:300])
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


home = _homes.initialised_home  # tmp_path / "home" after `autocodec init`


def _key(home: Path, name: str, *extra: str, env: dict[str, str] | None = None) -> str:
    return _cli(home, "key", "gen", name, *extra, env=env).stdout.decode().strip()


def _cli(home: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
         preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[bytes]:
    if env is None and preexec is None:
        return run_cli(home, *args, check=check)
    full = {**os.environ, "AUTOCODEC_HOME": str(home), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env=full, capture_output=True, timeout=120,
                          preexec_fn=preexec)
    if check and proc.returncode != 0:
        raise AssertionError(f"autocodec {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()}")
    return proc


def _name_of(home: Path, key: str) -> str:
    """The IPNS name (k51...) of a home key, from its DID."""
    from autocodec.verify import PublicKey

    did = run_cli(home, "key", "show", key).stdout.decode().strip()
    return str(IpnsName.of_key(Libp2pKey.ed25519(PublicKey.from_did(did).raw)))


# --- 1. trust add with an empty code range ---------------------------------------------------


def test_trust_add_refuses_an_empty_code_range(home: Path) -> None:
    did = _key(home, "alice")
    for codes in ("", " ", ",", "0x78,"):
        err = _one_line_error(run_cli(home, "trust", "add", did, "--codes", codes, check=False))
        assert "InvalidInput" in err and "for codes *" not in err
    listed = run_cli(home, "trust", "ls").stdout.decode()
    assert "allowed (0):" in listed and did not in listed
    assert run_cli(home, "trust", "add", did, "--codes", "0x78").stdout.decode().endswith("for codes 0x78\n")
    assert run_cli(home, "trust", "add", did).stdout.decode().endswith("for codes *\n")  # no --codes: all


@pytest.mark.parametrize(("text", "expected"), [
    ("007", ((7, 7),)), ("08-0x10", ((8, 16),)), ("0" * 5000 + "120", ((120, 120),)),
    ("9223372036854775807", ((2**63 - 1, 2**63 - 1),)), ("0x" + "0" * 5000 + "78", ((0x78, 0x78),)),
])
def test_code_ranges_read_decimal_with_leading_zeros(text: str, expected: tuple[tuple[int, int], ...]) -> None:
    """``--codes 007`` and ``08`` were a ValueError traceback (``int(text, 0)`` refuses leading
    zeros); 5,000 digits one too (CPython's int() limit). Codes are read as everywhere else."""
    assert parse_ranges(text) == expected


@pytest.mark.parametrize("text", ["1" * 5000, "0x" + "f" * 5000, "9223372036854775808", "\u0663", "1-\u0663"])
def test_code_ranges_past_int64_or_in_other_digits_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="bad code range"):
        parse_ranges(text)


def test_trust_add_with_leading_zeros_in_codes_says_what_it_trusts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    did = SigningKey.generate().did
    assert run_cli(home, "trust", "add", did, "--codes", "0120").stdout.decode().endswith("for codes 0x78\n")
    refused = run_cli(home, "trust", "add", did, "--codes", "1" * 5000, check=False)
    assert refused.returncode != 0 and b"Traceback" not in refused.stderr and len(refused.stderr.splitlines()) == 1


def test_trust_store_refuses_an_empty_range_set(tmp_path: Path) -> None:
    did = SigningKey.generate().did
    assert parse_ranges(None) == ()
    for text in ("", "   "):
        with pytest.raises(InvalidInput, match="empty"):
            parse_ranges(text)
    with TrustStore.open(str(tmp_path / "home")) as store:
        with pytest.raises(InvalidInput, match="every code"):
            store.allow(did, ())
        with pytest.raises(InvalidInput, match="bad code range"):
            store.allow(did, ((5, 1),))
        assert store.allowed() == []
        store.allow(did, ((0x78, 0x78),))
        assert [r.ranges for r in store.allowed()] == [((0x78, 0x78),)]
        store.allow(did)  # None: every code, as before
        assert [r.ranges for r in store.allowed()] == [()]


# --- 2. name inspect --verify of a record that does not verify --------------------------------


def test_name_inspect_verify_failure_exits_nonzero_with_the_report(home: Path, tmp_path: Path) -> None:
    _key(home, "alice")
    _key(home, "bob")
    record = tmp_path / "rec.bin"
    run_cli(home, "name", "publish", f"/ipfs/{CID}", "--key", "alice", "-o", str(record))
    name, other = _name_of(home, "alice"), _name_of(home, "bob")
    good = run_cli(home, "name", "inspect", "--verify", name, "--dump=false", str(record))
    assert b"Valid: true" in good.stdout.replace(b"  ", b" ")
    tampered = bytearray(record.read_bytes())
    tampered[-3] ^= 0x01  # inside the signed data: the V2 signature no longer verifies
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(tampered))
    proc = run_cli(home, "name", "inspect", "--verify", name, "--dump=false", str(bad), check=False)
    err = _one_line_error(proc)
    out = proc.stdout.decode()
    assert "Valid:" in out and "false" in out and "Reason:" in out  # the report is still printed
    assert name in err
    for args in (("--verify", other, str(record)), ("--verify", other, "--enc=json", str(record))):
        proc = run_cli(home, "name", "inspect", *args, check=False)
        _one_line_error(proc)
        assert b"Valid" in proc.stdout


# --- 3. UCAN audiences and policies ------------------------------------------------------------


def test_ucan_delegate_refuses_non_did_audiences_bad_policies_and_past_expiry(home: Path, tmp_path: Path) -> None:
    did = _key(home, "alice")
    out = tmp_path / "x.ucan"
    cases = [("--to", "did:key:bad"), ("--to", "bob"), ("--to", "did:key:z6MkBAD"), ("--to", "did:key:"),
             ("--to", did, "--policy", "{}"), ("--to", did, "--policy", '"x"'), ("--to", did, "--expires", "-5"),
             ("--to", did, "--expires", "0")]
    for case in cases:
        err = _one_line_error(run_cli(home, "ucan", "delegate", "--key", "alice", *case, "--cmd", "/wasm/run",
                                      "-o", str(out), check=False))
        assert not out.exists(), (case, err)
    run_cli(home, "ucan", "delegate", "--key", "alice", "--to", "did:web:example.com", "--cmd", "/wasm/run",
            "-o", str(out))
    assert run_cli(home, "ucan", "validate", str(out)).stdout.startswith(b"valid delegation")


def _sealed_anyhow(key: SigningKey, payload: dict[str, Any]) -> bytes:
    """A delegation signed by ``key`` without any of the issuing checks (what a hostile issuer sends)."""
    inner = {"h": VARSIG_ED25519_DAG_CBOR, DELEGATION_TAG: payload}
    return encode([key.sign(encode(inner)), inner])


def test_ucan_validate_refuses_tokens_to_non_dids_and_non_list_policies(home: Path, tmp_path: Path) -> None:
    key = SigningKey.generate()
    base = {"iss": key.did, "aud": key.did, "sub": key.did, "cmd": "/wasm/run", "pol": [], "nonce": b"n" * 16,
            "exp": None}
    validate_delegation(parse_token(_sealed_anyhow(key, base)), 0)  # the well-formed one validates
    for change in ({"aud": "did:key:bad"}, {"aud": "bob"}, {"sub": "not a did"}, {"pol": {}}):
        data = _sealed_anyhow(key, {**base, **change})
        with pytest.raises(InvalidToken):
            validate_delegation(parse_token(data), 0)
        path = tmp_path / "token.ucan"
        path.write_bytes(data)
        err = _one_line_error(run_cli(home, "ucan", "validate", str(path), check=False))
        assert "InvalidToken" in err, change


def test_ucan_library_checks_principals_and_policy_when_issuing() -> None:
    key = SigningKey.generate()
    for audience in ("did:key:bad", "", "did:key:z6MkBAD", "did:KEY:x", "did:key:z" + "1" * 40):
        with pytest.raises(InvalidToken):
            delegate(key, audience, "/wasm/run", now=0)
    with pytest.raises(InvalidToken, match="not a list"):
        delegate(key, key.did, "/wasm/run", now=0, policy={})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="expired"):
        delegate(key, key.did, "/wasm/run", now=0, expires_in=-5)
    with pytest.raises(InvalidToken):
        invoke(key, "nobody", "/wasm/run", {}, now=0)
    assert check_did("did:web:example.com") == "did:web:example.com"
    assert check_did(key.did) == key.did


# --- 4. concurrent name publish ----------------------------------------------------------------


def test_concurrent_publishes_of_one_key_get_distinct_sequences(home: Path, tmp_path: Path) -> None:
    _key(home, "alice")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    outputs = [tmp_path / f"rec{i}.bin" for i in range(8)]
    values = [f"/ipfs/{builtin.cid_for(bytes([i]), 'raw')}" for i in range(8)]  # each a new value: a new sequence
    procs = [subprocess.Popen([sys.executable, "-m", "autocodec", "name", "publish", "--resolve=false", value, "--key",
                               "alice", "-o", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for value, out in zip(values, outputs, strict=True)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    sequences = sorted(IpnsRecord.parse(out.read_bytes()).sequence() for out in outputs)
    assert sequences == list(range(8))
    inspected = run_cli(home, "name", "get", _name_of(home, "alice")).stdout  # the kept record: the last one
    assert IpnsRecord.parse(inspected).sequence() == 7


# --- 5. a name pointing at itself --------------------------------------------------------------


def test_publish_refuses_a_record_pointing_at_its_own_name(home: Path) -> None:
    _key(home, "alice")
    name = _name_of(home, "alice")
    for value in (f"/ipns/{name}", f"/ipns/{name}/sub/a.txt"):
        err = _one_line_error(run_cli(home, "name", "publish", value, "--key", "alice", check=False))
        assert "itself" in err
    key = SigningKey.generate()
    libp2p = Libp2pKey.ed25519(key.public.raw)
    own = IpnsName.of_key(libp2p)
    with pytest.raises(InvalidInput, match="itself"):
        create_record(key.sign, libp2p, own.path, sequence=0, eol_ns=2**62)
    other = IpnsName.of_key(Libp2pKey.ed25519(SigningKey.generate().public.raw))
    assert create_record(key.sign, libp2p, other.path, sequence=0, eol_ns=2**62)


# --- 6. name resolve from the home's kept record -----------------------------------------------


def test_name_resolve_answers_from_the_kept_record(home: Path) -> None:
    _key(home, "alice")
    _key(home, "bob")
    alice, bob = _name_of(home, "alice"), _name_of(home, "bob")
    run_cli(home, "name", "publish", f"/ipfs/{CID}", "--key", "alice")
    run_cli(home, "name", "publish", f"/ipns/{alice}", "--key", "bob")
    assert run_cli(home, "name", "resolve", alice).stdout == f"/ipfs/{CID}\n".encode()
    assert run_cli(home, "name", "resolve", f"/ipns/{bob}").stdout == f"/ipfs/{CID}\n".encode()
    assert run_cli(home, "name", "resolve", "--recursive=false", bob).stdout == f"/ipns/{alice}\n".encode()
    stranger = str(IpnsName.of_key(Libp2pKey.ed25519(SigningKey.generate().public.raw)))
    err = _one_line_error(run_cli(home, "name", "resolve", stranger, check=False))
    assert "no valid IPNS record" in err


# --- 7. encrypted keys for ucan delegate/revoke and run ------------------------------------------


def test_encrypted_keys_work_with_ucan_and_run(home: Path, tmp_path: Path) -> None:
    env = {"PASS": "s3cret"}
    did = _key(home, "enc", "--passphrase-env", "PASS", env=env)
    token = tmp_path / "d.ucan"
    args = ("ucan", "delegate", "--key", "enc", "--to", did, "--cmd", "/wasm/run", "-o", str(token))
    err = _one_line_error(_cli(home, *args, check=False))
    assert "encrypted" in err
    _cli(home, *args, "--passphrase-env", "PASS", env=env)
    assert run_cli(home, "ucan", "validate", str(token)).stdout.startswith(b"valid delegation")
    _one_line_error(_cli(home, "ucan", "revoke", str(token), "--key", "enc", "--passphrase-env", "PASS",
                         env={"PASS": "wrong"}, check=False))
    revoked = _cli(home, "ucan", "revoke", str(token), "--key", "enc", "--passphrase-env", "PASS", env=env)
    assert revoked.stdout.startswith(b"revoked ")
    job = ("run", "ipld-select", "keys", "--arg", '{"b": 1, "a": 2}', "--arg", '""', "--key", "enc")
    assert "encrypted" in _one_line_error(_cli(home, *job, check=False))
    lines = _cli(home, *job, "--passphrase-env", "PASS", env=env).stdout.decode().splitlines()
    assert lines[1] == '["a","b"]'
    shown = run_cli(home, "receipt", "show", lines[0].split()[1]).stdout.decode().splitlines()
    assert shown[-1] == f"signature ok: {did}"


# --- 8. key files written atomically ------------------------------------------------------------


def _no_big_files() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_key_gen_on_a_full_disk_leaves_nothing_behind(home: Path) -> None:
    _key(home, "alice")
    proc = _cli(home, "key", "gen", "bob", preexec=_no_big_files, check=False)
    _one_line_error(proc)
    keys = home / "keys"
    assert sorted(p.name for p in keys.iterdir()) == ["alice.did", "alice.pem"]  # no bob.pem, no temporary
    assert run_cli(home, "key", "list").stdout.decode().count("\n") == 1
    did = _key(home, "bob")  # the name is free
    assert run_cli(home, "key", "show", "bob").stdout.decode().strip() == did


def test_keyring_write_failure_removes_the_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(tmp_path / "keys")
    real_write = os.write

    def full_disk(fd: int, data: Any) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(ring.dir)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StorageFull, match="alice"):
        ring.generate("alice")
    assert list(ring.dir.iterdir()) == []
    monkeypatch.setattr(os, "write", real_write)
    key = ring.generate("alice")
    assert ring.did("alice") == key.did and ring.load("alice").did == key.did
    assert (ring.dir / "alice.pem").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError, match="already exists"):
        ring.generate("alice")


# --- 9. a bad entry in keys/ ---------------------------------------------------------------------


def test_a_bad_key_entry_is_listed_as_unusable_and_refused_by_name(home: Path) -> None:
    did = _key(home, "alice")
    (home / "keys" / "dirk.pem").mkdir()
    empty = home / "keys" / "empty.pem"
    empty.touch()
    empty.chmod(0o600)
    listed = run_cli(home, "key", "list").stdout.decode().splitlines()
    assert listed[0] == f"alice\t{did}"
    assert listed[1].startswith("dirk\t?") and "unusable" in listed[1] and "directory" in listed[1]
    assert listed[2].startswith("empty\t?") and "unusable" in listed[2]
    for args in (("key", "show", "dirk"), ("name", "publish", f"/ipfs/{CID}", "--key", "dirk"),
                 ("ucan", "delegate", "--key", "dirk", "--to", did, "--cmd", "/wasm/run", "-o", "/dev/null")):
        err = _one_line_error(run_cli(home, *args, check=False))
        assert "dirk.pem" in err and "IsADirectoryError" not in err, args
    err = _one_line_error(run_cli(home, "name", "publish", f"/ipfs/{CID}", "--key", "empty", check=False))
    assert "empty.pem" in err
    ring = KeyRing(home / "keys")
    assert [(e.name, e.problem is None) for e in ring.list()] == [("alice", True), ("dirk", False), ("empty", False)]


# --- 10. receipt ls ranges -----------------------------------------------------------------------


def test_receipt_ls_refuses_out_of_range_options(home: Path) -> None:
    for args in (("--since", "999999999999999999999999"), ("--since", "-1"), ("--limit", "0"),
                 ("--limit", "99999999999999999999")):
        err = _one_line_error(run_cli(home, "receipt", "ls", *args, check=False))
        assert "InvalidInput" in err and "OverflowError" not in err
    assert run_cli(home, "receipt", "ls", "--since", str(2**63 - 1)).returncode == 0


# --- 12. hints that fit --------------------------------------------------------------------------


def test_option_and_path_errors_do_not_blame_a_publisher(home: Path) -> None:
    _key(home, "alice")
    for args in (("run", "ipld-select", "keys", "--fuel", "0"), ("run", "ipld-select", "keys", "--fuel", "-3"),
                 ("run", "ipld-select", "keys", "--memory", "1000")):
        err = _one_line_error(run_cli(home, *args, check=False))
        assert "publisher" not in err and "InvalidInput" in err and args[-2] in err
    err = _one_line_error(run_cli(home, "name", "publish", "garbage", "--key", "alice", check=False))
    assert "owner" not in err and "publisher" not in err and "garbage" in err


# --- 13. key rm, rename, list -l, export and import (as Kubo's `ipfs key`) -----------------------


def test_key_rm_removes_all_named_or_none(home: Path) -> None:
    for name in ("a", "b", "c"):
        _key(home, name)
    err = _one_line_error(run_cli(home, "key", "rm", "a", "nosuch", "b", check=False))
    assert "KeyNotFound" in err and "'nosuch'" in err
    assert [e.name for e in KeyRing(home / "keys").list()] == ["a", "b", "c"]  # none removed
    assert run_cli(home, "key", "rm", "a", "b", "a").stdout == b"a\nb\n"
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["c.did", "c.pem"]
    (home / "keys" / "dir.pem").mkdir()
    err = _one_line_error(run_cli(home, "key", "rm", "c", "dir", check=False))
    assert "is a directory" in err and (home / "keys" / "c.pem").exists()


def test_key_rename_moves_a_key_with_kubos_refusals(home: Path) -> None:
    did_a, did_b = _key(home, "a"), _key(home, "b")
    name_a = _name_of(home, "a")
    err = _one_line_error(run_cli(home, "key", "rename", "a", "b", check=False))
    assert "ConfigError" in err and "'b' already exists" in err and "allow overwriting" in err
    err = _one_line_error(run_cli(home, "key", "rename", "nosuch", "x", check=False))
    assert "KeyNotFound" in err
    err = _one_line_error(run_cli(home, "key", "rename", "a", "../x", check=False))
    assert "InvalidInput" in err
    assert run_cli(home, "key", "rename", "a", "a").stdout.decode() == f"Key {name_a} renamed to a\n"
    assert run_cli(home, "key", "rename", "a", "c").stdout.decode() == f"Key {name_a} renamed to c\n"
    out = run_cli(home, "key", "rename", "c", "b", "--force").stdout.decode()
    assert out == f"Key {name_a} renamed to b with overwriting\n"
    ring = KeyRing(home / "keys")
    assert [(e.name, e.did) for e in ring.list()] == [("b", did_a)] and ring.load("b").did == did_a != did_b
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["b.did", "b.pem"]


def test_key_list_long_shows_the_ipns_name(home: Path) -> None:
    did = _key(home, "alice")
    (home / "keys" / "dirk.pem").mkdir()
    rows = run_cli(home, "key", "list", "-l").stdout.decode().splitlines()
    assert rows[0] == f"alice\t{did}\t{_name_of(home, 'alice')}"
    assert rows[1].startswith("dirk\t?\t?\t(unusable: ")


def test_key_export_and_import_round_trip_through_the_cli(home: Path, tmp_path: Path) -> None:
    _key(home, "plain")
    did = _key(home, "locked", "--passphrase-env", "PASS", env={"PASS": "pw"})
    old = tmp_path / "old.key"
    old.write_bytes(b"readable")
    old.chmod(0o644)
    err = _one_line_error(_cli(home, "key", "export", "locked", "-o", str(old), check=False))
    assert "is encrypted" in err and old.read_bytes() == b"readable"
    _cli(home, "key", "export", "locked", "-o", str(old), "--passphrase-env", "PASS", env={"PASS": "pw"})
    assert old.stat().st_mode & 0o777 == 0o600 and len(old.read_bytes()) == 68
    out = _cli(home, "key", "import", "again", str(old), "--passphrase-env", "NEW", env={"NEW": "other"}).stdout
    assert out.decode() == f"{did}\t{_name_of(home, 'locked')}\n"
    assert "(encrypted)" in run_cli(home, "key", "list").stdout.decode().splitlines()[0]
    err = _one_line_error(run_cli(home, "key", "import", "plain", str(old), check=False))
    assert "'plain' already exists" in err
    folder = tmp_path / "cwd"
    folder.mkdir()
    for fmt, default in (("libp2p-protobuf-cleartext", "plain.key"), ("pem-pkcs8-cleartext", "plain.pem")):
        subprocess.run([sys.executable, "-m", "autocodec", "key", "export", "plain", "-f", fmt], cwd=folder,
                       env={**os.environ, "AUTOCODEC_HOME": str(home)}, check=True)  # Kubo's default paths
        assert (folder / default).stat().st_mode & 0o777 == 0o600
        assert run_cli(home, "key", "import", f"p{len(fmt)}", str(folder / default), "-f", fmt).returncode == 0
    assert run_cli(home, "key", "export", "plain", "-o", "/dev/null").returncode == 0


@pytest.mark.parametrize(("data", "args", "says"), [
    (b"\x08\x00\x12\x02ab", (), "UnsupportedKeyType: the key in the file is of type RSA"),
    (b"\x08\x01\x12\x02ab", (), "InvalidKeyFile: an Ed25519 private key is 64 bytes"),
    (b"garbage", ("-f", "pem-pkcs8-cleartext"), "InvalidKeyFile: the key file holds no PEM block"),
    (b"", (), "InvalidKeyFile: the key file is empty"),
    (b"\x08" * 20000, (), "InvalidKeyFile: the key file is over the 16384-byte limit"),
    (b"", ("-f", "der"), "InvalidInput: unknown key file format 'der'"),
])
def test_key_import_of_a_bad_file_is_a_one_line_typed_error(home: Path, tmp_path: Path, data: bytes,
                                                             args: tuple[str, ...], says: str) -> None:
    file = tmp_path / "bad.key"
    file.write_bytes(data)
    err = _one_line_error(run_cli(home, "key", "import", "k", str(file), *args, check=False))
    assert err.startswith(f"autocodec: {says}"), err
    assert not (home / "keys" / "k.pem").exists()


def test_key_ls_is_key_list_as_in_kubo(home: Path) -> None:
    _key(home, "alice")
    assert run_cli(home, "key", "ls", "-l").stdout == run_cli(home, "key", "list", "-l").stdout
