"""Random IPNS records: ``autocodec name inspect`` prints what Kubo v0.43.1's ``ipfs name inspect``
prints, with ``--verify=NAME``, without it and as JSON, for records drawn at random.

``test_ipns_kubo.py`` and the audits (``test_s11_ipns_*.py``) name their records one by one;
these are drawn: a key of each libp2p type (Ed25519, RSA, secp256k1, ECDSA P-256) embedded or not
and in the forms an attacker may choose; signed ``data`` whose fields are each kept, dropped,
given another type or a value at an edge (paths of every namespace and none, validities in
other time forms, in the past and far future, validity types, sequences and TTLs at the edges
of their integer types), plus keys boxo does not know; legacy V1 fields that agree with it or
not; signatures valid, cut, flipped or of another key; protobuf fields reordered, repeated, of
another wire type or unknown; now and then the bytes flipped or cut after signing. Each record
is verified against its own name, another key's name or a name spelled another way.

A failed ``--verify`` exits 1 here and 0 in Kubo (``test_ipns_kubo.py``, documented); the
output must be the same bytes. In the suite: ``CASES`` records of seed 0. A longer run:

    .venv/bin/python -m tests.test_ipns_random_kubo CASES SEED
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from autocodec.builtin import encode
from autocodec.cid import CID, encode_varint
from autocodec.cli import main
from tests import _s11_ipns_keys as k
from autocodec.verify._libp2p_key import SECP256K1, key_message
from tests import _kubo_pair
from tests._kubo import KuboRepo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]
kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

CASES = 80
NS = 1_000_000_000
CID_A = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
_ED = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
_RSA = rsa.generate_private_key(65537, 2048)
_K1 = ec.derive_private_key(12345, ec.SECP256K1())
_P256 = ec.derive_private_key(67890, ec.SECP256R1())
_KEYS: dict[str, tuple[k.PrivateKey, bytes]] = {  # label: (key, its key message as go-libp2p writes it)
    "ed25519": (_ED, k.ed25519_key(_ED)),
    "rsa": (_RSA, k.spki_key(_RSA)),
    "secp256k1": (_K1, k.secp256k1_key(_K1, compressed=True)),
    "p256": (_P256, k.spki_key(_P256)),
}

_VALUES: list[bytes] = [
    f"/ipfs/{CID_A}".encode(), f"/ipfs/{CID_A}/a/b".encode(), b"/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
    b"/ipns/example.com", b"/ipld/" + CID_A.encode(), CID_A.encode(), b"", b"/", b"/ipfs/", b"/ipfs/notacid",
    b"/foo/bar", bytes.fromhex("01551220") + bytes(32), b"\xff\xfe", b"/ipfs/" + CID_A.encode() + b"/../x",
    b"/ipfs/" + CID_A.encode() + b"/a b/\xc3\xa9", b"x" * 300,
]
_VALIDITIES: list[bytes] = [
    b"2030-01-02T03:04:05.000000000Z", b"2030-01-02T03:04:05Z", b"2030-01-02T03:04:05.1Z",
    b"2030-01-02T03:04:05.000000001+02:00", b"2030-01-02T03:04:05.000000000-00:00", b"2030-01-02 03:04:05Z",
    b"2000-01-01T00:00:00.000000000Z", b"9999-12-31T23:59:59.999999999Z", b"10000-01-01T00:00:00Z",
    b"0001-01-01T00:00:00Z", b"2030-02-30T00:00:00Z", b"2030-01-02T24:00:00Z", b"2030-01-02T03:04:60Z",
    b"2030-01-02t03:04:05z", b"", b"tomorrow", b"2030-01-02T03:04:05.0000000000Z", b"2030-01-02T03:04:05,5Z",
]
_INTS: list[int] = [0, 1, 3, 59, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, -1, -(2**63)]


def _signed(private: k.PrivateKey, body: bytes) -> bytes:
    return k.sign(private, b"ipns-signature:" + body)


def _varint_field(number: int, value: int) -> bytes:
    """A protobuf varint field (any uint64: ``encode_varint`` stops at multiformats' 2^63)."""
    value %= 1 << 64
    out = bytearray(encode_varint(number << 3))
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out) + bytes([value])


