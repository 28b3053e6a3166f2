"""IPNS records without a node (fast): names, the protobuf reader, Go's time forms, signing and
verifying, the home's kept records (rollback refused) and the CLI's errors. Kubo's own view of
the same things is in tests/test_ipns_kubo.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec._gotime import format_duration, format_rfc3339nano, parse_duration, parse_ipfs_time
from autocodec.cid import CID, b58encode
from autocodec.errors import ExpiredError, RollbackError, SignatureError, Untrusted
from autocodec.verify._ipns import (
    InvalidIpnsName,
    InvalidIpnsRecord,
    IpnsName,
    IpnsRecord,
    create_record,
    newest,
    problem,
    validate,
)
from autocodec.verify._keyring import SigningKey
from autocodec.verify._libp2p_key import InvalidKeyData, PublicKey
from autocodec.verify._pbwire import read_fields
from tests._cli import run_cli

NS = 1_000_000_000
SIGNER = SigningKey.from_seed(bytes(range(32)))
KEY = PublicKey.ed25519(SIGNER.public.raw)
NAME = IpnsName.of_key(KEY)
SOON = time.time_ns() + 3600 * NS


def _record(value: str = "/ipfs/bafkqaaa", *, sequence: int = 1, eol_ns: int = SOON, v1: bool = True,
            signer: SigningKey = SIGNER) -> bytes:
    key = PublicKey.ed25519(signer.public.raw)
    return create_record(signer.sign, key, value, sequence=sequence, eol_ns=eol_ns, ttl_ns=60 * NS, v1=v1)


# --- Go's time forms --------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.integers(min_value=-62_135_596_800 * NS, max_value=253_402_300_799 * NS + NS - 1))
def test_rfc3339nano_round_trips(ns: int) -> None:
    text = format_rfc3339nano(ns)
    assert parse_ipfs_time(text) == ns
    assert not text.endswith("0Z") or "." not in text  # trailing fraction zeros dropped, as Go does


def test_times_and_durations_as_go_writes_them() -> None:
    assert format_rfc3339nano(0) == "1970-01-01T00:00:00Z"
    assert format_rfc3339nano(1_500_000_000) == "1970-01-01T00:00:01.5Z"
    assert parse_ipfs_time("2024-02-29T23:59:59.123456789123+01:30") == parse_ipfs_time("2024-02-29T22:29:59.123456789Z")
    for bad in ("2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
                "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+25:00", "2024-01-01T00:00:00+23:61",
                "2024-01-01T00:00:00,Z", "2024-1-01T00:00:00Z", "2024-01-01T00:0:00Z", "２０２４-01-01T00:00:00Z"):
        with pytest.raises(ValueError):
            parse_ipfs_time(bad)
    # Go's Duration.String examples
    cases = {0: "0s", 1: "1ns", 1_100: "1.1µs", 2_200_000: "2.2ms", 3_300_000_000: "3.3s",
             (4 * 60 + 5) * NS: "4m5s", (4 * 60 + 5) * NS + 1: "4m5.000000001s", (5 * 3600 + 6 * 60 + 7) * NS + 1:
             "5h6m7.000000001s", -NS: "-1s", 48 * 3600 * NS: "48h0m0s"}
    for ns, text in cases.items():
        assert format_duration(ns) == text
        assert parse_duration(text) == ns
    assert parse_duration("1.5h") == 5400 * NS and parse_duration("1h1m1.5s10ms") == 3661_510_000_000
    for bad in ("", "1", "h", "1d", "1.s.", "--1s"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_validities_go_parses_beyond_rfc3339_are_read_as_kubo_reads_them() -> None:
    # Kubo v0.43.1 (`ipfs name inspect --verify`, `name put` + `name resolve`) takes these: Go's
    # time.Parse falls back to its general parser (a one-digit hour, a comma before the fraction)
    # and bounds a zone offset by 24 hours and 60 minutes, not by the clock
    base = parse_ipfs_time("2099-01-01T01:00:00Z")
    assert parse_ipfs_time("2099-01-01T1:00:00Z") == base
    assert parse_ipfs_time("2099-01-01T01:00:00,5Z") == base + NS // 2
    assert parse_ipfs_time("2099-01-01T01:00:00+24:00") == base - 24 * 3600 * NS
    assert parse_ipfs_time("2099-01-01T01:00:00-23:60") == base + 24 * 3600 * NS
    raw = _signed_data({"Value": b"/ipfs/bafkqaaa", "Validity": b"2099-01-01T1:00:00,5+24:60",
                        "ValidityType": 0, "Sequence": 1, "TTL": 60 * NS})
    assert validate(IpnsRecord.parse(raw), NAME).validity_ns == base + NS // 2 - (25 * 3600) * NS


def _signed_data(data: dict[str, object]) -> bytes:
    """A V2-only record of NAME over ``data`` as given (fields boxo may not be able to read)."""
    from autocodec.builtin import encode
    from autocodec.cid import encode_varint

    body = encode(data, "dag-cbor")
    signature = SIGNER.sign(b"ipns-signature:" + body)
    return (b"\x42" + encode_varint(len(signature)) + signature + b"\x4a" + encode_varint(len(body)) + body)


@pytest.mark.parametrize(("ttl", "sequence"), [
    (None, None), ("60", 2 ** 63), (60.0, 2 ** 64 - 1), (2 ** 64 - 1, "1"), (None, 3),
])
def test_a_ttl_or_sequence_boxo_cannot_read_fails_nothing(ttl: object, sequence: object) -> None:
    # Kubo v0.43.1 verifies, stores (`name put`) and resolves such records: its resolver takes
    # its default TTL (1 minute) and the sequence is needed only to rank records
    data: dict[str, object] = {"Value": b"/ipfs/bafkqaaa", "Validity": format_rfc3339nano(SOON).encode(),
                               "ValidityType": 0}
    if ttl is not None:
        data["TTL"] = ttl
    if sequence is not None:
        data["Sequence"] = sequence
    record = IpnsRecord.parse(_signed_data(data))
    assert problem(record, NAME) is None
    checked = validate(record, NAME)
    assert (checked.value, checked.ttl_ns) == ("/ipfs/bafkqaaa", 60 * NS)
    assert checked.sequence == (3 if sequence == 3 else 0)


def test_a_record_without_a_readable_sequence_never_passes_for_a_newer_one(tmp_path: Path) -> None:
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.home import Home
    from autocodec.registry._ipns import IpnsNames
    from autocodec.store import BlockStore

    unnumbered = _signed_data({"Value": b"/ipfs/bafkqaaa", "Validity": format_rfc3339nano(SOON).encode(),
                               "ValidityType": 0, "TTL": 60 * NS})
    store = BlockStore.open(Home.resolve(tmp_path / "home").init(), limits=DEFAULT_LIMITS)
    try:
        names = IpnsNames(store, DEFAULT_LIMITS)
        assert names.accept(NAME, unnumbered).sequence == 0  # kept: the name's only record
        assert names.accept(NAME, _record(sequence=2)).sequence == 2  # the kept one ranks as 0
        with pytest.raises(RollbackError, match="sequence 0, below the 2"):
            names.accept(NAME, unnumbered)
    finally:
        store.close()


# --- the protobuf reader --------------------------------------------------------------------


def test_protobuf_reader_takes_and_refuses_what_protobuf_go_does() -> None:
    fields = read_fields(b"\x08\x96\x01" + b"\x12\x03abc" + b"\x08\x80\x00" + b"\x1b\x08\x01\x1c" + b"\x25\x01\x00\x00\x00")
    assert [(f.number, f.wire, f.value) for f in fields] == [
        (1, 0, 150), (2, 2, b"abc"), (1, 0, 0), (3, 3, b"\x08\x01"), (4, 5, 1)]
    for bad in (b"\x00", b"\x0e", b"\x0f", b"\x0c", b"\x0a\x05ab", b"\x08" + b"\xff" * 10 + b"\x01",
                b"\x08\xff", b"\x1b\x08\x01", b"\x1b\x24", b"\xf8\xff\xff\xff\x7f\x00"):
        with pytest.raises(ValueError):
            read_fields(bad)


# --- names and keys ---------------------------------------------------------------------------


def test_names_in_every_spelling() -> None:
    peer_id = b58encode(NAME.multihash)
    assert peer_id.startswith("12D3Koo")
    base32 = NAME.cid().encode("base32")
    for text in (str(NAME), f"/ipns/{NAME}", peer_id, f"/ipns/{peer_id}", base32):
        assert IpnsName.parse(text) == NAME
    assert str(NAME).startswith("k51qzi5uqu5d")
    rsa_like = IpnsName(bytes([0x12, 32]) + bytes(32))  # a sha2-256 peer ID (RSA keys)
    assert IpnsName.parse(b58encode(rsa_like.multihash)) == rsa_like
    assert str(rsa_like).startswith("k2k4r8")
    for bad in ("", "/ipns/", "bafkqaaa", "QmNotBase58!", "k51", "x" * 600, CID.build(0x55, NAME.multihash).encode()):
        with pytest.raises(InvalidIpnsName):
            IpnsName.parse(bad)


def test_libp2p_keys_refused_as_go_libp2p_refuses_them() -> None:
    for bad in (b"", b"\x08\x01", b"\x12\x20" + bytes(32), b"\x08\x01\x12\x1f" + bytes(31), b"\x08\x07\x12\x01\x00",
                b"\x08\x00\x12\x03abc", b"\x08\x02\x12\x21" + bytes(33)):
        with pytest.raises(InvalidKeyData):
            PublicKey.parse(bad)


# --- records -------------------------------------------------------------------------------------


def test_a_record_signed_here_verifies_and_reads_back() -> None:
    raw = _record("/ipfs/bafkqaaa/a/../b", sequence=2**62 + 5)
    checked = validate(IpnsRecord.parse(raw), NAME)
    assert (checked.value, checked.sequence, checked.ttl_ns) == ("/ipfs/bafkqaaa/b", 2**62 + 5, 60 * NS)
    assert IpnsRecord.parse(raw).signature_type == "V1+V2"
    assert IpnsRecord.parse(_record(v1=False)).signature_type == "V2"
    assert IpnsRecord.parse(raw).embedded_key() is None  # an Ed25519 name holds its key


def test_each_alteration_is_refused_by_its_cause() -> None:
    raw = _record()
    data_at = raw.rindex(b"eValue")
    flipped = bytearray(raw)
    flipped[data_at + 10] ^= 1
    with pytest.raises(SignatureError):
        validate(IpnsRecord.parse(bytes(flipped)), NAME)
    with pytest.raises(ExpiredError):
        validate(IpnsRecord.parse(_record(eol_ns=time.time_ns() - NS)), NAME)
    other = IpnsName.of_key(PublicKey.ed25519(SigningKey.from_seed(bytes(32)).public.raw))
    with pytest.raises(Untrusted):
        validate(IpnsRecord.parse(raw), other)
    legacy = bytearray(raw)
    legacy[raw.index(b"bafkqaaa")] ^= 1  # the V1 value, outside the signed data
    assert problem(IpnsRecord.parse(bytes(legacy)), NAME) is not None
    with pytest.raises(InvalidIpnsRecord, match="did not match"):
        validate(IpnsRecord.parse(bytes(legacy)), NAME)
    for bad in (b"", b"\x0a\x01", b"\x4a\x01\xff", b"\x4a\x02\x81\x01", b"\x42" * 11_000):
        with pytest.raises(InvalidIpnsRecord):
            IpnsRecord.parse(bad)


def test_newest_is_boxos_choice() -> None:
    a, b = IpnsRecord.parse(_record(sequence=1)), IpnsRecord.parse(_record(sequence=2, eol_ns=SOON - NS))
    assert newest([a, b]) is b and newest([b, a]) is b
    later = IpnsRecord.parse(_record(sequence=2, eol_ns=SOON + NS))
    assert newest([b, later]) is later


def test_the_home_keeps_the_newest_record_and_refuses_an_older_one(tmp_path: Path) -> None:
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.home import Home
    from autocodec.registry._ipns import IpnsNames
    from autocodec.store import BlockStore

    store = BlockStore.open(Home.resolve(tmp_path / "home").init(), limits=DEFAULT_LIMITS)
    try:
        names = IpnsNames(store, DEFAULT_LIMITS)
        assert names.kept(NAME) is None
        two = _record("/ipfs/bafkqaaa", sequence=2)
        names.accept(NAME, two)
        with pytest.raises(RollbackError, match="sequence 1, below the 2"):
            names.accept(NAME, _record(sequence=1))
        names.accept(NAME, _record(sequence=2, eol_ns=SOON - NS))  # equal sequence: accepted, not kept
        kept = names.kept(NAME)
        assert kept is not None and kept.raw == two
        three = _record("/ipfs/bafkqaaa/x", sequence=3)
        assert names.accept(NAME, three).value == "/ipfs/bafkqaaa/x"
        assert names.verified(NAME) is not None and names.verified(NAME, now=SOON / NS + 10) is None  # expired
    finally:
        store.close()


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x0a\x01")
    for args in (("name", "inspect", str(junk)), ("name", "inspect", "--verify", "bafkqaaa", str(junk)),
                 ("name", "resolve", "not-a-name", "--gateway", "http://127.0.0.1:9"),
                 ("name", "publish", "/ipfs/bafkqaaa", "--key", "nobody"),
                 ("name", "publish", "/foo/bar", "--key", "nobody"),
                 ("name", "publish", "/ipfs/bafkqaaa", "--key", "nobody", "--lifetime", "2 days")):
        proc = run_cli(home, *args, check=False)
        assert proc.returncode == 1 and not proc.stdout, args
        assert proc.stderr.count(b"\n") == 1 and proc.stderr.startswith(b"autocodec: "), (args, proc.stderr)


def test_cli_inspects_a_record_and_publishes_with_a_home_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "alice")
    out = tmp_path / "rec.bin"
    line = run_cli(home, "name", "publish", "/ipfs/bafkqaaa", "--key", "alice", "--ttl", "90s",
                   "-o", str(out)).stdout.decode()
    name = line.split()[2].rstrip(":")
    text = run_cli(home, "name", "inspect", f"--verify={name}", "--dump=false", str(out)).stdout.decode()
    assert text.startswith('Value:          "/ipfs/bafkqaaa"\n') and "TTL:            1m30s\n" in text
    assert "\nValidation results:\n Valid: true\n Name:  " + name + "\n" in text
    unverified = run_cli(home, "name", "inspect", stdin=out.read_bytes()).stdout.decode()
    assert "This record was not verified. Pass '--verify k51...' to verify.\n\nHex Dump:\n00000000  " in unverified
    again = tmp_path / "rec2.bin"
    run_cli(home, "name", "publish", "/ipfs/bafkqaaa", "--key", "alice", "-o", str(again))
    assert IpnsRecord.parse(again.read_bytes()).sequence() == 0  # the same value: its validity refreshed
    run_cli(home, "name", "publish", "--resolve=false", "/ipfs/bafkreigks6arfsq3xxfpvqrrwonchxcnu6do76auprhhfomao6c273sixm", "--key", "alice",
            "-o", str(again))
    assert IpnsRecord.parse(again.read_bytes()).sequence() == 1


def test_paths_use_the_kept_record_while_its_ttl_runs_then_until_it_expires(tmp_path: Path) -> None:
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import FetchError, NotFound
    from autocodec.home import Home
    from autocodec.registry._ipns import IpnsNames
    from autocodec.store import BlockStore

    dead = "http://127.0.0.1:9"  # nothing listens: every fetch fails at once
    store = BlockStore.open(Home.resolve(tmp_path / "home").init(), limits=DEFAULT_LIMITS)
    try:
        names = IpnsNames(store, DEFAULT_LIMITS)
        with pytest.raises(NotFound):
            names.lookup(str(NAME), fresh=False)
        start = time.time()
        names.accept(NAME, _record("/ipfs/bafkqaaa/kept"), now=start)  # TTL 60 s
        within = names.lookup(str(NAME), gateway=dead, fresh=False, now=start + 10)
        assert (within.value, within.verified_by) == ("/ipfs/bafkqaaa/kept", "autocodec (kept)")
        after = names.lookup(str(NAME), gateway=dead, fresh=False, now=start + 120)  # the source is down
        assert after.value == "/ipfs/bafkqaaa/kept"
        with pytest.raises(FetchError):
            names.lookup(str(NAME), gateway=dead, fresh=False, now=SOON / NS + 10)  # expired: not used
        with pytest.raises(FetchError):
            names.lookup(str(NAME), gateway=dead, now=start + 10)  # a pin looks afresh
    finally:
        store.close()