def _data(rng: random.Random) -> Any:
    """The signed ``data``: mostly a map of the five fields, each kept, dropped, retyped or at an edge."""
    if rng.random() < 0.03:
        return rng.choice([[1, 2], "text", 5, None, {}])
    data: dict[str, Any] = {"Value": f"/ipfs/{CID_A}".encode(), "Validity": b"2030-01-02T03:04:05.000000000Z",
                            "ValidityType": 0, "Sequence": 3, "TTL": 60 * NS}
    for key in list(data):
        roll = rng.random()
        if roll < 0.04:
            del data[key]
        elif roll < 0.08:
            data[key] = rng.choice(["text", 1.5, [1], {"a": 1}, None, True, b"\x01"])
        elif roll < 0.4:
            if key == "Value":
                data[key] = rng.choice(_VALUES)
            elif key == "Validity":
                data[key] = rng.choice(_VALIDITIES)
            elif key == "ValidityType":
                data[key] = rng.choice([0, 0, 1, -1, 2**31, 2**63 - 1])
            else:
                data[key] = rng.choice(_INTS)
    if rng.random() < 0.1:
        data[rng.choice(["Zed", "value", "A", ""])] = rng.choice([b"x", 1, "s"])
    return data


def _body(rng: random.Random, data: Any) -> bytes:
    body = encode(data, "dag-cbor")
    if isinstance(data, dict) and 1 < len(data) < 24 and rng.random() < 0.05:  # not canonical: keys reversed
        body = bytes([0xA0 + len(data)]) + b"".join(encode(key, "dag-cbor") + encode(value, "dag-cbor")
                                                    for key, value in reversed(list(data.items())))
    return body


def _legacy(rng: random.Random, data: Any) -> bytes:
    """V1 protobuf fields: none, the data's own, or some of them changed."""
    if rng.random() < 0.55 or not isinstance(data, dict):
        return b""

    def pick(key: str, default: Any) -> Any:
        value = data.get(key, default)
        return rng.choice(_VALUES[:3] + _VALIDITIES[:2] + [b""]) if rng.random() < 0.15 else value

    out = b""
    value, validity = pick("Value", b""), pick("Validity", b"")
    if isinstance(value, bytes):
        out += k.field(1, value)
    out += k.field(2, rng.choice([b"legacy", b"", bytes(64)]))
    for number, key in ((3, "ValidityType"), (5, "Sequence"), (6, "TTL")):
        got = pick(key, 0)
        if isinstance(got, int) and not isinstance(got, bool) and rng.random() < 0.9:
            out += _varint_field(number, got)
    if isinstance(validity, bytes) and rng.random() < 0.9:
        out += k.field(4, validity)
    return out


def _embedded(rng: random.Random, label: str, private: k.PrivateKey, message: bytes) -> bytes | None:
    """The pubKey field: absent, the key as go-libp2p writes it, or another form of it."""
    roll = rng.random()
    if label == "ed25519" and roll < 0.7:
        return None  # the name holds it
    if roll < 0.8:
        return message
    forms: list[Callable[[], bytes]] = [
        lambda: message + b"\x18\x05", lambda: message[:-1], lambda: b"", lambda: _KEYS[rng.choice(list(_KEYS))][1],
        lambda: b"\x08" + bytes([rng.choice([4, 5, 0x7F])]) + message[2:],  # a Type go-libp2p does not know
        lambda: message[2:], lambda: message[:2],  # Data alone, Type alone
        lambda: key_message(rng.choice([0, 1, 2, 3]), _KEYS[rng.choice(list(_KEYS))][1][2:]),  # another type's data
        lambda: key_message(rng.choice([0, 1, 2, 3]), rng.choice([b"", b"\x00", bytes(32), bytes(33), bytes(65)])),
    ]
    if isinstance(private, ed25519.Ed25519PrivateKey):
        forms.append(lambda: k.ed25519_reordered(private))
    if isinstance(private, rsa.RSAPrivateKey):
        forms += [lambda: k.rsa_pkcs1(private), lambda: k.rsa_trailing(private)]
    if isinstance(private, ec.EllipticCurvePrivateKey) and label == "secp256k1":
        forms.append(lambda: k.secp256k1_key(private, compressed=False))
        forms.append(lambda: _hybrid(private, rng.random() < 0.8))
    if label == "p256" and isinstance(private, ec.EllipticCurvePrivateKey):
        forms.append(lambda: k.ecdsa_compressed_spki(private))
    return rng.choice(forms)()


def _hybrid(private: ec.EllipticCurvePrivateKey, right_parity: bool) -> bytes:
    """A secp256k1 key in SEC1's hybrid form (0x06/0x07 by y's parity, then x and y)."""
    point = k.secp256k1_key(private, compressed=False)[4:]
    odd = point[-1] & 1
    return key_message(SECP256K1, bytes([6 + (odd if right_parity else 1 - odd)]) + point[1:])


def _signature(rng: random.Random, private: k.PrivateKey, body: bytes) -> bytes | None:
    signature = _signed(private, body)
    roll = rng.random()
    if roll < 0.8:
        return signature
    if roll < 0.84:
        return None
    if roll < 0.88:
        return b""
    if roll < 0.92:
        return signature[:-1]
    if roll < 0.96:
        flipped = bytearray(signature)
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        return bytes(flipped)
    other = _KEYS[rng.choice(list(_KEYS))][0]
    return _signed(other, body)


def _name(rng: random.Random, label: str, message: bytes) -> str:
    roll = rng.random()
    own = k.name_hashing(message)
    if roll < 0.8:
        return own
    if roll < 0.9:
        return k.name_hashing(_KEYS[rng.choice(list(_KEYS))][1])
    cid = CID.parse(own)
    return rng.choice([cid.encode("base32"), cid.encode("base58btc"), f"/ipns/{own}", own.upper(), own[:-1]])


def random_record(rng: random.Random) -> tuple[bytes, str]:
    """A record and the name to verify it against."""
    label = rng.choice(list(_KEYS))
    private, message = _KEYS[label]
    data = _data(rng)
    body = _body(rng, data)
    embedded = _embedded(rng, label, private, message)
    signature = _signature(rng, private, body)
    fields = [_legacy(rng, data)]
    if embedded is not None:
        fields.append(k.field(7, embedded))
    if signature is not None:
        fields.append(k.field(8, signature))
    fields.append(k.field(9, body))
    if rng.random() < 0.08:
        fields.insert(rng.randrange(len(fields) + 1), rng.choice([
            k.field(15, b"extra"), _varint_field(14, 3), _varint_field(9, 1), _varint_field(8, 2),
            k.field(3, b"\x01"), k.field(9, b""), k.field(8, b"x" * 64)]))
    if rng.random() < 0.08:
        rng.shuffle(fields)
    raw = b"".join(fields)
    if rng.random() < 0.05:
        raw = raw[:rng.randrange(len(raw) + 1)]
    elif rng.random() < 0.05:
        flipped = bytearray(raw)
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        raw = bytes(flipped)
    return raw, _name(rng, label, message)


def _ours(args: list[str]) -> tuple[int, bytes]:
    out = io.BytesIO()
    wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="")
    with contextlib.redirect_stdout(wrapper), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
        wrapper.flush()
    return code, out.getvalue()


_GO_ASN1 = re.compile(rb"asn1: (structure|syntax) error: [^\n\"]*")
_OUR_ASN1 = re.compile(rb"public key \((RSA|ECDSA)\): [^\n\"]*")


def _documented(ours: tuple[int, bytes], kubo_out: bytes) -> tuple[tuple[int, bytes], bytes]:
    """Both outputs with the documented differences (docs/bounds.md) made equal: protobuf-go's
    ``proto:`` prefix, a space or a no-break space by build (here a space), and the words of a
    key whose DER Go's ``encoding/asn1`` cannot read (here the DER reader's own)."""
    kubo_out = kubo_out.replace(b"proto:\xc2\xa0", b"proto: ")
    if _GO_ASN1.search(kubo_out) and _OUR_ASN1.search(ours[1]):
        kubo_out = _GO_ASN1.sub(b"(a DER refusal)", kubo_out)
        ours = (ours[0], _OUR_ASN1.sub(b"(a DER refusal)", ours[1]))
    return ours, kubo_out


def _first_difference(ours: tuple[int, bytes], kubos: tuple[int, bytes]) -> str:
    if ours[0] != kubos[0]:
        return f"exit {ours[0]}, Kubo's {kubos[0]}"
    mine, theirs = ours[1], kubos[1]
    at = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
    start = max(mine.rfind(b"\n", 0, at) + 1, at - 100)
    return f"at {at}: ours {mine[start:at + 120]!r}, Kubo's {theirs[start:at + 120]!r}"


def run(kubo: KuboRepo, folder: Path, cases: int, seed: int) -> tuple[dict[str, int], list[str]]:
    """``cases`` records compared under three option sets: the tally of Kubo's verdicts and
    every difference (the record in hex, the name, the options and the first lines that differ)."""
    rng = random.Random(seed)
    tally = {"valid": 0, "invalid": 0, "unreadable": 0}
    differences = []
    path = folder / "record.bin"
    for _ in range(cases):
        raw, name = random_record(rng)
        path.write_bytes(raw)
        for options in ([f"--verify={name}"], ["--dump=false"], [f"--verify={name}", "--enc=json"]):
            theirs = kubo.ipfs("name", "inspect", *options, path, check=False)
            kubo_code, kubo_out = (0 if theirs.returncode == 0 else 1), theirs.stdout
            if options[0].startswith("--verify") and kubo_code == 0 and re.search(rb'Valid"?:\s*false', kubo_out):
                kubo_code = 1  # a failed --verify exits 1 here (Kubo: 0), documented
            ours = _ours(["name", "inspect", *options, str(path)])
            ours, kubo_out = _documented(ours, kubo_out)
            if ours != (kubo_code, kubo_out):
                differences.append(f"{raw.hex()} {name} {options}: {_first_difference(ours, (kubo_code, kubo_out))}")
        verdict = re.search(rb"Valid:\s+(true|false)", kubo.ipfs("name", "inspect", f"--verify={name}", path,
                                                                check=False).stdout)
        tally["unreadable" if verdict is None else "valid" if verdict[1] == b"true" else "invalid"] += 1
    return tally, differences


def _found() -> dict[str, tuple[bytes, str]]:
    """The records the random runs found differences in (2026-12-07), each as built again here."""
    k1, p256 = _KEYS["secp256k1"][1], _KEYS["p256"][1]
    good = dict(k.DATA)
    wide = {**good, "ValidityType": 2**31}
    late = {**good, "Validity": b"2030-01-02 03:04:05Z"}
    return {  # label: (record, name)
        "secp256k1 key in the hybrid form (Kubo: valid; was refused)":
            (k.record(_K1, embed=_hybrid(_K1, True)), k.name_hashing(k1)),
        "secp256k1 key in the hybrid form, y's parity wrong": (k.record(_K1, embed=_hybrid(_K1, False)), k.name_hashing(k1)),
        "secp256k1 key of 32 bytes": (k.record(_K1, embed=key_message(SECP256K1, bytes(32))), k.name_hashing(k1)),
        "secp256k1 key of 33 bytes not on the curve":
            (k.record(_K1, embed=key_message(SECP256K1, b"\x02" + bytes(31) + b"\x05")), k.name_hashing(k1)),
        "validity type 2^31, in the V1 fields too (the protobuf size)":
            (k.record(_ED, data=wide, head=_varint_field(3, 2**31) + k.field(2, b"v1")), k.name_hashing(_KEYS["ed25519"][1])),
        "validity with a space for its T (Go's words)": (k.record(_ED, data=late), k.name_hashing(_KEYS["ed25519"][1])),
        "validity of 30 February": (k.record(_ED, data={**good, "Validity": b"2030-02-30T00:00:00Z"}),
                                    k.name_hashing(_KEYS["ed25519"][1])),
        "validity with text after it": (k.record(_ED, data={**good, "Validity": b"2030-01-02T03:04:05Z\xff\x01"}),
                                        k.name_hashing(_KEYS["ed25519"][1])),
        "RSA key with a byte after it": (k.record(_RSA, embed=k.rsa_trailing(_RSA)), k.name_hashing(_KEYS["rsa"][1])),
        "RSA key as PKCS#1": (k.record(_RSA, embed=k.rsa_pkcs1(_RSA)), k.name_hashing(_KEYS["rsa"][1])),
        "P-256 key with a compressed point": (k.record(_P256, embed=k.ecdsa_compressed_spki(_P256)), k.name_hashing(p256)),
        "P-256 key typed RSA": (k.record(_P256, embed=key_message(0, p256[4:])), k.name_hashing(p256)),
        "key protobuf cut short": (k.record(_P256, embed=p256[:-1]), k.name_hashing(p256)),
        "key protobuf without its Data": (k.record(_P256, embed=p256[:2]), k.name_hashing(p256)),
        "P-256 key whose point is off the curve":
            (k.record(_P256, embed=p256[:-1] + bytes([p256[-1] ^ 1])), k.name_hashing(p256)),
        "a value holding a byte that is not UTF-8, as JSON (Go writes \\ufffd; the byte was written raw)":
            (k.record(_ED, data={**good, "Value": b"/ipfs/" + k.CID_A.encode() + b"/a\xc3)"}),
             k.name_hashing(_KEYS["ed25519"][1])),
        "RSA key whose parameters have a high tag number (Go's words; were cryptography's)":
            (k.record(_RSA, embed=key_message(0, _high_tag_parameters(_KEYS["rsa"][1][5:]))),
             k.name_hashing(key_message(0, _high_tag_parameters(_KEYS["rsa"][1][5:])))),
        "P-256 key whose parameters have a high tag number (Go's words; were cryptography's)":
            (k.record(_P256, embed=key_message(3, _high_tag_parameters(p256[4:]))),
             k.name_hashing(key_message(3, _high_tag_parameters(p256[4:])))),
        "an ECDSA key of an algorithm x509 does not know":
            (k.record(_P256, embed=key_message(3, p256[4:].replace(bytes.fromhex("2a8648ce3d0201"),
                                                                   bytes.fromhex("2a8648ce3d0209")))),
             k.name_hashing(p256)),
        "data with a map key that is not UTF-8 (Kubo reads it; was refused)":
            (_with_body(_ED, bytes.fromhex("a6") + b"".join(
                encode(key, "dag-cbor") + encode(value, "dag-cbor") for key, value in sorted(good.items()))
                + b"\x68Valid\xe9ty" + encode(b"x", "dag-cbor")), k.name_hashing(_KEYS["ed25519"][1])),
    }


def _high_tag_parameters(spki: bytes) -> bytes:
    """``spki`` with its algorithm's parameters made an empty element of tag number 31 (``1f 1f
    00``: a high tag number, which Go's asn1 reads and x509 then refuses in its own words)."""
    from autocodec.verify._go_asn1 import der, element

    _, start, end = element(spki, 0)
    _, a_start, a_end = element(spki, start)
    oid_end = element(spki[:a_end], a_start)[2]
    return der(0x30, der(0x30, spki[a_start:oid_end] + b"\x1f\x1f\x00") + spki[a_end:end])


def _with_body(private: k.PrivateKey, body: bytes) -> bytes:
    """A V2-only record of these ``data`` bytes, signed."""
    return k.field(8, _signed(private, body)) + k.field(9, body)


def test_random_records_are_inspected_as_kubo_inspects_them(kubo: KuboRepo, tmp_path: Path) -> None:
    tally, differences = run(kubo, tmp_path, CASES, 0)
    assert not differences, "\n".join(differences[:5])
    assert tally["valid"] >= CASES // 16 and tally["invalid"] >= CASES // 4, tally  # both verdicts drawn


@pytest.mark.parametrize("label", list(_found()))
def test_found_records_print_what_kubo_prints(kubo: KuboRepo, tmp_path: Path, label: str) -> None:
    raw, name = _found()[label]
    path = tmp_path / "record.bin"
    path.write_bytes(raw)
    for options in ([f"--verify={name}"], ["--dump=false"], [f"--verify={name}", "--enc=json"]):
        theirs = kubo.ipfs("name", "inspect", *options, path, check=False)
        kubo_code, kubo_out = (0 if theirs.returncode == 0 else 1), theirs.stdout
        if options[0].startswith("--verify") and re.search(rb'Valid"?:\s*false', kubo_out):
            kubo_code = 1
        ours, kubo_out = _documented(_ours(["name", "inspect", *options, str(path)]), kubo_out)
        assert ours == (kubo_code, kubo_out), _first_difference(ours, (kubo_code, kubo_out))
    if label.startswith("secp256k1 key in the hybrid form (Kubo: valid"):
        assert re.search(rb"Valid:\s+true", kubo.ipfs("name", "inspect", f"--verify={name}", path).stdout)


if __name__ == "__main__":
    count, seed_arg = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="ipns-random-") as scratch:
        repo = KuboRepo.create(Path(scratch) / "kubo")
        verdicts, found = run(repo, Path(scratch), count, seed_arg)
        print("\n".join(found))
        print(verdicts, f"{len(found)} differences")
